"""Starting the app for real, in a separate process: no TensorFlow, no crash without a display,
two copies at once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from desktop.app import display_problem
from desktop.ui import settings as keys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Starts the app through desktop.app.main with a review file, waits for the verdict, closes the
# window, and prints what it saw and which forbidden modules were imported along the way.
DRIVER = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    import desktop.app as app_module
    from desktop.ui.main_window import MainWindow

    app = app_module.create_application()

    def drive():
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))

        def shown(verdict, seconds):
            if verdict is not None:
                print("LABEL", verdict.label, flush=True)
                window.review_view.set_band(float(sys.argv[2]))
                window.close()

        window.review_view.verdict_shown.connect(shown)

    QTimer.singleShot(0, drive)
    QTimer.singleShot(60_000, app.quit)  # never hang a test run
    code = app_module.main([sys.argv[1]])
    roots = {name.split(".")[0] for name in sys.modules}
    print("EXIT", code)
    print("FORBIDDEN", sorted(roots & {"tensorflow", "keras", "tf2onnx", "onnx", "trainer"}))
""")


def _environment(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update({"QT_QPA_PLATFORM": "offscreen", keys.SETTINGS_FILE_ENV: str(tmp_path / "settings.ini")})
    env.update(extra)
    return env


def _start(tmp_path, review_file, band: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(review_file), str(band)],
        cwd=ROOT, env=_environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.fixture
def review_file(tmp_path, imdb_split, shipped_bundle):
    texts = imdb_split.test.texts[:200]
    probabilities = shipped_bundle.classify_texts(texts)
    text = next(t for t, y, p in zip(texts, imdb_split.test.labels, probabilities) if y == 1 and p > 0.9)
    path = tmp_path / "review.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_app_starts_and_classifies_without_tensorflow(tmp_path, review_file):
    process = _start(tmp_path, review_file, 0.3)
    out, err = process.communicate(timeout=120)
    assert "LABEL positive" in out, err
    assert "EXIT 0" in out, err
    assert "FORBIDDEN []" in out, out


def test_two_copies_at_once_both_work_and_settings_stay_readable(tmp_path, review_file):
    first, second = _start(tmp_path, review_file, 0.3), _start(tmp_path, review_file, 0.5)
    for process in (first, second):
        out, err = process.communicate(timeout=120)
        assert "LABEL positive" in out and "EXIT 0" in out, err
    stored = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert stored.status() == QSettings.Status.NoError
    assert keys.read_float(stored, keys.UNCERTAIN_BAND, -1, 0, 1) in (pytest.approx(0.3), pytest.approx(0.5))


def test_without_a_display_it_says_so_in_one_line_and_exits_1(tmp_path):
    env = _environment(tmp_path)
    del env["QT_QPA_PLATFORM"]
    result = subprocess.run([sys.executable, "-m", "desktop"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no display" in lines[0], result.stderr


@pytest.mark.parametrize("environ, usable", [
    ({}, False),
    ({"DISPLAY": ":0"}, True),
    ({"WAYLAND_DISPLAY": "wayland-0"}, True),
    ({"QT_QPA_PLATFORM": "offscreen"}, True),
    ({"QT_QPA_PLATFORM": "xcb"}, False),
    ({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":1"}, True),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, True),
    ({"QT_QPA_PLATFORM": "wayland"}, False),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, True),
])
def test_display_check(environ, usable):
    assert (display_problem(environ, "linux") is None) == usable
    assert display_problem(environ, "win32") is None


def test_help_exits_cleanly(tmp_path):
    result = subprocess.run([sys.executable, "-m", "desktop", "--help"], cwd=ROOT, env=_environment(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--model" in result.stdout


def test_the_app_has_its_icon_even_when_started_outside_a_launcher(qapp):
    from desktop.app import create_application, window_icon_file

    assert window_icon_file() is not None
    assert not create_application().windowIcon().isNull()


def test_the_linux_launcher_claims_no_file_type():
    """Claiming text/plain made the app the handler of every .txt file on a desktop."""
    entry = (Path(__file__).resolve().parents[1] / "packaging" / "linux" / "review-sentiment.desktop").read_text()
    keys = dict(line.split("=", 1) for line in entry.splitlines() if "=" in line and not line.startswith("#"))
    assert "MimeType" not in keys and keys["Exec"].endswith(" %f")
