"""The previous default model (bigram-nb), still shipped and loadable: accuracy and calibration
through `python -m trainer evaluate`, the same calibrated probability in the app core and on the
command line, whole reviews read to their end, and training options that cannot work refused
before training. The new default (trigram-nb) has its own tests in test_default_model.py."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from review_sentiment import bundle_format as fmt
from review_sentiment.encoding import words

ROOT = Path(__file__).resolve().parents[1]
SEED_BUNDLE = ROOT / "models" / "seed-20261126-145230"
BIGRAM_BUNDLE = ROOT / "models" / "bigram-nb-20261126-152216"


def run_cli(main, args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def shipped_bundle():
    """The bigram-nb bundle (no longer models/CURRENT), loaded through the app's own loader."""
    from review_sentiment._bundle import load_bundle

    return load_bundle(BIGRAM_BUNDLE)


@pytest.fixture(scope="module")
def evaluated():
    """`python -m trainer evaluate --json` on the bigram-nb bundle: the 5,000 test reviews."""
    from trainer.cli import main

    code, out, err = run_cli(main, ["evaluate", "--model", str(BIGRAM_BUNDLE), "--json"])
    assert code == 0, err
    return json.loads(out)


def test_the_bigram_bundle_is_the_better_model_and_fits_the_size_budget(shipped_bundle):
    assert shipped_bundle.architecture == "bigram-nb"
    assert shipped_bundle.settings.dynamic_length and shipped_bundle.settings.ngrams == 2
    assert shipped_bundle.path.stat().st_size <= 10 * 1024 * 1024


def test_shipped_bundle_meets_accuracy_and_calibration_through_evaluate(evaluated):
    assert evaluated["n"] == 5000 and evaluated["part"] == "test"
    assert evaluated["accuracy"] >= 0.905
    assert evaluated["ece"] <= 0.02


def test_it_beats_the_tutorial_network_on_the_same_test_reviews(evaluated):
    from trainer.cli import main

    code, out, err = run_cli(main, ["evaluate", "--model", str(SEED_BUNDLE), "--json"])
    assert code == 0, err
    assert evaluated["accuracy"] > json.loads(out)["accuracy"] + 0.03


def test_calibration_is_applied_identically_in_the_app_core_and_on_the_command_line(
        shipped_bundle, imdb_split, evaluated, tmp_path):
    """The app's verdict, `python -m desktop classify` and `python -m trainer evaluate` all show
    sigmoid(logit(raw) / T) with the bundle's temperature, computed here from onnxruntime directly."""
    from review_sentiment._classify import classify_texts
    from review_sentiment.encoding import encode
    from trainer.metrics import classification_metrics

    texts = imdb_split.test.texts[:40]
    assert shipped_bundle.temperature != 1.0
    raw = np.array([
        shipped_bundle.session.run([fmt.OUTPUT_NAME], {fmt.INPUT_NAME: np.repeat(
            encode(t, shipped_bundle.word_index, shipped_bundle.settings).ids[np.newaxis], 2, axis=0)})[0][0, 0]
        for t in texts
    ], dtype=np.float64)
    expected = 1 / (1 + np.exp(-(np.log(raw) - np.log1p(-raw)) / shipped_bundle.temperature))
    app = np.array([v.probability for v in classify_texts(shipped_bundle, texts, explain=False)])
    np.testing.assert_allclose(app, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(shipped_bundle.classify_texts(texts), app)  # what evaluate scores

    for i, text in enumerate(texts):
        (tmp_path / f"{i:02d}.txt").write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "desktop", "classify", str(tmp_path), "--format", "jsonl",
                             "--model", str(BIGRAM_BUNDLE)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    by_file = {Path(r["source"]).name: r["probability"] for r in map(json.loads, result.stdout.splitlines())}
    np.testing.assert_allclose([by_file[f"{i:02d}.txt"] for i in range(len(texts))], expected, rtol=0, atol=1e-12)

    # evaluate's ECE is that of these calibrated probabilities, not of the raw ones.
    full = shipped_bundle.classify_texts(imdb_split.test.texts)
    assert classification_metrics(imdb_split.test.labels, full)["ece"] == pytest.approx(evaluated["ece"], abs=1e-12)


def _long_positive_and_negative_ending(bundle, split):
    """A real positive review of 300+ words the model finds positive (not overwhelmingly), and
    the ends of real reviews: a strongly negative one and a strongly positive one."""
    texts, labels = split.test.texts, split.test.labels
    probabilities = bundle.classify_texts(texts)
    lengths = np.array([len(words(t)) for t in texts])
    long_positive = next(i for i in range(len(texts)) if labels[i] == 1 and lengths[i] > 300
                         and 0.8 < probabilities[i] < 0.99)
    negative_end = next(i for i in range(len(texts)) if labels[i] == 0 and 60 < lengths[i] < 150
                        and probabilities[i] < 0.001)
    positive_end = next(i for i in range(len(texts)) if labels[i] == 1 and 60 < lengths[i] < 150
                        and probabilities[i] > 0.999)
    return texts[long_positive], texts[negative_end], texts[positive_end]


def test_a_long_reviews_verdict_depends_on_its_last_part(shipped_bundle, imdb_split):
    from review_sentiment._bundle import load_bundle
    from review_sentiment._classify import classify_text

    start, negative_end, positive_end = _long_positive_and_negative_ending(shipped_bundle, imdb_split)
    assert len(words(start)) > 300  # both endings begin after the tutorial's 256-word window
    turned = classify_text(shipped_bundle, start + "\n\n" + negative_end)
    kept = classify_text(shipped_bundle, start + "\n\n" + positive_end)
    assert (turned.label, kept.label) == ("negative", "positive")
    assert not turned.truncated and turned.words_read == len(words(start + " " + negative_end))

    seed = load_bundle(SEED_BUNDLE)  # reads 255 words: the end cannot change its verdict
    assert classify_text(seed, start + "\n\n" + negative_end).probability == classify_text(
        seed, start + "\n\n" + positive_end).probability


def test_every_word_of_a_long_review_is_explained(shipped_bundle, imdb_split):
    text = max(imdb_split.test.texts[:500], key=lambda t: len(words(t)))
    from review_sentiment._classify import classify_text

    verdict = classify_text(shipped_bundle, text)
    assert len(verdict.words) == len(words(text)) > 900
    assert all(w.read and w.contribution is not None for w in verdict.words)
    known = [w for w in verdict.words if w.known]
    assert sum(1 for w in known if w.contribution != 0) >= 0.99 * len(known)
    last = verdict.words[-1]
    assert last.end > len(text) - 20 and verdict.read_until == last.end


def test_a_reviews_probability_does_not_depend_on_the_reviews_batched_with_it(shipped_bundle, imdb_split):
    """Rows are padded to the longest of their batch; the network ignores <PAD> to the last bit."""
    texts = imdb_split.test.texts[:200]
    alone = np.array([shipped_bundle.classify_texts([t])[0] for t in texts[:30]])
    longest = max(imdb_split.test.texts, key=len)
    together = shipped_bundle.classify_texts(texts[:30] + [longest])[:30]
    np.testing.assert_array_equal(alone, together)


@pytest.mark.parametrize("args, message", [
    (["--vocab-size", "4"], "vocab_size must be a whole number above 4"),
    (["--vocab-size", "2", "--arch", "seed"], "vocab_size"),
    (["--max-length", "0"], "max_length must be at least 2"),
    (["--epochs", "-3"], "--epochs must be at least 1"),
    (["--epochs", "0"], "--epochs must be at least 1"),
    (["--batch-size", "0"], "--batch-size must be at least 1"),
    (["--arch", "bigram-nb", "--refit"], "bigram-nb has none; train it without --refit"),
])
def test_training_options_that_cannot_work_are_refused_before_training(args, message, tmp_path):
    from trainer.cli import main

    code, out, err = run_cli(main, [*args, "--models-dir", str(tmp_path / "models")])
    assert code == 2 and message in err
    assert not (tmp_path / "models").exists()
    assert "Epoch" not in out
