"""The Qt-free core: verdicts, what the model read, and which words decided, on real IMDB reviews."""

from __future__ import annotations

import random

import numpy as np
import pytest

from review_sentiment._classify import classify_text, classify_texts
from review_sentiment._explain import _rows_for, encode_review
from review_sentiment._verdict import NEGATIVE, POSITIVE, UNCERTAIN
from review_sentiment.encoding import encode, model_row, tokenise


@pytest.fixture(scope="module")
def scored_test_reviews(imdb_split, shipped_bundle):
    """The first 600 test reviews with the shipped model's probability of positive."""
    texts = imdb_split.test.texts[:600]
    return texts, imdb_split.test.labels[:600], shipped_bundle.classify_texts(texts)


def _first(texts, labels, probabilities, label, test):
    for text, truth, p in zip(texts, labels, probabilities):
        if truth == label and test(p) and len(text.split()) < 200:
            return text
    pytest.fail("no clear review of that kind among the first 600 test reviews")


def _reviews_with(imdb_split, word: str, count: int = 8) -> list[str]:
    found = []
    for text in imdb_split.test.texts:
        if word in text.lower() and word in {tok.text for tok in tokenise(text)[:255]}:
            found.append(text)
            if len(found) == count:
                return found
    pytest.fail(f"the test split has too few reviews with {word!r} among the words read")


def test_clearly_positive_and_negative_reviews_get_their_labels(scored_test_reviews, shipped_bundle):
    texts, labels, probabilities = scored_test_reviews
    positive = _first(texts, labels, probabilities, 1, lambda p: p > 0.9)
    negative = _first(texts, labels, probabilities, 0, lambda p: p < 0.1)
    assert classify_text(shipped_bundle, positive).label == POSITIVE
    assert classify_text(shipped_bundle, negative).label == NEGATIVE


def test_probability_is_the_one_batch_classification_gives(scored_test_reviews, shipped_bundle):
    texts, _, probabilities = scored_test_reviews
    verdicts = classify_texts(shipped_bundle, texts[:40])
    shown = np.array([v.probability for v in verdicts])
    np.testing.assert_allclose(shown, probabilities[:40], atol=1e-6)
    alone = classify_text(shipped_bundle, texts[7], explain=False)
    assert alone.probability == pytest.approx(probabilities[7], abs=1e-6)
    assert all(w.contribution is None for w in alone.words)


@pytest.mark.parametrize("word, direction", [("excellent", 1), ("wonderful", 1), ("awful", -1), ("worst", -1)])
def test_strong_words_push_the_way_they_mean(imdb_split, shipped_bundle, word, direction):
    for verdict in classify_texts(shipped_bundle, _reviews_with(imdb_split, word)):
        pushes = [w.contribution for w in verdict.words if w.text == word and w.read]
        assert pushes and all(direction * c > 0 for c in pushes), (word, pushes)


def test_strongest_words_are_listed_once_each_strongest_first(imdb_split, shipped_bundle):
    verdict = classify_text(shipped_bundle, _reviews_with(imdb_split, "awful")[0])
    positive, negative = verdict.strongest(5)
    assert any("awful" in reason.text.split() for reason in negative)  # alone or in a phrase ("is awful")
    assert [w.contribution for w in negative] == sorted(w.contribution for w in negative)
    assert len({w.text for w in negative}) == len(negative)
    assert all(w.contribution > 0 for w in positive)


def test_each_leave_one_out_row_is_the_contract_encoding_without_that_word(imdb_split, shipped_bundle):
    settings, index = shipped_bundle.settings, shipped_bundle.word_index
    short = min(imdb_split.test.texts[:200], key=len)
    long = max(imdb_split.test.texts[:200], key=len)
    for text in (short, long):
        encoded = encode(text, index, settings)
        rows = _rows_for(encoded, shipped_bundle, explain=True)
        read = encoded.token_ids[: encoded.kept]
        assert rows.shape == (1 + encoded.kept, len(encoded.ids))
        np.testing.assert_array_equal(rows[0], encoded.ids)
        for i in range(encoded.kept):
            expected, _ = model_row(read[:i] + read[i + 1 :], index, settings)
            np.testing.assert_array_equal(rows[1 + i, : len(expected)], expected)
            assert not rows[1 + i, len(expected) :].any()  # a shorter row is padded


def test_a_long_text_is_encoded_exactly_as_the_contract_encodes_it(imdb_split, shipped_bundle):
    rng = random.Random(3)
    reviews = imdb_split.test.texts[:400]
    words_needed = 3 * shipped_bundle.settings.max_length
    for _ in range(6):
        pieces = []
        while sum(len(p.split()) for p in pieces) < words_needed:
            review = rng.choice(reviews)
            pieces.append(review[: rng.randint(100, len(review))])
        # Tags and split words near wherever the prefix may end must not change the words read.
        text = " <br /> ".join(pieces)
        full = encode(text, shipped_bundle.word_index, shipped_bundle.settings)
        fast = encode_review(text, shipped_bundle)
        assert fast.truncated and full.truncated
        assert fast.kept == full.kept == shipped_bundle.settings.max_length - 1
        np.testing.assert_array_equal(fast.ids, full.ids)
        assert fast.tokens == full.tokens[: len(fast.tokens)]
        assert fast.token_ids == full.token_ids[: len(fast.token_ids)]


def test_a_five_megabyte_paste_reads_the_start_and_says_it_was_cut(imdb_split, shipped_bundle):
    text = "\n\n".join(imdb_split.test.texts)[:5_000_000]
    verdict = classify_text(shipped_bundle, text)
    assert verdict.truncated
    assert verdict.words_read == shipped_bundle.settings.max_length - 1
    assert 0 < verdict.read_until < 200 * shipped_bundle.settings.max_length
    assert verdict.words[verdict.words_read - 1].end == verdict.read_until
    assert verdict.probability == pytest.approx(shipped_bundle.classify_texts([text])[0], abs=1e-6)


def test_text_without_a_known_word_is_uncertain(shipped_bundle):
    for text in ("zxqvy blorptastic qwghlmnx", "😀 👍 !!! ...", "ΞΨΩΦ ЖЩЮЯ"):
        verdict = classify_text(shipped_bundle, text)
        assert verdict.no_known_words
        assert verdict.label == UNCERTAIN
        assert verdict.with_band(0.0).label == UNCERTAIN


def test_unknown_words_are_marked_and_shown_as_unk(shipped_bundle):
    verdict = classify_text(shipped_bundle, "The film was zxqvyblorp and excellent.")
    marks = {w.text: w.known for w in verdict.words}
    assert marks["zxqvyblorp"] is False and marks["excellent"] is True
    # The words read, in order (a model reading word pairs lists those after the words).
    assert verdict.model_view.split()[:7] == ["<START>", "the", "film", "was", "<UNK>", "and", "excellent"]


def test_the_band_decides_uncertain_without_rerunning(scored_test_reviews, shipped_bundle):
    texts, labels, probabilities = scored_test_reviews
    text = _first(texts, labels, probabilities, 1, lambda p: 0.7 < p < 0.8)
    verdict = classify_text(shipped_bundle, text, band=0.2)
    assert verdict.label == POSITIVE
    wide = verdict.with_band(0.7)
    assert wide.label == UNCERTAIN and wide.probability == verdict.probability


def test_word_spans_point_into_text_in_any_script(shipped_bundle):
    text = "😀😀 Café CAFÉ cafe\u0301 was excellent 👍 电影很好 but שלום awful, naïve 🎬 l’amour."
    verdict = classify_text(shipped_bundle, text)
    for word in verdict.words:
        assert tokenise(text[word.start : word.end])[0].text == word.text
    by_text = {w.text: w for w in verdict.words}
    assert text[by_text["excellent"].start : by_text["excellent"].end] == "excellent"
    assert by_text["excellent"].contribution > 0 > by_text["awful"].contribution


def test_contributions_survive_clear_cut_probabilities(shipped_bundle):
    # A very sure network outputs float32 probabilities like 1e-9: still distinct log-odds.
    import dataclasses

    raw = np.array([1e-9, 1e-10, 1e-30, 0.5, 1 - 2**-23, 1.0], dtype=np.float32).astype(np.float64)
    logits = dataclasses.replace(shipped_bundle, temperature=1.5).calibrated_logits(raw)
    assert np.all(np.isfinite(logits))
    assert logits[0] - logits[1] == pytest.approx(np.log(10) / 1.5, rel=1e-3)
    assert logits[2] < logits[1] < logits[0] < logits[3] == 0 < logits[4] < logits[5]
