"""The batch results table: a QAbstractTableModel over plain result records that sorts and filters
them itself, with NumPy over whole columns instead of one Python call per row.

Rows keep the order they arrived in; the table shows a list of row numbers (sorted, then filtered
by label and by text). A text filter waits for a pause in typing, then searches a case-folded
index a block at a time between events (`text_search`), so the window never stops for it.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont

from review_sentiment._batch import ReviewResult
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND, NEGATIVE, POSITIVE, UNCERTAIN, confidence
from desktop.ui.text_search import BLOCK_ROWS, TextIndex, needle_of, searchable

COLUMNS = ("Source", "Line", "Review", "Label", "Confidence", "Status", "Model")
SOURCE, LINE, SNIPPET, LABEL, CONFIDENCE, STATUS, MODEL = range(len(COLUMNS))
SNIPPET_CHARS = 140
FAILED = "failed"
LABELS = (FAILED, NEGATIVE, POSITIVE, UNCERTAIN)  # codes 0-3, in the order their names sort
CODE = {label: code for code, label in enumerate(LABELS)}
SORT_KEY_ROLE = Qt.ItemDataRole.UserRole
RESULT_ROLE = Qt.ItemDataRole.UserRole + 1
FILTER_PAUSE_MS = 150  # a text filter starts once typing pauses this long
SLICE_SECONDS = 0.008  # the longest the filter works before letting the window handle events


def snippet(text: str) -> str:
    head = " ".join(text[: SNIPPET_CHARS * 2].split())
    return head if len(head) <= SNIPPET_CHARS else head[: SNIPPET_CHARS - 1] + "…"


def label_codes(probabilities: np.ndarray, knows_a_word: np.ndarray, band: float) -> np.ndarray:
    """`label_for` over a whole column: failed rows have a NaN probability."""
    with np.errstate(invalid="ignore"):
        codes = np.where(probabilities >= 0.5, CODE[POSITIVE], CODE[NEGATIVE]).astype(np.int8)
        codes[(np.abs(probabilities - 0.5) < band / 2) | ~knows_a_word] = CODE[UNCERTAIN]
    codes[np.isnan(probabilities)] = CODE[FAILED]
    return codes


class BatchResultsModel(QAbstractTableModel):
    """Rows of ReviewResult, appended batch by batch while a run goes on."""

    counts_changed = Signal(dict)  # {"positive": n, "negative": n, "uncertain": n, "failed": n}
    filter_started = Signal()  # a text filter began searching (it may take a moment over many rows)
    filter_applied = Signal(int, int)  # rows shown, rows in all

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._band = DEFAULT_UNCERTAIN_BAND
        self._colours: dict[str, QColor] = {}
        self._italic = QFont()
        self._italic.setItalic(True)
        self._made_by: tuple[str, str] | None = None  # the model in use: rows from others are stale
        self._label_filter = ""
        self._needle = ""
        self._filter_timer = QTimer(self, singleShot=True, interval=FILTER_PAUSE_MS)
        self._filter_timer.timeout.connect(self._start_text_search)
        self._slice_timer = QTimer(self, singleShot=True, interval=0)
        self._slice_timer.timeout.connect(self._search_a_slice)
        self._search = None  # the text search under way: a generator, one step per block
        self._reset_rows()

    def _reset_rows(self) -> None:
        self._rows: list[ReviewResult] = []
        self._probabilities = np.empty(0)
        self._knows = np.empty(0, dtype=bool)
        self._codes = np.empty(0, dtype=np.int8)
        self._order: np.ndarray | None = None  # row numbers in the sorted order; None: as they came
        self._sorted_by: tuple[int, Qt.SortOrder] | None = None
        self._shown = np.empty(0, dtype=np.int64)
        self._index = TextIndex()
        self._matches = np.empty(0, dtype=bool)  # rows whose text holds the needle (up to the index's end)
        self.counts = dict.fromkeys((POSITIVE, NEGATIVE, UNCERTAIN, FAILED), 0)

    # -- contents -----------------------------------------------------------------------------------

    @property
    def results(self) -> list[ReviewResult]:
        """Every result, in the order they came."""
        return self._rows

    @property
    def probabilities(self):
        """Every row's probability of positive (NaN for failures), in the order they came."""
        return self._probabilities

    @property
    def total(self) -> int:
        return len(self._rows)

    @property
    def band(self) -> float:
        return self._band

    @property
    def filtered(self) -> bool:
        return bool(self._label_filter or self._needle)

    @property
    def searching(self) -> bool:
        return self._search is not None or self._filter_timer.isActive()

    def label(self, result: ReviewResult) -> str:
        return result.label_with(self._band) if result.ok else FAILED

    def result_at(self, row: int) -> ReviewResult:
        return self._rows[self._shown[row]]

    def shown_results(self) -> list[ReviewResult]:
        """The rows on screen, in their order."""
        return [self._rows[i] for i in self._shown.tolist()]

    def append(self, results: list[ReviewResult]) -> None:
        if not results:
            return
        first = len(self._rows)
        self._rows.extend(results)
        probabilities = np.fromiter((np.nan if r.probability is None else r.probability for r in results),
                                    dtype=np.float64, count=len(results))
        knows = np.fromiter((r.knows_a_word for r in results), dtype=bool, count=len(results))
        codes = label_codes(probabilities, knows, self._band)
        self._probabilities = np.concatenate((self._probabilities, probabilities))
        self._knows = np.concatenate((self._knows, knows))
        self._codes = np.concatenate((self._codes, codes))
        new = np.arange(first, len(self._rows))
        if self._order is not None:
            self._order = np.concatenate((self._order, new))  # sorted again when the run ends
        for code, count in enumerate(np.bincount(codes, minlength=len(LABELS)).tolist()):
            self.counts[LABELS[code]] += count
        self._show_new_rows(new)
        self.counts_changed.emit(dict(self.counts))

    def _show_new_rows(self, new: np.ndarray) -> None:
        if self._needle and self._search is not None:
            return  # the search under way reaches these rows too, and shows them when done
        if self._needle:
            self._index_rows(len(self._rows))
        keep = self._passes(new)
        if keep.any():
            added = new[keep]
            start = len(self._shown)
            self.beginInsertRows(QModelIndex(), start, start + len(added) - 1)
            self._shown = np.concatenate((self._shown, added))
            self.endInsertRows()
        self.filter_applied.emit(len(self._shown), len(self._rows))

    def clear(self) -> None:
        self._stop_search()
        self.beginResetModel()
        self._reset_rows()
        self.endResetModel()
        self.counts_changed.emit(dict(self.counts))
        self.filter_applied.emit(0, 0)

    def set_band(self, band: float) -> None:
        """Relabel every row for another uncertain band, as the single-review view does."""
        if band == self._band:
            return
        self._band = band
        self._codes = label_codes(self._probabilities, self._knows, band)
        self.counts = {label: int(n) for label, n in zip(LABELS, np.bincount(self._codes, minlength=len(LABELS)))}
        if self._label_filter:
            self._apply_filters()
        elif len(self._shown):
            self.dataChanged.emit(self.index(0, LABEL), self.index(len(self._shown) - 1, LABEL))
        self.counts_changed.emit(dict(self.counts))

    @property
    def colours(self) -> dict[str, QColor]:
        """The colour each label is written in."""
        return dict(self._colours)

    def set_colours(self, colours: dict[str, str]) -> None:
        self._colours = {label: QColor(colour) for label, colour in colours.items()}
        if len(self._shown):
            self.dataChanged.emit(self.index(0, LABEL), self.index(len(self._shown) - 1, LABEL))

    # -- which model the rows came from -------------------------------------------------------------

    def set_model_in_use(self, name: str, word_index_sha256: str) -> None:
        """Rows made by another model are marked stale from now on."""
        self._made_by = (name, word_index_sha256)
        if len(self._shown):
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._shown) - 1, len(COLUMNS) - 1))

    def is_stale(self, result: ReviewResult) -> bool:
        return (self._made_by is not None and result.ok
                and (result.model, result.word_index_sha256) != self._made_by)

    def stale_count(self) -> int:
        return sum(1 for r in self._rows if self.is_stale(r))

    def models_of_rows(self) -> list[str]:
        return sorted({r.model for r in self._rows if r.ok and r.model})

    # -- filters ------------------------------------------------------------------------------------

    def set_label_filter(self, label: str) -> None:
        """Show only rows with this label ("" for every label, "failed" for failures)."""
        self._label_filter = label
        self._apply_filters()

    def set_text_filter(self, typed: str) -> None:
        """Show only rows whose source, text or error contains `typed`, once typing pauses."""
        needle = needle_of(typed)
        if needle == self._needle and not self._filter_timer.isActive() and self._search is None:
            return
        self._stop_search()
        self._needle = needle
        if needle:
            self._filter_timer.start()  # a pause in typing, then the search
        else:
            self._apply_filters()

    def wait_for_filter_now(self) -> None:
        """Run a pending text filter to the end straight away (tests, scripts)."""
        if self._filter_timer.isActive():
            self._filter_timer.stop()
            self._start_text_search()
        while self._search is not None:
            self._search_a_slice(budget=float("inf"))

    def _passes(self, rows: np.ndarray) -> np.ndarray:
        keep = np.ones(len(rows), dtype=bool)
        if self._label_filter:
            keep &= self._codes[rows] == CODE[self._label_filter]
        if self._needle:
            matched = np.zeros(len(rows), dtype=bool)
            known = rows < len(self._matches)
            matched[known] = self._matches[rows[known]]
            keep &= matched
        return keep

    def _apply_filters(self) -> None:
        order = self._order if self._order is not None else np.arange(len(self._rows))
        self.beginResetModel()
        self._shown = order[self._passes(order)] if self.filtered else order
        self.endResetModel()
        self.filter_applied.emit(len(self._shown), len(self._rows))

    def _index_rows(self, upto: int) -> None:
        """Add rows up to `upto` to the text index (and to the matches of the current needle)."""
        while self._index.rows < upto:
            first = self._index.rows
            block = self._rows[first: min(upto, first + BLOCK_ROWS)]
            self._index.add([searchable(r.source, r.text, r.error) for r in block])
            if self._needle:
                self._add_matches(self._index.blocks - 1)

    def _add_matches(self, block: int) -> None:
        rows = self._index.search_block(block, self._needle)
        if len(self._matches) < self._index.rows:
            self._matches = np.concatenate((self._matches, np.zeros(self._index.rows - len(self._matches), bool)))
        self._matches[rows] = True

    def _search_steps(self):
        """Index what is not indexed yet, then search block by block; one step per block."""
        self._matches = np.zeros(0, dtype=bool)
        block = 0
        while block < self._index.blocks or self._index.rows < len(self._rows):
            if block < self._index.blocks:
                self._add_matches(block)
                block += 1
            else:
                first = self._index.rows
                chunk = self._rows[first: first + BLOCK_ROWS]
                self._index.add([searchable(r.source, r.text, r.error) for r in chunk])
            yield

    def _start_text_search(self) -> None:
        self._search = self._search_steps()
        self.filter_started.emit()
        self._search_a_slice()

    def _search_a_slice(self, budget: float = SLICE_SECONDS) -> None:
        if self._search is None:
            return
        deadline = time.perf_counter() + budget
        for _ in self._search:
            if time.perf_counter() >= deadline:
                self._slice_timer.start()  # the rest after the window has handled its events
                return
        self._search = None
        self._apply_filters()

    def _stop_search(self) -> None:
        self._filter_timer.stop()
        self._slice_timer.stop()
        if self._search is not None:
            self._search.close()
            self._search = None

    # -- QAbstractTableModel ------------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        result = self._rows[self._shown[index.row()]]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(result, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(result, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == LABEL:
            return self._colours.get(self.label(result))
        if role == Qt.ItemDataRole.FontRole and (
                (column in (LABEL, STATUS) and not result.ok) or (column in (LABEL, MODEL) and self.is_stale(result))):
            return self._italic
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (LINE, CONFIDENCE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == RESULT_ROLE:
            return result
        return None

    def _tooltip(self, result: ReviewResult, column: int):
        if self.is_stale(result) and column in (LABEL, CONFIDENCE, MODEL):
            return (f"From the model {result.model}, not the one in use ({self._made_by[0]}): "
                    "re-run the batch to update")
        if column == MODEL and result.word_index_sha256:
            return f"{result.model}\nword index sha256 {result.word_index_sha256}"
        if column == STATUS or (column == SNIPPET and not result.ok):
            return result.error or result.warning or None
        if column == SOURCE:
            return result.source
        return None

    def _display(self, result: ReviewResult, column: int):
        if column == SOURCE:
            return result.source
        if column == LINE:
            return "" if result.line is None else f"{result.line:,}"
        if column == SNIPPET:
            return snippet(result.text) if result.ok else ""
        if column == LABEL:
            return self.label(result)
        if column == CONFIDENCE:
            return "" if result.probability is None else f"{confidence(result.probability):.1%}"
        if column == MODEL:
            return result.model
        if result.error:
            # The source has its own column: say only what is wrong with it.
            return result.error.removeprefix(result.source).lstrip(", ") or result.error
        return f"ok — {result.warning}" if result.warning else "ok"

    # -- sorting ------------------------------------------------------------------------------------

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        descending = order == Qt.SortOrder.DescendingOrder
        if column < 0:  # "unsorted": keep the order the results came in
            self._order, self._sorted_by = None, None
        else:
            self._order = self._sorted_order(column, descending)
            self._sorted_by = (column, order)
        self._apply_filters()

    def resort(self) -> None:
        """Apply the last sort again (after a run appended rows at the end)."""
        if self._sorted_by is not None:
            self.sort(*self._sorted_by)

    def _sorted_order(self, column: int, descending: bool) -> np.ndarray:
        if column in (LABEL, CONFIDENCE):  # whole columns at once
            key = self._codes if column == LABEL else np.where(
                np.isnan(self._probabilities), -1.0, np.maximum(self._probabilities, 1 - self._probabilities))
            return np.argsort(-key if descending else key, kind="stable")
        key = self._sort_key(column)
        rows = self._rows
        return np.array(sorted(range(len(rows)), key=lambda i: key(rows[i]), reverse=descending), dtype=np.int64)

    @staticmethod
    def _sort_key(column: int):
        if column == SNIPPET:
            return lambda r: r.text[:200].casefold()
        if column == STATUS:
            return lambda r: (bool(r.error), r.error, r.warning)
        if column == MODEL:
            return lambda r: (r.model, r.word_index_sha256)
        return lambda r: (r.source, r.line or 0)
