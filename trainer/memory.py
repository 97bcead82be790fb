"""Keep the memory TensorFlow frees for its next step, instead of handing it back to the system.

Each Adam step of trigram-nb allocates and frees arrays as large as its 4,259,840-row tables
(17 MB). glibc serves blocks that large with mmap and returns them with munmap, so every step
faults 17 MB pages in again, zeroed by the kernel: a default run spent 486 s in the kernel
beside 345 s of its own work (9 min 28 s wall on 2 quiet cores). With blocks up to 32 MB taken
from the heap and the heap not trimmed, the same epoch ran at 60 ms a step instead of 94 (sys
time 7.6 s instead of 32 s an epoch), and the trained weights are the same: only where the
memory comes from changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_LARGEST_HEAP_BLOCK = 32 * 1024 * 1024  # glibc's ceiling for the mmap threshold on 64-bit systems
_KEEP = 1 << 30


def keep_freed_memory() -> bool:
    """Tune glibc's malloc (Linux) as above; elsewhere do nothing. True if it was tuned."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return all(mallopt(option, value) == 1 for option, value in (
        (_M_MMAP_THRESHOLD, _LARGEST_HEAP_BLOCK), (_M_TRIM_THRESHOLD, _KEEP), (_M_TOP_PAD, 256 * 1024 * 1024)))
