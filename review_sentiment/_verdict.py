"""From a probability of positive to the words a person reads: positive, negative or uncertain."""

from __future__ import annotations

POSITIVE, NEGATIVE, UNCERTAIN = "positive", "negative", "uncertain"

# The uncertain band's total width around 50%: 0.2 means 40%-60% is "uncertain".
DEFAULT_UNCERTAIN_BAND = 0.2
MAX_UNCERTAIN_BAND = 0.8


def label_for(probability: float, band: float = DEFAULT_UNCERTAIN_BAND) -> str:
    """`positive`, `negative`, or `uncertain` when the probability lies within band/2 of 0.5."""
    if abs(probability - 0.5) < band / 2:
        return UNCERTAIN
    return POSITIVE if probability >= 0.5 else NEGATIVE


def confidence(probability: float) -> float:
    """How sure the verdict is: the probability of the side it chose (0.5 to 1)."""
    return max(probability, 1.0 - probability)
