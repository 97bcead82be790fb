"""`WordIndex.check_matches_contract` checks most entries at once (the ASCII ones, joined); it must
accept and refuse exactly what checking each entry on its own (`_check_entry`) does, and name
the same entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from review_sentiment._bundle import load_bundle
from review_sentiment.encoding import WordIndex

MODELS = Path(__file__).resolve().parents[1] / "models"
VALID = ("the", "film", "don't", "rock'n'roll", "café", "1990s", "a", "not", "good", "not good", "x" * 40)


def entry_by_entry(index: WordIndex) -> str:
    """The error the plain check gives (one entry at a time), or "" if it accepts."""
    try:
        for position, word in enumerate(index.words):
            index._check_entry(position, word)
    except ValueError as error:
        return str(error)
    return ""


def error_of(index: WordIndex) -> str:
    try:
        index.check_matches_contract()
    except ValueError as error:
        return str(error)
    return ""


@pytest.mark.parametrize("folder", sorted(p.name for p in MODELS.iterdir() if p.is_dir()))
def test_every_shipped_index_passes_at_once(folder):
    index = load_bundle(MODELS / folder).word_index
    assert index._every_entry_matches()  # the fast check, not the entry-by-entry one, accepts it
    assert entry_by_entry(index) == ""


@pytest.mark.parametrize("bad", [
    "<br />", "<b>x", "a<b", "x>", "Film", "'a", "a'", "a''b", "a b c", "a  b", " a", "a ", "a\nb", "a\tb",
    "no pair", "the nope", "a-b", "a.b", "½", "ﬁlm", "CAFÉ", "caf\u00e9 ", "\u00a0", "é'", "’s", "don’t", "a\x00",
])
def test_a_bad_entry_is_named_wherever_it_stands(bad):
    for entries in ((bad,), VALID + (bad,), (bad,) + VALID, VALID[:5] + (bad,) + VALID[5:]):
        index = WordIndex(entries)
        expected = entry_by_entry(index)
        assert expected, f"{bad!r} should be refused"
        assert error_of(index) == expected


def test_good_entries_pass():
    assert error_of(WordIndex(VALID)) == ""
    assert error_of(WordIndex(())) == ""


entry = st.one_of(
    st.sampled_from(VALID + ("<br />", "a b", "good film", "film good", "x'", "'", "É", "é", "é good", " ")),
    st.text(st.sampled_from(list("ab9' <>\né’\u0301½")), min_size=1, max_size=6),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entry, unique=True, max_size=12))
def test_the_check_at_once_agrees_with_entry_by_entry(entries):
    index = WordIndex(tuple(entries))
    assert error_of(index) == entry_by_entry(index)
