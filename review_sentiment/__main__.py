"""`python -m review_sentiment classify ...`: classify review files headlessly (no window, no Qt);
`python -m review_sentiment --self-test`: check the shipped model against its recorded samples."""

from __future__ import annotations

import gc
import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["classify"]:
        # Before numpy loads, never over the person's own setting: its OpenBLAS starts a pool of
        # threads (60-80 ms of each start on two cores), and classify does no linear algebra.
        # (onnxruntime's telemetry, a thread and a store written at import and exit, is off for
        # the whole package: `_bundle`.)
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        # Before the imports too: what is freed then (the model file's parse, 17 MB) and while
        # classifying stays in the process for the arrays that follow (`_memory`).
        from review_sentiment._memory import keep_freed_memory

        keep_freed_memory()
        # Importing numpy, onnxruntime and the core makes some 100,000 objects, which live as long
        # as the process, and no garbage: the collector's passes over them took 15-30 ms of each
        # start. So they are made with it off and set aside (frozen) for it to pass over never.
        first = "review_sentiment._cli" not in sys.modules
        collecting = gc.isenabled()
        gc.disable()
        try:
            from review_sentiment._cli import main as classify_main
        finally:
            if first:
                gc.freeze()
            if collecting:
                gc.enable()
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


def exit_without_teardown(code: int) -> None:
    """End the process with `code` once what it wrote is flushed, without tearing the interpreter
    down: `classify` has published its output and stopped its workers by then, and freeing every
    object one by one (collections over all of them, each page the workers shared copied first)
    took 150-450 ms, a tenth of a 50,000-review run. Only for a process's own entry point."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # a closed pipe, say: the interpreter's own exit reports it as always
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":
    exit_without_teardown(main())
