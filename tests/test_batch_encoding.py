"""The fast paths of `words` (what batch classification spends its time in) give exactly the
words of the one tokeniser, `tokenise`, on every real review and on adversarial text."""

from __future__ import annotations

import random

from review_sentiment.encoding import encode, encode_batch, tokenise, words


def slow_words(text: str) -> list[str]:
    return [token.text for token in tokenise(text)]


def test_same_words_on_every_real_review(imdb_split):
    texts = imdb_split.train.texts + imdb_split.validation.texts + imdb_split.test.texts
    assert sum(t.isascii() for t in texts) > 20_000  # the fast path is what is being checked
    mismatches = [t[:80] for t in texts if words(t) != slow_words(t)]
    assert mismatches == []


def test_same_words_on_adversarial_ascii():
    cases = ["'", "''", "'a", "a'", "a''b", "a'b'c", "'a'b'", "a' 'b", "a '' b", "rock'n'roll", "x'''y'z",
             "<br />a'<b>'c", "<" + "x" * 199 + ">y", "<" + "x" * 200 + ">y", "a<b", "a>b<c>d", "<<a>>",
             "Don't", "I'M", "_under_score_", "tab\there", "v\x0bt\x1cz", "12'34", "'''", "' '", "a'-b"]
    alphabet = "aZ9'' <>/\n\t_-.\x0b\x1c\x00"
    rng = random.Random(20261126)
    cases += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(20_000)]
    for case in cases:
        assert words(case) == slow_words(case), repr(case)


def test_same_words_on_adversarial_unicode():
    cases = ["caf\u00e9 don\u2019t", "\u02bcabc", "a\u0301b", "\u00a0'x\u3000'9-", "\ufb01ne \u2460 \u03a3\u00df \u0130",
             "x\u0085y", "\U0001f600 smile\U0001f600", "<\u00e9>word", "a<b\u00e9>c"]
    alphabet = "aZ9' <>\n\xa0\u3000\u00e9\u2019\u02bc\u0301\u2460\ufb01\u03a3\u00df\u0130\U0001f600\x85\u2028_-.\u00e4"
    rng = random.Random(26)
    cases += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(20_000)]
    for case in cases:
        assert words(case) == slow_words(case), repr(case)


def test_batch_rows_equal_single_encodings(imdb_split, shipped_bundle):
    texts = imdb_split.test.texts[:300]
    batch = encode_batch(texts, shipped_bundle.word_index, shipped_bundle.settings)
    for row, text in zip(batch, texts):
        single = encode(text, shipped_bundle.word_index, shipped_bundle.settings).ids
        assert (row[: len(single)] == single).all() and not row[len(single):].any()


def test_words_with_a_limit_are_the_first_words(imdb_split):
    texts = imdb_split.test.texts[:2000] + ["a' b'c ''d", "caf\u00e9 <i>x</i> y z", "", "   "]
    for text in texts:
        every = words(text)
        for limit in (0, 1, 3, 255):
            assert words(text, limit) == every[:limit]


def test_pair_rows_match_a_dict_lookup_per_pair(imdb_split):
    """The vectorised pair look-up (ngrams=2) gives each pair's id from the index, <PAD> otherwise,
    also when the index holds ids beyond vocab_size."""
    from review_sentiment.encoding import PAD_ID, START_ID, EncodingSettings, build_word_index

    texts = imdb_split.train.texts[:3000]
    settings = EncodingSettings(vocab_size=6000, max_length=120, ngrams=2, dynamic_length=True)
    index = build_word_index(texts, settings)
    assert index._pairs  # real pairs to find
    narrower = EncodingSettings(vocab_size=3000, max_length=120, ngrams=2, dynamic_length=True)
    sample = imdb_split.test.texts[:300]
    for used in (settings, narrower):
        rows = encode_batch(sample, index, used)
        for row, text in zip(rows, sample):
            word_ids = [index.id_of(w) for w in words(text)[: used.max_length - 1]]
            word_ids = [i if i < used.vocab_size else 2 for i in word_ids]
            pairs = [index._pairs.get((a, b), PAD_ID) for a, b in zip(word_ids, word_ids[1:])]
            expected = [START_ID, *word_ids, *[p if p < used.vocab_size else PAD_ID for p in pairs]]
            assert row[: len(expected)].tolist() == expected and not row[len(expected):].any()
