"""`encode_ragged` (and `encode_batch`, built on it) find, look up and join into n-grams the words of
a whole batch with numpy passes over its characters; every row must be exactly the row of the
contract's reference, one text at a time: `tokenise`, `_lookup`, `model_row`. Checked on every real
review and snippet for each shipped model's settings, and on adversarial text from hypothesis."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from review_sentiment._bundle import aligned_rows, load_bundle
from review_sentiment.encoding import (
    START_ID,
    UNK_ID,
    EncodingSettings,
    WordIndex,
    _lookup,
    encode_batch,
    encode_ragged,
    encode_runs,
    model_row,
    pad_rows,
    rows_of_runs,
    tokenise,
)

MODELS = Path(__file__).resolve().parents[1] / "models"
ARCHITECTURES = ("trigram-nb", "bigram-nb", "seed")


def shipped(architecture: str):
    """The newest shipped bundle of this architecture."""
    return load_bundle(sorted(MODELS.glob(f"{architecture}-*"))[-1])


@pytest.fixture(scope="module", params=ARCHITECTURES)
def bundle(request):
    return shipped(request.param)


def reference_row(text_words: list[str], index: WordIndex, encoding: EncodingSettings) -> np.ndarray:
    return model_row(_lookup(text_words, index, encoding), index, encoding)[0]


def tokenised(text: str) -> list[str]:
    return [token.text for token in tokenise(text)]


def assert_same_rows(texts, text_words, index, encoding, batch_size=1024):
    """encode_ragged and encode_batch, in batches as the app makes them, against the reference."""
    for start in range(0, len(texts), batch_size):
        chunk = texts[start:start + batch_size]
        expected = [reference_row(w, index, encoding) for w in text_words[start:start + batch_size]]
        flat, lengths = encode_ragged(chunk, index, encoding)
        assert flat.dtype == np.int32 and lengths.dtype == np.int64 and lengths.shape == (len(chunk),)
        assert lengths.tolist() == [len(row) for row in expected]
        rows = np.split(flat, np.cumsum(lengths)[:-1]) if len(chunk) else []
        wrong = [start + i for i, (got, want) in enumerate(zip(rows, expected)) if not np.array_equal(got, want)]
        assert wrong == [], f"rows differ from the reference for texts {wrong[:5]}: {[texts[i][:80] for i in wrong[:2]]}"
        batch = encode_batch(chunk, index, encoding)
        width = None if encoding.dynamic_length else encoding.row_width
        assert batch.dtype == np.int32 and np.array_equal(batch, pad_rows(expected, width))
        if encoding.dynamic_length and chunk:
            assert_same_rows_of_runs(chunk, expected, index, encoding)


def assert_same_rows_of_runs(texts, expected, index, encoding):
    """rows_of_runs (the model's chunks) of all the texts, of every third backwards, and of each alone."""
    runs = encode_runs(texts, index, encoding)
    for chosen in (np.arange(len(texts)), np.arange(len(texts))[::-3], *np.arange(len(texts))[:20, np.newaxis]):
        rows = rows_of_runs(runs, chosen)
        wanted = pad_rows([expected[i] for i in chosen])
        assert rows.dtype == np.int32 and np.array_equal(rows, wanted)
        aligned = rows_of_runs(runs, chosen, 8)  # the same rows, in <PAD> to multiples of 8 rows and ids
        assert np.array_equal(aligned, wanted) and np.array_equal(aligned_rows(aligned), aligned_rows(wanted))


@pytest.fixture(scope="module")
def real_texts():
    """All 25,000 IMDB reviews and 8,530 Rotten Tomatoes snippets, with their words by `tokenise`."""
    from trainer.data import load_movie_reviews

    texts = load_movie_reviews().texts + load_movie_reviews(source="rotten_tomatoes").texts
    assert len(texts) == 25_000 + 8_530
    assert sum(not t.isascii() for t in texts) > 1_000  # the foreign pieces are checked too
    return texts, [tokenised(t) for t in texts]


def test_every_real_review_and_snippet_encodes_as_the_reference(bundle, real_texts):
    texts, text_words = real_texts
    assert_same_rows(texts, text_words, bundle.word_index, bundle.settings)
    assert_same_rows(texts[:3000], text_words[:3000], bundle.word_index, bundle.settings, batch_size=77)


def test_aligned_rows_takes_a_chunks_own_padding_and_never_a_view_of_other_ids():
    """A chunk `rows_of_runs(..., 8)` makes is run as its aligned base (no copy); a view of ids
    that are not all <PAD> around it (a slice of a wider batch) is padded anew, never run with them."""
    bundle = shipped("trigram-nb")
    texts = ["Loved it!", "Not good at all: a waste of time.", "The acting was terrible but the story was wonderful."]
    runs = encode_runs(texts, bundle.word_index, bundle.settings)
    chunk = rows_of_runs(runs, np.arange(3), 8)
    assert chunk.shape == (3, encode_batch(texts, bundle.word_index, bundle.settings).shape[1])
    assert aligned_rows(chunk) is chunk.base and aligned_rows(chunk).shape == (8, 8 * -(-chunk.shape[1] // 8))
    wider = np.arange(1, 8 * 16 + 1, dtype=np.int32).reshape(8, 16)  # aligned, but ids all round
    for view in (wider[:3, :13], wider[:8, :13], wider[:3, :16]):
        padded = aligned_rows(view)
        assert padded.base is None and np.array_equal(padded[: len(view), : view.shape[1]], view)
        assert not padded[len(view):].any() and not padded[:, view.shape[1]:].any()


def test_long_texts_are_cut_after_max_length_words(bundle):
    encoding = bundle.settings
    texts = ["the " * 4000, "Café " * 5000 + "good", "<br />".join(["good'n bad"] * 3200), "", "  <br /> ?! ''"]
    assert_same_rows(texts, [tokenised(t) for t in texts], bundle.word_index, encoding)


def test_no_texts_give_no_rows(bundle):
    flat, lengths = encode_ragged([], bundle.word_index, bundle.settings)
    assert flat.shape == (0,) and lengths.shape == (0,)
    assert encode_batch([], bundle.word_index, bundle.settings).shape[0] == 0


# -- adversarial text ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundles():
    return {architecture: shipped(architecture) for architecture in ARCHITECTURES}


def vocabulary_sample(architecture: str) -> list[str]:
    """Words of the index, short and long (over 8, 16 and 24 characters: each is packed differently)."""
    index = shipped(architecture).word_index
    single = [w for w in index.words if " " not in w]
    by_length = sorted(single, key=len)
    return single[:200] + by_length[-60:] + [w for w in single if not w.isascii()][:40] + [w for w in single if "'" in w][:40]


VOCABULARY = {architecture: vocabulary_sample(architecture) for architecture in ARCHITECTURES}
SEPARATORS = [" ", "  ", "\n", "\t", ".", ",", "-", "!", "_", "\x00", "\x7f", "/", '"']
ODD_PIECES = ["'", "''", "'''", "<br />", "<br/>", "<", ">", "<i>", "</i>", "<" + "x " * 99 + ">", "<" + "x" * 201 + ">",
              "<é>", "12", "0", "don't", "rock'n'roll", "x" * 25, "q" * 9, "é", "É", "’", "ʼ", "\u0301", "\x85", "\x96",
              "\xa0", "½", "ﬁ", "\U0001f600", "ß", "İ", "\u3000", "映画", "\ud800", "ÿ", "\u2028", "caf", "CAFÉ"]


@st.composite
def adversarial_texts(draw, architecture: str):
    words = VOCABULARY[architecture]
    piece = st.one_of(
        st.sampled_from(words).map(lambda w: w),
        st.sampled_from(words).map(str.upper),
        st.sampled_from(words).map(str.title),
        st.sampled_from(SEPARATORS),
        st.sampled_from(ODD_PIECES),
        st.text(st.sampled_from(list("aZ9'<>/ \n\x00é’")), max_size=6),
    )
    ascii_only = draw(st.booleans())
    pieces = draw(st.lists(piece, max_size=40))
    text = "".join(pieces)
    return text.encode("ascii", "ignore").decode() if ascii_only else text


def texts_for(architecture: str):
    return st.lists(adversarial_texts(architecture), max_size=8)


def check_batch(texts, architecture, bundles, max_length):
    bundle = bundles[architecture]
    encoding = bundle.settings if max_length is None else dataclasses.replace(bundle.settings, max_length=max_length)
    assert_same_rows(texts, [tokenised(t) for t in texts], bundle.word_index, encoding)


ADVERSARIAL = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])


@ADVERSARIAL
@given(texts_for("trigram-nb"), st.sampled_from([None, 2, 3, 5]))
@example(["'a' b''c <br />x'<b>'y", "", "<<a>b>", "a<b", "x<é>y", "don’t ǅ", "' '", "a'b'c'"], None)
@example(["the film " * 10, "é" * 3 + "the", "\x00'a'\x00"], 3)
def test_adversarial_batches_trigram(bundles, texts, max_length):
    check_batch(texts, "trigram-nb", bundles, max_length)


@ADVERSARIAL
@given(texts_for("bigram-nb"), st.sampled_from([None, 2, 4]))
@example(["not good", "NOT GOOD at all", "not’good", "not <br /> good"], None)
def test_adversarial_batches_bigram(bundles, texts, max_length):
    check_batch(texts, "bigram-nb", bundles, max_length)


@ADVERSARIAL
@given(texts_for("seed"), st.sampled_from([None, 2, 4]))
def test_adversarial_batches_seed(bundles, texts, max_length):
    check_batch(texts, "seed", bundles, max_length)


def test_a_word_the_index_holds_in_upper_case_is_never_found():
    """Index entries are matched by their exact bytes: "Film" (not a word of the contract) is never
    the id of "film" or "FILM", and "film" is found however it is written."""
    index = WordIndex(("Film", "film", "x" * 30, "y" * 24, "z" * 9))
    encoding = EncodingSettings(vocab_size=20, max_length=10)
    texts = ["Film FILM film", "X" * 30 + " " + "y" * 24 + " " + "Z" * 9 + " " + "z" * 8]
    assert_same_rows(texts, [tokenised(t) for t in texts], index, encoding)
    assert encode_batch(texts[:1], index, encoding)[0, 1:4].tolist() == [5, 5, 5]
    assert encode_batch(texts[1:], index, encoding)[0, :5].tolist() == [START_ID, 6, 7, 8, UNK_ID]
