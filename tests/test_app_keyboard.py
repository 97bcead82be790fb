"""The app by keyboard and mouse: Tab order, focus frames, mnemonics, Enter, copy, the context menu,
the filter count, stale rows after a model change, export of the shown rows, and the window's menus.
Dialogs and the file manager are replaced by fakes; nothing native opens."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox

from review_sentiment._batch import InputMode
from review_sentiment._bundle import default_models_dir, load_bundle
from desktop.ui import batch_view, main_window
from desktop.ui.batch_model import LABEL, MODEL, SNIPPET
from desktop.ui.main_window import MainWindow

TIMEOUT = 60_000


@pytest.fixture(scope="module")
def reviews(imdb_split):
    return [" ".join(t.split()) for t in imdb_split.test.texts[100:140]]


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    win = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model_loaded, timeout=TIMEOUT):
        win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    return win


def seed_bundle_folder() -> Path:
    return next(p for p in default_models_dir().iterdir() if p.name.startswith("seed-"))


def batch_with_results(qtbot, window, tmp_path, reviews, count=12):
    view = window.batch_view
    window.tabs.setCurrentWidget(view)
    source = tmp_path / "lines.txt"
    source.write_text("\n".join(reviews[:count]) + "\n", encoding="utf-8")
    view.add_paths([source])
    view.set_mode(InputMode.LINE)
    with qtbot.waitSignal(view.run_finished, timeout=TIMEOUT):
        view.start()
    return view


def alt(qtbot, widget, key):
    qtbot.keyClick(widget, key, Qt.KeyboardModifier.AltModifier)


# -- the Review tab ------------------------------------------------------------------------------


def test_tab_in_the_review_box_moves_on_and_a_replaced_review_comes_back_with_ctrl_z(qtbot, window, reviews):
    editor = window.review_view.editor
    editor.setFocus()
    qtbot.keyClicks(editor, "A fine film")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "A fine film"  # no tab character typed
    assert QApplication.focusWidget() is not editor
    assert window.focus_frame.frame.widget() is QApplication.focusWidget()  # the focus is outlined
    with qtbot.waitSignal(window.review_view.verdict_shown, timeout=TIMEOUT):
        window.show_review(reviews[0])  # what opening a batch row does
    assert editor.toPlainText() == reviews[0]
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText() == "A fine film"


# -- the Batch tab -------------------------------------------------------------------------------


def test_batch_tab_order_runs_through_every_control_once(qtbot, window, tmp_path, reviews):
    view = batch_with_results(qtbot, window, tmp_path, reviews)
    view.input_list.setFocus()
    seen = [QApplication.focusWidget()]
    for _ in range(14):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
        if seen[-1] is view.export_button:
            break
    # The column/field box is disabled in per-line mode, Cancel while nothing runs: both skipped.
    expected = [view.input_list, view.add_files_button, view.add_folder_button, view.remove_button, view.mode_box,
                view.extensions_edit, view.band_box, view.start_button, view.label_filter,
                view.text_filter, view.table, view.chart_button, view.export_button]
    assert seen == expected
    assert window.focus_frame.frame.widget() is view.export_button


def test_batch_mnemonics_do_what_their_letters_say(qtbot, window, tmp_path, reviews, monkeypatch):
    view = window.batch_view
    window.tabs.setCurrentWidget(view)
    source = tmp_path / "lines.txt"
    source.write_text("\n".join(reviews[:5]) + "\n", encoding="utf-8")
    chosen = []
    monkeypatch.setattr(batch_view, "choose_files", lambda parent, start: chosen.append(start) or [str(source)])
    with qtbot.waitSignal(view.add_files_button.clicked):  # a mnemonic clicks after a short press animation
        alt(qtbot, view, Qt.Key.Key_A)  # Add files
    assert view.inputs == [str(source)] and chosen == [str(tmp_path / "home")]  # starts in the home folder
    alt(qtbot, view, Qt.Key.Key_D)  # Read as
    assert QApplication.focusWidget() is view.mode_box
    qtbot.keyClick(view.mode_box, Qt.Key.Key_Down)
    assert view.mode_box.currentData() is InputMode.LINE
    alt(qtbot, view, Qt.Key.Key_E)  # Extensions, not Export
    assert QApplication.focusWidget() is view.extensions_edit
    with qtbot.waitSignal(view.run_finished, timeout=TIMEOUT):
        alt(qtbot, view, Qt.Key.Key_C)  # Classify
    assert view.model.total == 5
    alt(qtbot, view, Qt.Key.Key_I)  # Filter
    assert QApplication.focusWidget() is view.text_filter
    # Alt+F is the File menu, not a button
    qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is not view.add_files_button
    menu = QApplication.activePopupWidget()
    if menu is not None:
        menu.close()


def test_ctrl_a_ctrl_c_copies_rows_as_tab_separated_text(qtbot, window, tmp_path, reviews):
    view = batch_with_results(qtbot, window, tmp_path, reviews, count=4)
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0].split("\t") == list(batch_view.TSV_COLUMNS)
    rows = [line.split("\t") for line in lines[1:]]
    assert len(rows) == 4 and all(len(r) == len(batch_view.TSV_COLUMNS) for r in rows)
    results = view.model.shown_results()
    assert [r[7] for r in rows] == [" ".join(r.text.split()) for r in results]
    assert [float(r[4]) for r in rows] == [r.probability for r in results]
    assert {r[6] for r in rows} == {window.bundle.name}


def test_right_click_menu_opens_copies_and_exports_the_selection(qtbot, window, tmp_path, reviews, monkeypatch):
    view = batch_with_results(qtbot, window, tmp_path, reviews, count=6)
    rect = view.table.visualRect(view.model.index(1, SNIPPET))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QApplication.sendEvent(view.table.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, rect.center(),
                                                                       view.table.viewport().mapToGlobal(rect.center())))
    menu = view.context_menu
    assert isinstance(menu, QMenu) and menu.isVisible()
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == ["&Open review", "&Copy rows", "Select &all", "S&elected rows…", "&Shown rows only…"]
    target = tmp_path / "one.csv"
    monkeypatch.setattr(batch_view, "choose_export_file", lambda parent, start: str(target))
    monkeypatch.setattr(batch_view, "open_folder", lambda folder: None)
    with qtbot.waitSignal(view.exported):
        menu.actions()[4].trigger()  # export the selected row
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["text"] for r in rows] == [view.model.result_at(1).text]
    with qtbot.waitSignal(window.review_view.verdict_shown, timeout=TIMEOUT):
        view.open_action.trigger()
    assert window.review_view.editor.toPlainText() == view.model.result_at(1).text


def test_filter_count_and_an_empty_result_say_so(qtbot, window, tmp_path, reviews):
    view = batch_with_results(qtbot, window, tmp_path, reviews, count=10)
    assert view.shown_label.text() == "Showing all 10"
    with qtbot.waitSignal(view.model.filter_applied, timeout=10_000):
        qtbot.keyClicks(view.text_filter, "qqzzxxnotaword")
    assert view.model.rowCount() == 0 and view.shown_label.text() == "Showing 0 of 10"
    view.text_filter.clear()
    negatives = sum(1 for r in view.model.results if view.model.label(r) == "negative")
    view.label_filter.setCurrentIndex(view.label_filter.findData("negative"))
    assert view.shown_label.text() == f"Showing {negatives} of 10"


def test_a_model_change_marks_rows_stale_and_one_click_classifies_again(qtbot, window, tmp_path, reviews):
    view = batch_with_results(qtbot, window, tmp_path, reviews, count=8)
    first = window.bundle
    assert not view.stale_banner.isVisible()
    assert {view.model.index(r, MODEL).data() for r in range(8)} == {first.name}
    with qtbot.waitSignal(window.model_loaded, timeout=TIMEOUT):
        window.open_model(seed_bundle_folder())
    second = window.bundle
    assert second.name != first.name
    assert view.stale_banner.isVisible() and first.name in view.stale_label.text()
    assert second.name in view.rerun_button.text()
    assert "re-run" in view.model.index(0, LABEL).data(Qt.ItemDataRole.ToolTipRole)
    assert view.model.index(0, LABEL).data(Qt.ItemDataRole.FontRole).italic()
    with qtbot.waitSignal(view.run_finished, timeout=TIMEOUT):
        qtbot.mouseClick(view.rerun_button, Qt.MouseButton.LeftButton)
    assert not view.stale_banner.isVisible()
    assert {(r.model, r.word_index_sha256) for r in view.model.results} == {(second.name, second.word_index.sha256)}


def test_export_of_the_shown_rows_carries_text_and_model_and_offers_the_folder(qtbot, window, tmp_path, reviews,
                                                                               monkeypatch):
    view = batch_with_results(qtbot, window, tmp_path, reviews, count=16)
    view.label_filter.setCurrentIndex(view.label_filter.findData("positive"))
    shown = view.model.shown_results()
    assert 0 < len(shown) < 16
    target = tmp_path / "out" / "positive.jsonl"
    target.parent.mkdir()
    opened = []
    monkeypatch.setattr(batch_view, "choose_export_file", lambda parent, start: str(target))
    monkeypatch.setattr(batch_view, "open_folder", opened.append)
    with qtbot.waitSignal(view.exported):
        view.export_shown_action.trigger()
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in records] == [r.text for r in shown]
    assert {r["label"] for r in records} == {"positive"}
    assert {(r["model"], r["word_index_sha256"]) for r in records} == {
        (window.bundle.name, window.bundle.word_index.sha256)}
    box = view.saved_box
    assert box.isVisible() and f"Exported {len(shown)} results" in box.text()
    button = next(b for b in box.buttons() if b.text() == "&Open folder")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert opened == [target.parent]
    assert view.start_folder == str(target.parent)  # the next dialog starts here


def test_the_chart_counts_labels_and_saves_a_png(qtbot, window, tmp_path, reviews, monkeypatch):
    view = batch_with_results(qtbot, window, tmp_path, reviews, count=20)
    counts = view.chart.counts
    assert counts == {k: view.model.counts[k] for k in counts} and sum(counts.values()) == 20
    assert int(view.chart.histogram.sum()) == 20
    target = tmp_path / "chart.png"
    monkeypatch.setattr(batch_view, "choose_chart_file", lambda parent, start: str(target))
    qtbot.mouseClick(view.chart_button, Qt.MouseButton.LeftButton)
    from PySide6.QtGui import QImage

    image = QImage(str(target))
    assert not image.isNull() and image.width() >= 2 * view.chart.width() - 1


# -- the window ----------------------------------------------------------------------------------


def test_about_box_has_version_and_licence(qtbot, window):
    window.about_action.trigger()
    text = window.about_box.text()
    assert main_window.app_version() in text and "0." in text and "Licence: MIT" in text
    window.about_box.close()


def test_zoom_in_out_and_actual_size(qtbot, window):
    size = window.font().pointSizeF()
    qtbot.keyClick(window, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert window.font().pointSizeF() == size + 1
    assert window.batch_view.table.font().pointSizeF() == size + 1
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert window.font().pointSizeF() == size - 1
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert window.font().pointSizeF() == size


def test_reset_layout_brings_the_model_panel_back(qtbot, window):
    window.model_dock.setFloating(True)
    window.model_dock.hide()
    window.reset_layout_action.trigger()
    assert window.model_dock.isVisible() and not window.model_dock.isFloating()
    assert window.model_panel.width() >= main_window.MODEL_PANEL_MIN_WIDTH


def test_the_window_works_at_800_by_600(qtbot, window, tmp_path, reviews):
    view = batch_with_results(qtbot, window, tmp_path, reviews, count=6)
    window.resize(800, 600)
    qtbot.waitUntil(lambda: window.width() == 800 and window.height() == 600)
    assert window.model_panel.width() >= main_window.MODEL_PANEL_MIN_WIDTH
    for button in (view.add_files_button, view.add_folder_button, view.remove_button, view.start_button,
                   view.export_button, view.chart_button):
        assert button.isVisible() and button.width() >= button.minimumSizeHint().width()
        assert button.mapTo(window, QPoint(button.width(), 0)).x() <= window.width()
    assert view.table.viewport().height() >= 3 * view.table.verticalHeader().defaultSectionSize()
    window.tabs.setCurrentWidget(window.review_view)
    assert window.review_view.editor.height() > 60


def test_open_recent_lists_the_shipped_models(qtbot, window):
    texts = [a.text() for a in window.recent_menu.actions() if not a.isSeparator()]
    shipped = [p.name for p in main_window.shipped_bundles(default_models_dir())]
    assert window.recent_menu.isEnabled() and shipped
    assert all(any(name in t and "(shipped)" in t for t in texts) for name in shipped)
    assert not any(str(default_models_dir()) in t for t in texts)  # names, not local paths


def test_open_model_takes_a_bundle_folder(qtbot, window, monkeypatch):
    folder = seed_bundle_folder()
    monkeypatch.setattr(main_window, "choose_model", lambda parent, start: str(folder))
    with qtbot.waitSignal(window.model_loaded, timeout=TIMEOUT) as loaded:
        window.open_model_action.trigger()
    assert loaded.args[0].path == folder / "model.onnx"


def test_a_broken_model_at_start_is_said_in_a_dialog(qtbot, tmp_path):
    bad = tmp_path / "bad" / "model.onnx"
    bad.parent.mkdir()
    bad.write_bytes(b"not an onnx file at all")
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), model_path=bad)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model_loaded, timeout=TIMEOUT):
        win.show()
    qtbot.waitUntil(lambda: any(b.isVisible() for b in win.findChildren(QMessageBox)))
    box = win.warning_box
    assert str(bad) in box.text() and f"Using {win.bundle.name} instead" in box.informativeText()
    assert "ONNXRuntimeError" not in box.text() + box.informativeText()
    assert "ONNXRuntimeError" in box.detailedText()  # the exact words stay one click away
    assert load_bundle(default_models_dir()).name == win.bundle.name


def mnemonics_in_view(window, tab) -> list[tuple[str, str]]:
    """(letter, owner) for every Alt+letter a person can press with `tab` shown."""
    from PySide6.QtWidgets import QAbstractButton, QLabel

    def letter(text: str) -> str:
        index = text.replace("&&", "").find("&")
        return text.replace("&&", "")[index + 1].lower() if index >= 0 else ""

    found = [(letter(a.text()), f"menu {a.text()}") for a in window.menuBar().actions()]
    found += [(letter(window.tabs.tabText(i)), f"tab {window.tabs.tabText(i)}") for i in range(window.tabs.count())]
    for widget in tab.findChildren(QAbstractButton) + tab.findChildren(QLabel):
        if not widget.isVisible() or (isinstance(widget, QLabel) and widget.buddy() is None):
            continue
        found.append((letter(widget.text()), f"{type(widget).__name__} {widget.text()}"))
    return [(key, owner) for key, owner in found if key]


@pytest.mark.parametrize("tab", ["review_view", "batch_view"])
def test_every_alt_letter_is_used_once_per_tab(qtbot, window, tab):
    widget = getattr(window, tab)
    window.tabs.setCurrentWidget(widget)
    found = mnemonics_in_view(window, widget)
    letters = [key for key, _ in found]
    assert len(found) > 5
    assert sorted(letters) == sorted(set(letters)), [f for f in found if letters.count(f[0]) > 1]
