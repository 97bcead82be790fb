"""Issue 13, points 12 and 14 (the text contract's part): normalising stays linear in a word's
combining marks without changing any real word, and the word index keeps only entries it can read."""

from __future__ import annotations

import unicodedata

import regex

from review_sentiment import encoding
from review_sentiment.encoding import EncodingSettings, build_word_index, normalise, tokenise, words


def _unbounded(word: str) -> str:
    """The normal form as it was before the bound: plain NFKC, case-fold, apostrophes."""
    return unicodedata.normalize("NFKC", word).casefold().translate(encoding._APOSTROPHES)


def test_every_word_of_the_real_reviews_keeps_its_normal_form(imdb_split):
    texts = [*imdb_split.train.texts, *imdb_split.validation.texts, *imdb_split.test.texts]
    raw = set(encoding._WORD.findall(encoding._strip_tags(" ".join(texts))))
    assert len(raw) > 100_000
    changed = [w for w in raw if encoding._normalise_word(w) != _unbounded(w)]
    assert changed == []


def test_a_quarter_megabyte_of_combining_marks_is_read_as_one_stream_safe_word():
    word = "x" + "\u0316\u0301" * 128_000  # marks of two classes that NFKC would sort pairwise
    (token,) = tokenise(word)
    runs = regex.findall(r"[^\P{M}\u034f]+", token.text)
    assert max(map(len, runs)) == 30 and sum(map(len, runs)) == 256_000
    assert (token.start, token.end) == (0, len(word))
    assert normalise(token.text) == token.text  # already normal: the contract check accepts it
    assert words(word) == [token.text]


def test_a_word_whose_normal_form_holds_spaces_is_left_out_of_the_index():
    for ngrams in (1, 2):
        index = build_word_index(["\ufdfa \ufdfb good good", "\ufdfb"], EncodingSettings(ngrams=ngrams))
        index.check_matches_contract()
        assert "good" in index and not any("\u0644" in w for w in index.words)
