"""Render the Review tab explaining a real mixed IMDB test review (positive and negative sentences) to PNGs.

    uv run --group train python scripts/screenshot_review.py            # docs/images/review-explained.png
    uv run --group train python scripts/screenshot_review.py --dark     # docs/images/review-explained-dark.png

The same real window, shipped model, offscreen platform and dark palette as scripts/screenshot.py, with a review chosen to show what issue 11 added: colours on one scale, grey
unknown words, phrases, and the sentence-by-sentence list.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def pick_mixed_review() -> str:
    """The first test review of 90-170 words with 4+ sentences, some positive and some negative, an
    unknown word, and a phrase among its reasons."""
    from review_sentiment._bundle import default_models_dir, load_bundle
    from review_sentiment._classify import classify_text
    from review_sentiment._sentences import mixed
    from trainer.data import load_movie_reviews, split

    bundle = load_bundle(default_models_dir())
    for text in split(load_movie_reviews(), "imdb").test.texts:
        if not 90 <= len(text.split()) <= 170 or "<br" in text:
            continue
        verdict = classify_text(bundle, text, by_sentence=True)
        positive, negative = verdict.strongest(6)
        if (len(verdict.sentences) >= 4 and mixed(verdict.sentences, verdict.band) and verdict.label != "uncertain"
                and not all(w.known for w in verdict.words) and any(r.is_phrase for r in positive + negative)):
            return text
    raise SystemExit("no suitable review found in the test split")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--size", default="1280x800")
    args = parser.parse_args()
    output = args.output or ROOT / "docs" / "images" / f"review-explained{'-dark' if args.dark else ''}.png"

    from screenshot import open_window, save, wait_for

    app, window = open_window(Path(tempfile.mkdtemp(prefix="review-shot-")), args.dark, args.size)
    text = pick_mixed_review()
    window.model_dock.hide()  # the Review tab is the subject; the model panel has its own screenshot
    window.show_review(text)
    wait_for(window.review_view.verdict_shown)
    window.review_view.editor.textCursor().clearSelection()
    window.review_view.editor.verticalScrollBar().setValue(0)
    save(app, window, output)
    print(f"{output}: {window.review_view.verdict.label}, {len(window.review_view.verdict.sentences)} sentences")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
