"""`classify --explain`'s fast paths. Its JSON formatter (`explanations_fields_json`) writes exactly what the
one-review % formatter (`explanation_fields_json`) writes, character for character: on real
reviews explained by the shipped model, and on hypothesis's texts and numbers (non-ASCII words,
HTML tags, contributions at the rounding's edges, negative zero, beyond the fast path's limits).
What it writes parses as the contract says: each word's text, span and contribution to 1e-9.
Its word spans, found with array operations, are the contract's (`tokenise`) on any text."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from review_sentiment._explain_batch import (
    _MOST_FAST_WORD_CHARACTERS,
    _word_spans,
    Explanation,
    explain_batch,
    explanation_fields_json,
    explanations_fields_json,
    explanations_records_json,
)
from review_sentiment.encoding import tokenise

settings.register_profile("suite", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


def explained(text: str, contributions, log_odds: float = 0.25, baseline: float = -0.125) -> Explanation:
    """An explanation of `text`'s words (the contract's spans) with the given contributions."""
    tokens = tokenise(text)
    values = np.resize(np.asarray(contributions, dtype=np.float64), len(tokens)) if len(contributions) else \
        np.zeros(len(tokens))
    return Explanation(log_odds, baseline, "exact", np.array([t.start for t in tokens], dtype=np.int64),
                       np.array([t.end for t in tokens], dtype=np.int64), values, np.ones(len(tokens), dtype=bool), None)


def parsed(fields: str) -> dict:
    return json.loads("{" + fields + "}")


def test_real_reviews_are_written_exactly_as_the_percent_formatter_writes_them(shipped_bundle, imdb_split):
    texts = imdb_split.test.texts[:600] + [t for t in imdb_split.test.texts[600:5000] if not t.isascii()][:150]
    texts += ["", "!!!", "Loved it!", "Café naïve — 😀 l'amour ’twas <b>great</b>", "x" * 70 + " fine"]
    explanations = explain_batch(shipped_bundle, texts)
    fast = explanations_fields_json(texts, explanations)
    assert fast == [explanation_fields_json(t, e) for t, e in zip(texts, explanations)]
    for text, e, fields in zip(texts, explanations, fast):
        record = parsed(fields)
        words = record["explanation"]
        assert [(w["start"], w["end"]) for w in words] == list(zip(e.starts.tolist(), e.ends.tolist()))
        assert all(text[w["start"] : w["end"]] == w["text"] for w in words)
        assert np.allclose([w["contribution"] for w in words], e.contributions, rtol=0, atol=0.5e-9 + 1e-15)
        assert record["baseline"] + sum(w["contribution"] for w in words) == pytest.approx(record["log_odds"], abs=1e-6)


# Words of every kind the contract reads, non-ASCII ones of 2, 3 and 4 bytes, apostrophes inside
# words, HTML tags, and long words (past the fast path's limit).
word_text = st.text(st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(list("abcXYZ019 '’ʼ<>/\n\t\u0301\ufb01\u00bd\u00e9\u4e2d\U0001d400\U0001f600")),
), max_size=200)

# Contributions where formatting goes wrong first: the rounding's halfway points, negative zero,
# tiny and huge values, the limit of the fast path, and what is not a number.
contribution = st.one_of(
    st.floats(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-3_000_000_000, 3_000_000_000).map(lambda k: (k + 0.5) / 1e9),
    st.integers(-3_000_000_000, 3_000_000_000).map(lambda k: k / 1e9),
    st.sampled_from([0.0, -0.0, 1e-12, -1e-12, 5e-10, -5e-10, 0.9999999995, 999_999.9999999995, 1e6, -1e6, 1e300]),
)


@given(st.lists(st.tuples(word_text, st.lists(contribution, max_size=12)), min_size=1, max_size=8))
@example([("a " + "b" * _MOST_FAST_WORD_CHARACTERS + " c", [0.5]), ("d " + "é" * _MOST_FAST_WORD_CHARACTERS, [-0.25])])
@example([("a" * (_MOST_FAST_WORD_CHARACTERS + 1) + " b", [1.0]), ("tail", [float("nan")]), ("ok 'tis", [-0.0])])
@example([("\ud800 word \udfff é", [0.1]), ("<b>bold</b> move", [2.5e-10])])
def test_generated_texts_and_numbers_are_written_as_the_percent_formatter_writes_them(reviews):
    texts = [text for text, _ in reviews]
    explanations = [explained(text, values) for text, values in reviews]
    fast = explanations_fields_json(texts, explanations)
    assert fast == [explanation_fields_json(t, e) for t, e in zip(texts, explanations)]
    prefixes = [f'{{"line": {i}, "source": "é{"x" * i}", ' for i in range(len(texts))]
    assert explanations_records_json(texts, explanations, prefixes, b"}\n") == "".join(
        f"{prefix}{fields}}}\n" for prefix, fields in zip(prefixes, fast)).encode("utf-8", "surrogatepass")
    for text, e, fields in zip(texts, explanations, fast):
        if not np.all(np.isfinite(e.contributions)):
            continue  # "nan" is not JSON: written as it always was, by the % formatter
        words = parsed(fields)["explanation"]
        assert [w["text"] for w in words] == [text[s:t] for s, t in zip(e.starts.tolist(), e.ends.tolist())]
        assert np.allclose([w["contribution"] for w in words], e.contributions, rtol=1e-15, atol=0.5e-9)


def test_a_text_of_a_million_characters_is_written_by_the_percent_formatter_alike():
    text = "good " * 200_001
    texts, explanations = [text, "fine film"], [explained(text, [0.5, -0.5]), explained("fine film", [0.1])]
    assert explanations_fields_json(texts, explanations) == [explanation_fields_json(t, e)
                                                           for t, e in zip(texts, explanations)]


def test_runs_split_between_reviews_give_the_same_strings(monkeypatch):
    from review_sentiment import _explain_batch

    texts = [f"review {i} " + " ".join(["word"] * (i % 7)) for i in range(40)]
    explanations = [explained(text, [0.1 * i - 1]) for i, text in enumerate(texts)]
    whole = explanations_fields_json(texts, explanations)
    records = explanations_records_json(texts, explanations, [f"{i}:" for i in range(40)], b"|")
    assert records == "".join(f"{i}:{fields}|" for i, fields in enumerate(whole)).encode()
    monkeypatch.setattr(_explain_batch, "_WORDS_PER_RUN", 5)
    assert explanations_fields_json(texts, explanations) == whole
    assert explanations_records_json(texts, explanations, [f"{i}:" for i in range(40)], b"|") == records


@given(st.lists(word_text, min_size=1, max_size=6))
@example(["rock'n'roll ''quoted'' 'tis don't' a<b>b</b>c <br />x", "Café naïve — 😀 l'amour ’twas ʼa ʼ"])
@example(["\ud800ab\udc00 e\u0301t\u0301 \U0001d400\U0001d401 x’", "", "'''", "\u4e2d\u6587 <i>\u00e9</i>"])
def test_the_fast_word_spans_are_the_contracts_words_on_any_text(texts):
    for text, (starts, ends) in zip(texts, _word_spans(texts)):
        assert list(zip(starts.tolist(), ends.tolist())) == [(t.start, t.end) for t in tokenise(text)], text


def test_the_fields_carry_the_very_raw_probabilities_plain_classification_gets(shipped_bundle, imdb_split):
    """Bit for bit, in batches of any size (the padding `ModelBundle.raw_probabilities` does,
    `AdditiveShares.run` does too), so classify may take them instead of running the network again."""
    import pickle

    from review_sentiment._batch import _model_batches
    from review_sentiment._explain_batch import csv_fields, jsonl_fields
    from review_sentiment.encoding import encode_ragged, pad_rows

    texts = imdb_split.test.texts[:1500] + ["", "Loved it!", "A fine zxqvyblorp"]
    flat, lengths = encode_ragged(texts, shipped_bundle.word_index, shipped_bundle.settings)
    alone = np.array([shipped_bundle.raw_probabilities(pad_rows([row]))[0]
                      for row in np.split(flat, np.cumsum(lengths)[:-1])])
    rng, start, differ = np.random.default_rng(2), 0, 0
    while start < len(texts):  # batches of 1 to 120 reviews, as classify's workers get them
        chosen = texts[start : start + int(rng.integers(1, 120))]
        batches = _model_batches(chosen, shipped_bundle.word_index, shipped_bundle.settings)
        made = pickle.loads(pickle.dumps(jsonl_fields(shipped_bundle, chosen, batches)))  # as from a worker
        assert len(made) == len(chosen) and all(isinstance(f, tuple) for f in made)
        differ += int(np.sum(made.raw_probabilities != alone[start : start + len(chosen)]))
        start += len(chosen)
    assert differ == 0, f"{differ} of {len(texts)} reviews got another raw probability than classify gives them"
    batches = _model_batches(texts[:50], shipped_bundle.word_index, shipped_bundle.settings)
    assert csv_fields(shipped_bundle, texts[:50], batches).raw_probabilities.tobytes() == alone[:50].tobytes()
    assert jsonl_fields(shipped_bundle, texts).raw_probabilities is None  # rows of its own: none to give
