"""The Review tab's quicker ways to the same verdict (issue 11, paste to verdict), each against the
plain way it stands for, on real IMDB reviews and awkward texts, for every shipped bundle: the
model view built from the words' own texts is `decode` of the row; the review's shares taken
alone from a run shared with its sentences are those of the whole run, bit for bit; an encoding
made of its tokens' columns (its tokens made on first use) is the one made of the tokens; the
visible characters counted are those left by splitting."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, strategies as st

from review_sentiment._bundle import default_models_dir, load_bundle
from review_sentiment._classify import classify_text
from review_sentiment._explain import _stacked, encode_review
from review_sentiment._sentences import sentence_rows, sentences_read
from review_sentiment.encoding import decode, encode

SHIPPED = sorted(p.name for p in default_models_dir().iterdir() if (p / "model.onnx").is_file())

AWKWARD = [
    "",
    "zzqx qqzz xqzq",  # no word known: every word read is <UNK>
    "Great cast! Awful plot… The end?<br /><br />Why \"so\" bad.\n\nno stop here",
    "Café. NAÏVE film! 😀 bad. Ｆｉｌｍ great… ½ stars. e\u0301te\u0301 good.",
    "good",  # one word: no n-grams
    "The film was good. " * 400,  # longer than the seed model reads
    "word " * 3000 + ". Bad.",  # longer than any model reads
]


@pytest.fixture(scope="module")
def texts(imdb_split):
    return imdb_split.test.texts[:400] + AWKWARD


def bundles():
    for folder in SHIPPED:
        bundle = load_bundle(default_models_dir() / folder)
        yield pytest.param(bundle, id=folder)
        if bundle.settings.dynamic_length:  # short rows: most texts cut where the model stops
            short = dataclasses.replace(bundle, settings=dataclasses.replace(bundle.settings, max_length=40))
            yield pytest.param(short, id=f"{folder}-max_length-40")


@pytest.mark.parametrize("bundle", list(bundles()))
def test_the_model_view_is_the_row_decoded(bundle, texts):
    for text in texts:
        verdict = classify_text(bundle, text, explain=False)
        assert verdict.model_view == decode(encode(text, bundle.word_index, bundle.settings).ids,
                                            bundle.word_index), text[:200]


@pytest.mark.parametrize("bundle", [b for b in bundles() if b.values[0].additive is not None
                                    and b.values[0].additive.per_id is None])
def test_the_reviews_shares_alone_are_those_of_the_whole_run(bundle, texts):
    sharing = 0
    for text in texts:
        encoded = encode_review(text, bundle)
        spans = sentences_read(text, encoded.tokens[encoded.kept - 1].end if encoded.kept else 0)
        if len(spans) < 2:
            continue
        rows, _ = sentence_rows(text, spans, encoded, bundle)
        batch = _stacked(encoded.ids[np.newaxis, :], rows)
        probabilities, shares = bundle.additive.run(bundle, batch)
        alone_probabilities, alone_shares = bundle.additive.run(bundle, batch, shared_rows=1)
        assert alone_shares.shape == (1, batch.shape[1]) and alone_shares.dtype == np.float64
        assert np.array_equal(alone_shares, shares[:1]), text[:200]
        assert np.array_equal(alone_probabilities, probabilities), text[:200]
        sharing += 1
    assert sharing > 100


def test_an_encoding_made_of_columns_is_the_one_made_of_tokens(shipped_bundle, texts):
    import copy
    import pickle

    from review_sentiment.encoding import EncodedText, Token, _lookup, model_row, tokenise

    index, settings = shipped_bundle.word_index, shipped_bundle.settings
    for text in texts + ["<br />", "a<b>c</b>", "it's 'quoted' isn''t"]:
        tokens = tokenise(text)
        token_ids = _lookup([token.text for token in tokens], index, settings)
        row, kept = model_row(token_ids, index, settings)
        made = encode(text, index, settings)
        assert [list(column) for column in made.columns] == [list(column) for column in tuple(zip(*tokens)) or ((), (), ())]
        assert made.truncated == (kept < len(tokens)) and made.kept == kept and made.token_ids == token_ids
        assert repr(made) == repr(EncodedText(tokens, token_ids, row, kept))  # tokens made on first use
        assert made.tokens == tokens and all(type(token) is Token for token in made.tokens)
        for copied in (pickle.loads(pickle.dumps(encode(text, index, settings))), copy.copy(encode(text, index, settings))):
            assert copied.tokens == tokens and np.array_equal(copied.ids, row), text[:200]
    with pytest.raises(AttributeError):
        encode("good", index, settings).no_such_field


@given(st.text(alphabet=st.sampled_from(list("ab .\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2003é")), max_size=60))
def test_visible_characters_are_those_left_by_splitting(text):
    from review_sentiment._classify import _visible_characters

    assert _visible_characters(text) == len("".join(text.split()))
    assert _visible_characters(text.encode("ascii", "ignore").decode()) == len("".join(text.encode("ascii", "ignore").decode().split()))


def test_visible_characters_of_real_reviews_are_those_left_by_splitting(texts):
    from review_sentiment._classify import _visible_characters

    assert [_visible_characters(text) for text in texts] == [len("".join(text.split())) for text in texts]
