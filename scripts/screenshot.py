"""Render the main window with a real IMDB test review in it, as a person sees it, to a PNG.

    uv run python scripts/screenshot.py                 # docs/screenshot.png
    uv run python scripts/screenshot.py --dark --output docs/screenshot-dark.png

Uses the real window, the shipped model and the Qt offscreen platform (no display needed), with
a throw-away settings file so a person's saved window size and choices play no part.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def pick_review() -> str:
    """A clearly positive test review of 120-200 words whose reasons show both colours."""
    from review_sentiment._bundle import default_models_dir, load_bundle
    from review_sentiment._classify import classify_text
    from trainer.data import load_movie_reviews, split

    test = split(load_movie_reviews(), "imdb").test
    bundle = load_bundle(default_models_dir())
    candidates = [t for t, y in zip(test.texts, test.labels) if y == 1 and 120 <= len(t.split()) <= 200 and "<br" not in t]
    for text, p in zip(candidates, bundle.classify_texts(candidates)):
        if p > 0.9:
            positive, negative = classify_text(bundle, text).strongest(3)
            if len(negative) == 3:
                return text
    raise SystemExit("no suitable review found in the test split")


def dark_palette():
    from PySide6.QtGui import QColor, QPalette

    roles = QPalette.ColorRole
    palette = QPalette()
    for role, colour in (
        (roles.Window, "#2b2b2b"), (roles.WindowText, "#e6e6e6"), (roles.Base, "#1e1e1e"),
        (roles.AlternateBase, "#2f2f2f"), (roles.Text, "#e6e6e6"), (roles.Button, "#353535"),
        (roles.ButtonText, "#e6e6e6"), (roles.Highlight, "#3d6fb6"), (roles.HighlightedText, "#ffffff"),
        (roles.PlaceholderText, "#9a9a9a"), (roles.ToolTipBase, "#353535"), (roles.ToolTipText, "#e6e6e6"),
        (roles.Link, "#7fb2ff"), (roles.Mid, "#444444"), (roles.Dark, "#1a1a1a"), (roles.Light, "#505050"),
    ):
        palette.setColor(role, QColor(colour))
    return palette


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--dark", action="store_true", help="render with the dark colour scheme")
    parser.add_argument("--size", default="1280x800", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args()

    settings_dir = tempfile.mkdtemp(prefix="review-sentiment-shot-")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["REVIEW_SENTIMENT_SETTINGS"] = str(Path(settings_dir) / "settings.ini")

    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from desktop.app import create_application
    from desktop.ui.main_window import MainWindow

    app = create_application()
    if args.dark:
        # What a desktop in dark mode hands the app; the offscreen platform has no theme of its own.
        app.styleHints().setColorScheme(Qt.ColorScheme.Dark)
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    text = pick_review()
    window = MainWindow()
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.show()

    def wait_for(signal, ms: int = 30_000) -> None:
        loop = QEventLoop()
        signal.connect(loop.quit)
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    if window.bundle is None:
        wait_for(window.model_loaded)
    window.show_review(text)
    wait_for(window.review_view.verdict_shown)
    wait_for(app.aboutToQuit, 400)  # let layouts settle after the verdict arrived
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(args.output)):
        raise SystemExit(f"could not write {args.output}")
    print(f"{args.output}: {window.review_view.verdict.label}, {window.width()}x{window.height()}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
