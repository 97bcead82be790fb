"""Shared test set-up: Qt runs offscreen, and real IMDB reviews and the shipped bundle are at hand."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import, on every machine
# Under `uv run` (the README's test command), Ray's uv hook would make the local test cluster's
# working directory a copy of the whole checkout, .venv included: 4 GB left in /tmp/ray per run.
# The tests' Ray is local and already has this environment. Read when Ray is imported: so here.
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def imdb_split():
    """The fixed split of the 25,000 real IMDB reviews (train/validation/test)."""
    from trainer.data import load_movie_reviews, split

    return split(load_movie_reviews(), "imdb")


@pytest.fixture(scope="session")
def shipped_bundle():
    """The bundle in models/, loaded through the app's own loader."""
    from review_sentiment._bundle import default_models_dir, load_bundle

    return load_bundle(default_models_dir())


@pytest.fixture(scope="session")
def many_reviews(imdb_split):
    """20,000 real IMDB reviews (test, validation, then training part), as the batch engines get them."""
    texts = imdb_split.test.texts + imdb_split.validation.texts + imdb_split.train.texts
    return texts[:20_000]
