"""The app's few colours, picked to read well on the current (light or dark) palette.

Blue for positive and orange for negative: a pair that stays distinct for red-green colour blindness.
"""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget

from desktop.ui.highlight import HighlightColours, mix

_LIGHT = {"positive": "#1f6fd1", "negative": "#d45500", "uncertain": "#6b6b6b"}
_DARK = {"positive": "#63a8ff", "negative": "#ff8c42", "uncertain": "#a8a8a8"}


def is_dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128


def label_colour(widget: QWidget, label: str) -> str:
    """The colour a verdict's label is written in."""
    return (_DARK if is_dark(widget) else _LIGHT).get(label, _LIGHT["uncertain"])


def highlight_colours(widget: QWidget) -> HighlightColours:
    """Colours for rich text shown in `widget` (a text view): its background, text and accents."""
    palette = widget.palette()
    accents = _DARK if is_dark(widget) else _LIGHT
    return HighlightColours(
        base=palette.color(QPalette.ColorRole.Base).name(),
        text=palette.color(QPalette.ColorRole.Text).name(),
        dim=mix(palette.color(QPalette.ColorRole.Text).name(), palette.color(QPalette.ColorRole.Base).name(), 0.45),
        positive=accents["positive"],
        negative=accents["negative"],
    )
