"""One column of a table classified at once, for the batch-engine adapters (`review_sentiment.ray`,
`review_sentiment.spark`): every cell gets a probability and a label, or an error saying why not.

A missing or non-text cell fails alone, with the `classify` command's wording for a bad CSV cell
or JSON field; the rest of the batch is classified as usual, so one bad row never fails a job.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from review_sentiment._model import Model


@dataclass(frozen=True)
class ColumnVerdicts:
    """Per row: `probability` of positive (NaN where failed), `label` (None where failed), `error` ('' where fine)."""

    probability: np.ndarray
    label: np.ndarray
    error: np.ndarray

    def probability_or_none(self) -> np.ndarray:
        """The probabilities as objects, None where failed: what Arrow stores as a null double
        (a NaN would be stored as a number)."""
        out = self.probability.astype(object)
        out[self.error != ""] = None
        return out


def classify_column(model: Model, values, column: str, band: float) -> ColumnVerdicts:
    """Classify a column's cells (a list, numpy array or pandas Series of texts)."""
    values = list(values)
    errors = np.array([_problem(value, column) for value in values], dtype=object)
    fine = np.flatnonzero(errors == "")
    probability = np.full(len(values), np.nan, dtype=np.float64)
    label = np.full(len(values), None, dtype=object)
    if len(fine):
        probability[fine], labels = model._probabilities_and_labels([values[i] for i in fine], band)
        label[fine] = labels
    return ColumnVerdicts(probability, label, errors)


def _problem(value, column: str) -> str:
    if not isinstance(value, str):
        missing = value is None or (isinstance(value, float) and value != value)  # pandas: NaN
        kind = "null" if missing else type(value).__name__
        return f"{column!r} is {kind}, not text"
    if not value.strip():
        return f"{column!r} is empty"
    return ""


def threads_for(cpus: float | None) -> int:
    """onnxruntime threads for a worker given `cpus` cores: its share, at least one (up to 4 when
    the engine gave no figure, as when running outside it)."""
    if not cpus:
        return min(4, os.cpu_count() or 1)
    return max(1, int(cpus))
