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

from review_encoding import PAD_ID, EncodedText, encode

# A text this many characters per model input id or longer is tokenised only as far as the model
# reads (plus a margin): a 5 MB paste is then as quick to classify as a page.
_PREFIX_CHARS_PER_ID = 24
# Cutting a text can change how its last few hundred characters tokenise (a split word, an HTML
# tag left unclosed, at most 202 characters long); words ending before this margin are unaffected.
_CUT_MARGIN = 256
# Rows per onnxruntime call when explaining many texts: bounds memory, keeps calls large.
_ROWS_PER_RUN = 8192


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
    rows = [_rows_for(e, bundle.settings, explain) for e in encoded]
    raw = _run_in_chunks(bundle, rows)
    readings, offset = [], 0
    for e, r in zip(encoded, rows):
        probabilities = raw[offset : offset + len(r)]
        offset += len(r)
        contributions = None
        if explain:
            logits = _calibrated_logit(probabilities, bundle.temperature)
            contributions = logits[0] - logits[1:]
        readings.append(Reading(e, float(probabilities[0]), contributions))
    return readings


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


def _rows_for(encoded: EncodedText, settings, explain: bool) -> np.ndarray:
    """The text's own row, then (if explaining) one row per word read with that word left out.

    Row ``1 + i`` equals ``pad_truncate(read[:i] + read[i + 1:], settings)`` where ``read`` is the
    ids of the words read (tested); it is built by shifting the text's own row, since calling
    `pad_truncate` 255 times would take longer than running the network on all the rows.
    """
    if not explain:
        return encoded.ids[np.newaxis, :]
    own = encoded.ids
    padded = np.append(own, np.int32(PAD_ID))
    columns = np.arange(len(own))
    # Leaving out word i (at column 1 + i): columns from 1 + i on take the next column's id.
    left_out = np.arange(1, encoded.kept + 1)[:, np.newaxis]
    shifted = padded[columns + (columns >= left_out)]
    return np.concatenate([own[np.newaxis, :], shifted]).astype(np.int32, copy=False)


def _run_in_chunks(bundle, rows: list[np.ndarray]) -> np.ndarray:
    if not rows:
        return np.empty(0, dtype=np.float64)
    if len(rows) == 1:
        return bundle.raw_probabilities(rows[0])
    stacked = np.concatenate(rows)
    return np.concatenate([
        bundle.raw_probabilities(stacked[start : start + _ROWS_PER_RUN])
        for start in range(0, len(stacked), _ROWS_PER_RUN)
    ])


def _calibrated_logit(raw: np.ndarray, temperature: float) -> np.ndarray:
    p = np.clip(raw, 1e-7, 1 - 1e-7)
    return (np.log(p) - np.log1p(-p)) / temperature


__all__ = ["Reading", "encode_review", "read_reviews"]
