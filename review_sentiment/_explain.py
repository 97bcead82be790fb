"""What the model reads of a review, and how much each word it read moved the verdict.

Every text the app classifies goes through `read_reviews` (a pasted review, with its sentences,
through `read_review`): this is the one place that turns text into model input and asks the model
about it, so a change of encoding (say, reading a long review in windows) changes this file and
nothing else. Qt-free, TensorFlow-free.

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
from math import prod

import numpy as np

from review_sentiment._additive import LEAVE_ONE_OUT, row_sums
from review_sentiment._bundle import aligned_shape
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
    return _readings_of_runs(bundle, encoded, rows, raw, explain)


def read_review(bundle, encoded: EncodedText, *, explain: bool = True,
                company: np.ndarray | None = None) -> tuple[Reading, np.ndarray | None]:
    """`read_reviews` of one text already encoded, and the raw probabilities of `company` (rows of
    other texts: the review's sentences). Those run in the same call as the review's own rows when
    that is less work than a call of their own (`_less_work_together`): a model of dynamic length
    gives each row the same probability, bit for bit, in any batch (`ModelBundle.raw_probabilities`)."""
    exact = explain and bundle.additive is not None
    own = encoded.ids[np.newaxis, :] if exact else _rows_for(encoded, bundle, explain)
    together = company is not None and _less_work_together(bundle, own.shape, company.shape)
    batch = _stacked(own, company) if together else own
    if exact:
        probabilities, position_shares = bundle.additive.run(bundle, batch, shared_rows=1)  # the company's unused
        (reading,) = _exact_readings_of_runs(bundle, [encoded], probabilities[:1], position_shares)
    else:
        probabilities = _run_in_chunks(bundle, [batch])
        (reading,) = _readings_of_runs(bundle, [encoded], [own], probabilities[: len(own)], explain)
    if company is None:
        return reading, None
    return reading, (probabilities[len(own) :] if together else bundle.raw_probabilities(company))


# One more model call costs about as much as running this many more ids in a call (measured on
# the trigram model: ~30 us of onnxruntime's own per call, ~40 us of ours around it, ~9 ns an id).
_IDS_A_CALL_COSTS = 8192


def _less_work_together(bundle, own: tuple[int, int], company: tuple[int, int]) -> bool:
    """Rows of these two shapes are fewer ids (and calls) to run as one batch than as two. Only
    for models of dynamic length, whose rows run in blocks of `_ROW_ALIGNMENT` rows and ids."""
    if not bundle.settings.dynamic_length:
        return False
    apart = prod(aligned_shape(*own)) + prod(aligned_shape(*company)) + _IDS_A_CALL_COSTS
    return prod(aligned_shape(own[0] + company[0], max(own[1], company[1]))) <= apart


def _stacked(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """Two blocks of rows as one, each row padded with <PAD> to the wider block's width: the top
    left of <PAD> rows and places up to multiples of `_ROW_ALIGNMENT` (the view's base), which
    `aligned_rows` then runs as it is, without a copy."""
    rows, width = len(top) + len(bottom), max(top.shape[1], bottom.shape[1])
    aligned = np.zeros(aligned_shape(rows, width), dtype=np.int32)
    aligned[: len(top), : top.shape[1]] = top
    aligned[len(top) : rows, : bottom.shape[1]] = bottom
    return aligned[:rows, :width]


def _readings_of_runs(bundle, encoded: list[EncodedText], rows: list[np.ndarray], raw: np.ndarray,
                      explain: bool) -> list[Reading]:
    """Each text's reading from the raw probabilities of its rows (`_rows_for`), all texts' one after another."""
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
    readings: list[Reading] = []
    for start, end in _runs_of_rows(encoded):
        batch = pad_rows([e.ids for e in encoded[start:end]])
        readings += _exact_readings_of_runs(bundle, encoded[start:end], *bundle.additive.run(bundle, batch))
    return readings


def _exact_readings_of_runs(bundle, encoded: list[EncodedText], probabilities: np.ndarray,
                            position_shares: np.ndarray) -> list[Reading]:
    """Each text's reading from its own row's raw probability and position shares (a row per text)."""
    shares = bundle.additive
    z = shares.baseline_z + row_sums(position_shares)
    factors = shares.bend_factor(z) / bundle.temperature
    logits = shares.log_odds(z, probabilities) / bundle.temperature
    readings = []
    for e, p, row, factor, logit in zip(encoded, probabilities, position_shares, factors, logits):
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
        texts, starts, ends = head.columns
        exact = sum(1 for end in ends if end <= limit - _CUT_MARGIN)
        if exact >= settings.max_length:  # more words than fit: the row is complete and exact
            return EncodedText._of_columns(texts[:exact], starts[:exact], ends[:exact], head.token_ids[:exact],
                                           head.ids, head.kept)
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
                results.append(bundle.raw_probabilities(_joined(run)))
                run, run_rows = [], 0
            run.append(part)
            run_rows += len(part)
    results.append(bundle.raw_probabilities(_joined(run)))
    return np.concatenate(results)


def _joined(blocks: list[np.ndarray]) -> np.ndarray:
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


__all__ = ["Reading", "encode_review", "explanation_size", "read_review", "read_reviews"]
