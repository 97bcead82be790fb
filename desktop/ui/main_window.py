"""The main window: menus, the tabs (single review first; batch and others add theirs), the model
panel and the status bar. Loads models off the UI thread and refuses bad ones with a dialog.
"""

from __future__ import annotations

import sys

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from review_sentiment._bundle import BundleError, default_models_dir, load_bundle
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND, MAX_UNCERTAIN_BAND
from desktop.ui import settings as keys
from desktop.ui.batch_view import BatchView
from desktop.ui.model_panel import ModelPanel
from desktop.ui.review_view import ReviewView, write_page
from desktop.ui.workers import Worker, WorkerPool

APP_TITLE = "Review Sentiment"
NO_MODEL_HELP = (
    "Reinstall the app, or open a bundle with File → Open model… (Ctrl+O)."
    if getattr(sys, "frozen", False) else
    "Retrain one with `uv run python -m trainer` (it writes a bundle into models/), "
    "or open a bundle with File → Open model… (Ctrl+O)."
)


def load_first(candidates: list[Path]):
    """The first candidate that loads, and the problems met on the way. Raises the last problem."""
    problems: list[BundleError] = []
    for path in candidates:
        try:
            return load_bundle(path), problems
        except BundleError as error:
            problems.append(error)
    raise problems[-1]


class MainWindow(QMainWindow):
    """The app's window. Other features add a tab with `add_tab` and open a review with `show_review`."""

    model_loaded = Signal(object)  # the ModelBundle now in use
    model_failed = Signal(object)  # the BundleError of a model that was refused
    band_changed = Signal(float)  # the uncertain band's new width (0 to MAX_UNCERTAIN_BAND)

    def __init__(self, settings: QSettings | None = None, *, model_path: Path | None = None,
                 models_dir: Path | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else keys.open_settings()
        self.models_dir = Path(models_dir) if models_dir else default_models_dir()
        self._bundle = None
        self._pool = WorkerPool(max_threads=2, parent=self)
        self.setWindowTitle(APP_TITLE)
        self._create_actions()
        self._create_menus()
        self._create_central_widget()
        self._create_model_dock()
        self._create_status_bar()
        self._restore_settings()
        self._load_first_model(model_path)

    # -- the public API -----------------------------------------------------------------------------

    @property
    def bundle(self):
        """The ModelBundle in use, or None while none is loaded."""
        return self._bundle

    @property
    def uncertain_band(self) -> float:
        return self.review_view.band

    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a feature's tab after the single-review tab; returns its index."""
        return self.tabs.addTab(widget, title)

    def show_review(self, text: str) -> None:
        """Switch to the single-review tab and classify `text` there, with its highlights."""
        self.tabs.setCurrentWidget(self.review_view)
        self.review_view.show_text(text)

    def open_model(self, path: Path | str) -> None:
        """Load a bundle off the UI thread; on failure a dialog says why and the current model stays."""
        self.statusBar().showMessage(f"Loading model {path}…")
        worker = Worker(load_bundle, Path(path))
        worker.signals.finished.connect(lambda bundle, seconds: self._model_ready(bundle, remember=True))
        worker.signals.failed.connect(self._model_refused)
        self._pool.start(worker)

    # -- building -----------------------------------------------------------------------------------

    def _action(self, text: str, shortcut, slot, tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _create_actions(self) -> None:
        self.open_model_action = self._action(
            "&Open model…", QKeySequence.StandardKey.Open, self._ask_for_model,
            "Load another model bundle (model.onnx), for example one just retrained")
        self.open_review_action = self._action(
            "Open review &text…", "Ctrl+Shift+O", self._ask_for_review, "Classify the text of a .txt file")
        self.quit_action = self._action("&Quit", "Ctrl+Q", self.close, "Close the window")
        self.save_explanation_action = self._action(
            "&Save explanation as HTML…", "Ctrl+Shift+S", self._ask_where_to_save_explanation,
            "One self-contained web page with the coloured review, the legend and the reasons")
        self.copy_image_action = self._action(
            "&Copy as image", "Ctrl+Shift+C", self.review_view_copy_as_image,
            "Copy the review, its colours and the verdict to the clipboard as a picture")
        self.highlight_action = self._action(
            "&Highlight words", "Ctrl+H", lambda on: self.review_view.highlight_box.setChecked(on),
            "Colour the words by how much they pushed the verdict")
        self.highlight_action.setCheckable(True)
        self.highlight_action.setChecked(True)
        self.wider_band_action = self._action(
            "&Widen uncertain band", "Ctrl+]", lambda: self._step_band(+1), "Call more verdicts uncertain")
        self.narrower_band_action = self._action(
            "&Narrow uncertain band", "Ctrl+[", lambda: self._step_band(-1), "Call fewer verdicts uncertain")
        self.model_info_action = self._action(
            "&Model information", "Ctrl+I", self._show_model_panel, "What the model is and how well it did")
        self.about_action = self._action("&About Review Sentiment", "F1", self._about, "About this app")

    def _create_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_model_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addAction(self.open_review_action)
        file_menu.addSeparator()
        file_menu.addAction(self.save_explanation_action)
        file_menu.addAction(self.copy_image_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.view_menu = self.menuBar().addMenu("&View")
        self.view_menu.addAction(self.highlight_action)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.wider_band_action)
        self.view_menu.addAction(self.narrower_band_action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.model_info_action)
        help_menu.addAction(self.about_action)

    def _create_central_widget(self) -> None:
        self.review_view = ReviewView(self._pool)
        self.review_view.highlight_box.toggled.connect(self.highlight_action.setChecked)
        self.review_view.band_changed.connect(self._band_changed)
        self.review_view.verdict_shown.connect(self._verdict_shown)
        self.review_view.file_opened.connect(
            lambda path, warning: self.statusBar().showMessage(f"Opened {path}" + (f": {warning}" if warning else ""), 15000))
        self.review_view.file_failed.connect(
            lambda message: self._warn("Could not open the review", message, ""))
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabBarAutoHide(True)  # one tab needs no tab bar; a second one shows it
        self.tabs.addTab(self.review_view, "&Review")
        self.batch_view = BatchView()
        self.batch_view.review_opened.connect(self.show_review)
        self.model_loaded.connect(self.batch_view.set_bundle)
        self.band_changed.connect(self.batch_view.set_band)
        self.batch_view.band_chosen.connect(self.review_view.set_band)
        self.tabs.addTab(self.batch_view, "&Batch")
        self.setCentralWidget(self.tabs)
        self.review_view.editor.setFocus()  # ready for a paste as soon as the window opens

    def _create_model_dock(self) -> None:
        self.model_panel = ModelPanel()
        self.model_dock = QDockWidget("Model", self)
        self.model_dock.setObjectName("modelDock")
        self.model_dock.setWidget(self.model_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.model_dock)
        toggle = self.model_dock.toggleViewAction()
        toggle.setText("&Model panel")
        toggle.setShortcut(QKeySequence("Ctrl+M"))
        self.view_menu.insertAction(self.view_menu.actions()[0], toggle)
        self.resizeDocks([self.model_dock], [340], Qt.Orientation.Horizontal)

    def _create_status_bar(self) -> None:
        self.model_label = QLabel("No model")
        self.timing_label = QLabel()
        self.timing_label.setMinimumWidth(self.timing_label.fontMetrics().horizontalAdvance("Verdict in 0000.0 ms "))
        self.statusBar().addPermanentWidget(self.timing_label)
        self.statusBar().addPermanentWidget(self.model_label)

    # -- settings -----------------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        geometry = keys.read_bytes(self.settings, keys.GEOMETRY)
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        state = keys.read_bytes(self.settings, keys.WINDOW_STATE)
        if state is not None:
            self.restoreState(state)
        self.review_view.set_band(keys.read_float(
            self.settings, keys.UNCERTAIN_BAND, DEFAULT_UNCERTAIN_BAND, 0.0, MAX_UNCERTAIN_BAND))
        self.review_view.highlight_box.setChecked(keys.read_bool(self.settings, keys.HIGHLIGHT_WORDS, True))
        self._fill_recent_menu(keys.read_list(self.settings, keys.RECENT_MODELS))

    def _save_settings(self) -> None:
        self.settings.setValue(keys.GEOMETRY, self.saveGeometry())
        self.settings.setValue(keys.WINDOW_STATE, self.saveState())
        self.settings.setValue(keys.UNCERTAIN_BAND, self.uncertain_band)
        self.settings.setValue(keys.HIGHLIGHT_WORDS, self.review_view.highlight_box.isChecked())
        self.settings.sync()

    def _fill_recent_menu(self, paths: list[str]) -> None:
        self.recent_menu.clear()
        for number, path in enumerate(paths, start=1):
            action = self._action(f"&{number} {path}", f"Ctrl+Alt+{number}",
                                  lambda checked=False, p=path: self.open_model(p), f"Load {path}")
            self.recent_menu.addAction(action)
        self.recent_menu.setEnabled(bool(paths))

    # -- models -------------------------------------------------------------------------------------

    def _load_first_model(self, explicit: Path | None) -> None:
        """At start: the model named on the command line, else the last one used, else models/."""
        last = self.settings.value(keys.LAST_MODEL)
        candidates = [Path(explicit)] if explicit else []
        if not explicit and last and Path(str(last)).exists():
            candidates.append(Path(str(last)))
        candidates.append(self.models_dir)
        worker = Worker(load_first, candidates)
        worker.signals.finished.connect(lambda result, seconds: self._first_model_ready(*result))
        worker.signals.failed.connect(self._no_model)
        self._pool.start(worker)

    def _first_model_ready(self, bundle, problems: list[BundleError]) -> None:
        self._model_ready(bundle, remember=False)
        if problems:
            self.statusBar().showMessage(f"Could not open {problems[0]}; using {bundle.path}", 15000)

    def _model_ready(self, bundle, *, remember: bool) -> None:
        self._bundle = bundle
        if remember:
            self._fill_recent_menu(keys.remember_model(self.settings, bundle.path))
            self.settings.sync()
        self.model_label.setText(f"Model: {bundle.name}")
        self.model_label.setToolTip(str(bundle.path))
        self.model_panel.show_bundle(bundle)
        self.statusBar().showMessage(f"Loaded model {bundle.path}", 5000)
        self.review_view.set_bundle(bundle)
        self.model_loaded.emit(bundle)

    def _model_refused(self, error: Exception) -> None:
        error = _as_bundle_error(error)
        kept = f"The model in use is still {self._bundle.name}." if self._bundle else NO_MODEL_HELP
        self.statusBar().showMessage(f"Could not open model {error.path}", 10000)
        self._warn("Could not open the model", f"Could not open {error.path}",
                   f"{error.reason}.{' ' + error.hint + '.' if error.hint else ''}\n\n{kept}")
        self.model_failed.emit(error)

    def _no_model(self, error: Exception) -> None:
        """Nothing loaded at start: the window stays usable and says how to get a model."""
        error = _as_bundle_error(error)
        self.model_label.setText("No model")
        self.model_panel.show_bundle(None, f"No model loaded.\n\n{error.path}: {error.reason}.\n\n{NO_MODEL_HELP}")
        self.review_view.show_state("No model loaded", f"{error.path}: {error.reason}.\n\n{NO_MODEL_HELP}")
        self._warn("No model loaded", f"Could not open {error.path}", f"{error.reason}.\n\n{NO_MODEL_HELP}")
        self.model_failed.emit(error)

    # -- menu actions -------------------------------------------------------------------------------

    def _ask_for_model(self) -> None:
        start = str(self._bundle.folder if self._bundle else self.models_dir)
        path, _ = QFileDialog.getOpenFileName(self, "Open model", start, "Model bundles (*.onnx);;All files (*)")
        if path:
            self.open_model(path)

    def _ask_where_to_save_explanation(self) -> None:
        page = self.review_view.explanation_page(self.bundle.name if self.bundle else "")
        if page is None:
            self._warn("Nothing to save yet", "Paste a review first: its explanation is what gets saved.", "")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save explanation as HTML", "explanation.html",
                                              "Web pages (*.html);;All files (*)")
        if path:
            try:
                write_page(Path(path), page)
            except OSError as error:
                self._warn("Could not save the explanation", f"{path}: {error.strerror or error}",
                           "Choose another folder or file name.")
                return
            self.statusBar().showMessage(f"Saved the explanation to {path}", 5000)

    def review_view_copy_as_image(self) -> None:
        self.review_view.copy_as_image()
        self.statusBar().showMessage("Copied the review and its explanation as an image", 5000)

    def _ask_for_review(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open review text", "", "Text files (*.txt);;All files (*)")
        if path:
            self.tabs.setCurrentWidget(self.review_view)
            self.review_view.open_file(Path(path))

    def _step_band(self, step: int) -> None:
        box = self.review_view.verdict_panel.band_box
        box.setValue(box.value() + step * 5)

    def _band_changed(self, band: float) -> None:
        self.settings.setValue(keys.UNCERTAIN_BAND, band)
        self.band_changed.emit(band)

    def _verdict_shown(self, verdict, seconds: float) -> None:
        if verdict is not None:
            self.timing_label.setText(f"Verdict in {seconds * 1000:.1f} ms")

    def _show_model_panel(self) -> None:
        self.model_dock.show()
        self.model_dock.raise_()

    def _about(self) -> None:
        model = f"<p>Model: {self._bundle.name}</p>" if self._bundle else ""
        QMessageBox.about(
            self, f"About {APP_TITLE}",
            f"<h3>{APP_TITLE}</h3><p>Tells whether a movie review is positive or negative, how sure it "
            "is, and which words decided it. Runs entirely offline.</p>" + model)

    def _warn(self, title: str, text: str, detail: str) -> None:
        """A warning that does not block the event loop (the window keeps working behind it)."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setInformativeText(detail)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- closing ------------------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        self._save_settings()
        for index in range(self.tabs.count()):
            self.tabs.widget(index).close()  # lets a tab cancel its own work
        self._pool.wait()
        event.accept()


def _as_bundle_error(error: Exception) -> BundleError:
    if isinstance(error, BundleError):
        return error
    return BundleError("the model", f"could not be loaded ({type(error).__name__}: {error})")
