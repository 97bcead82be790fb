"""Batches of rows of different lengths, each padded only to its own longest row (Keras PyDataset)."""

from __future__ import annotations

import keras
import numpy as np

from review_sentiment.encoding import pad_rows


class PaddedBatches(keras.utils.PyDataset):
    """Rows (and labels) in batches; shuffled each epoch when `seed` is given."""

    def __init__(self, rows: list[np.ndarray], labels: np.ndarray | None, batch_size: int, seed: int | None = None):
        super().__init__()
        self.rows, self.labels, self.batch_size = rows, labels, batch_size
        self.order = np.arange(len(rows))
        self.rng = None if seed is None else np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self) -> int:
        return -(-len(self.rows) // self.batch_size)

    def __getitem__(self, number: int):
        chosen = self.order[number * self.batch_size : (number + 1) * self.batch_size]
        ids = pad_rows([self.rows[i] for i in chosen])
        return ids if self.labels is None else (ids, self.labels[chosen].astype("float32"))

    def on_epoch_end(self) -> None:
        if self.rng is not None:
            self.rng.shuffle(self.order)
