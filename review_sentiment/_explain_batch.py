"""Explanations for many reviews at once, for `classify --explain`: each review's log-odds, the
empty review's (the baseline) and every word read with its span and contribution.

The same numbers as the single-review view (`review_sentiment._explain`), found faster: the
rows are the batch rows `encode_batch` gives (those plain classification runs), the words'
shares are split for all rows at once, and the words' spans are found for the whole batch at
once with array operations, by the contract's rules (a run of letters, marks and digits, joined
by an apostrophe between two of them, HTML tags blanked): ASCII texts as bytes, the others as
code points, each distinct character beyond ASCII classed by the contract's own character class.
Tests check they give the same words as `tokenise` on real reviews and on hypothesis's texts. A
model that is not additive falls back to leave-one-out, text by text. The JSON-lines fields are
formatted with array operations too (`explanations_fields_json`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import regex

from review_sentiment._additive import LEAVE_ONE_OUT, row_sums
from review_sentiment._explain import _exact_baseline, read_reviews
from review_sentiment._reasons import strongest
from review_sentiment.encoding import UNK_ID, encode_batch, tokenise

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
        for i, found in zip(chosen, _explain_rows(bundle, rows, [spans[i] for i in chosen])[0]):
            explained[i] = found
    return explained


def _explain_rows(bundle, rows: np.ndarray, spans: list) -> tuple[list[Explanation], np.ndarray | None]:
    """The rows' explanations, and their raw probabilities if the rows ran as they were given
    (None if they had to be widened): then the very probabilities plain classification gets."""
    shares = bundle.additive
    given = rows
    rows = _with_room_for_ngrams(rows, max((len(starts) for starts, _ in spans), default=0), bundle.settings)
    probabilities, position_shares = shares.run(bundle, rows)
    z = shares.baseline_z + row_sums(position_shares)
    factors = shares.bend_factor(z) / bundle.temperature
    logits = shares.log_odds(z, probabilities) / bundle.temperature
    baseline, room, ngrams = _exact_baseline(bundle), bundle.settings.max_length - 1, bundle.settings.ngrams
    kept = np.minimum([len(starts) for starts, _ in spans], room).astype(np.int64)
    words, pairs, triples, known = _rows_word_shares(rows, position_shares, kept, ngrams, factors)
    found = []
    for (starts, ends), logit, count, first in zip(spans, logits.tolist(), kept.tolist(),
                                                   (np.cumsum(kept) - kept).tolist()):
        end = first + count
        found.append(Explanation(logit, baseline, shares.method, starts[:count], ends[:count], words[first:end],
                                 known[first:end], pairs[first : end - 1] if ngrams >= 2 and count >= 2 else None,
                                 triples[first : end - 2] if ngrams >= 3 and count >= 3 else None))
    return found, probabilities if rows is given else None


def _rows_word_shares(rows: np.ndarray, position_shares: np.ndarray, kept: np.ndarray, ngrams: int,
                      factors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`_explain._word_shares` of every row at once, to the last bit (the same products and sums
    in the same order), for the `kept` words of each row: flat arrays over all rows' words in
    turn of each word's contribution, the share of the pair and the triple starting at it (0
    where none) and whether it is in the vocabulary. Python per row cost 5 times as much."""
    width = position_shares.shape[1]
    row = np.repeat(np.arange(len(kept)), kept)
    place = np.arange(len(row)) - np.repeat(np.cumsum(kept) - kept, kept)  # the word's place in its row
    count, factor, row_start = kept[row], factors[row], row * width
    flat = position_shares.reshape(-1)
    words = flat[row_start + 1 + place] * factor
    known = rows.reshape(-1)[row_start + 1 + place] != UNK_ID
    pairs = triples = np.zeros(len(row))
    if ngrams >= 2:  # the row holds <START>, the words, then the pair of each two neighbours in order
        has = place <= count - 2
        pairs = np.where(has, flat[np.where(has, row_start + 1 + count + place, 0)] * factor, 0.0)
        halves = pairs / 2
        words = np.where(has, words + halves, words)  # half the pair starting at the word
        words[1:] = np.where(place[1:] >= 1, words[1:] + halves[:-1], words[1:])  # half the one ending there
    if ngrams >= 3:  # then the triple of each three
        has = place <= count - 3
        triples = np.where(has, flat[np.where(has, row_start + 2 * count + place, 0)] * factor, 0.0)
        thirds = triples / 3
        for back in range(3):  # the triples starting at the word, one before, two before
            if back:
                gets = place[back:] >= back
                words[back:] = np.where(gets & has[:-back], words[back:] + thirds[:-back], words[back:])
            else:
                words = np.where(has, words + thirds, words)
    return words, pairs, triples, known


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
    """(starts, ends) of every word of each text, by the contract's rules: ASCII texts as bytes,
    the others as code points, each kind all texts at once."""
    spans: list = [None] * len(texts)
    ascii_texts = [i for i, text in enumerate(texts) if text.isascii()]
    other_texts = [i for i, text in enumerate(texts) if not text.isascii()]
    for chosen, find in ((ascii_texts, _ascii_word_spans), (other_texts, _unicode_word_spans)):
        if chosen:
            for i, found in zip(chosen, find([texts[i] for i in chosen])):
                spans[i] = found
    return spans


def _ascii_word_spans(texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Word spans of ASCII texts, all texts joined into one byte array (a newline between two)."""
    joined = np.frombuffer("\n".join(_blanked(texts)).encode("ascii"), dtype=np.uint8)
    return _joined_word_spans(texts, _WORD_BYTES[joined], joined == _APOSTROPHE)


def _unicode_word_spans(texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Word spans of any texts, all joined into one array of code points (a newline between two;
    a Python string index is a code point, lone surrogates too): a character beyond ASCII is a
    word character if the contract's class of them matches it (`_is_word_character`, once per
    distinct character), an apostrophe if it is one of the contract's three."""
    joined = np.frombuffer("\n".join(_blanked(texts)).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    beyond = joined >= 0x80
    word_character = _WORD_BYTES[np.where(beyond, 0, joined)]
    distinct, which = np.unique(joined[beyond], return_inverse=True)
    word_character[beyond] = np.array([_is_word_character(chr(c)) for c in distinct.tolist()], dtype=bool)[which]
    apostrophe = (joined == _APOSTROPHE) | (joined == 0x2019) | (joined == 0x02BC)  # encoding._WORD's three
    return _joined_word_spans(texts, word_character, apostrophe)


_CONTRACT_WORD_CHARACTER = regex.compile(r"[\p{L}\p{M}\p{N}]")  # what encoding._WORD's runs are made of
_word_characters: dict[str, bool] = {}


def _is_word_character(character: str) -> bool:
    known = _word_characters.get(character)
    if known is None:
        if len(_word_characters) > 100_000:  # texts of every script there is: start again
            _word_characters.clear()
        known = _word_characters[character] = _CONTRACT_WORD_CHARACTER.fullmatch(character) is not None
    return known


def _blanked(texts: list[str]) -> list[str]:
    """The texts with their HTML tags blanked out, as the contract does."""
    return [_TAG.sub(lambda m: " " * len(m.group()), t) if "<" in t else t for t in texts]


def _joined_word_spans(texts: list[str], word_character: np.ndarray, apostrophe: np.ndarray):
    """Word spans of texts joined into one array of characters (a newline between two), from
    which characters are word characters and apostrophes: a word is a run of word characters,
    and of apostrophes each between two word characters."""
    word = np.concatenate(([False], word_character, [False]))  # a non-word character either side
    word[2:-2] |= apostrophe[1:-1] & word_character[:-2] & word_character[2:]
    starts = np.flatnonzero(word[1:] > word[:-1])  # a word character after another character
    ends = np.flatnonzero(word[1:] < word[:-1])
    text_starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    bounds = np.append(np.searchsorted(starts, text_starts), len(starts))  # each text's first word
    offsets = np.repeat(text_starts, np.diff(bounds))  # a word never spans the newline between two texts
    starts, ends = starts - offsets, ends - offsets  # in each text's own indices
    bounds = bounds.tolist()
    return [(starts[a:b], ends[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


_WORD_JSON_LIST = '{"text":"%s","start":%d,"end":%d,"contribution":%.9f},'  # compact: a long review has 2,000+


def explain_rows(bundle, texts: Sequence[str], model_batches: list | None = None) -> list[Explanation]:
    """Each text's explanation. `model_batches`: the rows the texts were classified with, as
    (which of the texts, their rows) pairs (`classify_reviews`); they are explained as they are,
    not encoded again."""
    if model_batches is None or bundle.additive is None:
        return explain_batch(bundle, texts)
    return _explained_and_raw(bundle, texts, model_batches)[0]


def _explained_and_raw(bundle, texts: Sequence[str], model_batches: list | None) -> tuple[list, np.ndarray | None]:
    """`explain_rows`, and each text's raw probability from the same runs of the network (the
    very rows plain classification runs, so the very probabilities), or None where that is not so."""
    if model_batches is None or bundle.additive is None:
        return explain_batch(bundle, texts), None
    explained: list = [None] * len(texts)
    raw: np.ndarray | None = np.empty(len(texts), dtype=np.float64)
    spans = _word_spans(texts)
    for chosen, rows in model_batches:
        found, probabilities = _explain_rows(bundle, rows, [spans[i] for i in chosen.tolist()])
        for i, explanation in zip(chosen.tolist(), found):
            explained[i] = explanation
        if raw is not None and probabilities is not None:
            raw[chosen] = probabilities
        else:
            raw = None
    return explained, raw


class ExplainedBatch(list):
    """What `jsonl_fields` and `csv_fields` return: each text's fields (a list of tuples), with
    `raw_probabilities`, each text's raw probability from the network run that explained it
    (None if there is none): `classify_reviews` may take those instead of running the network
    a second time for the same rows."""

    def __init__(self, fields, raw_probabilities: np.ndarray | None) -> None:
        super().__init__(fields)
        self.raw_probabilities = raw_probabilities


def explanations_of(bundle, texts: Sequence[str], model_batches: list | None = None) -> ExplainedBatch:
    """`classify_reviews(explain=...)` for a renderer that formats explanations itself
    (`Renderer.classified_lines`): each text's `Explanation`, with the raw probabilities."""
    return ExplainedBatch(*_explained_and_raw(bundle, texts, model_batches))


def jsonl_fields(bundle, texts: Sequence[str], model_batches: list | None = None) -> ExplainedBatch:
    """`classify_reviews(explain=...)` for JSON lines: each text's explanation fields, formatted
    (`explanations_fields_json`) where the model ran, so a worker process does the formatting."""
    explained = explanations_of(bundle, texts, model_batches)
    return ExplainedBatch([(fields,) for fields in explanations_fields_json(texts, explained)],
                          explained.raw_probabilities)


def csv_fields(bundle, texts: Sequence[str], model_batches: list | None = None) -> ExplainedBatch:
    """`classify_reviews(explain=...)` for CSV: each text's log-odds, baseline and top phrases."""
    explained = explanations_of(bundle, texts, model_batches)
    return ExplainedBatch(explanations_fields_csv(texts, explained), explained.raw_probabilities)


def explanations_fields_csv(texts: Sequence[str], explanations: Sequence[Explanation]) -> list[tuple]:
    """Each text's CSV explanation fields: its log-odds, baseline and top phrases."""
    return [(e.log_odds, e.baseline, top_phrases(text, e)) for text, e in zip(texts, explanations)]


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


# The fast formatter's limits; a review beyond them (rare) is formatted by `explanation_fields_json`.
_MOST_FAST_WORD_CHARACTERS = 64  # at most 256 bytes of UTF-8: the window each word is copied in
_MOST_FAST_CONTRIBUTION = 1e6  # |c| * 1e9 below 2**50: float64 holds it to 1/8, so its rounding can be checked
_FAST_POSITIONS = 10**6  # starts and ends of at most 6 digits: "start":123456 is one 8-byte window
_WORDS_PER_RUN = 8192
_BILLION = 10**9


def _packed(text: bytes) -> np.uint64:
    """Up to 8 bytes as one little-endian uint64: the first byte lowest."""
    return np.uint64(int.from_bytes(text, "little"))


# Decimal digits as uint64, the first digit in the lowest byte: all four of 0-9999 ("0042"), and
# those of each number below 10,000 without leading zeros ("42"), with their count.
_FOUR_DIGITS = np.frombuffer(b"".join(b"%04d" % i for i in range(10_000)), dtype="<u4").astype(np.uint64)
_DIGITS = np.array([int.from_bytes(b"%d" % i, "little") for i in range(10_000)], dtype=np.uint64)
_DIGIT_COUNT = np.array([len(b"%d" % i) for i in range(10_000)], dtype=np.int64)
_TEXT_KEY, _START_KEY, _END_KEY = b'{"text":"', _packed(b'","start'), _packed(b',"end":')
_CONTRIBUTION_KEY = (_packed(b',"contri'), _packed(b'bution":'))
_QUOTE_COLON, _MINUS, _POINT, _RECORD_END = _packed(b'":'), _packed(b"-"), _packed(b"."), _packed(b'\0\0},{"te')
_NEXT_TEXT_KEY = _packed(b'xt":"')  # the record's last window ends with the next record's key


def explanations_fields_json(texts: Sequence[str], explanations: Sequence[Explanation]) -> list[str]:
    """`explanation_fields_json` of each text, the same strings character for character, made
    with array operations over many words at once, several times as fast: a review has some
    230 words to write, and a `%` conversion per number was most of the cost of --explain.

    Reviews are formatted in runs of about _WORDS_PER_RUN words: the arrays of a run stay in
    the processor's cache, and their memory is reused run after run (a fresh array of a batch's
    250,000 words costs more in page faults than the arithmetic done on it). A review beyond
    the fast path's limits (a word longer than _MOST_FAST_WORD_CHARACTERS characters, a contribution of
    1e6 or more or not finite, a text of a million characters or more) is formatted by
    `explanation_fields_json`; a test checks both agree, on real reviews and on generated texts.
    """
    return [str(part, "utf-8") for part in _fields_json_parts(texts, explanations, [""] * len(texts), b"")]


def explanations_records_json(texts: Sequence[str], explanations: Sequence[Explanation], prefixes: Sequence[str],
                              suffix: bytes) -> bytes:
    """Each review's prefix, its `explanation_fields_json` and `suffix`, one review after
    another, as UTF-8 bytes: whole JSON-lines records (a prefix holds the record's other fields),
    made as `explanations_fields_json` makes the fields, without a string per review."""
    return b"".join(_fields_json_parts(texts, explanations, prefixes, suffix))


def _fields_json_parts(texts: Sequence[str], explanations: Sequence[Explanation], prefixes: Sequence[str],
                       suffix: bytes) -> list:
    """Each review's prefix, fields and suffix as UTF-8 (bytes-like), in runs of about _WORDS_PER_RUN words."""
    counts = [len(e.starts) for e in explanations]
    parts: list = []
    start = 0
    while start < len(texts):
        end, words = start + 1, counts[start]
        while end < len(texts) and words + counts[end] <= _WORDS_PER_RUN:
            words, end = words + counts[end], end + 1
        parts += _run_fields_json(texts[start:end], explanations[start:end], counts[start:end], prefixes[start:end],
                                  suffix)
        start = end
    return parts


def _run_fields_json(texts: Sequence[str], explanations: Sequence[Explanation], counts: list[int],
                     prefixes: Sequence[str], suffix: bytes) -> list:
    """`_fields_json_parts` of a few reviews, all at once.

    All the reviews are written into one byte buffer, each after the last: its prefix and head
    (``"log_odds": ..., "explanation": [``, formatted in Python), its words' records
    (`_word_records`), the closing ``]`` written over the last record's comma, and the suffix.
    Each review's part is a view of its bytes in the buffer.
    """
    starts = np.concatenate([e.starts for e in explanations]).astype(np.int64, copy=False)
    ends = np.concatenate([e.ends for e in explanations]).astype(np.int64, copy=False)
    contributions = np.concatenate([e.contributions for e in explanations]).astype(np.float64, copy=False)
    with np.errstate(invalid="ignore"):
        unfit = ~(np.abs(contributions) < _MOST_FAST_CONTRIBUTION) | (ends - starts > _MOST_FAST_WORD_CHARACTERS)
    slow = {i for i, text in enumerate(texts) if len(text) >= _FAST_POSITIONS}
    if unfit.any() or slow:  # rare: those reviews by the % formatter, the others as usual
        slow |= set(np.repeat(np.arange(len(texts)), counts)[unfit].tolist())
        parts: list = [(prefixes[i] + explanation_fields_json(texts[i], explanations[i])).encode() + suffix
                       if i in slow else None for i in range(len(texts))]
        fast = [i for i in range(len(texts)) if i not in slow]
        if fast:
            made = _run_fields_json([texts[i] for i in fast], [explanations[i] for i in fast],
                                    [counts[i] for i in fast], [prefixes[i] for i in fast], suffix)
            for i, part in zip(fast, made):
                parts[i] = part
        return parts
    heads = [(f'{prefix}"log_odds": {e.log_odds!r}, "baseline": {e.baseline!r}, "method": "{e.method}", '
              f'"explanation": [').encode() for prefix, e in zip(prefixes, explanations)]
    source, byte_starts, lengths = _utf8_spans(texts, counts, starts, ends)
    numbers = _Numbers.of(starts, ends, contributions)
    record_lengths = 54 + lengths + numbers.start_widths + numbers.end_widths + numbers.negative + numbers.whole_widths
    # A review: its head, its records (the last one's comma becomes "]"), or "]" when it has none; the suffix.
    counts = np.array(counts, dtype=np.int64)
    head_lengths = np.array([len(h) for h in heads], dtype=np.int64)
    words_end = np.cumsum(counts)
    records_end = np.concatenate(([0], np.cumsum(record_lengths)))
    review_lengths = (head_lengths + records_end[words_end] - records_end[words_end - counts] + (counts == 0)
                      + len(suffix))
    review_ends = np.cumsum(review_lengths)
    review_starts = review_ends - review_lengths
    at = records_end[:-1] + np.repeat(review_starts + head_lengths - records_end[words_end - counts], counts)
    buffer = _word_records(source, at, at[(words_end - counts)[counts > 0]], byte_starts, lengths, numbers,
                           int(review_ends[-1]))
    for head, place in zip(heads, review_starts.tolist()):
        buffer[place : place + len(head)] = head
    closing = np.frombuffer(buffer, dtype=np.uint8)
    closing[review_ends - 1 - len(suffix)] = ord("]")
    if suffix:
        _windows(buffer, len(suffix))[review_ends - len(suffix)] = np.frombuffer(suffix, dtype=f"V{len(suffix)}")[0]
    del closing  # a bytearray cannot be looked at as text while NumPy holds its memory
    view = memoryview(buffer)
    return [view[begin:end] for begin, end in zip(review_starts.tolist(), review_ends.tolist())]


def _utf8_spans(texts: Sequence[str], counts: list[int], starts: np.ndarray,
                ends: np.ndarray) -> tuple[bytes, np.ndarray, np.ndarray]:
    """The texts' UTF-8 bytes, one after another, and where each word read (`starts`, `ends`:
    all texts' in turn) starts in them and how many bytes it has: in an ASCII text a character
    is a byte; in the others (all at once), their code points say how many bytes each takes.
    (Lone surrogates count as the 3 bytes `surrogatepass` gives them; no word holds one.)"""
    encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
    sizes = [len(data) for data in encoded]
    bases = np.cumsum(sizes) - sizes
    byte_starts = starts + np.repeat(bases, counts)
    lengths = ends - starts
    other = [i for i, (text, size) in enumerate(zip(texts, sizes)) if size != len(text) and counts[i]]
    if other:
        points = np.frombuffer("".join(texts[i] for i in other).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        widths = 1 + (points >= 0x80).astype(np.int64) + (points >= 0x800) + (points >= 0x10000)
        before = np.concatenate(([0], np.cumsum(widths)))  # UTF-8 bytes before each code point
        other_counts = np.array([counts[i] for i in other], dtype=np.int64)
        text_lengths = np.array([len(texts[i]) for i in other], dtype=np.int64)
        first_words = (np.cumsum(counts) - counts)[other]
        words = np.repeat(first_words - (np.cumsum(other_counts) - other_counts), other_counts) + np.arange(
            other_counts.sum())  # those texts' words, where they are among all words
        text_starts = np.repeat(np.cumsum(text_lengths) - text_lengths, other_counts)
        word_starts, word_ends = before[starts[words] + text_starts], before[ends[words] + text_starts]
        byte_starts[words] = word_starts - before[text_starts] + np.repeat(bases[other], other_counts)
        lengths[words] = word_ends - word_starts
    return b"".join(encoded), byte_starts, lengths


@dataclass(frozen=True)
class _Numbers:
    """Each word's start, end and contribution as ASCII digits (see `_digits`), with their widths."""

    start_digits: np.ndarray
    start_widths: np.ndarray
    end_digits: np.ndarray
    end_widths: np.ndarray
    negative: np.ndarray
    whole_digits: np.ndarray
    whole_widths: np.ndarray
    fraction: np.ndarray
    """The contribution's 9 decimals, as an integer."""

    @classmethod
    def of(cls, starts: np.ndarray, ends: np.ndarray, contributions: np.ndarray) -> _Numbers:
        """The contribution rounded to 1e-9 as ``%.9f`` rounds it: ``round(|c| * 1e9)``. rint
        rounds the product, which is off by up to half its last bit: where that could change the
        rounding, Python's correctly rounded %.9f decides (a few words in a million)."""
        magnitudes = np.abs(contributions)
        scaled = magnitudes * _BILLION
        billionths = np.rint(scaled).astype(np.int64)
        for i in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) <= 4 * np.spacing(scaled)).tolist():
            billionths[i] = int(("%.9f" % magnitudes[i]).replace(".", ""))
        whole = billionths // _BILLION
        return cls(*_digits(starts), *_digits(ends), np.signbit(contributions),  # -0.0 is "-0.000000000" too
                   *_digits(whole), billionths - whole * _BILLION)


def _word_records(source: bytes, at: np.ndarray, firsts: np.ndarray, byte_starts: np.ndarray, lengths: np.ndarray,
                  numbers: _Numbers, size: int) -> bytearray:
    """A buffer of `size` bytes (and a little room after) holding each word's record
    ``{"text":"...","start":...,"end":...,"contribution":...},`` at `at` (`firsts`: those of
    the first word of a review).

    All words' records are written at once, part by part, each part a fancy-indexed store
    through a view of the buffer whose items are windows of a few bytes at any offset (a NumPy
    void dtype, stride 1). A store costs about the same whatever its width, so the parts are
    few and wide: the word (its bytes read straight from the texts), then three windows of keys
    and numbers, then the contribution's fraction with the record's end and the next record's
    first key (the first record of a review gets its own). A window may be wider than what it
    holds: the bytes beyond are written over by a later part (parts are written in order, each
    for all words in turn, so what spills into the next record is written over as well); the
    last part is exact.
    """
    window = max(8, -(-int(lengths.max(initial=0)) // 8) * 8)
    buffer = bytearray(size + window + 32)
    if not len(at):
        return buffer
    _windows(buffer, window)[at + len(_TEXT_KEY)] = _windows(source + bytes(window), window)[byte_starts]
    _windows(buffer, len(_TEXT_KEY))[firsts] = np.frombuffer(_TEXT_KEY, dtype=f"V{len(_TEXT_KEY)}")[0]
    parts = np.empty((len(at), 10), dtype="<u8")
    parts[:, 0] = _START_KEY  # ","start":123
    parts[:, 1] = _QUOTE_COLON | (numbers.start_digits << np.uint64(16))
    parts[:, 2] = _END_KEY | (numbers.end_digits << np.uint64(56))  # ,"end":126
    parts[:, 3] = numbers.end_digits >> np.uint64(8)
    parts[:, 4], parts[:, 5] = _CONTRIBUTION_KEY  # ,"contribution":-0
    sign = numbers.negative.astype(np.uint64)
    parts[:, 6] = (sign * _MINUS) | (numbers.whole_digits << (sign << np.uint64(3)))
    fraction = numbers.fraction  # .123456789},{"text":"
    first = fraction // 10**8
    fours = fraction // 10_000
    low = _FOUR_DIGITS[fraction - fours * 10_000]
    parts[:, 7] = (_POINT | ((first.astype(np.uint64) + np.uint64(ord("0"))) << np.uint64(8))
                   | (_FOUR_DIGITS[fours - first * 10_000] << np.uint64(16)) | (low << np.uint64(48)))
    parts[:, 8] = (low >> np.uint64(16)) | _RECORD_END
    parts[:, 9] = _NEXT_TEXT_KEY
    place = at + len(_TEXT_KEY) + lengths
    for column, width, length in ((0, 16, 10 + numbers.start_widths), (2, 16, 7 + numbers.end_widths),
                                  (4, 24, 16 + numbers.negative + numbers.whole_widths), (7, 21, None)):
        _windows(buffer, width)[place] = _windows(parts, width, column)
        if length is not None:
            place += length
    return buffer


def _windows(data, width: int, column: int | None = None) -> np.ndarray:
    """`data` seen as windows of `width` bytes: one at each byte offset or, with `column`, one per
    row of a uint64 matrix, starting at that column."""
    if column is None:
        return np.ndarray((len(data) - width + 1,), dtype=f"V{width}", buffer=data, strides=(1,))
    return np.ndarray((len(data),), dtype=f"V{width}", buffer=data, offset=8 * column, strides=(data.strides[0],))


def _digits(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numbers below a million as their decimal digits (`_DIGITS`) and how many each has."""
    if values.max(initial=0) < 10_000:  # nearly always: a review is shorter than 10,000 characters
        return _DIGITS[values], _DIGIT_COUNT[values]
    high = values // 10_000
    low = values - high * 10_000
    widths = np.where(high > 0, _DIGIT_COUNT[high] + 4, _DIGIT_COUNT[low])
    shift = (_DIGIT_COUNT[high] << 3).astype(np.uint64)
    digits = np.where(high > 0, _DIGITS[high] | (_FOUR_DIGITS[low] << shift), _DIGITS[low])
    return digits, widths


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


__all__ = ["CSV_PHRASES", "ExplainedBatch", "Explanation", "csv_fields", "explain_batch", "explain_rows",
           "explanation_fields_json", "explanations_fields_csv", "explanations_fields_json", "explanations_of",
           "explanations_records_json", "jsonl_fields", "top_phrases"]
