"""The frozen app's entry script: the same dispatch as `python -m desktop` (app, classify, --self-test),
from the app as the wheel installs it (review_sentiment_desktop; build_app.sh freezes the installed wheel)."""

import sys

from review_sentiment_desktop.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
