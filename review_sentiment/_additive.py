"""Exact shares of the log-odds, one per id a model reads, for models whose log-odds are a sum.

A model is additive when its log-odds are ``z = z0 + sum of one share per id read``, where `z0` is
what the empty review (the row ``[<START>]``) gets. Then an explanation needs no extra rows: each
n-gram's share is exact, and a word's contribution is the sum of the shares of the n-grams it is
part of, each split evenly among its words (the Shapley value of that sum). Two kinds qualify:

- a model with a second ONNX output ``ngram_log_odds`` (the new default, docs/bundle-format.md):
  its shares come straight out of the model, with the probability, in the same run;
- ``bigram-nb``: a sum of per-id weights bent as ``B * tanh(z / B)`` before the sigmoid. Each id's
  share of `z` is measured through the ONNX model itself, once, by running ``[<START>, id]``
  against ``[<START>]`` and undoing the bend. The bend is not a sum; `bend_factor` spreads it over
  the shares in proportion (one factor per review), so the contributions still add up exactly to
  the calibrated log-odds, and the app says so.

`for_bundle` checks the claim on the bundle's own samples (samples.jsonl) before anything relies
on it; a model that fails the check, or is of another kind (the seed network), is explained by
leaving one word out at a time instead (`review_sentiment._explain`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from review_sentiment import bundle_format as fmt
from review_sentiment.encoding import PAD_ID, START_ID, encode_batch

# Architectures whose log-odds are a sum bent by B * tanh(z / B), with their B (trainer/architectures.py).
BENT_SUMS = {"bigram-nb": 12.0}
# The check at load: baseline + sum of contributions must give the model's calibrated log-odds to this.
ADDITIVITY_TOLERANCE = 1e-6
_SAMPLES_CHECKED = 50
# onnxruntime's float64 sigmoid is good to about this, absolutely, near 0 and 1.
PROBABILITY_PRECISION = 1e-15

EXACT = "exact"
"""The contributions are each n-gram's exact share of the log-odds (Shapley split among its words)."""
EXACT_BENT = "exact, bend shared"
"""Exact shares of the model's sum; its final bend spread over them in proportion."""
LEAVE_ONE_OUT = "leave-one-out"
"""Each word's contribution is how far the log-odds fall without it (the model is not a sum)."""


@dataclass(frozen=True)
class AdditiveShares:
    """How to get a bundle's exact shares: from its second output, or from a per-id table."""

    per_id: np.ndarray | None
    """bigram-nb: each id's share of z (0 for <PAD> and <START>); None: the model outputs its shares."""
    bend: float | None
    """B of the bend ``B * tanh(z / B)`` applied to the sum before the sigmoid; None: no bend."""
    baseline_z: float
    """z of the empty review ``[<START>]``, before the bend and the temperature."""

    @property
    def method(self) -> str:
        return EXACT if self.bend is None else EXACT_BENT

    def run(self, bundle, rows: np.ndarray, *, shared_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Raw probability of each row and each position's share of z (float64, like the rows):
        of every row, or of the first `shared_rows` only (the app's review, whose sentences ride
        along for their probabilities alone). The output is checked whole for its shape, and the
        shares returned for being finite."""
        rows = rows.astype(np.int32, copy=False)
        shared = len(rows) if shared_rows is None else min(shared_rows, len(rows))
        if self.per_id is not None:
            return bundle.raw_probabilities(rows), self.per_id[rows[:shared]]
        # As `ModelBundle.raw_probabilities` runs them: rows of dynamic length padded with <PAD>
        # to a multiple of 8 rows and ids (`aligned_rows`), so a row gets the very probability plain
        # classification gives it (bit for bit, in any batch); <PAD> places get a share of 0.
        given, width = len(rows), rows.shape[1]
        if bundle.settings.dynamic_length:
            rows = _bundle.aligned_rows(rows)
        doubled = len(rows) == 1  # one row takes another onnxruntime kernel: run it as a pair
        batch = np.repeat(rows, 2, axis=0) if doubled else rows

        probability, shares = _bundle.run_outputs(bundle.session, bundle.path, batch, bundle.run_seconds,
                                                  [fmt.OUTPUT_NAME, fmt.CONTRIBUTIONS_NAME])
        probability = _bundle._checked_probabilities(bundle.path, probability, len(batch))
        if not isinstance(shares, np.ndarray) or shares.shape != batch.shape:
            raise _bundle.ModelRunError(bundle.path, _not_shares(batch), _bundle._PICK_ANOTHER)
        shares = shares[:shared, :width]
        if not np.isfinite(shares).all():
            raise _bundle.ModelRunError(bundle.path, _not_shares(batch), _bundle._PICK_ANOTHER)
        return probability[:given], shares.astype(np.float64)

    def log_odds(self, z: np.ndarray, probability: np.ndarray) -> np.ndarray:
        """The model's log-odds, before the temperature, for sums z and the probabilities it output.

        Without a bend: z itself, the sum the model's second output gives. Its probability output
        cannot say more: onnxruntime's sigmoid loses relative precision far in the tails (a
        probability of 6.5e-11 comes out 1e-6 off, in relative terms), so log(p / (1 - p)) would
        be off by 1e-6 there while the sum is exact. With a bend (at most B, so p stays within
        [6e-6, 1 - 6e-6] where it is precise): log(p / (1 - p)), what the sigmoid was given.
        """
        return np.asarray(z, dtype=np.float64) if self.bend is None else raw_log_odds(probability)

    def bent(self, z: np.ndarray | float) -> np.ndarray | float:
        """The log-odds the sigmoid gets for a sum z: z itself, or B * tanh(z / B)."""
        return z if self.bend is None else self.bend * np.tanh(np.asarray(z) / self.bend)

    def bend_factor(self, z: np.ndarray) -> np.ndarray:
        """(bent(z) - bent(z0)) / (z - z0): what every share of a review with sum z is scaled by so
        that they add up to the bent log-odds (the slope of the bend where z is close to z0)."""
        z = np.asarray(z, dtype=np.float64)
        if self.bend is None:
            return np.ones_like(z)
        moved = z - self.baseline_z
        close = np.abs(moved) < 1e-9
        slope = 1.0 - np.tanh(z / self.bend) ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = (self.bent(z) - self.bent(self.baseline_z)) / moved
        return np.where(close, slope, factor)


def row_sums(position_shares: np.ndarray) -> np.ndarray:
    """Each row's sum of shares, added left to right: the <PAD> places after a row's end add 0.0,
    which changes nothing, so a review's sum (its z) is the same bit for bit in a batch of any
    width, alone or not. numpy's own sum adds in pairs whose grouping follows the row's width."""
    if position_shares.shape[1] == 0:
        return np.zeros(len(position_shares), dtype=np.float64)
    return np.cumsum(position_shares, axis=1)[:, -1]


def _not_shares(batch: np.ndarray) -> str:
    return f"its output {fmt.CONTRIBUTIONS_NAME} is not one finite number per id read ([{len(batch)}, {batch.shape[1]}])"


def raw_log_odds(probability: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)) in float64, unclipped: what the model's sigmoid was given."""
    p = np.asarray(probability, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def for_bundle(bundle, samples: list[str] | None = None) -> AdditiveShares | None:
    """The bundle's exact shares if it is additive and passes the check on its samples, else None."""
    outputs = {o.name for o in bundle.session.get_outputs()}
    if fmt.CONTRIBUTIONS_NAME in outputs:
        candidate = _from_output(bundle)
    elif bundle.architecture in BENT_SUMS and bundle.settings.dynamic_length:
        candidate = _from_table(bundle, BENT_SUMS[bundle.architecture])
    else:
        return None
    texts = samples if samples is not None else _sample_texts(bundle)
    worst = additivity_error(bundle, candidate, texts)
    return candidate if worst <= ADDITIVITY_TOLERANCE else None


def _from_output(bundle) -> AdditiveShares:
    probe = AdditiveShares(per_id=None, bend=None, baseline_z=0.0)
    probability, _ = probe.run(bundle, np.array([[START_ID]], dtype=np.int32))
    return AdditiveShares(per_id=None, bend=None, baseline_z=float(raw_log_odds(probability)[0]))


def _from_table(bundle, bend: float) -> AdditiveShares:
    """Each id's share of z, from one run of the rows ``[<START>, id]`` for every id (about 16 ms
    for 100,000 ids); the bend undone with atanh. Row ``[<START>, <PAD>]`` is the empty review."""
    size = bundle.settings.vocab_size
    rows = np.zeros((size, 2), dtype=np.int32)
    rows[:, 0] = START_ID
    rows[:, 1] = np.arange(size)
    bent_log_odds = np.clip(raw_log_odds(bundle.raw_probabilities(rows)), -bend, bend)
    z = bend * np.arctanh(bent_log_odds / bend)
    per_id = z - z[PAD_ID]
    per_id[[PAD_ID, START_ID]] = 0.0
    return AdditiveShares(per_id=per_id, bend=bend, baseline_z=float(z[PAD_ID]))


def additivity_error(bundle, shares: AdditiveShares, texts: list[str]) -> float:
    """The largest |baseline + sum of contributions - calibrated log-odds of the probability the
    model output| over `texts`, where that probability can tell (see `PROBABILITY_PRECISION`)."""
    if not texts:
        return 0.0
    rows = encode_batch(texts, bundle.word_index, bundle.settings)
    probability, position_shares = shares.run(bundle, rows)
    z = shares.baseline_z + row_sums(position_shares)
    added = shares.bent(z) / bundle.temperature
    error = np.abs(added - raw_log_odds(probability) / bundle.temperature)
    # Far in the tails the output probability holds the log-odds only to about 1e-16 / p.
    resolvable = PROBABILITY_PRECISION / np.minimum(probability, 1 - probability) < ADDITIVITY_TOLERANCE
    return float(np.max(np.where(resolvable, error, 0.0)))


def _sample_texts(bundle) -> list[str]:
    """The texts of the bundle's samples.jsonl, or (without one) a few rows of its own words."""
    path = bundle.folder / fmt.SAMPLES_JSONL
    texts: list[str] = []
    try:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                if isinstance(record, dict) and isinstance(record.get("text"), str):
                    texts.append(record["text"])
                if len(texts) == _SAMPLES_CHECKED:
                    break
    except (OSError, ValueError):
        texts = []
    if texts:
        return texts
    words = [w for w in bundle.word_index.words[:2000] if " " not in w]
    chooser = np.random.default_rng(0)
    return [" ".join(chooser.choice(words, 40)) for _ in range(8)] if words else []


__all__ = ["AdditiveShares", "EXACT", "EXACT_BENT", "LEAVE_ONE_OUT", "additivity_error", "for_bundle",
           "raw_log_odds"]


# Last: `_bundle` imports this module for `AdditiveShares` (defined above by then), and `run` uses
# `_bundle`'s model call and checks (imported once here, not on every call: PySide6 hooks imports).
from review_sentiment import _bundle  # noqa: E402
