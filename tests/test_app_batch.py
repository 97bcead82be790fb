"""The batch tab, driven as a person would: add inputs, classify, cancel, filter, sort, open, export."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from review_sentiment._batch import InputMode, ReviewResult
from review_sentiment._classify import classify_text
from tests.test_batch import same_probability
from desktop.ui import batch_view
from desktop.ui.batch_model import CONFIDENCE, FAILED, LABEL, SNIPPET, STATUS, BatchResultsModel
from desktop.ui.batch_view import BatchView


@pytest.fixture(scope="module")
def reviews(imdb_split):
    return [" ".join(t.split()) for t in imdb_split.test.texts[40:70]]


@pytest.fixture
def view(qtbot, shipped_bundle):
    widget = BatchView()
    qtbot.addWidget(widget)
    widget.set_bundle(shipped_bundle)
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def write_files(folder: Path, texts) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, text in enumerate(texts):
        path = folder / f"{i:03d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def run_to_end(qtbot, view, timeout=60_000):
    with qtbot.waitSignal(view.run_finished, timeout=timeout) as blocker:
        view.start()
    return blocker.args[0]


def shown(view, column):
    return [view.model.index(row, column).data() for row in range(view.model.rowCount())]


def test_add_folder_classify_and_see_the_single_review_verdicts(qtbot, view, tmp_path, reviews, shipped_bundle,
                                                                monkeypatch):
    write_files(tmp_path / "in", reviews[:10])
    (tmp_path / "in" / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "in" / "notes.md").write_text(reviews[10])
    monkeypatch.setattr(batch_view, "choose_folder", lambda parent, start: str(tmp_path / "in"))
    qtbot.mouseClick(view.add_folder_button, Qt.MouseButton.LeftButton)
    assert view.inputs == [str(tmp_path / "in")]
    progress = run_to_end(qtbot, view)
    assert progress.reviews == 11 and progress.fraction == 1.0
    results = view.model.results
    assert len(results) == 11  # the .md file is not read
    by_name = {Path(r.source).name: r for r in results}
    assert "binary" in by_name["broken.txt"].error
    for i, text in enumerate(reviews[:10]):
        verdict = classify_text(shipped_bundle, text, view.model.band)
        assert same_probability(shipped_bundle, by_name[f"{i:03d}.txt"].probability, verdict.probability)
        assert by_name[f"{i:03d}.txt"].label == verdict.label
    counts = view.model.counts
    assert counts[FAILED] == 1 and sum(counts.values()) == 11
    assert view.chart.counts == counts and f"{counts[FAILED]:,} failed" in view.chart.accessibleDescription()
    assert "Done: 10 classified, 1 failed" in view.progress_label.text()


def test_cancel_stops_quickly_and_keeps_the_results(qtbot, view, tmp_path, reviews):
    path = tmp_path / "many.txt"
    path.write_text("\n".join(reviews * 700), encoding="utf-8")  # 21,000 reviews
    view.add_paths([path])
    view.set_mode(InputMode.LINE)
    with qtbot.waitSignal(view.model.rowsInserted, timeout=30_000):
        view.start()
    assert view.running and view.cancel_button.isEnabled()
    with qtbot.waitSignal(view.run_cancelled, timeout=10_000) as blocker:
        qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    kept = view.model.rowCount()
    assert 0 < kept < 21_000 and blocker.args[0].reviews == kept
    assert [r.line for r in view.model.results[:5]] == [1, 2, 3, 4, 5]
    assert not view.running and view.start_button.isEnabled() and "Cancelled" in view.progress_label.text()


def test_filters_by_label_errors_and_text(qtbot, view, tmp_path, reviews):
    paths = write_files(tmp_path, reviews[:12])
    (tmp_path / "empty.txt").write_text("")
    view.add_paths(paths + [tmp_path / "empty.txt"])
    run_to_end(qtbot, view)
    total = view.model.rowCount()
    positives = sum(1 for r in view.model.results if r.ok and r.label == "positive")
    view.label_filter.setCurrentIndex(view.label_filter.findData("positive"))
    assert view.model.rowCount() == positives and set(shown(view, LABEL)) <= {"positive"}
    view.label_filter.setCurrentIndex(view.label_filter.findData(FAILED))
    failed = next(r for r in view.model.results if not r.ok)
    assert shown(view, STATUS) == ["is empty; there is no review in it to classify"]
    assert view.model.index(0, STATUS).data(Qt.ItemDataRole.ToolTipRole) == failed.error == \
        f"{tmp_path / 'empty.txt'} is empty; there is no review in it to classify"
    view.label_filter.setCurrentIndex(0)
    word = reviews[3].split()[5]
    with qtbot.waitSignal(view.model.filter_applied):  # after a pause in typing
        qtbot.keyClicks(view.text_filter, word.upper())
    expected = sum(1 for r in view.model.results if word.casefold() in r.text.casefold() or word.casefold() in r.source)
    assert 0 < view.model.rowCount() == expected < total
    assert view.shown_label.text() == f"Showing {expected} of {total}"
    view.text_filter.clear()
    assert view.model.rowCount() == total


def test_sort_by_confidence_and_double_click_opens_the_review(qtbot, view, tmp_path, reviews):
    view.add_paths(write_files(tmp_path, reviews[:8]))
    run_to_end(qtbot, view)
    view.table.sortByColumn(CONFIDENCE, Qt.SortOrder.DescendingOrder)
    values = [float(v.rstrip("%")) for v in shown(view, CONFIDENCE)]
    assert values == sorted(values, reverse=True)
    top = max(view.model.results, key=lambda r: max(r.probability, 1 - r.probability))
    rect = view.table.visualRect(view.model.index(0, SNIPPET))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # QTest needs the press
    with qtbot.waitSignal(view.review_opened) as blocker:
        qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [top.text]


def test_drop_files_and_choose_a_csv_column(qtbot, view, tmp_path, reviews):
    table = tmp_path / "t.csv"
    with open(table, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["id", "Review", "stars"], [1, reviews[0], 8], [2, reviews[1]], [3, reviews[2], 2]])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(table))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    view.dropEvent(event)
    assert view.inputs == [str(table)]
    view.set_mode(InputMode.CSV)
    assert [view.field_box.itemText(i) for i in range(view.field_box.count())] == ["id", "Review", "stars"]
    assert view.field_box.currentText() == "Review"
    run_to_end(qtbot, view)
    assert [(r.line, r.ok) for r in view.model.results] == [(2, True), (3, False), (4, True)]
    assert "line 3" in view.model.results[1].error


def test_export_asks_before_overwriting_and_writes_atomically(qtbot, view, tmp_path, reviews, monkeypatch):
    view.add_paths(write_files(tmp_path / "in", reviews[:5]))
    run_to_end(qtbot, view)
    target = tmp_path / "out.jsonl"
    target.write_text("keep me\n")
    asked = []
    monkeypatch.setattr(batch_view, "choose_export_file", lambda parent, start: str(target))
    monkeypatch.setattr(batch_view, "confirm_overwrite", lambda parent, path: asked.append(path) or False)
    view.export()
    assert asked == [str(target)] and target.read_text() == "keep me\n"
    monkeypatch.setattr(batch_view, "confirm_overwrite", lambda parent, path: True)
    with qtbot.waitSignal(view.exported):
        view.export_all_action.trigger()
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["probability"] for r in records] == [r.probability for r in view.model.results]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out.jsonl"]
    csv_target = tmp_path / "out.csv"
    monkeypatch.setattr(batch_view, "choose_export_file", lambda parent, start: str(csv_target))
    with qtbot.waitSignal(view.exported):
        view.export()
    rows = list(csv.DictReader(csv_target.open(encoding="utf-8")))
    assert [r["label"] for r in rows] == [r.label for r in view.model.results]


def test_band_change_relabels_rows(qtbot, view, tmp_path, reviews):
    view.add_paths(write_files(tmp_path, reviews[:10]))
    run_to_end(qtbot, view)
    view.set_band(0.8)
    assert shown(view, LABEL) == [r.label_with(0.8) for r in view.model.results]
    assert view.model.counts["uncertain"] == sum(1 for r in view.model.results if r.label_with(0.8) == "uncertain")


def test_model_filters_and_sorts_100k_rows(qtbot, reviews):
    model = BatchResultsModel()
    rows = [ReviewResult(f"f{i % 97}.txt", i, reviews[i % len(reviews)], (i % 1000) / 1000, "")
            for i in range(100_000)]
    for start in range(0, len(rows), 5000):
        model.append(rows[start:start + 5000])
    assert model.rowCount() == model.total == 100_000
    model.sort(CONFIDENCE, Qt.SortOrder.AscendingOrder)
    confidences = [max(r.probability, 1 - r.probability) for r in model.shown_results()]
    assert confidences == sorted(confidences) and confidences[0] == 0.5
    assert model.index(0, CONFIDENCE).data() == "50.0%"
    model.set_label_filter("positive")
    assert model.rowCount() == sum(1 for r in rows if r.label_with(model.band) == "positive")
    assert [model.label(r) for r in model.shown_results()] == ["positive"] * model.rowCount()
    word = reviews[7].split()[3]
    with qtbot.waitSignal(model.filter_applied, timeout=10_000):
        model.set_text_filter(word)
    expected = [i for i, r in enumerate(rows) if r.label_with(model.band) == "positive"
                and (word.casefold() in r.text.casefold() or word.casefold() in r.source.casefold())]
    assert sorted(r.line for r in model.shown_results()) == expected


def test_closing_mid_run_cancels_and_waits(qtbot, shipped_bundle, tmp_path, reviews):
    widget = BatchView()
    widget.set_bundle(shipped_bundle)
    path = tmp_path / "many.txt"
    path.write_text("\n".join(reviews * 700), encoding="utf-8")
    widget.add_paths([path])
    widget.set_mode(InputMode.LINE)
    with qtbot.waitSignal(widget.model.rowsInserted, timeout=30_000):
        widget.start()
    widget.close()
    assert widget._pool.activeThreadCount() == 0
    assert widget.model.rowCount() < 21_000


def test_in_the_main_window_a_double_clicked_row_opens_in_the_review_tab(qtbot, tmp_path, reviews, shipped_bundle):
    from PySide6.QtCore import QSettings

    from desktop.ui.main_window import MainWindow

    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.model_loaded, timeout=30_000):
        window.show()
    view = window.batch_view
    assert window.tabs.indexOf(view) == 1 and window.tabs.tabText(1) == "&Batch"
    window.review_view.set_band(0.5)
    assert view.model.band == 0.5  # the batch follows the single-review view's uncertain band
    window.tabs.setCurrentWidget(view)
    view.add_paths(write_files(tmp_path / "in", reviews[:3]))
    with qtbot.waitSignal(view.run_finished, timeout=60_000):
        qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    view.table.setFocus()
    view.table.setCurrentIndex(view.model.index(2, SNIPPET))
    with qtbot.waitSignal(window.review_view.verdict_shown, timeout=30_000) as shown:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)  # Enter opens the row
    assert window.tabs.currentWidget() is window.review_view
    assert window.review_view.editor.toPlainText() == reviews[2]
    verdict = shown.args[0]
    assert same_probability(shipped_bundle, verdict.probability, view.model.results[2].probability)
    assert verdict.label == view.model.results[2].label_with(0.5)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="True and False are immortal from Python 3.12")
def test_emitting_a_signal_does_not_drain_the_reference_count_of_true():
    """PySide6 6.12.0 returns True from `emit` without a reference of its own: every emit takes
    one from `True`, and after a few thousand (one batch run) Python aborts with 'bool_dealloc'.
    PySide6 6.11 does not; the fix is to avoid 6.12.0 (see the lead's pyproject pin)."""
    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        happened = Signal(int)

    emitter = Emitter()
    before = sys.getrefcount(True)
    for number in range(200):
        emitter.happened.emit(number)
    assert sys.getrefcount(True) >= before - 10


def test_results_keep_the_input_order_until_a_column_is_sorted(qtbot, view, tmp_path, reviews):
    later, earlier = tmp_path / "b.txt", tmp_path / "a.txt"
    later.write_text(reviews[0])
    earlier.write_text(reviews[1])
    view.add_paths([later, earlier])
    run_to_end(qtbot, view)
    assert [Path(r.source).name for r in view.model.results] == ["b.txt", "a.txt"]
    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert shown(view, 0) == [str(earlier), str(later)]


def test_an_export_that_cannot_be_written_says_why_and_leaves_nothing(qtbot, view, tmp_path, reviews, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    view.add_paths(write_files(tmp_path / "in", reviews[:3]))
    run_to_end(qtbot, view)
    target = tmp_path / "gone" / "out.csv"  # its folder does not exist
    monkeypatch.setattr(batch_view, "choose_export_file", lambda parent, start: str(target))
    view.export()
    qtbot.waitUntil(lambda: any(b.isVisible() for b in view.findChildren(QMessageBox)))
    box = next(b for b in view.findChildren(QMessageBox) if b.isVisible())
    assert f"Could not write {target}" in box.text() and "Nothing was changed" in box.text()
    assert not target.parent.exists() and view.export_button.isEnabled()
