"""`encode_batch` looks up the word pairs of a whole batch at once, in a hash table (or hashes the
pairs and triples of the whole batch at once); every row must still be exactly the row the
contract describes, built the plain way: one text at a time, one dictionary look-up per word and
per pair, the n-gram hash in plain Python integers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from review_sentiment.encoding import (
    PAD_ID,
    START_ID,
    UNK_ID,
    EncodingSettings,
    build_word_index,
    encode,
    encode_batch,
    rows_without_each_word,
    tokenise,
)

PAIRS = EncodingSettings(vocab_size=30_000, max_length=3_001, ngrams=2, dynamic_length=True)
HASHED = EncodingSettings(vocab_size=20_000 + 2**16, max_length=3_001, ngrams=3, dynamic_length=True, ngram_buckets=2**16)

ODD_TEXTS = [
    "",  # no words at all
    "?!  <br /><br /> ...",  # only tags and punctuation
    "Good",  # one word: no pair
    "not good",  # one pair
    "Café CAFÉ cafe\u0301 café, naïve Ünïcödé — 映画 素晴らしい!",  # non-ASCII words
    "bad bad bad bad bad not not good good good",  # repeated words and pairs
    "zzqxv qqxzv good",  # unknown words around a known one
    "the " * 4_000,  # longer than max_length: cut
]


@pytest.fixture(scope="module")
def pair_index(imdb_split):
    return build_word_index(imdb_split.train.texts[:4000], PAIRS)


def plain_bucket(gram, settings):
    """docs/bundle-format.md's n-gram hash, in Python integers."""
    if UNK_ID in gram:
        return PAD_ID
    a, b, c = (*gram, 0)[:3]
    key = a << 42 | b << 21 | c
    key ^= key >> 30
    key = key * 0xBF58476D1CE4E5B9 % 2**64
    key ^= key >> 27
    key = key * 0x94D049BB133111EB % 2**64
    key ^= key >> 31
    return settings.word_ids + (key >> (64 - settings.ngram_buckets.bit_length() + 1))


def plain_row(text, index, settings):
    """The contract's row, one dictionary look-up at a time (no arrays, no hash table)."""
    return plain_row_of_ids([index.id_of(t.text) for t in tokenise(text)], index, settings)


def plain_row_of_ids(word_ids, index, settings):
    word_ids = [i if i < settings.word_ids else UNK_ID for i in word_ids[: settings.max_length - 1]]
    row = [START_ID, *word_ids]
    if settings.ngram_buckets:
        for size in range(2, settings.ngrams + 1):
            row += [plain_bucket(word_ids[i : i + size], settings) for i in range(len(word_ids) - size + 1)]
    elif settings.ngrams == 2:
        pairs = [index.pair_id(a, b) for a, b in zip(word_ids, word_ids[1:])]
        row += [i if i < settings.vocab_size else PAD_ID for i in pairs]
    return row if settings.dynamic_length else row + [PAD_ID] * (settings.row_width - len(row))


def assert_rows_are_plain(texts, index, settings):
    batch = encode_batch(texts, index, settings)
    expected = [plain_row(text, index, settings) for text in texts]
    width = max(map(len, expected)) if settings.dynamic_length else settings.row_width
    assert batch.dtype == np.int32 and batch.shape == (len(texts), width)
    for text, row, plain in zip(texts, batch.tolist(), expected):
        assert row == plain + [PAD_ID] * (width - len(plain)), text[:80]
        assert encode(text, index, settings).ids.tolist() == plain, text[:80]


@pytest.mark.parametrize("settings", [
    PAIRS,
    dataclasses.replace(PAIRS, dynamic_length=False, max_length=200),  # fixed rows, cut texts
    dataclasses.replace(PAIRS, vocab_size=8_000),  # pairs and words beyond vocab_size left out
    dataclasses.replace(PAIRS, ngrams=1),  # dynamic rows of words alone
    HASHED,  # words, then hashed pairs and triples
    dataclasses.replace(HASHED, dynamic_length=False, max_length=200),
    dataclasses.replace(HASHED, ngrams=2),  # hashed pairs alone
])
def test_batch_rows_equal_plain_rows_on_real_reviews(pair_index, imdb_split, settings):
    texts = ODD_TEXTS + imdb_split.test.texts[:1500] + ODD_TEXTS
    assert_rows_are_plain(texts, pair_index, settings)


def test_batches_of_odd_texts_alone(pair_index):
    for texts in ([""], ["Good"], ["", ""], ["not good"], ODD_TEXTS[:3], ODD_TEXTS[4:6]):
        assert_rows_are_plain(texts, pair_index, PAIRS)
        assert_rows_are_plain(texts, pair_index, HASHED)
    assert encode_batch([], pair_index, PAIRS).shape[0] == 0


def test_pairs_asked_of_an_index_without_pairs_are_padding(imdb_split):
    words_only = build_word_index(imdb_split.train.texts[:500], EncodingSettings(vocab_size=3_000))
    assert_rows_are_plain(imdb_split.test.texts[:200] + ODD_TEXTS, words_only, dataclasses.replace(PAIRS, vocab_size=3_000))


def test_shipped_bundle_rows_on_the_whole_test_split(shipped_bundle, imdb_split):
    """The model in use, on the 5,000 test reviews, in the batch sizes the app and the CLI use."""
    texts = imdb_split.test.texts
    for start in range(0, len(texts), 1024):
        assert_rows_are_plain(texts[start : start + 1024], shipped_bundle.word_index, shipped_bundle.settings)


def test_explanation_rows_start_with_the_plain_row(pair_index, imdb_split):
    for text in ODD_TEXTS[2:7] + imdb_split.test.texts[:20]:
        word_ids = [pair_index.id_of(t.text) for t in tokenise(text)]
        rows = rows_without_each_word(word_ids, pair_index, PAIRS)
        assert rows[0].tolist() == plain_row(text, pair_index, PAIRS)
        if len(word_ids) >= 3:  # leaving out the second word makes the pair (first, third)
            shorter = word_ids[:1] + word_ids[2:]
            assert rows[2].tolist()[: len(word_ids) * 2 - 2] == [START_ID, *shorter, *(
                pair_index.pair_id(a, b) for a, b in zip(shorter, shorter[1:]))]


def test_hashed_explanation_rows_each_leave_out_one_word(pair_index, imdb_split):
    for text in ODD_TEXTS[2:7] + imdb_split.test.texts[:6]:
        token_ids = encode(text, pair_index, HASHED).token_ids
        rows = rows_without_each_word(token_ids, pair_index, HASHED)
        assert rows[0].tolist() == plain_row(text, pair_index, HASHED)
        for left_out in range(len(token_ids)):
            plain = plain_row_of_ids(token_ids[:left_out] + token_ids[left_out + 1 :], pair_index, HASHED)
            assert rows[1 + left_out].tolist() == plain + [PAD_ID] * (rows.shape[1] - len(plain)), (text[:40], left_out)
