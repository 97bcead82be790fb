"""`_memory`: where a bulk process keeps its memory changes no result, and only memory made
meanwhile is asked to become huge pages."""

from __future__ import annotations

import ctypes
import mmap
import subprocess
import sys

import numpy as np
import pytest

from review_sentiment import _memory
from review_sentiment._bundle import _session

MB = 1024 * 1024


def test_only_memory_mapped_or_grown_meanwhile_in_whole_huge_pages():
    before = [(0, 8 * MB), (100 * MB, 104 * MB), (200 * MB, 201 * MB)]
    after = [
        (0, 8 * MB),  # unchanged: nothing
        (100 * MB, 111 * MB),  # the heap grew by 7 MB: its whole 2 MB pages, 104-110
        (150 * MB + 4096, 167 * MB),  # a new mapping, not aligned: 152-166
        (196 * MB, 206 * MB),  # grown on both sides of an old 1 MB: the larger side, 201-206 -> 202-206
        (300 * MB, 301 * MB),  # new, but smaller than one huge page
    ]
    assert _memory._new_stretches(before, after) == [(104 * MB, 110 * MB), (152 * MB, 166 * MB), (202 * MB, 206 * MB)]


def test_a_grown_mapping_that_merged_with_a_new_one_below_keeps_only_the_new_part():
    before = [(50 * MB, 60 * MB)]
    after = [(40 * MB, 60 * MB)]  # the kernel merged a new mapping just below an old one into it
    assert _memory._new_stretches(before, after) == [(40 * MB, 50 * MB)]


def test_no_private_memory_found_means_nothing_asked():
    with _memory.huge_pages_for_what_is_made():
        pass  # must not fail whatever the system allows
    assert _memory._new_stretches([], []) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/maps is Linux's")
def test_private_memory_lists_new_anonymous_mappings():
    found = _memory._private_memory()
    mapped = mmap.mmap(-1, 8 * MB, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)  # as an allocator maps memory
    try:
        start = ctypes.addressof(ctypes.c_char.from_buffer(mapped))
        grown = _memory._new_stretches(found, _memory._private_memory())
        assert any(low <= start + 4 * MB < high for low, high in grown)
    finally:
        mapped.close()


def test_a_session_made_on_huge_pages_gives_the_same_probabilities(shipped_bundle):
    rows = np.array([[1, 5, 9, 40, 2000, 0, 0, 0]] * 8, dtype=np.int32)
    plain = shipped_bundle.session.run(None, {"token_ids": rows})
    made = _session(shipped_bundle.path, threads=1)
    assert all(np.array_equal(a, b) for a, b in zip(plain, made.run(None, {"token_ids": rows})))


def test_kept_freed_memory_changes_no_record(tmp_path, shipped_bundle):
    """The command (which keeps freed memory) and a process that does not give the same bytes."""
    source = tmp_path / "reviews.txt"
    source.write_text("A wonderful film.\nDull and far too long.\n" * 300, encoding="utf-8")
    outputs = []
    for keep in (True, False):
        out = tmp_path / f"out-{keep}.csv"
        code = ("import sys; from review_sentiment import _memory\n"
                + ("" if keep else "_memory.keep_freed_memory = lambda: None\n")
                + "from review_sentiment._cli import main\n"
                + f"sys.exit(main(['{source}', '--per-line', '--output', '{out}', '--quiet', '--jobs', '2']))")
        subprocess.run([sys.executable, "-c", code], check=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
