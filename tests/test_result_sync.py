"""A long output is synced to disk in the background while the run writes on (`_export._EarlySync`),
so the fsync before it is published finds little left: the same bytes are published, and no sync
thread is left behind, whether the run ends well or fails half-way (then nothing is kept)."""

from __future__ import annotations

import os
import threading

import pytest

from review_sentiment import _export, _reading as reading
from review_sentiment._batch import ReviewResult
from review_sentiment._cli import main as classify_main
from review_sentiment._export import ResultWriter


def _sync_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "result sync"]


@pytest.mark.parametrize("jobs", ["0", "2"])
def test_a_run_synced_as_it_goes_publishes_the_same_bytes(tmp_path, imdb_split, monkeypatch, jobs):
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("\n".join(" ".join(t.split()) for t in imdb_split.test.texts[:400]) + "\n", encoding="utf-8")
    output = tmp_path / "explained.jsonl"
    command = ["--per-line", "--quiet", "--explain", "--jobs", jobs, "--force", "--output", str(output), str(reviews)]
    assert classify_main(command) == 0
    whole = output.read_bytes()
    assert len(whole) > 2_000_000
    started = []
    sync = _export._EarlySync._sync

    def counted_sync(self):  # the real sync, counted
        started.append(self)
        sync(self)

    monkeypatch.setattr(reading, "BLOCK_BYTES", 32 * 1024)  # some 16 blocks of records, written one by one
    monkeypatch.setattr(_export, "SYNC_BYTES", 64 * 1024)  # a sync after every block or two
    monkeypatch.setattr(_export._EarlySync, "_sync", counted_sync)
    assert classify_main(command) == 0  # over the first output (--force)
    assert len(started) >= 3
    assert output.read_bytes() == whole
    assert sorted(os.listdir(tmp_path)) == ["explained.jsonl", "reviews.txt"]
    assert not _sync_threads()


def test_a_run_that_fails_half_way_keeps_nothing_and_leaves_no_sync_running(tmp_path, monkeypatch):
    monkeypatch.setattr(_export, "SYNC_BYTES", 1024)
    output = tmp_path / "results.csv"
    results = [ReviewResult("reviews.txt", i, "", 0.75, "positive") for i in range(1, 200)]
    with pytest.raises(RuntimeError, match="stopped"):
        with ResultWriter(output, "csv") as writer:
            for _ in range(30):
                writer.write(results)
            raise RuntimeError("stopped")
    assert os.listdir(tmp_path) == []
    assert not _sync_threads()
