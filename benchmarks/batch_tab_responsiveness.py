"""Does the batch tab keep the `classify` command's pace and stay responsive through a
100,000-review batch, while filtering it, and how quickly does Cancel stop?

Run by hand:  uv run --group train python benchmarks/batch_tab_responsiveness.py [--reviews 100000]

1. `classify --per-line` (the command, in a subprocess, its default --jobs) on a one-review-per-line
   file of real IMDB reviews; then the Batch tab (offscreen) on the same file, while a 20 ms timer
   runs on the UI thread. Throughput ratio = tab reviews/s / command reviews/s; the longest gap
   between the timer's ticks is the longest the window could not react.
2. Typing words into "Filter" over the 100,000 results, a key every 60 ms as a person types, then
   waiting for the filter to apply: the longest timer gap while typing and filtering is the freeze.
3. Sorting and the label filter, timed; then a run cancelled after two seconds.
Prints the load average beside the figures: the machine is shared, so they are noisy.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TYPED = ("masterpiece", "the", "zzqqx", "great film")
KEY_MS = 60


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def classify_command(source: Path, output: Path, model: str | None) -> float:
    """Reviews per second of the `classify` command on `source` (wall clock, startup included)."""
    command = [sys.executable, "-m", "review_sentiment", "classify", "--per-line", str(source),
               "--output", str(output), "--force", "--quiet"]
    if model:
        command += ["--model", model]
    started = time.perf_counter()
    subprocess.run(command, check=False, cwd=ROOT)
    seconds = time.perf_counter() - started
    lines = sum(1 for _ in output.open(encoding="utf-8")) - 1
    return lines / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--model", help="bundle (default: the shipped one)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/review-bench"))
    args = parser.parse_args()

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from review_sentiment._batch import InputMode
    from review_sentiment._bundle import default_models_dir, load_bundle
    from desktop.ui.batch_model import CONFIDENCE
    from desktop.ui.batch_view import BatchView
    from trainer.data import load_movie_reviews

    texts = [" ".join(t.split()) for t in load_movie_reviews().texts]
    args.workdir.mkdir(parents=True, exist_ok=True)
    source = args.workdir / f"gui-{args.reviews}.txt"
    source.write_text("".join(texts[i % len(texts)] + "\n" for i in range(args.reviews)), encoding="utf-8")

    print(f"load average before: {load_average()}")
    command_rate = classify_command(source, args.workdir / "classify-out.csv", args.model)
    print(f"classify --per-line: {command_rate:,.0f} reviews/s   (load {load_average()})")

    app = QApplication.instance() or QApplication([])
    view = BatchView()
    view.resize(1200, 800)
    view.show()
    view.set_bundle(load_bundle(args.model or default_models_dir()))
    view.add_paths([source])
    view.set_mode(InputMode.LINE)

    ticks: list[float] = []
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))

    def wait_for(signal) -> None:
        loop = QEventLoop()
        signal.connect(loop.quit)
        loop.exec()

    def longest_gap() -> float:
        return max((b - a for a, b in zip(ticks, ticks[1:])), default=0.0) * 1000

    timer.start()
    started = time.perf_counter()
    view.start()
    wait_for(view.run_finished)
    seconds = time.perf_counter() - started
    timer.stop()
    tab_rate = view.model.total / seconds
    gaps = sorted(b - a for a, b in zip(ticks, ticks[1:]))
    print(f"Batch tab: {view.model.total:,} reviews in {seconds:.1f} s ({tab_rate:,.0f}/s); "
          f"throughput ratio vs classify: {tab_rate / command_rate:.2f}x   (load {load_average()})")
    print(f"  UI timer during the run: longest gap {longest_gap():.0f} ms, "
          f"99th percentile {gaps[int(len(gaps) * 0.99)] * 1000:.0f} ms")

    worst = 0.0
    for word in TYPED:
        ticks.clear()
        timer.start()
        for char in word:
            QTest.keyClicks(view.text_filter, char)
            QTest.qWait(KEY_MS)
        typed_at = time.perf_counter()
        if view.model.searching:
            wait_for(view.model.filter_applied)
        applied = time.perf_counter() - typed_at
        QTest.qWait(40)
        timer.stop()
        worst = max(worst, longest_gap())
        print(f"  filter {word!r}: {view.model.rowCount():,} of {view.model.total:,} rows, shown "
              f"{applied * 1000:.0f} ms after the last key; longest UI gap {longest_gap():.0f} ms")
        view.text_filter.clear()
    print(f"longest UI freeze while filtering {view.model.total:,} rows: {worst:.0f} ms   (load {load_average()})")

    started = time.perf_counter()
    view.model.sort(CONFIDENCE, Qt.SortOrder.DescendingOrder)
    print(f"sort {view.model.total:,} rows by confidence: {(time.perf_counter() - started) * 1000:.0f} ms")
    started = time.perf_counter()
    view.model.set_label_filter("negative")
    print(f"filter to negative ({view.model.rowCount():,} rows): {(time.perf_counter() - started) * 1000:.0f} ms")
    view.model.set_label_filter("")

    view.start()
    QTimer.singleShot(2000, view.cancel_button.click)
    clicked = []
    view.cancel_button.clicked.connect(lambda: clicked.append(time.perf_counter()))
    wait_for(view.run_cancelled)
    print(f"cancel: stopped {(time.perf_counter() - clicked[0]) * 1000:.0f} ms after the click, "
          f"keeping {view.model.total:,} results")
    view.close()


if __name__ == "__main__":
    main()
