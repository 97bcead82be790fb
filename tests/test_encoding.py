"""The text-encoding contract: the seam between trainer and app. A mismatch here is the worst bug."""

from __future__ import annotations

import json

import numpy as np
import pytest

from review_sentiment.encoding import (
    PAD_ID,
    START_ID,
    UNK,
    UNK_ID,
    EncodingSettings,
    WordIndex,
    build_word_index,
    decode,
    encode,
    encode_batch,
    normalise,
    tokenise,
    words,
)

SETTINGS = EncodingSettings(vocab_size=50, max_length=8)
INDEX = WordIndex(("the", "film", "was", "great", "awful", "don't", "café"))


def test_tags_case_punctuation_and_unicode_are_normalised():
    text = "The FILM<br /><br />was GREAT!!! Don’t miss the CAFE\u0301… ｆｉｌｍ"
    assert words(text) == ["the", "film", "was", "great", "don't", "miss", "the", "café", "film"]


def test_nfc_and_nfd_spellings_are_the_same_word():
    assert words("café") == words("cafe\u0301") == words("CAFÉ") == ["café"]


def test_token_spans_point_into_the_original_text():
    text = "Loved it 😀 — 日本語の映画, שלום! <i>Superb</i>"
    for token in tokenise(text):
        original = text[token.start : token.end]
        assert words(original) == [token.text]
    assert [t.text for t in tokenise(text)] == words(text)
    assert "i" not in words(text)  # the <i> tag is not a word


def test_words_fast_path_agrees_with_tokenise_on_every_real_review(imdb_split):
    for text in imdb_split.test.texts + imdb_split.validation.texts[:2000]:
        assert words(text) == [t.text for t in tokenise(text)]


@pytest.mark.parametrize("text", ["", "   \n\t", "!!! ... ???", "<br /><br />", "😀😀😀"])
def test_texts_without_words_encode_to_start_and_padding(text):
    encoded = encode(text, INDEX, SETTINGS)
    assert encoded.tokens == [] and encoded.known == 0 and not encoded.truncated
    assert encoded.ids.tolist() == [START_ID] + [PAD_ID] * (SETTINGS.max_length - 1)


def test_encode_marks_unknown_words_and_pads_after_the_words():
    encoded = encode("The film was dreadful", INDEX, SETTINGS)
    assert encoded.token_ids == [4, 5, 6, UNK_ID]
    assert encoded.ids.tolist() == [START_ID, 4, 5, 6, UNK_ID, 0, 0, 0]
    assert encoded.known == 3 and encoded.kept == 4 and not encoded.truncated
    assert encoded.ids.dtype == np.int32


def test_long_text_is_cut_after_max_length_ids_and_says_so():
    text = " ".join(["great"] * 20)
    encoded = encode(text, INDEX, SETTINGS)
    assert encoded.truncated and encoded.kept == SETTINGS.max_length - 1
    assert encoded.ids.tolist() == [START_ID] + [7] * (SETTINGS.max_length - 1)


def test_decode_round_trip_gives_the_normalised_words_with_unknowns_marked():
    text = "The FILM was great, the café was AWFUL... Don't! zebra"
    encoded = encode(text, WordIndex(INDEX.words), EncodingSettings(vocab_size=50, max_length=64))
    decoded = decode(encoded.ids, INDEX)
    assert decoded == "<START> the film was great the café was awful don't " + UNK
    known_only = " ".join(w for w in words(text) if w in INDEX)
    assert decode(encoded.ids[1:], INDEX).replace(" " + UNK, "") == known_only


def test_decode_can_show_padding_like_the_tutorial():
    encoded = encode("great", INDEX, SETTINGS)
    assert decode(encoded.ids, INDEX, skip_padding=False).split()[-1] == "<PAD>"


def test_encode_batch_equals_encode_row_by_row(imdb_split):
    index = build_word_index(imdb_split.train.texts[:3000], EncodingSettings())
    settings = EncodingSettings()
    texts = imdb_split.test.texts[:300] + ["", "Ünïcödé CAFÉ 😀", "x " * 400]
    batch = encode_batch(texts, index, settings)
    for row, text in zip(batch, texts):
        assert np.array_equal(row, encode(text, index, settings).ids)


def test_ids_beyond_the_vocabulary_become_unknown():
    small = EncodingSettings(vocab_size=6, max_length=8)  # only "the" (4) and "film" (5) fit
    assert encode("the film was", INDEX, small).token_ids == [4, 5, UNK_ID]
    assert encode_batch(["the film was"], INDEX, small)[0, :4].tolist() == [START_ID, 4, 5, UNK_ID]


def test_word_index_is_ordered_by_frequency_then_alphabet_and_capped():
    texts = ["b a a c", "c a b d", "e"]
    index = build_word_index(texts, EncodingSettings(vocab_size=7, max_length=4))
    assert index.words == ("a", "b", "c")  # a:3, then b and c tie at 2; d and e do not fit
    assert index.as_dict()["<PAD>"] == 0 and index.as_dict()["a"] == 4


def test_word_index_json_round_trip_and_hash():
    again = WordIndex.from_json(INDEX.to_json())
    assert again == INDEX and again.sha256 == INDEX.sha256
    assert json.loads(INDEX.to_json())[0] == "the"
    assert WordIndex(("the", "film")).sha256 != WordIndex(("film", "the")).sha256


def test_word_index_refuses_duplicates_and_foreign_entries():
    with pytest.raises(ValueError, match="twice"):
        WordIndex(("a", "a"))
    with pytest.raises(ValueError, match="not a normalised word"):
        WordIndex(("Film",)).check_matches_contract()
    WordIndex(("film", "don't", "café")).check_matches_contract()


@pytest.mark.parametrize("kwargs, message", [
    ({"vocab_size": 4}, "vocab_size"),
    ({"vocab_size": 0}, "vocab_size"),
    ({"max_length": 0}, "max_length"),
    ({"max_length": 1}, "max_length"),
    ({"contract_version": 99}, "contract version"),
])
def test_settings_that_cannot_work_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EncodingSettings(**kwargs)


def test_settings_round_trip_and_unknown_keys_are_refused():
    assert EncodingSettings.from_dict(SETTINGS.to_dict()) == SETTINGS
    with pytest.raises(ValueError, match="unknown encoding settings: colour"):
        EncodingSettings.from_dict({**SETTINGS.to_dict(), "colour": "red"})


def test_normalise_is_the_words_joined():
    assert normalise("  Hello,   WORLD<br/>again ") == "hello world again"


def test_shipped_word_index_matches_the_contract(shipped_bundle):
    """Every word the trainer put in the shipped index is one the app's tokeniser can produce."""
    shipped_bundle.word_index.check_matches_contract()
    assert len(shipped_bundle.word_index) <= shipped_bundle.settings.vocab_size


def test_trainer_and_app_encode_real_reviews_identically(imdb_split, shipped_bundle):
    """The trainer encodes with encode_batch; the app's single-review view with encode: same ids."""
    index, settings = shipped_bundle.word_index, shipped_bundle.settings
    texts = imdb_split.test.texts[:500]
    batch = encode_batch(texts, index, settings)
    for row, text in zip(batch, texts):
        ids = encode(text, index, settings).ids  # a dynamic-length row is padded in a batch
        assert np.array_equal(row[: len(ids)], ids) and not row[len(ids) :].any()


def test_decode_is_word_of_for_each_id_real_rows_and_odd_ids(imdb_split):
    """`decode` looks all ids up in one table; it must say what `WordIndex.word_of` says, id by id."""
    from review_sentiment._bundle import default_models_dir, load_bundle
    from review_sentiment.encoding import PAD_ID, decode, encode

    bundle = load_bundle(default_models_dir())
    index = bundle.word_index

    def one_by_one(ids, skip_padding=True):
        return " ".join(index.word_of(int(i)) for i in ids if not (skip_padding and int(i) == PAD_ID))

    rows = [encode(text, index, bundle.settings).ids for text in imdb_split.test.texts[:200]]
    odd = [-5, 0, 1, 2, 3, 4, len(index) - 1, len(index), 10**9, 2**70]
    for ids in [*rows, odd, [], [0, 0]]:
        for skip in (True, False):
            assert decode(ids, index, skip_padding=skip) == one_by_one(ids, skip)
    assert decode(rows[0], index) == decode(list(rows[0]), index)
