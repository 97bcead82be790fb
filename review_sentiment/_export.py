"""Write batch results as CSV or JSON lines, to standard output or atomically to a file.

A file is written to a temporary name beside it and renamed into place only when complete, so
an interrupted run never leaves half a file, and an existing file is replaced only when asked.
"""

from __future__ import annotations

import csv
import json
import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from review_sentiment._batch import ReviewResult
from review_sentiment._verdict import NEGATIVE, POSITIVE, UNCERTAIN, confidence

FIELDS = ("source", "line", "label", "probability", "confidence", "warning", "error", "model", "word_index_sha256")
EXPLAIN_CSV_FIELDS = ("log_odds", "baseline", "top_phrases")  # with --explain; JSON lines add the words too
FORMATS = ("csv", "jsonl")
ERRORS_KEPT = 20


class OutputExistsError(FileExistsError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists; choose another file or allow replacing it (--force)")


def format_for_path(path: str | Path | None) -> str:
    """jsonl for .jsonl/.ndjson/.json files, csv otherwise."""
    return "jsonl" if path and Path(path).suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"


def record_of(result: ReviewResult, with_text: bool = False) -> dict:
    p = result.probability
    record = {
        "source": result.source,
        "line": result.line,
        "label": result.label,
        "probability": p,
        "confidence": None if p is None else confidence(p),
        "warning": result.warning,
        "error": result.error,
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
    return (result.source, "" if result.line is None else result.line, result.label,
            "" if p is None else p, "" if p is None else confidence(p), result.warning, result.error,
            result.model, result.word_index_sha256)


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
        self._csv = None

    def __enter__(self) -> ResultWriter:
        if self.path is None:
            self._stream = sys.stdout
        else:
            if self.path.exists() and not self.overwrite:
                raise OutputExistsError(self.path)
            folder = self.path.parent
            handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.", suffix=".part")
            self._temp = Path(temp)
            os.chmod(handle, _file_mode(self.path))  # mkstemp makes it private; give it a normal file's mode
            self._stream = open(handle, "w", encoding="utf-8", newline="")
        if self.format == "csv":
            self._csv = csv.writer(self._stream, lineterminator="\n")
            self._csv.writerow(FIELDS + (EXPLAIN_CSV_FIELDS if self.explain else ()) + (("text",) if self.with_text else ()))
        return self

    def write(self, results: Iterable[ReviewResult], explanations: list | None = None) -> None:
        """Write results; with `explain`, `explanations` holds one per result (None for a failed one)."""
        results = list(results)
        for result in results:
            if result.error:
                self.counts["failed"] += 1
                if len(self.first_errors) < ERRORS_KEPT:
                    self.first_errors.append(result.error)
            else:
                self.counts[result.label] += 1
        if self.explain:
            self._write_explained(results, explanations)
        elif self._csv is not None:
            rows = (_csv_row(r) + (r.text,) for r in results) if self.with_text else map(_csv_row, results)
            self._csv.writerows(rows)
        else:
            self._stream.write("".join(json.dumps(record_of(r, self.with_text), ensure_ascii=False) + "\n"
                                       for r in results))

    def _write_explained(self, results: list[ReviewResult], explanations: list) -> None:
        from review_sentiment._explain_batch import explanation_fields_json, top_phrases

        if self._csv is not None:
            self._csv.writerows(
                _csv_row(r) + (("", "", "") if e is None else (e.log_odds, e.baseline, top_phrases(r.text, e)))
                for r, e in zip(results, explanations))
            return
        lines = []
        for result, explanation in zip(results, explanations):
            record = json.dumps(record_of(result), ensure_ascii=False)
            if explanation is not None:
                record = f"{record[:-1]}, {explanation_fields_json(result.text, explanation)}}}"
            lines.append(record + "\n")
        self._stream.write("".join(lines))

    def __exit__(self, kind, error, traceback) -> None:
        if self.path is None:
            self._stream.flush()
            return
        try:
            self._stream.flush()
            os.fsync(self._stream.fileno())
        finally:
            self._stream.close()
        if kind is not None:
            self._temp.unlink(missing_ok=True)
            return
        self._publish()

    def _publish(self) -> None:
        if self.overwrite:
            os.replace(self._temp, self.path)
            return
        try:
            os.link(self._temp, self.path)  # fails if the file appeared meanwhile: never clobber it
        except FileExistsError:
            self._temp.unlink(missing_ok=True)
            raise OutputExistsError(self.path) from None
        except OSError:  # a file system without hard links
            if self.path.exists():
                self._temp.unlink(missing_ok=True)
                raise OutputExistsError(self.path) from None
            os.replace(self._temp, self.path)
            return
        self._temp.unlink()
