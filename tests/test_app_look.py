"""What the app looks like: text contrast of at least 4.5:1 (WCAG AA) in the light and the dark
palette, computed from the colours the widgets are actually given."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from review_sentiment._verdict import NEGATIVE, POSITIVE, UNCERTAIN
from desktop.ui import highlight, theme
from desktop.ui.batch_model import FAILED
from desktop.ui.batch_view import BatchView

LABELS = (POSITIVE, NEGATIVE, UNCERTAIN, FAILED)


def palettes():
    return {"light": QApplication.style().standardPalette(), "dark": theme.dark_palette()}


@pytest.fixture(params=["light", "dark"])
def palette(request, qapp):
    return palettes()[request.param]


def test_contrast_is_computed_as_wcag_does():
    assert theme.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert theme.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert theme.contrast("#d45500", "#ffffff") < 4.5  # the old orange "negative": 4.1:1


def test_table_labels_read_on_plain_and_alternate_rows(qtbot, palette):
    view = BatchView()
    qtbot.addWidget(view)
    view.setPalette(palette)
    qtbot.waitUntil(lambda: view.model.colours[POSITIVE].name() == theme.label_colour(view.table, POSITIVE))
    base = palette.color(QPalette.ColorRole.Base).name()
    alternate = palette.color(QPalette.ColorRole.AlternateBase).name()
    for label in LABELS:
        colour = view.model.colours[label].name()
        assert theme.contrast(colour, base) >= theme.MIN_CONTRAST, (label, colour, base)
        assert theme.contrast(colour, alternate) >= theme.MIN_CONTRAST, (label, colour, alternate)
    assert theme.contrast(palette.color(QPalette.ColorRole.Text).name(), alternate) >= theme.MIN_CONTRAST


def test_highlighted_words_and_dimmed_text_stay_readable(qtbot, palette):
    view = BatchView()  # any widget: the colours come from its palette
    qtbot.addWidget(view)
    view.setPalette(palette)
    colours = theme.highlight_colours(view)
    strongest = highlight._STRONGEST_MIX
    for accent in (colours.positive, colours.negative):
        background = highlight.mix(colours.base, accent, strongest)
        assert theme.contrast(colours.text, background) >= theme.MIN_CONTRAST, (accent, background)
    assert theme.contrast(colours.dim, colours.base) >= theme.MIN_CONTRAST


def test_positive_and_negative_highlights_tell_apart_in_the_dark(qtbot):
    view = BatchView()
    qtbot.addWidget(view)
    view.setPalette(theme.dark_palette())
    colours = theme.highlight_colours(view)
    # Half-strength highlights: the blue one is bluer than it is red, the orange one redder than blue.
    blue = highlight.mix(colours.base, colours.positive, 0.3)
    orange = highlight.mix(colours.base, colours.negative, 0.3)
    channels = [[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in (blue, orange)]
    assert channels[0][2] - channels[0][0] > 25 and channels[1][0] - channels[1][2] > 25


def test_readable_repairs_a_colour_that_is_too_faint(qtbot):
    fixed = theme.readable("#ff8c42", ["#ffffff", "#f5f5f5"])
    assert theme.contrast(fixed, "#f5f5f5") >= theme.MIN_CONTRAST
    assert theme.readable("#1a5fb4", ["#ffffff"]) == "#1a5fb4"  # already fine: unchanged


def test_label_colours_follow_a_switch_to_dark(qtbot):
    view = BatchView()
    qtbot.addWidget(view)
    before = dict(view.model.colours)
    view.setPalette(theme.dark_palette())
    qtbot.waitUntil(lambda: view.model.colours != before)
    assert view.model.colours[POSITIVE].lightness() > before[POSITIVE].lightness()
