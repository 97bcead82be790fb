"""The weights a run keeps: the mean of the weights it had at the end of each of its last epochs
(stochastic weight averaging, Izmailov et al. 2018, with Adam's own steps and no schedule).

Imported only when a model is trained: it needs Keras.
"""

from __future__ import annotations

from collections import deque

import keras
import numpy as np


class LastEpochsAverage(keras.callbacks.Callback):
    """When training ends, puts into the model the mean of its trainable weights at the end of the
    `count` epochs that end with the one whose weights it keeps: the last epoch run, or, when an
    `EarlyStopping` listed before this callback restored its best epoch's weights, that epoch.
    Fewer epochs are averaged when fewer were run."""

    def __init__(self, count: int, early_stopping: keras.callbacks.EarlyStopping | None = None):
        super().__init__()
        if count < 1:
            raise ValueError(f"count must be at least 1; got {count}")
        self.count, self.early_stopping = count, early_stopping
        patience = early_stopping.patience if early_stopping is not None else 0
        self.snapshots: deque[tuple[int, list[np.ndarray]]] = deque(maxlen=count + patience)
        self.averaged_epochs: list[int] = []
        """The epochs (from 1) whose weights were averaged, once training has ended."""

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self.snapshots.append((epoch + 1, [np.array(v.numpy()) for v in self.model.trainable_variables]))

    def on_train_end(self, logs=None) -> None:
        if not self.snapshots:
            return
        kept = self.snapshots[-1][0]
        stopper = self.early_stopping
        if stopper is not None and stopper.restore_best_weights and stopper.best_weights is not None:
            kept = stopper.best_epoch + 1
        chosen = [(epoch, values) for epoch, values in self.snapshots if kept - self.count < epoch <= kept]
        self.averaged_epochs = [epoch for epoch, _ in chosen]
        for number, variable in enumerate(self.model.trainable_variables):
            total = np.zeros(variable.shape, dtype=np.float64)
            for _, values in chosen:
                total += values[number]
            variable.assign((total / len(chosen)).astype(variable.dtype))
