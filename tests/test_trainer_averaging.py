"""trainer/averaging.py: the weights kept are the mean of those at the end of the last epochs,
ending with the epoch early stopping restores when it does."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")


class Snapshots(keras.callbacks.Callback):
    """Every epoch's trainable weights, as the averaging callback sees them."""

    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append([np.array(v.numpy()) for v in self.model.trainable_variables])


def _model_and_data(seed: int = 3):
    from trainer.optimizers import adam

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(256, 5)).astype("float32")
    y = (x @ rng.normal(size=5) + rng.normal(scale=2.0, size=256) > 0).astype("float32")
    model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=adam(0.05), loss="binary_crossentropy")
    return model, x, y


def _mean(snapshots):
    return [np.mean(np.stack(values).astype(np.float64), axis=0) for values in zip(*snapshots)]


def test_the_weights_kept_are_the_mean_of_the_last_epochs():
    from trainer.averaging import LastEpochsAverage

    model, x, y = _model_and_data()
    seen, average = Snapshots(), LastEpochsAverage(3)
    model.fit(x, y, epochs=6, batch_size=32, callbacks=[seen, average], verbose=0)
    assert average.averaged_epochs == [4, 5, 6]
    for kept, expected in zip(model.trainable_variables, _mean(seen.epochs[3:])):
        np.testing.assert_allclose(kept.numpy(), expected, rtol=1e-6)
    assert not np.allclose(model.trainable_variables[0].numpy(), seen.epochs[-1][0])  # not just the last


def test_fewer_epochs_than_the_count_are_all_averaged():
    from trainer.averaging import LastEpochsAverage

    model, x, y = _model_and_data()
    seen, average = Snapshots(), LastEpochsAverage(8)
    model.fit(x, y, epochs=2, batch_size=32, callbacks=[seen, average], verbose=0)
    assert average.averaged_epochs == [1, 2]
    for kept, expected in zip(model.trainable_variables, _mean(seen.epochs)):
        np.testing.assert_allclose(kept.numpy(), expected, rtol=1e-6)


def test_with_early_stopping_the_average_ends_at_the_restored_epoch():
    from trainer.averaging import LastEpochsAverage

    model, x, y = _model_and_data()
    validation = (x[:64] + 3.0, 1 - y[:64])  # soon gets worse: early stopping stops and restores
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    seen, average = Snapshots(), LastEpochsAverage(2, stopper)
    history = model.fit(x, y, epochs=30, batch_size=32, validation_data=validation,
                        callbacks=[seen, stopper, average], verbose=0).history
    best = int(np.argmin(history["val_loss"])) + 1
    assert len(history["loss"]) < 30 and best < len(history["loss"])
    assert average.averaged_epochs == [e for e in (best - 1, best) if e >= 1]
    for kept, expected in zip(model.trainable_variables, _mean(seen.epochs[best - len(average.averaged_epochs) : best])):
        np.testing.assert_allclose(kept.numpy(), expected, rtol=1e-6)


def test_a_count_below_one_is_refused():
    from trainer.averaging import LastEpochsAverage

    with pytest.raises(ValueError, match="at least 1"):
        LastEpochsAverage(0)
