"""What the benchmark scripts share: one line describing the machine, a median timer, and a bundle's network
rebuilt in Keras with the bundle's own ONNX weights (for "the tutorial's way" beside the app's)."""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np


def median_ms(fn, runs: int, warmup: int = 1, clock=time.perf_counter) -> float:
    """The median time of `fn()` by `clock` (time.process_time for this process's CPU time) over
    `runs` calls, in milliseconds, after `warmup` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times) * 1000


def best_seconds(fn, runs: int = 3, clock=time.perf_counter) -> float:
    """The shortest of `runs` timings of `fn()` by `clock` (time.process_time for CPU seconds)."""
    times = []
    for _ in range(runs):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times)


def machine() -> str:
    """Cores, CPU model, memory, OS, Python and the load average right now."""
    def first(path: str, prefix: str, default: str) -> str:
        try:
            lines = Path(path).read_text().splitlines()
        except OSError:
            return default
        return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(prefix)), default)

    cpu = first("/proc/cpuinfo", "model name", platform.processor() or platform.machine())
    memory_kb = first("/proc/meminfo", "MemTotal", "0 kB").split()[0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (f"{os.cpu_count()} cores ({cpu}), {int(memory_kb) / 1024 ** 2:.0f} GB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, load average {load}")


def reference_loop_seconds() -> float:
    """Seconds a fixed pure-Python loop (10 million additions) takes right now, best of 3: the
    speed the machine is running at. On the shared 2-core VM this was written on it ranged from
    1.0 to 1.6 s within an hour while the load average inside the VM stayed near 1 (the host's
    other guests do not show there), and every figure moves with it; print it beside them."""
    def loop():
        total = 0
        for number in range(10_000_000):
            total += number
    return best_seconds(loop)


def keras_twin(bundle):
    """The bundle's network as a Keras model holding the ONNX file's weights."""
    import onnx
    from onnx import numpy_helper

    import keras

    from trainer.architectures import RECIPES, build_model, exported_network

    if bundle.architecture not in RECIPES:
        raise SystemExit(f"no Keras recipe for architecture {bundle.architecture!r}; cannot compare")
    # Recipes that derive fixed weights from training data (bigram-nb's naive-Bayes ratios) get
    # none here: every weight is then overwritten with the ONNX file's.
    model = build_model(RECIPES[bundle.architecture], bundle.settings, [], np.zeros(0, dtype=np.int8))
    # An additive network is exported as one folded table (trainer.architectures.exported_network):
    # rebuild that shape, keep only the probability output.
    net = exported_network(model)
    model = keras.Model(net.inputs, net.outputs[0]) if net is not model else model
    weights = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(bundle.path)).graph.initializer}

    def find(layer: str, shape: tuple) -> np.ndarray:
        # A one-column table may be stored flat (the exporter's GatherElements look-up, trainer/export.py).
        (match,) = [w for name, w in weights.items()
                    if f"/{layer}" in name and (w.shape == shape or (shape[1:] == (1,) and w.shape == shape[:1]))]
        return match.reshape(shape)

    for layer in model.layers:
        wanted = [tuple(w.shape) for w in layer.get_weights()]
        if wanted:
            layer.set_weights([find(layer.name, shape) for shape in wanted])
    return model
