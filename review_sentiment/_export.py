"""Write batch results as CSV or JSON lines, to standard output or atomically to a file.

A file is written, unnamed, in its folder (Linux's O_TMPFILE; elsewhere a hidden `.part` name)
and given its name only when complete and synced to disk, so an interrupted, killed or
out-of-space run never leaves half a file or a part file, and an existing file is replaced only
when asked. File names that are not UTF-8 are written with their odd bytes as ``\\xNN``.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import os
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from review_sentiment._batch import ReviewResult
from review_sentiment._shown import shown, writable_name
from review_sentiment._verdict import NEGATIVE, POSITIVE, UNCERTAIN, confidence

FIELDS = ("source", "line", "label", "probability", "confidence", "warning", "error", "model", "word_index_sha256")
EXPLAIN_CSV_FIELDS = ("log_odds", "baseline", "top_phrases")  # with --explain; JSON lines add the words too
FORMATS = ("csv", "jsonl")
ERRORS_KEPT = 20
SYNC_BYTES = 2 * 1024 * 1024
"""Bytes written to a file, not yet synced, after which a sync to disk starts in the background
(2 MB: the 9 MB of 50,000 plain records then left 15-30 ms of syncing at the end, not 35-80)."""


class OutputExistsError(FileExistsError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"{shown(path)} already exists; choose another file or allow replacing it (--force)")


class OutputError(OSError):
    """An output that must not be written to: not a regular file, or one of the inputs."""


def check_output_target(path: Path, inputs: Iterable[str] = ()) -> None:
    """Refuse, before anything is read, an output that would replace a device, a pipe, a folder or
    one of the input files, or whose folder does not exist. Raises OutputError."""
    text = os.fsdecode(path)
    if text.endswith(("/", os.sep)) or path.is_dir():
        raise OutputError(f"{shown(path)} is a folder; --output needs a file name inside it")
    if not path.parent.is_dir():
        raise OutputError(f"the folder {shown(path.parent)} does not exist; create it first or choose another --output")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"{shown(path)} is a device, pipe or socket, not a file; leave out --output "
                          "to write to standard output")
    for source in inputs:
        try:
            same = os.path.samestat(info, os.stat(source))
        except OSError:
            continue
        if same:
            raise OutputError(f"{shown(path)} is also an input ({shown(source)}); writing the results "
                              "there would destroy it. Choose another --output")


def format_for_path(path: str | Path | None) -> str:
    """jsonl for .jsonl/.ndjson/.json files, csv otherwise."""
    return "jsonl" if path and Path(path).suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"


def record_of(result: ReviewResult, with_text: bool = False) -> dict:
    p = result.probability
    record = {
        "source": writable_name(result.source),
        "line": result.line,
        "label": result.label,
        "probability": p,
        "confidence": None if p is None else confidence(p),
        "warning": writable_name(result.warning),
        "error": writable_name(result.error),
        "model": result.model,
        "word_index_sha256": result.word_index_sha256,
    }
    if with_text:
        record["text"] = result.text
    return record


def _file_mode(path: Path) -> int:
    """The mode the file would have if written directly: the replaced file's, else 0o666 minus the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        pass
    try:
        status = Path("/proc/self/status").read_text()
        umask = int(next(line.split()[1] for line in status.splitlines() if line.startswith("Umask:")), 8)
    except (OSError, StopIteration, ValueError):
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def _csv_row(result: ReviewResult) -> tuple:
    p = result.probability
    return (_csv_text(result.source), "" if result.line is None else result.line, result.label,
            "" if p is None else p, "" if p is None else confidence(p),
            _csv_text(result.warning) if result.warning else "",
            _csv_text(result.error) if result.error else "", result.model, result.word_index_sha256)


def _csv_line(result: ReviewResult) -> str:
    """`_csv_row` as the CSV writer writes it, a line of text: the same characters (a test checks),
    a quarter of the time. Only a result with a warning or an error, which need the writer's
    quoting, goes through it; the other fields are quoted once per distinct value."""
    p = result.probability
    if result.warning or result.error or p is None:
        return _csv_writer_line(_csv_row(result))
    return (f"{_csv_quoted(_csv_text(result.source))},{'' if result.line is None else result.line},{result.label},"
            f"{p!r},{confidence(p)!r},,,{_csv_quoted(result.model)},{_csv_quoted(result.word_index_sha256)}\n")


def _csv_writer_line(row: tuple) -> str:
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(row)
    return line.getvalue()


def _csv_field(text: str) -> str:
    """One field as the CSV writer writes it among others: quoted when it holds a comma, a quote
    or a newline (with the "\\n" line ending; a lone CR it leaves as it is)."""
    return _csv_writer_line((text, ""))[:-2] if "," in text or '"' in text or "\n" in text else text


@functools.lru_cache(maxsize=1024)
def _csv_quoted(text: str) -> str:
    """`_csv_field` of a text that comes back with each record (a file's name, the model's)."""
    return _csv_field(text)


@functools.lru_cache(maxsize=1024)  # a file's name comes back with each of its reviews
def _csv_text(text: str) -> str:
    """A text field as the CSV writer can keep it: Python's writer leaves a lone CR unquoted (a
    file name may hold one), which would end the record there, so CR is written as ``\\r``."""
    text = writable_name(text)
    return text.replace("\r", "\\r") if "\r" in text else text


@dataclass(frozen=True, slots=True)
class Rendered:
    """Results as records of text, with how many had each label and the first errors."""

    text: str | bytes
    """bytes when the `Renderer` has an encoding."""
    counts: dict
    errors: list


@dataclass(frozen=True)
class Renderer:
    """Formats results as `ResultWriter` writes them; picklable, so a worker process can run it."""

    format: str
    explain: bool = False
    with_text: bool = False
    encoding: str | None = None
    """Give the text encoded so (a file's records: bytes, encoded where they were made), or as str."""

    def __call__(self, results: list[ReviewResult]) -> Rendered:
        counts = {POSITIVE: 0, NEGATIVE: 0, UNCERTAIN: 0, "failed": 0}
        errors = []
        for result in results:
            if result.error:
                counts["failed"] += 1
                if len(errors) < ERRORS_KEPT:
                    errors.append(result.error)
            else:
                counts[result.label] += 1
        text = self._text(results)
        return Rendered(self._encoded(text), counts, errors)

    def classified_lines(self, source: str, lines: list[int], labels: list[str], probabilities: list[float],
                         warning: str, model: str, word_index_sha256: str, texts: list[str] | None = None,
                         explanations: list | None = None) -> Rendered | None:
        """What `self(results)` makes of results that were all classified (no error), each from its
        line of one file, with one warning, made by one model: the same text (a test compares them),
        without a `ReviewResult` per review. With `explain`, `explanations` holds each review's
        `_explain_batch.Explanation` (of `texts`), written as `writes_fields_of`'s function would
        have formatted them. None for records that hold more (the texts) or lack explanations."""
        if self.with_text or self.explain != (explanations is not None):
            return None
        counts = {POSITIVE: 0, NEGATIVE: 0, UNCERTAIN: 0, "failed": 0}
        for label in labels:
            counts[label] += 1
        sure = list(map(confidence, probabilities))
        if self.format == "csv":
            head = _csv_quoted(_csv_text(source)) + ","
            tail = f",{_csv_quoted(_csv_text(warning)) if warning else ''},,{_csv_quoted(model)},{_csv_quoted(word_index_sha256)}"
            if explanations is not None:
                from review_sentiment._explain_batch import explanations_fields_csv

                fields = explanations_fields_csv(texts, explanations)
                text = "".join([f"{head}{line},{label},{p!r},{c!r}{tail},{log_odds!r},{baseline!r},{_csv_field(top)}\n"
                                for line, label, p, c, (log_odds, baseline, top)
                                in zip(lines, labels, probabilities, sure, fields)])
            else:
                text = "".join([f"{head}{line},{label},{p!r},{c!r}{tail}\n"
                                for line, label, p, c in zip(lines, labels, probabilities, sure)])
            return Rendered(self._encoded(text), counts, [])
        head = '{"source": ' + json.dumps(writable_name(source), ensure_ascii=False) + ', "line": '
        tail = (', "warning": ' + json.dumps(writable_name(warning), ensure_ascii=False) + ', "error": "", "model": '
                + json.dumps(model, ensure_ascii=False) + ', "word_index_sha256": '
                + json.dumps(word_index_sha256, ensure_ascii=False))
        records = [f'{head}{line}, "label": "{label}", "probability": {p!r}, "confidence": {c!r}{tail}'
                   for line, label, p, c in zip(lines, labels, probabilities, sure)]
        if explanations is None:
            text = "".join([record + "}\n" for record in records])
            return Rendered(self._encoded(text), counts, [])
        from review_sentiment._explain_batch import explanations_records_json

        # The explanation's fields go inside each record, as the general path puts them (`_text`).
        data = explanations_records_json(texts, explanations, [record + ", " for record in records], b"}\n")
        if self.encoding is None or codecs.lookup(self.encoding).name != "utf-8":
            text = data.decode("utf-8")
            return Rendered(self._encoded(text), counts, [])
        return Rendered(data, counts, [])

    def _encoded(self, text: str) -> str | bytes:
        return text if self.encoding is None else text.encode(self.encoding)

    def writes_fields_of(self, explain) -> bool:
        """True if `explain` is --explain's function for this format (`_explain_batch.jsonl_fields`
        or `csv_fields`): `classified_lines` writes from explanations what its fields would be."""
        from review_sentiment import _explain_batch

        return explain is (_explain_batch.jsonl_fields if self.format == "jsonl" else _explain_batch.csv_fields)

    def _text(self, results: list[ReviewResult]) -> str:
        if self.format == "csv":
            if self.explain:
                rows = (_csv_row(r) + (r.explained or ("", "", "")) for r in results)
            elif self.with_text:
                rows = (_csv_row(r) + (r.text,) for r in results)
            else:
                return "".join(map(_csv_line, results))
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerows(rows)
            return text.getvalue()
        if self.explain:
            return "".join(
                (f"{record[:-1]}, {r.explained[0]}}}\n" if r.explained else record + "\n")
                for r, record in ((r, json.dumps(record_of(r), ensure_ascii=False)) for r in results))
        return "".join(json.dumps(record_of(r, self.with_text), ensure_ascii=False) + "\n" for r in results)


class _EarlySync:
    """Syncs what was written to a file to disk in a thread while the run writes on, once
    SYNC_BYTES are unsynced, so the fsync a published file needs finds little left at the end
    (79 MB of --explain records took 0.15-0.2 s to sync then, after all the work was done).
    One sync at a time; `finish` waits for it and raises its error: the bytes it failed to
    sync may be lost, and a later fsync need not report that again."""

    def __init__(self, handle: int) -> None:
        self._handle = handle
        self._unsynced = 0
        self._thread: threading.Thread | None = None
        self._error: OSError | None = None

    def wrote(self, count: int, flush) -> None:
        self._unsynced += count
        if self._unsynced < SYNC_BYTES or (self._thread is not None and self._thread.is_alive()):
            return
        flush()  # what the stream still holds reaches the file first
        self._unsynced = 0
        self._thread = threading.Thread(target=self._sync, name="result sync", daemon=True)
        self._thread.start()

    def _sync(self) -> None:
        try:
            getattr(os, "fdatasync", os.fsync)(self._handle)
        except OSError as error:
            self._error = error

    def finish(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error


class ResultWriter:
    """`with ResultWriter(path, "csv") as w: w.write(results)`; counts labels and keeps the first errors."""

    def __init__(self, path: str | Path | None, output_format: str = "csv", overwrite: bool = False,
                 explain: bool = False, with_text: bool = False) -> None:
        if output_format not in FORMATS:
            raise ValueError(f"unknown output format {output_format!r}; use csv or jsonl")
        self.path = Path(path) if path else None
        self.format = output_format
        self.overwrite = overwrite
        self.explain = explain
        self.with_text = with_text  # the app's exports carry the review text; the command's do not
        self.counts = {POSITIVE: 0, NEGATIVE: 0, UNCERTAIN: 0, "failed": 0}
        self.first_errors: list[str] = []
        self._temp: Path | None = None
        self._stream: TextIO | None = None
        self._early_sync: _EarlySync | None = None

    def __enter__(self) -> ResultWriter:
        if self.path is None:
            self._stream = sys.stdout
        else:
            if self.path.exists() and not self.overwrite:
                raise OutputExistsError(self.path)
            # Bytes: the records come already encoded (`renderer`), from the worker processes too.
            self._stream = open(self._unnamed_file(), "wb")
            self._early_sync = _EarlySync(self._stream.fileno())
        if self.format == "csv":
            header = _csv_writer_line(FIELDS + (EXPLAIN_CSV_FIELDS if self.explain else ()) + (("text",) if self.with_text else ()))
            self._stream.write(header if self.path is None else header.encode("utf-8"))
        return self

    def _unnamed_file(self) -> int:
        """A file descriptor for the results: unnamed where the system allows it, so nothing
        is left behind even by `kill -9`; else a hidden part file beside the output."""
        folder = self.path.parent
        mode = _file_mode(self.path)
        if hasattr(os, "O_TMPFILE"):
            try:
                return os.open(folder, os.O_TMPFILE | os.O_WRONLY, mode)
            except OSError:
                pass  # a file system without unnamed files: fall back to a part file
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.", suffix=".part")
        self._temp = Path(temp)
        os.chmod(handle, mode)  # mkstemp makes it private; give it a normal file's mode
        return handle

    def write(self, results: Iterable[ReviewResult]) -> None:
        """Write results; with `explain`, each result's `explained` holds its explanation fields
        (`_explain_batch.jsonl_fields` or `csv_fields`; empty for a failed one)."""
        self.write_rendered(self.renderer(list(results)))

    @property
    def renderer(self) -> Renderer:
        """What `write` formats results with: a worker process can format them as well (`classify_to_text`)."""
        return Renderer(self.format, self.explain, self.with_text, None if self.path is None else "utf-8")

    def write_rendered(self, rendered: Rendered) -> None:
        """Write records `renderer` formatted (here or in a worker), and count them."""
        for key, count in rendered.counts.items():
            self.counts[key] += count
        self.first_errors += rendered.errors[: max(0, ERRORS_KEPT - len(self.first_errors))]
        self._stream.write(rendered.text)
        if self._early_sync is not None:
            self._early_sync.wrote(len(rendered.text), self._stream.flush)

    def __exit__(self, kind, error, traceback) -> None:
        if self.path is None:
            if kind is None:
                self._stream.flush()
            return
        if kind is not None:  # nothing is kept: close (a full disk may fail the flush) and remove
            self._discard()
            return
        try:
            self._stream.flush()
            self._early_sync.finish()
            os.fsync(self._stream.fileno())
            self._publish()
            sync_folder(self.path.parent)
        except BaseException:
            self._discard()
            raise
        self._stream.close()

    def _discard(self) -> None:
        try:
            self._early_sync.finish()  # before the file is closed: the sync uses its descriptor
        except OSError:
            pass
        try:
            self._stream.close()
        except OSError:
            pass
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)

    def _publish(self) -> None:
        """Give the synced file its name: never over an existing file unless asked to replace it."""
        if self._temp is None:  # unnamed: link it in, beside (then over) the output when replacing
            if not self.overwrite:
                try:
                    _link_unnamed(self._stream.fileno(), self.path)  # fails if the file appeared meanwhile
                except FileExistsError:
                    raise OutputExistsError(self.path) from None
                return
            self._temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
            _link_unnamed(self._stream.fileno(), self._temp)
        if self.overwrite:
            os.replace(self._temp, self.path)
            self._temp = None
            return
        try:
            os.link(self._temp, self.path)  # fails if the file appeared meanwhile: never clobber it
        except FileExistsError:
            raise OutputExistsError(self.path) from None
        except OSError:  # a file system without hard links
            if self.path.exists():
                raise OutputExistsError(self.path) from None
            os.replace(self._temp, self.path)
            self._temp = None
            return
        self._temp.unlink()
        self._temp = None


def _link_unnamed(handle: int, path: Path) -> None:
    """Name an O_TMPFILE file (linkat through /proc/self/fd, which needs no privilege)."""
    folder = os.open(path.parent, os.O_RDONLY)
    try:  # a folder fd makes os.link call linkat, which can follow the /proc link
        os.link(f"/proc/self/fd/{handle}", path.name, dst_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)


def sync_folder(folder: Path) -> None:
    """Make the new name itself survive a power cut (POSIX; Windows cannot open folders)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
