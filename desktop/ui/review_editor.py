"""The box a review is pasted or typed into; a `.txt` file dropped on it replaces its text."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from review_sentiment._reading import ReadError, TextFile, describe_os_error, read_text_file


class ReviewFileError(Exception):
    """A file that cannot be read as a review; `str()` names the file and what to do."""


def read_review_file(path: Path) -> TextFile:
    """A text file's contents, in whatever encoding it is in (the batch reader's rules)."""
    try:
        return read_text_file(path)
    except OSError as error:
        raise ReviewFileError(f"{path} {describe_os_error(error)}") from error
    except ReadError as error:
        raise ReviewFileError(f"{path} {error}") from error


# Qt wraps a line without spaces in time quadratic in its length (400,000 characters: 9 s); unwrapped
# it takes 0.3 s. A text holding such a run is shown unwrapped (no real review has one).
LONGEST_WRAPPED_RUN = 10_000
_LONG_RUN = re.compile(r"\S{%d}" % LONGEST_WRAPPED_RUN)


class ReviewEditor(QPlainTextEdit):
    """A plain-text editor that takes a dropped text file as the review.

    Tab moves the focus on (a review needs no tab characters), and
    text put in from elsewhere (a batch row, a file) replaces the old text as one step that
    Ctrl+Z takes back.
    """

    file_dropped = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(
            "Paste or type a movie review here, or drop a .txt file on this box.\n\n"
            "The verdict follows as you type."
        )
        self.setAccessibleName("Review text")
        self.setTabChangesFocus(True)

    def setPlainText(self, text: str) -> None:
        """Replace the whole text as one edit that can be undone (QPlainTextEdit's own clears the undo history)."""
        self._wrap_unless_long_runs(text, replacing=True)
        if not self.toPlainText():
            super().setPlainText(text)
            return
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def insertFromMimeData(self, source) -> None:
        if source.hasText():
            self._wrap_unless_long_runs(source.text(), replacing=False)
        super().insertFromMimeData(source)

    def _wrap_unless_long_runs(self, text: str, replacing: bool) -> None:
        if _LONG_RUN.search(text):
            self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        elif replacing:
            self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

    @staticmethod
    def _dropped_file(mime) -> Path | None:
        urls = mime.urls() if mime.hasUrls() else []
        if len(urls) == 1 and urls[0].isLocalFile():
            return Path(urls[0].toLocalFile())
        return None

    def dragEnterEvent(self, event) -> None:
        if self._dropped_file(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if self._dropped_file(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        path = self._dropped_file(event.mimeData())
        if path is None:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        self.file_dropped.emit(path)
