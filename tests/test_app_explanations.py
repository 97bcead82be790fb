"""The Review tab's explanation as a person meets it: colours in the review box on one scale, grey
unknown words, hover values, the sentence list, Save as HTML and Copy as image. Real reviews, the
shipped model."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QToolTip

from review_sentiment._reasons import FULL_COLOUR
from review_sentiment._sentences import classify_sentences, mixed
from desktop.ui import theme
from desktop.ui.highlight import LIGHT_PAGE, explanation_html, push_colour
from desktop.ui.review_view import Utf16Positions

from test_app_review import TIMEOUT, classify, open_window, painted, pushes, settings  # noqa: F401  (fixtures)


def _point_of(window, text: str, piece: str) -> QPoint:
    """Where `piece` of the review is drawn in the editor's viewport."""
    editor = window.review_view.editor
    cursor = editor.textCursor()
    cursor.setPosition(Utf16Positions(text).of(text.index(piece)) + 1)
    return editor.cursorRect(cursor).center()


def test_unknown_words_are_grey_and_never_coloured(qtbot, open_window):
    window = open_window()
    text = "An excellent zxqvyblorp film, truly excellent."
    classify(qtbot, window, text)
    unknown = [(background, foreground) for t, background, foreground in painted(window) if t == "zxqvyblorp"]
    assert len(unknown) == 1
    background, foreground = unknown[0]
    assert background is None and foreground is not None
    assert foreground.saturation() == 0  # grey, not an accent
    assert pushes(window, "excellent") == [1, 1]


def test_colours_follow_one_fixed_scale_not_the_strongest_word(qtbot, open_window):
    window = open_window()
    classify(qtbot, window, "A good film.")
    weak = {t: b.name() for t, b, _ in painted(window) if b is not None}
    verdict = window.review_view.verdict
    for word in verdict.words:
        expected = push_colour(word.contribution, theme.highlight_colours(window.review_view.editor))
        assert weak.get(window.review_view.editor.toPlainText()[word.start : word.end]) == expected
    assert f"{FULL_COLOUR:.1f} or more" in window.review_view.legend.text()


def test_hovering_a_word_shows_its_value_and_the_phrases_behind_it(qtbot, open_window):
    window = open_window()
    text = "Not good at all."
    verdict = classify(qtbot, window, text)
    good = next(w for w in verdict.words if w.text == "good")
    viewport = window.review_view.editor.viewport()
    point = _point_of(window, text, "good")
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point)))
    shown = QToolTip.text()
    assert f"{good.contribution:+.2f}" in shown and "not good" in shown and "good at" in shown


def test_a_mixed_real_review_is_listed_sentence_by_sentence_and_a_click_selects_one(
        qtbot, open_window, imdb_split, shipped_bundle):
    text = next(t for t in imdb_split.test.texts
                if len(t) < 700 and mixed(classify_sentences(shipped_bundle, t) or (), 0.2))
    window = open_window()
    classify(qtbot, window, text)
    listing = window.review_view.sentence_list
    rows = [listing.item(i).text() for i in range(listing.count())]
    assert any("sure it is positive" in row for row in rows) and any("sure it is negative" in row for row in rows)
    negative = next(i for i, row in enumerate(rows) if "sure it is negative" in row)
    listing.itemClicked.emit(listing.item(negative))
    start, end = listing.item(negative).data(Qt.ItemDataRole.UserRole)
    selected = window.review_view.editor.textCursor().selectedText()
    assert selected == text[start:end].replace("\n", "\u2029")  # Qt's paragraph separator


def test_a_one_sentence_review_has_no_sentence_list(qtbot, open_window):
    window = open_window()
    classify(qtbot, window, "A truly wonderful film")
    assert window.review_view.sentence_list.count() == 0 and not window.review_view.sentence_box.isVisible()


def test_save_explanation_as_html_writes_one_self_contained_page(qtbot, open_window, tmp_path, monkeypatch, imdb_split):
    window = open_window()
    text = imdb_split.test.texts[3]
    verdict = classify(qtbot, window, text)
    target = tmp_path / "explained.html"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    window.save_explanation_action.trigger()
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=|url\(|@import""", page)  # nothing fetched from elsewhere
    assert "full colour" in page and "background-color:#" in page
    body = page[page.index('<div class="review">'):]
    body = body[: body.index("</div></div>")]
    assert html.unescape(re.sub(r"<[^>]+>", "", body)) == text  # the review, whole, once
    for word in (w for w in verdict.words if w.contribution is not None and abs(w.contribution) > 0.2):
        assert f"{word.contribution:+.2f} log-odds" in page  # its hover text
    assert not list(tmp_path.glob(".*.part"))


def test_copy_as_image_puts_the_review_tab_on_the_clipboard(qtbot, open_window, imdb_split):
    window = open_window()
    classify(qtbot, window, imdb_split.test.texts[5])
    QApplication.clipboard().clear()
    window.copy_image_action.trigger()
    image = QApplication.clipboard().image()
    assert not image.isNull()
    assert image.width() >= window.review_view.width() * 0.9


def test_the_method_is_named_and_the_sum_shown(qtbot, open_window):
    window = open_window()
    verdict = classify(qtbot, window, "An excellent cast in an awful script.")
    note = html.unescape(window.review_view.method_note.text())
    assert note.startswith("Exact") and f"= {verdict.log_odds:+.2f} log-odds" in note


def test_the_html_page_lists_sentences_and_marks_unknown_words(shipped_bundle):
    from review_sentiment._classify import classify_text

    text = "A wonderful zxqvyblorp cast. But an awful, awful script!"
    verdict = classify_text(shipped_bundle, text, by_sentence=True)
    page = explanation_html(text, verdict, "bigram-nb")
    assert "Sentence by sentence" in page and page.count("<tr>") == 2
    assert f'color:{LIGHT_PAGE.dim};" title="“zxqvyblorp” is not in the model' in page
