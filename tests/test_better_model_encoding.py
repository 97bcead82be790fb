"""The text contract's word pairs and dynamic-length rows, and that the defaults are the tutorial's
rows exactly as before these options existed (old bundles load and score as they did)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from review_sentiment.encoding import (
    PAD_ID,
    START_ID,
    EncodingSettings,
    WordIndex,
    build_word_index,
    decode,
    encode,
    encode_batch,
    encode_rows,
    model_row,
    pad_truncate,
    rows_without_each_word,
    words,
)

ROOT = Path(__file__).resolve().parents[1]
SEED_BEFORE = Path(__file__).parent / "data" / "seed_probabilities_before_word_pairs.json"

PAIRS = EncodingSettings(vocab_size=20_000, max_length=3_001, ngrams=2, dynamic_length=True)


@pytest.fixture(scope="module")
def pair_index(imdb_split):
    return build_word_index(imdb_split.train.texts[:3000], PAIRS)


def test_old_settings_read_with_the_tutorial_defaults_and_defaults_are_written_without_new_keys():
    old = EncodingSettings.from_dict({"vocab_size": 10000, "max_length": 256, "contract_version": 1})
    assert (old.ngrams, old.dynamic_length, old.row_width) == (1, False, 256)
    assert old.to_dict() == {"vocab_size": 10000, "max_length": 256, "contract_version": 1}
    assert EncodingSettings.from_dict(PAIRS.to_dict()) == PAIRS
    assert PAIRS.to_dict()["ngrams"] == 2 and PAIRS.to_dict()["dynamic_length"] is True


@pytest.mark.parametrize("kwargs, message", [
    ({"ngrams": 3}, "ngrams"),
    ({"ngrams": 0}, "ngrams"),
    ({"dynamic_length": "yes"}, "dynamic_length"),
    ({"max_length": None, "dynamic_length": True}, "max_length"),
])
def test_settings_that_cannot_work_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EncodingSettings(**kwargs)


def test_pair_index_of_real_reviews_ranks_each_pair_after_its_words(pair_index):
    pair_index.check_matches_contract()
    pairs = [w for w in pair_index.words if " " in w]
    assert "not good" in pair_index and "waste of" in pair_index
    assert len(pairs) > 5_000
    for pair in pairs[:2_000]:
        first, second = pair.split(" ")
        assert pair_index.id_of(first) < pair_index.id_of(pair) and pair_index.id_of(second) < pair_index.id_of(pair)
        assert pair_index.pair_id(pair_index.id_of(first), pair_index.id_of(second)) == pair_index.id_of(pair)


def test_words_only_index_is_ranked_as_before(imdb_split):
    """ngrams=1: descending frequency, ties alphabetical, exactly the tutorial-era ranking."""
    texts = imdb_split.train.texts[:500]
    index = build_word_index(texts, EncodingSettings(vocab_size=2_000))
    counts: dict[str, int] = {}
    for text in texts:
        for word in words(text):
            counts[word] = counts.get(word, 0) + 1
    expected = sorted(counts, key=lambda w: (-counts[w], w))[:2_000 - 4]
    assert list(index.words) == expected


@pytest.mark.parametrize("entries, message", [
    (("film", "good film"), "not both in the index"),
    (("good", "film", "good  film"), "not a normalised word"),
    (("good", "film", "Good film"), "not a normalised word"),
    (("a", "b", "c", "a b c"), "not a normalised word"),
])
def test_pair_entries_the_contract_could_never_produce_are_refused(entries, message):
    with pytest.raises(ValueError, match=message):
        WordIndex(entries).check_matches_contract()


def test_a_pair_row_is_start_words_then_each_neighbouring_pair(pair_index):
    encoded = encode("This film was not good. Not good at all!", pair_index, PAIRS)
    ids = encoded.token_ids
    assert encoded.kept == len(ids) == 9 and not encoded.truncated
    assert encoded.ids[0] == START_ID and encoded.ids[1:10].tolist() == ids
    assert encoded.ids[10:].tolist() == [pair_index.pair_id(a, b) for a, b in zip(ids, ids[1:])]
    assert len(encoded.ids) == 1 + 9 + 8
    assert "not good" in decode(encoded.ids, pair_index)


def test_rows_are_cut_after_max_length_minus_one_words_with_their_pairs(pair_index, imdb_split):
    text = max(imdb_split.test.texts[:300], key=len)
    settings = EncodingSettings(vocab_size=20_000, max_length=51, ngrams=2, dynamic_length=True)
    encoded = encode(text, pair_index, settings)
    assert encoded.truncated and encoded.kept == 50 and len(encoded.ids) == 1 + 50 + 49
    fixed = EncodingSettings(vocab_size=20_000, max_length=51, ngrams=2)
    short = encode("a fine film", pair_index, fixed)
    assert len(short.ids) == fixed.row_width == 100
    assert short.ids[1:4].tolist() == short.token_ids and set(short.ids[1 + 3 + 2:].tolist()) == {PAD_ID}


@pytest.mark.parametrize("settings", [
    EncodingSettings(vocab_size=20_000, max_length=3_001, ngrams=2, dynamic_length=True),
    EncodingSettings(vocab_size=20_000, max_length=120, ngrams=2),
    EncodingSettings(vocab_size=20_000, max_length=3_001, dynamic_length=True),
    EncodingSettings(vocab_size=5_000, max_length=256),
])
def test_batch_rows_are_the_single_text_rows_padded(pair_index, imdb_split, settings):
    texts = imdb_split.test.texts[:300]
    batch = encode_batch(texts, pair_index, settings)
    rows = encode_rows(texts, pair_index, settings)
    width = settings.row_width if not settings.dynamic_length else max(len(r) for r in rows)
    assert batch.shape == (300, width)
    for text, row, unpadded in zip(texts, batch, rows):
        own = encode(text, pair_index, settings).ids
        np.testing.assert_array_equal(unpadded, own)
        np.testing.assert_array_equal(row[: len(own)], own)
        assert not row[len(own):].any()


@pytest.mark.parametrize("settings", [
    EncodingSettings(vocab_size=20_000, max_length=3_001, ngrams=2, dynamic_length=True),
    EncodingSettings(vocab_size=20_000, max_length=60, ngrams=2, dynamic_length=True),
    EncodingSettings(vocab_size=20_000, max_length=60, ngrams=2),
    EncodingSettings(vocab_size=20_000, max_length=3_001, dynamic_length=True),
    EncodingSettings(vocab_size=20_000, max_length=60),
])
def test_each_leave_one_out_row_is_the_row_of_the_text_without_that_word(pair_index, imdb_split, settings):
    texts = sorted(imdb_split.test.texts[:200], key=len)
    for text in (texts[0], texts[100], texts[-1], "Not good.", "Good", ""):
        encoded = encode(text, pair_index, settings)
        rows = rows_without_each_word(encoded.token_ids, pair_index, settings)
        assert rows.shape == (1 + encoded.kept, len(encoded.ids))
        np.testing.assert_array_equal(rows[0], encoded.ids)
        read = encoded.token_ids[: encoded.kept]
        for i in range(encoded.kept):
            expected, _ = model_row(read[:i] + read[i + 1 :], pair_index, settings)
            np.testing.assert_array_equal(rows[1 + i, : len(expected)], expected)
            assert not rows[1 + i, len(expected):].any()


def test_tutorial_rows_are_built_as_before(imdb_split):
    settings = EncodingSettings()
    index = build_word_index(imdb_split.train.texts[:2000], settings)
    for text in imdb_split.test.texts[:100]:
        encoded = encode(text, index, settings)
        expected, kept = pad_truncate(encoded.token_ids, settings)
        np.testing.assert_array_equal(encoded.ids, expected)
        assert encoded.kept == kept


def test_the_seed_bundle_scores_real_reviews_exactly_as_before_the_change(imdb_split):
    """Probabilities written by the code before word pairs existed, for 400 test reviews."""
    from review_sentiment._bundle import load_bundle

    before = json.loads(SEED_BEFORE.read_text(encoding="utf-8"))
    bundle = load_bundle(ROOT / "models" / before["bundle"])
    assert (bundle.settings.ngrams, bundle.settings.dynamic_length) == (1, False)
    by_hash = {hashlib.sha256(t.encode()).hexdigest(): t for t in imdb_split.test.texts}
    texts = [by_hash[r["sha256"]] for r in before["reviews"]]
    probabilities = bundle.classify_texts(texts)
    recorded = np.array([r["probability"] for r in before["reviews"]])
    # The same ids and network; onnxruntime's float sums may round the last bit or two otherwise
    # on another CPU (its kernels follow the vector width), so a few units in the last place.
    np.testing.assert_array_less(np.abs(probabilities - recorded), 4 * np.spacing(recorded) + 1e-300)


def test_a_word_whose_normal_form_the_contract_splits_again_is_left_out_of_the_index():
    """NFKC turns "½" into "1⁄2", which would tokenise as two words: such an entry could never be
    checked, so the index leaves it (and its pairs) out instead of shipping an index that fails."""
    index = build_word_index(["½ good film, ½ stars", "a good film"], PAIRS)
    index.check_matches_contract()
    assert "1⁄2" not in index and "good film" in index
    assert not any("1⁄2" in entry for entry in index.words)
