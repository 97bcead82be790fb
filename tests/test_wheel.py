"""The wheel as a new user gets it: built from this checkout, installed into a fresh virtual
environment at the lock file's versions, and used from a folder outside the checkout, with the
model it carries: `review-sentiment classify`, `review_sentiment.load()` and the app's window."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import review_sentiment

ROOT = Path(__file__).resolve().parents[1]
REVIEWS = 1000


def run(*command, **options) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=600, **options)
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the wheel, the python of a fresh venv holding it and the runtime dependencies only)."""
    uv = shutil.which("uv")
    assert uv, "the wheel test needs uv (pip install uv)"
    work = tmp_path_factory.mktemp("wheel")
    run(uv, "build", "--wheel", "--quiet", "--out-dir", work / "dist", cwd=ROOT)
    (wheel,) = (work / "dist").glob("review_sentiment-*.whl")
    requirements = work / "requirements.txt"
    run(uv, "export", "--quiet", "--frozen", "--no-dev", "--no-default-groups", "--no-emit-project",
        "--no-hashes", "--output-file", requirements, cwd=ROOT)
    run(uv, "venv", "--quiet", "--python", sys.executable, work / "venv")
    python = work / "venv" / "bin" / "python"
    run(uv, "pip", "install", "--quiet", "--python", python, "-r", requirements, wheel, cwd=work)
    return wheel, python


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory, imdb_split):
    """A folder outside the checkout holding real test reviews, one per line."""
    folder = tmp_path_factory.mktemp("elsewhere")
    texts = [" ".join(t.split()) for t in imdb_split.test.texts[:REVIEWS]]
    (folder / "reviews.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    return folder, texts


def clean_environment(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(extra)
    return env


def test_the_wheel_holds_the_core_the_app_and_the_model_but_no_desktop_or_trainer(installed):
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"review_sentiment", "review_sentiment_desktop"}
    current = (ROOT / "models" / "CURRENT").read_text(encoding="utf-8").strip()
    assert f"review_sentiment/models/{current}/model.onnx" in names
    assert "review_sentiment/models/CURRENT" in names
    assert "review_sentiment_desktop/icons/review-sentiment-256.png" in names


def test_classify_command_and_load_from_the_wheel_match_the_checkout(installed, elsewhere):
    _, python = installed
    folder, texts = elsewhere
    command = python.parent / "review-sentiment"
    run(command, "classify", "--per-line", "--quiet", "--output", "verdicts.jsonl", "reviews.txt",
        cwd=folder, env=clean_environment())
    records = [json.loads(line) for line in (folder / "verdicts.jsonl").read_text(encoding="utf-8").splitlines()]
    expected = review_sentiment.load().predict_proba(texts).tolist()
    assert [r["probability"] for r in records] == expected

    code = textwrap.dedent("""
        import json, sys
        import review_sentiment
        model = review_sentiment.load()
        texts = open("reviews.txt", encoding="utf-8").read().splitlines()
        print(json.dumps({"where": review_sentiment.__file__, "model": str(model.path),
                          "p": model.predict_proba(texts).tolist()}))
    """)
    out = json.loads(run(python, "-c", code, cwd=folder, env=clean_environment()).stdout)
    assert out["p"] == expected
    site = str(python.parents[1])
    assert out["where"].startswith(site) and out["model"].startswith(site)  # not the checkout's


def test_the_review_sentiment_command_opens_the_app_from_the_wheel(installed, elsewhere):
    _, python = installed
    folder, texts = elsewhere
    (folder / "review.txt").write_text(texts[0], encoding="utf-8")
    driver = textwrap.dedent("""
        import sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        import review_sentiment_desktop.__main__ as entry
        from review_sentiment_desktop.ui.main_window import MainWindow

        def drive():
            window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
            def shown(verdict, seconds):
                if verdict is not None:
                    print("SHOWN", verdict.label, verdict.probability, flush=True)
                    window.close()
            window.review_view.verdict_shown.connect(shown)

        QTimer.singleShot(0, drive)
        QTimer.singleShot(60_000, QApplication.quit)  # never hang a test run
        from review_sentiment_desktop.app import window_icon_file
        print("ICON", window_icon_file())
        print("EXIT", entry.main(["review.txt"]))
        print("DESKTOP", sorted(n for n in sys.modules if n.split(".")[0] in ("desktop", "trainer")))
    """)
    env = clean_environment(QT_QPA_PLATFORM="offscreen", REVIEW_SENTIMENT_SETTINGS=str(folder / "settings.ini"))
    out = run(python, "-c", driver, cwd=folder, env=env).stdout
    expected = review_sentiment.load().classify([texts[0]])[0]
    assert f"SHOWN {expected.label} " in out and "EXIT 0" in out and "DESKTOP []" in out, out
    assert f"ICON {python.parents[1]}" in out, out  # the icon the wheel carries, not the checkout's

    no_display = subprocess.run([python.parent / "review-sentiment"], cwd=folder, env=clean_environment(),
                                capture_output=True, text=True, timeout=120)
    assert no_display.returncode == 1
    assert "no display" in no_display.stderr and "`review-sentiment classify FILE`" in no_display.stderr
