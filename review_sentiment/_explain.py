"""What the model reads of a review, and how much each word it read moved the verdict.

Every text the app classifies goes through `read_reviews`: it is the one place that turns text
into model input and asks the model about it, so a change of encoding (say, reading a long review
in windows) changes this file and nothing else. Qt-free, TensorFlow-free.

A word's contribution is found by leaving it out: the review is re-encoded without that word and
the network is asked again, all rows in one batched onnxruntime call. The contribution is how far
the calibrated log-odds of "positive" fell without the word: above zero, the word pushed toward
positive; below, toward negative. It is exact for what the network does, whatever its architecture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from review_sentiment.encoding import EncodedText, encode, rows_without_each_word

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


def read_reviews(bundle, texts: Sequence[str], *, explain: bool = True) -> list[Reading]:
    """Encode each text, classify it and (if `explain`) weigh each word it read, in batched runs."""
    encoded = [encode_review(text, bundle) for text in texts]
    rows = [_rows_for(e, bundle, explain) for e in encoded]
    raw = _run_in_chunks(bundle, rows)
    readings, offset = [], 0
    for e, r in zip(encoded, rows):
        probabilities = raw[offset : offset + len(r)]
        offset += len(r)
        contributions = None
        if explain:
            logits = bundle.calibrated_logits(probabilities)
            contributions = logits[0] - logits[1:]
        readings.append(Reading(e, float(probabilities[0]), contributions))
    return readings


def explanation_size(text: str, bundle) -> int:
    """About how many ids explaining `text` runs through the network (a guess from its length,
    before any encoding): lets a caller show the verdict first when the explanation is large."""
    settings = bundle.settings
    words_read = min(len(text) // 6 + 1, settings.max_length - 1)
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
