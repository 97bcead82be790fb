"""How fast `python -m review_sentiment classify` is, end to end, on real IMDB reviews; and Keras for the ratio.

Run by hand (never from the tests), on a quiet machine:

    uv run --group train python benchmarks/classify_throughput.py [--model PATH] [--workdir /tmp/review-bench]

Cases, each a fresh `python -m review_sentiment classify` process timed from launch to exit (the median
of --repeat runs, default 5; memory is sampled in one more run, which is not timed):
- per-line: the 25,000 IMDB reviews twice over (50,000 lines, newlines inside a review replaced
  by spaces), and four times over (100,000) to show that memory does not grow with the input;
- folder: 25,000 files, one review each, read with a warm cache (a first run is not timed).
Peak memory is the largest resident set of the main process and of any worker (getrusage), and
the peak of all the command's processes together, by proportional set size (a page a worker
shares with its parent counted once). Then Keras: the seed network rebuilt with `trainer.architectures.build_model`, its
weights taken from the bundle's ONNX initializers (checked against onnxruntime), timed with
`model.predict` on the same 50,000 reviews (already encoded, so that is the network alone).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _child(argv: list[str]) -> None:
    """Inside the timed process: run the command as `python -m review_sentiment` does (nothing
    imported before it, the same exit), then report CPU time and peak memory as JSON on stderr."""
    from review_sentiment.__main__ import exit_without_teardown, main

    code = main(argv)
    # VmHWM, not ru_maxrss: on Linux ru_maxrss starts from the parent's peak at fork.
    status = Path("/proc/self/status").read_text() if Path("/proc/self/status").exists() else ""
    peak_kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("BENCH " + json.dumps({
        "exit": code,
        "cpu_seconds": own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime,
        "main_rss_mb": (peak_kb or own.ru_maxrss) / 1024,
        "worker_rss_mb": workers.ru_maxrss / 1024,
    }), file=sys.stderr)
    exit_without_teardown(code)


def _runtime_packages():
    import charset_normalizer
    import numpy
    import onnxruntime
    import regex

    return [charset_normalizer, numpy, onnxruntime, regex]


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model}), {memory:.0f} GB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def prepare(workdir: Path) -> dict[str, Path]:
    from trainer.data import load_movie_reviews

    texts = load_movie_reviews().texts
    workdir.mkdir(parents=True, exist_ok=True)
    one_line = [" ".join(t.replace("\r", " ").split("\n")) for t in texts]
    inputs = {}
    for copies in (2, 4):
        path = workdir / f"reviews-{copies * len(texts)}.txt"
        if not path.exists():
            path.write_text("".join(line + "\n" for line in one_line) * copies, encoding="utf-8")
        inputs[f"per-line {copies * len(texts):,}"] = path
    folder = workdir / "files"
    if not folder.exists() or sum(1 for _ in folder.iterdir()) != len(texts):
        folder.mkdir(exist_ok=True)
        for number, text in enumerate(texts):
            (folder / f"{number:05d}.txt").write_text(text, encoding="utf-8")
    inputs[f"folder {len(texts):,} files"] = folder
    return inputs


def run_case(name: str, source: Path, model: str | None, jobs: int, workdir: Path, repeat: int = 1) -> dict:
    """One run that samples memory, then `repeat` runs that are only timed: reading every
    process's smaps_rollup every 20 ms takes CPU from the command on a 2-core machine (its page
    tables are walked each time), so the memory run's time is not the figure."""
    sampled = _one_run(name, source, model, jobs, workdir, sample=True)
    times = sorted(_one_run(name, source, model, jobs, workdir, sample=False)["seconds"] for _ in range(repeat))
    median = statistics.median(times)
    return {**sampled, "seconds_sampled": sampled["seconds"], "timed_runs": times, "seconds": median,
            "per_second": sampled["records"] / median, "best_per_second": sampled["records"] / times[0]}


def _one_run(name: str, source: Path, model: str | None, jobs: int, workdir: Path, sample: bool) -> dict:
    argv = ["classify", str(source), "--output", str(workdir / "out.csv"), "--force", "--quiet", "--jobs", str(jobs)]
    if source.is_file():
        argv.insert(1, "--per-line")
    if model:
        argv += ["--model", model]
    command = [sys.executable, __file__, "--child", *argv]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    sampler = _PssSampler(process.pid)
    if sample:
        sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if sample:
        sampler.stop()
    done = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    report = next((json.loads(line[6:]) for line in done.stderr.splitlines() if line.startswith("BENCH ")), None)
    if report is None or report["exit"] != 0:
        raise SystemExit(f"{name} failed: {done.stderr[-2000:]}")
    records = sum(1 for _ in open(workdir / "out.csv", encoding="utf-8")) - 1
    return {"case": name, "jobs": jobs, "records": records, "seconds": seconds, "per_second": records / seconds,
            "per_cpu_second": records / report["cpu_seconds"], "peak_total_pss_mb": sampler.peak_mb, **report}


class _PssSampler(threading.Thread):
    """The peak, over the run, of the proportional set size (PSS) of the command and all its
    worker processes together, sampled every 20 ms from /proc/PID/smaps_rollup: the memory the
    whole command takes, counting the pages a forked worker shares with its parent once."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_mb, self._done = pid, 0.0, threading.Event()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        while not self._done.wait(0.02):
            self.peak_mb = max(self.peak_mb, sum(map(_pss_mb, _tree(self.pid))))

    
def _tree(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                queue += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def keras_ratio(model_path: str | None, workdir: Path) -> dict:
    """Keras model.predict on the same 50,000 reviews, with the bundle's own weights."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    from review_sentiment._bundle import default_models_dir, load_bundle
    from review_sentiment.encoding import encode_batch
    from trainer.architectures import RECIPES, build_model

    bundle = load_bundle(model_path or default_models_dir())
    if bundle.architecture != "seed":
        seeds = sorted(p for p in (ROOT / "models").glob("seed-*") if p.is_dir())
        if not seeds:
            return {"skipped": f"the model is {bundle.architecture!r}; Keras comparison needs a seed bundle"}
        bundle = load_bundle(seeds[-1])
    texts = (workdir / "reviews-50000.txt").read_text(encoding="utf-8").split("\n")[:-1]
    started = time.perf_counter()
    ids = np.concatenate([encode_batch(texts[i:i + 4096], bundle.word_index, bundle.settings)
                          for i in range(0, len(texts), 4096)])
    encode_seconds = time.perf_counter() - started
    network = build_model(RECIPES["seed"], bundle.settings)
    weights = {tuple(t.dims): numpy_helper.to_array(t) for t in onnx.load(str(bundle.path)).graph.initializer}
    size = bundle.settings.vocab_size
    network.get_layer("embedding").set_weights([weights[(size, 16)]])
    network.get_layer("hidden").set_weights([weights[(16, 16)], weights[(16,)]])
    network.get_layer(network.layers[-1].name).set_weights([weights[(16, 1)], weights[(1,)]])
    check = ids[:2000]
    difference = float(np.abs(network.predict(check, batch_size=512, verbose=0).reshape(-1)
                              - bundle.raw_probabilities(check)).max())
    started = time.perf_counter()
    network.predict(ids, batch_size=512, verbose=0)
    predict_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(0, len(ids), 1024):
        bundle.raw_probabilities(ids[i:i + 1024])
    onnx_seconds = time.perf_counter() - started
    return {"model": str(bundle.path), "reviews": len(ids), "max_abs_difference_vs_onnxruntime": difference,
            "encode_seconds": encode_seconds, "keras_predict_seconds": predict_seconds,
            "keras_predict_per_second": len(ids) / predict_seconds,
            "keras_encode_and_predict_per_second": len(ids) / (encode_seconds + predict_seconds),
            "onnxruntime_per_second": len(ids) / onnx_seconds}


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2:])
    from _shared import reference_loop_seconds  # numpy: not in the timed process before the command
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="bundle to benchmark (default: the shipped one)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/review-bench"))
    parser.add_argument("--jobs", type=int, nargs="+", default=[0, 1, 2], help="--jobs values to compare")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case, their median reported (default 5)")
    parser.add_argument("--no-keras", action="store_true")
    parser.add_argument("--only", metavar="NAME", default="", help="run only the cases whose name starts so, e.g. 'per-line 50'")
    args = parser.parse_args()
    print(machine())
    # Bytecode caches, as an installed app has them (this sandbox sets PYTHONDONTWRITEBYTECODE).
    packages = [ROOT / "desktop", ROOT / "review_sentiment"] + [Path(m.__file__).parent for m in _runtime_packages()]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *map(str, packages)], capture_output=True)
    print(f"load average before: {os.getloadavg()}; reference loop {reference_loop_seconds():.2f} s (the machine's speed)")
    inputs = prepare(args.workdir)
    results = []
    for name, source in inputs.items():
        if not name.startswith(args.only):
            continue
        if source.is_dir():
            run_case(name, source, args.model, 0, args.workdir)  # warm the page cache
        for jobs in args.jobs:
            result = run_case(name, source, args.model, jobs, args.workdir, args.repeat)
            results.append(result)
            print(f"{name:>24} --jobs {jobs}: {result['records']:,} in {result['seconds']:.2f} s (median of "
                  f"{len(result['timed_runs'])}: {', '.join(f'{t:.2f}' for t in result['timed_runs'])}) = "
                  f"{result['per_second']:,.0f}/s wall (best {result['best_per_second']:,.0f}/s), "
                  f"{result['per_cpu_second']:,.0f}/s per CPU-second; "
                  f"peak RSS main {result['main_rss_mb']:.0f} MB, worker {result['worker_rss_mb']:.0f} MB, "
                  f"peak PSS of all its processes together {result['peak_total_pss_mb']:.0f} MB")
    keras = None if args.no_keras else keras_ratio(args.model, args.workdir)
    if keras:
        print("keras:", json.dumps(keras, indent=1))
    print(f"load average after: {os.getloadavg()}; reference loop {reference_loop_seconds():.2f} s")
    out = args.workdir / "classify_throughput.json"
    out.write_text(json.dumps({"machine": machine(), "cases": results, "keras": keras}, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
