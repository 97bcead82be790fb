"""Keras's Adam, its update compiled by XLA into one pass over each table: the same weights, bit for bit.

Keras's Adam updates a variable with a dozen TensorFlow ops, each reading and writing a whole
array: for trigram-nb's 4,259,840-row weight table that is about 30 of the 50 ms of a training
step, spent moving 17 MB arrays through memory. `FusedAdam` does the same arithmetic, op for op
(`keras.optimizers.Adam.update_step`, including how Keras squares a sparse gradient: each
occurrence's value before duplicates are summed), in one function XLA compiles into a single
loop; TensorFlow's own ops still turn a sparse gradient into dense arrays first, as Keras's do.

XLA would fuse ``m + (g - m) * c`` into one fused multiply-add, rounded once instead of twice,
which changes the last bit of some weights; `without_fused_multiply_add` keeps XLA's x86-64
code to AVX, which has no such instruction, so every value is rounded as TensorFlow's separate
ops round it (tests/test_trainer_optimizer.py checks the weights are identical). Elsewhere
(ARM, where the ISA names differ) `adam` gives Keras's own Adam.
"""

from __future__ import annotations

import os
import platform

_X86_64 = platform.machine().lower() in ("x86_64", "amd64")
_NO_FMA = "--xla_cpu_max_isa=AVX"


def without_fused_multiply_add() -> bool:
    """Add `_NO_FMA` to XLA_FLAGS (before XLA first compiles, which reads them once). True on
    x86-64, unless the user chose an ISA already (then FusedAdam is not used)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if not _X86_64 or ("xla_cpu_max_isa" in flags and _NO_FMA not in flags.split()):
        return False
    if _NO_FMA not in flags.split():
        os.environ["XLA_FLAGS"] = f"{flags} {_NO_FMA}".strip()
    return True


def adam(learning_rate: float | None = None):
    """Adam with Keras's defaults (step 0.001 unless given): `FusedAdam` where it is exact."""
    import keras

    rate = 0.001 if learning_rate is None else learning_rate
    if keras.backend.backend() == "tensorflow" and without_fused_multiply_add():
        return _fused_adam_class()(rate)
    return keras.optimizers.Adam(rate)


_FUSED = None


def _fused_adam_class():
    """Built on first use, so importing this module needs neither Keras nor TensorFlow."""
    global _FUSED
    if _FUSED is not None:
        return _FUSED
    import keras
    import tensorflow as tf

    def unwrap(variable):
        return variable.value if isinstance(variable, keras.Variable) else variable

    class FusedAdam(keras.optimizers.Adam):
        """keras.optimizers.Adam (no amsgrad) with `update_step` as one XLA-compiled function."""

        def build(self, variables):
            super().build(variables)
            self._update = tf.function(self._fused_update, jit_compile=True)

        def _fused_update(self, gradient, squared, variable, m, v, learning_rate, iterations):
            # keras/src/optimizers/adam.py `update_step`, the same ops in the same order.
            lr = tf.cast(learning_rate, variable.dtype)
            local_step = tf.cast(iterations + 1, variable.dtype)
            beta_1_power = tf.pow(tf.cast(self.beta_1, variable.dtype), local_step)
            beta_2_power = tf.pow(tf.cast(self.beta_2, variable.dtype), local_step)
            alpha = lr * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
            m.assign_add((gradient - m) * (1 - self.beta_1))
            v.assign_add((squared - v) * (1 - self.beta_2))
            variable.assign_sub((m * alpha) / (tf.sqrt(v) + self.epsilon))

        def update_step(self, gradient, variable, learning_rate):
            if self.amsgrad:
                return super().update_step(gradient, variable, learning_rate)
            dtype = variable.dtype
            if isinstance(gradient, tf.IndexedSlices):  # Keras: ops.square squares the slices' values
                values = tf.cast(gradient.values, dtype)
                squared = tf.convert_to_tensor(tf.IndexedSlices(tf.square(values), gradient.indices, gradient.dense_shape))
                gradient = tf.convert_to_tensor(tf.IndexedSlices(values, gradient.indices, gradient.dense_shape))
            else:
                gradient = tf.cast(gradient, dtype)
                squared = tf.square(gradient)
            index = self._get_variable_index(variable)
            self._update(gradient, squared, unwrap(variable), unwrap(self._momentums[index]),
                         unwrap(self._velocities[index]), tf.cast(learning_rate, dtype),
                         tf.convert_to_tensor(unwrap(self.iterations)))

    _FUSED = FusedAdam
    return FusedAdam
