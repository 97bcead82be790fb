"""The trainer's fused Adam (trainer/optimizers.py) trains exactly as Keras's Adam does, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.optimizers import _X86_64, adam, without_fused_multiply_add

pytestmark = pytest.mark.skipif(not _X86_64, reason="FusedAdam is used on x86-64 only")


def _train(optimizer, steps: int = 12):
    """A 2-column table updated through sparse gradients with repeated rows (as an Embedding's
    are) and a dense vector, like trigram-nb's weights and bias; the variables after `steps`."""
    import keras
    import tensorflow as tf

    rows = 50_003  # not a multiple of the vector width, so the loop's tail is compared too
    rng = np.random.default_rng(7)
    table = keras.Variable(rng.normal(size=(rows, 2)).astype(np.float32) * 0.1)
    bias = keras.Variable(np.zeros(3, np.float32))
    optimizer.build([table, bias])
    for _ in range(steps):
        indices = tf.constant(rng.integers(0, 900, 5_000), tf.int32)  # most rows repeat in a step
        values = tf.constant(rng.normal(size=(5_000, 2)).astype(np.float32))
        sparse = tf.IndexedSlices(values, indices, tf.constant([rows, 2]))
        dense = tf.constant(rng.normal(size=3).astype(np.float32))
        tf.function(lambda s, d: optimizer.apply([s, d], [table, bias]))(sparse, dense)
    moments = [np.concatenate([m.numpy().ravel() for m in group]) for group in (optimizer._momentums, optimizer._velocities)]
    return [table.numpy(), bias.numpy(), *moments]


def test_fused_adam_gives_keras_adams_weights_and_moments_bit_for_bit():
    import keras

    assert without_fused_multiply_add()  # as `python -m trainer` sets it, before XLA compiles anything
    fused = adam(0.03)
    assert type(fused).__name__ == "FusedAdam"
    expected = _train(keras.optimizers.Adam(0.03))
    got = _train(fused)
    for name, want, have in zip(("table", "bias", "m", "v"), expected, got):
        assert np.any(want != 0), name
        differ = int(np.sum(want.view(np.uint32) != have.view(np.uint32)))
        assert differ == 0, f"{name}: {differ} values differ from Keras's Adam"


def test_keras_default_step_and_an_isa_chosen_by_the_user(monkeypatch):
    import keras

    assert float(adam().learning_rate) == pytest.approx(0.001)  # the seed recipe's "adam"
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_max_isa=AVX2")
    assert without_fused_multiply_add() is False
    assert type(adam(0.03)) is keras.optimizers.Adam  # XLA might fuse multiply-adds: Keras's own
