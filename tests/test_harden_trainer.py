"""Issue 13, points 14 and 15: the trainer refuses data and options that cannot make a usable
bundle before TensorFlow loads, and leaves nothing behind from a run that was killed."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import regex

from review_sentiment import bundle_format as fmt
from trainer import install
from trainer.cli import main as trainer_main


@pytest.fixture(scope="module")
def labelled(imdb_split):
    """Two hundred real reviews with their labels."""
    return list(zip(imdb_split.train.texts[:200], imdb_split.train.labels[:200].tolist()))


def train(capsys, tmp_path: Path, *args) -> tuple[int, str]:
    code = trainer_main([*map(str, args), "--output", str(tmp_path / "out"), "--epochs", "1"])
    return code, capsys.readouterr().err


def test_texts_without_words_are_refused_before_training(capsys, tmp_path, labelled):
    table = tmp_path / "no-words.csv"
    with open(table, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows((regex.sub(r"[\p{L}\p{M}\p{N}]", "", text), label) for text, label in labelled)
    code, err = train(capsys, tmp_path, "--data", "table", "--data-path", table)
    assert code == 2 and "0 distinct words" in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("value, kind", [("null", "null"), ("5", "a JSON int"), ("[\"a\"]", "a JSON list")])
def test_a_jsonl_text_that_is_not_text_is_refused_with_its_line(capsys, tmp_path, labelled, value, kind):
    table = tmp_path / "reviews.jsonl"
    rows = [json.dumps({"text": t, "label": y}) for t, y in labelled[:50]]
    rows[7] = f'{{"text": {value}, "label": 1}}'
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, err = train(capsys, tmp_path, "--data", "table", "--data-path", table)
    assert code == 2 and f"line 8: the field 'text' is {kind}, not text" in err


@pytest.mark.parametrize("option, value", [("--max-length", 100_000_000), ("--vocab-size", 10**12)])
def test_huge_settings_are_refused_before_tensorflow_loads(capsys, tmp_path, option, value):
    code, err = train(capsys, tmp_path, option, value)
    assert code == 2 and "at most" in err and "Traceback" not in err


def test_an_unwritable_output_is_found_before_training(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    code = trainer_main(["--output", str(blocker / "bundle"), "--limit", "200", "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot be written" in err and "nothing was trained" in err


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_of_a_killed_run_are_removed_and_a_live_runs_are_kept(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    for pid in (dead, alive):
        (tmp_path / f".models-staging-{pid}-x1y2").mkdir()
        (tmp_path / f".models-staging-{pid}-x1y2" / fmt.MODEL_FILE).write_bytes(b"half a model")
        (tmp_path / f".{fmt.CURRENT_POINTER}.{pid}.tmp").write_text("bundle\n", encoding="utf-8")
    (tmp_path / "seed-1").mkdir()
    removed = install.remove_leftovers(tmp_path)
    assert sorted(p.name for p in removed) == sorted([f".models-staging-{dead}-x1y2", f".CURRENT.{dead}.tmp"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f".models-staging-{alive}-x1y2", f".CURRENT.{alive}.tmp", "seed-1"])


def test_a_killed_install_is_cleaned_by_the_next(tmp_path):
    """kill -9 in the middle of a run, for real: a child stages a bundle and dies by SIGKILL."""
    models = tmp_path / "models"
    models.mkdir()
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from trainer import install\n"
        f"with install.staging_folder(Path({str(models)!r})) as staged:\n"
        "    (staged / 'model.onnx').write_bytes(b'x' * 1000)\n"
        f"    Path({str(models)!r}, '.CURRENT.%d.tmp' % os.getpid()).write_text('x')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert any(p.name.startswith(".models-staging-") for p in tmp_path.iterdir())
    assert any(p.name.startswith(".CURRENT.") for p in models.iterdir())
    with install.staging_folder(models) as staged:
        (staged / fmt.MODEL_FILE).write_bytes(b"a model")
        install.install_into_models(staged, models, "bundle-1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models"]
    assert sorted(p.name for p in models.iterdir()) == [fmt.CURRENT_POINTER, "bundle-1"]
    assert (models / fmt.CURRENT_POINTER).read_text(encoding="utf-8") == "bundle-1\n"
