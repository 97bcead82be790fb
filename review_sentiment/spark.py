"""Classify reviews with Apache Spark: a `make_predict_fn` for `pyspark.ml.functions.predict_batch_udf`,
or a function for `DataFrame.mapInPandas`.

    from pyspark.ml.functions import predict_batch_udf
    from review_sentiment.spark import VERDICT, make_predict_fn

    classify = predict_batch_udf(make_predict_fn, return_type=VERDICT, batch_size=4096)
    scored = reviews.withColumn("verdict", classify("review")).select("*", "verdict.*").drop("verdict")

    # or, adding the three columns to every row:
    from review_sentiment.spark import classify_partitions, schema_with_verdict
    scored = reviews.mapInPandas(classify_partitions("review"), schema_with_verdict(reviews.schema))

Each Python worker loads the model once and runs onnxruntime on as many threads as its task has
CPUs (`spark.task.cpus`, default 1), so the executor's task slots do not fight over cores. Every
row gets `probability` (of positive), `label` and `error`; a null or empty review gets an error
and no probability, and the job goes on. Needs `pip install "review-sentiment[spark]"`; recipes:
docs/millions-of-reviews.md.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator

from pyspark.sql.types import DoubleType, StringType, StructField, StructType

from review_sentiment._columns import classify_column, threads_for
from review_sentiment._model import Model, load
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND

VERDICT = StructType([
    StructField("probability", DoubleType()),
    StructField("label", StringType()),
    StructField("error", StringType()),
])
"""The struct each review gets: probability of positive (null when failed), label, error ('' when fine)."""


def make_predict_fn(model: str | os.PathLike | None = None, *, band: float = DEFAULT_UNCERTAIN_BAND,
                    threads: int | None = None, column: str = "review") -> Callable:
    """The `make_predict_fn` of `predict_batch_udf(..., return_type=VERDICT)`: loads the model
    (the shipped one, or `model` as `review_sentiment.load` takes it) and returns `predict`, which
    takes a numpy array of texts and gives VERDICT's three columns. Pass it as it is, or with
    options through `functools.partial(make_predict_fn, "path/to/bundle", band=0.3)`; `column`
    only names the input in error messages."""
    loaded = _model(None if model is None else str(model), threads or threads_for(_task_cpus()))

    def predict(texts):
        verdicts = classify_column(loaded, texts, column, band)
        return {"probability": verdicts.probability_or_none(), "label": verdicts.label, "error": verdicts.error}

    return predict


def classify_partitions(text_column: str, model: str | os.PathLike | None = None, *,
                        band: float = DEFAULT_UNCERTAIN_BAND, threads: int | None = None) -> Callable:
    """A function for `df.mapInPandas(fn, schema_with_verdict(df.schema))`: each pandas batch
    comes back with `probability`, `label` and `error` columns added."""

    def classify(batches: Iterator) -> Iterator:
        loaded = _model(None if model is None else str(model), threads or threads_for(_task_cpus()))
        for batch in batches:
            verdicts = classify_column(loaded, batch[text_column], text_column, band)
            yield batch.assign(probability=verdicts.probability_or_none(), label=verdicts.label,
                               error=verdicts.error)

    return classify


def schema_with_verdict(schema: StructType) -> StructType:
    """`schema` plus VERDICT's three fields: the output schema of `classify_partitions`."""
    return StructType(list(schema.fields) + list(VERDICT.fields))


@functools.lru_cache(maxsize=4)
def _model(path: str | None, threads: int) -> Model:
    """One model per Python worker process and bundle, however many partitions it runs."""
    return load(path, threads=threads)


def _task_cpus() -> int | None:
    from pyspark import TaskContext

    context = TaskContext.get()
    return context.cpus() if context is not None else None


__all__ = ["VERDICT", "classify_partitions", "make_predict_fn", "schema_with_verdict"]
