"""`python -m desktop`: open the app; `python -m desktop classify ...`: classify files headlessly;
`python -m desktop --self-test`: check the bundled model and exit (used on frozen builds)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["classify"] or "--self-test" in argv:
        from review_sentiment.__main__ import main as headless_main  # the core's own command, no Qt

        return headless_main(argv)
    from desktop.app import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    code = main()
    if sys.argv[1:2] == ["classify"]:  # headless: end as `python -m review_sentiment classify` does
        from review_sentiment.__main__ import exit_without_teardown

        exit_without_teardown(code)
    sys.exit(code)
