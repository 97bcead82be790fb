"""`python -m desktop classify`: records, exit codes, atomic output, and the same numbers as the app."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.__main__ import main as desktop_main
from review_sentiment._cli import main
from review_sentiment._classify import classify_text
from tests.test_batch import same_probability

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def reviews(imdb_split):
    return [" ".join(t.split()) for t in imdb_split.test.texts[20:30]]


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_folder_to_csv_on_stdout_with_the_single_review_probabilities(capsys, tmp_path, reviews, shipped_bundle):
    for i, text in enumerate(reviews):
        (tmp_path / f"r{i}.txt").write_text(text, encoding="utf-8")
    code, out, err = run_cli(capsys, tmp_path)
    assert code == 0
    rows = read_csv(out)
    assert [r["source"] for r in rows] == [str(tmp_path / f"r{i}.txt") for i in range(len(reviews))]
    for row, text in zip(rows, reviews):
        verdict = classify_text(shipped_bundle, text)
        assert same_probability(shipped_bundle, float(row["probability"]), verdict.probability)
        assert row["label"] == verdict.label
        assert row["line"] == "" and row["error"] == ""
        # Every record names the model that made it, and its word index.
        assert (row["model"], row["word_index_sha256"]) == (shipped_bundle.name, shipped_bundle.word_index.sha256)
    assert f"{len(reviews)} records" in err and "0 failed" in err


def test_per_line_jsonl_output_file(capsys, tmp_path, reviews, shipped_bundle):
    source = tmp_path / "lines.txt"
    source.write_text("\n".join(reviews), encoding="utf-8")
    output = tmp_path / "out.jsonl"
    code, out, _err = run_cli(capsys, "--per-line", source, "--output", output)
    assert code == 0 and out == ""
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in records] == list(range(1, len(reviews) + 1))
    assert {"source", "line", "label", "probability", "error", "model", "word_index_sha256"} <= set(records[0])
    assert records[0]["model"] == shipped_bundle.name and "text" not in records[0]
    assert same_probability(shipped_bundle, records[3]["probability"], classify_text(shipped_bundle, reviews[3]).probability)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lines.txt", "out.jsonl"]  # no temporary file left
    assert output.stat().st_mode & 0o777 == source.stat().st_mode & 0o777  # an ordinary file, not a private one


def test_some_inputs_failed_gives_exit_1_and_the_rest_is_written(capsys, tmp_path, reviews):
    (tmp_path / "a.txt").write_text(reviews[0])
    (tmp_path / "b.txt").write_bytes(gzip.compress(reviews[1].encode()))
    (tmp_path / "c.txt").write_bytes(b"")
    (tmp_path / "d.txt").write_text(reviews[2])
    code, out, err = run_cli(capsys, tmp_path, tmp_path / "missing.txt")
    assert code == 1
    rows = read_csv(out)
    assert [r["error"] == "" for r in rows] == [True, False, False, True, False]
    assert "binary" in rows[1]["error"] and rows[1]["label"] == "" and rows[1]["probability"] == ""
    assert "empty" in rows[2]["error"]
    assert "missing.txt" in rows[4]["error"]
    assert "3 failed" in err and str(tmp_path / "b.txt") in err


def test_csv_and_jsonl_modes(capsys, tmp_path, reviews):
    table = tmp_path / "t.csv"
    with open(table, "w", newline="") as f:
        csv.writer(f).writerows([["id", "review"], [1, reviews[0]], [2], [3, reviews[1]]])
    code, out, _ = run_cli(capsys, "--csv-column", "review", table)
    rows = read_csv(out)
    assert code == 1 and [r["line"] for r in rows] == ["2", "3", "4"]
    assert "line 3" in rows[1]["error"]
    lines = tmp_path / "t.jsonl"
    lines.write_text(json.dumps({"review": reviews[0]}) + "\nnot json\n")
    code, out, _ = run_cli(capsys, "--jsonl-field", "review", "--format", "jsonl", lines)
    records = [json.loads(x) for x in out.splitlines()]
    assert code == 1 and records[0]["error"] == "" and "line 2: not valid JSON" in records[1]["error"]


def test_standard_input_per_line(tmp_path, reviews):
    result = subprocess.run([sys.executable, "-m", "desktop", "classify", "--per-line", "-", "--format", "jsonl"],
                            input="\n".join(reviews[:3]).encode(), capture_output=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    records = [json.loads(x) for x in result.stdout.decode().splitlines()]
    assert [(r["source"], r["line"]) for r in records] == [("-", 1), ("-", 2), ("-", 3)]


@pytest.mark.parametrize("args", [[], ["--per-line", "--csv-column", "x", "f.txt"], ["--uncertain-band", "2", "f.txt"],
                                  ["--format", "xml", "f.txt"], ["--csv-column", "", "f.txt"], ["-", "-"],
                                  ["--model", "/nonexistent/model", "f.txt"]])
def test_usage_errors_exit_2(capsys, args):
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and out == "" and "error" in err


def test_existing_output_is_not_overwritten_without_force(capsys, tmp_path, reviews):
    (tmp_path / "r.txt").write_text(reviews[0])
    output = tmp_path / "results.csv"
    output.write_text("precious\n")
    code, _out, err = run_cli(capsys, tmp_path / "r.txt", "-o", output)
    assert code == 2 and "already exists" in err and "--force" in err
    assert output.read_text() == "precious\n"
    code, _out, _err = run_cli(capsys, tmp_path / "r.txt", "-o", output, "--force")
    assert code == 0 and read_csv(output.read_text())[0]["source"] == str(tmp_path / "r.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt", "results.csv"]  # no temporary file left


def test_unwritable_output_leaves_nothing_behind(capsys, tmp_path, reviews):
    (tmp_path / "r.txt").write_text(reviews[0])
    code, _out, err = run_cli(capsys, tmp_path / "r.txt", "-o", tmp_path / "no-such-folder" / "out.csv")
    assert code == 2 and "does not exist" in err and "nothing was written" in err  # issue 13, point 13


def test_dispatch_through_python_m_desktop(capsys, tmp_path, reviews):
    (tmp_path / "r.txt").write_text(reviews[0])
    assert desktop_main(["classify", "--quiet", str(tmp_path / "r.txt")]) == 0
    out, err = capsys.readouterr()
    assert len(read_csv(out)) == 1 and err == ""


def _without_root_file_access():
    """In the child, before exec: drop the capabilities that let root read any file (Linux)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for capability in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="permission set-up is Linux-specific")
def test_permission_denied_is_one_failed_row(tmp_path, reviews):
    """A real permission denial from the kernel. Tests may run as root, who may read anything,
    so the CLI then runs without root's file-access capabilities."""
    (tmp_path / "a.txt").write_text(reviews[0])
    (tmp_path / "secret.txt").write_text(reviews[1])
    os.chmod(tmp_path / "secret.txt", 0)
    try:
        preexec = _without_root_file_access if os.geteuid() == 0 else None
        result = subprocess.run([sys.executable, "-m", "desktop", "classify", str(tmp_path)], capture_output=True,
                                cwd=ROOT, timeout=120, preexec_fn=preexec)
        rows = read_csv(result.stdout.decode())
        assert result.returncode == 1, result.stderr.decode()
        assert [r["source"] for r in rows] == [str(tmp_path / "a.txt"), str(tmp_path / "secret.txt")]
        assert rows[0]["error"] == "" and "permission denied" in rows[1]["error"]
        assert "secret.txt" in result.stderr.decode()
    finally:
        os.chmod(tmp_path / "secret.txt", stat.S_IRUSR | stat.S_IWUSR)


@pytest.mark.parametrize("output", ["out.csv", "out.jsonl"])
@pytest.mark.parametrize("explain", [[], ["--explain"]])
def test_worker_processes_write_byte_for_byte_what_one_process_writes(capsys, tmp_path, reviews, output, explain):
    """--jobs 2 runs the model (and formats explanations) in worker processes: the same bytes as --jobs 0."""
    source = tmp_path / "reviews.txt"
    source.write_text("\n".join(" ".join(r.split()) for r in reviews) + "\n\nLoved it!\n\U0001f600\n", encoding="utf-8")
    written = {}
    for jobs in ("0", "2"):
        target = tmp_path / jobs / output
        target.parent.mkdir()
        code, _out, err = run_cli(capsys, "--per-line", str(source), "--jobs", jobs, "--batch-size", "16", *explain,
                                  "-o", str(target))
        assert code == 0, err
        written[jobs] = target.read_bytes()
    assert written["0"] == written["2"] and written["0"].count(b"\n") == len(reviews) + 2 + output.endswith(".csv")
