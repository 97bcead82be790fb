"""Render the main window as a person sees it, to a PNG: the Review tab with a real IMDB test
review in it, or the Batch tab after classifying real IMDB test reviews one per line.

    uv run --group train python scripts/screenshot.py                 # docs/screenshot.png
    uv run --group train python scripts/screenshot.py --dark --output docs/screenshot-dark.png
    uv run --group train python scripts/screenshot.py --tab batch --output docs/screenshot-batch.png
    uv run --group train python scripts/screenshot.py --size 800x600 --output /tmp/small.png

Uses the real window, the shipped model and the Qt offscreen platform (no display needed), with
a throw-away settings file so a person's saved window size and choices play no part. The batch
input is named relative to a temporary folder, so no local path shows in the picture.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BATCH_REVIEWS = 3000


def test_reviews():
    from trainer.data import load_movie_reviews, split

    return split(load_movie_reviews(), "imdb").test


def pick_review(test) -> str:
    """A clearly positive test review of 120-200 words whose reasons show both colours."""
    from review_sentiment._bundle import default_models_dir, load_bundle
    from review_sentiment._classify import classify_text

    bundle = load_bundle(default_models_dir())
    candidates = [t for t, y in zip(test.texts, test.labels) if y == 1 and 120 <= len(t.split()) <= 200 and "<br" not in t]
    for text, p in zip(candidates, bundle.classify_texts(candidates)):
        if p > 0.9:
            positive, negative = classify_text(bundle, text).strongest(3)
            if len(negative) == 3:
                return text
    raise SystemExit("no suitable review found in the test split")


def open_window(work: Path, dark: bool, size: str):
    """The real main window, offscreen, with a throw-away settings file and the shipped model loaded."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["REVIEW_SENTIMENT_SETTINGS"] = str(work / "settings.ini")
    from PySide6.QtCore import Qt

    from desktop.app import create_application
    from desktop.ui.main_window import MainWindow
    from desktop.ui.theme import dark_palette

    app = create_application()
    if dark:
        # What a desktop in dark mode hands the app; the offscreen platform has no theme of its own.
        app.styleHints().setColorScheme(Qt.ColorScheme.Dark)
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    window = MainWindow()
    width, height = (int(v) for v in size.split("x"))
    window.resize(width, height)
    window.show()
    if window.bundle is None:
        wait_for(window.model_loaded)
    return app, window


def wait_for(signal, ms: int = 60_000) -> None:
    """Run the event loop until `signal` fires (or `ms` pass)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def save(app, window, output: Path) -> None:
    """Let the layouts settle, then write the window as a PNG."""
    wait_for(app.aboutToQuit, 400)
    output.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(output)):
        raise SystemExit(f"could not write {output}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--dark", action="store_true", help="render with the dark colour scheme")
    parser.add_argument("--size", default="1280x800", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--tab", choices=("review", "batch"), default="review")
    args = parser.parse_args()
    output = args.output.resolve()

    work = Path(tempfile.mkdtemp(prefix="review-sentiment-shot-"))
    app, window = open_window(work, args.dark, args.size)
    from review_sentiment._batch import InputMode

    test = test_reviews()
    if args.tab == "review":
        window.show_review(pick_review(test))
        wait_for(window.review_view.verdict_shown)
        what = window.review_view.verdict.label
    else:
        os.chdir(work)  # the table names the input as given: a bare file name
        Path("imdb-test-reviews.txt").write_text(
            "".join(" ".join(t.split()) + "\n" for t in test.texts[:BATCH_REVIEWS]), encoding="utf-8")
        view = window.batch_view
        window.tabs.setCurrentWidget(view)
        view.add_paths(["imdb-test-reviews.txt"])
        view.set_mode(InputMode.LINE)
        view.start()
        wait_for(view.run_finished)
        view.table.selectRow(2)
        view.table.setFocus()
        what = f"{view.model.total:,} reviews"
    save(app, window, output)
    print(f"{output}: {what}, {window.width()}x{window.height()}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
