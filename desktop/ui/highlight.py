"""What to colour in a review and what to say about each word; the explanation as one HTML file.

Qt-free apart from the colour names it is given: `marks` says which span of the text gets which
background or text colour (the review editor paints them in place), `word_tooltip` what hovering a
word shows, `explanation_html` the self-contained page "Save explanation as HTML…" writes. Word
positions are Python `str` indices; HTML is built from escaped string slices, so no Qt cursor
arithmetic is involved here.

Colours follow one fixed log-odds scale for every review (`review_sentiment._reasons`): full colour
is a push of `FULL_COLOUR` or more, nothing below `NEGLIGIBLE`; words the model does not know are
greyed, never coloured.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from typing import NamedTuple

from review_sentiment._additive import EXACT, EXACT_BENT, LEAVE_ONE_OUT
from review_sentiment._classify import Verdict
from review_sentiment._reasons import FULL_COLOUR, NEGLIGIBLE, colour_strength, ngrams_of, word_breakdown
from review_sentiment._verdict import percent, verdict_words
from review_sentiment.encoding import START, UNK

# Full colour is this much of the accent over the background: the text on it stays legible.
_STRONGEST_MIX = 0.62
# What follows the cut is previewed, not rendered whole: a 5 MB paste must not stall the view.
CUT_PREVIEW_CHARS = 1500
# At most this much of a text is laid out (a 5 MB paste is not; Qt lays out a line in time
# quadratic in its length), and a run of this many characters without a space gets a zero-width
# space after it, so even a 5 MB "word" wraps into short lines.
SHOWN_CHARS = 100_000
LONGEST_RUN = 80
_SHOWN_TOKEN = 200  # the model's view shows a longer word cut to this, then "…"
# The legend's sample chips, in log-odds.
LEGEND_STEPS = (0.1, 0.25, FULL_COLOUR)
_PART = {1: "half", 2: "a third"}

METHOD_WORDS = {
    EXACT: "Exact: each word's share of the model's log-odds; they add up to the verdict.",
    EXACT_BENT: "Exact: each word's share of the model's sum, which the model bends slightly at "
                "the end (the bend is shared out in proportion); they add up to the verdict.",
    LEAVE_ONE_OUT: "Leave one out: how far the verdict moves without each word (this model is not a "
                   "sum, so the pushes do not add up).",
}


@dataclass(frozen=True)
class HighlightColours:
    """Colours as `#rrggbb`: the view's background and text, and the two directions of push."""

    base: str
    text: str
    dim: str
    positive: str
    negative: str


LIGHT_PAGE = HighlightColours(base="#ffffff", text="#1a1a1a", dim="#8a8a8a", positive="#1f6fd1", negative="#d45500")


class Mark(NamedTuple):
    """One span of the text to paint: a background (a word that pushed), or a dim text colour
    (a word the model does not know, or the part it did not read)."""

    start: int
    end: int
    background: str | None
    foreground: str | None
    word: int | None
    """Index of the word in `verdict.words`, None for the unread part."""


def mix(base: str, accent: str, share: float) -> str:
    """`share` of `accent` over `base`, as `#rrggbb`."""
    b = [int(base[i : i + 2], 16) for i in (1, 3, 5)]
    a = [int(accent[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(b, a))


def push_colour(contribution: float | None, colours: HighlightColours) -> str | None:
    """The background for a push on the fixed scale, or None when it is too small to matter."""
    strength = colour_strength(contribution)
    if strength == 0.0:
        return None
    accent = colours.positive if contribution > 0 else colours.negative
    return mix(colours.base, accent, _STRONGEST_MIX * strength)


def marks(verdict: Verdict, colours: HighlightColours) -> list[Mark]:
    """The spans to paint, in text order: pushing words coloured, unknown words dimmed, the cut part dimmed."""
    found = []
    for i, word in enumerate(verdict.words):
        if not word.read:
            break
        if not word.known:
            found.append(Mark(word.start, word.end, None, colours.dim, i))
            continue
        background = push_colour(word.contribution, colours)
        if background is not None:
            found.append(Mark(word.start, word.end, background, None, i))
    if verdict.truncated:
        found.append(Mark(verdict.read_until, -1, None, colours.dim, None))
    return found


def word_tooltip(verdict: Verdict, index: int) -> str:
    """What hovering word `index` shows: its push, and the words and phrases behind it."""
    word = verdict.words[index]
    if not word.read:
        return "Not read: the model stops before this word."
    if not word.known:
        return f"“{word.text}” is not in the model's vocabulary: it is read as {UNK} and not coloured."
    if word.contribution is None:
        return f"“{word.text}”: being weighed…"
    direction = "toward positive" if word.contribution > 0 else "toward negative"
    lines = [f"“{word.text}”: {word.contribution:+.2f} log-odds {direction}"
             + ("" if abs(word.contribution) >= NEGLIGIBLE else " (too small to matter)")]
    parts = word_breakdown(verdict.words, verdict.pair_shares, index, verdict.triple_shares)
    if len(parts) > 1:
        lines.append("from:")
        lines += [f"  {text} {value:+.2f}" + (f" ({_PART[text.count(' ')]} of the phrase's share)" if " " in text else "")
                  for text, value in parts]
    return "\n".join(lines)


def odds_factor(log_odds: float) -> str:
    return f"×{math.exp(abs(log_odds)):.2f}"


def legend_html(colours: HighlightColours) -> str:
    """Chips of the fixed scale: what light and full colour mean, and the grey of unknown words."""
    def chip(value: float) -> str:
        return (f'<span style="background-color:{push_colour(value, colours)};">'
                f"&nbsp;{value:+.2f}&nbsp;</span>")

    negative = "".join(chip(-v) for v in reversed(LEGEND_STEPS))
    positive = "".join(chip(v) for v in LEGEND_STEPS)
    return (f"toward negative {negative}{positive} toward positive<br>"
            f"Push in log-odds, one scale for every review: full colour is {FULL_COLOUR:.1f} or more "
            f"(odds {odds_factor(FULL_COLOUR)}); under {NEGLIGIBLE:.2f}, no colour. "
            f'<span style="color:{colours.dim};">Grey: a word the model does not know.</span>')


def review_html(text: str, verdict: Verdict, colours: HighlightColours, *, highlight: bool = True) -> str:
    """The review with each pushing word coloured (hover: `title`), unknown words dimmed, the cut part dimmed."""
    pieces, position = [], 0
    for mark in (marks(verdict, colours) if highlight else []):
        if mark.word is None or mark.end > SHOWN_CHARS:
            break
        style = (f"background-color:{mark.background};" if mark.background else "") + (
            f"color:{mark.foreground};" if mark.foreground else "")
        tip = html.escape(word_tooltip(verdict, mark.word))
        pieces.append(_escape(text[position : mark.start]))
        pieces.append(f'<span style="{style}" title="{tip}">{_escape(text[mark.start : mark.end])}</span>')
        position = mark.end
    if verdict.truncated and verdict.read_until <= SHOWN_CHARS:
        pieces.append(_escape(text[position : verdict.read_until]))
        pieces.append(_cut_tail(text, verdict.read_until, colours))
    else:
        pieces.append(_escape(text[position:SHOWN_CHARS]))
        if len(text) > SHOWN_CHARS:
            note = f"… {len(text) - SHOWN_CHARS:,} more characters, not shown here"
            pieces.append(f'<span style="color:{colours.dim};"><br><b>{html.escape(note)}</b></span>')
    return f'<div style="white-space:pre-wrap;">{"".join(pieces)}</div>'


def reasons_html(verdict: Verdict, count: int = 6) -> str:
    """The strongest phrases and words toward each side, with their pushes."""
    positive, negative = verdict.strongest(count)

    def listed(found) -> str:
        return ", ".join(
            f"<b>{html.escape(r.text)}</b> {r.contribution:+.2f}" + (f" ({len(r.spans)}×)" if len(r.spans) > 1 else "")
            for r in found) or "nothing that mattered"

    return (f"Pushed toward positive: {listed(positive)}<br>"
            f"Pushed toward negative: {listed(negative)}")


def sums_html(verdict: Verdict) -> str:
    """The method, in a few words, and how the pushes add up (exact methods only)."""
    if verdict.baseline is None or verdict.method == LEAVE_ONE_OUT:
        return "Leave one out: the pushes do not add up (this model is not a sum)."
    total = sum(w.contribution for w in verdict.words if w.contribution is not None)
    return (f"Exact: empty review {verdict.baseline:+.2f} + words {total:+.2f} = {verdict.log_odds:+.2f} "
            f"log-odds ({percent(verdict.probability)} positive).")


def method_words(verdict: Verdict) -> str:
    """How the pushes were found, in a sentence."""
    return METHOD_WORDS.get(verdict.method, "")


def sentences_html(text: str, verdict: Verdict, colours: HighlightColours) -> str:
    rows = []
    for sentence in verdict.sentences:
        label = sentence.label(verdict.band)
        _, detail = verdict_words(label, sentence.probability, sentence.known_words)
        accent = {"positive": colours.positive, "negative": colours.negative}.get(label, colours.dim)
        rows.append(f'<tr><td style="border-left:6px solid {accent};padding:2px 8px;white-space:nowrap;">'
                    f"{html.escape(detail)}</td><td>{_escape(text[sentence.start : sentence.end])}</td></tr>")
    return f"<table>{''.join(rows)}</table>" if rows else ""


def explanation_html(text: str, verdict: Verdict, model_name: str, colours: HighlightColours = LIGHT_PAGE) -> str:
    """One self-contained HTML page: the verdict, the legend, the coloured review, the reasons,
    the sentences and how the pushes add up. No scripts, no outside files."""
    headline, detail = verdict_words(verdict.label, verdict.probability, verdict.known_words)
    accent = {"positive": colours.positive, "negative": colours.negative}.get(verdict.label, colours.dim)
    sentences = sentences_html(text, verdict, colours)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(headline)}: review explanation</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; color: {colours.text};
       background: {colours.base}; line-height: 1.5; }}
h1 {{ color: {accent}; margin-bottom: 0; }} .small {{ color: {colours.dim}; font-size: 0.9em; }}
.review {{ border: 1px solid {colours.dim}; padding: 1em; border-radius: 6px; }}
td {{ vertical-align: top; }}
</style></head><body>
<h1>{html.escape(headline)}</h1>
<p>{html.escape(detail)}</p>
<p class="small">{legend_html(colours)}</p>
<div class="review">{review_html(text, verdict, colours)}</div>
<p>{reasons_html(verdict)}</p>
{f"<h2>Sentence by sentence</h2>{sentences}" if sentences else ""}
<p class="small">{html.escape(method_words(verdict))} {sums_html(verdict)} Model: {html.escape(model_name)}.
Hover a word for its push.</p>
</body></html>
"""


def model_view_html(text: str, verdict: Verdict, colours: HighlightColours) -> str:
    """The model's input decoded back to words; <UNK> shows the word it stands for, dimmed."""
    decoded = verdict.model_view.split(" ")
    read = [w for w in verdict.words if w.read]
    pieces = [f'<span style="color:{colours.dim};">{html.escape(decoded[0])}</span>'] if decoded[:1] == [START] else []
    for token, word in zip(decoded[len(pieces):], read):
        if token == UNK:
            pieces.append(
                f'<span style="color:{colours.dim};">{html.escape(UNK)}'
                f'<sub>{_escape(_short(text[word.start : word.end]))}</sub></span>'
            )
        else:
            pieces.append(_escape(_short(token)))
    body = " ".join(pieces)
    # A model that reads word pairs gets them after the words, each pair two words long.
    rest = decoded[len(pieces):]
    if UNK in rest and verdict.pair_shares is not None:  # hashed n-grams: no words to decode them to
        body += _hashed_ngrams(verdict, colours)
    elif rest:
        pairs = [" ".join(rest[i : i + 2]) for i in range(0, len(rest), 2)]
        body += (f'<br><br><span style="color:{colours.dim};">then the {len(pairs):,} pairs of neighbouring '
                 f"words it knows:</span> " + html.escape(" · ".join(pairs)))
    if verdict.truncated:
        body += _cut_tail(text, verdict.read_until, colours)
    return f"<div>{body}</div>"


def _hashed_ngrams(verdict: Verdict, colours: HighlightColours) -> str:
    """The pairs and triples of known words a hashed-n-gram model reads, from the words themselves."""
    read = [w for w in verdict.words if w.read]
    grams = {2: [], 3: []}
    for first, last, share in ngrams_of(verdict.pair_shares, verdict.triple_shares):
        if share:
            grams[last - first + 1].append(" ".join(w.text for w in read[first : last + 1]))
    counts = f"{len(grams[2]):,} pairs" + (f" and {len(grams[3]):,} triples" if verdict.triple_shares else "")
    return (f'<br><br><span style="color:{colours.dim};">then the {counts} of neighbouring known words '
            "(each hashed to one of the model's n-gram weights):</span> " + html.escape(" · ".join(grams[2] + grams[3])))


def _cut_tail(text: str, cut_at: int, colours: HighlightColours) -> str:
    rest = text[cut_at:]
    preview = _escape(rest[:CUT_PREVIEW_CHARS]) + ("…" if len(rest) > CUT_PREVIEW_CHARS else "")
    note = f"✂ not read: the model stops here ({len(rest):,} more characters)"
    return (
        f'<span style="color:{colours.dim};"><br><b>{html.escape(note)}</b><br>'
        f"<s>{preview}</s></span>"
    )


def _short(word: str) -> str:
    return word if len(word) <= _SHOWN_TOKEN else word[:_SHOWN_TOKEN] + "…"


_LONG_RUN = re.compile(r"\S{%d}(?=\S)" % LONGEST_RUN)


def _escape(piece: str) -> str:
    if len(piece) > LONGEST_RUN:
        piece = _LONG_RUN.sub(lambda run: run.group() + "\u200b", piece)
    return html.escape(piece, quote=False)


__all__ = ["HighlightColours", "LIGHT_PAGE", "Mark", "explanation_html", "legend_html", "marks", "mix",
           "method_words", "model_view_html", "push_colour", "reasons_html", "review_html", "sums_html", "word_tooltip"]
