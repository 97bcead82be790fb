"""Issue 13 in the app (points 1, 5, 6, 12): a model that loops, a card of odd types, a hostile
JSONL line and huge pastes leave a window that answers, switches models whole and always closes."""

from __future__ import annotations

import json
import shutil

import pytest
from PySide6.QtCore import QSettings

import hostile_bundles as forge
from desktop.ui import main_window
from desktop.ui.batch_view import BatchView
from desktop.ui.highlight import SHOWN_CHARS
from desktop.ui.main_window import MainWindow
from review_sentiment import _bundle
from review_sentiment import bundle_format as fmt
from review_sentiment._batch import InputMode

TIMEOUT = 20_000


@pytest.fixture
def window(qtbot, tmp_path):
    opened = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(opened)
    with qtbot.waitSignal(opened.model_loaded, timeout=TIMEOUT):
        opened.show()
    return opened


@pytest.fixture(scope="module")
def review(imdb_split):
    return imdb_split.test.texts[3]


def open_model(qtbot, window, folder):
    with qtbot.waitSignals([window.model_loaded], timeout=TIMEOUT):
        window.open_model(folder)


def test_a_model_that_loops_on_reviews_is_stopped_and_the_window_still_closes(
        qtbot, window, tmp_path, review, monkeypatch):
    monkeypatch.setattr(main_window, "MODEL_SECONDS", 1.0)
    looping = forge.save(forge.looping(forge.load(), always=False), tmp_path / "loops")
    open_model(qtbot, window, looping)  # the load's check cannot see the loop
    window.show_review(review)
    qtbot.waitUntil(lambda: "took longer than 1 s" in window.review_view.verdict_panel.detail.text(), timeout=TIMEOUT)
    monkeypatch.setattr(main_window, "MODEL_SECONDS", 600.0)  # now one that would run for ten minutes
    open_model(qtbot, window, forge.save(forge.looping(forge.load(), always=False), tmp_path / "loops-long"))
    window.show_review(review + " again")
    qtbot.waitUntil(lambda: bool(_bundle._running), timeout=TIMEOUT)
    window.close()  # returns once the run is stopped, not after ten minutes
    assert not _bundle._running and window.review_view.verdict is None


def test_a_card_of_odd_types_switches_every_part_of_the_window(qtbot, window, tmp_path, review):
    folder = tmp_path / "odd-card"
    shutil.copytree(forge.SEED, folder)
    card = json.loads((folder / fmt.CARD_JSON).read_text(encoding="utf-8"))
    card["data"] = "x"
    card["metrics"]["test"].pop("n")
    (folder / fmt.CARD_JSON).write_text(json.dumps(card), encoding="utf-8")
    open_model(qtbot, window, folder)
    assert window.bundle.folder == folder and window.batch_view._bundle is window.bundle
    assert window.review_view._bundle is window.bundle
    assert "Loading" not in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.review_view.verdict_shown, timeout=TIMEOUT):
        window.show_review(review)
    assert window.review_view.verdict is not None


def test_the_batch_tab_survives_a_hostile_jsonl_line(qtbot, tmp_path, imdb_split, shipped_bundle):
    rows = [json.dumps({"text": t}) for t in imdb_split.test.texts[:5]]
    rows[1] = "[" * 3000 + "]" * 3000
    rows[3] = '{"text": "x", "n": ' + "9" * 4301 + "}"
    table = tmp_path / "r.jsonl"
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    view = BatchView()
    qtbot.addWidget(view)
    view.set_bundle(shipped_bundle)
    view.add_paths([table])
    view.set_mode(InputMode.JSONL)  # offers the fields: must not raise on the deep line
    assert view.field_box.currentText() == "text"
    with qtbot.waitSignal(view.run_finished, timeout=60_000):
        view.start()
    assert [(r.line, r.ok) for r in view.model.results] == [(1, True), (2, False), (3, True), (4, False), (5, True)]


@pytest.mark.parametrize("paste", [
    "!?" * SHOWN_CHARS,  # no word at all
    "x" * (2 * SHOWN_CHARS),  # one huge word
    "x" + "\u0316\u0301" * 128_000,  # a quarter megabyte of combining marks
], ids=["no-words", "one-huge-word", "combining-marks"])
def test_a_huge_paste_gets_a_verdict_and_only_a_bounded_view(qtbot, window, paste):
    with qtbot.waitSignal(window.review_view.verdict_shown, timeout=TIMEOUT) as shown:
        window.show_review(paste)
    assert shown.args[0] is not None
    assert window.review_view.model_view.document().characterCount() < SHOWN_CHARS * 1.1
