"""The frozen app's entry script: the same dispatch as `python -m desktop` (app, classify, --self-test)."""

import sys

from desktop.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
