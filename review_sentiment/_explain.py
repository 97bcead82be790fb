"""What the model reads of a review, and how much each word it read moved the verdict.

Every text the app classifies goes through `read_reviews`: it is the one place that turns text
into model input and asks the model about it, so a change of encoding (say, reading a long review
in windows) changes this file and nothing else. Qt-free, TensorFlow-free.

A contribution is in calibrated log-odds of "positive": above zero, the word pushed toward
positive; below, toward negative. Two methods, named in each `Reading.method`:

- exact (`review_sentiment._additive`), for models whose log-odds are a sum over the n-grams they
  read: one run of the review's own row gives every n-gram's exact share; a word gets the shares
  of the n-grams it is part of, split evenly among their words (their Shapley values), so
  ``baseline + sum(contributions) == log_odds``. Linear in the review's length.
- leave-one-out, for any other model (the seed network): the review is re-encoded without each
  word in turn and the network asked again, all rows in one batched onnxruntime call; a word's
  contribution is how far the log-odds fell without it. These do not add up, and the cost grows
  with the square of the length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from review_sentiment._additive import LEAVE_ONE_OUT, row_sums
from review_sentiment.encoding import EncodedText, encode, model_row, pad_rows, rows_without_each_word

# A text this many characters per model input id or longer is tokenised only as far as the model
# reads (plus a margin): a 5 MB paste is then as quick to classify as a page.
_PREFIX_CHARS_PER_ID = 24
# Cutting a text can change how its last few hundred characters tokenise (a split word, an HTML
# tag left unclosed, at most 202 characters long); words ending before this margin are unaffected.
_CUT_MARGIN = 256
# Rows per onnxruntime call when explaining many texts: bounds memory, keeps calls large.
_ROWS_PER_RUN = 8192
# Ids per onnxruntime call: a model reading 3,000 words has rows 6,000 ids wide.
_IDS_PER_RUN = 2_000_000


@dataclass(frozen=True)
class Reading:
    """One text as the model read it."""

    encoded: EncodedText
    """The words of the text (all of them, or at least all read plus one when the text is long)."""
    raw_probability: float
    """The network's probability of positive, before calibration."""
    contributions: np.ndarray | None
    """For each word read (``encoded.tokens[:encoded.kept]``): calibrated log-odds it added."""
    log_odds: float = 0.0
    """Calibrated log-odds of positive: what the shown probability is the sigmoid of."""
    baseline: float | None = None
    """Calibrated log-odds of the empty review; with exact contributions, baseline + their sum = log_odds."""
    method: str = ""
    """How the contributions were found: `EXACT`, `EXACT_BENT` or `LEAVE_ONE_OUT` (empty: not explained)."""
    pair_shares: np.ndarray | None = None
    """Exact methods, a model reading word pairs: pair ``(i, i + 1)``'s own share (0: not weighed)."""
    triple_shares: np.ndarray | None = None
    """Exact methods, a model reading word triples: triple ``(i, i + 1, i + 2)``'s own share."""


def read_reviews(bundle, texts: Sequence[str], *, explain: bool = True) -> list[Reading]:
    """Encode each text, classify it and (if `explain`) weigh each word it read, in batched runs."""
    encoded = [encode_review(text, bundle) for text in texts]
    if explain and bundle.additive is not None:
        return _exact_readings(bundle, encoded)
    rows = [_rows_for(e, bundle, explain) for e in encoded]
    raw = _run_in_chunks(bundle, rows)
    baseline = _empty_review_log_odds(bundle) if explain else None
    readings, offset = [], 0
    for e, r in zip(encoded, rows):
        probabilities = raw[offset : offset + len(r)]
        offset += len(r)
        logits = bundle.calibrated_logits(probabilities if explain else probabilities[:1])
        contributions = logits[0] - logits[1:] if explain else None
        readings.append(Reading(e, float(probabilities[0]), contributions, float(logits[0]), baseline,
                                LEAVE_ONE_OUT if explain else ""))
    return readings


def _exact_readings(bundle, encoded: list[EncodedText]) -> list[Reading]:
    """One run of each text's own row gives its probability and every position's exact share."""
    shares = bundle.additive
    readings: list[Reading] = []
    for start, end in _runs_of_rows(encoded):
        batch = pad_rows([e.ids for e in encoded[start:end]])
        probabilities, position_shares = shares.run(bundle, batch)
        z = shares.baseline_z + row_sums(position_shares)
        factors = shares.bend_factor(z) / bundle.temperature
        logits = shares.log_odds(z, probabilities) / bundle.temperature
        for e, p, row, factor, logit in zip(encoded[start:end], probabilities, position_shares, factors, logits):
            words, pairs, triples = _word_shares(row, e.kept, bundle.settings.ngrams, factor)
            readings.append(Reading(e, float(p), words, float(logit), _exact_baseline(bundle),
                                    shares.method, pairs, triples))
    return readings


def _word_shares(row: np.ndarray, kept: int, ngrams: int, factor: float):
    """Each word's contribution, and each pair's and triple's own share, from one row's position shares.

    The contract's row is <START>, the `kept` words, then (ngrams >= 2) the n-gram of each two
    neighbouring words in order, then (ngrams = 3) of each three: an n-gram's share goes in equal
    parts to its words. Returns (words, pairs or None, triples or None).
    """
    words = row[1 : 1 + kept] * factor
    pairs = triples = None
    offset = 1 + kept
    if ngrams >= 2 and kept >= 2:
        pairs = row[offset : offset + kept - 1] * factor
        words[:-1] += pairs / 2
        words[1:] += pairs / 2
    offset += max(kept - 1, 0)
    if ngrams >= 3 and kept >= 3:
        triples = row[offset : offset + kept - 2] * factor
        for start in range(3):
            words[start : kept - 2 + start] += triples / 3
    return words, pairs, triples


def _runs_of_rows(encoded: list[EncodedText]):
    """(start, end) of consecutive texts whose rows, padded to the longest, hold about _IDS_PER_RUN ids."""
    start = 0
    while start < len(encoded):
        end, widest = start, 0
        while end < len(encoded) and end - start < _ROWS_PER_RUN:
            widest_then = max(widest, len(encoded[end].ids))
            if end > start and widest_then * (end + 1 - start) > _IDS_PER_RUN:
                break
            widest, end = widest_then, end + 1
        yield start, end
        start = end


def _exact_baseline(bundle) -> float:
    shares = bundle.additive
    return float(shares.bent(shares.baseline_z)) / bundle.temperature


def _empty_review_log_odds(bundle) -> float:
    """Calibrated log-odds of a text with no words (the row of <START> alone), once per bundle."""
    cache = bundle.__dict__.setdefault("_empty_review_log_odds", [])
    if not cache:
        row, _ = model_row([], bundle.word_index, bundle.settings)
        cache.append(float(bundle.calibrated_logits(bundle.raw_probabilities(row[np.newaxis, :]))[0]))
    return cache[0]


def explanation_size(text: str, bundle) -> int:
    """About how many ids explaining `text` runs through the network (a guess from its length,
    before any encoding): lets a caller show the verdict first when the explanation is large."""
    settings = bundle.settings
    words_read = min(len(text) // 6 + 1, settings.max_length - 1)
    if bundle.additive is not None:  # exact contributions need only the text's own row
        return words_read * settings.ngrams
    return words_read * getattr(settings, "row_width", settings.max_length)


def encode_review(text: str, bundle) -> EncodedText:
    """The text encoded by the shared contract; long texts tokenised only as far as the model reads.

    The words returned for a long text are exactly the first words of ``encode(text)``: all the
    words the model reads and at least one it does not, so `truncated` is right too.
    """
    settings, index = bundle.settings, bundle.word_index
    limit = settings.max_length * _PREFIX_CHARS_PER_ID
    while limit < len(text):
        head = encode(text[:limit], index, settings)
        exact = sum(1 for token in head.tokens if token.end <= limit - _CUT_MARGIN)
        if exact >= settings.max_length:  # more words than fit: the row is complete and exact
            return EncodedText(head.tokens[:exact], head.token_ids[:exact], head.ids, head.kept)
        limit *= 4
    return encode(text, index, settings)


def _rows_for(encoded: EncodedText, bundle, explain: bool) -> np.ndarray:
    """The text's own row, then (if explaining) one row per word read with that word left out:
    the contract's `rows_without_each_word`, which holds for any encoding settings."""
    if not explain:
        return encoded.ids[np.newaxis, :]
    return rows_without_each_word(encoded.token_ids[: encoded.kept], bundle.word_index, bundle.settings)


def _run_in_chunks(bundle, rows: list[np.ndarray]) -> np.ndarray:
    """All rows through the network, in runs of at most _ROWS_PER_RUN rows and about
    _IDS_PER_RUN ids. Rows of a model with dynamic length differ in width between texts; rows
    of one width run together."""
    if not rows:
        return np.empty(0, dtype=np.float64)
    if len(rows) == 1 and rows[0].size <= _IDS_PER_RUN:
        return bundle.raw_probabilities(rows[0])
    results, run, run_rows = [], [], 0
    for block in rows:
        per_run = max(1, min(_ROWS_PER_RUN, _IDS_PER_RUN // max(1, block.shape[1])))
        for start in range(0, len(block), per_run):
            part = block[start : start + per_run]
            if run and (run_rows + len(part) > per_run or part.shape[1] != run[0].shape[1]):
                results.append(bundle.raw_probabilities(_stacked(run)))
                run, run_rows = [], 0
            run.append(part)
            run_rows += len(part)
    results.append(bundle.raw_probabilities(_stacked(run)))
    return np.concatenate(results)


def _stacked(blocks: list[np.ndarray]) -> np.ndarray:
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


__all__ = ["Reading", "encode_review", "explanation_size", "read_reviews"]
