"""Rich text for the review with its deciding words coloured, and for what the model read.

Built as HTML from Python string slices, each piece escaped: word positions are Python `str`
indices, which differ from Qt's UTF-16 positions as soon as a text holds an emoji, so no Qt
cursor arithmetic is involved. Qt-free apart from the colour names it is given.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from review_sentiment.encoding import START, UNK

from review_sentiment._classify import SeenWord, Verdict

# Below this share of the strongest push a word is left uncoloured: it barely mattered.
_FAINTEST = 0.12
# The strongest word gets this much of the accent colour over the background: text stays legible.
_STRONGEST_MIX = 0.62
# What follows the cut is previewed, not rendered whole: a 5 MB paste must not stall the view.
CUT_PREVIEW_CHARS = 1500


@dataclass(frozen=True)
class HighlightColours:
    """Colours as `#rrggbb`: the view's background and text, and the two directions of push."""

    base: str
    text: str
    dim: str
    positive: str
    negative: str


def mix(base: str, accent: str, share: float) -> str:
    """`share` of `accent` over `base`, as `#rrggbb`."""
    b = [int(base[i : i + 2], 16) for i in (1, 3, 5)]
    a = [int(accent[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(b, a))


def word_colour(word: SeenWord, scale: float, colours: HighlightColours) -> str | None:
    """The background for a word, or None when it did not push noticeably either way."""
    if word.contribution is None or scale <= 0:
        return None
    strength = min(1.0, abs(word.contribution) / scale)
    if strength < _FAINTEST:
        return None
    accent = colours.positive if word.contribution > 0 else colours.negative
    return mix(colours.base, accent, _STRONGEST_MIX * strength)


def push_scale(verdict: Verdict) -> float:
    """The strongest push of any word read: colours are relative to it."""
    return max((abs(w.contribution) for w in verdict.words if w.contribution is not None), default=0.0)


def review_html(text: str, verdict: Verdict, colours: HighlightColours, *, highlight: bool = True) -> str:
    """The review with each word read coloured by its push, then the cut part dimmed."""
    scale = push_scale(verdict)
    pieces, position = [], 0
    for word in verdict.words:
        if not word.read:
            break
        colour = word_colour(word, scale, colours) if highlight else None
        if colour is None:
            continue
        pieces.append(_escape(text[position : word.start]))
        pieces.append(f'<span style="background-color:{colour};">{_escape(text[word.start : word.end])}</span>')
        position = word.end
    if verdict.truncated:
        pieces.append(_escape(text[position : verdict.read_until]))
        pieces.append(_cut_tail(text, verdict.read_until, colours))
    else:
        pieces.append(_escape(text[position:]))
    return f'<div style="white-space:pre-wrap;">{"".join(pieces)}</div>'


def model_view_html(text: str, verdict: Verdict, colours: HighlightColours) -> str:
    """The model's input decoded back to words; <UNK> shows the word it stands for, dimmed."""
    decoded = verdict.model_view.split(" ")
    read = [w for w in verdict.words if w.read]
    pieces = [f'<span style="color:{colours.dim};">{html.escape(decoded[0])}</span>'] if decoded[:1] == [START] else []
    for token, word in zip(decoded[len(pieces):], read):
        if token == UNK:
            pieces.append(
                f'<span style="color:{colours.dim};">{html.escape(UNK)}'
                f'<sub>{html.escape(text[word.start : word.end])}</sub></span>'
            )
        else:
            pieces.append(html.escape(token))
    body = " ".join(pieces)
    # A model that reads word pairs gets them after the words, each pair two words long.
    rest = decoded[len(pieces):]
    if rest:
        pairs = [" ".join(rest[i : i + 2]) for i in range(0, len(rest), 2)]
        body += (f'<br><br><span style="color:{colours.dim};">then the {len(pairs):,} pairs of neighbouring '
                 f"words it knows:</span> " + html.escape(" · ".join(pairs)))
    if verdict.truncated:
        body += _cut_tail(text, verdict.read_until, colours)
    return f"<div>{body}</div>"


def _cut_tail(text: str, cut_at: int, colours: HighlightColours) -> str:
    rest = text[cut_at:]
    preview = _escape(rest[:CUT_PREVIEW_CHARS]) + ("…" if len(rest) > CUT_PREVIEW_CHARS else "")
    note = f"✂ not read: the model stops here ({len(rest):,} more characters)"
    return (
        f'<span style="color:{colours.dim};"><br><b>{html.escape(note)}</b><br>'
        f"<s>{preview}</s></span>"
    )


def _escape(piece: str) -> str:
    return html.escape(piece, quote=False)
