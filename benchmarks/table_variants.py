"""Changes to a trained trigram-nb table, judged on the validation part only: whole validation
reviews and windows of 5-40 of their words (five seeds), from what
`benchmarks/model_variants.py --swa --save-weights` saved (build/variant_TAG_weights.npz):

    uv run --group train python benchmarks/model_variants.py --tag w8 --swa --epochs 15 --patience 99 --save-weights
    uv run python benchmarks/table_variants.py build/variant_w8_weights.npz

Each variant's log-odds are bias + sum(table[id]) / sqrt(n) over the counted positions, as the
network computes them, divided by a temperature fitted on the whole validation reviews (as
`python -m trainer --no-refit` fits it) before the windows are scored. The rows behind the table
"Pulled toward naive Bayes" of docs/better-model.md; the recipe's choice (trainer/architectures.py):
the most windows read right with the whole reviews' log-loss within 0.001 of the recipe's.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from review_sentiment.encoding import PAD_ID, START_ID  # noqa: E402

WINDOW_SEEDS = (7, 8, 9, 10, 11)


def log_odds(table, flat, lengths, bias):
    counted = flat > START_ID
    values = np.where(counted, table[flat].astype(np.float64), 0.0)
    ends = np.cumsum(lengths)
    sums = np.add.reduceat(values, ends - lengths) if len(flat) else np.zeros(0)
    n = np.maximum(np.add.reduceat(counted.astype(np.float64), ends - lengths), 1.0)
    return bias + sums / np.sqrt(n)


def fit_temperature(z, y):
    def loss(log_t):
        return bce(z / np.exp(log_t), y)

    return float(np.exp(minimize_scalar(loss, bounds=(-3, 3), method="bounded").x))


def bce(z, y):
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def score(table, data, bias):
    y = data["labels"].astype(np.float64)
    whole = log_odds(table, data["whole_flat"], data["whole_lengths"], bias)
    t = fit_temperature(whole, y)
    result = {"temperature": t, "whole_acc": float(((whole > 0) == y).mean()), "whole_loss": bce(whole / t, y)}
    accs, losses, positive = [], [], []
    for seed in WINDOW_SEEDS:
        z = log_odds(table, data[f"windows{seed}_flat"], data[f"windows{seed}_lengths"], bias) / t
        accs.append(float(((z > 0) == y).mean()))
        losses.append(bce(z, y))
        positive.append(float((z > 0).mean()))
    result.update(windows_acc=float(np.mean(accs)), windows_acc_seeds=accs, windows_loss=float(np.mean(losses)),
                  windows_positive=float(np.mean(positive)))
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("weights", type=Path)
    args = parser.parse_args()
    data = dict(np.load(args.weights))
    w, r, bias = data["weights"].astype(np.float64), data["ratios"].astype(np.float64), float(data["bias"][0])
    reviews = data["positive_reviews"] + data["negative_reviews"]
    first_ngram = len(w) - int(data["ngram_buckets"])
    table = w * r
    variants = {"as trained": table}
    for k in (2, 3, 5):
        variants[f"n-grams in < {k} training reviews left out"] = np.where(
            (np.arange(len(w)) >= first_ngram) & (reviews < k), 0.0, table)
        variants[f"all ids in < {k} training reviews left out"] = np.where(reviews < k, 0.0, table)
    read = reviews > 0
    read[[PAD_ID, START_ID]] = False  # never counted, never trained
    mean_size = float(np.mean(np.abs(w[read])))
    for c in (1, 2, 5):
        variants[f"shrunk by count / (count + {c})"] = table * reviews / (reviews + c)
    is_word = np.arange(len(w)) < first_ngram
    for scale in (0.8, 1.25, 1.5, 2.0):
        variants[f"words' weights x {scale}"] = np.where(is_word, table * scale, table)
    for beta in (1.0, 0.9, 0.8, 0.75, 0.7, 0.6, 0.5):
        variants[f"NB interpolation beta {beta}"] = np.where(read, r * (beta * w + (1 - beta) * mean_size), 0.0)
    for name, t in list(variants.items()):
        print(json.dumps({"variant": name, "bias": bias, **score(t, data, bias)}), flush=True)
        if name.startswith("NB interpolation"):
            print(json.dumps({"variant": name + ", bias 0", "bias": 0.0, **score(t, data, 0.0)}), flush=True)


if __name__ == "__main__":
    main()
