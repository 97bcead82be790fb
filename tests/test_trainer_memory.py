"""`python -m trainer` keeps the memory TensorFlow frees (glibc's malloc tuned before training)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_trainer_tunes_malloc_before_anything_is_trained():
    from trainer.memory import keep_freed_memory

    assert keep_freed_memory() is True  # glibc accepted every setting
    # The entry point applies it first: `python -m trainer --help` runs it and still needs no TensorFlow.
    check = ("import runpy, sys, trainer.memory as m; calls = []; m_keep = m.keep_freed_memory; "
             "m.keep_freed_memory = lambda: calls.append(1) or m_keep(); sys.argv = ['trainer', '--help']\n"
             "try:\n    runpy.run_module('trainer', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "assert calls == [1] and 'tensorflow' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
