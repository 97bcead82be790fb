"""The public API, `review_sentiment.load()` and `Model`: the classify command's numbers from
Python, the three ways to name a bundle, clear errors, and no Qt or TensorFlow on the way."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import review_sentiment
from review_sentiment._cli import main as classify_main
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def texts(imdb_split):
    """2,000 real test reviews, one line each (the per-line file the command reads)."""
    return [" ".join(t.split()) for t in imdb_split.test.texts[:2000]]


@pytest.fixture(scope="module")
def model():
    return review_sentiment.load()


def classify_command(tmp_path, texts, *options) -> list[dict]:
    source, output = tmp_path / "reviews.txt", tmp_path / "verdicts.jsonl"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    assert classify_main(["--per-line", "--quiet", "--force", *options, "--output", str(output), str(source)]) == 0
    return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]


def test_predict_proba_is_the_classify_commands_probability_bit_for_bit(tmp_path, model, texts):
    records = classify_command(tmp_path, texts)
    probabilities = model.predict_proba(texts)
    assert probabilities.dtype == np.float64 and probabilities.shape == (len(texts),)
    assert probabilities.tolist() == [r["probability"] for r in records]


def test_predict_gives_the_commands_labels_for_any_band(tmp_path, model, texts):
    for band in (0.0, 0.5):
        records = classify_command(tmp_path, texts, "--uncertain-band", str(band))
        assert model.predict(texts, band=band) == [r["label"] for r in records]
    assert model.predict(["qqqzx vvvzq"]) == ["uncertain"]  # no word it knows: never a side


def test_classify_and_explain_agree_with_predict_proba(model, texts, imdb_split):
    chosen = texts[:50]
    verdicts = model.classify(chosen)
    assert np.max(np.abs(np.array([v.probability for v in verdicts]) - model.predict_proba(chosen))) <= 1e-12
    assert [v.label for v in verdicts] == model.predict(chosen)
    explained = model.explain(chosen[0])
    assert explained.probability == pytest.approx(verdicts[0].probability, abs=1e-12)
    positive, negative = explained.strongest(3)
    assert positive and negative and all(w.contribution > 0 for w in positive)
    # The labelled sentiment shows in which side's words weigh more, on a clear-cut review.
    clear = next(t for t, y, p in zip(chosen, imdb_split.test.labels, verdicts) if y == 0 and p.probability < 0.05)
    assert model.explain(clear).label == "negative"


@pytest.mark.parametrize("form", ["models folder", "bundle folder", "onnx file"])
def test_load_takes_a_models_folder_a_bundle_folder_or_an_onnx_file(form, model, texts):
    models = ROOT / "models"
    bundle = models / (models / "CURRENT").read_text(encoding="utf-8").strip()
    path = {"models folder": models, "bundle folder": bundle, "onnx file": bundle / "model.onnx"}[form]
    loaded = review_sentiment.load(path)
    assert loaded.name == model.name and loaded.path == bundle
    assert loaded.word_index_sha256 == model.word_index_sha256 and len(loaded.word_index_sha256) == 64
    assert loaded.predict_proba(texts[:100]).tolist() == model.predict_proba(texts[:100]).tolist()


def test_one_thread_gives_the_same_probabilities(model, texts):
    single = review_sentiment.load(threads=1)
    assert np.max(np.abs(single.predict_proba(texts[:500]) - model.predict_proba(texts[:500]))) <= 1e-12
    with pytest.raises(ValueError, match="threads must be a whole number"):
        review_sentiment.load(threads=0)


def test_a_missing_bundle_names_the_path(tmp_path):
    with pytest.raises(review_sentiment.BundleError, match="no model found") as caught:
        review_sentiment.load(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(caught.value)


def test_texts_that_are_not_strings_are_refused_with_their_position(model):
    with pytest.raises(TypeError, match=r"texts\[1\] is NoneType, not str"):
        model.predict_proba(["fine", None])
    with pytest.raises(TypeError, match="not one string"):
        model.predict_proba("a single review")
    with pytest.raises(ValueError, match="band"):
        model.predict(["fine"], band=0.95)
    assert model.predict_proba([]).shape == (0,)


def test_the_public_api_is_what_all_names():
    assert set(review_sentiment.__all__) == {
        "BundleError", "DEFAULT_UNCERTAIN_BAND", "Model", "NEGATIVE", "POSITIVE", "SeenWord",
        "UNCERTAIN", "Verdict", "load"}
    assert all(getattr(review_sentiment, name).__doc__ for name in ("load", "Model", "Verdict"))


def test_importing_and_classifying_loads_no_qt_tensorflow_desktop_or_trainer():
    code = textwrap.dedent("""
        import sys
        import review_sentiment
        model = review_sentiment.load()
        assert model.predict(["A wonderful film, I loved every minute."]) == ["positive"]
        model.explain("A dull film.")
        roots = {name.split(".")[0] for name in sys.modules}
        print(sorted(roots & {"PySide6", "shiboken6", "tensorflow", "keras", "tf2onnx", "onnx",
                              "desktop", "review_sentiment_desktop", "trainer", "pandas", "ray", "pyspark"}))
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
