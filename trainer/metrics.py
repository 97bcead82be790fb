"""Classification metrics and temperature calibration, in numpy only (no TensorFlow)."""

from __future__ import annotations

import numpy as np

ECE_BINS = 15


def expected_calibration_error(labels: np.ndarray, probabilities: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE over `bins` equal-width bins of the confidence in the predicted class."""
    labels = np.asarray(labels).astype(int)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    predicted = (probabilities >= 0.5).astype(int)
    confidence = np.where(predicted == 1, probabilities, 1.0 - probabilities)
    correct = (predicted == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total)


def reliability_bins(labels: np.ndarray, probabilities: np.ndarray, bins: int = ECE_BINS) -> list[dict]:
    """Per bin of predicted probability of positive: mean prediction, fraction positive, count."""
    labels = np.asarray(labels).astype(int)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probabilities, edges[1:-1], right=True), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = which == b
        rows.append({
            "low": float(edges[b]), "high": float(edges[b + 1]), "count": int(mask.sum()),
            "mean_probability": float(probabilities[mask].mean()) if mask.any() else None,
            "fraction_positive": float(labels[mask].mean()) if mask.any() else None,
        })
    return rows


def classification_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    labels = np.asarray(labels).astype(int)
    predicted = (np.asarray(probabilities) >= 0.5).astype(int)
    tp = int(((predicted == 1) & (labels == 1)).sum())
    tn = int(((predicted == 0) & (labels == 0)).sum())
    fp = int(((predicted == 1) & (labels == 0)).sum())
    fn = int(((predicted == 0) & (labels == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": int(labels.size),
        "accuracy": (tp + tn) / labels.size if labels.size else 0.0,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "ece": expected_calibration_error(labels, probabilities),
        # rows: true negative, true positive; columns: predicted negative, predicted positive
        "confusion_matrix": [[tn, fp], [fn, tp]],
    }


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p) - np.log1p(-p)


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-_logit(probabilities) / temperature))


def fit_temperature(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """The temperature T minimising validation log-loss of sigmoid(logit(p) / T)."""
    labels = np.asarray(labels).astype(np.float64)
    z = _logit(probabilities)

    def nll(log_t: float) -> float:
        q = np.clip(1.0 / (1.0 + np.exp(-z / np.exp(log_t))), 1e-12, 1 - 1e-12)
        return float(-np.mean(labels * np.log(q) + (1 - labels) * np.log(1 - q)))

    low, high = np.log(0.05), np.log(20.0)  # golden-section search on log T: NLL is unimodal
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(80):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if nll(a) < nll(b):
            high = b
        else:
            low = a
    return float(np.exp((low + high) / 2))
