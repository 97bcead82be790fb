"""trainer/architectures.finish_weights: once trained, trigram-nb's weights are pulled toward naive
Bayes (nb_interpolation) and its bias dropped, on the ids the reviews trained on read and nowhere
else; the exported network then gives exactly what the finished Keras network gives."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from review_sentiment import bundle_format as fmt  # noqa: E402
from review_sentiment.encoding import PAD_ID, START_ID, EncodingSettings  # noqa: E402
from trainer.architectures import RECIPES, build_model, exported_network, finish_weights  # noqa: E402

SETTINGS = EncodingSettings(vocab_size=64 + 256, max_length=3_001, ngrams=3, dynamic_length=True,
                            ngram_buckets=256)


def _trained(recipe, seed: int = 5):
    rng = np.random.default_rng(seed)
    rows = [np.concatenate([[START_ID], rng.integers(4, SETTINGS.vocab_size // 2, size=rng.integers(3, 30)),
                            [PAD_ID]]) for _ in range(40)]
    labels = rng.integers(0, 2, size=40).astype(np.float32)
    model = build_model(recipe, SETTINGS, rows, labels)
    weights = model.get_layer("weights")
    trained = rng.normal(0.7, 0.4, size=weights.get_weights()[0].shape).astype(np.float32)
    weights.set_weights([trained])
    model.get_layer(fmt.OUTPUT_NAME).set_weights([np.array([0.3], np.float32)])
    return model, rows, trained.reshape(-1).astype(np.float64)


def test_the_read_ids_move_toward_their_mean_size_and_the_bias_goes():
    recipe = RECIPES["trigram-nb"]
    assert recipe.nb_interpolation == 0.8 and not recipe.bias_kept  # what the shipped default does
    model, rows, before = _trained(recipe)
    done = finish_weights(model, recipe, rows)
    after = model.get_layer("weights").get_weights()[0].reshape(-1).astype(np.float64)
    read = np.zeros(len(before), dtype=bool)
    read[np.concatenate(rows)] = True
    read[[PAD_ID, START_ID]] = False
    mean_size = np.mean(np.abs(before[read]))
    np.testing.assert_allclose(after[read], 0.8 * before[read] + 0.2 * mean_size, rtol=1e-6)
    np.testing.assert_array_equal(after[~read], before[~read])  # never read: untouched (their NB ratio is a constant)
    assert model.get_layer(fmt.OUTPUT_NAME).get_weights()[0][0] == 0.0
    assert done["bias_dropped"] == pytest.approx(0.3)
    assert done["nb_interpolation"]["ids"] == int(read.sum())
    assert done["nb_interpolation"]["mean_abs_weight"] == pytest.approx(mean_size)


def test_a_recipe_without_them_leaves_the_weights_alone():
    recipe = dataclasses.replace(RECIPES["trigram-nb"], nb_interpolation=1.0, bias_kept=True)
    model, rows, before = _trained(recipe)
    assert finish_weights(model, recipe, rows) == {}
    np.testing.assert_array_equal(model.get_layer("weights").get_weights()[0].reshape(-1), before.astype(np.float32))
    assert model.get_layer(fmt.OUTPUT_NAME).get_weights()[0][0] == pytest.approx(0.3)


def test_the_exported_network_reads_the_finished_weights():
    from trainer.architectures import network_with_shares

    recipe = RECIPES["trigram-nb"]
    model, rows, _ = _trained(recipe)
    finish_weights(model, recipe, rows)
    batch = np.stack([np.pad(r, (0, 31 - len(r))) for r in rows]).astype(np.int32)
    kept, exported = network_with_shares(model), exported_network(model)
    (p_kept, shares_kept), (p_exported, shares_exported) = kept.predict(batch, verbose=0), exported.predict(batch, verbose=0)
    np.testing.assert_allclose(p_exported, p_kept, rtol=0, atol=1e-12)
    np.testing.assert_allclose(shares_exported, shares_kept, rtol=0, atol=1e-12)
    z = np.log(p_kept[:, 0]) - np.log1p(-p_kept[:, 0])
    np.testing.assert_allclose(z, shares_kept.sum(axis=1), atol=1e-9)  # no bias: the shares are the log-odds
