"""Explanations for many reviews at once, for `classify --explain`: each review's log-odds, the
empty review's (the baseline) and every word read with its span and contribution.

The same numbers as the single-review view (`review_sentiment._explain`), found faster: the
rows are the batch rows `encode_batch` gives (those plain classification runs), and the words'
spans in ASCII texts are found for the whole batch at once with array operations, by the
contract's rules for ASCII (a run of letters and digits, joined by an apostrophe between two of
them, HTML tags blanked); any other text through the contract's own word pattern. A test checks both
give the same words as `tokenise` on real reviews. A model that is not additive falls back to
leave-one-out, text by text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from review_sentiment._additive import LEAVE_ONE_OUT, row_sums
from review_sentiment._explain import _exact_baseline, _word_shares, read_reviews
from review_sentiment._reasons import strongest
from review_sentiment.encoding import _WORD as _CONTRACT_WORD
from review_sentiment.encoding import UNK_ID, _strip_tags, encode_batch, tokenise

_TAG = re.compile(r"<[^<>]{0,200}>")  # the contract's tag pattern (encoding._TAG), for ASCII text
_TEXTS_PER_RUN = 256  # texts of like length per run: rows padded to the longest of them
_WORD_BYTES = np.zeros(256, dtype=bool)
_WORD_BYTES[np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", dtype=np.uint8)] = True
_APOSTROPHE = ord("'")
# Top phrases written in one CSV column.
CSV_PHRASES = 5


@dataclass(frozen=True)
class Explanation:
    """One review's explanation as `classify --explain` writes it."""

    log_odds: float
    baseline: float
    method: str
    starts: np.ndarray
    ends: np.ndarray
    """Span of each word read in the review (Python `str` indices)."""
    contributions: np.ndarray
    known: np.ndarray
    """Each word read is in the model's vocabulary."""
    pair_shares: np.ndarray | None
    triple_shares: np.ndarray | None = None


def explain_batch(bundle, texts: Sequence[str]) -> list[Explanation]:
    """Each text's explanation; exact for an additive model, leave-one-out otherwise."""
    if bundle.additive is None:
        return [_from_reading(r) for r in read_reviews(bundle, texts, explain=True)]
    explained: list[Explanation | None] = [None] * len(texts)
    spans = _word_spans(texts)
    order = np.argsort([len(text) for text in texts], kind="stable")  # like lengths run together
    for start in range(0, len(texts), _TEXTS_PER_RUN):
        chosen = order[start : start + _TEXTS_PER_RUN].tolist()
        rows = encode_batch([texts[i] for i in chosen], bundle.word_index, bundle.settings)
        for i, found in zip(chosen, _explain_rows(bundle, rows, [spans[i] for i in chosen])):
            explained[i] = found
    return explained


def _explain_rows(bundle, rows: np.ndarray, spans: list) -> list[Explanation]:
    shares = bundle.additive
    rows = _with_room_for_ngrams(rows, max((len(starts) for starts, _ in spans), default=0), bundle.settings)
    probabilities, position_shares = shares.run(bundle, rows)
    z = shares.baseline_z + row_sums(position_shares)
    factors = shares.bend_factor(z) / bundle.temperature
    logits = shares.log_odds(z, probabilities) / bundle.temperature
    baseline, room = _exact_baseline(bundle), bundle.settings.max_length - 1
    found = []
    for row, row_shares, factor, logit, (starts, ends) in zip(rows, position_shares, factors, logits, spans):
        kept = min(len(starts), room)
        words, pairs, triples = _word_shares(row_shares, kept, bundle.settings.ngrams, factor)
        found.append(Explanation(float(logit), baseline, shares.method, starts[:kept], ends[:kept], words,
                                 row[1 : 1 + kept] != UNK_ID, pairs, triples))
    return found


def _with_room_for_ngrams(rows: np.ndarray, most_words: int, settings) -> np.ndarray:
    """Rows widened with <PAD> to hold every n-gram place of their longest text: batch rows are
    cut after their last id that is not <PAD>, which drops the places of trailing n-grams the
    model does not weigh."""
    kept = min(most_words, settings.max_length - 1)
    width = 1 + kept + sum(max(kept - n + 1, 0) for n in range(2, settings.ngrams + 1))
    if rows.shape[1] >= width:
        return rows
    return np.pad(rows, ((0, 0), (0, width - rows.shape[1])))


def _from_reading(reading) -> Explanation:
    encoded = reading.encoded
    tokens = encoded.tokens[: encoded.kept]
    return Explanation(reading.log_odds, reading.baseline, LEAVE_ONE_OUT,
                       np.array([t.start for t in tokens], dtype=np.int64),
                       np.array([t.end for t in tokens], dtype=np.int64), reading.contributions,
                       np.array(encoded.token_ids[: encoded.kept]) != UNK_ID, None)


def _word_spans(texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(starts, ends) of every word of each text, by the contract's rules."""
    spans: list = [None] * len(texts)
    ascii_texts = []
    for i, text in enumerate(texts):
        if text.isascii():
            ascii_texts.append(i)
        else:  # the contract's own word pattern; only the spans are needed, not the normalised words
            found = np.array([m.span() for m in _CONTRACT_WORD.finditer(_strip_tags(text))], dtype=np.int64)
            found = found.reshape(-1, 2)
            spans[i] = (found[:, 0], found[:, 1])
    if ascii_texts:
        for i, found in zip(ascii_texts, _ascii_word_spans([texts[i] for i in ascii_texts])):
            spans[i] = found
    return spans


def _ascii_word_spans(texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Word spans of ASCII texts, all texts joined into one byte array (a newline between two)."""
    blanked = [_TAG.sub(lambda m: " " * len(m.group()), t) if "<" in t else t for t in texts]
    joined = np.frombuffer("\n".join(blanked).encode("ascii"), dtype=np.uint8)
    alnum = _WORD_BYTES[joined]
    word = alnum.copy()
    inner = (joined[1:-1] == _APOSTROPHE) & alnum[:-2] & alnum[2:]  # an apostrophe between two word characters
    word[1:-1] |= inner
    edges = np.diff(np.concatenate(([False], word, [False])).astype(np.int8))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    text_starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    which = np.searchsorted(text_starts, starts, side="right") - 1
    bounds = np.searchsorted(which, np.arange(len(texts) + 1))
    return [(starts[a:b] - base, ends[a:b] - base)
            for a, b, base in zip(bounds[:-1], bounds[1:], text_starts)]


_WORD_JSON_LIST = '{"text":"%s","start":%d,"end":%d,"contribution":%.9f},'  # compact: a long review has 2,000+


def explain_rows(bundle, texts: Sequence[str], model_batches: list | None = None) -> list[Explanation]:
    """Each text's explanation. `model_batches`: the rows the texts were classified with, as
    (which of the texts, their rows) pairs (`classify_reviews`); they are explained as they are,
    not encoded again."""
    if model_batches is None or bundle.additive is None:
        return explain_batch(bundle, texts)
    explained: list = [None] * len(texts)
    spans = _word_spans(texts)
    for chosen, rows in model_batches:
        chosen = chosen.tolist()
        for i, found in zip(chosen, _explain_rows(bundle, rows, [spans[i] for i in chosen])):
            explained[i] = found
    return explained


def jsonl_fields(bundle, texts: Sequence[str], model_batches: list | None = None) -> list[tuple[str]]:
    """`classify_reviews(explain=...)` for JSON lines: each text's explanation fields, formatted
    (`explanation_fields_json`) where the model ran, so a worker process does the formatting."""
    return [(explanation_fields_json(text, e),) for text, e in zip(texts, explain_rows(bundle, texts, model_batches))]


def csv_fields(bundle, texts: Sequence[str], model_batches: list | None = None) -> list[tuple]:
    """`classify_reviews(explain=...)` for CSV: each text's log-odds, baseline and top phrases."""
    return [(e.log_odds, e.baseline, top_phrases(text, e))
            for text, e in zip(texts, explain_rows(bundle, texts, model_batches))]


def explanation_fields_json(text: str, explanation: Explanation) -> str:
    """``"log_odds": ..., "baseline": ..., "method": ..., "explanation": [...]`` for a JSON-lines record.

    The word list ``[{"text", "start", "end", "contribution"}, ...]`` is built as a string: a word
    holds only letters, marks, digits and apostrophes, so it needs no escaping (a test parses it),
    and this is several times as fast as json.dumps. Contributions are written to 1e-9, so the sum
    over the words written matches `log_odds - baseline` to about 1e-8 (exactly in memory).
    """
    starts, ends = explanation.starts.tolist(), explanation.ends.tolist()
    values: list = [None] * (4 * len(starts))  # text, start, end, contribution of each word in turn
    values[0::4] = [text[s:e] for s, e in zip(starts, ends)]
    values[1::4], values[2::4], values[3::4] = starts, ends, explanation.contributions.tolist()
    words = (_WORD_JSON_LIST * len(starts))[:-1] % tuple(values)  # one % for the whole list: twice as fast
    return (f'"log_odds": {explanation.log_odds!r}, "baseline": {explanation.baseline!r}, '
            f'"method": "{explanation.method}", "explanation": [{words}]')


class _Word:
    """What `review_sentiment._reasons` needs of a word."""

    __slots__ = ("text", "start", "end", "known", "read", "contribution")

    def __init__(self, text: str, start: int, end: int, known: bool, contribution: float) -> None:
        self.text, self.start, self.end, self.known, self.read = text, start, end, known, True
        self.contribution = contribution


def top_phrases(text: str, explanation: Explanation, count: int = CSV_PHRASES) -> str:
    """The strongest phrases and words, both sides, strongest first: 'waste of time -2.29; superb +0.81'."""
    words = [_Word(tokenise(text[s:e])[0].text if not text[s:e].isascii() else text[s:e].lower(), s, e, bool(k), c)
             for s, e, k, c in zip(explanation.starts.tolist(), explanation.ends.tolist(),
                                   explanation.known.tolist(), explanation.contributions.tolist())]
    listed = [None if shares is None else shares.tolist()
              for shares in (explanation.pair_shares, explanation.triple_shares)]
    positive, negative = strongest(words, listed[0], count, listed[1])
    ranked = sorted(positive + negative, key=lambda r: -abs(r.contribution))[:count]
    return "; ".join(f"{r.text} {r.contribution:+.2f}" for r in ranked)


__all__ = ["CSV_PHRASES", "Explanation", "csv_fields", "explain_batch", "explain_rows", "explanation_fields_json",
           "jsonl_fields", "top_phrases"]
