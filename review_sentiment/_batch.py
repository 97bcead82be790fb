"""Classify many reviews: find the input files, read reviews from them lazily in one of four
modes (one per file, per line, a CSV column, a JSONL field), and classify them in batches.

Shared by the app's batch panel and the `classify` command, so both give the same
probability for the same text as the single-review view (the same `ModelBundle.probabilities`
on the same `encode_batch` rows). Every bad input becomes one failed record naming the file
and line; the batch goes on. Qt-free.
"""

from __future__ import annotations

import collections
import csv
import ctypes
import dataclasses
import enum
import gc
import json
import mmap
import multiprocessing
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from review_sentiment import _reading as reading
from review_sentiment._bundle import _ROW_ALIGNMENT
from review_sentiment._memory import keep_freed_memory
from review_sentiment._reading import ReadError, describe_os_error
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND, NEGATIVE, POSITIVE, UNCERTAIN, label_for
from review_sentiment.encoding import FIRST_WORD_ID, PAD_ID, encode_batch, encode_ragged, encode_runs, rows_of_runs

STDIN = "-"
DEFAULT_EXTENSIONS = (".txt",)
BATCH_SIZE = 1024
BATCH_CHARS = 8_000_000  # a batch of very long reviews is cut short so memory stays bounded
BATCH_IDS = 1024 * 256  # model input ids per batch: 1024 rows of the tutorial's 256
# Rows of dynamic length are run in chunks of at most this many ids, rows of like length together:
# small enough that a chunk's padding stays under a tenth of its ids and its values stay in the
# cache, large enough that onnxruntime's cost per call is spread over many rows (trigram-nb: 10
# CPU us per IMDB review at 32-64 Ki ids, 13 us at 256 Ki, 14 us at 8 Ki).
CHUNK_IDS = 64 * 1024


class InputMode(enum.Enum):
    FILE = "file"  # the whole file is one review
    LINE = "line"  # each non-blank line is a review
    CSV = "csv"  # one column of a CSV file with a header row
    JSONL = "jsonl"  # one field of each JSON object, one object per line

    @property
    def needs_field(self) -> bool:
        return self in (InputMode.CSV, InputMode.JSONL)


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file to read (or standard input), or a path that failed before it could be read."""

    source: str
    """How records name it: the path as found, or '-' for standard input."""
    size: int = 0
    error: str = ""

    @property
    def is_stdin(self) -> bool:
        return self.source == STDIN


@dataclass(frozen=True, slots=True)
class Review:
    """One review to classify, or the reason a piece of input could not become one."""

    source: str
    line: int | None
    text: str = ""
    warning: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """One output record: what the batch table shows and the command line writes."""

    source: str
    line: int | None
    text: str
    probability: float | None
    label: str
    warning: str = ""
    error: str = ""
    knows_a_word: bool = True
    """False when no word of the text is in the model's vocabulary: always uncertain."""
    model: str = ""
    """The name of the model that gave the verdict (its bundle's name)."""
    word_index_sha256: str = ""
    """The hash of that model's word index: two models with one name but other words differ here."""
    explained: tuple = ()
    """With `classify_reviews(explain=...)`: what that function made of this review (for
    `classify --explain`, its explanation fields, formatted where the model ran)."""

    @property
    def ok(self) -> bool:
        return not self.error

    def label_with(self, band: float) -> str:
        """The label under another uncertain band (the single-review view's rule)."""
        if self.error:
            return ""
        return label_for(self.probability, band) if self.knows_a_word else UNCERTAIN


def parse_extensions(text: str) -> tuple[str, ...]:
    """'.txt, md' -> ('.txt', '.md'); '*' or '' means every file."""
    parts = [p.strip().lower() for p in text.replace(";", ",").replace(" ", ",").split(",")]
    if any(p in ("*", "*.*") for p in parts):
        return ()
    return tuple(sorted({p if p.startswith(".") else "." + p.lstrip("*.") for p in parts if p.strip("*.")}))


def _matches(name: str, extensions: Sequence[str]) -> bool:
    return not extensions or name.lower().endswith(tuple(extensions))


def find_input_files(
    paths: Iterable[str | Path],
    extensions: Sequence[str] = DEFAULT_EXTENSIONS,
    cancelled: threading.Event | None = None,
) -> Iterator[InputFile]:
    """Each path as given: '-' (standard input), a file (any extension), or a folder searched
    recursively for files with one of `extensions` (all files when empty), in name order.

    Symbolic links are followed, but a folder is never entered twice, so a link loop ends.
    """
    for path in paths:
        path = str(path)
        if path == STDIN:
            yield InputFile(STDIN)
        elif os.path.isdir(path):
            yield from _walk(path, extensions, cancelled)
        else:
            yield _input_file(path)


def _input_file(path: str) -> InputFile:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return InputFile(path, error="is a link to something that does not exist; remove or fix the link")
        return InputFile(path, error="no such file or folder; check the path")
    except OSError as error:
        return InputFile(path, error=describe_os_error(error))
    if not stat.S_ISREG(info.st_mode):
        return InputFile(path, error="is not a regular file (a pipe, device or socket); only text files can be classified")
    return InputFile(path, info.st_size)


def _walk(root: str, extensions: Sequence[str], cancelled: threading.Event | None) -> Iterator[InputFile]:
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        if cancelled is not None and cancelled.is_set():
            return
        folder = stack.pop()
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in seen:
                continue  # reached again through a link: a loop, or a second way in
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as error:
            yield InputFile(folder, error="folder " + describe_os_error(error))
            continue
        subfolders = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                subfolders.append(entry.path)
            elif _matches(entry.name, extensions):
                yield _input_file(entry.path)
        stack.extend(reversed(subfolders))


class ReviewReader:
    """Reads reviews from input files lazily, one at a time, and keeps count of the work done.

    Progress is counted in files for one-review-per-file and in bytes for the other modes, so a
    progress bar can show a fraction before the number of reviews is known.
    """

    def __init__(self, files: Iterable[InputFile], mode: InputMode = InputMode.FILE, field: str = "",
                 stdin: BinaryIO | None = None) -> None:
        if mode.needs_field and not field:
            raise ValueError(f"{mode.value} mode needs the name of the {'column' if mode is InputMode.CSV else 'field'} to read")
        self.files = list(files)
        self.mode = mode
        self.field = field
        self._stdin = stdin
        self.files_done = 0
        self._bytes_before = 0
        self._current: BinaryIO | None = None

    @property
    def work_total(self) -> int:
        if self.mode is InputMode.FILE:
            return len(self.files)
        return sum(f.size for f in self.files)

    @property
    def work_done(self) -> int:
        if self.mode is InputMode.FILE:
            return self.files_done
        current = self._current
        try:
            position = current.tell() if current is not None and not current.closed else 0
        except (OSError, ValueError):
            position = 0
        return self._bytes_before + position

    def __iter__(self) -> Iterator[Review]:
        return self._read_files(in_blocks=False)

    def pieces(self) -> Iterator[Review | ReviewBlock | FileEnd]:
        """`iter(self)`, with the lines of a file read one review per line (not standard input)
        left in blocks (`ReviewBlock`) for whoever classifies them to decode and split: a worker
        process, so this one only reads bytes. Such a file ends with its `FileEnd`."""
        return self._read_files(in_blocks=self.mode is InputMode.LINE)

    def _read_files(self, in_blocks: bool) -> Iterator[Review | ReviewBlock | FileEnd]:
        for item in self.files:
            if item.error:
                yield Review(item.source, None, error=f"{item.source} {item.error}")
            elif in_blocks and not item.is_stdin:
                yield from self._line_pieces(item)
            else:
                yield from self._reviews_of(item)
            self.files_done += 1
            self._bytes_before += item.size

    def _line_pieces(self, item: InputFile) -> Iterator[Review | ReviewBlock | FileEnd]:
        found = False
        try:
            with reading.open_regular_file(item.source) as stream:
                self._current = stream
                encoding, pieces = reading.open_line_blocks(stream)
                for piece in pieces:
                    if isinstance(piece, reading.LineBlock):
                        yield ReviewBlock(item.source, piece, encoding.warning)
                    else:
                        found = True
                        yield _line_review(item.source, piece, encoding.warning)
        except OSError as error:
            yield Review(item.source, None, error=f"{item.source} {describe_os_error(error)}")
            return
        except ReadError as error:
            yield Review(item.source, None, error=f"{item.source} {error}")
            return
        finally:
            self._current = None
        yield FileEnd(item.source, found)

    def _reviews_of(self, item: InputFile) -> Iterator[Review]:
        try:
            if item.is_stdin:
                stream = self._stdin or sys.stdin.buffer
                yield from self._read(item.source, stream, reading.MAX_REVIEW_BYTES)
                return
            with reading.open_regular_file(item.source) as stream:
                self._current = stream
                yield from self._read(item.source, stream, os.fstat(stream.fileno()).st_size)
        except OSError as error:
            yield Review(item.source, None, error=f"{item.source} {describe_os_error(error)}")
        except ReadError as error:
            yield Review(item.source, None, error=f"{item.source} {error}")
        finally:
            self._current = None

    def _read(self, source: str, stream: BinaryIO, size: int) -> Iterator[Review]:
        if self.mode is InputMode.FILE:
            # Ask for what the file holds (plus one byte to see it grew), not a 10 MB buffer each time.
            data = reading.read_up_to(stream, min(size, reading.MAX_REVIEW_BYTES) + 1)
            if len(data) > size:  # it grew, or reports no size (/proc): read on, up to the limit
                data += reading.read_up_to(stream, reading.MAX_REVIEW_BYTES + 1 - len(data))
            if len(data) > reading.MAX_REVIEW_BYTES:
                raise ReadError("is too large to be one review; classify it one review per line instead")
            decoded = reading.decode_bytes(data)
            yield Review(source, None, decoded.text, decoded.encoding.warning)
            return
        reader = {InputMode.LINE: _line_reviews, InputMode.CSV: _csv_reviews, InputMode.JSONL: _jsonl_reviews}[self.mode]
        found = False
        for review in reader(source, stream, self.field):
            found = True
            yield review
        if not found:
            raise ReadError("contains no reviews (only blank lines" + (" or a header" if self.mode is InputMode.CSV else "") + ")")


def _line_error(source: str, number: int, message: str) -> Review:
    return Review(source, number, error=f"{source}, line {number}: {message}")


def _line_reviews(source: str, stream: BinaryIO, _field: str) -> Iterator[Review]:
    encoding, lines = reading.open_lines(stream)
    for line in lines:
        if line.error or line.text.strip():
            yield _line_review(source, line, encoding.warning)


def _line_review(source: str, line: reading.Line, warning: str) -> Review:
    """A line that is not blank, as its review (or as its error)."""
    if line.error:
        return _line_error(source, line.number, line.error)
    return Review(source, line.number, line.text, line.warning or warning)


@dataclass(frozen=True, slots=True)
class ReviewBlock:
    """Lines of a file read one review per line, not yet decoded (`ReviewReader.pieces`)."""

    source: str
    block: reading.LineBlock
    warning: str
    """The file's encoding warning, if its encoding was a guess."""

    def reviews(self) -> list[Review]:
        return [_line_review(self.source, line, self.warning)
                for line in self.block.lines() if line.error or line.text.strip()]


@dataclass(frozen=True, slots=True)
class FileEnd:
    """The end of a file whose lines came in blocks: if none of them held a review (only blank
    lines), the file is one failed record, as `iter(ReviewReader)` makes it."""

    source: str
    found: bool
    """A review (or a line's error) came outside the blocks."""

    def error(self) -> Review:
        return Review(self.source, None, error=f"{self.source} contains no reviews (only blank lines)")


def _jsonl_reviews(source: str, stream: BinaryIO, field: str) -> Iterator[Review]:
    encoding, lines = reading.open_lines(stream)
    for line in lines:
        if line.error:
            yield _line_error(source, line.number, line.error)
            continue
        if not line.text.strip():
            continue
        record, problem = _json_record(line.text)
        if not problem:
            text, problem = _field_text(record, field)
        if problem:
            yield _line_error(source, line.number, problem)
        else:
            yield Review(source, line.number, text, line.warning or encoding.warning)


def _json_record(text: str) -> tuple[object, str]:
    """One line's JSON value, or why it is not one (a 5,000-digit number and 3,000 brackets
    deep are refused by the parser itself: they fail this line, not the run)."""
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as error:
        return None, f"not valid JSON ({error.msg} at column {error.colno}); each line must be one JSON object"
    except RecursionError:
        return None, "is JSON nested too deep to read; each line must be one flat JSON object"
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        return None, f"not readable JSON ({error}); each line must be one JSON object"


_JSON_KINDS = {list: "list", str: "text", int: "number", float: "number", bool: "true/false", type(None): "null"}


def _field_text(record: object, field: str) -> tuple[str, str]:
    if not isinstance(record, dict):
        kind = _JSON_KINDS.get(type(record), type(record).__name__)
        return "", f"is a JSON {kind}, not an object with a {field!r} field; each line must be one JSON object"
    if field not in record:
        names = ", ".join(map(repr, list(record)[:10])) or "none"
        return "", f"has no field {field!r} (its fields: {names}); choose the field with --jsonl-field"
    value = record[field]
    if not isinstance(value, str):
        kind = _JSON_KINDS.get(type(value), "object")
        return "", f"field {field!r} is {'null' if value is None else 'a JSON ' + kind}, not text"
    if not value.strip():
        return "", f"field {field!r} is empty"
    return value, ""


def _csv_reviews(source: str, stream: BinaryIO, column: str) -> Iterator[Review]:
    """The cells of one column, read from lines that are each bounded and decoded on their own
    (so a bad byte or an oversized line fails its own record, at its own line, and no more)."""
    encoding, lines = reading.open_lines(stream)
    feed = _CsvLines(lines)
    csv.field_size_limit(reading.MAX_REVIEW_BYTES)
    reader = csv.reader(feed)
    header = _csv_header(source, reader, feed)
    position, width = _column_position(header, column), len(header)
    while True:
        start, quotes = reader.line_num + 1, feed.quotes
        try:
            row = next(reader, None)
        except csv.Error as error:
            yield _line_error(source, start, f"not readable as CSV ({error}); this record was skipped")
            continue
        if feed.problems:
            yield from (_line_error(source, n, message) for n, message in feed.take_problems())
            continue
        if row is None:
            return
        if feed.ended and reader.line_num > start and (feed.quotes - quotes) % 2:
            yield _line_error(source, start, f"a quoted cell opened on this line is never closed, so lines "
                              f"{start}-{reader.line_num} (the rest of the file) were skipped; close the quote")
            return
        if not row:
            continue
        if len(row) != width:
            yield _line_error(source, start, f"the row has {_fields(len(row))} but the header has {width}; "
                              "check for a missing or unquoted comma")
        elif not row[position].strip():
            yield _line_error(source, start, f"the {column!r} cell is empty")
        else:
            yield Review(source, start, row[position], feed.warning(start) or encoding.warning)


class _CsvLines:
    """Lines for `csv.reader`, one per physical line of the file, so its line numbers stay true.
    A line that could not be read is fed as a blank line and kept as a problem for its record."""

    def __init__(self, lines: Iterator[reading.Line]) -> None:
        self._lines = lines
        self.problems: dict[int, str] = {}
        self._warnings: dict[int, str] = {}
        self.quotes = 0  # quote characters fed so far: odd inside an open quoted cell
        self.ended = False

    def __iter__(self) -> Iterator[str]:
        for line in self._lines:
            if line.error:
                self.problems[line.number] = line.error
                yield "\n"
                continue
            if line.warning:
                self._warnings[line.number] = line.warning
            self.quotes += line.text.count('"')
            yield line.text + "\n"
        self.ended = True

    def take_problems(self) -> list[tuple[int, str]]:
        found = sorted(self.problems.items())
        self.problems.clear()
        return found

    def warning(self, number: int) -> str:
        return self._warnings.pop(number, "")


def _csv_header(source: str, reader, feed: _CsvLines) -> list[str]:
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise ReadError(f"its header row is not readable as CSV ({error})") from error
    if feed.problems:
        number, message = feed.take_problems()[0]
        raise ReadError(f"line {number} (the header) {message}")
    if header is None:
        raise ReadError("is empty; there is no review in it to classify")
    return header


def _fields(count: int) -> str:
    return f"{count} field" if count == 1 else f"{count} fields"


def _column_position(header: list[str], column: str) -> int:
    names = [name.strip() for name in header]
    if column in header:
        return header.index(column)
    folded = [name.casefold() for name in names]
    if column.strip().casefold() in folded:
        return folded.index(column.strip().casefold())
    raise ReadError(f"has no column named {column!r}; its columns are {', '.join(map(repr, names))}. "
                    "Choose one of them as the text column")


def csv_columns(path: str | Path) -> list[str]:
    """The header of a CSV file, for offering a column to choose. Raises OSError or ReadError."""
    with reading.open_regular_file(path) as stream:
        _encoding, lines = reading.open_lines(stream)
        feed = _CsvLines(lines)
        return [name.strip() for name in _csv_header(str(path), csv.reader(feed), feed)]


def jsonl_fields(path: str | Path, lines: int = 20) -> list[str]:
    """Field names seen in the first JSON lines of a file, for offering one to choose.
    Raises OSError or ReadError; a line that is not a JSON object is passed over."""
    names: dict[str, None] = {}
    with reading.open_regular_file(path) as stream:
        _encoding, found = reading.open_lines(stream)
        for line in found:
            if line.number > lines:
                break
            record, problem = _json_record(line.text)
            if not problem and isinstance(record, dict):
                names.update(dict.fromkeys(k for k, v in record.items() if isinstance(v, str)))
    return list(names)


def _batches(reviews: Iterable[Review], size: int) -> Iterator[list[Review]]:
    batch: list[Review] = []
    chars = 0
    for review in reviews:
        batch.append(review)
        chars += len(review.text)
        if len(batch) >= size or chars >= BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def classify_reviews(
    bundle,
    reviews: Iterable[Review],
    band: float = DEFAULT_UNCERTAIN_BAND,
    batch_size: int = BATCH_SIZE,
    cancelled: threading.Event | None = None,
    workers: int = 0,
    explain: Callable[[object, list[str], ModelBatches], list[tuple]] | None = None,
    model_in_workers: bool = False,
) -> Iterator[list[ReviewResult]]:
    """Classify reviews in batches; yield each batch's results in input order, failures in place.

    With `workers` > 0, texts are encoded in that many worker processes while this one reads and
    hands results on: encoding is pure Python, so this is what puts a second core to work. With
    `model_in_workers` too, each worker also runs the model (a session of its own, checked to
    give this process's probabilities), so this process only reads and writes. Stops before the
    next batch once `cancelled` is set; what was yielded stays valid.
    `explain`, if given, is called with the bundle, a batch's texts (those without an error) and
    their rows, where the model runs (a module-level function, so a worker can run it), and
    returns one tuple per text: each result's `explained`.
    """
    batches = _batches(reviews, _rows_per_batch(bundle.settings, batch_size))
    if workers > 0:
        scored = _score_in_workers(bundle, batches, workers, explain, model_in_workers)
    else:
        scored = _score_here(bundle, batches, explain)
    made_by = (bundle.name, bundle.word_index_sha256)
    try:
        for batch, verdicts in scored:
            if cancelled is not None and cancelled.is_set():
                return
            if not isinstance(verdicts, _Verdicts):  # rows encoded by a worker: run the model here
                verdicts = _verdicts(bundle, _texts(batch), verdicts, explain)
            yield _results(batch, verdicts, band, made_by)
    finally:
        scored.close()  # stops the workers, if any


def classify_to_text(
    bundle,
    reader: ReviewReader,
    render: Callable[[list[ReviewResult]], object],
    band: float = DEFAULT_UNCERTAIN_BAND,
    batch_size: int = BATCH_SIZE,
    cancelled: threading.Event | None = None,
    workers: int = 0,
    explain: Callable[[object, list[str], ModelBatches], list[tuple]] | None = None,
):
    """`classify_reviews` for a writer: yields what `render` (a picklable function, such as
    `ResultWriter.renderer`) makes of each batch's results, in input order.

    With workers (Linux), the whole of a batch is done in a worker: lines read one review per
    line reach it as undecoded blocks (`ReviewReader.pieces`), which it decodes, splits,
    classifies, explains and renders, so this process only reads bytes and writes text; without
    workers, this process does the same work items itself. The same functions make the same
    records as `classify_reviews` followed by `render` (tests compare them); with workers
    elsewhere, that is what runs.
    """
    if workers > 0 and not sys.platform.startswith("linux"):
        for results in classify_reviews(bundle, reader, band, batch_size, cancelled, workers, explain, True):
            yield render(results)
        return
    size = _rows_per_batch(bundle.settings, batch_size)
    made_by = (bundle.name, bundle.word_index_sha256)
    found: collections.Counter = collections.Counter()  # reviews rendered per file whose lines came in blocks
    if workers <= 0:  # the same work items, done here by what a worker runs
        for work in _work_items(reader.pieces(), size):
            if cancelled is not None and cancelled.is_set():
                return
            done = work if isinstance(work, FileEnd) else _render_work(bundle, explain, (render, band, size, made_by), work)
            yield from _finished(done, found, render, band, made_by)
        return
    shared = _SharedBlocks(2 * workers + 2)  # made before the workers fork, so they share it
    pool = _worker_pool(bundle, workers, explain, True, (render, band, size, made_by), shared)
    in_flight: collections.deque = collections.deque()
    try:
        for work in _work_items(reader.pieces(), size):
            if cancelled is not None and cancelled.is_set():
                return
            if isinstance(work, FileEnd):
                in_flight.append((work, None))
            else:
                sent, slot = shared.sent(work)
                in_flight.append((pool.submit(_render_in_worker, sent), slot))
            while len(in_flight) > 2 * workers or (in_flight and isinstance(in_flight[0][0], FileEnd)):
                yield from _finished(_outcome(in_flight.popleft(), shared), found, render, band, made_by)
        while in_flight:
            if cancelled is not None and cancelled.is_set():
                return
            yield from _finished(_outcome(in_flight.popleft(), shared), found, render, band, made_by)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        shared.close()


def _work_items(pieces: Iterator, size: int) -> Iterator:
    """Reviews gathered into lists of up to `size` (and BATCH_CHARS), each block on its own, in order."""
    batch: list[Review] = []
    chars = 0
    for piece in pieces:
        if isinstance(piece, Review):
            batch.append(piece)
            chars += len(piece.text)
            if len(batch) < size and chars < BATCH_CHARS:
                continue
        if batch:
            yield batch
            batch, chars = [], 0
        if not isinstance(piece, Review):
            yield piece
    if batch:
        yield batch


def _outcome(item: tuple, shared: _SharedBlocks):
    """A work item's `_render_work` tuple (waiting for its worker), or the `FileEnd` itself; its
    slot of `shared`, if it had one, free again."""
    work, slot = item
    if isinstance(work, FileEnd):
        return work
    try:
        return work.result()
    finally:
        shared.release(slot)


class _SharedBlocks:
    """Blocks of lines handed to the workers through memory this process shares with them (an
    anonymous shared mapping, made before they fork), rather than pickled through a pipe: on its
    way there, a 512 KB block was copied five times over, in both processes (0.3 CPU-s of 50,000
    reviews). A slot is written only while no worker can be reading it: from when a block is
    sent to when its result is back. A block larger than a slot, or one met while every slot is
    in use, is sent as before."""

    SLOT_BYTES = 2 * reading.BLOCK_BYTES

    def __init__(self, slots: int) -> None:
        self.memory = mmap.mmap(-1, slots * self.SLOT_BYTES)
        self._free = list(range(slots))

    def sent(self, work: list[Review] | ReviewBlock) -> tuple[list[Review] | ReviewBlock | _SharedBlock, int | None]:
        """What to submit for this work item, and the slot it took (None: none)."""
        if not isinstance(work, ReviewBlock) or len(work.block.data) > self.SLOT_BYTES or not self._free:
            return work, None
        slot = self._free.pop()
        data, start = work.block.data, slot * self.SLOT_BYTES
        self.memory[start : start + len(data)] = data
        block = _SharedBlock(work.source, start, len(data), work.block.encoding, work.block.number, work.warning)
        return block, slot

    def release(self, slot: int | None) -> None:
        if slot is not None:
            self._free.append(slot)

    def close(self) -> None:
        self.memory.close()


@dataclass(frozen=True, slots=True)
class _SharedBlock:
    """A `ReviewBlock` whose bytes wait in `_SharedBlocks.memory`, at `start`."""

    source: str
    start: int
    length: int
    encoding: str
    number: int
    warning: str

    def received(self, memory: mmap.mmap) -> ReviewBlock:
        data = memory[self.start : self.start + self.length]
        return ReviewBlock(self.source, reading.LineBlock(data, self.encoding, self.number), self.warning)


def _finished(work, found: collections.Counter, render, band: float, made_by: tuple[str, str]) -> Iterator:
    if isinstance(work, FileEnd):
        held = found.pop(work.source, 0)  # this file's own count: the same path may come again
        if not work.found and not held:
            yield render(_results([work.error()], _Verdicts(np.empty(0), np.empty(0, dtype=bool)), band, made_by))
        return
    rendered, source, reviews = work
    if source is not None:
        found[source] += reviews
    yield rendered


def _render_in_worker(work: list[Review] | ReviewBlock | _SharedBlock):
    """`_render_work` in a worker process."""
    if isinstance(work, _SharedBlock):
        work = work.received(_worker_state["shared"].memory)
    return _render_work(_worker_bundle(), _worker_state["explain"], _worker_state["render"], work)


def _render_work(bundle, explain, rendering: tuple, work: list[Review] | ReviewBlock):
    """One work item: its reviews' records as `render` makes them, the file its lines came from
    (None for reviews read here), and how many reviews that block held."""
    render, band, size, made_by = rendering
    if isinstance(work, ReviewBlock) and (explain is None or render.writes_fields_of(explain)):
        rendered = _render_classified_block(bundle, work, render, band, size, made_by, explain is not None)
        if rendered is not None:
            return rendered
    reviews = work.reviews() if isinstance(work, ReviewBlock) else work
    results = []
    for batch in _batches(reviews, size):
        texts = _texts(batch)
        verdicts = _verdicts(bundle, texts, _model_batches(texts, bundle.word_index, bundle.settings), explain)
        results += _results(batch, verdicts, band, made_by)
    return render(results), (work.source if isinstance(work, ReviewBlock) else None), len(reviews)


def _render_classified_block(bundle, work: ReviewBlock, render, band: float, size: int, made_by: tuple[str, str],
                             explained: bool = False):
    """`_render_in_worker` of a block whose lines all decoded in the file's encoding (the usual
    case), without a `Review` and a `ReviewResult` per line: the same batches, verdicts, and with
    `explained` explanations (which the renderer formats itself), and the same records (tests
    compare them). None when it needs the general path (the renderer writes more)."""
    found = work.block.texts()
    if found is None:
        return None
    numbers, texts = found
    explain = None
    if explained:
        from review_sentiment._explain_batch import explanations_of as explain
    probabilities, labels, explanations = [], [], [] if explained else None
    for start, end in _batch_bounds(texts, size):
        chosen = texts[start:end]
        verdicts = _verdicts(bundle, chosen, _model_batches(chosen, bundle.word_index, bundle.settings), explain)
        probabilities += verdicts.probabilities.tolist()
        labels += _labels(verdicts, band)
        if explained:
            explanations += verdicts.explained
    rendered = render.classified_lines(work.source, numbers, labels, probabilities, work.warning, *made_by,
                                       texts=texts if explained else None, explanations=explanations)
    return None if rendered is None else (rendered, work.source, len(texts))


def _batch_bounds(texts: list[str], size: int) -> Iterator[tuple[int, int]]:
    """Where `_batches` would cut reviews with these texts: at `size` texts or BATCH_CHARS characters."""
    if 0 < len(texts) <= size and sum(map(len, texts)) < BATCH_CHARS:  # a block's texts: most often one batch
        yield 0, len(texts)
        return
    start, chars = 0, 0
    for end, text in enumerate(texts, 1):
        chars += len(text)
        if end - start >= size or chars >= BATCH_CHARS:
            yield start, end
            start, chars = end, 0
    if start < len(texts):
        yield start, len(texts)


def _labels(verdicts: _Verdicts, band: float) -> list[str]:
    """`label_for` of each probability (uncertain where no word is known), for all at once."""
    p = verdicts.probabilities
    uncertain = (np.abs(p - 0.5) < band / 2) | ~verdicts.knows_a_word
    return np.where(uncertain, UNCERTAIN, np.where(p >= 0.5, POSITIVE, NEGATIVE)).tolist()


def _rows_per_batch(settings, wanted: int) -> int:
    """Fewer rows per batch for models with wide fixed rows, so the model's working memory stays
    bounded. Rows of dynamic length are run in chunks of similar length instead (`_model_batches`),
    so their batches are bounded only by their characters (BATCH_CHARS)."""
    if getattr(settings, "dynamic_length", False):
        return max(1, wanted)
    width = getattr(settings, "row_width", settings.max_length)
    return max(1, min(wanted, BATCH_IDS // width))


ModelBatches = list[tuple[np.ndarray, np.ndarray]]
"""A batch's rows as the model runs them: (which of the batch's texts, their rows of ids) pairs."""


def _model_batches(texts: list[str], word_index, settings) -> ModelBatches:
    """Encode the texts and cut their rows into the batches the model will run.

    Rows of dynamic length are run shortest first, in chunks of at most CHUNK_IDS ids, each
    padded to its longest row: a batch with one long review is not run at that review's width
    throughout. Such models ignore <PAD>, so a row's probability does not depend on its company
    (bit for bit: `ModelBundle.raw_probabilities` aligns the chunks). Each chunk's rows are copied
    straight from the runs `encode_runs` found (no ragged copy of every row first), so only the
    ids the model reads travel from a worker process, never a batch padded to its longest review.
    """
    if not texts:
        return []
    if not getattr(settings, "dynamic_length", False):
        flat, lengths = encode_ragged(texts, word_index, settings)
        return [(np.arange(len(texts)), flat.reshape(len(texts), -1))]
    runs = encode_runs(texts, word_index, settings)
    lengths = runs[2].sum(axis=1)
    order = np.argsort(lengths, kind="stable")
    ordered = lengths[order]
    chunks, start = [], 0
    while start < len(order):
        # The rows after the first that still fit: as long as rows so far times the longest of
        # them (the last, shortest first) stays within CHUNK_IDS, which only grows row by row.
        ids_with = (np.arange(2, len(order) - start + 1)) * ordered[start + 1 :]
        end = start + 1 + int(np.searchsorted(ids_with, CHUNK_IDS, side="right"))
        chosen = order[start:end]
        chunks.append((chosen, rows_of_runs(runs, chosen, _ROW_ALIGNMENT)))  # aligned as the model runs them
        start = end
    return chunks


def _texts(batch: list[Review]) -> list[str]:
    return [r.text for r in batch if not r.error]


@dataclass(frozen=True, slots=True)
class _Verdicts:
    """What the model made of a batch's texts (those without an error), in their order."""

    probabilities: np.ndarray
    knows_a_word: np.ndarray
    """False where no word of the text is in the vocabulary: always uncertain (the single-review view's rule)."""
    explained: list[tuple] | None = None


def _verdicts(bundle, texts: list[str], model_batches: ModelBatches, explain=None) -> _Verdicts:
    count = sum(len(rows) for rows, _ in model_batches)
    knows_a_word = np.empty(count, dtype=bool)
    explained = None if explain is None else explain(bundle, texts, model_batches)
    raw = getattr(explained, "raw_probabilities", None)  # --explain: the network ran once, for both
    if raw is None:
        raw = np.empty(count, dtype=np.float64)
        for rows, ids in model_batches:
            raw[rows] = bundle.raw_probabilities(ids)
    for rows, ids in model_batches:
        knows_a_word[rows] = ids.max(axis=1, initial=PAD_ID) >= FIRST_WORD_ID  # one pass, not a comparison and a reduction
    # Calibrated once for the batch, not per chunk (each value on its own: the same numbers).
    probabilities = bundle.calibrate(np.asarray(raw, dtype=np.float64))
    return _Verdicts(probabilities, knows_a_word, explained)


def _score_here(bundle, batches: Iterator[list[Review]], explain) -> Iterator[tuple[list[Review], _Verdicts]]:
    for batch in batches:
        texts = _texts(batch)
        yield batch, _verdicts(bundle, texts, _model_batches(texts, bundle.word_index, bundle.settings), explain)


_worker_state: dict = {}


def _start_worker(bundle, parent: int, run_model: bool, explain, check: tuple, render: tuple | None = None,
                  shared: _SharedBlocks | None = None) -> None:
    _die_with_parent(parent)
    gc.freeze()  # what the worker inherited is never collected: a collection would walk (and copy) it all
    keep_freed_memory()
    _worker_state.update(bundle=bundle, run_model=run_model, explain=explain, check=check, ready=False, render=render,
                         shared=shared)


def _die_with_parent(parent: int) -> None:
    """A worker must never outlive the process it encodes for, even one killed with SIGKILL:
    Linux sends it SIGTERM when the parent dies (PR_SET_PDEATHSIG). Signals are the parent's
    business: Ctrl-C reaches the whole process group, and the parent stops the workers itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):  # a forked worker inherits the command's handlers: undo them
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _worker_bundle():
    """The worker's bundle, ready to run. With a check (see `_worker_pool`), a session of its own
    (the parent's may have threads, which do not cross a fork), made on first use so a failure
    reaches the parent as the task's error, and checked to give exactly the parent's probabilities
    on a few rows: the file could have changed since the parent read it. Without one, the parent's
    session as forked: it runs on the calling thread alone, so nothing of it was lost in the fork,
    and nothing is read again."""
    state = _worker_state
    if not state["ready"]:
        parent_bundle = state["bundle"]
        if state["check"] is not None:
            from review_sentiment._bundle import BundleError, _session

            bundle = dataclasses.replace(parent_bundle, session=_session(parent_bundle.path, threads=1))
            rows, expected = state["check"]
            if not np.array_equal(bundle.raw_probabilities(rows), expected):
                raise BundleError(bundle.path, "changed on disk while it was in use (a worker process read "
                                  "other probabilities from it)", "Run the command again once the file stays put")
            state.update(bundle=bundle)
        state.update(ready=True)
    return state["bundle"]


def _work_in_worker(texts: list[str]):
    """A batch's texts, encoded (and, with the model in the worker, their verdicts)."""
    state = _worker_state
    if not state["run_model"]:
        bundle = state["bundle"]
        return _model_batches(texts, bundle.word_index, bundle.settings)
    bundle = _worker_bundle()
    return _verdicts(bundle, texts, _model_batches(texts, bundle.word_index, bundle.settings), state["explain"])


def _check_rows(bundle) -> tuple[np.ndarray, np.ndarray]:
    """A few rows and this process's raw probabilities for them, for workers to compare theirs with."""
    rows = encode_batch(["", "Loved it!", "Not good at all: a waste of time.",
                         "The acting was terrible but the story was wonderful."], bundle.word_index, bundle.settings)
    return rows, bundle.raw_probabilities(rows)


def _score_in_workers(bundle, batches: Iterator[list[Review]], workers: int, explain, run_model: bool):
    """Encode (and with `run_model` score) batches in worker processes, a few in flight, in input order."""
    # fork (Linux): a worker starts at once with the word index already in memory; it never
    # touches Qt. Elsewhere spawn, which starts a fresh interpreter per worker and cannot take
    # an onnxruntime session along: there the model runs in this process.
    forking = sys.platform.startswith("linux")
    run_model = run_model and forking
    pool = _worker_pool(bundle, workers, explain, run_model)
    in_flight: collections.deque = collections.deque()
    try:
        for batch in batches:
            in_flight.append((batch, pool.submit(_work_in_worker, _texts(batch))))
            if len(in_flight) > 2 * workers:
                batch, future = in_flight.popleft()
                yield batch, future.result()
        while in_flight:
            batch, future = in_flight.popleft()
            yield batch, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_pool(bundle, workers: int, explain, run_model: bool, render: tuple | None = None,
                 blocks: _SharedBlocks | None = None) -> ProcessPoolExecutor:
    forking = sys.platform.startswith("linux")
    context = multiprocessing.get_context("fork" if forking else "spawn")
    # Forked workers run the parent's session when it has no threads of its own (`classify`'s:
    # 30-50 ms and a copy of the model saved per worker); else their own, checked against it.
    shared = forking and _runs_on_calling_thread(bundle.session)
    check = None if shared else _check_rows(bundle) if run_model else ()
    sent = bundle if forking else _EncodingOnly(bundle.word_index, bundle.settings)
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(sent, os.getpid(), run_model, explain if run_model else None, check, render,
                                         blocks))


def _runs_on_calling_thread(session) -> bool:
    """True for a session that runs each call on the calling thread alone (no pool of threads)."""
    try:
        options = session.get_session_options()
    except (AttributeError, RuntimeError):  # not an onnxruntime session (a test's stand-in)
        return False
    import onnxruntime as ort

    return options.intra_op_num_threads == 1 and options.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL


@dataclass(frozen=True)
class _EncodingOnly:
    """What a spawned worker needs to encode: no session (it cannot be pickled)."""

    word_index: object
    settings: object


def _results(batch: list[Review], verdicts: _Verdicts, band: float, made_by: tuple[str, str]) -> list[ReviewResult]:
    explained = iter(verdicts.explained) if verdicts.explained is not None else None
    found = iter(zip(verdicts.probabilities.tolist(), verdicts.knows_a_word.tolist()))
    results = []
    for review in batch:
        if review.error:
            results.append(ReviewResult(review.source, review.line, review.text, None, "",
                                        review.warning, review.error, True, *made_by))
        else:
            p, known = next(found)
            results.append(ReviewResult(review.source, review.line, review.text, p,
                                        label_for(p, band) if known else UNCERTAIN, review.warning,
                                        "", known, *made_by, next(explained) if explained is not None else ()))
    return results
