"""The main window: menus, the tabs (single review first; batch and others add theirs), the model
panel and the status bar. Loads models off the UI thread and refuses bad ones with a dialog.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from review_sentiment._bundle import BundleError, default_models_dir, load_bundle, stop_model_runs
from review_sentiment._shown import shown
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND, MAX_UNCERTAIN_BAND
from review_sentiment import bundle_format as fmt
from desktop.ui import settings as keys
from desktop.ui.batch_view import BatchView
from desktop.ui.theme import FocusFrame
from desktop.ui.model_panel import ModelPanel
from desktop.ui.review_view import ReviewView, write_page
from desktop.ui.workers import Worker, WorkerPool

APP_TITLE = "Review Sentiment"
# How long one model call may take in the app (the load's check included) before it is stopped:
# a model that loops cannot keep the app loading, or classifying, for ever.
MODEL_SECONDS = 20.0
# One onnxruntime thread: the Review tab runs one review at a time (a second thread's hand-overs
# cost more than it shares: 1.37 against 1.47 ms from paste to verdict, 9.6 against 10.2 ms for
# the longest review), and the Batch tab's work is done in worker processes, one thread each, which
# then run this session as forked, as `classify` does, instead of opening the model again.
MODEL_THREADS = 1
NO_MODEL_HELP = (
    "Reinstall the app, or open a bundle with File → Open model… (Ctrl+O)."
    if getattr(sys, "frozen", False) else
    "Retrain one with `uv run --group train python -m trainer` (it writes a bundle into models/), "
    "or open a bundle with File → Open model… (Ctrl+O)."
)
MIN_WIDTH, MIN_HEIGHT = 800, 600  # the smallest window every tab still works in
MODEL_PANEL_WIDTH, MODEL_PANEL_MIN_WIDTH = 300, 200  # the panel never shrinks to cut-off text
ZOOM_STEPS = (-3, 6)  # font size steps below and above the system's (one step: 1 point)
# onnxruntime's own wording, e.g. "[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Load model from ... failed"
ORT_ERROR = re.compile(r"\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*(\w+)\s*:[^)]*")
ORT_MEANINGS = {
    "INVALID_PROTOBUF": "the file is not a valid ONNX model: it may be truncated, corrupt or another kind of file",
    "NO_SUCHFILE": "the file cannot be found",
    "INVALID_GRAPH": "the model inside the file is broken",
    "NOT_IMPLEMENTED": "the model uses operations this app's ONNX Runtime cannot run",
    "FAIL": "ONNX Runtime could not load it",
}


def app_version() -> str:
    try:
        return metadata.version("review-sentiment")
    except metadata.PackageNotFoundError:  # a build without the package's metadata
        return "(version unknown)"


def human_reason(reason: str) -> str:
    """A model problem in words a person reads: onnxruntime's codes become what they mean."""
    def meaning(match: re.Match) -> str:
        return ORT_MEANINGS.get(match.group(1), "ONNX Runtime could not load it")
    return ORT_ERROR.sub(meaning, reason).replace("( ", "(").strip()


# The model dialog is a module function so tests can put a fake in its place.
def choose_model(parent: QWidget, start: str) -> str:
    """A model.onnx file or a bundle folder (one holding model.onnx or CURRENT)."""
    dialog = BundleDialog(parent, "Open model (a bundle folder or its model.onnx)", start,
                          "Model bundles (*.onnx);;All files (*)")
    return dialog.selectedFiles()[0] if dialog.exec() == QDialog.DialogCode.Accepted else ""


def choose_review(parent: QWidget, start: str) -> str:
    path, _ = QFileDialog.getOpenFileName(parent, "Open review text", start, "Text files (*.txt);;All files (*)")
    return path


class BundleDialog(QFileDialog):
    """A file dialog where Open on a bundle folder takes the folder instead of going into it."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.setOption(QFileDialog.Option.DontUseNativeDialog)  # native dialogs cannot take a folder here
        self.setFileMode(QFileDialog.FileMode.ExistingFile)

    def accept(self) -> None:
        chosen = self.selectedFiles()
        if chosen and _is_bundle_folder(Path(chosen[0])):
            QDialog.accept(self)
        else:
            super().accept()


def _is_bundle_folder(path: Path) -> bool:
    return path.is_dir() and ((path / fmt.MODEL_FILE).is_file() or (path / fmt.CURRENT_POINTER).is_file())


def shipped_bundles(models_dir: Path) -> list[Path]:
    """The bundle folders shipped in models/, newest name first."""
    try:
        return sorted((p for p in models_dir.iterdir() if (p / fmt.MODEL_FILE).is_file()), reverse=True)
    except OSError:
        return []


def load_first(candidates: list[Path]):
    """The first candidate that loads, and the problems met on the way. Raises the last problem."""
    problems: list[BundleError] = []
    for path in candidates:
        try:
            return load_bundle(path, run_seconds=MODEL_SECONDS, threads=MODEL_THREADS), problems
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
        self.setMinimumSize(MIN_WIDTH, MIN_HEIGHT)
        self._zoom = 0
        self._create_actions()
        self._create_menus()
        self._create_central_widget()
        self._create_model_dock()
        self._create_status_bar()
        self.focus_frame = FocusFrame(self)
        self._default_state = self.saveState()
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
        self.statusBar().showMessage(f"Loading model {shown(path)}…")
        worker = Worker(load_bundle, Path(path), MODEL_SECONDS, MODEL_THREADS)
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
        self.zoom_in_action = self._action("Zoom &in", QKeySequence.StandardKey.ZoomIn, lambda: self.zoom(+1),
                                           "Larger text everywhere in the window")
        self.zoom_in_action.setShortcuts([QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
        self.zoom_out_action = self._action("Zoom &out", QKeySequence.StandardKey.ZoomOut, lambda: self.zoom(-1),
                                            "Smaller text everywhere in the window")
        self.zoom_reset_action = self._action("&Actual size", "Ctrl+0", lambda: self.zoom(-self._zoom),
                                              "Text at the system's size")
        self.reset_layout_action = self._action("&Reset layout", "Ctrl+Shift+R", self.reset_layout,
                                                "Put the model panel and the window's parts back where they started")
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
        self.view_menu.addSeparator()
        for action in (self.zoom_in_action, self.zoom_out_action, self.zoom_reset_action):
            self.view_menu.addAction(action)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.reset_layout_action)
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
        self.batch_view.setMinimumWidth(420)
        self.tabs.addTab(self.batch_view, "&Batch")
        self.setCentralWidget(self.tabs)
        self.review_view.editor.setFocus()  # ready for a paste as soon as the window opens

    def _create_model_dock(self) -> None:
        self.model_panel = ModelPanel()
        self.model_panel.setMinimumWidth(MODEL_PANEL_MIN_WIDTH)
        self.model_dock = QDockWidget("Model", self)
        self.model_dock.setObjectName("modelDock")
        self.model_dock.setWidget(self.model_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.model_dock)
        toggle = self.model_dock.toggleViewAction()
        toggle.setText("&Model panel")
        toggle.setShortcut(QKeySequence("Ctrl+M"))
        self.view_menu.insertAction(self.view_menu.actions()[0], toggle)
        self.resizeDocks([self.model_dock], [MODEL_PANEL_WIDTH], Qt.Orientation.Horizontal)

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
        self.zoom(int(keys.read_float(self.settings, keys.ZOOM, 0, *ZOOM_STEPS)))
        self.batch_view.start_folder = keys.read_folder(self.settings, keys.LAST_FOLDER)
        self._fill_recent_menu(keys.read_list(self.settings, keys.RECENT_MODELS))

    def _save_settings(self) -> None:
        self.settings.setValue(keys.GEOMETRY, self.saveGeometry())
        self.settings.setValue(keys.WINDOW_STATE, self.saveState())
        self.settings.setValue(keys.UNCERTAIN_BAND, self.uncertain_band)
        self.settings.setValue(keys.HIGHLIGHT_WORDS, self.review_view.highlight_box.isChecked())
        self.settings.setValue(keys.ZOOM, self._zoom)
        self.settings.setValue(keys.LAST_FOLDER, self.batch_view.start_folder)
        self.settings.sync()

    def _fill_recent_menu(self, paths: list[str]) -> None:
        """The models opened lately, then the ones shipped with the app (always there to go back to)."""
        self.recent_menu.clear()
        shipped = [p for p in shipped_bundles(self.models_dir) if str(p.resolve()) not in paths
                   and str((p / fmt.MODEL_FILE).resolve()) not in paths]
        for number, path in enumerate(paths + [str(p) for p in shipped], start=1):
            name = _display_name(Path(path))
            text = f"&{number} {name}" if number < 10 else name
            if Path(path) in shipped:
                text += " (shipped)"
            action = self._action(text, f"Ctrl+Alt+{number}" if number < 10 else "",
                                  lambda checked=False, p=path: self.open_model(p), f"Load {path}")
            if number == len(paths) + 1 and paths:
                self.recent_menu.addSeparator()
            self.recent_menu.addAction(action)
        self.recent_menu.setEnabled(bool(paths or shipped))

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
            # Said in a dialog, not in the status bar: the person asked for that model.
            problem = problems[0]
            self._warn("Model not opened", f"Could not open the model {shown(problem.path)}",
                       f"{_reason_text(problem)}\n\nUsing {shown(bundle.name)} instead.", str(problem))

    def _model_ready(self, bundle, *, remember: bool) -> None:
        """Switch every part of the window to `bundle`, or (if showing it fails) none of them."""
        try:
            self.model_panel.show_bundle(bundle)  # the one step that reads the card: it goes first
        except Exception as error:  # a card the loader let through but the panel cannot show
            if self._bundle is not None:
                self.model_panel.show_bundle(self._bundle)
            self._model_refused(BundleError(bundle.path, f"its model card cannot be shown "
                                            f"({type(error).__name__}: {error})", "Fix or remove model_card.json"))
            return
        self._bundle = bundle
        if remember:
            self._fill_recent_menu(keys.remember_model(self.settings, bundle.path))
            self.settings.sync()
        self.model_label.setText(f"Model: {shown(bundle.name)}")
        self.model_label.setToolTip(shown(bundle.path))
        self.statusBar().showMessage(f"Loaded model {shown(bundle.name)}", 5000)
        self.review_view.set_bundle(bundle)
        self.model_loaded.emit(bundle)

    def _model_refused(self, error: Exception) -> None:
        error = _as_bundle_error(error)
        kept = f"The model in use is still {shown(self._bundle.name)}." if self._bundle else NO_MODEL_HELP
        if self._bundle is None:
            self.model_label.setText("No model")
        self.statusBar().clearMessage()  # not "Loading model…" for ever
        self._warn("Model not opened", f"Could not open the model {shown(error.path)}",
                   f"{_reason_text(error)}\n\n{kept}", str(error))
        self.model_failed.emit(error)

    def _no_model(self, error: Exception) -> None:
        """Nothing loaded at start: the window stays usable and says how to get a model."""
        error = _as_bundle_error(error)
        self.model_label.setText("No model")
        reason = human_reason(error.reason)
        self.model_panel.show_bundle(None, f"No model loaded.\n\n{shown(error.path)}: {reason}.\n\n{NO_MODEL_HELP}")
        self.review_view.show_state("No model loaded", f"{shown(error.path)}: {reason}.\n\n{NO_MODEL_HELP}")
        self._warn("No model loaded", f"Could not open the model {shown(error.path)}", f"{reason}.\n\n{NO_MODEL_HELP}",
                   str(error))
        self.model_failed.emit(error)

    # -- menu actions -------------------------------------------------------------------------------

    def _ask_for_model(self) -> None:
        path = choose_model(self, self.batch_view.start_folder)
        if path:
            self.batch_view.start_folder = str(Path(path).parent)
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
        path = choose_review(self, self.batch_view.start_folder)
        if path:
            self.batch_view.start_folder = str(Path(path).parent)
            self.tabs.setCurrentWidget(self.review_view)
            self.review_view.open_file(Path(path))

    def zoom(self, steps: int) -> None:
        """Text `steps` points larger (or smaller), within ZOOM_STEPS of the system's size."""
        self._zoom = max(ZOOM_STEPS[0], min(ZOOM_STEPS[1], self._zoom + steps))
        font = QApplication.font()
        font.setPointSizeF(font.pointSizeF() + self._zoom)
        self.setFont(font)
        self.zoom_out_action.setEnabled(self._zoom > ZOOM_STEPS[0])
        self.zoom_in_action.setEnabled(self._zoom < ZOOM_STEPS[1])

    def reset_layout(self) -> None:
        """The model panel docked on the right at its first width, the tabs' splitters as they started."""
        self.restoreState(self._default_state)
        self.model_dock.setFloating(False)
        self.model_dock.show()
        self.resizeDocks([self.model_dock], [MODEL_PANEL_WIDTH], Qt.Orientation.Horizontal)
        self.batch_view.reset_layout()

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

    def about_text(self) -> str:
        import onnxruntime
        import PySide6

        model = f"<p>Model in use: {self._bundle.name}</p>" if self._bundle else ""
        return (f"<h3>{APP_TITLE} {app_version()}</h3><p>Tells whether a movie review is positive or "
                "negative, how sure it is, and which words decided it. Runs entirely offline.</p>"
                f"{model}<p>Licence: MIT.<br>Built with Qt {qVersion()} and Qt for Python (PySide6 "
                f"{PySide6.__version__}, LGPL-3.0) and ONNX Runtime {onnxruntime.__version__} (MIT).</p>")

    def _about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, f"About {APP_TITLE}", self.about_text(),
                          QMessageBox.StandardButton.Close, self)
        box.setIconPixmap(self.windowIcon().pixmap(64, 64))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.about_box = box
        box.open()

    def _warn(self, title: str, text: str, detail: str, technical: str = "") -> None:
        """A warning that does not block the event loop (the window keeps working behind it).
        Short titles (window managers cut long ones); onnxruntime's own text only under Details."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setInformativeText(detail)
        if technical and technical not in detail:
            box.setDetailedText(technical)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.warning_box = box
        box.open()

    # -- closing ------------------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        self._save_settings()
        for index in range(self.tabs.count()):
            self.tabs.widget(index).close()  # lets a tab cancel its own work
        self.review_view.set_bundle(None)  # starts no more verdicts
        stop_model_runs()  # a model call in flight (a load's check, a verdict) ends now, not when it likes
        self._pool.wait()
        event.accept()


def _reason_text(error: BundleError) -> str:
    return f"{human_reason(error.reason)}.{' ' + error.hint + '.' if error.hint else ''}"


def _display_name(path: Path) -> str:
    """A model's folder name (and file when it is not model.onnx), never the whole local path."""
    if path.name == fmt.MODEL_FILE:
        path = path.parent
    return path.name or str(path)


def _as_bundle_error(error: Exception) -> BundleError:
    if isinstance(error, BundleError):
        return error
    return BundleError("the model", f"could not be loaded ({type(error).__name__}: {error})")
