"""Explanations on the 5,000 IMDB test reviews: how long the longest review takes to explain, whether
the contributions add up, and whether they are faithful (issue 11's goals).

- Longest review: the test part's longest review (2,470 words) explained by the app's own path
  (`classify_text(..., explain=True)`, also with the sentence-by-sentence view), median of runs.
- Additivity: max |baseline + sum of contributions - log_odds| over all 5,000 test reviews, in the
  single-review view (`classify_texts`) and in `classify --explain`'s batch path (`explain_batch`).
- Faithfulness: for each test review, remove its 5 words that pushed hardest toward its verdict
  and, separately, 5 known words chosen at random (seeded); re-run the model and see how far the
  log-odds moved toward the other side. Faithful contributions move it more, on nearly every review.

Run by hand (benchmarks are not tests):

    uv run python benchmarks/explanations.py [--model models/] [--runs 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _shared import machine, median_ms  # noqa: E402
from review_sentiment._additive import ADDITIVITY_TOLERANCE, PROBABILITY_PRECISION, raw_log_odds  # noqa: E402
from desktop.ui.main_window import MODEL_THREADS  # noqa: E402
from review_sentiment._bundle import default_models_dir, load_bundle  # noqa: E402
from review_sentiment._classify import classify_text, classify_texts  # noqa: E402
from review_sentiment._explain import encode_review  # noqa: E402
from review_sentiment._explain_batch import explain_batch  # noqa: E402
from review_sentiment.encoding import UNK_ID, model_row, pad_rows, tokenise  # noqa: E402

REMOVED = 5
SEED = 0


def longest_review(bundle, texts: list[str], runs: int) -> None:
    text = max(texts, key=lambda t: len(tokenise(t)))
    verdict = classify_text(bundle, text)
    explain_ms = median_ms(lambda: classify_text(bundle, text), runs)
    sentences_ms = median_ms(lambda: classify_text(bundle, text, by_sentence=True), runs)
    plain_ms = median_ms(lambda: classify_text(bundle, text, explain=False), runs)
    print(f"longest test review: {len(tokenise(text)):,} words ({verdict.words_read:,} read), method {verdict.method!r}")
    print(f"  explained: median {explain_ms:.2f} ms over {runs} runs; with the sentence view "
          f"{sentences_ms:.2f} ms; verdict alone {plain_ms:.2f} ms")


def additivity(bundle, texts: list[str]) -> None:
    verdicts = classify_texts(bundle, texts)
    if verdicts[0].method == "leave-one-out":
        print("additivity: not claimed (leave-one-out)")
        return verdicts
    errors = [abs(v.baseline + sum(w.contribution for w in v.words if w.read) - v.log_odds) for v in verdicts]
    batch = explain_batch(bundle, texts)
    batch_errors = [abs(e.baseline + e.contributions.sum() - e.log_odds) for e in batch]
    print(f"additivity on {len(texts):,} test reviews: max error {max(errors):.1e} (single-review view), "
          f"{max(batch_errors):.1e} (classify --explain); mean {statistics.fmean(errors):.1e}")
    # Independently of the log-odds the explanation reports: against the probability the model
    # output, wherever that probability resolves 1e-6 in log-odds (not far in the tails).
    raw = np.array([v.raw_probability for v in verdicts])
    against = np.abs(np.array([v.baseline + sum(w.contribution for w in v.words if w.read) for v in verdicts])
                     - raw_log_odds(raw) / bundle.temperature)
    resolvable = PROBABILITY_PRECISION / np.minimum(raw, 1 - raw) < ADDITIVITY_TOLERANCE
    print(f"  against log(p / (1 - p)) of the model's output probability: max error "
          f"{against[resolvable].max():.1e} on the {resolvable.sum():,} reviews where p resolves it "
          f"({(~resolvable).sum():,} lie further in the tails: max {against.max():.1e} there)")
    return verdicts


def faithfulness(bundle, texts: list[str], verdicts) -> None:
    """Log-odds moved toward the other side by removing the top-5 words vs 5 random known words."""
    chooser = np.random.default_rng(SEED)
    top_rows, random_rows, sides, originals = [], [], [], []
    for text, verdict in zip(texts, verdicts):
        encoded = encode_review(text, bundle)
        read = encoded.token_ids[: encoded.kept]
        known = [i for i, token_id in enumerate(read) if token_id != UNK_ID]
        if len(known) < 2 * REMOVED:
            continue
        side = 1.0 if verdict.log_odds >= 0 else -1.0
        pushes = np.array([side * verdict.words[i].contribution for i in known])
        top = {known[i] for i in np.argsort(-pushes)[:REMOVED]}
        chosen = {known[i] for i in chooser.choice(len(known), REMOVED, replace=False)}
        top_rows.append(model_row([t for i, t in enumerate(read) if i not in top], bundle.word_index, bundle.settings)[0])
        random_rows.append(model_row([t for i, t in enumerate(read) if i not in chosen], bundle.word_index,
                                     bundle.settings)[0])
        sides.append(side)
        originals.append(verdict.log_odds)
    sides, originals = np.array(sides), np.array(originals)
    top_moved = sides * (originals - _log_odds(bundle, top_rows))
    random_moved = sides * (originals - _log_odds(bundle, random_rows))
    print(f"faithfulness on {len(sides):,} test reviews with {2 * REMOVED}+ known words read:")
    print(f"  removing the top-{REMOVED} words moves the log-odds toward the other side by "
          f"mean {top_moved.mean():.3f} (median {np.median(top_moved):.3f})")
    print(f"  removing {REMOVED} random known words (seed {SEED}): mean {random_moved.mean():.3f} "
          f"(median {np.median(random_moved):.3f})")
    print(f"  top-{REMOVED} moved it more on {np.mean(top_moved > random_moved):.1%} of the reviews; "
          f"flipped the verdict's side on {np.mean(top_moved > sides * originals):.1%} "
          f"(random: {np.mean(random_moved > sides * originals):.1%})")


def _log_odds(bundle, rows: list[np.ndarray]) -> np.ndarray:
    out = []
    for start in range(0, len(rows), 256):
        out.append(bundle.calibrated_logits(bundle.raw_probabilities(pad_rows(rows[start : start + 256]))))
    return np.concatenate(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_models_dir())
    parser.add_argument("--runs", type=int, default=50, help="timed runs for the longest review")
    parser.add_argument("--reviews", type=int, default=5000, help="test reviews for additivity and faithfulness")
    args = parser.parse_args()
    from trainer.data import load_movie_reviews, split

    texts = split(load_movie_reviews(), "imdb").test.texts[: args.reviews]
    bundle = load_bundle(args.model, threads=MODEL_THREADS)  # loaded as the app loads it
    print(f"machine: {machine()}")
    print(f"model: {bundle.path} ({bundle.architecture})")
    longest_review(bundle, texts, args.runs)
    verdicts = additivity(bundle, texts)
    faithfulness(bundle, texts, verdicts)
    print(f"load average at the end: {Path('/proc/loadavg').read_text().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
