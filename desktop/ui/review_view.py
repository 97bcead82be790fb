"""The single-review tab: type or paste a review; the verdict, its reasons and what the model read follow.

The words that decided are coloured in the review box itself, where the person reads and edits
(extra selections of the editor, so the text stays plain and editable); hovering one says how much
it pushed and which phrases it is part of. A review of two or more sentences is listed sentence by
sentence beside it, each with its own verdict; clicking one selects it in the box.

Classification runs on a worker thread, at most one at a time: while one runs, only the newest
text waits, so fast typing or a huge paste never queues up stale work.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QSplitter,
    QTextBrowser,
    QTextEdit,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from review_sentiment._classify import Verdict, classify_text
from review_sentiment._explain import explanation_size
from review_sentiment._verdict import verdict_words
from desktop.ui import theme
from desktop.ui.highlight import (
    explanation_html,
    legend_html,
    marks,
    method_words,
    model_view_html,
    reasons_html,
    sums_html,
    word_tooltip,
)
from desktop.ui.review_editor import ReviewEditor, ReviewFileError, read_review_file
from desktop.ui.verdict_panel import VerdictPanel
from desktop.ui.workers import Worker, WorkerPool

# Typing pauses shorter than this do not start a classification: the verdict follows the typing
# without running the model on every keystroke.
DEBOUNCE_MS = 150
# An explanation bigger than this many ids (about 0.2 s on 2 cores) comes after the verdict
# instead of with it, so a long review with a long-reading model still gets its verdict at once.
VERDICT_FIRST_IDS = 2_000_000

EMPTY_TITLE = "Paste a review"
EMPTY_DETAIL = "Type or paste a movie review on the left, or drop a .txt file on it."


class ReviewView(QWidget):
    """Text box, verdict, highlighted words and the model's view of one review."""

    verdict_shown = Signal(object, float)  # the Verdict (None for a state without one), seconds taken
    band_changed = Signal(float)
    file_opened = Signal(str, str)  # a dropped or opened file became the review: its path, any warning
    file_failed = Signal(str)  # a dropped or opened file could not be read: the message

    def __init__(self, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pool = pool
        self._bundle = None
        self._generation = 0
        self._queued: tuple[int, str] | None = None
        self._running = False
        self._verdict: Verdict | None = None
        self._explained = True  # the verdict on screen has its word contributions
        self._shown_text = ""
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.classify_now)
        self._build()
        self.show_state("Loading the model…", "The verdict appears as soon as the model is ready.")

    # -- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        self.editor = ReviewEditor()
        self.editor.textChanged.connect(self._debounce.start)
        self.editor.file_dropped.connect(self.open_file)
        self.editor.viewport().installEventFilter(self)
        self.verdict_panel = VerdictPanel()
        self.verdict_panel.band_changed.connect(self._band_changed)
        self.model_view = self._text_view("What the model reads")
        self.highlight_box = QCheckBox("Hi&ghlight words")
        self.highlight_box.setChecked(True)
        self.highlight_box.toggled.connect(self._render)
        self.strongest = self._note_label()
        self.legend = self._note_label()
        self.legend.setAccessibleName("Colour legend")
        self.cut_note = self._note_label()
        self.method_note = self._note_label()
        self.sentence_list = QListWidget()
        self.sentence_list.setAccessibleName("Sentence by sentence")
        self.sentence_list.setWordWrap(True)
        self.sentence_list.setSpacing(3)  # one sentence apart from the next
        self.sentence_list.itemClicked.connect(self._jump_to_sentence)
        self.sentence_list.itemActivated.connect(self._jump_to_sentence)
        self.sentence_box = self._titled("&Sentence by sentence", self.sentence_list)

        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        title = QLabel("<b>Revie&w</b>")
        title.setBuddy(self.editor)
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.highlight_box)
        column.addLayout(header)
        column.addWidget(self.legend)
        column.addWidget(self.editor, 1)
        column.addWidget(self.cut_note)
        column.addWidget(self.method_note)
        right = QWidget()
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.addWidget(self.verdict_panel)
        right_column.addWidget(self.strongest)
        right_column.addWidget(self.sentence_box, 2)
        right_column.addWidget(self._titled("What the model reads", self.model_view), 1)
        # The two sides share the width by their stretch factors alone, not by what they show, so
        # nothing shifts when a verdict, a legend or a longer note appears (down to 800 px wide).
        for side, least in ((left, 300), (right, 220)):
            side.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            side.setMinimumWidth(least)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._splitter = splitter

    @staticmethod
    def _note_label() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)  # word wrap keeps its height-for-width policy
        return label

    def _text_view(self, name: str) -> QTextBrowser:
        view = QTextBrowser()
        view.setOpenLinks(False)
        view.setAccessibleName(name)
        return view

    def _titled(self, title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(f"<b>{title}</b>")
        label.setBuddy(widget)
        layout.addWidget(label)
        layout.addWidget(widget)
        return box

    # -- what other parts of the window call ------------------------------------------------------

    @property
    def verdict(self) -> Verdict | None:
        """The verdict on screen, if any."""
        return self._verdict

    @property
    def band(self) -> float:
        return self.verdict_panel.band

    def set_band(self, band: float) -> None:
        self.verdict_panel.set_band(band)

    def set_bundle(self, bundle) -> None:
        """Classify with this model from now on (None: no model loaded)."""
        self._bundle = bundle
        self.classify_now()

    def show_text(self, text: str) -> None:
        """Put a review in the box and classify it straight away."""
        self.editor.setPlainText(text)
        self.classify_now()

    def open_file(self, path: Path) -> None:
        try:
            opened = read_review_file(Path(path))
        except ReviewFileError as error:
            self.file_failed.emit(str(error))
            return
        self.show_text(opened.text)
        self.file_opened.emit(str(path), opened.encoding.warning)

    def show_state(self, title: str, detail: str) -> None:
        """A calm state without a verdict: empty box, loading, no model."""
        self._verdict = None
        self.verdict_panel.show_message(title, detail)
        for label in (self.strongest, self.legend, self.cut_note, self.method_note):
            label.clear()
        self.editor.setExtraSelections([])
        self.sentence_list.clear()
        self.sentence_box.hide()
        self.model_view.clear()
        self.verdict_shown.emit(None, 0.0)

    # -- classifying ------------------------------------------------------------------------------

    def classify_now(self) -> None:
        """Classify the text in the box now (the debounce timer calls this too)."""
        self._debounce.stop()
        self._generation += 1
        self._queued = None
        text = self.editor.toPlainText()
        if not text.strip():
            self.show_state(EMPTY_TITLE, EMPTY_DETAIL)
            return
        if self._bundle is None:
            return  # the window shows why there is no model
        self._queued = (self._generation, text)
        self._start_queued()

    def _start_queued(self) -> None:
        if self._running or self._queued is None or self._bundle is None:
            return
        generation, text = self._queued
        self._queued = None
        explain = explanation_size(text, self._bundle) <= VERDICT_FIRST_IDS
        self._run(generation, text, explain)

    def _run(self, generation: int, text: str, explain: bool) -> None:
        self._running = True
        worker = Worker(partial(classify_text, explain=explain, by_sentence=explain), self._bundle, text, self.band)
        worker.signals.finished.connect(
            lambda verdict, seconds: self._classified(generation, text, verdict, seconds, explain))
        worker.signals.failed.connect(lambda error: self._classify_failed(generation, error))
        self._pool.start(worker)

    def _classified(self, generation: int, text: str, verdict: Verdict, seconds: float, explained: bool) -> None:
        self._running = False
        if generation == self._generation:
            self._verdict = verdict.with_band(self.band)
            self._shown_text = text
            self._explained = explained
            self.verdict_panel.show_verdict(self._verdict)
            self._render()
            self.verdict_shown.emit(self._verdict, seconds)
            if not explained and self._queued is None:
                self._run(generation, text, explain=True)  # now weigh the words
                return
        self._start_queued()

    def _classify_failed(self, generation: int, error: Exception) -> None:
        self._running = False
        if generation == self._generation:
            self.show_state("Could not classify", f"The model failed on this text: {error}")
        self._start_queued()

    def _band_changed(self, band: float) -> None:
        if self._verdict is not None:
            self._verdict = self._verdict.with_band(band)
            self.verdict_panel.show_verdict(self._verdict)
            self._show_sentences()
        self.band_changed.emit(band)

    # -- showing the reasons ----------------------------------------------------------------------

    def _render(self) -> None:
        verdict, text = self._verdict, self._shown_text
        if verdict is None:
            return
        colours = theme.highlight_colours(self.editor)
        highlight = self.highlight_box.isChecked()
        self._paint_editor(verdict, colours if highlight else None)
        self.model_view.setHtml(model_view_html(text, verdict, colours))
        self.legend.setText(legend_html(colours) if highlight else "")
        self.strongest.setText(reasons_html(verdict) if self._explained
                               else "Weighing each word of this long review…")
        self.method_note.setText(sums_html(verdict) if self._explained else "")
        self.method_note.setToolTip(method_words(verdict))
        self.cut_note.setText(
            f"Only the first {verdict.words_read} words were read and weighed; the rest is greyed out."
            if verdict.truncated else "")
        self._show_sentences()

    def _paint_editor(self, verdict: Verdict, colours) -> None:
        """Colour the review in the box itself; None: no colours. Only while the box holds the
        text that was classified (Qt's cursors then follow any edit until the next verdict)."""
        if colours is None or self.editor.toPlainText() != self._shown_text:
            self.editor.setExtraSelections([])
            return
        positions = Utf16Positions(self._shown_text)
        selections = []
        document = self.editor.document()
        end_of_text = positions.of(len(self._shown_text))
        for mark in marks(verdict, colours):
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(document)
            cursor.setPosition(positions.of(mark.start))
            cursor.setPosition(end_of_text if mark.end < 0 else positions.of(mark.end), QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            text_format = QTextCharFormat()
            if mark.background:
                text_format.setBackground(QBrush(QColor(mark.background)))
            if mark.foreground:
                text_format.setForeground(QBrush(QColor(mark.foreground)))
            if mark.word is None:
                text_format.setFontStrikeOut(True)
            selection.format = text_format
            selections.append(selection)
        self.editor.setExtraSelections(selections)

    def _show_sentences(self) -> None:
        verdict = self._verdict
        self.sentence_list.clear()
        sentences = verdict.sentences if verdict is not None else ()
        self.sentence_box.setVisible(bool(sentences))
        for sentence in sentences:
            label = sentence.label(verdict.band)
            _, detail = verdict_words(label, sentence.probability, sentence.known_words)
            text = " ".join(self._shown_text[sentence.start : sentence.end].split())
            item = QListWidgetItem(f"{detail}\n{text[:160]}{'…' if len(text) > 160 else ''}")
            item.setForeground(QBrush(QColor(theme.label_colour(self, label))))
            item.setData(Qt.ItemDataRole.UserRole, (sentence.start, sentence.end))
            item.setToolTip(f"{detail}: click to select this sentence in the review")
            self.sentence_list.addItem(item)

    def _jump_to_sentence(self, item: QListWidgetItem) -> None:
        """Select the sentence in the review box and scroll it into view."""
        start, end = item.data(Qt.ItemDataRole.UserRole)
        if self.editor.toPlainText() != self._shown_text:
            return
        positions = Utf16Positions(self._shown_text)
        cursor = self.editor.textCursor()
        cursor.setPosition(positions.of(start))
        cursor.setPosition(positions.of(end), QTextCursor.MoveMode.KeepAnchor)
        self.editor.setTextCursor(cursor)
        self.editor.ensureCursorVisible()
        self.editor.setFocus()

    def word_at(self, point) -> int | None:
        """Index in the verdict's words of the word under `point` (editor viewport coordinates)."""
        verdict = self._verdict
        if verdict is None or not verdict.words or self.editor.toPlainText() != self._shown_text:
            return None
        cursor = self.editor.cursorForPosition(point)
        position = Utf16Positions(self._shown_text).index_of(cursor.position())
        starts = [w.start for w in verdict.words]
        i = int(np.searchsorted(starts, position, side="right")) - 1
        if i >= 0 and verdict.words[i].start <= position <= verdict.words[i].end:
            return i
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.editor.viewport() and event.type() == QEvent.Type.ToolTip:
            index = self.word_at(event.pos())
            if index is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), word_tooltip(self._verdict, index), self.editor.viewport())
            return True
        return super().eventFilter(watched, event)

    def copy_as_image(self) -> None:
        """The review tab as it looks now (review, colours, legend, verdict, sentences) to the clipboard."""
        QGuiApplication.clipboard().setImage(self.grab().toImage())

    def explanation_page(self, model_name: str) -> str | None:
        """The explanation on screen as one self-contained HTML page, or None without one."""
        if self._verdict is None or not self._explained:
            return None
        return explanation_html(self._shown_text, self._verdict, model_name)

    def _recolour(self) -> None:
        if self._verdict is not None:
            self.verdict_panel.show_verdict(self._verdict)
            self._render()

    def changeEvent(self, event) -> None:
        # Light/dark switched while running: re-colour for the new palette once the child views
        # have it too (Qt tells the parent first).
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange) and self._verdict is not None:
            QTimer.singleShot(0, self._recolour)
        super().changeEvent(event)


def write_page(path: Path, page: str) -> None:
    """Write `page` to `path` whole or not at all: a temporary file beside it, then renamed."""
    temporary = path.with_name(f".{path.name}.part")
    try:
        temporary.write_text(page, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


class Utf16Positions:
    """Python `str` indices <-> Qt document positions, which count UTF-16 units: a character
    beyond the Basic Multilingual Plane (most emoji) is one `str` index but two Qt positions."""

    def __init__(self, text: str) -> None:
        code_points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        wide = code_points > 0xFFFF
        # extra[i]: how many wide characters come before str index i
        self._extra = None if not wide.any() else np.concatenate(([0], np.cumsum(wide)))
        self._qt = None if self._extra is None else np.arange(len(self._extra)) + self._extra

    def of(self, index: int) -> int:
        return index if self._extra is None else int(index + self._extra[index])

    def index_of(self, position: int) -> int:
        if self._qt is None:
            return position
        return int(np.searchsorted(self._qt, position, side="right")) - 1
