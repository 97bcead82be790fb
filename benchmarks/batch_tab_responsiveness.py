"""Does the batch tab stay responsive through a 100,000-review batch, and how quickly does Cancel stop?

Run by hand:  uv run python benchmarks/batch_tab_responsiveness.py [--reviews 100000]

The tab classifies a one-review-per-line file of real IMDB reviews (offscreen) while a 20 ms timer
runs on the UI thread; the longest gap between its ticks is how long the window could not react.
Then a second run is cancelled after two seconds; the time until `run_cancelled` is the cancel delay.
Also times sorting and filtering the full results table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--model", help="bundle (default: the shipped one)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/review-bench"))
    args = parser.parse_args()

    from PySide6.QtCore import QEventLoop, Qt, QTimer
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

    timer.start()
    started = time.perf_counter()
    view.start()
    wait_for(view.run_finished)
    seconds = time.perf_counter() - started
    timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    print(f"{view.model.rowCount():,} reviews in {seconds:.1f} s ({view.model.rowCount() / seconds:,.0f}/s); "
          f"UI timer: {len(ticks)} ticks, longest gap {max(gaps) * 1000:.0f} ms, "
          f"99th percentile {sorted(gaps)[int(len(gaps) * 0.99)] * 1000:.0f} ms")

    started = time.perf_counter()
    view.proxy.sort(CONFIDENCE, Qt.SortOrder.DescendingOrder)
    print(f"sort {view.model.rowCount():,} rows by confidence: {(time.perf_counter() - started) * 1000:.0f} ms")
    started = time.perf_counter()
    view.proxy.set_label_filter("negative")
    print(f"filter to negative ({view.proxy.rowCount():,} rows): {(time.perf_counter() - started) * 1000:.0f} ms")
    started = time.perf_counter()
    view.proxy.set_text_filter("masterpiece")
    print(f"filter by text ({view.proxy.rowCount():,} rows): {(time.perf_counter() - started) * 1000:.0f} ms")
    view.proxy.set_label_filter("")
    view.proxy.set_text_filter("")

    view.start()
    QTimer.singleShot(2000, view.cancel_button.click)
    clicked = []
    view.cancel_button.clicked.connect(lambda: clicked.append(time.perf_counter()))
    wait_for(view.run_cancelled)
    print(f"cancel: stopped {(time.perf_counter() - clicked[0]) * 1000:.0f} ms after the click, "
          f"keeping {view.model.rowCount():,} results")
    view.close()


if __name__ == "__main__":
    main()
