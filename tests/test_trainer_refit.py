"""The default run refits: trigram-nb trains on the training and validation parts together, for the
epoch count and with the temperature its training-part-only run (--no-refit) chose on validation.
The test part is never trained on, and the card says what was trained on and where the temperature
came from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from review_sentiment import bundle_format as fmt

ROOT = Path(__file__).resolve().parents[1]


def start_trainer(log: Path, *args: str) -> subprocess.Popen:
    """`python -m trainer ARGS`, its stdout and stderr to `log` (a pipe left unread could stall it)."""
    with open(log, "w", encoding="utf-8") as output:
        return subprocess.Popen([sys.executable, "-m", "trainer", *args], cwd=ROOT, stdout=output,
                                stderr=subprocess.STDOUT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def test_only_the_default_recipe_refits_and_it_names_its_epochs_and_temperature():
    from trainer.architectures import DEFAULT_ARCH, RECIPES
    from trainer.train import TrainOptions

    assert TrainOptions().refits() and DEFAULT_ARCH == "trigram-nb"
    recipe = RECIPES[DEFAULT_ARCH]
    assert TrainOptions().epoch_count() == recipe.refit_epochs < recipe.epochs  # no early stopping to end it
    assert 0.5 < recipe.refit_temperature < 2.0
    assert TrainOptions(refit=False).epoch_count() == recipe.epochs
    assert TrainOptions(epochs=3).epoch_count() == 3
    for old in ("bigram-nb", "seed"):  # trained as they always were
        assert not TrainOptions(arch=old).refits()


def test_the_shipped_default_was_refitted_and_its_card_says_so(shipped_bundle):
    from trainer.architectures import RECIPES

    card = json.loads((shipped_bundle.folder / fmt.CARD_JSON).read_text())
    recipe = RECIPES[card["architecture"]["name"]]
    assert card["data"]["trained_on"] == "train + validation"
    assert card["epochs_run"] == recipe.refit_epochs and card["best_epoch"] is None
    assert shipped_bundle.temperature == card["calibration"]["temperature"] == recipe.refit_temperature
    assert "validation" not in card["metrics"]  # trained on: its figures would say nothing
    markdown = (shipped_bundle.folder / fmt.CARD_MARKDOWN).read_text()
    assert "trained on the validation part" in markdown and "training-part-only run" in markdown


@pytest.mark.slow
def test_a_refit_trains_on_the_validation_part_and_a_no_refit_run_watches_it(tmp_path):
    from trainer.architectures import RECIPES
    from trainer.data import load_movie_reviews, split

    refitted, watched = tmp_path / "refit", tmp_path / "no-refit"
    # The two runs at once: each spends most of its time importing TensorFlow on one core.
    runs = []
    for out, extra in ((refitted, []), (watched, ["--no-refit"])):
        log = tmp_path / f"{out.name}.log"
        runs.append((start_trainer(log, "--limit", "1000", "--epochs", "2", "--output", str(out), *extra), log))
    try:
        for run, log in runs:
            run.wait(timeout=600)
            assert run.returncode == 0, log.read_text(encoding="utf-8")[-3000:]
    finally:
        for run, _ in runs:
            run.kill()
            run.wait()
    refit_card, watched_card = (json.loads((p / fmt.CARD_JSON).read_text()) for p in (refitted, watched))

    assert refit_card["data"]["trained_on"] == "train + validation"
    assert refit_card["calibration"]["temperature"] == RECIPES["trigram-nb"].refit_temperature
    assert watched_card["data"]["trained_on"] == "train"
    assert watched_card["calibration"]["fitted_on"] == "validation" and "validation" in watched_card["metrics"]
    assert "val_loss" in watched_card["history"] and "val_loss" not in refit_card["history"]

    # Words found only in the validation part are known to the refitted model alone.
    parts = split(load_movie_reviews(), "imdb", 1000)
    from review_sentiment._bundle import load_bundle
    from review_sentiment.encoding import words

    seen_in_train = {w for t in parts.train.texts for w in words(t)}
    only_in_validation = {w for t in parts.validation.texts for w in words(t)} - seen_in_train
    refit_index, watched_index = (load_bundle(p).word_index for p in (refitted, watched))
    assert any(w in refit_index for w in only_in_validation)
    assert not any(w in watched_index for w in only_in_validation)
    for card in (refit_card, watched_card):  # the test part is scored, never trained on
        assert card["metrics"]["test"]["n"] == len(parts.test) and np.isfinite(card["metrics"]["test"]["ece"])
