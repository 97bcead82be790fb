"""`classify --explain` against plain `classify` on the 5,000 real IMDB test reviews (one per line).

Each command is run as a person runs it (a fresh process, JSON lines written to a file), the two
alternating so a change in the machine's load hits both alike; the median wall time of each and
their ratio are printed, with the time the command itself reports for classifying (after start-up).

    uv run python benchmarks/explain_overhead.py [--rounds 5] [--model models/]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _shared import machine  # noqa: E402


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
    args = parser.parse_args()
    from trainer.data import load_movie_reviews, split

    texts = split(load_movie_reviews(), "imdb").test.texts
    folder = Path(tempfile.mkdtemp(prefix="explain-overhead-"))
    reviews = folder / "test-reviews.txt"
    reviews.write_text("\n".join(" ".join(t.split()) for t in texts) + "\n", encoding="utf-8")
    base = [sys.executable, "-m", "review_sentiment", "classify", "--per-line", str(reviews), "--force"]
    if args.model:
        base += ["--model", str(args.model)]
    print(f"machine: {machine()}")
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
    print(f"load average at the end: {Path('/proc/loadavg').read_text().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
