"""Classify reviews with Ray Data: a callable class for `Dataset.map_batches`.

    import ray
    from review_sentiment.ray import ReviewClassifier

    reviews = ray.data.read_parquet("reviews/")                  # any dataset with a text column
    scored = reviews.map_batches(ReviewClassifier, fn_constructor_kwargs={"text_column": "review"},
                                 batch_size=4096, compute=ray.data.ActorPoolStrategy(size=2), num_cpus=1)
    scored.write_parquet("scored/")

Each actor loads the model once, in `__init__`, with as many onnxruntime threads as CPUs Ray gave
it (`num_cpus`), so actors side by side do not fight over cores. A batch comes back with three
more columns: `probability` (of positive), `label` and `error`; a missing or non-text cell gets
an error and no probability, and the job goes on. Needs `pip install "review-sentiment[ray]"`;
recipes: docs/millions-of-reviews.md.
"""

from __future__ import annotations

import os


from review_sentiment._columns import classify_column, threads_for
from review_sentiment._model import load
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND


class ReviewClassifier:
    """For `Dataset.map_batches(ReviewClassifier, ...)`, with batches as pandas DataFrames or as
    dicts of numpy arrays (`batch_format="pandas"` or `"numpy"`)."""

    def __init__(self, model: str | os.PathLike | None = None, text_column: str = "text",
                 band: float = DEFAULT_UNCERTAIN_BAND, threads: int | None = None) -> None:
        """`model`: a bundle path as `review_sentiment.load` takes it (the shipped one by default);
        `text_column`: the column holding the reviews; `band`: the uncertain band for `label`;
        `threads`: onnxruntime threads (default: the CPUs Ray assigned to this actor)."""
        self.text_column = text_column
        self.band = band
        self.model = load(model, threads=threads or threads_for(_cpus_assigned_by_ray()))

    def __call__(self, batch):
        if self.text_column not in batch:
            raise KeyError(f"the batch has no column {self.text_column!r} (its columns: "
                           f"{', '.join(map(str, list(batch)))}); pass text_column= in fn_constructor_kwargs")
        verdicts = classify_column(self.model, batch[self.text_column], self.text_column, self.band)
        columns = {"probability": verdicts.probability_or_none(), "label": verdicts.label, "error": verdicts.error}
        if isinstance(batch, dict):  # batch_format="numpy"
            return {**batch, **columns}
        return batch.assign(**columns)


def _cpus_assigned_by_ray() -> float | None:
    import ray

    if not ray.is_initialized():
        return None
    try:
        return ray.get_runtime_context().get_assigned_resources().get("CPU")
    except AssertionError:  # the driver, not a task or actor: Ray assigned it nothing
        return None


__all__ = ["ReviewClassifier"]
