"""Load a model bundle and refuse it, with a reason a person can act on, when it is not valid.

Qt-free and TensorFlow-free: used by the app, by the `classify` command, and by
`python -m trainer evaluate` (so evaluation scores exactly what the app runs).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

# This program is offline and sends nothing anywhere: onnxruntime 1.2x on Linux would otherwise
# start a thread when imported, keep its events in a SQLite store under ~/.cache/Microsoft and try
# to upload them (and write that store at exit). Read once, at onnxruntime's first import.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
import onnxruntime as ort  # noqa: E402

if hasattr(ort, "disable_telemetry_events"):  # imported before this module: stop its events at least
    ort.disable_telemetry_events()

from review_sentiment.encoding import (
    FIRST_WORD_ID,
    PAD_ID,
    EncodingSettings,
    WordIndex,
    encode_batch,
)
from review_sentiment import bundle_format as fmt
from review_sentiment._additive import AdditiveShares, for_bundle
from review_sentiment._memory import huge_pages_for_what_is_made
from review_sentiment._reading import ReadError, describe_os_error, read_small_file
from review_sentiment._shown import shown

# What a bundle may hold, checked before anything is read or allocated by it. The shipped models
# are 0.7 and 2 MB, their cards 10 KB; a word takes ~10 characters of the word index's JSON.
MAX_MODEL_BYTES = 512 * 1024 * 1024
MAX_CARD_BYTES = 1024 * 1024
MAX_POINTER_BYTES = 1024
MAX_SETTINGS_CHARS = 4096
MAX_CHARS_PER_WORD = 64
# onnxruntime's working memory (all sessions of this process share it): a model whose output or
# intermediate tensors outgrow it fails that call instead of exhausting the machine. The shipped
# models use under 100 MB on the largest batches the batch code makes.
MODEL_MEMORY_BYTES = 2 * 1024**3
# How long one call of the model may take before it is stopped. The shipped models take under
# 0.5 s for a batch of 1,024 reviews on a busy two-core machine; a model that loops is stopped.
RUN_SECONDS = 60.0


class BundleError(Exception):
    """A model bundle that cannot be used. `str()` names the file and the reason."""

    def __init__(self, path: Path | str, reason: str, hint: str = "") -> None:
        self.path = Path(path)
        self.reason = reason
        self.hint = hint
        super().__init__(f"{shown(path)}: {reason}" + (f". {hint}" if hint else ""))

    def __reduce__(self):
        """Pickled as its parts, so a worker process's error reaches the parent as itself."""
        return type(self), (self.path, self.reason, self.hint)


class ModelRunError(BundleError):
    """A loaded model that failed, took too long, or returned something that is not a probability
    per review. The batch it ran on has no results; nothing made up is written for it."""


_PICK_ANOTHER = "Pick another bundle (File > Open model, or --model), or retrain this one"


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
    return "Retrain one with `uv run --group train python -m trainer`, or open a bundle with File > Open model"


def resolve_model_file(path: Path | str) -> Path:
    """A .onnx file, a bundle folder, or a models folder whose CURRENT names the bundle in use."""
    path = Path(path)
    if path.is_dir():
        pointer = path / fmt.CURRENT_POINTER
        if os.path.lexists(pointer):
            path = path / _pointed_name(pointer)
        path = path / fmt.MODEL_FILE
    if not path.exists():
        raise BundleError(
            path,
            "no model found",
            how_to_get_a_model(),
        )
    return path


def _pointed_name(pointer: Path) -> str:
    """The bundle folder name a CURRENT file holds: one line of UTF-8, a plain folder name."""
    try:
        data = read_small_file(pointer, MAX_POINTER_BYTES)
    except OSError as error:
        raise BundleError(pointer, describe_os_error(error), "Write the bundle's folder name into it") from error
    except ReadError as error:
        raise BundleError(pointer, f"{error}; it should hold one line, the name of a bundle folder",
                          "Write the bundle's folder name into it") from error
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        raise BundleError(pointer, "starts with a byte-order mark (it was saved as UTF-16 or with a BOM)",
                          "Save it as plain UTF-8 holding only the bundle's folder name")
    try:
        name = data.decode("utf-8").strip()
    except UnicodeDecodeError as error:
        raise BundleError(pointer, f"is not UTF-8 text (byte {error.start})",
                          "Save it as plain UTF-8 holding only the bundle's folder name") from error
    if not name or "/" in name or "\\" in name or name.startswith(".") or not name.isprintable():
        raise BundleError(pointer, f"does not name a bundle folder ({shown(name)!r})",
                          "Write the bundle's folder name into it")
    return name


def _check_model_file(model_file: Path) -> None:
    """A regular file of sane size inside its own folder: never a pipe (onnxruntime would wait on
    it forever), a device, a huge file, or a link to a file elsewhere."""
    try:
        info = os.stat(model_file)
    except OSError as error:
        raise BundleError(model_file, describe_os_error(error)) from error
    if not stat.S_ISREG(info.st_mode):
        raise BundleError(model_file, "is not a regular file (a pipe, device or socket)",
                          "A bundle's model.onnx must be an ordinary file")
    if info.st_size > MAX_MODEL_BYTES:
        raise BundleError(model_file, f"is {info.st_size / 1e6:,.0f} MB, more than the "
                          f"{MAX_MODEL_BYTES / 1e6:,.0f} MB a model of this program can be", _PICK_ANOTHER)
    _check_inside_folder(model_file)


def _check_inside_folder(file: Path) -> None:
    """Refuse a bundle file that is a link to somewhere outside the bundle's folder."""
    if Path(os.path.realpath(file)).parent != Path(os.path.realpath(file.parent)):
        raise BundleError(file, f"is a link to {shown(os.path.realpath(file))}, outside its bundle folder",
                          "Copy the file into the bundle folder instead of linking to it")


# Networks output float32 probabilities: near 0 they keep their precision down to ~1e-38, near 1
# they stop at 1 - 2**-24. Clipping any tighter would flatten every word's contribution to zero in
# the most clear-cut reviews, exactly where a person expects strong highlights.
_LOWEST = float(np.finfo(np.float32).tiny)
_HIGHEST = 1.0 - 2.0**-24


# Rows of dynamic length are run in blocks of a multiple of this many rows, each as wide as a
# multiple of this many ids (padded with <PAD> rows and places, which such models ignore): every row
# of the network's float64 values then starts on a 64-byte boundary and is summed by onnxruntime's
# vectorised loop, never by its loop for a leftover row, so a text gets the same probability, bit
# for bit, alone (the app), in any batch of any width (classify, the library) and in the trainer's
# evaluation. Run as they came, 292 of 15,000 placements of real reviews in random batches
# differed from the review alone in the last bit (tests/test_probability_company.py).
_ROW_ALIGNMENT = 8


def aligned_shape(rows: int, width: int) -> tuple[int, int]:
    """`rows` and `width` each rounded up to a multiple of `_ROW_ALIGNMENT`."""
    return rows + -rows % _ROW_ALIGNMENT, width + -width % _ROW_ALIGNMENT


def aligned_rows(ids: np.ndarray) -> np.ndarray:
    """`ids` with <PAD> rows and places added up to multiples of `_ROW_ALIGNMENT` (itself if
    they are; not np.pad, which costs 0.1 ms a call: a tenth of pasting a review to its verdict)."""
    rows, width = ids.shape
    shape = aligned_shape(rows, width)
    if shape == ids.shape:
        return ids
    base = ids.base
    if (isinstance(base, np.ndarray) and base.shape == shape
            and base.dtype == ids.dtype and base.strides == ids.strides and base.ctypes.data == ids.ctypes.data
            and not base[rows:].any() and not base[:rows, width:].any()):
        return base  # the top left of its aligned rows, the rest <PAD> (`encoding.rows_of_runs`' chunks)
    padded = np.full(shape, PAD_ID, dtype=ids.dtype)
    padded[:rows, :width] = ids
    return padded


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
    card_problem: str = ""
    """Why model_card.json was not used (card is then None), for the model panel to say."""
    run_seconds: float = RUN_SECONDS
    """How long one call of the model may take before it is stopped (ModelRunError)."""
    additive: AdditiveShares | None = field(default=None, repr=False)
    """Exact shares of the log-odds, when the model is a sum that passed the check at load."""

    @property
    def folder(self) -> Path:
        return self.path.parent

    @cached_property
    def word_index_sha256(self) -> str:
        """The word index's hash (what every record names the model by): checked against the
        bundle's own at load and kept, as hashing the index anew takes 10-20 ms."""
        return self.word_index.sha256

    def asset(self, filename: str) -> Path | None:
        """A file beside the model (curves, card), if the bundle has it."""
        candidate = self.folder / filename
        return candidate if candidate.is_file() else None

    def raw_probabilities(self, ids: np.ndarray) -> np.ndarray:
        """The network's own probability of positive for each row of ids, uncalibrated."""
        ids = ids.astype(np.int32, copy=False)
        if self.settings.dynamic_length:
            return run_model(self.session, self.path, aligned_rows(ids), self.run_seconds)[: len(ids)]
        if len(ids) == 1:
            # onnxruntime takes another kernel for a single row, which differs in the last bits;
            # run it as a pair so one review gets exactly the probability it gets in a batch.
            return self.raw_probabilities(np.repeat(ids, 2, axis=0))[:1]
        return run_model(self.session, self.path, ids, self.run_seconds)

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


def run_model(session: ort.InferenceSession, model_file: Path, ids: np.ndarray, seconds: float) -> np.ndarray:
    """The model's probability of positive for each row, checked: stopped after `seconds`, and
    refused (ModelRunError) unless it is one number from 0 to 1 per row."""
    (probabilities,) = run_outputs(session, model_file, ids, seconds, [fmt.OUTPUT_NAME])
    return _checked_probabilities(model_file, probabilities, len(ids))


def run_outputs(session: ort.InferenceSession, model_file: Path, ids: np.ndarray, seconds: float,
                names: list[str]) -> list:
    """The model's outputs `names` for the rows `ids`, unchecked; a failure, or a call still running
    after `seconds` (stopped then), raises ModelRunError saying which and what to do."""
    options = ort.RunOptions()
    options.log_severity_level = 4  # the failure is raised with its reason; no second copy on stderr
    _watchdog.watch(options, seconds)
    try:
        with _in_onnxruntime():
            outputs = session.run(names, {fmt.INPUT_NAME: ids}, options)
    except Exception as error:  # onnxruntime raises its own exception types
        if options in _stopped:
            raise ModelRunError(model_file, "was stopped: the program is closing") from error
        if options.terminate:
            raise ModelRunError(model_file, f"took longer than {seconds:g} s on {len(ids):,} reviews and was "
                                "stopped (it may loop forever)", _PICK_ANOTHER) from error
        if "Available memory" in str(error):
            raise ModelRunError(model_file, f"needed more than the {MODEL_MEMORY_BYTES / 1024**3:g} GB of memory a "
                                f"model may use, on {len(ids):,} reviews", _PICK_ANOTHER) from error
        raise ModelRunError(model_file, f"failed on {len(ids):,} reviews ({_first_line(error)})", _PICK_ANOTHER) from error
    finally:
        _watchdog.forget(options)
    return outputs


class _Watchdog:
    """One thread per process that stops each model call still running at its deadline.

    A `threading.Timer` per call cost about 0.6 ms of CPU each (a thread started and ended): a
    third of the network's time in `classify`, which makes a call per few dozen reviews. Started
    on first use; a forked child gets a watchdog of its own (`_fresh_after_fork`)."""

    def __init__(self) -> None:
        self._changed = threading.Condition(_runs_lock)
        self._deadlines: dict[ort.RunOptions, float] = {}
        self._started = False
        self._wakes_at = float("inf")  # when the watchdog thread looks at the deadlines next

    def watch(self, options: ort.RunOptions, seconds: float) -> None:
        with self._changed:
            if not self._started:
                self._started = True
                threading.Thread(target=self._run, name="model-watchdog", daemon=True).start()
            deadline = time.monotonic() + seconds
            self._deadlines[options] = deadline
            _running.add(options)
            # Woken only when it would otherwise look too late: calls one after another (a worker's)
            # then wake it about once a minute, not once per call (a thread switch each time,
            # and on a busy machine a wait for the GIL to come back).
            if deadline < self._wakes_at:
                self._changed.notify()

    def forget(self, options: ort.RunOptions) -> None:
        with self._changed:
            self._deadlines.pop(options, None)
            _running.discard(options)
            _stopped.discard(options)

    def _run(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                for options, deadline in list(self._deadlines.items()):
                    if deadline <= now:
                        options.terminate = True
                        del self._deadlines[options]
                self._wakes_at = min(self._deadlines.values(), default=now + 3600)
                self._changed.wait(max(0.0, self._wakes_at - now))


_runs_lock = threading.Lock()
_running: set[ort.RunOptions] = set()
_stopped: set[ort.RunOptions] = set()
_watchdog = _Watchdog()


def _fresh_after_fork() -> None:
    """A forked child starts with new locks and no calls to watch: a lock another thread of the
    parent held at the fork would stay held in the child for ever."""
    global _runs_lock, _watchdog
    _runs_lock = threading.Lock()
    _running.clear()
    _stopped.clear()
    _watchdog = _Watchdog()


class _OnnxruntimeInUse:
    """Counts the threads inside onnxruntime (loading or running a model); a fork waits until
    there are none and lets none in until it is done.

    A worker process forked while another thread is inside onnxruntime would inherit its locks
    held (the shared memory arena's, the environment's) and could wait on them for ever when it
    makes its own session. Calls from several threads still run at the same time."""

    def __init__(self) -> None:
        self._idle = threading.Condition(threading.Lock())
        self._inside = 0

    @contextmanager
    def __call__(self):
        with self._idle:
            self._inside += 1
        try:
            yield
        finally:
            with self._idle:
                self._inside -= 1
                self._idle.notify_all()

    def hold_for_fork(self) -> None:
        self._idle.acquire()
        while self._inside:
            self._idle.wait()

    def release_after_fork(self) -> None:
        self._idle.release()


_in_onnxruntime = _OnnxruntimeInUse()


def _before_fork() -> None:
    _in_onnxruntime.hold_for_fork()


def _after_fork_in_parent() -> None:
    _in_onnxruntime.release_after_fork()


def _after_fork_in_child() -> None:
    global _in_onnxruntime
    _in_onnxruntime = _OnnxruntimeInUse()
    _fresh_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)


def stop_model_runs() -> None:
    """Stop every model call running in this process now (each raises ModelRunError): a window
    that is closing must not wait for a model that may never finish."""
    with _runs_lock:
        for options in _running:
            _stopped.add(options)
            options.terminate = True


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:300]


def _checked_probabilities(model_file: Path, output, rows: int) -> np.ndarray:
    if not isinstance(output, np.ndarray) or output.dtype not in (np.float32, np.float64):
        kind = output.dtype if isinstance(output, np.ndarray) else type(output).__name__
        raise ModelRunError(model_file, f"returned {kind} values, not float probabilities", _PICK_ANOTHER)
    if output.shape not in ((rows,), (rows, 1)):
        raise ModelRunError(model_file, f"returned an array of shape {list(output.shape)} for {rows:,} "
                            f"reviews, not one probability per review ([{rows}, 1])", _PICK_ANOTHER)
    values = output.reshape(-1).astype(np.float64)
    bad = ~((values >= 0) & (values <= 1))  # NaN fails both comparisons
    if bad.any():
        example = values[bad][0]
        raise ModelRunError(model_file, f"returned {int(bad.sum()):,} values that are not probabilities "
                            f"(such as {float(example):g}) for {rows:,} reviews; nothing was kept for them", _PICK_ANOTHER)
    return values


_memory_capped = threading.Lock()


def _cap_model_memory() -> bool:
    """Give every session of this process one shared arena of at most MODEL_MEMORY_BYTES, once."""
    if getattr(_cap_model_memory, "done", None) is None:
        with _memory_capped:
            if getattr(_cap_model_memory, "done", None) is None:
                try:
                    where = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
                    arena = ort.OrtArenaCfg({"max_mem": MODEL_MEMORY_BYTES, "arena_extend_strategy": 1})
                    ort.create_and_register_allocator(where, arena)
                    _cap_model_memory.done = True
                except Exception:  # an onnxruntime without shared allocators: run without the cap
                    _cap_model_memory.done = False
    return _cap_model_memory.done


def _session(model_file: Path, threads: int | None = None) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if _cap_model_memory():
        options.add_session_config_entry("session.use_env_allocators", "1")
    options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
    # Threads that spin while waiting steal the CPU from each other and from the UI on a busy
    # machine: a 250-word explanation took 6-10 ms instead of 2 under load with spinning on.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        with huge_pages_for_what_is_made():  # the weights: read at hashed places, page after page
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
    try:
        meta = session.get_modelmeta().custom_metadata_map
    except UnicodeDecodeError as error:  # onnxruntime hands the bytes on; one flipped bit breaks them
        raise BundleError(model_file, f"its metadata is not UTF-8 text (byte {error.start} of one value)",
                          "The file was altered or damaged; retrain or pick another bundle") from error
    missing = [k for k in (fmt.KEY_FORMAT, fmt.KEY_ENCODING, fmt.KEY_WORD_INDEX, fmt.KEY_WORD_INDEX_SHA256) if k not in meta]
    if missing:
        raise BundleError(model_file, "is an ONNX model but not a review-sentiment bundle "
                          f"(its metadata lacks {', '.join(missing)})",
                          "Export models with `python -m trainer`")
    if meta[fmt.KEY_FORMAT] != fmt.FORMAT_VERSION:
        raise BundleError(model_file, f"bundle format {shown(meta[fmt.KEY_FORMAT][:40])} is not supported "
                          f"(this program reads format {fmt.FORMAT_VERSION})")
    return meta


def _json_value(model_file: Path, key: str, text: str, limit: int):
    """One JSON metadata value, refused when longer than `limit` characters (before parsing it)
    or nested too deep to parse."""
    if len(text) > limit:
        raise BundleError(model_file, f"its metadata {key} is {len(text):,} characters long, more than "
                          f"the {limit:,} it can be", _PICK_ANOTHER)
    try:
        return json.loads(text)
    except RecursionError as error:
        raise BundleError(model_file, f"its metadata {key} is nested too deep to read", _PICK_ANOTHER) from error
    except ValueError as error:
        raise BundleError(model_file, f"its metadata {key} is not valid JSON ({error})", _PICK_ANOTHER) from error


def _settings(model_file: Path, meta: dict[str, str]) -> EncodingSettings:
    data = _json_value(model_file, fmt.KEY_ENCODING, meta[fmt.KEY_ENCODING], MAX_SETTINGS_CHARS)
    if not isinstance(data, dict):
        raise BundleError(model_file, f"its metadata {fmt.KEY_ENCODING} is not a JSON object", _PICK_ANOTHER)
    try:
        return EncodingSettings.from_dict(data)
    except (ValueError, TypeError) as error:
        raise BundleError(model_file, f"its encoding settings cannot be used ({error})", _PICK_ANOTHER) from error


def _word_index(model_file: Path, meta: dict[str, str], settings: EncodingSettings) -> WordIndex:
    text = meta[fmt.KEY_WORD_INDEX]
    words = _json_value(model_file, fmt.KEY_WORD_INDEX, text, MAX_CHARS_PER_WORD * settings.vocab_size + 2)
    if not isinstance(words, list):
        raise BundleError(model_file, "its word index is not a JSON list of words", _PICK_ANOTHER)
    if FIRST_WORD_ID + len(words) > settings.vocab_size:
        raise BundleError(model_file, f"its word index has {FIRST_WORD_ID + len(words):,} ids, more than the "
                          f"model's vocabulary of {settings.vocab_size:,}", _PICK_ANOTHER)
    try:
        word_index = WordIndex(tuple(words))
    except ValueError as error:
        raise BundleError(model_file, f"its word index is damaged ({error})", _PICK_ANOTHER) from error
    # The exporter stores the index's canonical JSON, whose hash it records: when the stored text has
    # that hash it is that JSON, so the index is checked without writing the JSON out again (10-20 ms).
    expected = meta[fmt.KEY_WORD_INDEX_SHA256]
    if hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() != expected and word_index.sha256 != expected:
        raise BundleError(model_file, "its word index does not match the hash it was exported with",
                          "The file was altered; retrain or pick another bundle")
    try:
        word_index.check_matches_contract()
    except ValueError as error:
        raise BundleError(model_file, str(error), "Retrain the model with this program's trainer") from error
    return word_index


def _temperature(model_file: Path, meta: dict[str, str]) -> float:
    calibration = _json_value(model_file, fmt.KEY_CALIBRATION, meta.get(fmt.KEY_CALIBRATION, '{"temperature": 1.0}'),
                              MAX_SETTINGS_CHARS)
    value = calibration.get("temperature") if isinstance(calibration, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value < float("inf")):
        raise BundleError(model_file, f"its calibration temperature {shown(repr(value))[:60]} is not a positive number",
                          _PICK_ANOTHER)
    return float(value)


_PROBABILITY_TYPES = ("tensor(float)", "tensor(double)")


def _check_signature(model_file: Path, session: ort.InferenceSession, settings: EncodingSettings) -> None:
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or inputs[0].name != fmt.INPUT_NAME or "int" not in inputs[0].type:
        got = ", ".join(f"{i.name} {i.type} {i.shape}" for i in inputs)
        raise BundleError(model_file, f"expects the input {got}, not integer '{fmt.INPUT_NAME}' [batch, length]")
    if inputs[0].type != "tensor(int32)":
        raise BundleError(model_file, f"its input '{fmt.INPUT_NAME}' takes {inputs[0].type} ids; this program "
                          "gives int32 ids (see docs/bundle-format.md)", "Export the model with an int32 input")
    shape = inputs[0].shape
    if len(shape) != 2:
        raise BundleError(model_file, f"its input shape {shape} is not [batch, length]")
    if settings.dynamic_length and isinstance(shape[1], int):
        raise BundleError(model_file, f"its input takes rows of exactly {shape[1]} ids, but its encoding "
                          "settings give rows as long as each text needs")
    if not settings.dynamic_length and isinstance(shape[1], int) and shape[1] != settings.row_width:
        raise BundleError(model_file, f"its input shape {shape} does not fit rows of {settings.row_width} ids")
    found = [o for o in outputs if o.name == fmt.OUTPUT_NAME]
    if not found:
        got = ", ".join(o.name for o in outputs)
        raise BundleError(model_file, f"has no output '{fmt.OUTPUT_NAME}' (it has {got})")
    output = found[0]
    if output.type not in _PROBABILITY_TYPES:
        raise BundleError(model_file, f"its output '{fmt.OUTPUT_NAME}' is {output.type}, not float probabilities",
                          _PICK_ANOTHER)
    if not 1 <= len(output.shape) <= 2 or (len(output.shape) == 2 and isinstance(output.shape[1], int)
                                          and output.shape[1] != 1):
        raise BundleError(model_file, f"its output '{fmt.OUTPUT_NAME}' has shape {output.shape}, not one "
                          "probability per review ([batch, 1])", _PICK_ANOTHER)


def _check_vocabulary_fits(model_file: Path, session: ort.InferenceSession, settings: EncodingSettings,
                           seconds: float) -> None:
    """Run the largest id the word index can produce: an embedding too small fails here, not later."""
    probe = np.zeros((2, 2 if settings.dynamic_length else settings.row_width), dtype=np.int32)
    probe[:, 0] = 1
    probe[1, 1] = settings.vocab_size - 1
    try:
        run_model(session, model_file, probe, seconds)
    except ModelRunError as error:
        cause = error.__cause__
        if cause is None or "took longer" in error.reason:  # ran, but gave no probabilities, or hung
            raise BundleError(model_file, f"failed its check on two short rows: it {error.reason}", _PICK_ANOTHER) from error
        raise BundleError(model_file, f"its word index reaches id {settings.vocab_size - 1}, which the "
                          f"model cannot take ({_first_line(cause)[:200]})",
                          "The word index does not belong to this model") from error


def load_bundle(path: Path | str, run_seconds: float = RUN_SECONDS, threads: int | None = None) -> ModelBundle:
    """Load and check a bundle. Raises BundleError with the file and the reason.

    `run_seconds` bounds every call of the model, the load's own check included; `threads` sets
    onnxruntime's threads per call (default: up to 4), for batch workers sharing the cores."""
    with _in_onnxruntime():  # no fork while the session is made and checked
        return _load_bundle(path, run_seconds, threads)


def _load_bundle(path: Path | str, run_seconds: float, threads: int | None) -> ModelBundle:
    model_file = resolve_model_file(path)
    if model_file.is_dir() or model_file.suffix.lower() != ".onnx":
        raise BundleError(model_file, "is not an .onnx model file")
    _check_model_file(model_file)
    session = _session(model_file, threads)
    meta = _metadata(model_file, session)
    settings = _settings(model_file, meta)
    word_index = _word_index(model_file, meta, settings)
    temperature = _temperature(model_file, meta)
    _check_signature(model_file, session, settings)
    _check_vocabulary_fits(model_file, session, settings, run_seconds)
    card, card_problem = _read_card(model_file.parent / fmt.CARD_JSON)
    name = meta.get(fmt.KEY_NAME) or model_file.parent.name
    bundle = ModelBundle(
        path=model_file, session=session, settings=settings, word_index=word_index,
        temperature=temperature, name=name, architecture=meta.get(fmt.KEY_ARCHITECTURE, "unknown"),
        card=card, card_problem=card_problem, run_seconds=run_seconds,
    )
    bundle.word_index_sha256 = meta[fmt.KEY_WORD_INDEX_SHA256]  # what `_word_index` checked the index's hash against
    bundle.additive = for_bundle(bundle)  # checked on the bundle's samples; None: leave-one-out
    return bundle


def _read_card(path: Path) -> tuple[dict | None, str]:
    """The model card, or None and why not: it is documentation, so a bad one never stops a load."""
    if not os.path.lexists(path):
        return None, ""
    try:
        _check_inside_folder(path)
        card = json.loads(read_small_file(path, MAX_CARD_BYTES).decode("utf-8"))
    except BundleError as error:
        return None, error.reason
    except OSError as error:
        return None, describe_os_error(error)
    except (ReadError, ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        return None, f"is not a readable JSON card ({str(error)[:200] or type(error).__name__})"
    problem = card_type_problem(card)
    return (None, problem) if problem else (card, "")


# The card fields programs read, and the JSON types they must have (numbers: int or float).
_CARD_FIELDS = {
    ("data",): dict, ("data", "description"): str, ("data", "source"): str, ("data", "reviews"): int,
    ("data", "split_sizes"): dict, ("metrics",): dict, ("metrics", "test"): dict,
    ("metrics", "test", "accuracy"): float, ("metrics", "test", "ece"): float, ("metrics", "test", "n"): int,
    ("created",): str, ("parameters",): int,
}


def card_type_problem(card: object) -> str:
    """What is wrong with a card's types (the app shows these fields), or "" when nothing is."""
    if not isinstance(card, dict):
        return f"is a JSON {_json_kind(card)}, not an object"
    for keys, kind in _CARD_FIELDS.items():
        value, parent = card, None
        for key in keys:
            parent, value = value, value.get(key) if isinstance(value, dict) else None
        if value is None:
            continue
        fits = isinstance(value, (int, float)) if kind is float else isinstance(value, kind)
        if isinstance(value, bool) or not fits:
            return f"its field {'.'.join(keys)!r} is a JSON {_json_kind(value)}, not {_JSON_KIND[kind]}"
    test = card.get("metrics", {}).get("test", {})
    if "accuracy" in test and "n" not in test:
        return "its field 'metrics.test.accuracy' is given without 'metrics.test.n' (how many reviews)"
    sizes = card.get("data", {}).get("split_sizes", {})
    if any(isinstance(v, bool) or not isinstance(v, int) for v in sizes.values()):
        return "its field 'data.split_sizes' holds values that are not whole numbers"
    return ""


_JSON_KIND = {dict: "an object", list: "a list", str: "text", int: "a whole number", float: "a number",
              bool: "true/false", type(None): "null"}


def _json_kind(value: object) -> str:
    return _JSON_KIND.get(type(value), type(value).__name__).removeprefix("an ").removeprefix("a ")


__all__ = ["BundleError", "ModelBundle", "ModelRunError", "stop_model_runs", "default_models_dir", "load_bundle", "resolve_model_file", "FIRST_WORD_ID"]
