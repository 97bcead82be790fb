"""How a process that classifies in bulk keeps its memory (Linux, glibc): the model's weights on
2 MB pages, and the memory NumPy frees kept for its next arrays. Each only changes where bytes
live, never what they are; a system that refuses (another libc, an older kernel) goes on as before.

- Huge pages: the shipped network is mostly a gather from a 16 MB table of weights at hashed
  places. On 4 KB pages nearly every read needs its page looked up anew (a TLB miss); on 2 MB
  pages almost none does (the network's CPU 10-13% less). onnxruntime allocates that memory
  itself, so what was mapped or grew while a session was made is found in /proc/self/maps and
  asked to be made of huge pages now (madvise MADV_COLLAPSE, Linux 6.1+).
- Freed memory kept: a batch makes many arrays of a megabyte or so. glibc gives such memory back
  to the system when it is freed (munmap, or trimming the heap), so the next array faults in
  fresh zeroed pages, 256 at a time: a third of a worker's page faults, and its CPU 5-13% more.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

_HUGE = 2 * 1024 * 1024
_MADV_HUGEPAGE, _MADV_COLLAPSE = 14, 25
# mallopt's parameters (malloc.h) and what a bulk process sets them to: allocations up to 32 MB
# (glibc's most) from the heap, which is trimmed only when 256 MB are free at its top and grows
# 16 MB at a time. A worker's heap then stays near its largest batch's needs: ~60 MB.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_KEPT = ((_M_MMAP_THRESHOLD, 32 * 1024 * 1024), (_M_TRIM_THRESHOLD, 256 * 1024 * 1024),
         (_M_TOP_PAD, 16 * 1024 * 1024))
_libc = None


def _c_library():
    """This process's C library through ctypes, or False where there is none to ask."""
    global _libc
    if _libc is None:
        _libc = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                libc = ctypes.CDLL(None, use_errno=True)
                libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
                libc.madvise.restype = ctypes.c_int
                _libc = libc
            except (OSError, AttributeError):
                pass
    return _libc


def keep_freed_memory() -> None:
    """For a process that classifies batch after batch (a worker, the `classify` command): what
    NumPy frees stays in the process for its next arrays. glibc only (elsewhere nothing changes)."""
    libc = _c_library()
    mallopt = getattr(libc, "mallopt", None) if libc else None
    if mallopt is None or not _is_glibc():
        return
    for parameter, value in _KEPT:
        mallopt(parameter, value)


def _is_glibc() -> bool:
    try:
        return bool(_c_library().gnu_get_libc_version)
    except AttributeError:
        return False


@contextmanager
def huge_pages_for_what_is_made():
    """Around the making of a session: afterwards, each 2 MB-aligned stretch of private memory
    that was mapped (or grown) meanwhile is asked to become huge pages."""
    before = _private_memory() if sys.platform.startswith("linux") else None
    yield
    if before:
        _make_huge(_new_stretches(before, _private_memory()))


def _private_memory() -> list[tuple[int, int]]:
    """The (start, end) of each anonymous, private, writable mapping (the heap included)."""
    found = []
    try:
        with open("/proc/self/maps", encoding="ascii", errors="replace") as maps:
            for line in maps:
                fields = line.split()
                if len(fields) < 5 or fields[1] != "rw-p" or fields[4] != "0" or fields[5:] not in ([], ["[heap]"]):
                    continue
                start, _, end = fields[0].partition("-")
                found.append((int(start, 16), int(end, 16)))
    except (OSError, ValueError):
        return []
    return found


def _new_stretches(before: list[tuple[int, int]], after: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of `after`'s mappings that no mapping of `before` covered, 2 MB-aligned inwards
    (whole huge pages only), at least one huge page each."""
    stretches = []
    for start, end in after:
        for old_start, old_end in before:  # a few hundred mappings: a plain double loop is quick
            if old_end <= start or old_start >= end:
                continue
            if old_start <= start:
                start = max(start, old_end)
            elif old_end >= end:
                end = min(end, old_start)
            elif old_start - start >= end - old_end:  # an old mapping inside a new one: keep the larger side
                end = old_start
            else:
                start = old_end
            if start >= end:
                break
        start, end = -(-start // _HUGE) * _HUGE, end // _HUGE * _HUGE
        if end > start:
            stretches.append((start, end))
    return stretches


def _make_huge(stretches: list[tuple[int, int]]) -> None:
    libc = _c_library()
    if not libc:
        return
    for start, end in stretches:
        if libc.madvise(start, end - start, _MADV_HUGEPAGE) == 0:
            libc.madvise(start, end - start, _MADV_COLLAPSE)  # refused (EINVAL, EAGAIN...): left as it is
