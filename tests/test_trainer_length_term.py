"""trainer/architectures.py, `Recipe.length_term`: z = bias - c + c / sqrt(n) + sum(values) / sqrt(n),
with the length part c / sqrt(n) - c shared evenly among the n positions read, so that the empty
review's log-odds plus the shares still give z exactly: in Keras, in the exported network and in
the ONNX file the app runs."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from review_sentiment.encoding import PAD_ID, START_ID, EncodingSettings, build_word_index  # noqa: E402

SETTINGS = EncodingSettings(vocab_size=64, max_length=40, ngrams=1, dynamic_length=True)
BIAS, LENGTH_WEIGHT = 0.3, -0.8


def _model(length_term: bool = True):
    from trainer.architectures import _length_normalised_nb

    rng = np.random.default_rng(5)
    model = _length_normalised_nb(SETTINGS, rng.normal(size=SETTINGS.vocab_size), length_term=length_term)
    model.get_layer("weights").set_weights([rng.normal(size=(SETTINGS.vocab_size, 1))])
    model.get_layer("positive_probability").set_weights([np.array([BIAS])])
    if length_term:
        from review_sentiment import bundle_format as fmt

        model.get_layer(fmt.CONTRIBUTIONS_NAME).set_weights([np.array(LENGTH_WEIGHT)])
    return model


def _rows():
    """[<START>] alone, then rows of 1-30 ids padded with <PAD> to one width."""
    rng = np.random.default_rng(9)
    rows = np.full((40, 31), PAD_ID, dtype=np.int32)
    rows[:, 0] = START_ID
    for i, length in enumerate(rng.integers(1, 31, size=len(rows))):
        if i:
            rows[i, 1 : 1 + length] = rng.integers(START_ID + 1, SETTINGS.vocab_size, size=length)
    return rows


def _values(model) -> np.ndarray:
    weights = model.get_layer("weights").get_weights()[0][:, 0].astype(np.float32)
    ratios = model.get_layer("naive_bayes_ratios").get_weights()[0][:, 0].astype(np.float32)
    return (weights * ratios).astype(np.float64)


def _log_odds(probability) -> np.ndarray:
    p = np.asarray(probability, dtype=np.float64).reshape(-1)
    return np.log(p) - np.log1p(-p)


def test_the_log_odds_gain_c_over_sqrt_n_and_the_shares_still_add_up():
    from trainer.architectures import network_with_shares

    model = _model()
    rows = _rows()
    probability, shares = network_with_shares(model).predict_on_batch(rows)
    values = _values(model)
    for row, z, row_shares in zip(rows, _log_odds(probability), np.asarray(shares)):
        read = row[row > START_ID]
        n = max(len(read), 1)
        expected = BIAS + (0.0 if len(read) == 0 else LENGTH_WEIGHT / np.sqrt(n) - LENGTH_WEIGHT
                           + values[read].sum() / np.sqrt(n))
        assert z == pytest.approx(expected, abs=1e-9)
        assert z == pytest.approx(BIAS + row_shares.sum(), abs=1e-9)  # the empty review's z + the shares
        assert np.all(row_shares[row <= START_ID] == 0.0)  # <START> and <PAD> get no share
    assert _log_odds(probability)[0] == pytest.approx(BIAS, abs=1e-12)  # [<START>]: the empty review


def test_the_length_weight_is_learnt_and_at_zero_it_changes_nothing():
    from review_sentiment import bundle_format as fmt

    with_term, without = _model(), _model(length_term=False)
    assert "length_weight" in [v.name for v in with_term.get_layer(fmt.CONTRIBUTIONS_NAME).trainable_variables]
    assert not without.get_layer(fmt.CONTRIBUTIONS_NAME).weights
    with_term.get_layer(fmt.CONTRIBUTIONS_NAME).set_weights([np.array(0.0)])
    rows = _rows()
    # Equal up to float64 rounding: adding the term's 0.0 lets TensorFlow order the arithmetic
    # differently (1e-16 apart here); without the term the network is the one it always was.
    assert np.allclose(with_term.predict_on_batch(rows), without.predict_on_batch(rows), rtol=0, atol=1e-14)


def test_the_onnx_export_keeps_the_length_term(tmp_path):
    import onnxruntime as ort

    from review_sentiment import bundle_format as fmt
    from trainer.architectures import exported_network, network_with_shares
    from trainer.export import check_parity, export_onnx

    model = _model()
    exported = exported_network(model)
    path = tmp_path / "model.onnx"
    export_onnx(exported, path, settings=SETTINGS, word_index=build_word_index(["a b c"], SETTINGS),
                temperature=1.0, name="t", architecture="trigram-nb", created="2026-12-01T00:00:00Z")
    rows = _rows()
    assert check_parity(network_with_shares(model), path, rows) <= 1e-9
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probability, shares = session.run([fmt.OUTPUT_NAME, fmt.CONTRIBUTIONS_NAME], {fmt.INPUT_NAME: rows})
    baseline = _log_odds(probability)[0]
    assert np.allclose(_log_odds(probability), baseline + shares.sum(axis=1), atol=1e-9)
    expected, _ = network_with_shares(model).predict_on_batch(rows)
    assert np.allclose(_log_odds(probability), _log_odds(expected), atol=1e-9)
