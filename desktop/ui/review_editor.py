"""The box a review is pasted or typed into; a `.txt` file dropped on it replaces its text."""

from __future__ import annotations

import codecs
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPlainTextEdit, QWidget

MAX_REVIEW_FILE_BYTES = 50 * 1024 * 1024


class ReviewFileError(Exception):
    """A file that cannot be read as a review; `str()` names the file and what to do."""


def read_review_text(path: Path) -> str:
    """A text file's contents, decoded by its BOM, as UTF-8, or by the best guess of its encoding."""
    try:
        size = path.stat().st_size
        if size > MAX_REVIEW_FILE_BYTES:
            raise ReviewFileError(f"{path}: {size / 2**20:.0f} MB is too large for one review; "
                                  "use a text file under 50 MB")
        data = path.read_bytes()
    except OSError as error:
        raise ReviewFileError(f"{path}: cannot be read ({error.strerror or error})") from error
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if b"\x00" in data:
        raise ReviewFileError(f"{path}: looks like a binary file, not text; open a .txt file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    guess = from_bytes(data).best()
    if guess is None:
        raise ReviewFileError(f"{path}: its text encoding could not be recognised; save it as UTF-8")
    return str(guess)


class ReviewEditor(QPlainTextEdit):
    """A plain-text editor that takes a dropped text file as the review."""

    file_dropped = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(
            "Paste or type a movie review here, or drop a .txt file on this box.\n\n"
            "The verdict follows as you type."
        )
        self.setAccessibleName("Review text")

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
