"""The batch tab: pick or drop files and folders, classify them off the UI thread, browse, filter
and export the results, and open any review in the single-review view.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QThreadPool, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from review_sentiment._batch import InputMode, csv_columns, jsonl_fields, parse_extensions
from review_sentiment._export import ResultWriter, format_for_path
from review_sentiment._reading import ReadError
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND, NEGATIVE, POSITIVE, UNCERTAIN
from desktop.ui import theme
from desktop.ui.batch_model import CONFIDENCE, FAILED, LABEL, LINE, SNIPPET, SOURCE, BatchFilterProxy, BatchResultsModel
from desktop.ui.batch_worker import BatchJob, BatchProgress, BatchRequest

MODES = (  # (what the chooser says, mode)
    ("One per file", InputMode.FILE),
    ("One per line", InputMode.LINE),
    ("CSV column", InputMode.CSV),
    ("JSON-lines field", InputMode.JSONL),
)
LABEL_FILTERS = (("All results", ""), ("Positive", POSITIVE), ("Negative", NEGATIVE),
                 ("Uncertain", UNCERTAIN), ("Failed only", FAILED))


# Dialogs are module functions so tests can put fakes in their place.
def choose_files(parent: QWidget) -> list[str]:
    paths, _ = QFileDialog.getOpenFileNames(parent, "Add files", "",
                                            "Reviews (*.txt *.csv *.jsonl *.ndjson);;All files (*)")
    return paths


def choose_folder(parent: QWidget) -> str:
    return QFileDialog.getExistingDirectory(parent, "Add folder")


def choose_export_file(parent: QWidget) -> str:
    path, chosen = QFileDialog.getSaveFileName(
        parent, "Export results", "results.csv", "CSV (*.csv);;JSON lines (*.jsonl)",
        options=QFileDialog.Option.DontConfirmOverwrite)  # we ask ourselves, below
    if path and not Path(path).suffix:
        path += ".jsonl" if "jsonl" in chosen else ".csv"
    return path


def confirm_overwrite(parent: QWidget, path: str) -> bool:
    answer = QMessageBox.question(parent, "Replace file?", f"{path} already exists. Replace it?",
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def show_problem(parent: QWidget, title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


class MiddleElideDelegate(QStyledItemDelegate):
    """Cuts long paths in the middle, so the file name at the end stays visible."""

    def initStyleOption(self, option, index) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class BatchView(QWidget):
    """Classify many reviews at once. Emits `review_opened(text)` on a double-clicked row."""

    review_opened = Signal(str)
    run_started = Signal()
    run_finished = Signal(object)  # BatchProgress
    run_cancelled = Signal(object)  # BatchProgress
    exported = Signal(str)  # the file written

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bundle = None
        self._band = DEFAULT_UNCERTAIN_BAND
        self._job: BatchJob | None = None
        self._last_job: BatchJob | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self.model = BatchResultsModel(self)
        self.proxy = BatchFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.setAcceptDrops(True)
        self._build()
        self.model.counts_changed.connect(self._show_counts)
        self._show_counts(self.model.counts)
        self._update_buttons()

    # -- public -------------------------------------------------------------------------------------

    @property
    def inputs(self) -> list[str]:
        return [self.input_list.item(i).text() for i in range(self.input_list.count())]

    @property
    def running(self) -> bool:
        return self._job is not None

    def set_bundle(self, bundle) -> None:
        self._bundle = bundle
        self._update_buttons()

    def set_band(self, band: float) -> None:
        self._band = band
        self.model.set_band(band)

    def add_paths(self, paths) -> None:
        known = set(self.inputs)
        for path in paths:
            path = str(path)
            if path and path not in known:
                self.input_list.addItem(path)
                known.add(path)
        self._offer_fields()
        self._update_buttons()

    def set_mode(self, mode: InputMode, field: str = "") -> None:
        self.mode_box.setCurrentIndex([m for _, m in MODES].index(mode))
        if field:
            self.field_box.setCurrentText(field)

    def start(self) -> None:
        """Classify every input with the chosen mode; results fill the table as they come."""
        if self.running or self._bundle is None or not self.inputs:
            return
        mode = self.mode_box.currentData()
        field = self.field_box.currentText().strip()
        if mode.needs_field and not field:
            what = "column" if mode is InputMode.CSV else "field"
            show_problem(self, "Choose the text " + what, f"Type or pick the {what} that holds the review text.")
            return
        self._pool.waitForDone()  # the last job's thread has returned: its object may go
        self._last_job = None
        self.model.clear()
        request = BatchRequest(tuple(self.inputs), mode, field, parse_extensions(self.extensions_edit.text()),
                               self._band)
        self._job = BatchJob(self._bundle, request)
        self._job.signals.progressed.connect(self._progressed)
        self._job.signals.finished.connect(self._finished)
        self._job.signals.cancelled.connect(self._cancelled)
        self._job.signals.failed.connect(self._failed)
        self.progress_bar.setValue(0)
        self.progress_label.setText("Finding files…")
        self._update_buttons()
        self._pool.start(self._job)
        self.run_started.emit()

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.progress_label.setText("Cancelling…")

    def export(self) -> None:
        path = choose_export_file(self)
        if not path:
            return
        if Path(path).exists() and not confirm_overwrite(self, path):
            return
        try:
            with ResultWriter(path, format_for_path(path), overwrite=True) as writer:
                writer.write(self.model.results)
        except OSError as error:
            show_problem(self, "Export failed", f"Could not write {path}: {error.strerror or error}. "
                         "Nothing was changed; choose another place.")
            return
        self.exported.emit(path)

    # -- building -----------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_inputs())
        layout.addLayout(self._build_options())
        layout.addLayout(self._build_progress())
        layout.addLayout(self._build_filters())
        layout.addWidget(self._build_table(), stretch=1)
        layout.addLayout(self._build_footer())

    def _button(self, text: str, slot, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def _build_inputs(self) -> QHBoxLayout:
        self.input_list = QListWidget()
        self.input_list.setMaximumHeight(90)
        self.input_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.input_list.setToolTip("Files and folders to classify. Drop more here.")
        buttons = QVBoxLayout()
        self.add_files_button = self._button("Add &files…", lambda: self.add_paths(choose_files(self)),
                                             "Add text, CSV or JSON-lines files")
        self.add_folder_button = self._button("Add f&older…", self._add_folder,
                                              "Add a folder; its files with the extensions below are read, subfolders too")
        self.remove_button = self._button("&Remove", self._remove_selected, "Remove the selected inputs")
        for button in (self.add_files_button, self.add_folder_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch()
        row = QHBoxLayout()
        row.addWidget(self.input_list, stretch=1)
        row.addLayout(buttons)
        return row

    def _build_options(self) -> QGridLayout:
        self.mode_box = QComboBox()
        self.mode_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode_box.setMinimumContentsLength(16)
        for text, mode in MODES:
            self.mode_box.addItem(text, mode)
        self.mode_box.currentIndexChanged.connect(lambda _: self._offer_fields())
        self.field_box = QComboBox()
        self.field_box.setEditable(True)
        self.field_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.field_box.setMinimumContentsLength(10)
        self.field_box.lineEdit().setPlaceholderText("column / field")
        self.field_label = QLabel("&Text column:")
        self.field_label.setBuddy(self.field_box)
        self.extensions_edit = QLineEdit(".txt")
        self.extensions_edit.setMaximumWidth(140)
        self.extensions_edit.setToolTip("Extensions of the files read inside folders, comma separated; * for all")
        mode_label = QLabel("&Mode:")
        mode_label.setBuddy(self.mode_box)
        ext_label = QLabel("&Extensions:")
        ext_label.setToolTip(self.extensions_edit.toolTip())
        ext_label.setBuddy(self.extensions_edit)
        self.start_button = self._button("&Classify", self.start, "Classify every input (Ctrl+Enter)")
        self.start_button.setShortcut("Ctrl+Return")
        self.start_button.setDefault(True)
        self.cancel_button = self._button("Cancel", self.cancel, "Stop after the current batch; results so far stay")
        self.cancel_button.setShortcut("Escape")
        grid = QGridLayout()
        for row, (label, widget) in enumerate(((mode_label, self.mode_box), (self.field_label, self.field_box),
                                               (ext_label, self.extensions_edit))):
            grid.addWidget(label, row, 0)
            grid.addWidget(widget, row, 1)
        grid.setColumnStretch(2, 1)
        grid.addWidget(self.start_button, 0, 3)
        grid.addWidget(self.cancel_button, 1, 3)
        return grid

    def _build_progress(self) -> QHBoxLayout:
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_label = QLabel("Add files or folders, or drop them here.")
        self.progress_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.addWidget(self.progress_bar, stretch=1)
        row.addWidget(self.progress_label, stretch=2)
        return row

    def _build_filters(self) -> QHBoxLayout:
        self.label_filter = QComboBox()
        for text, label in LABEL_FILTERS:
            self.label_filter.addItem(text, label)
        self.label_filter.currentIndexChanged.connect(
            lambda _: self.proxy.set_label_filter(self.label_filter.currentData()))
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("Filter by text, file or error…")
        self.text_filter.setClearButtonEnabled(True)
        self.text_filter.textChanged.connect(self.proxy.set_text_filter)
        row = QHBoxLayout()
        row.addWidget(self.label_filter)
        row.addWidget(self.text_filter, stretch=1)
        return row

    def _build_table(self) -> QTableView:
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        # Fixed row heights and column widths: the view never measures 100,000 rows.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((SOURCE, 220), (LINE, 60), (SNIPPET, 340), (LABEL, 80), (CONFIDENCE, 90)):
            self.table.setColumnWidth(column, width)
        self.table.setItemDelegateForColumn(SOURCE, MiddleElideDelegate(self.table))
        self.table.doubleClicked.connect(self._open_row)
        self.table.setToolTip("Double-click a row to open the review with its highlights")
        self.model.set_colours({label: theme.label_colour(self, label) for label in (POSITIVE, NEGATIVE, UNCERTAIN)})
        return self.table

    def _build_footer(self) -> QHBoxLayout:
        self.export_button = self._button("&Export results…", self.export,
                                          "Save every result as CSV or JSON lines")
        self.counts_label = QLabel()
        self.counts_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.addWidget(self.counts_label, stretch=1)
        row.addWidget(self.export_button)
        return row

    # -- inputs -------------------------------------------------------------------------------------

    def _add_folder(self) -> None:
        folder = choose_folder(self)
        if folder:
            self.add_paths([folder])

    def _remove_selected(self) -> None:
        for item in self.input_list.selectedItems():
            self.input_list.takeItem(self.input_list.row(item))
        self._update_buttons()

    def _offer_fields(self) -> None:
        """In CSV/JSONL mode, offer the columns or fields of the first such input file."""
        mode = self.mode_box.currentData()
        self.field_box.setEnabled(mode.needs_field)
        self.field_label.setEnabled(mode.needs_field)
        self.field_label.setText("&Text column:" if mode is InputMode.CSV else "&Text field:")
        if not mode.needs_field:
            return
        wanted = (".csv", ".tsv") if mode is InputMode.CSV else (".jsonl", ".ndjson", ".json")
        first = next((p for p in self.inputs if os.path.isfile(p) and p.lower().endswith(wanted)), None)
        if first is None:
            return
        try:
            names = csv_columns(first) if mode is InputMode.CSV else jsonl_fields(first)
        except (OSError, ReadError):
            return  # the run will report the file with its reason
        typed = self.field_box.currentText()
        self.field_box.clear()
        self.field_box.addItems(names)
        guess = typed if typed in names else next((n for n in names if n.lower() in ("text", "review")), "")
        self.field_box.setCurrentText(guess or (names[0] if names else ""))

    def dragEnterEvent(self, event) -> None:
        if not self.running and event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            self.add_paths(paths)
            event.acceptProposedAction()

    # -- a run --------------------------------------------------------------------------------------

    def _progressed(self, results: list, progress: BatchProgress) -> None:
        self.model.append(results)
        self.progress_bar.setValue(int(progress.fraction * 1000))
        self.progress_label.setText(_progress_text(progress))
        job = self._job
        if job is not None:
            QTimer.singleShot(0, job.results_shown)  # after the repaint this append asked for

    def _end_job(self) -> None:
        """Forget the running job, but keep a reference until its thread has surely returned."""
        self._last_job, self._job = self._job, None

    def _finished(self, progress: BatchProgress) -> None:
        self._end_job()
        self.progress_bar.setValue(1000)
        self.progress_label.setText(f"Done: {_progress_text(progress, finished=True)}")
        self.model.resort()
        self._update_buttons()
        self.run_finished.emit(progress)

    def _cancelled(self, progress: BatchProgress) -> None:
        self._end_job()
        self.progress_label.setText(f"Cancelled; kept {progress.reviews:,} results")
        self.model.resort()
        self._update_buttons()
        self.run_cancelled.emit(progress)

    def _failed(self, message: str) -> None:
        self._end_job()
        self.progress_label.setText(message)
        self._update_buttons()
        show_problem(self, "Batch stopped", message + "\n\nThe results so far are kept.")

    def _open_row(self, index) -> None:
        result = self.proxy.result_at(index)
        if result is not None and result.ok:
            self.review_opened.emit(result.text)

    def _show_counts(self, counts: dict) -> None:
        self.counts_label.setText(
            f"{counts[POSITIVE]:,} positive · {counts[NEGATIVE]:,} negative · "
            f"{counts[UNCERTAIN]:,} uncertain · {counts[FAILED]:,} failed")
        self.export_button.setEnabled(not self.running and bool(self.model.results))

    def _update_buttons(self) -> None:
        running = self.running
        self.start_button.setEnabled(not running and self._bundle is not None and bool(self.inputs))
        self.start_button.setToolTip("Classify every input (Ctrl+Enter)" if self._bundle is not None
                                     else "Waiting for a model to load")
        self.cancel_button.setEnabled(running)
        for widget in (self.add_files_button, self.add_folder_button, self.remove_button, self.mode_box,
                       self.field_box, self.extensions_edit):
            widget.setEnabled(not running)
        if not running:
            self.field_box.setEnabled(self.mode_box.currentData().needs_field)
        self.export_button.setEnabled(not running and bool(self.model.results))

    def closeEvent(self, event) -> None:
        """Cancel a run and wait for its thread: nothing may outlive the window."""
        self.cancel()
        self._pool.waitForDone()
        super().closeEvent(event)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def _size(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:,.1f} {unit}"
    return f"{count} bytes"


def _progress_text(progress: BatchProgress, finished: bool = False) -> str:
    if progress.counts_files:
        done = f"{progress.work_done:,} / {progress.work_total:,} files"
    else:
        done = f"{progress.fraction:.0%} of {_size(progress.work_total)}"
    text = f"{progress.reviews:,} reviews · {done} · {progress.rate:,.0f} reviews/s"
    if finished:
        return text + f" · {_duration(progress.seconds)}"
    left = progress.seconds_left
    return text + (f" · about {_duration(left)} left" if left is not None else "")
