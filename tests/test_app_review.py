"""The single-review window as a person uses it: paste a real review, read the verdict and its reasons."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QColor, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from review_sentiment._bundle import default_models_dir, resolve_model_file
from desktop.ui import settings as keys
from desktop.ui import main_window
from desktop.ui.main_window import MainWindow, human_reason
from desktop.ui.review_view import EMPTY_TITLE
from review_sentiment.encoding import tokenise
from review_sentiment import bundle_format as fmt

TIMEOUT = 20_000  # ms: generous for a loaded 2-core machine; the waits end as soon as the signal comes


@pytest.fixture
def settings(tmp_path):
    """A settings store of this test's own: the user's real settings are never touched."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def open_window(qtbot, settings):
    """Opens a main window (closed by qtbot at the end) and waits until its model is loaded or refused."""

    def open_(expect=("model_loaded",), **kwargs) -> MainWindow:
        window = MainWindow(kwargs.pop("settings", settings), **kwargs)
        qtbot.addWidget(window)
        signals = [getattr(window, name) for name in expect]
        with qtbot.waitSignals(signals, timeout=TIMEOUT):
            window.show()
        return window

    return open_


@pytest.fixture(scope="module")
def clear_reviews(imdb_split, shipped_bundle):
    """A clearly positive and a clearly negative real test review, chosen by the shipped model."""
    texts = imdb_split.test.texts[:600]
    labels = imdb_split.test.labels[:600]
    probabilities = shipped_bundle.classify_texts(texts)
    short = [len(t) < 1200 for t in texts]
    positive = next(t for t, y, p, s in zip(texts, labels, probabilities, short) if y == 1 and p > 0.9 and s)
    negative = next(t for t, y, p, s in zip(texts, labels, probabilities, short) if y == 0 and p < 0.1 and s)
    return positive, negative


def classify(qtbot, window: MainWindow, text: str):
    with qtbot.waitSignal(window.review_view.verdict_shown, timeout=TIMEOUT) as shown:
        window.show_review(text)
    return shown.args[0]


def painted(window: MainWindow) -> list[tuple[str, QColor | None, QColor | None]]:
    """Each span painted over the review in the editor: its text, background and text colour."""
    runs = []
    for selection in window.review_view.editor.extraSelections():
        background, foreground = selection.format.background(), selection.format.foreground()
        runs.append((selection.cursor.selectedText(),
                     None if background.style() == Qt.BrushStyle.NoBrush else background.color(),
                     None if foreground.style() == Qt.BrushStyle.NoBrush else foreground.color()))
    return runs


def pushes(window: MainWindow, word: str) -> list[int]:
    """For each use of `word` in the review box: +1 for a blue (toward positive) background,
    -1 for orange (toward negative), 0 for none."""
    colours = {}
    for selection in window.review_view.editor.extraSelections():
        brush = selection.format.background()
        if brush.style() != Qt.BrushStyle.NoBrush:
            colours[selection.cursor.selectionStart()] = brush.color()
    text = window.review_view.editor.toPlainText()
    signs = []
    for token in tokenise(text):
        if token.text == word:
            start = len(text[: token.start].encode("utf-16-le")) // 2  # Qt counts UTF-16 units
            colour = colours.get(start)
            signs.append(0 if colour is None else int(np.sign(colour.blue() - colour.red())))
    return signs


def warnings_shown(window: MainWindow) -> list[str]:
    return [f"{box.text()}\n{box.informativeText()}" for box in window.findChildren(QMessageBox) if box.isVisible()]


# -- verdicts ----------------------------------------------------------------------------------------


def test_clearly_positive_and_negative_reviews_show_their_verdicts(qtbot, open_window, clear_reviews):
    window = open_window()
    positive, negative = clear_reviews
    assert classify(qtbot, window, positive).label == "positive"
    assert window.review_view.verdict_panel.title.text() == "Positive"
    assert classify(qtbot, window, negative).label == "negative"
    assert window.review_view.verdict_panel.title.text() == "Negative"
    assert "sure it is negative" in window.review_view.verdict_panel.detail.text()
    assert window.timing_label.text().startswith("Verdict in ")
    assert window.model_label.text() == f"Model: {window.bundle.name}"


def _threads(bundle) -> int:
    return bundle.session.get_session_options().intra_op_num_threads


def test_the_app_runs_its_model_on_one_thread_at_start_and_after_open_model(qtbot, open_window, tmp_path,
                                                                             monkeypatch):
    """One onnxruntime thread (main_window.MODEL_THREADS): faster for one review at a time, and the
    Batch tab's forked workers can run that session as it is."""
    window = open_window()
    assert _threads(window.bundle) == 1
    copy = tmp_path / "again"
    shutil.copytree(resolve_model_file(default_models_dir()).parent, copy)
    monkeypatch.setattr(main_window, "choose_model", lambda parent, start: str(copy / fmt.MODEL_FILE))
    with qtbot.waitSignal(window.model_loaded, timeout=TIMEOUT):
        window.open_model_action.trigger()
    assert window.bundle.path == copy / fmt.MODEL_FILE and _threads(window.bundle) == 1


def test_the_columns_stay_put_when_a_verdict_appears_at_800_by_600(qtbot, open_window, clear_reviews):
    window = open_window()
    window.resize(800, 600)
    view = window.review_view
    qtbot.waitUntil(lambda: window.width() == 800, timeout=TIMEOUT)
    before = (view.editor.width(), view.verdict_panel.width())
    positive, _ = clear_reviews
    classify(qtbot, window, positive)
    qtbot.waitUntil(lambda: view.verdict_panel.title.text() == "Positive", timeout=TIMEOUT)
    assert (view.editor.width(), view.verdict_panel.width()) == before


def test_the_verdict_follows_typing(qtbot, open_window):
    window = open_window()
    editor = window.review_view.editor
    with qtbot.waitSignal(window.review_view.verdict_shown, timeout=TIMEOUT,
                          check_params_cb=lambda verdict, _: verdict is not None):
        qtbot.keyClicks(editor, "An excellent, wonderful film")
    assert window.review_view.verdict.label == "positive"
    with qtbot.waitSignal(window.review_view.verdict_shown, timeout=TIMEOUT,
                          check_params_cb=lambda verdict, _: verdict is not None and verdict.label == "negative"):
        editor.selectAll()
        qtbot.keyClicks(editor, "The worst, most awful and boring film")
    assert window.review_view.verdict_panel.title.text() == "Negative"


def test_empty_text_shows_a_calm_paste_a_review_state(qtbot, open_window, clear_reviews):
    window = open_window()
    classify(qtbot, window, clear_reviews[0])
    assert classify(qtbot, window, "  \n\t  ") is None
    panel = window.review_view.verdict_panel
    assert panel.title.text() == EMPTY_TITLE
    assert panel.bar.probability is None
    assert window.review_view.editor.extraSelections() == []


def test_text_without_a_known_word_says_so_and_is_uncertain(qtbot, open_window):
    window = open_window()
    verdict = classify(qtbot, window, "zxqvy blorptastic 😀 qwghlmnx")
    assert verdict.label == "uncertain"
    assert window.review_view.verdict_panel.title.text() == "Uncertain"
    assert "No word of this text is in the model's vocabulary" in window.review_view.verdict_panel.detail.text()


def test_a_cut_review_says_how_much_the_model_read(qtbot, open_window, imdb_split):
    window = open_window()
    text = " ".join(imdb_split.test.texts[:40])
    verdict = classify(qtbot, window, text)
    assert verdict.truncated
    assert "The review was cut" in window.review_view.verdict_panel.detail.text()
    assert "not read" in window.review_view.model_view.toPlainText()
    assert f"first {window.bundle.settings.max_length - 1} words" in window.review_view.cut_note.text()


def test_the_uncertain_band_relabels_the_verdict_on_screen(qtbot, open_window, imdb_split, shipped_bundle):
    window = open_window()
    texts = imdb_split.test.texts[:300]
    probabilities = shipped_bundle.classify_texts(texts)
    text = next(t for t, p in zip(texts, probabilities) if 0.7 < p < 0.8)
    window.review_view.set_band(0.2)
    assert classify(qtbot, window, text).label == "positive"
    window.review_view.verdict_panel.band_box.setValue(30)  # 50 ± 30 %
    assert window.review_view.verdict.label == "uncertain"
    assert window.review_view.verdict_panel.title.text() == "Uncertain"
    assert window.uncertain_band == pytest.approx(0.6)


def test_a_five_megabyte_paste_gets_a_verdict_and_a_short_preview(qtbot, open_window, imdb_split):
    window = open_window()
    text = "\n\n".join(imdb_split.test.texts)[:5_000_000]
    window.review_view.editor.setPlainText(text)  # as a paste does: the debounced path
    with qtbot.waitSignal(window.review_view.verdict_shown, timeout=TIMEOUT,
                          check_params_cb=lambda verdict, _: verdict is not None):
        pass
    verdict = window.review_view.verdict
    assert verdict.truncated and verdict.label in ("positive", "negative", "uncertain")
    cut = window.review_view.editor.extraSelections()[-1]  # the part not read: greyed and struck out
    utf16 = lambda piece: len(piece.encode("utf-16-le")) // 2  # noqa: E731  Qt counts UTF-16 units
    assert cut.format.fontStrikeOut() and cut.cursor.selectionStart() == utf16(text[: verdict.read_until])
    assert cut.cursor.selectionEnd() == utf16(text)


def test_a_large_explanation_comes_after_the_verdict(qtbot, open_window, clear_reviews, monkeypatch):
    import desktop.ui.review_view as review_view

    monkeypatch.setattr(review_view, "VERDICT_FIRST_IDS", 0)  # as for a long review on a long-reading model
    window = open_window()
    seen = []
    window.review_view.verdict_shown.connect(lambda verdict, _: seen.append(verdict))
    with qtbot.waitSignal(window.review_view.verdict_shown, timeout=TIMEOUT,
                          check_params_cb=lambda verdict, _: any(w.contribution for w in verdict.words)):
        window.show_review(clear_reviews[1])
    first, last = seen[0], seen[-1]
    assert first.label == last.label == "negative"
    assert all(w.contribution is None for w in first.words)
    assert window.review_view.strongest.text().startswith("Pushed toward positive")
    most_negative = min((w for w in last.words if w.read), key=lambda w: w.contribution)
    assert -1 in pushes(window, most_negative.text)


# -- highlights --------------------------------------------------------------------------------------


def test_highlights_point_the_right_way_on_a_real_review(qtbot, open_window, imdb_split):
    window = open_window()
    for word, direction in (("excellent", 1), ("awful", -1)):
        text = next(t for t in imdb_split.test.texts
                    if word in t.lower() and word in [tok.text for tok in tokenise(t)[:200]])
        classify(qtbot, window, text)
        signs = pushes(window, word)
        assert signs and all(s == direction for s in signs), (word, signs)


def test_highlights_land_on_the_right_words_in_any_script(qtbot, open_window):
    window = open_window()
    text = ("😀😀🎬 Ce film était excellent 👍 — 电影很好 — שלום עולם — naïve café 🍿🍿🍿 "
            "but the ending was awful 💩 𝒲𝑒𝒾𝓇𝒹 ok")
    classify(qtbot, window, text)
    assert window.review_view.editor.toPlainText() == text  # the review itself, not a copy
    assert pushes(window, "excellent") == [1]
    assert pushes(window, "awful") == [-1]


def test_the_highlight_toggle_removes_and_restores_colours(qtbot, open_window):
    window = open_window()
    classify(qtbot, window, "An excellent cast in an awful script.")
    window.highlight_action.trigger()
    assert not window.review_view.highlight_box.isChecked()
    assert painted(window) == []
    window.review_view.highlight_box.setChecked(True)
    assert window.highlight_action.isChecked()
    assert pushes(window, "excellent") == [1]


def test_highlights_follow_a_switch_to_a_dark_palette(qtbot, open_window):
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    window = open_window()
    classify(qtbot, window, "An excellent cast in an awful script.")
    light = next(c for t, c, _ in painted(window) if t == "excellent")
    app = QApplication.instance()
    original = app.palette()
    dark = QPalette(original)
    for role, colour in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
                         (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.Text, "#e6e6e6")):
        dark.setColor(role, QColor(colour))
    try:
        app.setPalette(dark)
        qtbot.waitUntil(lambda: next(c for t, c, _ in painted(window)
                                     if t == "excellent").lightness() < light.lightness())
        assert pushes(window, "excellent") == [1]
        assert pushes(window, "awful") == [-1]
    finally:
        app.setPalette(original)


# -- models ------------------------------------------------------------------------------------------


def _corrupt(path: Path) -> None:
    path.write_bytes(b"this is not an ONNX model\n" * 200)


def _truncated(path: Path) -> None:
    data = resolve_model_file(default_models_dir()).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _wrong_word_index(path: Path) -> None:
    import onnx  # tests may use it to forge a model; the app never imports it

    model = onnx.load(str(resolve_model_file(default_models_dir())))
    for prop in model.metadata_props:
        if prop.key == fmt.KEY_WORD_INDEX:
            words = json.loads(prop.value)
            words[0], words[1] = words[1], words[0]
            prop.value = json.dumps(words, ensure_ascii=False, separators=(",", ":"))
    onnx.save(model, str(path))


def _data_outside(location: str):
    """A copy of the shipped model whose embedding lives in an external file at `location`."""

    def spoil(path: Path) -> None:
        import onnx

        model = onnx.load(str(resolve_model_file(default_models_dir())))
        biggest = max(model.graph.initializer, key=lambda t: len(t.raw_data))
        outside = path.parent.parent / "weights.bin"
        outside.write_bytes(biggest.raw_data)
        biggest.ClearField("raw_data")
        biggest.data_location = onnx.TensorProto.EXTERNAL
        for key, value in (("location", location.format(outside=outside)), ("offset", "0"),
                           ("length", str(outside.stat().st_size))):
            entry = biggest.external_data.add()
            entry.key, entry.value = key, value
        onnx.save(model, str(path))

    return spoil


@pytest.mark.parametrize("spoil, reason", [
    (_corrupt, "not a readable ONNX model"),
    (_truncated, "not a readable ONNX model"),
    (_wrong_word_index, "its word index does not match"),
    (_data_outside("../weights.bin"), "refers to data outside its folder"),
    (_data_outside("{outside}"), "refers to data outside its folder"),
], ids=["corrupt", "truncated", "word-index", "data-in-parent-folder", "data-at-absolute-path"])
def test_a_bad_model_is_refused_with_a_dialog_and_the_previous_one_stays(
        qtbot, open_window, tmp_path, clear_reviews, spoil, reason):
    window = open_window()
    before = window.bundle
    bad = tmp_path / "bad" / "model.onnx"
    bad.parent.mkdir()
    spoil(bad)
    with qtbot.waitSignal(window.model_failed, timeout=TIMEOUT) as failed:
        window.open_model(bad)
    assert failed.args[0].path == bad
    assert failed.args[0].reason.startswith(reason)
    assert window.bundle is before
    shown = warnings_shown(window)
    assert len(shown) == 1 and str(bad) in shown[0] and human_reason(failed.args[0].reason) in shown[0]
    assert "ONNXRuntimeError" not in shown[0]  # onnxruntime's own wording only under "Show Details"
    assert f"still {before.name}" in shown[0]
    assert classify(qtbot, window, clear_reviews[0]).label == "positive"  # still classifying


def test_open_model_loads_a_bundle_and_remembers_it(qtbot, open_window, tmp_path, settings, monkeypatch):
    copy = tmp_path / "retrained"
    shutil.copytree(resolve_model_file(default_models_dir()).parent, copy)
    chosen = copy / fmt.MODEL_FILE
    monkeypatch.setattr(main_window, "choose_model", lambda parent, start: str(chosen))
    window = open_window()
    with qtbot.waitSignal(window.model_loaded, timeout=TIMEOUT):
        window.open_model_action.trigger()
    assert window.bundle.path == chosen
    recent = [a for a in window.recent_menu.actions() if not a.isSeparator()]
    assert recent[0].text() == "&1 retrained" and recent[0].statusTip() == f"Load {chosen.resolve()}"
    assert all("(shipped)" in a.text() for a in recent[1:])  # the shipped models follow
    assert window.recent_menu.actions()[0].shortcut().toString() == "Ctrl+Alt+1"
    window.close()
    again = open_window()  # same settings store: starts on the last model
    assert again.bundle.path == chosen.resolve()


@pytest.mark.parametrize("contents", ["empty", "corrupt bundle"])
def test_no_model_says_how_to_get_one_and_the_window_still_works(qtbot, open_window, tmp_path, contents):
    models = tmp_path / "models"
    models.mkdir()
    if contents == "corrupt bundle":
        (models / fmt.CURRENT_POINTER).write_text("seed-1\n", encoding="utf-8")
        (models / "seed-1").mkdir()
        _truncated(models / "seed-1" / fmt.MODEL_FILE)
    window = open_window(expect=("model_failed",), models_dir=models)
    assert window.bundle is None
    panel = window.review_view.verdict_panel
    assert panel.title.text() == "No model loaded"
    assert "uv run --group train python -m trainer" in panel.detail.text()
    assert "File → Open model" in panel.detail.text()
    assert any("uv run --group train python -m trainer" in text for text in warnings_shown(window))
    assert str(models) in panel.detail.text()
    window.review_view.editor.setPlainText("A fine film.")
    window.review_view.classify_now()
    assert panel.title.text() == "No model loaded"


def test_a_dropped_text_file_becomes_the_review(qtbot, open_window, tmp_path, clear_reviews):
    window = open_window()
    review = clear_reviews[1] + " Café, naïve, déjà vu."
    path = tmp_path / "review.txt"
    path.write_bytes(review.encode("cp1252"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    editor = window.review_view.editor
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.review_view.verdict_shown, timeout=TIMEOUT):
        editor.dropEvent(drop)
    assert editor.toPlainText() == review
    assert window.review_view.verdict.label == "negative"


def test_open_review_text_reads_a_utf16_file(qtbot, open_window, tmp_path, clear_reviews, monkeypatch):
    window = open_window()
    review = clear_reviews[0] + " 😀 שלום 电影"
    path = tmp_path / "review-utf16.txt"
    path.write_bytes(review.encode("utf-16"))  # with its byte-order mark
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    with qtbot.waitSignal(window.review_view.verdict_shown, timeout=TIMEOUT,
                          check_params_cb=lambda verdict, _: verdict is not None):
        window.open_review_action.trigger()
    assert window.review_view.editor.toPlainText() == review
    assert window.review_view.verdict.label == "positive"


def test_a_binary_file_is_not_taken_as_a_review(qtbot, open_window, tmp_path):
    window = open_window()
    path = tmp_path / "picture.txt"
    path.write_bytes(bytes(range(256)) * 10)
    with qtbot.waitSignal(window.review_view.file_failed, timeout=TIMEOUT):
        window.review_view.open_file(path)
    assert window.review_view.editor.toPlainText() == ""
    assert any(str(path) in text for text in warnings_shown(window))


def test_the_model_panel_shows_the_card_and_the_training_curves(qtbot, open_window):
    from PySide6.QtWidgets import QFormLayout

    window = open_window()
    window.model_dock.hide()
    window.model_info_action.trigger()
    assert window.model_dock.isVisible()
    form = window.model_panel.form
    rows = {}
    for row in range(form.rowCount()):
        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if label and field:
            rows[label.widget().text().rstrip(":")] = field.widget().text()
    card = window.bundle.card
    test = card["metrics"]["test"]
    assert rows["Test accuracy"].startswith(f"{test['accuracy']:.1%}")
    assert rows["Calibration error (ECE)"] == f"{test['ece']:.3f}"
    assert rows["Parameters"] == f"{card['parameters']:,}"
    assert str(card["data"]["split_sizes"]["test"]) in rows["Split"].replace(",", "")
    assert rows["Created"].startswith(card["created"][:10])
    assert "IMDB" in rows["Data"]
    assert not window.model_panel.curves.pixmap().isNull()


# -- settings and menus ------------------------------------------------------------------------------


def test_band_highlights_and_geometry_persist_across_runs(qtbot, open_window, settings):
    window = open_window()
    window.review_view.verdict_panel.band_box.setValue(17)
    window.review_view.highlight_box.setChecked(False)
    window.resize(800, 640)
    window.close()
    assert keys.read_float(settings, keys.UNCERTAIN_BAND, 0, 0, 1) == pytest.approx(0.34)
    again = open_window()
    assert again.uncertain_band == pytest.approx(0.34)
    assert again.review_view.verdict_panel.band_box.value() == 17
    assert not again.review_view.highlight_box.isChecked()
    assert (again.width(), again.height()) == (800, 640)


def test_garbled_settings_fall_back_to_defaults(qtbot, open_window, settings):
    settings.setValue(keys.UNCERTAIN_BAND, "wide")
    settings.setValue(keys.GEOMETRY, "not geometry")
    settings.setValue(keys.RECENT_MODELS, "/nowhere/model.onnx")
    window = open_window()
    assert window.uncertain_band == pytest.approx(0.2)
    recent = [a for a in window.recent_menu.actions() if not a.isSeparator()]
    assert recent[0].text() == "&1 nowhere" and all("(shipped)" in a.text() for a in recent[1:])


def test_every_menu_action_has_a_shortcut(open_window):
    window = open_window()
    missing = []
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            if action.isSeparator() or action.menu() is not None:
                continue
            if action.shortcut().isEmpty():
                missing.append(action.text())
    assert missing == []


def test_show_review_and_add_tab_for_other_features(qtbot, open_window, clear_reviews):
    from PySide6.QtWidgets import QLabel

    window = open_window()
    index = window.add_tab(QLabel("batch"), "&Batch")
    assert index == window.tabs.count() - 1 and window.tabs.widget(index).text() == "batch"
    window.tabs.setCurrentIndex(index)
    verdict = classify(qtbot, window, clear_reviews[0])
    assert window.tabs.currentWidget() is window.review_view
    assert verdict.label == "positive"
