"""The rich text of the Why and What-the-model-reads views, built from real verdicts of the shipped model."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from review_sentiment._classify import classify_text
from desktop.ui.highlight import CUT_PREVIEW_CHARS, HighlightColours, model_view_html, review_html

COLOURS = HighlightColours(base="#ffffff", text="#000000", dim="#888888", positive="#1f6fd1", negative="#d45500")


def _visible_text(markup: str) -> str:
    """What a person reads: tags removed, entities decoded, <br> as a newline."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup.replace("<br>", "\n")))


def test_markup_in_a_review_is_shown_as_text_not_obeyed(shipped_bundle):
    text = 'An excellent <b>film</b> & a <script>alert("x")</script> awful "end" <br /> 😀'
    verdict = classify_text(shipped_bundle, text)
    markup = review_html(text, verdict, COLOURS)
    assert "<script>" not in markup and "<b>film" not in markup
    assert _visible_text(markup) == text


def test_only_words_that_pushed_are_coloured_and_each_side_gets_its_colour(shipped_bundle):
    text = "The excellent acting could not save an awful script."
    verdict = classify_text(shipped_bundle, text)
    markup = review_html(text, verdict, COLOURS)
    spans = dict((word, colour) for colour, word in re.findall(r'background-color:(#[0-9a-f]{6});" title="[^"]*">([^<]+)<', markup))
    assert int(spans["excellent"][5:7], 16) > int(spans["excellent"][1:3], 16)  # bluer than red
    assert int(spans["awful"][1:3], 16) > int(spans["awful"][5:7], 16)  # redder than blue
    assert review_html(text, verdict, COLOURS, highlight=False).count("background-color") == 0


def test_a_cut_review_shows_the_read_part_then_a_short_struck_preview(shipped_bundle, imdb_split):
    text = " ".join(imdb_split.test.texts[:600])
    verdict = classify_text(shipped_bundle, text)
    assert verdict.truncated
    shown = _visible_text(review_html(text, verdict, COLOURS))
    read, _, rest = shown.partition("\n✂ not read")
    assert read == text[: verdict.read_until]
    assert f"({len(text) - verdict.read_until:,} more characters)" in rest
    assert len(rest) < CUT_PREVIEW_CHARS + 200


def test_the_model_view_lists_words_marks_unknown_ones_and_lists_pairs(shipped_bundle):
    text = "The film was zxqvyblorp and excellent."
    verdict = classify_text(shipped_bundle, text)
    shown = _visible_text(model_view_html(text, verdict, COLOURS))
    assert shown.startswith("<START> the film was <UNK>zxqvyblorp and excellent")
    # A model that reads word pairs: they follow the words, two words each.
    with_pairs = replace(verdict, model_view=verdict.model_view.split(" excellent")[0] + " excellent the film film was")
    shown = _visible_text(model_view_html(text, with_pairs, COLOURS))
    assert shown.endswith("then the 2 pairs of neighbouring words it knows: the film · film was")
