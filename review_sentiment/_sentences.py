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

import numpy as np

from review_sentiment.encoding import (
    _MOST_CHARS_IN_A_TAG, _TAG, FIRST_WORD_ID, UNK_ID, EncodedText, EncodingSettings, encode_batch, pad_rows, words,
)
from review_sentiment._verdict import UNCERTAIN, label_for

_SENTENCE = re.compile(r"[^.!?…\n]*(?:[.!?…]+[\"'”’)\]]*|\n|$)")
_LINE_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ASCII_WORD_CHARACTER = re.compile(r"[A-Za-z0-9]")
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
    blanked = _LINE_BREAK_TAG.sub(lambda m: "\n" + " " * (len(m.group()) - 1), text) if "<" in text else text
    # In ASCII text without tags, a piece holds a word exactly when it holds a letter or digit.
    plain = "<" not in blanked and blanked.isascii()
    spans = []
    for match in _SENTENCE.finditer(blanked):
        start, end = match.span()
        while start < end and blanked[start].isspace():
            start += 1
        while end > start and blanked[end - 1].isspace():
            end -= 1
        if start < end and (_ASCII_WORD_CHARACTER.search(blanked, start, end) if plain else words(blanked[start:end], 1)):
            spans.append((start, end))
    return spans


def classify_sentences(bundle, text: str, until: int | None = None,
                       encoded: EncodedText | None = None) -> tuple[Sentence, ...]:
    """Each sentence (of the part up to `until`, where the model stopped reading) with its verdict;
    empty for a text of fewer than two sentences. `encoded`, the text's own encoding
    (`review_sentiment._explain.encode_review`), saves encoding each sentence again."""
    spans = sentences_read(text, until)
    if len(spans) < 2:
        return ()
    rows, known = sentence_rows(text, spans, encoded, bundle)
    return sentence_verdicts(spans, bundle.probabilities(rows), known)


def sentences_read(text: str, until: int | None = None) -> list[tuple[int, int]]:
    """The spans of the sentences listed one by one: those of the part up to `until`, at most `MAX_SENTENCES`."""
    return sentence_spans(text if until is None else text[:until])[:MAX_SENTENCES]


def sentence_verdicts(spans: list[tuple[int, int]], probabilities: np.ndarray, known: list[int]) -> tuple[Sentence, ...]:
    """The sentences of `spans`, given the calibrated probability of each and how many words of it the model knows."""
    return tuple(map(Sentence, *zip(*spans), probabilities.tolist(), known))


def sentence_rows(text: str, spans: list[tuple[int, int]], encoded: EncodedText | None,
                   bundle) -> tuple[np.ndarray, list[int]]:
    """`encode_batch` of the sentences' texts, and how many words each reads that the model knows.

    A sentence's row is cut from the review's row when the words it holds alone are the review's
    words within its span: always, but where an HTML tag of the review reaches over one of its
    ends (a tag is blanked out only whole). Such a sentence, and every sentence of a review
    encoded without its `encoded`, is encoded from its own text.
    """
    settings = bundle.settings
    width = None if settings.dynamic_length else settings.row_width
    if encoded is None:
        every: list = [None] * len(spans)
        missing, known = list(range(len(spans))), [0] * len(spans)
    else:
        cut, rows, lengths, known = _cut_from_review(text, spans, encoded, settings)
        missing = np.flatnonzero(~cut).tolist()
        if not missing:
            return (rows if width is None or rows.shape[1] == width else pad_rows(rows, width)), known
        every = [rows[number, :length] for number, length in enumerate(lengths)]
    pieces = [text[spans[number][0] : spans[number][1]] for number in missing]
    for number, piece, row in zip(missing, pieces, encode_batch(pieces, bundle.word_index, settings)):
        count = min(len(words(piece)), settings.max_length - 1)
        every[number], known[number] = row, int((row[1 : 1 + count] >= FIRST_WORD_ID).sum())
    return pad_rows(every, width), known


def _cut_from_review(text: str, spans: list[tuple[int, int]], encoded: EncodedText,
                     settings: EncodingSettings) -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
    """For each span: whether its row can be cut from the review's row (not where the review's
    words cannot be trusted to be the span's own, see `sentence_rows`), and the rows so cut, as
    one array padded with <PAD> to the longest (<START> alone for a span not cut), their lengths and
    how many of their words the model knows (0 for a span not cut).

    The review's row is <START>, its `kept` words, then for each n-gram size from 2 the n-grams of
    neighbouring words read (`encoding.model_row`). A sentence of words ``a`` to ``b - 1`` (all
    read) has exactly words ``a:b`` and the n-grams starting from ``a`` that end before ``b``: an
    n-gram's id depends on its words' ids only. All rows are gathered from the review's in one pass.
    """
    kept, ngrams = encoded.kept, settings.ngrams
    _, starts, ends = encoded.columns
    starts, token_ids = starts[:kept], encoded.token_ids
    read_until = ends[kept - 1] if kept else 0
    tag_starts, tag_ends = _tag_spans(text, spans[-1][1]) if "<" in text else ([], [])
    cut, firsts, counts, known = [], [], [], []
    for start, end in spans:
        first, last = bisect_left(starts, start), bisect_left(starts, end)
        trusted = (end <= read_until and not _in_a_tag(start, tag_starts, tag_ends)
                   and not _in_a_tag(end, tag_starts, tag_ends)
                   and not (last > first and ends[last - 1] > end))  # never so: no word spans a sentence's end
        cut.append(trusted)
        firsts.append(first)
        counts.append(last - first if trusted else 0)
        known.append(last - first - token_ids[first:last].count(UNK_ID) if trusted else 0)
    rows, lengths = _gathered(encoded.ids, kept, ngrams, np.array(firsts), np.array(counts))
    return np.array(cut), rows, lengths, known


def _gathered(ids: np.ndarray, kept: int, ngrams: int, firsts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """The rows of the texts of `counts` words from `firsts` on, of a text whose row (of `kept`
    words) is `ids`, in one array padded with <PAD>, and the length of each: row i is runs of
    `ids`: <START>, then words ``firsts[i]:firsts[i] + counts[i]``, their pairs, their triples."""
    sizes = np.maximum(counts[:, np.newaxis] - np.arange(-1, ngrams), 0)
    sizes[:, 0] = 1
    blocks = np.concatenate([[0, 1], 1 + np.cumsum(np.maximum(kept - np.arange(ngrams - 1), 0))])
    run_starts = blocks + firsts[:, np.newaxis]
    run_starts[:, 0] = 0
    run_sizes = sizes.ravel()
    run_ends = np.cumsum(run_sizes)
    taken = ids[np.repeat(run_starts.ravel() - (run_ends - run_sizes), run_sizes) + np.arange(run_ends[-1])]
    lengths = sizes.sum(axis=1)
    rows = np.zeros((len(counts), int(lengths.max())), dtype=np.int32)
    rows[np.arange(rows.shape[1]) < lengths[:, np.newaxis]] = taken  # row by row, as `taken` holds them
    return rows, lengths.tolist()


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


__all__ = ["MAX_SENTENCES", "Sentence", "classify_sentences", "mixed", "sentence_rows", "sentence_spans", "sentence_verdicts",
           "sentences_read"]
