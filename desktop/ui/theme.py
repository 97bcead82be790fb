"""The app's few colours, picked to read well on the current (light or dark) palette, and the
focus frame that shows which control the keyboard is on.

Blue for positive and orange for negative: a pair that stays distinct for red-green colour
blindness. Every colour text is written in is checked against the palette it lands on and
darkened or lightened until it reaches the WCAG AA contrast of 4.5:1 (tests/test_app_look.py).
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QFocusFrame, QWidget

from desktop.ui.highlight import HighlightColours, mix

MIN_CONTRAST = 4.5  # WCAG 2 AA for body text
# Text colours for labels (on the table's rows and the chart).
_LIGHT = {"positive": "#1a5fb4", "negative": "#a84400", "uncertain": "#5f5f5f", "failed": "#5f5f5f"}
_DARK = {"positive": "#63a8ff", "negative": "#ff8c42", "uncertain": "#a8a8a8", "failed": "#a8a8a8"}
# Word highlights are backgrounds under ordinary text: on a dark palette they must stay dark
# enough for light text, and far apart in hue so faint ones still tell apart.
_DARK_HIGHLIGHTS = {"positive": "#2f6fd0", "negative": "#c45a10"}


def luminance(colour: str) -> float:
    """WCAG relative luminance of `#rrggbb`."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two `#rrggbb` colours, 1 to 21."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable(colour: str, backgrounds: list[str], minimum: float = MIN_CONTRAST) -> str:
    """`colour`, moved towards black (on light backgrounds) or white (on dark) until it reaches
    `minimum` contrast on every background."""
    darkest = min(luminance(b) for b in backgrounds)
    towards = "#000000" if darkest > 0.18 else "#ffffff"
    for step in range(21):
        candidate = mix(colour, towards, step / 20)
        if all(contrast(candidate, b) >= minimum for b in backgrounds):
            return candidate
    return towards


def is_dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128


def _row_backgrounds(widget: QWidget) -> list[str]:
    palette = widget.palette()
    return [palette.color(QPalette.ColorRole.Base).name(), palette.color(QPalette.ColorRole.AlternateBase).name()]


def label_colour(widget: QWidget, label: str) -> str:
    """The colour a verdict's label is written in, readable on `widget`'s rows (plain and alternate)."""
    wanted = (_DARK if is_dark(widget) else _LIGHT).get(label, _LIGHT["uncertain"])
    return readable(wanted, _row_backgrounds(widget))


def highlight_colours(widget: QWidget) -> HighlightColours:
    """Colours for rich text shown in `widget` (a text view): its background, text and accents."""
    palette = widget.palette()
    base = palette.color(QPalette.ColorRole.Base).name()
    text = palette.color(QPalette.ColorRole.Text).name()
    accents = _DARK_HIGHLIGHTS if is_dark(widget) else _LIGHT
    return HighlightColours(
        base=base,
        text=text,
        dim=readable(mix(text, base, 0.45), [base]),
        positive=accents["positive"],
        negative=accents["negative"],
    )


def dark_palette() -> QPalette:
    """A dark palette like the ones dark desktops hand the app (used for screenshots and tests)."""
    roles = QPalette.ColorRole
    palette = QPalette()
    for role, colour in (
        (roles.Window, "#2b2b2b"), (roles.WindowText, "#e6e6e6"), (roles.Base, "#1e1e1e"),
        (roles.AlternateBase, "#2f2f2f"), (roles.Text, "#e6e6e6"), (roles.Button, "#353535"),
        (roles.ButtonText, "#e6e6e6"), (roles.Highlight, "#3d6fb6"), (roles.HighlightedText, "#ffffff"),
        (roles.PlaceholderText, "#9a9a9a"), (roles.ToolTipBase, "#353535"), (roles.ToolTipText, "#e6e6e6"),
        (roles.Link, "#7fb2ff"), (roles.Mid, "#444444"), (roles.Dark, "#1a1a1a"), (roles.Light, "#505050"),
        (roles.BrightText, "#ffffff"),
    ):
        palette.setColor(role, QColor(colour))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):  # disabled controls look disabled
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette


class FocusFrame(QObject):
    """One frame that follows the keyboard focus around the window, so every control shows
    it has the focus (many styles draw no outline of their own on buttons, lists and tables)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.frame = QFocusFrame(window)
        self.frame.hide()
        QApplication.instance().focusChanged.connect(self._follow)

    def _follow(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is None or new.window() is not self._window or not new.isVisible():
            return
        self.frame.setWidget(new)
        self.frame.show()
