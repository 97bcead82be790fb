"""`review_sentiment.ray.ReviewClassifier` on a real local Ray (2 CPUs, two actors) and 20,000
real IMDB reviews: the library's probabilities, every row once, bad rows flagged, not fatal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ray  # the ray extra: the README's test command installs it

import review_sentiment
from review_sentiment.ray import ReviewClassifier

BAD = [None, "   ", 42]  # a missing review, an empty one, one that is not text


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def expected(many_reviews):
    model = review_sentiment.load()
    return model.predict_proba(many_reviews), model.predict(many_reviews)


def scored(dataset, batch_format: str) -> pd.DataFrame:
    result = dataset.map_batches(ReviewClassifier, fn_constructor_kwargs={"text_column": "review"},
                                 batch_format=batch_format, batch_size=2048, num_cpus=1,
                                 compute=ray.data.ActorPoolStrategy(size=2))
    return result.to_pandas().sort_values("id", kind="stable").reset_index(drop=True)


def test_pandas_batches_give_the_librarys_probabilities_for_every_row_once(local_ray, many_reviews, expected):
    table = pd.DataFrame({"id": np.arange(len(many_reviews)), "review": many_reviews})
    blocks = [table.iloc[rows] for rows in np.array_split(np.arange(len(table)), 8)]
    out = scored(ray.data.from_pandas(blocks), "pandas")
    assert out["id"].tolist() == list(range(len(many_reviews)))  # none lost, none twice
    assert out["review"].tolist() == many_reviews
    probabilities, labels = expected
    assert np.max(np.abs(out["probability"].to_numpy(dtype=float) - probabilities)) <= 1e-12
    assert (out["error"] == "").all()
    assert out["label"].tolist() == labels


def test_numpy_batches_and_bad_rows_get_an_error_column_not_a_failed_job(local_ray, many_reviews, expected):
    texts = many_reviews[:3000]
    reviews = texts[:1000] + BAD + texts[1000:]
    items = [{"id": i, "review": text} for i, text in enumerate(reviews)]
    out = scored(ray.data.from_items(items, override_num_blocks=4), "numpy")
    assert out["id"].tolist() == list(range(len(reviews)))
    bad = out.iloc[1000:1003]
    assert bad["error"].tolist() == ["'review' is null, not text", "'review' is empty", "'review' is int, not text"]
    assert bad["probability"].isna().all() and bad["label"].isna().all()
    good = out.drop(index=bad.index)
    assert (good["error"] == "").all()
    assert np.max(np.abs(good["probability"].to_numpy(dtype=float) - expected[0][:3000])) <= 1e-12


def test_each_actor_runs_onnxruntime_on_the_cpus_ray_gave_it(local_ray):
    @ray.remote(num_cpus=1)
    def threads_in_an_actor_with_one_cpu():
        return ReviewClassifier().model._bundle.session.get_session_options().intra_op_num_threads

    assert ray.get(threads_in_an_actor_with_one_cpu.remote()) == 1


def test_a_missing_text_column_names_the_columns(local_ray):
    classifier = ReviewClassifier(text_column="review")
    with pytest.raises(KeyError, match="no column 'review' .*its columns: body"):
        classifier(pd.DataFrame({"body": ["A fine film."]}))
