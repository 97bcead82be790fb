"""`python -m review_sentiment classify ...`: classify review files headlessly (no window, no Qt);
`python -m review_sentiment --self-test`: check the shipped model against its recorded samples."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["classify"]:
        # numpy's OpenBLAS starts a pool of threads when it loads (60-80 ms of each start on two
        # cores); classify does no linear algebra. Only before numpy's first import, and never
        # over the person's own setting.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        from review_sentiment._cli import main as classify_main

        return classify_main(argv[1:])
    if "--self-test" in argv:
        from review_sentiment._self_test import main as self_test_main

        return self_test_main([a for a in argv if a != "--self-test"])
    print(
        "usage: python -m review_sentiment classify [options] PATH ...\n"
        "       python -m review_sentiment --self-test [--models DIR]\n"
        "(the desktop app is `python -m desktop`, or `review-sentiment` once installed)",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
