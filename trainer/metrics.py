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


# Word counts (all the words of a text, as the text contract splits them) of each length bucket.
LENGTH_BUCKETS = (("1-10", 0, 10), ("11-30", 11, 30), ("31-100", 31, 100), ("101-300", 101, 300), (">300", 301, None))


def length_bucket_metrics(labels: np.ndarray, probabilities: np.ndarray, word_counts: np.ndarray) -> list[dict]:
    """Per length bucket: reviews, accuracy, mean confidence (in the verdict given), their gap
    (over-confident when positive), ECE and the reliability bins, for the card and its diagrams."""
    labels, probabilities = np.asarray(labels).astype(int), np.asarray(probabilities, dtype=np.float64)
    word_counts = np.asarray(word_counts)
    rows = []
    for name, low, high in LENGTH_BUCKETS:
        inside = (word_counts >= low) & (word_counts <= (high if high is not None else np.inf))
        p, y = probabilities[inside], labels[inside]
        confidence = np.maximum(p, 1.0 - p)
        accuracy = float(((p >= 0.5) == y).mean()) if len(y) else None
        mean_confidence = float(confidence.mean()) if len(y) else None
        rows.append({
            "words": name, "n": int(inside.sum()), "accuracy": accuracy, "mean_confidence": mean_confidence,
            "confidence_minus_accuracy": mean_confidence - accuracy if len(y) else None,
            "ece": expected_calibration_error(y, p) if len(y) else None,
            "reliability": reliability_bins(y, p) if len(y) else [],
        })
    return rows


def share_in_band(probabilities: np.ndarray, band: float) -> float:
    """The share of probabilities within band/2 of 0.5: the verdicts shown as uncertain."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    return float((np.abs(probabilities - 0.5) < band / 2).mean()) if len(probabilities) else 0.0
