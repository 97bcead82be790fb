"""A review sentence by sentence: each sentence classified on its own, so a mixed review shows
which part is positive and which negative. Qt-free.

A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or brackets), at a blank
line or at an HTML line break (``<br />``, which IMDB reviews use between paragraphs). Each
sentence's text goes through the model exactly as a review of its own would (one batched run).
Given the review's own encoding, a sentence's row is cut from the review's row rather than encoded
again: the same ids, since no word and no n-gram of the sentence reaches past its ends.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from review_sentiment.encoding import (
    _MOST_CHARS_IN_A_TAG, _TAG, FIRST_WORD_ID, UNK_ID, EncodedText, EncodingSettings, encode_batch, pad_rows, words,
)
from review_sentiment._verdict import UNCERTAIN, label_for

_SENTENCE = re.compile(r"[^.!?…\n]*(?:[.!?…]+[\"'”’)\]]*|\n|$)")
_LINE_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
# More sentences than this (a pasted book) are not listed one by one.
MAX_SENTENCES = 400
_LONGEST_TAG = _MOST_CHARS_IN_A_TAG + 2  # "<", the characters between, ">"


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


def classify_sentences(bundle, text: str, until: int | None = None,
                       encoded: EncodedText | None = None) -> tuple[Sentence, ...]:
    """Each sentence (of the part up to `until`, where the model stopped reading) with its verdict;
    empty for a text of fewer than two sentences. `encoded`, the text's own encoding
    (`review_sentiment._explain.encode_review`), saves encoding each sentence again."""
    spans = [s for s in sentence_spans(text if until is None else text[:until])][:MAX_SENTENCES]
    if len(spans) < 2:
        return ()
    rows, known = _sentence_rows(text, spans, encoded, bundle)
    probabilities = bundle.probabilities(rows)
    return tuple(Sentence(start, end, float(p), count)
                 for (start, end), p, count in zip(spans, probabilities.tolist(), known))


def _sentence_rows(text: str, spans: list[tuple[int, int]], encoded: EncodedText | None,
                   bundle) -> tuple[np.ndarray, list[int]]:
    """`encode_batch` of the sentences' texts, and how many words each reads that the model knows.

    A sentence's row is cut from the review's row when the words it holds alone are the review's
    words within its span: always, but where an HTML tag of the review reaches over one of its
    ends (a tag is blanked out only whole). Such a sentence, and every sentence of a review
    encoded without its `encoded`, is encoded from its own text.
    """
    settings = bundle.settings
    cut = _cut_from_review(text, spans, encoded, settings) if encoded is not None else [(None, 0)] * len(spans)
    rows, known = [row for row, _ in cut], [count for _, count in cut]
    missing = [number for number, row in enumerate(rows) if row is None]
    if missing:
        pieces = [text[spans[number][0] : spans[number][1]] for number in missing]
        for number, piece, row in zip(missing, pieces, encode_batch(pieces, bundle.word_index, settings)):
            count = min(len(words(piece)), settings.max_length - 1)
            rows[number], known[number] = row, int((row[1 : 1 + count] >= FIRST_WORD_ID).sum())
    return pad_rows(rows, None if settings.dynamic_length else settings.row_width), known


def _cut_from_review(text: str, spans: list[tuple[int, int]], encoded: EncodedText,
                     settings: EncodingSettings) -> list[tuple[np.ndarray | None, int]]:
    """For each span: the row of its words as a text of their own, cut from the review's row, and
    how many of them the model knows; (None, 0) where the review's words cannot be trusted to
    be the span's own (see `_sentence_rows`).

    The review's row is <START>, its `kept` words, then for each n-gram size from 2 the n-grams of
    neighbouring words read (`encoding.model_row`). A sentence of words ``a`` to ``b - 1`` (all
    read) has exactly words ``a:b`` and the n-grams starting from ``a`` that end before ``b``: an
    n-gram's id depends on its words' ids only.
    """
    kept = encoded.kept
    tokens = encoded.tokens[:kept]
    starts = list(map(attrgetter("start"), tokens))
    read_until = tokens[-1].end if kept else 0
    blocks, offset = [], 1  # where the review's words, pairs and triples start in its row
    for size in range(1, settings.ngrams + 1):
        blocks.append(offset)
        offset += max(kept - size + 1, 0)
    tag_starts, tag_ends = _tag_spans(text, spans[-1][1]) if "<" in text else ([], [])
    ids, token_ids = encoded.ids, encoded.token_ids
    found: list = []
    for start, end in spans:
        if end > read_until or _in_a_tag(start, tag_starts, tag_ends) or _in_a_tag(end, tag_starts, tag_ends):
            found.append((None, 0))
            continue
        first, last = bisect_left(starts, start), bisect_left(starts, end)
        if last > first and tokens[last - 1].end > end:  # never so: no word spans a sentence's end
            found.append((None, 0))
            continue
        count = last - first
        row = [ids[:1]] + [ids[block + first : block + first + max(count - size + 1, 0)]
                           for size, block in enumerate(blocks, 1)]
        found.append((np.concatenate(row), count - token_ids[first:last].count(UNK_ID)))
    return found


def _tag_spans(text: str, until: int) -> tuple[list[int], list[int]]:
    """Where the review's HTML tags that begin before `until` start and end, as the contract blanks them."""
    spans = [m.span() for m in _TAG.finditer(text, 0, until + _LONGEST_TAG)]
    return [start for start, _ in spans], [end for _, end in spans]


def _in_a_tag(edge: int, tag_starts: list[int], tag_ends: list[int]) -> bool:
    """A tag holds the characters on both sides of `edge` (tags do not overlap: the last one
    starting before it is the only one that could)."""
    last = bisect_left(tag_starts, edge) - 1
    return last >= 0 and tag_ends[last] > edge


def mixed(sentences: Sequence[Sentence], band: float) -> bool:
    """Some sentences lean positive and others negative."""
    labels = {s.label(band) for s in sentences}
    return {"positive", "negative"} <= labels


__all__ = ["MAX_SENTENCES", "Sentence", "classify_sentences", "mixed", "sentence_spans"]
