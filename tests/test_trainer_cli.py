"""`python -m trainer`: a real smoke run through train -> export -> onnxruntime parity, evaluation
of the shipped bundle, interruption, and every bad input (exit 2, models/ untouched)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from review_sentiment import bundle_format as fmt

ROOT = Path(__file__).resolve().parents[1]


def trainer(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trainer", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=timeout, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
    )


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def models_copy(tmp_path):
    """A copy of the shipped models/ folder for runs that would otherwise install into it."""
    import shutil

    target = tmp_path / "project" / "models"
    shutil.copytree(ROOT / "models", target)
    return target


def test_help_answers_without_importing_tensorflow():
    code = ("import sys, contextlib, io\nfrom trainer.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    try: main(['--help'])\n    except SystemExit: pass\n"
            "assert '--arch' in out.getvalue() and '--limit' in out.getvalue()\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_smoke_run_trains_exports_and_verifies(tmp_path, models_copy):
    before = tree_digest(models_copy)
    out = tmp_path / "bundle"
    result = trainer("--arch", "seed", "--limit", "2000", "--epochs", "2", "--output", str(out),
                     "--models-dir", str(models_copy))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Epoch 2/2" in result.stdout and "Total params: 160,289" in result.stdout
    for name in (fmt.MODEL_FILE, fmt.CARD_JSON, fmt.CARD_MARKDOWN, fmt.CURVES_PNG, fmt.SUMMARY_TXT, fmt.SAMPLES_JSONL):
        assert (out / name).is_file(), name
    card = json.loads((out / fmt.CARD_JSON).read_text())
    assert card["data"]["split_sizes"] == {"train": 1197, "validation": 402, "test": 402}
    assert card["epochs_run"] == 2 and card["parameters"] == 160_289
    assert card["export"]["parity_max_abs_diff"] <= 1e-5
    for key in ("accuracy", "precision", "recall", "f1", "ece", "confusion_matrix"):
        assert key in card["metrics"]["test"]
    assert tree_digest(models_copy) == before  # --output never touches models/

    # The exported bundle, run by onnxruntime through the app's loader, scores what the card says.
    evaluated = trainer("evaluate", "--model", str(out), "--limit", "2000", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["accuracy"] == pytest.approx(card["metrics"]["test"]["accuracy"], abs=1e-9)

    again = trainer("--limit", "2000", "--epochs", "1", "--output", str(out))
    assert again.returncode == 2 and "not empty" in again.stderr and "--force" in again.stderr


@pytest.mark.slow
def test_default_run_installs_a_new_bundle_and_keeps_the_previous(tmp_path, models_copy):
    previous = (models_copy / fmt.CURRENT_POINTER).read_text().strip()
    result = trainer("--limit", "1000", "--epochs", "1", "--models-dir", str(models_copy))
    assert result.returncode == 0, result.stderr[-3000:]
    current = (models_copy / fmt.CURRENT_POINTER).read_text().strip()
    assert current != previous and (models_copy / current / fmt.MODEL_FILE).is_file()
    assert (models_copy / previous / fmt.MODEL_FILE).is_file()  # recoverable: point CURRENT back
    # The one-column table is read with GatherElements (trainer/export.py), not onnxruntime's slow Gather.
    import onnx

    ops = [node.op_type for node in onnx.load(str(models_copy / current / fmt.MODEL_FILE)).graph.node]
    assert ops.count("GatherElements") == 1 and "Gather" not in ops
    assert not [p for p in models_copy.parent.iterdir() if "staging" in p.name]


@pytest.mark.slow
def test_interrupted_run_leaves_models_byte_for_byte_unchanged(models_copy):
    before = tree_digest(models_copy)
    process = subprocess.Popen(
        [sys.executable, "-m", "trainer", "--limit", "3000", "--epochs", "200", "--models-dir", str(models_copy)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"},
    )
    seen = []
    for line in process.stdout:  # interrupt once training is under way
        seen.append(line)
        if line.startswith("Epoch 3/"):
            break
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    assert process.returncode != 0, "".join(seen) + output
    assert "nothing was installed" in output
    assert tree_digest(models_copy) == before
    assert not [p for p in models_copy.parent.iterdir() if "staging" in p.name]


def test_evaluate_reproduces_the_shipped_cards_test_metrics():
    card = json.loads((ROOT / "models" / (ROOT / "models" / fmt.CURRENT_POINTER).read_text().strip() / fmt.CARD_JSON).read_text())
    result = trainer("evaluate", "--json")
    assert result.returncode == 0, result.stderr
    scored = json.loads(result.stdout)
    assert scored["n"] == card["metrics"]["test"]["n"] == 5000
    for key in ("accuracy", "f1", "ece"):
        assert scored[key] == pytest.approx(card["metrics"]["test"][key], abs=1e-9), key
    assert scored["accuracy"] >= 0.86


def test_shipped_card_holds_what_the_issue_asks_for():
    folder = ROOT / "models" / (ROOT / "models" / fmt.CURRENT_POINTER).read_text().strip()
    card = json.loads((folder / fmt.CARD_JSON).read_text())
    for key in ("data", "seed", "architecture", "hyperparameters", "epochs_run", "parameters", "created", "versions"):
        assert key in card, key
    assert card["data"]["source"] == "imdb" and card["data"]["split_sizes"]["test"] == 5000
    assert (folder / fmt.CURVES_PNG).read_bytes()[:4] == b"\x89PNG"


def _write_keras_cache(home: Path, sequences, labels, words: dict[str, int]) -> None:
    datasets = home / "datasets"
    datasets.mkdir(parents=True)
    half = len(sequences) // 2
    as_objects = lambda seqs: np.array([list(s) for s in seqs] + [None], dtype=object)[:-1]  # noqa: E731
    np.savez(datasets / "imdb.npz", x_train=as_objects(sequences[:half]), y_train=np.array(labels[:half]),
             x_test=as_objects(sequences[half:]), y_test=np.array(labels[half:]))
    (datasets / "imdb_word_index.json").write_text(json.dumps(words), encoding="utf-8")


def test_keras_datasets_path_reads_the_offline_cache(tmp_path, imdb_split):
    """The tutorial's data: integer sequences + keras's word index, placed in a temporary Keras cache."""
    texts = imdb_split.train.texts[:40]
    labels = imdb_split.train.labels[:40].tolist()
    from review_sentiment.encoding import words as contract_words

    vocabulary: dict[str, int] = {}
    sequences = [[vocabulary.setdefault(w, len(vocabulary) + 1) for w in contract_words(t)] for t in texts]
    _write_keras_cache(tmp_path / "keras", sequences, labels, vocabulary)
    code = ("import json, sys\nfrom trainer.data import load_keras_imdb\nr = load_keras_imdb()\n"
            "print(json.dumps({'texts': r.texts, 'labels': r.labels.tolist()}))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "KERAS_HOME": str(tmp_path / "keras"), "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["labels"] == labels
    assert loaded["texts"] == [" ".join(contract_words(t)) for t in texts]


BAD_INPUTS = [
    (["--data", "aclimdb", "--data-path", "/nonexistent/aclImdb"], "no such folder"),
    (["--data", "table", "--data-path", "/nonexistent/reviews.csv"], "file not found"),
    (["--data", "table"], "needs --data-path"),
    (["--limit", "0"], "--limit must be at least 1"),
    (["--epochs", "-3"], "--epochs must be at least 1"),
    (["--vocab-size", "3"], "vocab_size"),
    (["--max-length", "0"], "max_length"),
]


@pytest.mark.parametrize("args, message", BAD_INPUTS)
def test_bad_options_exit_2_with_a_clear_message_and_write_nothing(args, message, models_copy):
    before = tree_digest(models_copy)
    result = trainer(*args, "--models-dir", str(models_copy))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert tree_digest(models_copy) == before


@pytest.mark.parametrize("content, message", [
    ("review,label\ngood,1\n", "no column named 'text'"),
    ("text,label\n", "no labelled reviews"),
    ("text,label\n\"great film\",1\n\"so so\",perhaps\n", "line 3: unknown label 'perhaps'"),
    ("text,label\n" + "".join(f"\"review {i}\",1\n" for i in range(30)), "both positive and negative"),
])
def test_bad_tables_exit_2_and_name_the_problem(tmp_path, models_copy, content, message):
    path = tmp_path / "reviews.csv"
    path.write_text(content, encoding="utf-8")
    before = tree_digest(models_copy)
    result = trainer("--data", "table", "--data-path", str(path), "--models-dir", str(models_copy))
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert tree_digest(models_copy) == before


def test_corrupt_keras_npz_exits_2(tmp_path, models_copy):
    datasets = tmp_path / "keras" / "datasets"
    datasets.mkdir(parents=True)
    (datasets / "imdb.npz").write_bytes(b"PK\x03\x04 this is not a real archive")
    (datasets / "imdb_word_index.json").write_text("{}", encoding="utf-8")
    before = tree_digest(models_copy)
    result = trainer("--data", "keras", "--models-dir", str(models_copy), env={"KERAS_HOME": str(tmp_path / "keras")})
    assert result.returncode == 2 and "imdb.npz: not a readable imdb.npz" in result.stderr, result.stderr[-2000:]
    assert tree_digest(models_copy) == before


def test_evaluate_refuses_a_file_that_is_not_a_model(tmp_path):
    bogus = tmp_path / "model.onnx"
    bogus.write_bytes(b"not onnx at all")
    result = trainer("evaluate", "--model", str(bogus))
    assert result.returncode == 2 and "model.onnx" in result.stderr and "not a readable ONNX model" in result.stderr
