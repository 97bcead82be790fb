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


# A text whose words the model mostly does not know, or that is mostly symbols, is not what it
# was trained on: its verdict says little, and the app says so beside it.
_KNOWN_SHARE_OF_AN_ENGLISH_REVIEW = 0.5
_WORD_SHARE_OF_AN_ENGLISH_REVIEW = 0.5
# English reviews are full of the commonest words ("the", "and", "a", "of"...): in every one of the
# 25,000 IMDB reviews at least 16% of the words are among the 50 commonest ids; a French or German
# text has almost none. Judged only on texts of `_WORDS_TO_JUDGE` words or more.
COMMONEST_IDS = 50
_COMMON_SHARE_OF_AN_ENGLISH_REVIEW = 0.15
_WORDS_TO_JUDGE = 6


def percent(share: float) -> str:
    """A share as a person reads it: whole percents, one decimal near the ends, never 100% or 0%
    for a share that is not exactly 1 or 0 ('>99.9%', '<0.1%')."""
    if share >= 0.995 or share <= 0.005:
        if 0.999 < share < 1.0:
            return ">99.9%"
        if 0.0 < share < 0.001:
            return "<0.1%"
        return f"{share:.1%}"
    return f"{share:.0%}"


def verdict_words(label: str, probability: float, known_words: int) -> tuple[str, str]:
    """The headline and the line under it, in words that never contradict each other.

    No word known: no percentage at all. Uncertain: 'Uncertain, leans negative (52%)'.
    Otherwise: '87% sure it is positive'.
    """
    if known_words == 0:
        return "Uncertain", "No word of this text is in the model's vocabulary: it cannot tell."
    side = POSITIVE if probability >= 0.5 else NEGATIVE
    sure = percent(confidence(probability))
    if label == UNCERTAIN:
        return "Uncertain", f"Uncertain, leans {side} ({sure})"
    return label.capitalize(), f"{sure} sure it is {label}"


def not_a_review_note(words_read: int, known_words: int, common_words: int, word_characters: int,
                      visible_characters: int) -> str:
    """A warning when the text does not read like an English review, else ''."""
    if words_read == 0 or known_words == 0:
        return ""  # verdict_words already says the model knows none of it
    if known_words < _KNOWN_SHARE_OF_AN_ENGLISH_REVIEW * words_read:
        return (f"This does not read like an English review: the model knows only {known_words} of its "
                f"{words_read} words, so the verdict says little.")
    if words_read >= _WORDS_TO_JUDGE and common_words < _COMMON_SHARE_OF_AN_ENGLISH_REVIEW * words_read:
        return ("This does not read like an English review (hardly any of the commonest English words), "
                "so the verdict says little.")
    if word_characters < _WORD_SHARE_OF_AN_ENGLISH_REVIEW * visible_characters:
        return "This text is mostly symbols, not words: the verdict says little."
    return ""
