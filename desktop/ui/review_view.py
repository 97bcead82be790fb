"""The single-review tab: type or paste a review; the verdict, its reasons and what the model read follow.

Classification runs on a worker thread, at most one at a time: while one runs, only the newest
text waits, so fast typing or a huge paste never queues up stale work.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from review_sentiment._classify import Verdict, classify_text
from review_sentiment._explain import explanation_size
from desktop.ui import theme
from desktop.ui.highlight import mix, model_view_html, review_html
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
        self.verdict_panel = VerdictPanel()
        self.verdict_panel.band_changed.connect(self._band_changed)
        self.why_view = self._text_view("Review with the words that decided the verdict")
        self.model_view = self._text_view("What the model reads")
        self.highlight_box = QCheckBox("&Highlight words")
        self.highlight_box.setChecked(True)
        self.highlight_box.toggled.connect(self._render)
        self.strongest = QLabel()
        self.strongest.setWordWrap(True)
        self.strongest.setTextFormat(Qt.TextFormat.RichText)
        self.strongest.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.cut_note = QLabel()
        self.cut_note.setWordWrap(True)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self._titled("&Review", self.editor))
        left.addWidget(self._why_section())
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.verdict_panel)
        column.addWidget(self.strongest)
        column.addWidget(self._titled("What the model reads", self.model_view), 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._splitter = splitter

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

    def _why_section(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        header.addWidget(QLabel("<b>Why</b>"))
        header.addWidget(self.legend, 1)
        header.addWidget(self.highlight_box)
        layout.addLayout(header)
        layout.addWidget(self.why_view)
        layout.addWidget(self.cut_note)
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
        self.strongest.clear()
        self.legend.clear()
        self.cut_note.clear()
        self.why_view.clear()
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
        worker = Worker(partial(classify_text, explain=explain), self._bundle, text, self.band)
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
        self.band_changed.emit(band)

    # -- showing the reasons ----------------------------------------------------------------------

    def _render(self) -> None:
        verdict, text = self._verdict, self._shown_text
        if verdict is None:
            return
        colours = theme.highlight_colours(self.why_view)
        highlight = self.highlight_box.isChecked()
        self.why_view.setHtml(review_html(text, verdict, colours, highlight=highlight))
        self.model_view.setHtml(model_view_html(text, verdict, colours))
        self.legend.setText(self._legend_html(colours) if highlight else "")
        self.strongest.setText(self._strongest_html(verdict) if self._explained
                               else "Weighing each word of this long review…")
        self.cut_note.setText(
            f"Only the first {verdict.words_read} words were read and weighed; the rest is shown struck out."
            if verdict.truncated else "")

    @staticmethod
    def _legend_html(colours) -> str:
        def chip(colour: str, words: str) -> str:
            shade = mix(colours.base, colour, 0.62)
            return f'<span style="background-color:{shade};">&nbsp;{words}&nbsp;</span>'

        return (f"{chip(colours.positive, 'toward positive')} {chip(colours.negative, 'toward negative')}"
                " &nbsp;stronger colour, stronger push")

    def _strongest_html(self, verdict: Verdict) -> str:
        positive, negative = verdict.strongest(6)

        def listed(words) -> str:
            return ", ".join(f"{w.text} ({w.contribution:+.2f})" for w in words) or "none"

        return (f"<b>Pushed toward positive:</b> {listed(positive)}<br>"
                f"<b>Pushed toward negative:</b> {listed(negative)}")

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
