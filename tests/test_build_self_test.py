"""`--self-test`, the check a frozen build runs on itself: it passes on the shipped bundle and
fails, saying where, when the bundle's samples or model no longer agree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from desktop.__main__ import main as desktop_main
from review_sentiment._bundle import default_models_dir, resolve_model_file
from review_sentiment._self_test import SamplesError, read_samples, run


@pytest.fixture
def bundle_copy(tmp_path) -> Path:
    """A private copy of the shipped bundle folder, free to damage."""
    source = resolve_model_file(default_models_dir()).parent
    return Path(shutil.copytree(source, tmp_path / source.name))


def _rewrite_samples(folder: Path, change) -> None:
    path = folder / "samples.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    change(records)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_the_shipped_bundle_passes_and_the_summary_is_one_line(capsys):
    assert desktop_main(["--self-test"]) == 0
    out = capsys.readouterr().out
    samples = read_samples(resolve_model_file(default_models_dir()).parent / "samples.jsonl")
    assert out.count("\n") == 1
    assert out.startswith(f"self-test passed: {len(samples)} of {len(samples)} sample reviews agree")


def test_the_shipped_samples_are_real_reviews_of_both_labels():
    samples = read_samples(resolve_model_file(default_models_dir()).parent / "samples.jsonl")
    assert {s.label for s in samples} == {"positive", "negative"}
    assert all(len(s.text.split()) >= 10 for s in samples)


def test_a_probability_off_by_more_than_the_tolerance_fails_naming_the_line(bundle_copy, capsys):
    _rewrite_samples(bundle_copy, lambda records: records[2].update(probability=records[2]["probability"] - 0.001))
    passed, summary = run(bundle_copy)
    assert not passed
    assert "1 of" in summary and "line 3" in summary
    assert desktop_main(["--self-test", "--models", str(bundle_copy)]) == 1
    assert "self-test FAILED" in capsys.readouterr().err


def test_a_flipped_label_fails(bundle_copy):
    flip = {"positive": "negative", "negative": "positive"}
    _rewrite_samples(bundle_copy, lambda records: records[0].update(label=flip[records[0]["label"]]))
    passed, summary = run(bundle_copy)
    assert not passed and "line 1" in summary


def test_uncalibrated_probabilities_would_fail(bundle_copy, shipped_bundle):
    """The check is tight enough to notice a build that forgot the calibration temperature."""
    from review_sentiment.encoding import encode_batch

    def use_raw(records):
        ids = encode_batch([r["text"] for r in records], shipped_bundle.word_index, shipped_bundle.settings)
        for record, raw in zip(records, shipped_bundle.raw_probabilities(ids)):
            record["probability"] = float(raw)

    _rewrite_samples(bundle_copy, use_raw)
    passed, _ = run(bundle_copy)
    assert not passed


@pytest.mark.parametrize("line, complaint", [
    ("{not json", "not valid JSON"),
    ('{"text": "Fine film.", "label": "good", "probability": 0.9}', "field 'label'"),
    ('{"text": "Fine film.", "label": "positive", "probability": 1.5}', "field 'probability'"),
    ('{"label": "positive", "probability": 0.9}', "field 'text'"),
])
def test_a_malformed_samples_file_names_the_file_and_line(bundle_copy, line, complaint):
    path = bundle_copy / "samples.jsonl"
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    count = len(path.read_text(encoding="utf-8").splitlines())
    with pytest.raises(SamplesError, match=complaint) as error:
        read_samples(path)
    assert f"{path}, line {count}" in str(error.value)
    passed, summary = run(bundle_copy)
    assert not passed and complaint in summary


def test_missing_samples_fail_with_the_file_named(bundle_copy):
    (bundle_copy / "samples.jsonl").unlink()
    passed, summary = run(bundle_copy)
    assert not passed and "samples.jsonl" in summary


def test_a_truncated_model_fails_with_the_file_named(bundle_copy):
    model = bundle_copy / "model.onnx"
    model.write_bytes(model.read_bytes()[:5000])
    passed, summary = run(bundle_copy)
    assert not passed
    assert summary.startswith("self-test FAILED") and str(model) in summary
