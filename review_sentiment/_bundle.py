"""Load a model bundle and refuse it, with a reason a person can act on, when it is not valid.

Qt-free and TensorFlow-free: used by the app, by the `classify` command, and by
`python -m trainer evaluate` (so evaluation scores exactly what the app runs).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime as ort

from review_sentiment.encoding import (
    FIRST_WORD_ID,
    EncodingSettings,
    WordIndex,
    encode_batch,
)
from review_sentiment import bundle_format as fmt


class BundleError(Exception):
    """A model bundle that cannot be used. `str()` names the file and the reason."""

    def __init__(self, path: Path | str, reason: str, hint: str = "") -> None:
        self.path = Path(path)
        self.reason = reason
        self.hint = hint
        super().__init__(f"{path}: {reason}" + (f". {hint}" if hint else ""))


def default_models_dir() -> Path:
    """The shipped `models/` folder: inside a frozen (PyInstaller) app; inside this package when
    installed from the wheel (which carries it as `review_sentiment/models`); else at the top of
    the source checkout, beside this package."""
    if getattr(sys, "frozen", False):
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "models"
    package = Path(__file__).resolve().parent
    installed = package / "models"
    return installed if installed.is_dir() else package.parent / "models"


def how_to_get_a_model() -> str:
    """What a person can do when no model loads: a built app cannot retrain, a source checkout can."""
    if getattr(sys, "frozen", False):
        return "Reinstall the app, or open a bundle with File > Open model"
    return "Retrain one with `uv run python -m trainer`, or open a bundle with File > Open model"


def resolve_model_file(path: Path | str) -> Path:
    """A .onnx file, a bundle folder, or a models folder whose CURRENT names the bundle in use."""
    path = Path(path)
    if path.is_dir():
        pointer = path / fmt.CURRENT_POINTER
        if pointer.is_file():
            name = pointer.read_text(encoding="utf-8").strip()
            if not name or "/" in name or "\\" in name or name.startswith("."):
                raise BundleError(pointer, f"does not name a bundle folder ({name!r})")
            path = path / name
        path = path / fmt.MODEL_FILE
    if not path.exists():
        raise BundleError(
            path,
            "no model found",
            how_to_get_a_model(),
        )
    return path


# Networks output float32 probabilities: near 0 they keep their precision down to ~1e-38, near 1
# they stop at 1 - 2**-24. Clipping any tighter would flatten every word's contribution to zero in
# the most clear-cut reviews, exactly where a person expects strong highlights.
_LOWEST = float(np.finfo(np.float32).tiny)
_HIGHEST = 1.0 - 2.0**-24


@dataclass
class ModelBundle:
    """A loaded, checked model: ready to classify."""

    path: Path
    session: ort.InferenceSession = field(repr=False)
    settings: EncodingSettings
    word_index: WordIndex = field(repr=False)
    temperature: float
    name: str
    architecture: str
    card: dict | None = field(default=None, repr=False)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def asset(self, filename: str) -> Path | None:
        """A file beside the model (curves, card), if the bundle has it."""
        candidate = self.folder / filename
        return candidate if candidate.is_file() else None

    def raw_probabilities(self, ids: np.ndarray) -> np.ndarray:
        """The network's own probability of positive for each row of ids, uncalibrated."""
        ids = ids.astype(np.int32, copy=False)
        if len(ids) == 1:
            # onnxruntime takes another kernel for a single row, which differs in the last bits;
            # run it as a pair so one review gets exactly the probability it gets in a batch.
            return self.raw_probabilities(np.repeat(ids, 2, axis=0))[:1]
        (output,) = self.session.run([fmt.OUTPUT_NAME], {fmt.INPUT_NAME: ids})
        return output.reshape(-1).astype(np.float64)

    def calibrated_logits(self, raw: np.ndarray) -> np.ndarray:
        """Log-odds of positive after the bundle's temperature: what explanations compare."""
        p = np.clip(np.asarray(raw, dtype=np.float64), _LOWEST, _HIGHEST)
        return (np.log(p) - np.log1p(-p)) / self.temperature

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Apply the bundle's temperature: the probability that is shown and written."""
        if self.temperature == 1.0:
            return raw
        return 1.0 / (1.0 + np.exp(-self.calibrated_logits(raw)))

    def probabilities(self, ids: np.ndarray) -> np.ndarray:
        return self.calibrate(self.raw_probabilities(ids))

    def classify_texts(self, texts: list[str], batch_size: int = 1024) -> np.ndarray:
        """Calibrated probability of positive for each text."""
        out = np.empty(len(texts), dtype=np.float64)
        order = np.arange(len(texts))
        if self.settings.dynamic_length:  # batch texts of like length: less padding to run through
            order = np.argsort([len(text) for text in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = self.probabilities(
                encode_batch([texts[i] for i in chosen], self.word_index, self.settings)
            )
        return out


def _session(model_file: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = min(4, os.cpu_count() or 1)
    # Threads that spin while waiting steal the CPU from each other and from the UI on a busy
    # machine: a 250-word explanation took 6-10 ms instead of 2 under load with spinning on.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types for bad files
        reason = str(error).splitlines()[0][:300]
        if "External data path" in reason:
            # onnxruntime itself refuses tensors stored outside the model's folder (or at an
            # absolute path), so a model from elsewhere cannot make the app read arbitrary files.
            raise BundleError(model_file, f"refers to data outside its folder ({reason})",
                              "Only open models whose files are all inside one bundle folder") from error
        raise BundleError(model_file, f"not a readable ONNX model ({reason})",
                          "The file may be truncated or corrupt; retrain or pick another bundle") from error


def _metadata(model_file: Path, session: ort.InferenceSession) -> dict[str, str]:
    meta = session.get_modelmeta().custom_metadata_map
    missing = [k for k in (fmt.KEY_FORMAT, fmt.KEY_ENCODING, fmt.KEY_WORD_INDEX, fmt.KEY_WORD_INDEX_SHA256) if k not in meta]
    if missing:
        raise BundleError(model_file, "is an ONNX model but not a review-sentiment bundle "
                          f"(its metadata lacks {', '.join(missing)})",
                          "Export models with `python -m trainer`")
    if meta[fmt.KEY_FORMAT] != fmt.FORMAT_VERSION:
        raise BundleError(model_file, f"bundle format {meta[fmt.KEY_FORMAT]} is not supported "
                          f"(this program reads format {fmt.FORMAT_VERSION})")
    return meta


def _check_signature(model_file: Path, session: ort.InferenceSession, settings: EncodingSettings) -> None:
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or inputs[0].name != fmt.INPUT_NAME or "int" not in inputs[0].type:
        got = ", ".join(f"{i.name} {i.type} {i.shape}" for i in inputs)
        raise BundleError(model_file, f"expects the input {got}, not integer '{fmt.INPUT_NAME}' [batch, length]")
    shape = inputs[0].shape
    if len(shape) != 2:
        raise BundleError(model_file, f"its input shape {shape} is not [batch, length]")
    if settings.dynamic_length and isinstance(shape[1], int):
        raise BundleError(model_file, f"its input takes rows of exactly {shape[1]} ids, but its encoding "
                          "settings give rows as long as each text needs")
    if not settings.dynamic_length and isinstance(shape[1], int) and shape[1] != settings.row_width:
        raise BundleError(model_file, f"its input shape {shape} does not fit rows of {settings.row_width} ids")
    if not any(o.name == fmt.OUTPUT_NAME for o in outputs):
        got = ", ".join(o.name for o in outputs)
        raise BundleError(model_file, f"has no output '{fmt.OUTPUT_NAME}' (it has {got})")


def _check_vocabulary_fits(model_file: Path, session: ort.InferenceSession, settings: EncodingSettings) -> None:
    """Run the largest id the word index can produce: an embedding too small fails here, not later."""
    probe = np.zeros((2, 2 if settings.dynamic_length else settings.row_width), dtype=np.int32)
    probe[:, 0] = 1
    probe[1, 1] = settings.vocab_size - 1
    try:
        (out,) = session.run([fmt.OUTPUT_NAME], {fmt.INPUT_NAME: probe})
    except Exception as error:
        raise BundleError(model_file, f"its word index reaches id {settings.vocab_size - 1}, which the "
                          f"model cannot take ({str(error).splitlines()[0][:200]})",
                          "The word index does not belong to this model") from error
    if out.shape[0] != 2 or not np.all(np.isfinite(out)) or np.any((out < 0) | (out > 1)):
        raise BundleError(model_file, "does not output one probability between 0 and 1 per review")


def load_bundle(path: Path | str) -> ModelBundle:
    """Load and check a bundle. Raises BundleError with the file and the reason."""
    model_file = resolve_model_file(path)
    if model_file.is_dir() or model_file.suffix.lower() != ".onnx":
        raise BundleError(model_file, "is not an .onnx model file")
    session = _session(model_file)
    meta = _metadata(model_file, session)
    try:
        settings = EncodingSettings.from_dict(json.loads(meta[fmt.KEY_ENCODING]))
        word_index = WordIndex.from_json(meta[fmt.KEY_WORD_INDEX])
        calibration = json.loads(meta.get(fmt.KEY_CALIBRATION, '{"temperature": 1.0}'))
        temperature = float(calibration["temperature"])
    except (ValueError, KeyError, TypeError) as error:
        raise BundleError(model_file, f"its metadata is damaged ({error})") from error
    if word_index.sha256 != meta[fmt.KEY_WORD_INDEX_SHA256]:
        raise BundleError(model_file, "its word index does not match the hash it was exported with",
                          "The file was altered; retrain or pick another bundle")
    if len(word_index) > settings.vocab_size:
        raise BundleError(model_file, f"its word index has {len(word_index)} ids, more than the model's "
                          f"vocabulary of {settings.vocab_size}")
    if not (temperature > 0 and np.isfinite(temperature)):
        raise BundleError(model_file, f"its calibration temperature {temperature} is not a positive number")
    _check_signature(model_file, session, settings)
    _check_vocabulary_fits(model_file, session, settings)
    card = _read_card(model_file.parent / fmt.CARD_JSON)
    name = meta.get(fmt.KEY_NAME) or model_file.parent.name
    return ModelBundle(
        path=model_file, session=session, settings=settings, word_index=word_index,
        temperature=temperature, name=name, architecture=meta.get(fmt.KEY_ARCHITECTURE, "unknown"),
        card=card,
    )


def _read_card(path: Path) -> dict | None:
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return card if isinstance(card, dict) else None


__all__ = ["BundleError", "ModelBundle", "default_models_dir", "load_bundle", "resolve_model_file", "FIRST_WORD_ID"]
