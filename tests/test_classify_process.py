"""`python -m review_sentiment classify` as a process of its own: it ends without tearing the
interpreter down (`exit_without_teardown`), so check that its output is complete, that no worker
survives it, and that neither it nor the library leaves onnxruntime's telemetry store behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], home: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("ORT_DISABLE_TELEMETRY", None)  # the program's own setting, not the test runner's
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, timeout=300, **kwargs)


def _processes_naming(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only; /proc")
@pytest.mark.parametrize("jobs", ["0", "2"])
def test_the_command_writes_every_record_and_leaves_no_process_behind(tmp_path, imdb_split, jobs):
    texts = [" ".join(t.split()) for t in imdb_split.test.texts[:3000]]
    reviews = tmp_path / f"reviews-{jobs}-marker.txt"
    reviews.write_text("\n".join(texts) + "\n", encoding="utf-8")
    output = tmp_path / "out.csv"
    done = _run(["-m", "review_sentiment", "classify", "--per-line", "--jobs", jobs, "-o", str(output), str(reviews)],
                tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert b"3,000 records" in done.stderr  # the summary reached stderr before the exit
    lines = output.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + len(texts) and lines[-1].startswith(f"{reviews},{len(texts)},")
    deadline = time.monotonic() + 5
    while _processes_naming(str(reviews)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_naming(str(reviews)) == []


def test_the_command_writes_every_record_to_a_pipe(tmp_path, imdb_split):
    texts = [" ".join(t.split()) for t in imdb_split.test.texts[:500]]
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("\n".join(texts) + "\n", encoding="utf-8")
    done = _run(["-m", "review_sentiment", "classify", "--per-line", "--quiet", "--format", "jsonl", str(reviews)], tmp_path)
    assert done.returncode == 0 and done.stdout.endswith(b"}\n") and done.stdout.count(b"\n") == len(texts)


def _telemetry_files(home: Path) -> list[Path]:
    return [p for p in (home / ".cache").rglob("*") if p.is_file()] if (home / ".cache").exists() else []


def test_classifying_leaves_no_telemetry_store(tmp_path):
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("A wonderful film.\nDull and far too long.\n", encoding="utf-8")
    done = _run(["-m", "review_sentiment", "classify", "--per-line", "--quiet", str(reviews)], tmp_path)
    assert done.returncode == 0 and _telemetry_files(tmp_path) == []


def test_the_library_leaves_no_telemetry_store(tmp_path):
    code = "import review_sentiment; print(review_sentiment.load().predict(['A wonderful film.']))"
    done = _run(["-c", code], tmp_path)
    assert done.returncode == 0 and b"positive" in done.stdout, done.stderr.decode()
    assert _telemetry_files(tmp_path) == []
