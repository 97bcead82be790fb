"""The headless `classify` command (`review-sentiment classify`, `python -m review_sentiment classify`;
`python -m desktop classify` is the same command): classify review files with the app's own core.

Exit status: 0 when every review was classified, 1 when some inputs failed (the others are
still written), 2 when nothing was written: usage errors (bad options, an unusable or failing
model, an output that exists, is an input or cannot be written). Stopped by a signal: 128 + its
number (130 for Ctrl-C), nothing written, no process left behind.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from review_sentiment._batch import (
    DEFAULT_EXTENSIONS,
    InputMode,
    ReviewReader,
    classify_to_text,
    find_input_files,
    parse_extensions,
)
from review_sentiment._bundle import RUN_SECONDS, BundleError, default_models_dir, load_bundle, stop_model_runs
from review_sentiment._export import (
    OutputError,
    OutputExistsError,
    ResultWriter,
    check_output_target,
    format_for_path,
)
from review_sentiment._memory import keep_freed_memory
from review_sentiment._shown import shown
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND, MAX_UNCERTAIN_BAND

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2
ERRORS_SHOWN = 20


def default_jobs() -> int:
    """Two encoding processes on a Linux machine with two cores or more (they start by fork, at
    once); else none. Measured on 2 cores, 50,000 lines: 0 -> 12,259, 1 -> 16,189, 2 -> 21,813 reviews/s."""
    if getattr(sys, "frozen", False) or not sys.platform.startswith("linux"):
        return 0  # fork is safe on Linux; macOS frameworks and frozen builds need more care
    return min(2, os.cpu_count() or 1) if (os.cpu_count() or 1) > 1 else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="review-sentiment classify",
        description="Classify movie reviews as positive, negative or uncertain. One output record per review: "
        "source, line, label, probability (of positive), confidence, warning, error, model, word_index_sha256.",
        epilog="Exit status: 0 all classified, 1 some inputs failed (the rest is still written), 2 usage error.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="a text file, a folder (searched recursively) or - for standard input")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--per-line", action="store_true", help="each non-blank line is one review")
    mode.add_argument("--csv-column", metavar="NAME", help="read reviews from this column of CSV files")
    mode.add_argument("--jsonl-field", metavar="NAME", help="read reviews from this field of JSON-lines files")
    parser.add_argument("--format", choices=("csv", "jsonl"),
                        help="output format (default: from the --output extension, else csv)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write here (atomically) instead of standard output")
    parser.add_argument("--force", action="store_true", help="replace --output if it already exists")
    parser.add_argument("--model", metavar="PATH", help="a model bundle folder or .onnx file (default: the shipped one)")
    parser.add_argument("--uncertain-band", type=float, default=DEFAULT_UNCERTAIN_BAND, metavar="W",
                        help=f"width of the 'uncertain' band around 50%% (default {DEFAULT_UNCERTAIN_BAND})")
    parser.add_argument("--extensions", default=",".join(DEFAULT_EXTENSIONS), metavar="LIST",
                        help="file extensions to pick up inside folders, comma separated; * for all (default .txt)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), metavar="N",
                        help=f"processes that encode text besides the main one; 0 = none (default {default_jobs()})")
    parser.add_argument("--model-timeout", type=float, default=RUN_SECONDS, metavar="S",
                        help=f"stop a model that takes longer than S seconds on one batch (default {RUN_SECONDS:g})")
    parser.add_argument("--batch-size", type=int, default=1024, help=argparse.SUPPRESS)
    parser.add_argument("--explain", action="store_true",
                        help="add log_odds, baseline and each word's contribution (JSON lines: an 'explanation' "
                        "list of text, start, end, contribution; CSV: the top phrases in one column)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no summary on standard error")
    return parser


def _mode(args: argparse.Namespace) -> tuple[InputMode, str]:
    if args.per_line:
        return InputMode.LINE, ""
    if args.csv_column is not None:
        return InputMode.CSV, args.csv_column
    if args.jsonl_field is not None:
        return InputMode.JSONL, args.jsonl_field
    return InputMode.FILE, ""


def _usage_problem(args: argparse.Namespace) -> str:
    if not 0 <= args.uncertain_band <= MAX_UNCERTAIN_BAND:
        return f"--uncertain-band must be between 0 and {MAX_UNCERTAIN_BAND}, got {args.uncertain_band}"
    if args.csv_column is not None and not args.csv_column.strip():
        return "--csv-column needs a column name"
    if args.jsonl_field is not None and not args.jsonl_field.strip():
        return "--jsonl-field needs a field name"
    if args.paths.count("-") > 1:
        return "standard input (-) can be read only once"
    if args.jobs < 0:
        return "--jobs must be 0 or more"
    if not args.model_timeout > 0:
        return f"--model-timeout must be a positive number of seconds, got {args.model_timeout}"
    if args.batch_size < 1:
        return "--batch-size must be at least 1"
    if args.output and (args.output.endswith(("/", os.sep)) or Path(args.output).is_dir()):
        return f"{shown(args.output)} is a folder; --output needs a file name"
    if args.output and Path(args.output).exists() and not args.force:
        return f"{shown(args.output)} already exists; choose another --output or add --force to replace it"
    return ""


class Stopped(Exception):
    """SIGTERM or SIGHUP arrived: the run stopped between batches, the output and workers cleaned up."""

    def __init__(self, number: int) -> None:
        super().__init__(signal.Signals(number).name)
        self.number = number


class _StopRequest(threading.Event):
    number = 0


@contextmanager
def _signals_stop_the_run():
    """While classifying, SIGTERM and SIGHUP ask the run to stop (the previous handlers come back
    after). The handler only sets a flag and stops a model call in flight: an exception raised
    wherever the signal lands (in a fork hook, a lock, a finally) could be swallowed there."""
    request = _StopRequest()
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set them
        yield request
        return

    def stop(number, _frame):
        request.number = number
        request.set()
        stop_model_runs()

    numbers = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {number: signal.signal(number, stop) for number in numbers}
    try:
        yield request
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) and EXIT_USAGE
    problem = _usage_problem(args)
    if problem:
        parser.print_usage(sys.stderr)
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        # One onnxruntime thread: the other cores encode (--jobs), and a second thread per call
        # costs more in hand-overs than it gains on these small, memory-bound calls.
        bundle = load_bundle(args.model or default_models_dir(), run_seconds=args.model_timeout, threads=1)
    except BundleError as error:
        print(f"error: cannot use the model: {error}", file=sys.stderr)
        return EXIT_USAGE
    keep_freed_memory()  # this process classifies in bulk from here on (and its workers, forked, too)
    mode, field = _mode(args)
    files = list(find_input_files(args.paths, parse_extensions(args.extensions)))
    if args.output:
        try:
            check_output_target(Path(args.output), (f.source for f in files if not f.error and not f.is_stdin))
        except OutputError as error:
            print(f"error: {error}; nothing was written", file=sys.stderr)
            return EXIT_USAGE
    with _signals_stop_the_run() as stop_request:
        return _classify(args, bundle, ReviewReader(files, mode, field), stop_request)


def _classify(args: argparse.Namespace, bundle, reader: ReviewReader, stop_request: _StopRequest) -> int:
    nothing = "; nothing was written" if args.output else ""
    started = time.perf_counter()
    try:
        with ResultWriter(args.output, args.format or format_for_path(args.output), overwrite=args.force,
                          explain=args.explain) as writer:
            # With --explain, explanations are made and formatted where the model runs: in the workers.
            explain = _explainer(writer.format) if args.explain else None
            for rendered in classify_to_text(bundle, reader, writer.renderer, args.uncertain_band, args.batch_size,
                                             stop_request, workers=args.jobs, explain=explain):
                writer.write_rendered(rendered)
            if stop_request.is_set():
                raise Stopped(stop_request.number)  # inside the writer: it keeps nothing
            if not args.output:
                sys.stdout.flush()  # a closed pipe fails here, inside the handlers below
    except BrokenPipeError:  # the reader of standard output went away (`... | head`): not an error
        _silence_stdout()
        return EXIT_OK
    except OutputExistsError as error:
        print(f"error: {error}{nothing}", file=sys.stderr)
        return EXIT_USAGE
    except BundleError as error:  # the model failed or gave no probabilities: nothing made up is written
        if stop_request.is_set():  # the call was stopped by the signal, not by its own failure
            print(f"stopped by {Stopped(stop_request.number)}{nothing}", file=sys.stderr)
            return 128 + stop_request.number
        print(f"error: cannot use the model: {error}{nothing}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"error: cannot write {shown(args.output or 'the output')}: {error.strerror or error}{nothing}",
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"interrupted{nothing}", file=sys.stderr)
        return 130
    except Stopped as stop:
        print(f"stopped by {stop}{nothing}", file=sys.stderr)
        return 128 + stop.number
    if not args.quiet:
        _print_summary(writer, time.perf_counter() - started, args.output)
    return EXIT_SOME_FAILED if writer.counts["failed"] else EXIT_OK


def _explainer(output_format: str):
    """What --explain adds to each record, imported only then (its tables take 10 ms to build)."""
    from review_sentiment._explain_batch import csv_fields, jsonl_fields

    return jsonl_fields if output_format == "jsonl" else csv_fields


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _print_summary(writer: ResultWriter, seconds: float, output: str | None) -> None:
    counts = writer.counts
    for message in writer.first_errors:
        print(f"failed: {shown(message)}", file=sys.stderr)
    hidden = counts["failed"] - len(writer.first_errors)
    if hidden > 0:
        print(f"... and {hidden:,} more failures (see the error column)", file=sys.stderr)
    total = sum(counts.values())
    rate = (total - counts["failed"]) / seconds if seconds > 0 else 0.0
    print(
        f"{total:,} records in {seconds:.1f} s ({rate:,.0f} reviews/s): {counts['positive']:,} positive, "
        f"{counts['negative']:,} negative, {counts['uncertain']:,} uncertain, {counts['failed']:,} failed"
        + (f"; written to {shown(output)}" if output else ""),
        file=sys.stderr,
    )
