"""Classify review texts into verdicts: label, how sure, what the model read, which words decided.

Qt-free and TensorFlow-free. The label comes from `review_sentiment._verdict.label_for`, the one rule
the app and the command line share; a text with no word the model knows is always "uncertain".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import repeat
from operator import ne
from typing import NamedTuple

import numpy as np

from review_sentiment.encoding import FIRST_WORD_ID, START, UNK, UNK_ID, EncodedText, decode

from review_sentiment._explain import Reading, encode_review, read_review, read_reviews
from review_sentiment._reasons import Reason, strongest
from review_sentiment._sentences import Sentence, sentence_rows, sentence_verdicts, sentences_read
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND, UNCERTAIN, COMMONEST_IDS, label_for, not_a_review_note


class SeenWord(NamedTuple):
    """One word of the review as the model met it."""

    text: str
    """The normalised word that was looked up."""
    start: int
    end: int
    """Where the word stands in the original text (Python `str` indices)."""
    known: bool
    """In the model's vocabulary; unknown words are read as <UNK>."""
    read: bool
    """Within the model's input length; words after the cut are not read."""
    contribution: float | None
    """Calibrated log-odds this word added toward positive (negative: toward negative)."""


@dataclass(frozen=True)
class Verdict:
    """What the app shows for one text."""

    label: str
    """`positive`, `negative` or `uncertain`."""
    probability: float
    """Calibrated probability that the review is positive: the number shown."""
    raw_probability: float
    band: float
    """Width of the uncertain band around 50% that `label` was decided with."""
    words: tuple[SeenWord, ...]
    """The words read, then (for a cut text) at least one that was not."""
    truncated: bool
    """The text was longer than the model reads; the rest was ignored."""
    read_until: int
    """`str` index where the model stopped reading: the end of the last word read."""
    model_view: str
    """The model input decoded back to words, like the tutorial's `decode_review`."""
    log_odds: float = 0.0
    """Calibrated log-odds of positive (`probability` is its sigmoid)."""
    baseline: float | None = None
    """Calibrated log-odds of an empty review: with an exact method, baseline + sum of contributions = log_odds."""
    method: str = ""
    """How the contributions were found (`review_sentiment._additive.EXACT`, ...); empty: not explained."""
    pair_shares: tuple[float, ...] | None = None
    """Exact method, a model reading pairs: the own share of the pair of read words (i, i + 1)."""
    triple_shares: tuple[float, ...] | None = None
    """Exact method, a model reading triples: the own share of the read words (i, i + 1, i + 2)."""
    sentences: tuple[Sentence, ...] = ()
    """Each sentence's own verdict, when asked for and the text has two or more."""
    note: str = ""
    """Said beside the verdict when the text does not read like an English review."""

    @property
    def words_read(self) -> int:
        return sum(1 for w in self.words if w.read)

    @property
    def known_words(self) -> int:
        return sum(1 for w in self.words if w.read and w.known)

    @property
    def no_known_words(self) -> bool:
        return self.known_words == 0

    def with_band(self, band: float) -> Verdict:
        """The same verdict judged with another uncertain band (no need to run the model again)."""
        return replace(self, band=band, label=_label(self.probability, band, self.known_words))

    def strongest(self, count: int = 5) -> tuple[list[Reason], list[Reason]]:
        """The phrases and words that pushed hardest toward positive, and toward negative.

        Each is listed once, by the sum over its uses, so never on both sides; words the model
        does not know and pushes too small to matter are left out (`review_sentiment._reasons`).
        """
        return strongest(self.words, self.pair_shares, count, self.triple_shares)


def classify_text(bundle, text: str, band: float = DEFAULT_UNCERTAIN_BAND, *, explain: bool = True,
                  by_sentence: bool = False) -> Verdict:
    """The verdict for one text, with per-word contributions unless `explain` is False, and with
    each sentence's own verdict if `by_sentence` (each sentence read as a text of its own, run
    with the review itself when that is less work: `review_sentiment._explain.read_review`)."""
    encoded = encode_review(text, bundle)
    spans = sentences_read(text, encoded.columns[2][encoded.kept - 1] if encoded.kept else 0) if by_sentence else []
    if len(spans) < 2:
        reading, _ = read_review(bundle, encoded, explain=explain)
        return _verdict(bundle, reading, band, text)
    rows, known = sentence_rows(text, spans, encoded, bundle)
    reading, raw = read_review(bundle, encoded, explain=explain, company=rows)
    return _verdict(bundle, reading, band, text, sentence_verdicts(spans, bundle.calibrate(raw), known))


def classify_texts(
    bundle, texts: Sequence[str], band: float = DEFAULT_UNCERTAIN_BAND, *, explain: bool = True
) -> list[Verdict]:
    """Verdicts for many texts, the model run in large batches."""
    readings = read_reviews(bundle, texts, explain=explain)
    return [_verdict(bundle, reading, band, text) for reading, text in zip(readings, texts)]


def _verdict(bundle, reading: Reading, band: float, text: str, sentences: tuple[Sentence, ...] = ()) -> Verdict:
    encoded = reading.encoded
    probability = float(bundle.calibrate(np.array([reading.raw_probability]))[0])
    kept, token_ids = encoded.kept, encoded.token_ids
    columns = encoded.columns  # each token's text, start and end
    words = _seen_words(encoded, columns, reading.contributions)
    known = kept - token_ids[:kept].count(UNK_ID)
    read_until = columns[2][kept - 1] if kept else 0
    read_part = text[: read_until] if encoded.truncated else text
    read_ids = encoded.ids[1 : 1 + kept]  # the row's words are the ids of the words read
    common = int(np.count_nonzero((read_ids >= FIRST_WORD_ID) & (read_ids < FIRST_WORD_ID + COMMONEST_IDS)))
    word_characters = sum(columns[2][:kept]) - sum(columns[1][:kept])  # the read words' ends less their starts
    note = not_a_review_note(kept, known, common, word_characters, _visible_characters(read_part))
    return Verdict(
        label=_label(probability, band, known),
        probability=probability,
        raw_probability=reading.raw_probability,
        band=band,
        words=words,
        truncated=encoded.truncated,
        read_until=read_until,
        model_view=_model_view(encoded, columns[0], kept - known, bundle),
        log_odds=reading.log_odds,
        baseline=reading.baseline,
        method=reading.method,
        pair_shares=None if reading.pair_shares is None else tuple(reading.pair_shares.tolist()),
        triple_shares=None if reading.triple_shares is None else tuple(reading.triple_shares.tolist()),
        sentences=sentences,
        note=note,
    )


def _visible_characters(text: str) -> int:
    """``len("".join(text.split()))``: how many characters are not white space, counted, not split."""
    if text.isascii():
        return len(text) - sum(map(text.count, _ASCII_WHITE_SPACE))
    return len("".join(text.split()))


_ASCII_WHITE_SPACE = [chr(c) for c in range(128) if chr(c).isspace()]  # what str.split splits ASCII at


def _model_view(encoded: EncodedText, texts: tuple, unknown: int, bundle) -> str:
    """`decode` of the review's row, from its tokens' `texts` where it can be: the row is <START>,
    the ids of the words read (each decodes to its word's own text, or is <UNK>), then, with hashed
    n-grams, ids beyond the index (all decode to <UNK>) or <PAD> (left out); `unknown` of the words
    read are <UNK>. Other rows: `decode`."""
    settings, index = bundle.settings, bundle.word_index
    if not settings.ngram_buckets or len(index) > settings.word_ids:
        return decode(encoded.ids, index)
    kept = encoded.kept
    read = texts[:kept] if unknown == 0 else [UNK if i == UNK_ID else w for w, i in zip(texts[:kept], encoded.token_ids)]
    ngrams = int(np.count_nonzero(encoded.ids[1 + kept :]))
    return " ".join((START, *read)) + f" {UNK}" * ngrams


def _seen_words(encoded: EncodedText, columns: tuple[tuple, tuple, tuple],
                contributions: np.ndarray | None) -> tuple[SeenWord, ...]:
    """Each word of the text as the model met it (made as tuples: a long review has thousands),
    from its tokens' `columns`: their texts, starts and ends."""
    texts, starts, ends = columns
    count, kept = len(texts), encoded.kept
    if not count:
        return ()
    weights = [] if contributions is None else contributions.tolist()
    weights += [None] * (count - len(weights))
    known = map(ne, encoded.token_ids, repeat(UNK_ID))
    read = [True] * kept + [False] * (count - kept)
    return tuple(map(_new_tuple, repeat(SeenWord), zip(texts, starts, ends, known, read, weights)))


_new_tuple = tuple.__new__


def _label(probability: float, band: float, known_words: int) -> str:
    return UNCERTAIN if known_words == 0 else label_for(probability, band)


__all__ = ["SeenWord", "Verdict", "classify_text", "classify_texts"]
