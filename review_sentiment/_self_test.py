"""`--self-test`: prove that an installed (or frozen) app can load its model and still agrees with it.

Loads the bundled model the way the app does, classifies the real reviews saved beside it in
samples.jsonl, and checks each verdict and probability against what the exporter recorded.
Needs no display and imports no Qt, so it runs on a build server.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from review_sentiment import bundle_format as fmt

TOLERANCE = 1e-4  # onnxruntime builds may differ in the last float32 digits, never by more


@dataclass(frozen=True)
class Sample:
    """One real review with the verdict the exporter saw the model give it."""

    line: int
    text: str
    label: str
    probability: float


class SamplesError(ValueError):
    """samples.jsonl is missing or malformed; the message names the file and line."""


def read_samples(path: Path) -> list[Sample]:
    """Parse samples.jsonl: one JSON object per line with text, label and probability."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise SamplesError(f"{path}: cannot be read ({error})") from error
    samples = [_parse_sample(path, number, line) for number, line in enumerate(lines, 1) if line.strip()]
    if not samples:
        raise SamplesError(f"{path}: holds no samples; re-export the bundle with `python -m trainer`")
    return samples


def _parse_sample(path: Path, number: int, line: str) -> Sample:
    where = f"{path}, line {number}"
    try:
        record = json.loads(line)
    except ValueError as error:
        raise SamplesError(f"{where}: not valid JSON ({error})") from error
    if not isinstance(record, dict):
        raise SamplesError(f"{where}: expected an object with text, label and probability")
    text, label, probability = record.get("text"), record.get("label"), record.get("probability")
    if not isinstance(text, str) or not text.strip():
        raise SamplesError(f"{where}: field 'text' must be a non-empty string")
    if label not in ("positive", "negative"):
        raise SamplesError(f"{where}: field 'label' must be 'positive' or 'negative', not {label!r}")
    if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 <= probability <= 1:
        raise SamplesError(f"{where}: field 'probability' must be a number from 0 to 1, not {probability!r}")
    return Sample(number, text, label, float(probability))


@dataclass(frozen=True)
class Mismatch:
    sample: Sample
    got_label: str
    got_probability: float

    def describe(self) -> str:
        return (f"line {self.sample.line}: expected {self.sample.label} {self.sample.probability:.6f}, "
                f"got {self.got_label} {self.got_probability:.6f}")


def check_samples(bundle, samples: list[Sample], tolerance: float = TOLERANCE) -> list[Mismatch]:
    """Classify each sample with the bundle; return those whose label or probability differ."""
    probabilities = bundle.classify_texts([s.text for s in samples])
    mismatches = []
    for sample, probability in zip(samples, probabilities):
        label = "positive" if probability >= 0.5 else "negative"
        if label != sample.label or abs(probability - sample.probability) > tolerance:
            mismatches.append(Mismatch(sample, label, float(probability)))
    return mismatches


def run(models: Path) -> tuple[bool, str]:
    """The self-test: (passed, one-line summary)."""
    from review_sentiment._bundle import BundleError, load_bundle  # onnxruntime loads here, timed below

    started = time.perf_counter()
    try:
        bundle = load_bundle(models)
        samples = read_samples(bundle.folder / fmt.SAMPLES_JSONL)
    except (BundleError, SamplesError) as error:
        return False, f"self-test FAILED: {error}"
    mismatches = check_samples(bundle, samples)
    seconds = time.perf_counter() - started
    where = f"model {bundle.name} at {bundle.path}"
    if mismatches:
        details = "; ".join(m.describe() for m in mismatches[:3])
        return False, (f"self-test FAILED: {len(mismatches)} of {len(samples)} sample reviews disagree "
                       f"with {where} ({details})")
    return True, f"self-test passed: {len(samples)} of {len(samples)} sample reviews agree with {where} in {seconds:.2f} s"


def main(argv: list[str] | None = None) -> int:
    from review_sentiment._bundle import default_models_dir

    parser = argparse.ArgumentParser(
        prog="review-sentiment --self-test",
        description="Load the bundled model, classify the real reviews shipped with it, check the verdicts.",
    )
    parser.add_argument("--models", type=Path, default=None,
                        help="a models folder, bundle folder or .onnx file (default: the bundled model)")
    args = parser.parse_args(argv)
    passed, summary = run(args.models or default_models_dir())
    print(summary, file=sys.stdout if passed else sys.stderr, flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
