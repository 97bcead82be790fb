"""From per-word contributions to the reasons a person reads: phrases as phrases, each once, on one side.

Rules (issue 11): contributions are on one fixed log-odds scale (`FULL_COLOUR` is full colour for
every review, not the review's strongest word); a contribution smaller than `NEGLIGIBLE` is neither
coloured nor listed; words the model does not know are never listed; a phrase the model weighs
(a word pair whose own share is at least `PHRASE_SHARE`, extended by a neighbouring strong pair
of the same sign to at most three words: "waste of" + "a waste" -> "a waste of") is listed as one reason, worth the sum of its
words' contributions; and a reason used several times is listed once, by the sum over its uses,
so it can only be on one side. Qt-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Calibrated log-odds: below this a word's push is too small to matter (on bigram-nb, three words
# in four of a test review push less; shifting the odds by 5% changes no verdict a person reads).
NEGLIGIBLE = 0.05
# Full colour: a push of 0.5 log-odds (odds x1.65) or more; bigram-nb's 99th percentile word is 0.45.
FULL_COLOUR = 0.5
# A word pair whose own share of the log-odds is at least this is a phrase the model weighs
# ("not good" -0.35, "waste of" -0.85 on bigram-nb; "so bad" -0.17 is left to its words).
PHRASE_SHARE = 0.2


@dataclass(frozen=True)
class Reason:
    """A word or phrase of the review and how much, over all its uses, it pushed the verdict."""

    text: str
    """The normalised words, joined by spaces."""
    contribution: float
    """Calibrated log-odds it added toward positive, summed over its uses."""
    spans: tuple[tuple[int, int], ...]
    """Where each use stands in the text (Python `str` indices)."""

    @property
    def is_phrase(self) -> bool:
        return " " in self.text


def matters(contribution: float | None) -> bool:
    """Strong enough to colour and to list."""
    return contribution is not None and abs(contribution) >= NEGLIGIBLE


def colour_strength(contribution: float | None) -> float:
    """0 (no colour) to 1 (full colour) on the fixed scale."""
    if not matters(contribution):
        return 0.0
    return min(1.0, abs(contribution) / FULL_COLOUR)


def ngrams_of(pair_shares: Sequence[float] | None, triple_shares: Sequence[float] | None = None):
    """(first word, last word, own share) of every pair and triple read, in text order."""
    found = [(i, i + 1, share) for i, share in enumerate(pair_shares or ())]
    found += [(i, i + 2, share) for i, share in enumerate(triple_shares or ())]
    return found


def phrase_runs(pair_shares: Sequence[float] | None, triple_shares: Sequence[float] | None = None
                ) -> list[tuple[int, int]]:
    """(first, last) word index of each phrase the model weighs, in text order.

    Strongest n-gram first: a pair or triple of at least `PHRASE_SHARE` whose words are free is a
    phrase; a pair that shares a word with a two-word phrase of its sign extends it to three words
    ("waste of" + "a waste" -> "a waste of"). Longer chains are cut: a phrase is read at a glance.
    """
    owner: dict[int, int] = {}  # word index -> its phrase
    runs: list[list] = []
    for first, last, share in sorted(ngrams_of(pair_shares, triple_shares), key=lambda g: -abs(g[2])):
        if abs(share) < PHRASE_SHARE:
            break
        span = range(first, last + 1)
        taken = {owner[w] for w in span if w in owner}
        if not taken:
            for w in span:
                owner[w] = len(runs)
            runs.append([first, last, share > 0])
        elif len(taken) == 1 and last == first + 1:
            number = taken.pop()
            run = runs[number]
            if run[1] - run[0] == 1 and run[2] == (share > 0):
                run[0], run[1] = min(run[0], first), max(run[1], last)
                for w in span:
                    owner[w] = number
    return sorted((first, last) for first, last, _ in runs)


def reasons(words: Sequence, pair_shares: Sequence[float] | None,
            triple_shares: Sequence[float] | None = None) -> list[Reason]:
    """Every phrase and every other known word read, once each, strongest first; small ones left out.

    `words` are the verdict's `SeenWord`s (text, start, end, known, read, contribution).
    """
    read = [w for w in words if w.read and w.contribution is not None]
    totals: dict[str, list] = {}

    def add(text: str, contribution: float, span: tuple[int, int]) -> None:
        entry = totals.setdefault(text, [0.0, []])
        entry[0] += contribution
        entry[1].append(span)

    in_phrase = set()
    for first, last in phrase_runs(pair_shares, triple_shares):
        if last >= len(read):
            continue
        members = read[first : last + 1]
        add(" ".join(w.text for w in members), sum(w.contribution for w in members),
            (members[0].start, members[-1].end))
        in_phrase.update(range(first, last + 1))
    for i, word in enumerate(read):
        if i not in in_phrase and word.known:
            add(word.text, word.contribution, (word.start, word.end))
    found = [Reason(text, total, tuple(spans)) for text, (total, spans) in totals.items() if matters(total)]
    return sorted(found, key=lambda r: -abs(r.contribution))


def strongest(words: Sequence, pair_shares: Sequence[float] | None, count: int,
              triple_shares: Sequence[float] | None = None) -> tuple[list[Reason], list[Reason]]:
    """The `count` strongest reasons toward positive, and toward negative."""
    found = reasons(words, pair_shares, triple_shares)
    return ([r for r in found if r.contribution > 0][:count], [r for r in found if r.contribution < 0][:count])


def word_breakdown(words: Sequence, pair_shares: Sequence[float] | None, index: int,
                   triple_shares: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """What word `index` (among the words read) got its contribution from: (n-gram, its part).

    For an exact explanation: the word's own share, then its equal part of each pair and triple
    it is in. Without n-gram shares, just the word.
    """
    word = words[index]
    if word.contribution is None:
        return []
    parts = []
    for first, last, share in ngrams_of(pair_shares, triple_shares):
        if first <= index <= last and share:
            parts.append((" ".join(w.text for w in words[first : last + 1]), share / (last - first + 1)))
    own = word.contribution - sum(part for _, part in parts)
    return [(word.text, own)] + parts


__all__ = ["FULL_COLOUR", "NEGLIGIBLE", "PHRASE_SHARE", "Reason", "colour_strength", "matters", "ngrams_of", "phrase_runs",
           "reasons", "strongest", "word_breakdown"]
