"""Variants of the trigram-nb recipe, judged on the validation part only: whole reviews, and one
window of 5-40 consecutive words of each validation review (a fixed seed; the review's label).
Prints one JSON line per epoch and writes build/variant_TAG.json. The runs behind the table
"Short texts" of docs/better-model.md:

    uv run --group train python benchmarks/model_variants.py --tag recipe --swa
    uv run --group train python benchmarks/model_variants.py --tag crops --crop-p 0.25
    uv run --group train python benchmarks/model_variants.py --tag dropout --dropout 0.3 --batch 128
    uv run --group train python benchmarks/model_variants.py --tag half0 --swa --epochs 18 --crossfit 0
    uv run --group train python benchmarks/model_variants.py --tag dump --swa --epochs 15 --patience 99 --dump
    uv run --group train python benchmarks/length_shift.py build/variant_dump_z.npz
    uv run --group train python benchmarks/model_variants.py --tag wd --weight-decay 0.01 --swa --epochs 15 --patience 99 --dump
    uv run --group train python benchmarks/model_variants.py --tag w8 --swa --epochs 15 --patience 99 --save-weights
    uv run python benchmarks/table_variants.py build/variant_w8_weights.npz

--swa also scores, from epoch 8, the mean of the last 3, 5, 8 and 12 epochs' weights (with the
temperature fitted on validation for each); --dump saves, with the recipe's averaged weights, each
validation review's and window's raw log-odds and positions read (build/variant_TAG_z.npz, for
benchmarks/length_shift.py); --crossfit K trains on the training part and
validation half K (a fixed shuffle, seed 7) and scores the other half.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from trainer.optimizers import without_fused_multiply_add

without_fused_multiply_add()

from review_sentiment.encoding import build_word_index, _batch_word_ids, _ragged_rows  # noqa: E402
from trainer import data as D  # noqa: E402
from trainer.architectures import RECIPES  # noqa: E402
from trainer.train import TrainOptions  # noqa: E402
from review_sentiment import bundle_format as fmt  # noqa: E402
import dataclasses  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--tag", required=True)
p.add_argument("--crop-p", type=float, default=0.0)
p.add_argument("--crop-min", type=int, default=5)
p.add_argument("--crop-max", type=int, default=40)
p.add_argument("--dropout", type=float, default=0.0)
p.add_argument("--lr", type=float, default=None)
p.add_argument("--smoothing", type=float, default=None)
p.add_argument("--epochs", type=int, default=30)
p.add_argument("--patience", type=int, default=3)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--weight-decay", type=float, default=None, help="Adam's decoupled weight decay (AdamW)")
p.add_argument("--dump", action="store_true", help="save each validation review's and window's log-odds")
p.add_argument("--swa", action="store_true", help="also score averages of the last K epochs' weights")
p.add_argument("--save-weights", action="store_true",
               help="save the recipe's (averaged) weights, NB ratios, bias, the training ids' review counts and "
                    "the validation rows (build/variant_TAG_weights.npz, for benchmarks/table_variants.py)")
p.add_argument("--crossfit", type=int, choices=(0, 1), default=None,
               help="train on train + validation half K for --epochs (no early stopping); score the other half")
args = p.parse_args()

recipe = RECIPES["trigram-nb"]
changes = {"dropout": args.dropout}
if args.lr is not None:
    changes["learning_rate"] = args.lr
if args.smoothing is not None:
    changes["nb_smoothing"] = args.smoothing
recipe = dataclasses.replace(recipe, **changes)
settings = TrainOptions(arch="trigram-nb").settings()
split = D.split(D.load_movie_reviews(), "imdb")
train, val = split.train, split.validation
if args.crossfit is not None:
    order = np.random.default_rng(7).permutation(len(val))
    halves = (np.sort(order[: len(val) // 2]), np.sort(order[len(val) // 2 :]))
    held, added = halves[1 - args.crossfit], halves[args.crossfit]

    def pick(part, rows):
        return type(part)([part.texts[i] for i in rows], part.labels[rows])

    train, val = train + pick(val, added), pick(val, held)
index = build_word_index(train.texts, settings)


def word_ids(texts):
    flat, counts = _batch_word_ids(texts, index, settings)
    starts = np.cumsum(counts) - counts
    return [flat[s : s + c] for s, c in zip(starts, counts)]


def rows_of(id_lists):
    counts = np.array([len(x) for x in id_lists], dtype=np.int64)
    flat = np.concatenate(id_lists) if id_lists else np.zeros(0, np.int64)
    rows, lengths = _ragged_rows(flat, counts, index, settings)
    return np.split(rows, np.cumsum(lengths)[:-1])


def window(ids, rng, lo, hi):
    n = len(ids)
    if n <= lo:
        return ids
    length = int(rng.integers(lo, min(hi, n) + 1))
    start = int(rng.integers(0, n - length + 1))
    return ids[start : start + length]


train_ids, val_ids = word_ids(train.texts), word_ids(val.texts)
train_rows, val_rows = rows_of(train_ids), rows_of(val_ids)
rng7 = np.random.default_rng(7)
crop_rows = rows_of([window(x, rng7, 5, 40) for x in val_ids])

import keras  # noqa: E402
from review_sentiment.encoding import pad_rows  # noqa: E402
from trainer.architectures import build_model  # noqa: E402
from trainer.batches import PaddedBatches  # noqa: E402

keras.utils.set_random_seed(42)


class CroppedBatches(PaddedBatches):
    def __init__(self, *a, crop_p=0.0, **k):
        self.crop_p = crop_p
        self.crop_rng = np.random.default_rng(1234)
        self.full = None
        super().__init__(*a, **k)
        self.full = list(self.rows)
        self._crop()

    def _crop(self):
        if not self.crop_p or self.full is None:
            return
        chosen = np.where(self.crop_rng.random(len(self.full)) < self.crop_p)[0]
        crops = rows_of([window(train_ids[i], self.crop_rng, args.crop_min, args.crop_max) for i in chosen])
        self.rows = list(self.full)
        for i, r in zip(chosen, crops):
            self.rows[i] = r

    def on_epoch_end(self):
        super().on_epoch_end()
        self._crop()


model = build_model(recipe, settings, train_rows, train.labels)
if args.weight_decay is not None:
    model.optimizer.weight_decay = args.weight_decay  # Keras applies it before each step (decoupled)


def bce(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


log = []
snapshots = []


def scores():
    from trainer import metrics
    pv = model.predict(PaddedBatches(val_rows, None, 512), verbose=0).reshape(-1)
    pc = model.predict(PaddedBatches(crop_rows, None, 512), verbose=0).reshape(-1)
    return {"val_loss": bce(val.labels, pv), "val_acc": float(((pv > 0.5) == val.labels).mean()),
            "crop_loss": bce(val.labels, pc), "crop_acc": float(((pc > 0.5) == val.labels).mean()),
            "temperature": float(metrics.fit_temperature(val.labels, pv))}


class Crops(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        p = model.predict(PaddedBatches(crop_rows, None, 512), verbose=0).reshape(-1)
        entry = {"epoch": epoch + 1, "val_loss": float(logs["val_loss"]), "val_acc": float(logs["val_accuracy"]),
                 "crop_loss": bce(val.labels, p), "crop_acc": float(((p > 0.5) == val.labels).mean()),
                 "t": time.time()}
        if args.crossfit is not None:
            from trainer import metrics
            pv = model.predict(PaddedBatches(val_rows, None, 512), verbose=0).reshape(-1)
            entry["temperature"] = float(metrics.fit_temperature(val.labels, pv))
            entry["steps"] = (epoch + 1) * -(-len(train_rows) // args.batch)
        if args.swa:
            snapshots.append([v.numpy().copy() for v in model.trainable_variables])
            current = snapshots[-1]
            for k in (3, 5, 8, 12):
                if epoch + 1 < 8 or k > len(snapshots):
                    continue
                for v, values in zip(model.trainable_variables, zip(*snapshots[-k:])):
                    v.assign(np.mean(values, axis=0))
                entry[f"swa{k}"] = scores()
            for v, values in zip(model.trainable_variables, current):
                v.assign(values)
        log.append(entry)
        print(json.dumps(entry), flush=True)


t0 = time.time()
model.fit(CroppedBatches(train_rows, train.labels, args.batch, seed=42, crop_p=args.crop_p), epochs=args.epochs,
          validation_data=PaddedBatches(val_rows, val.labels, 512),
          callbacks=[Crops()] + ([] if args.crossfit is not None else [keras.callbacks.EarlyStopping(
              monitor="val_loss", patience=args.patience, restore_best_weights=True)]), verbose=0)
best = min(log, key=lambda e: e["val_loss"])
result = {"tag": args.tag, "args": vars(args), "best": best, "log": log, "seconds": time.time() - t0}
print("RESULT", json.dumps({"tag": args.tag, "best": best, "seconds": round(time.time() - t0)}), flush=True)
Path(__file__).resolve().parents[1].joinpath("build").mkdir(exist_ok=True)
with open(Path(__file__).resolve().parents[1] / "build" / f"variant_{args.tag}.json", "w") as f:
    json.dump(result, f, indent=1)


def use_the_recipes_average():
    """With --swa, put the mean of the last `average_last_epochs` epochs' weights into the model."""
    if args.swa:
        k = min(recipe.average_last_epochs or 8, len(snapshots))
        for v, values in zip(model.trainable_variables, zip(*snapshots[-k:])):
            v.assign(np.mean(values, axis=0))


if args.dump:
    # The weights of the recipe (the mean of the last `average_last_epochs` epochs, with --swa) and,
    # for each validation review and window, its raw log-odds and the positions it read.
    from trainer.architectures import network_with_shares
    use_the_recipes_average()
    with_shares = network_with_shares(model)
    rng8 = np.random.default_rng(8)
    fit_rows = rows_of([window(x, rng8, 5, 40) for x in val_ids])
    dumped = {}
    for name, rows in (("whole", val_rows), ("windows", crop_rows), ("fit_windows", fit_rows)):
        probability, shares = with_shares.predict(PaddedBatches(rows, None, 512), verbose=0)
        probability = probability.reshape(-1).astype(np.float64)
        dumped[name + "_z"] = np.log(probability) - np.log1p(-probability)
        dumped[name + "_n"] = np.array([int((r > 1).sum()) for r in rows])
    dumped["labels"] = val.labels
    np.savez(Path(__file__).resolve().parents[1] / "build" / f"variant_{args.tag}_z.npz", **dumped)


if args.save_weights:
    use_the_recipes_average()
    present = {1: np.zeros(settings.vocab_size, np.int32), 0: np.zeros(settings.vocab_size, np.int32)}
    for row, label in zip(train_rows, train.labels):
        present[int(label)][np.unique(row)] += 1
    saved = {"weights": model.get_layer("weights").get_weights()[0].reshape(-1),
             "ratios": model.get_layer("naive_bayes_ratios").get_weights()[0].reshape(-1),
             "bias": model.get_layer(fmt.OUTPUT_NAME).get_weights()[0],
             "positive_reviews": present[1], "negative_reviews": present[0], "labels": val.labels,
             "ngram_buckets": settings.ngram_buckets}
    windows = {}
    for seed in (7, 8, 9, 10, 11):
        rng = np.random.default_rng(seed)
        windows[seed] = rows_of([window(x, rng, 5, 40) for x in val_ids])
    for name, rows in [("whole", val_rows)] + [(f"windows{s}", r) for s, r in windows.items()]:
        saved[name + "_flat"] = np.concatenate(rows)
        saved[name + "_lengths"] = np.array([len(r) for r in rows])
    np.savez(Path(__file__).resolve().parents[1] / "build" / f"variant_{args.tag}_weights.npz", **saved)
