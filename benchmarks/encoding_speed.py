"""CPU time per review of turning texts into model rows, the plain way (`words`, a dictionary look-up
per word, then `_rows_of_word_ids` per batch) beside `encode_ragged`, and of loading each bundle.

    uv run python benchmarks/encoding_speed.py [REVIEWS_FILE]   (one review per line; default: 10,000 IMDB reviews)

CPU time (`time.process_time`, the best of three runs), so other programs on the machine matter less.
"""

from __future__ import annotations

import sys
import time
from itertools import chain, repeat
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._shared import best_seconds, machine  # noqa: E402
from review_sentiment import encoding  # noqa: E402
from review_sentiment._bundle import load_bundle  # noqa: E402

BATCH = 1024
MODELS = Path(__file__).resolve().parents[1] / "models"


def reviews(path: str | None) -> list[str]:
    if path:
        return Path(path).read_text(encoding="utf-8").split("\n")[:-1]  # a line may hold U+2028 and the like
    from trainer.data import load_movie_reviews

    return [r.text for r in load_movie_reviews() if r.source == "imdb"][:10_000]


def plain_rows(texts, index, settings) -> None:
    room = settings.max_length - 1
    ids = encoding._ids_below(index, settings.word_ids)
    for start in range(0, len(texts), BATCH):
        text_words = [encoding.words(text, room) for text in texts[start:start + BATCH]]
        counts = np.fromiter(map(len, text_words), dtype=np.int64, count=len(text_words))
        flat = np.fromiter(map(ids.get, chain.from_iterable(text_words), repeat(encoding.UNK_ID)),
                           dtype=np.int64, count=int(counts.sum()))
        encoding._rows_of_word_ids(flat, counts, index, settings)


def ragged_rows(texts, index, settings) -> None:
    for start in range(0, len(texts), BATCH):
        encoding.encode_ragged(texts[start:start + BATCH], index, settings)


def main() -> None:
    texts = reviews(sys.argv[1] if len(sys.argv) > 1 else None)
    print(machine())
    print(f"{len(texts):,} reviews, batches of {BATCH}; CPU microseconds per review (best of 3)")
    for folder in sorted(p for p in MODELS.iterdir() if p.is_dir()):
        load = best_seconds(lambda: load_bundle(folder), clock=time.process_time)
        bundle = load_bundle(folder)
        index, settings = bundle.word_index, bundle.settings
        ragged_rows(texts[:BATCH], index, settings)  # builds the look-up tables once, as a first batch does
        per_review = {name: best_seconds(lambda: fn(texts, index, settings), clock=time.process_time) / len(texts) * 1e6
                      for name, fn in (("plain", plain_rows), ("encode_ragged", ragged_rows))}
        print(f"{folder.name:30s} load {load * 1000:6.0f} ms   plain {per_review['plain']:6.1f} us   "
              f"encode_ragged {per_review['encode_ragged']:6.1f} us")


if __name__ == "__main__":
    main()
