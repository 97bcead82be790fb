"""`python -m desktop`: open the app; `python -m desktop classify ...`: classify files headlessly;
`python -m desktop --self-test`: check the bundled model and exit (used on frozen builds)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["classify"]:
        from review_sentiment._cli import main as classify_main

        return classify_main(argv[1:])
    if "--self-test" in argv:
        from review_sentiment._self_test import main as self_test_main

        return self_test_main([a for a in argv if a != "--self-test"])
    from desktop.app import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main())
