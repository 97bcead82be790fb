"""The ASCII fast path of `words` (what batch classification spends its time in) gives exactly
the words of the one tokeniser, `tokenise`, on every real review and on adversarial text."""

from __future__ import annotations

import random

from review_encoding import encode, encode_batch, tokenise, words


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


def test_batch_rows_equal_single_encodings(imdb_split, shipped_bundle):
    texts = imdb_split.test.texts[:300]
    batch = encode_batch(texts, shipped_bundle.word_index, shipped_bundle.settings)
    for row, text in zip(batch, texts):
        single = encode(text, shipped_bundle.word_index, shipped_bundle.settings).ids
        assert (row[: len(single)] == single).all() and not row[len(single):].any()
