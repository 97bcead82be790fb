"""The batch tab: pick or drop files and folders, classify them off the UI thread with the
`classify` command's worker processes, browse, filter, chart and export the results, and open any
review in the single-review view.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from PySide6.QtCore import QThreadPool, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from review_sentiment._batch import InputMode, csv_columns, jsonl_fields, parse_extensions
from review_sentiment._export import ResultWriter, format_for_path
from review_sentiment._shown import shown
from review_sentiment._reading import ReadError
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND, MAX_UNCERTAIN_BAND, NEGATIVE, POSITIVE, UNCERTAIN, confidence
from desktop.ui import theme
from desktop.ui.batch_model import (
    CONFIDENCE, FAILED, LABEL, LINE, MODEL, SNIPPET, SOURCE, STATUS, BatchResultsModel,
)
from desktop.ui.batch_worker import BatchJob, BatchProgress, BatchRequest
from desktop.ui.summary_chart import SummaryChart
from desktop.ui.workers import Worker, WorkerPool

MODES = (  # (what the chooser says, mode)
    ("One per file", InputMode.FILE),
    ("One per line", InputMode.LINE),
    ("CSV column", InputMode.CSV),
    ("JSON-lines field", InputMode.JSONL),
)
LABEL_FILTERS = (("All results", ""), ("Positive", POSITIVE), ("Negative", NEGATIVE),
                 ("Uncertain", UNCERTAIN), ("Failed only", FAILED))
CHART_HEIGHT = 120
TSV_COLUMNS = ("source", "line", "label", "confidence", "probability", "status", "model", "text")


# Dialogs and the file manager are module functions so tests can put fakes in their place.
def choose_files(parent: QWidget, start: str) -> list[str]:
    paths, _ = QFileDialog.getOpenFileNames(parent, "Add files", start,
                                            "Reviews (*.txt *.csv *.jsonl *.ndjson);;All files (*)")
    return paths


def choose_folder(parent: QWidget, start: str) -> str:
    return QFileDialog.getExistingDirectory(parent, "Add folder", start)


def choose_export_file(parent: QWidget, start: str) -> str:
    path, chosen = QFileDialog.getSaveFileName(
        parent, "Export results", str(Path(start) / "results.csv"), "CSV (*.csv);;JSON lines (*.jsonl)",
        options=QFileDialog.Option.DontConfirmOverwrite)  # we ask ourselves, below
    if path and not Path(path).suffix:
        path += ".jsonl" if "jsonl" in chosen else ".csv"
    return path


def choose_chart_file(parent: QWidget, start: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, "Save chart", str(Path(start) / "summary.png"), "PNG image (*.png)")
    if path and not Path(path).suffix:
        path += ".png"
    return path


def confirm_overwrite(parent: QWidget, path: str) -> bool:
    answer = QMessageBox.question(parent, "Replace file?", f"{path} already exists. Replace it?",
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def open_folder(folder: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def show_problem(parent: QWidget, title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


def show_saved(parent: QWidget, text: str, path: Path) -> QMessageBox:
    """'Saved …', with a button that opens the folder; does not block the window."""
    box = QMessageBox(QMessageBox.Icon.Information, "Saved", text, QMessageBox.StandardButton.Close, parent)
    box.setInformativeText(str(path.parent))
    opener = box.addButton("&Open folder", QMessageBox.ButtonRole.ActionRole)
    opener.clicked.connect(lambda: open_folder(path.parent))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def write_export(path: str, results: list, band: float) -> int:
    """Write results with their text, labelled under `band` as the table shows them; the count written."""
    labelled = [r if not r.ok or r.label == r.label_with(band) else dataclasses.replace(r, label=r.label_with(band))
                for r in results]
    with ResultWriter(path, format_for_path(path), overwrite=True, with_text=True) as writer:
        writer.write(labelled)
    return len(labelled)


class MiddleElideDelegate(QStyledItemDelegate):
    """Cuts long paths in the middle, so the file name at the end stays visible."""

    def initStyleOption(self, option, index) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class ResultsTable(QTableView):
    """The results: Enter or a double-click opens a row (`activated`), Ctrl+C copies rows."""

    def keyPressEvent(self, event) -> None:
        # Tab leaves the table instead of walking its 100,000 x 7 cells.
        if event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            event.ignore()
            return
        super().keyPressEvent(event)


class BatchView(QWidget):
    """Classify many reviews at once. Emits `review_opened(text)` for an opened row."""

    review_opened = Signal(str)
    band_chosen = Signal(float)  # the uncertain band was changed here (the window passes it on)
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
        self._export_pool = WorkerPool(max_threads=1, parent=self)
        self.start_folder = str(Path.home())  # where file dialogs open: home, then the last folder used
        self.model = BatchResultsModel(self)
        self.setAcceptDrops(True)
        self._build()
        self.model.counts_changed.connect(self._show_counts)
        self.model.filter_applied.connect(self._show_filter_count)
        self.model.filter_started.connect(lambda: self.shown_label.setText("Filtering…"))
        self._show_counts(self.model.counts)
        self._show_filter_count(0, 0)
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
        if bundle is not None:
            self.model.set_model_in_use(bundle.name, bundle.word_index.sha256)
        self._show_stale()
        self._update_buttons()

    def set_band(self, band: float) -> None:
        self._band = band
        self.model.set_band(band)
        self.band_box.blockSignals(True)
        self.band_box.setValue(round(band * 50))
        self.band_box.blockSignals(False)
        self._update_chart()

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
        self._show_stale()
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

    def export(self, which: str = "all") -> None:
        """Write the results ("all", "shown" or "selected" rows) to a file the user picks, with text."""
        results = self._results_to_export(which)
        if not results:
            return
        path = choose_export_file(self, self.start_folder)
        if not path:
            return
        self._remember_folder(Path(path).parent)
        if Path(path).exists() and not confirm_overwrite(self, path):
            return
        # Written on a worker thread: 100,000 reviews with their text take a second or two.
        worker = Worker(write_export, path, results, self._band)
        worker.signals.finished.connect(lambda count, seconds: self._exported(path, count))
        worker.signals.failed.connect(lambda error: self._export_failed(path, error))
        self.export_button.setEnabled(False)
        self.progress_label.setText(f"Exporting {len(results):,} results…")
        self._export_pool.start(worker)

    def _exported(self, path: str, count: int) -> None:
        self.progress_label.setText(f"Exported {count:,} results to {Path(path).name}")
        self._update_export_actions()
        self.saved_box = show_saved(self, f"Exported {count:,} results to {Path(path).name}.", Path(path))
        self.exported.emit(path)

    def _export_failed(self, path: str, error: Exception) -> None:
        self._update_export_actions()
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        self.progress_label.setText(f"Export failed: {reason}")
        show_problem(self, "Export failed", f"Could not write {shown(path)}: {reason}. "
                     "Nothing was changed; choose another place.")

    def save_chart(self) -> None:
        path = choose_chart_file(self, self.start_folder)
        if not path:
            return
        self._remember_folder(Path(path).parent)
        if not self.chart.save_png(path):
            show_problem(self, "Chart not saved", f"Could not write {path}; choose another place.")
            return
        self.saved_box = show_saved(self, f"Saved the chart as {Path(path).name}.", Path(path))

    def copy_selected_rows(self) -> None:
        """Selected rows to the clipboard as tab-separated text, a header first (pastes into a spreadsheet)."""
        results = self._results_to_export("selected")
        if not results:
            return
        lines = ["\t".join(TSV_COLUMNS)]
        for r in results:
            p = r.probability
            cells = (r.source, "" if r.line is None else str(r.line), self.model.label(r),
                     "" if p is None else f"{confidence(p):.4f}", "" if p is None else repr(p),
                     r.error or r.warning or "ok", r.model, r.text)
            lines.append("\t".join(" ".join(str(c).split()) for c in cells))
        QGuiApplication.clipboard().setText("\n".join(lines) + "\n")

    def open_current_row(self) -> None:
        self._open_row(self.table.currentIndex())

    # -- building -----------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(self._build_inputs())
        layout.addLayout(self._build_options())
        layout.addLayout(self._build_progress())
        layout.addWidget(self._build_stale_banner())
        layout.addLayout(self._build_filters())
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("batchSplitter")
        self.splitter.addWidget(self._build_table())
        self.chart = SummaryChart()
        self.splitter.addWidget(self.chart)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setCollapsible(0, False)
        self.splitter.setSizes([400, CHART_HEIGHT])
        layout.addWidget(self.splitter, stretch=1)
        layout.addLayout(self._build_footer())
        self._build_shortcuts()
        self._set_tab_order()

    def _button(self, text: str, slot, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def _build_inputs(self) -> QHBoxLayout:
        self.input_list = QListWidget()
        self.input_list.setMaximumHeight(78)
        self.input_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.input_list.setToolTip("Files and folders to classify. Drop more here.")
        self.input_list.setAccessibleName("Inputs")
        buttons = QVBoxLayout()
        self.add_files_button = self._button("&Add files…", self._add_files, "Add text, CSV or JSON-lines files")
        self.add_folder_button = self._button("Add f&older…", self._add_folder,
                                              "Add a folder; its files with the extensions below are read, subfolders too")
        self.remove_button = self._button("Re&move", self._remove_selected, "Remove the selected inputs (Delete)")
        for button in (self.add_files_button, self.add_folder_button, self.remove_button):
            buttons.addWidget(button)
        buttons.setSpacing(2)
        buttons.addStretch()
        row = QHBoxLayout()
        row.addWidget(self.input_list, stretch=1)
        row.addLayout(buttons)
        return row

    def _build_options(self) -> QGridLayout:
        self.mode_box = QComboBox()
        self.mode_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode_box.setMinimumContentsLength(14)
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
        # Wide enough for either wording, so switching modes never moves its neighbours.
        metrics = self.field_label.fontMetrics()
        self.field_label.setMinimumWidth(max(metrics.horizontalAdvance(t) for t in ("Text column:", "Text field:")) + 4)
        self.extensions_edit = QLineEdit(".txt")
        self.extensions_edit.setMaximumWidth(140)
        self.extensions_edit.setToolTip("Extensions of the files read inside folders, comma separated; * for all")
        self.band_box = QSpinBox()
        self.band_box.setRange(0, round(MAX_UNCERTAIN_BAND * 50))
        self.band_box.setSingleStep(5)
        self.band_box.setPrefix("50 ± ")
        self.band_box.setSuffix(" %")
        self.band_box.setValue(round(DEFAULT_UNCERTAIN_BAND * 50))
        self.band_box.setToolTip("Verdicts this close to 50% are called uncertain (the Review tab's band)")
        self.band_box.valueChanged.connect(lambda value: self.band_chosen.emit(value / 50))
        self.band_box.valueChanged.connect(lambda value: self.set_band(value / 50))
        self.start_button = self._button("&Classify", self.start, "Classify every input (Ctrl+Enter)")
        self.start_button.setDefault(True)
        self.cancel_button = self._button("Cancel", self.cancel, "Stop after the current batch; results so far stay (Esc)")
        grid = QGridLayout()
        grid.setVerticalSpacing(3)
        rows = (("Rea&d as:", self.mode_box, "&Extensions:", self.extensions_edit),
                (self.field_label, self.field_box, "&Uncertain band:", self.band_box))
        for row, (label, widget, label2, widget2) in enumerate(rows):
            for column, (text, buddy) in enumerate(((label, widget), (label2, widget2))):
                name = text if isinstance(text, QLabel) else QLabel(text)
                name.setBuddy(buddy)
                name.setToolTip(buddy.toolTip())
                grid.addWidget(name, row, column * 2)
                grid.addWidget(buddy, row, column * 2 + 1)
        grid.setColumnStretch(4, 1)
        grid.addWidget(self.start_button, 0, 5)
        grid.addWidget(self.cancel_button, 1, 5)
        return grid

    def _build_progress(self) -> QHBoxLayout:
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(self.fontMetrics().height())
        self.progress_label = QLabel("Add files or folders, or drop them here.")
        self.progress_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.addWidget(self.progress_bar, stretch=1)
        row.addWidget(self.progress_label, stretch=2)
        return row

    def _build_stale_banner(self) -> QFrame:
        self.stale_banner = QFrame()
        self.stale_banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.stale_label = QLabel()
        self.stale_label.setWordWrap(True)
        self.rerun_button = self._button("Classify a&gain", self.start, "Classify every input again with the model in use")
        row = QHBoxLayout(self.stale_banner)
        row.setContentsMargins(6, 3, 6, 3)
        row.addWidget(self.stale_label, stretch=1)
        row.addWidget(self.rerun_button)
        self.stale_banner.hide()
        return self.stale_banner

    def _build_filters(self) -> QHBoxLayout:
        self.label_filter = QComboBox()
        for text, label in LABEL_FILTERS:
            self.label_filter.addItem(text, label)
        self.label_filter.currentIndexChanged.connect(
            lambda _: self.model.set_label_filter(self.label_filter.currentData()))
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("text, file or error…")
        self.text_filter.setClearButtonEnabled(True)
        self.text_filter.textChanged.connect(self.model.set_text_filter)
        show_label, filter_label = QLabel("&Show:"), QLabel("F&ilter:")
        show_label.setBuddy(self.label_filter)
        filter_label.setBuddy(self.text_filter)
        self.shown_label = QLabel()
        self.shown_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("Showing 000,000 of 000,000") + 8)
        self.shown_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row = QHBoxLayout()
        row.addWidget(show_label)
        row.addWidget(self.label_filter)
        row.addWidget(filter_label)
        row.addWidget(self.text_filter, stretch=1)
        row.addWidget(self.shown_label)
        return row

    def _build_table(self) -> QTableView:
        self.table = ResultsTable()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Results")
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
        for column, width in ((SOURCE, 180), (LINE, 56), (SNIPPET, 300), (LABEL, 76), (CONFIDENCE, 84),
                              (STATUS, 120)):
            self.table.setColumnWidth(column, width)
        self.table.setItemDelegateForColumn(SOURCE, MiddleElideDelegate(self.table))
        self.table.activated.connect(self._open_row)  # Enter, or a double-click
        self.table.setToolTip("Enter or double-click opens a row's review with its highlights; "
                              "right-click for more")
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        self._colour_labels()
        return self.table

    def _build_footer(self) -> QHBoxLayout:
        self.export_button = QPushButton("E&xport…")
        self.export_button.setToolTip("Save results with their text and model as CSV or JSON lines")
        export_menu = QMenu(self.export_button)
        self.export_all_action = export_menu.addAction("&All results…", lambda: self.export("all"))
        self.export_shown_action = export_menu.addAction("&Shown rows only…", lambda: self.export("shown"))
        self.export_selected_action = export_menu.addAction("S&elected rows…", lambda: self.export("selected"))
        self.export_button.setMenu(export_menu)
        self.chart_button = self._button("Save chart as &PNG…", self.save_chart, "Save the summary chart as an image")
        row = QHBoxLayout()
        row.addStretch(1)  # the counts are in the chart above
        row.addWidget(self.chart_button)
        row.addWidget(self.export_button)
        return row

    def _build_shortcuts(self) -> None:
        # Separate shortcuts: a button's own shortcut would replace its mnemonic (Alt+C).
        run = QShortcut(QKeySequence("Ctrl+Return"), self, self.start)
        run.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.start).setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        stop = QShortcut(QKeySequence("Escape"), self, self.cancel)
        stop.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        remove = QShortcut(QKeySequence.StandardKey.Delete, self.input_list, self._remove_selected)
        remove.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.open_action = self._table_action("&Open review", "Return", self.open_current_row)
        self.copy_action = self._table_action("&Copy rows", QKeySequence.StandardKey.Copy, self.copy_selected_rows)
        self.select_all_action = self._table_action("Select &all", QKeySequence.StandardKey.SelectAll,
                                                    self.table.selectAll)

    def _table_action(self, text: str, keys, slot) -> QAction:
        action = QAction(text, self.table)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        self.table.addAction(action)
        return action

    def _set_tab_order(self) -> None:
        chain = (self.input_list, self.add_files_button, self.add_folder_button, self.remove_button,
                 self.mode_box, self.field_box, self.extensions_edit, self.band_box, self.start_button,
                 self.cancel_button, self.rerun_button, self.label_filter, self.text_filter, self.table,
                 self.chart_button, self.export_button)
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def _colour_labels(self) -> None:
        colours = {label: theme.label_colour(self.table, label) for label in (POSITIVE, NEGATIVE, UNCERTAIN, FAILED)}
        self.model.set_colours(colours)

    def reset_layout(self) -> None:
        self.splitter.setSizes([max(200, self.splitter.height() - CHART_HEIGHT), CHART_HEIGHT])

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if not hasattr(self, "table"):
            return
        if event.type() == event.Type.PaletteChange:
            QTimer.singleShot(0, self._colour_labels)  # once the table has the new palette too
            self.chart.update()
        elif event.type() == event.Type.FontChange:  # zoomed: rows as tall as the new text
            self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)

    # -- inputs -------------------------------------------------------------------------------------

    def _remember_folder(self, folder: Path) -> None:
        self.start_folder = str(folder)

    def _add_files(self) -> None:
        paths = choose_files(self, self.start_folder)
        if paths:
            self._remember_folder(Path(paths[0]).parent)
            self.add_paths(paths)

    def _add_folder(self) -> None:
        folder = choose_folder(self, self.start_folder)
        if folder:
            self._remember_folder(Path(folder).parent)
            self.add_paths([folder])

    def _remove_selected(self) -> None:
        for item in self.input_list.selectedItems():
            self.input_list.takeItem(self.input_list.row(item))
        self._update_buttons()

    def _offer_fields(self) -> None:
        """In CSV/JSONL mode, offer the columns or fields of the first such input file."""
        mode = self.mode_box.currentData()
        self.field_box.setEnabled(mode.needs_field and not self.running)
        self.field_label.setEnabled(mode.needs_field)
        self.field_label.setText("&Text field:" if mode is InputMode.JSONL else "&Text column:")
        if not mode.needs_field:
            return
        wanted = (".csv", ".tsv") if mode is InputMode.CSV else (".jsonl", ".ndjson", ".json")
        first = next((p for p in self.inputs if os.path.isfile(p) and p.lower().endswith(wanted)), None)
        if first is None:
            return
        try:
            names = csv_columns(first) if mode is InputMode.CSV else jsonl_fields(first)
        except (OSError, ReadError, ValueError, RecursionError):
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
        self.progress_label.setToolTip(self.progress_label.text())
        job = self._job
        if job is not None:
            QTimer.singleShot(0, job.results_shown)  # after the repaint this append asked for

    def _end_job(self) -> None:
        """Forget the running job, but keep a reference until its thread has surely returned."""
        self._last_job, self._job = self._job, None

    def _finished(self, progress: BatchProgress) -> None:
        self._end_job()
        self.progress_bar.setValue(1000)
        self.progress_label.setText(f"Done: {_done_text(progress, self.model.counts)}")
        self.progress_label.setToolTip(self.progress_label.text())
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
        if not index.isValid():
            return
        result = self.model.result_at(index.row())
        if result.ok:
            self.review_opened.emit(result.text)

    def _results_to_export(self, which: str) -> list:
        if which == "shown":
            return self.model.shown_results()
        if which == "selected":
            rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
            return [self.model.result_at(row) for row in rows]
        return list(self.model.results)

    def _show_context_menu(self, position) -> None:
        menu = QMenu(self.table)
        selected = bool(self.table.selectionModel().selectedRows())
        for action in (self.open_action, self.copy_action, self.select_all_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.export_selected_action)
        menu.addAction(self.export_shown_action)
        self.open_action.setEnabled(self.table.currentIndex().isValid())
        self.copy_action.setEnabled(selected)
        self.export_selected_action.setEnabled(selected and not self.running)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.context_menu = menu
        menu.popup(self.table.viewport().mapToGlobal(position))

    def _show_counts(self, counts: dict) -> None:
        self._update_chart()
        self._update_export_actions()

    def _show_filter_count(self, shown: int, total: int) -> None:
        if not total:
            self.shown_label.setText("No results yet")
        elif shown == total and not self.model.filtered:
            self.shown_label.setText(f"Showing all {total:,}")
        else:
            self.shown_label.setText(f"Showing {shown:,} of {total:,}")
        self._update_export_actions()

    def _update_chart(self) -> None:
        self.chart.update_from(self.model.counts, self.model.probabilities, self._band)

    def _show_stale(self) -> None:
        stale = self.model.stale_count()
        if not stale or self._bundle is None:
            self.stale_banner.hide()
            return
        made_by = ", ".join(self.model.models_of_rows()) or "another model"
        self.stale_label.setText(f"These {stale:,} results are from {made_by}, not from {self._bundle.name} "
                                 "now in use: their labels may differ from the Review tab's.")
        self.rerun_button.setText(f"Classify a&gain with {self._bundle.name}")
        self.stale_banner.show()

    def _update_export_actions(self) -> None:
        idle = not self.running
        self.export_button.setEnabled(idle and bool(self.model.results))
        self.export_shown_action.setEnabled(idle and self.model.rowCount() > 0)
        self.chart_button.setEnabled(bool(self.model.results))

    def _update_buttons(self) -> None:
        running = self.running
        self.start_button.setEnabled(not running and self._bundle is not None and bool(self.inputs))
        self.start_button.setToolTip("Classify every input (Ctrl+Enter)" if self._bundle is not None
                                     else "Waiting for a model to load")
        self.rerun_button.setEnabled(self.start_button.isEnabled())
        self.cancel_button.setEnabled(running)
        for widget in (self.add_files_button, self.add_folder_button, self.remove_button, self.mode_box,
                       self.field_box, self.extensions_edit):
            widget.setEnabled(not running)
        if not running:
            self.field_box.setEnabled(self.mode_box.currentData().needs_field)
        self._update_export_actions()

    def closeEvent(self, event) -> None:
        """Cancel a run and wait for its thread: nothing may outlive the window."""
        self.cancel()
        self._pool.waitForDone()
        self._export_pool.wait()
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


def _progress_text(progress: BatchProgress) -> str:
    if progress.counts_files:
        done = f"{progress.work_done:,} / {progress.work_total:,} files"
    else:
        done = f"{progress.fraction:.0%} of {_size(progress.work_total)}"
    text = f"{progress.reviews:,} reviews · {done} · {progress.rate:,.0f} reviews/s"
    left = progress.seconds_left
    return text + (f" · about {_duration(left)} left" if left is not None else "")


def _done_text(progress: BatchProgress, counts: dict) -> str:
    """'1,203 classified, 3 failed · 12 files · 4,100 reviews/s · 0:03': failures said, not hidden."""
    failed = counts.get(FAILED, 0)
    classified = sum(counts.values()) - failed
    files = f" · {progress.work_total:,} files" if progress.counts_files else f" · {_size(progress.work_total)}"
    rate = classified / progress.seconds if progress.seconds > 0 else 0.0
    return (f"{classified:,} classified, {failed:,} failed{files} · {rate:,.0f} reviews/s · "
            f"{_duration(progress.seconds)}")
