"""`review_sentiment.spark` on a real local Spark (`local[2]`) and 20,000 real IMDB reviews, through
`predict_batch_udf` and `mapInPandas`: the library's probabilities, every row once, bad rows
flagged in the error column, not a failed job."""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
import pytest
from pyspark.ml.functions import predict_batch_udf  # the spark extra: the README's test command installs it
from pyspark.sql import SparkSession

import review_sentiment
from review_sentiment.spark import VERDICT, classify_partitions, make_predict_fn, schema_with_verdict

BAD_AT = {1000: None, 1001: "   "}  # a missing review and an empty one, amid real ones


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers run this environment's Python
    session = (SparkSession.builder.master("local[2]").appName("review-sentiment-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def reviews(spark, many_reviews):
    texts = list(many_reviews)
    for row, value in BAD_AT.items():
        texts.insert(row, value)
    table = pd.DataFrame({"id": np.arange(len(texts)), "review": texts})
    return spark.createDataFrame(table, "id long, review string").repartition(4), texts


@pytest.fixture(scope="module")
def expected(many_reviews):
    model = review_sentiment.load()
    return model.predict_proba(many_reviews), model.predict(many_reviews)


def check(out: pd.DataFrame, texts, expected) -> None:
    probabilities, labels = expected
    out = out.sort_values("id").reset_index(drop=True)
    assert out["id"].tolist() == list(range(len(texts)))  # none lost, none twice
    bad = out.loc[list(BAD_AT)]
    assert bad["error"].tolist() == ["'review' is null, not text", "'review' is empty"]
    assert bad["probability"].isna().all() and bad["label"].isna().all()
    good = out.drop(index=list(BAD_AT))
    assert good["review"].tolist() == [t for t in texts if t not in BAD_AT.values()]
    assert (good["error"] == "").all()
    assert np.max(np.abs(good["probability"].to_numpy(dtype=float) - probabilities)) <= 1e-12
    assert good["label"].tolist() == labels


def test_predict_batch_udf_on_a_string_column(reviews, expected):
    frame, texts = reviews
    classify = predict_batch_udf(make_predict_fn, return_type=VERDICT, batch_size=2048)
    scored = frame.withColumn("verdict", classify("review")).select("id", "review", "verdict.*")
    check(scored.toPandas(), texts, expected)


def test_map_in_pandas_adds_the_verdict_columns(reviews, expected):
    frame, texts = reviews
    scored = frame.mapInPandas(classify_partitions("review"), schema_with_verdict(frame.schema))
    assert scored.columns == ["id", "review", "probability", "label", "error"]
    check(scored.toPandas(), texts, expected)
