"""A review sentence by sentence: each sentence classified on its own, so a mixed review shows
which part is positive and which negative. Qt-free.

A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or brackets), at a blank
line or at an HTML line break (``<br />``, which IMDB reviews use between paragraphs). Each
sentence's text goes through the model exactly as a review of its own would (one batched run).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from review_sentiment.encoding import FIRST_WORD_ID, encode_batch, words
from review_sentiment._verdict import UNCERTAIN, label_for

_SENTENCE = re.compile(r"[^.!?…\n]*(?:[.!?…]+[\"'”’)\]]*|\n|$)")
_LINE_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
# More sentences than this (a pasted book) are not listed one by one.
MAX_SENTENCES = 400


@dataclass(frozen=True)
class Sentence:
    """One sentence of the review and its own verdict."""

    start: int
    end: int
    """Where it stands in the text (Python `str` indices), surrounding spaces left out."""
    probability: float
    """Calibrated probability that this sentence alone is positive."""
    known_words: int

    def label(self, band: float) -> str:
        return UNCERTAIN if self.known_words == 0 else label_for(self.probability, band)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence holding at least one word."""
    blanked = _LINE_BREAK_TAG.sub(lambda m: "\n" + " " * (len(m.group()) - 1), text)
    spans = []
    for match in _SENTENCE.finditer(blanked):
        start, end = match.start(), match.end()
        while start < end and blanked[start].isspace():
            start += 1
        while end > start and blanked[end - 1].isspace():
            end -= 1
        if start < end and words(blanked[start:end], 1):
            spans.append((start, end))
    return spans


def classify_sentences(bundle, text: str, until: int | None = None) -> tuple[Sentence, ...]:
    """Each sentence (of the part up to `until`, where the model stopped reading) with its verdict;
    empty for a text of fewer than two sentences."""
    spans = [s for s in sentence_spans(text if until is None else text[:until])][:MAX_SENTENCES]
    if len(spans) < 2:
        return ()
    pieces = [text[start:end] for start, end in spans]
    rows = encode_batch(pieces, bundle.word_index, bundle.settings)
    probabilities = bundle.probabilities(rows)
    counts = [min(len(words(piece)), bundle.settings.max_length - 1) for piece in pieces]
    return tuple(
        Sentence(start, end, float(p), int((row[1 : 1 + count] >= FIRST_WORD_ID).sum()))
        for (start, end), p, row, count in zip(spans, probabilities, rows, counts)
    )


def mixed(sentences: Sequence[Sentence], band: float) -> bool:
    """Some sentences lean positive and others negative."""
    labels = {s.label(band) for s in sentences}
    return {"positive", "negative"} <= labels


__all__ = ["MAX_SENTENCES", "Sentence", "classify_sentences", "mixed", "sentence_spans"]
