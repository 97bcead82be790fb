"""scripts/check_build.py, the gate CI puts on a built app: it must find TensorFlow and friends
wherever they hide in the folder, not mistake onnxruntime for onnx, and count size as `du` does."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_check_build():
    spec = importlib.util.spec_from_file_location("check_build", ROOT / "scripts" / "check_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_build = _load_check_build()


@pytest.fixture
def app(tmp_path) -> Path:
    """A built-app-shaped folder: the real shipped bundle, numpy/onnxruntime/Qt-like files."""
    app = tmp_path / "review-sentiment"
    internal = app / "_internal"
    models = ROOT / "models"
    current = (models / "CURRENT").read_text(encoding="utf-8").strip()
    shutil.copytree(models / current, internal / "models" / current)
    shutil.copy(models / "CURRENT", internal / "models" / "CURRENT")
    for name in ("onnxruntime/capi/onnxruntime_pybind11_state.so", "numpy/_core/_multiarray_umath.so",
                 "PySide6/Qt/lib/libQt6Core.so.6", "PySide6/Qt/plugins/platforms/libqxcb.so",
                 "onnxruntime-1.32.0.dist-info/METADATA"):
        (internal / name).parent.mkdir(parents=True, exist_ok=True)
        (internal / name).write_bytes(b"\x7fELF" + bytes(3000))
    (app / "review-sentiment").write_bytes(b"not a real executable")
    return app


def _add(app: Path, relative: str) -> None:
    path = app / "_internal" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 100)


def test_a_clean_folder_has_no_forbidden_files_and_its_model(app):
    assert check_build.forbidden_files(app) == []
    assert check_build.model_problems(app) == []
    assert check_build.unwanted_qt_files(app) == []


@pytest.mark.parametrize("relative, reported", [
    ("tensorflow/python/__init__.py", "_internal/tensorflow"),
    ("keras/src/layers/core.py", "_internal/keras"),
    ("tf2onnx/convert.py", "_internal/tf2onnx"),
    ("onnx/onnx_cpp2py_export.so", "_internal/onnx"),
    ("matplotlib/pyplot.py", "_internal/matplotlib"),
    ("pandas-2.2.3.dist-info/METADATA", "_internal/pandas-2.2.3.dist-info"),
    ("libtensorflow_framework.so.2", "_internal/libtensorflow_framework.so.2"),
    ("trainer/train.py", "_internal/trainer"),
])
def test_each_forbidden_package_is_found_once_by_its_outermost_folder(app, relative, reported):
    _add(app, relative)
    assert check_build.forbidden_files(app) == [reported]


def test_forbidden_modules_frozen_into_the_executable_are_named():
    modules = ["numpy._core", "onnxruntime.capi", "keras.layers", "keras", "trainer.train", "desktop.app",
               "onnx.helper", "PySide6.QtCore"]
    assert check_build.forbidden_modules(modules) == ["keras", "onnx", "trainer"]


def test_qt_translations_and_unused_modules_are_reported(app):
    _add(app, "PySide6/Qt/translations/qtbase_de.qm")
    _add(app, "PySide6/Qt/lib/libQt6Network.so.6")
    assert check_build.unwanted_qt_files(app) == [
        "_internal/PySide6/Qt/lib/libQt6Network.so.6", "_internal/PySide6/Qt/translations"]


def test_a_missing_or_dangling_model_is_reported(app):
    models = app / "_internal" / "models"
    current = (models / "CURRENT").read_text(encoding="utf-8").strip()
    (models / current / "samples.jsonl").unlink()
    assert check_build.model_problems(app) == [f"{models / current} lacks samples.jsonl"]
    (models / "CURRENT").unlink()
    assert check_build.model_problems(app) == [f"{models / 'CURRENT'} is missing"]


def test_disk_usage_counts_what_du_counts(app):
    (app / "_internal" / "link-to-core").symlink_to("PySide6/Qt/lib/libQt6Core.so.6")
    du = subprocess.run(["du", "-s", "-B1", str(app)], capture_output=True, text=True, check=True)
    assert check_build.disk_usage(app) == int(du.stdout.split()[0])


def test_check_fails_on_an_executable_it_cannot_read_and_on_the_budget(app):
    problems, size = check_build.check(app, budget_mb=0.01)
    assert any("cannot read the frozen modules" in p for p in problems)
    assert any(f"takes {size / 1e6:.1f} MB on disk, over the 0.01 MB budget" in p for p in problems)


def test_the_command_exits_1_and_names_each_problem(app, capsys):
    _add(app, "tensorflow/__init__.py")
    assert check_build.main([str(app)]) == 1
    err = capsys.readouterr().err
    assert "contains _internal/tensorflow" in err
    assert "FAILED" in err


def test_a_missing_folder_is_a_clear_failure(tmp_path, capsys):
    assert check_build.main([str(tmp_path / "dist" / "nothing")]) == 1
    assert "build the app first" in capsys.readouterr().err
