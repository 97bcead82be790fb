"""Turn the bytes of a text file into text: UTF-8 (with or without BOM), UTF-16/32 with a BOM,
or a legacy single-byte encoding such as cp1252 guessed with charset-normalizer (with a warning).

Binary and empty files are refused with a reason a person can act on. Qt-free.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


SNIFF_BYTES = 64 * 1024
"""How much of a file decides its encoding when it is read line by line."""
MAX_REVIEW_BYTES = 10 * 1024 * 1024
"""A single review (a whole file, or one line) larger than this is refused, so memory stays bounded."""

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_PREFERRED_LEGACY = "cp1252"
# Bytes that almost never occur in text but do in images, archives and executables.
_BINARY_CONTROL = bytes(range(0, 9)) + bytes(range(14, 27)) + bytes(range(28, 32))


class ReadError(Exception):
    """A file (or a part of it) that cannot be read as text. `str()` says why and what to do."""


@dataclass(frozen=True)
class Encoding:
    """How a file's bytes become text, and the warning to show when that was a guess."""

    name: str
    warning: str = ""

    @property
    def is_wide(self) -> bool:
        """UTF-16/32 (with a BOM, or guessed without one): lines cannot be split on the byte b"\\n"."""
        return codecs.lookup(self.name).name.startswith(("utf-16", "utf-32"))


@dataclass(frozen=True)
class TextFile:
    text: str
    encoding: Encoding


def describe_os_error(error: OSError) -> str:
    """An OSError in words a person can act on (the caller adds the file name)."""
    if isinstance(error, FileNotFoundError):
        return "was not found; it may have been moved or deleted while the batch ran"
    if isinstance(error, PermissionError):
        return "cannot be opened: permission denied; check the file's permissions or run as its owner"
    if isinstance(error, IsADirectoryError):
        return "is a folder, not a file"
    return f"cannot be read ({error.strerror or error})"


def check_regular_file(path: Path) -> os.stat_result:
    """Refuse FIFOs, devices and sockets before opening them: reading one could block forever."""
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(21, "Is a directory", str(path))
    if not stat.S_ISREG(info.st_mode):
        raise ReadError("is not a regular file (a pipe, device or socket); only text files can be classified")
    return info


def open_regular_file(path: str | Path) -> BinaryIO:
    """Open a file for reading, refusing pipes, devices and sockets without blocking on them.

    Raises OSError or ReadError.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory", str(path))
        if not stat.S_ISREG(mode):
            raise ReadError("is not a regular file (a pipe, device or socket); only text files can be classified")
        return open(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def read_up_to(stream: BinaryIO, count: int) -> bytes:
    """Up to `count` bytes, fewer only at the end: an unbuffered read may return less (/proc files
    report size 0 and come in pieces), and one short read must not pass for the whole file."""
    parts, wanted = [], count
    while wanted > 0:
        part = stream.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def read_small_file(path: str | Path, limit: int) -> bytes:
    """All the bytes of a regular file of at most `limit` bytes, read without blocking on a pipe
    and without reading more than `limit + 1` bytes of anything larger (a link to /dev/zero, a
    1 GB file). Raises OSError, or ReadError naming the limit."""
    with open_regular_file(path) as stream:
        data = read_up_to(stream, limit + 1)
    if len(data) > limit:
        raise ReadError(f"is larger than {limit:,} bytes, far more than such a file ever holds")
    return data


def looks_binary(sample: bytes) -> bool:
    """NUL bytes, or many control characters, mean this is not text in a byte-oriented encoding."""
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _BINARY_CONTROL))
    return controls > max(8, len(sample) // 100)


def detect_encoding(sample: bytes, complete: bool) -> Encoding:
    """Decide how to decode a file from its first bytes (`complete` when the sample is the whole file).

    Raises ReadError for binary data.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            if looks_binary(sample.decode(name, "replace").encode("utf-8", "replace")):
                raise ReadError("starts with a byte-order mark but what follows is binary (NUL or control "
                                "bytes), not text; only plain-text files can be classified")
            return Encoding(name)
    if looks_binary(sample):
        raise ReadError(
            "looks like a binary file (it contains NUL or control bytes), not text; "
            "only plain-text files can be classified (UTF-16 files need a byte-order mark)"
        )
    if _is_utf8(sample, complete) or _mostly_utf8(sample):
        return Encoding("utf-8")
    guess = _guess_legacy(sample)
    if guess is None:
        raise ReadError("is not UTF-8 and its encoding could not be recognised; save it as UTF-8 and try again")
    return Encoding(
        guess,
        f"not UTF-8; read as {guess} (a guess): check accented letters, or save the file as UTF-8",
    )


def _is_utf8(sample: bytes, complete: bool) -> bool:
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as error:
        # A sample cut in the middle of a character still counts as UTF-8.
        return not complete and error.start >= len(sample) - 3 and error.reason == "unexpected end of data"


def _mostly_utf8(sample: bytes) -> bool:
    """True when most lines holding non-ASCII bytes are valid UTF-8: a UTF-8 file with a few
    cp1252 lines is read as UTF-8, those lines alone falling back (with a warning)."""
    utf8 = other = 0
    for line in sample.splitlines()[:-1] or sample.splitlines():  # the last may be cut mid-character
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            other += 1
    return utf8 > 0 and utf8 >= other


def _guess_legacy(sample: bytes) -> str | None:
    """charset-normalizer's guess, preferring cp1252 whenever it decodes the bytes the same way."""
    import charset_normalizer  # only for files that are not UTF-8: 15-35 ms of every start otherwise

    matches = [m for m in charset_normalizer.from_bytes(sample) if not _wrongly_wide(m.encoding, sample)]
    for match in matches:
        if _PREFERRED_LEGACY in match.could_be_from_charset:
            return _PREFERRED_LEGACY
    if not matches:
        try:
            sample.decode(_PREFERRED_LEGACY)
        except UnicodeDecodeError:
            return None
        return _PREFERRED_LEGACY
    return matches[0].encoding


def _wrongly_wide(name: str, sample: bytes) -> bool:
    """A guess lines cannot be read in: a UTF-16/32 guess for bytes with no NUL (binary files stop
    earlier) that hold the bytes of a line end (in UTF-16 a line end is 0A 00), or a byte encoding
    in which ASCII is not ASCII (EBCDIC such as cp037, guessed for a lone byte: its lines would be lost)."""
    if Encoding(name).is_wide:
        return b"\n" in sample or b"\r" in sample
    try:
        return _ASCII_PROBE.decode(name) != _ASCII_PROBE.decode("ascii")
    except (UnicodeDecodeError, LookupError):
        return True


_ASCII_PROBE = b"\n\r\t az AZ 09 <>'\""


def decode_bytes(data: bytes) -> TextFile:
    """A whole file's bytes as text. Raises ReadError for empty, binary or undecodable data."""
    if not data.strip():
        raise ReadError("is empty; there is no review in it to classify")
    encoding = detect_encoding(data[:SNIFF_BYTES] if len(data) > SNIFF_BYTES else data,
                               complete=len(data) <= SNIFF_BYTES)
    try:
        text = data.decode(encoding.name)
    except UnicodeDecodeError as error:
        if encoding.name != "utf-8" or not _mostly_utf8(data):
            line = data.count(b"\n", 0, error.start) + 1
            raise ReadError(f"is not valid {encoding.name} at byte {error.start} (line {line}); "
                            "save it as UTF-8 and try again") from error
        text, encoding = _mixed_utf8(data)
    if not text.strip():
        raise ReadError("is empty; there is no review in it to classify")
    return TextFile(text, encoding)


def _mixed_utf8(data: bytes) -> tuple[str, Encoding]:
    """A UTF-8 text with some lines in cp1252: each line decoded on its own, with a warning."""
    lines = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        line = _decoded_line(number, raw.rstrip(b"\r"), "utf-8")
        if line.error:
            raise ReadError(f"line {number} {line.error}")
        lines.append(line.text)
    return "\n".join(lines), Encoding("utf-8", f"some lines are not UTF-8; read as {_PREFERRED_LEGACY} (a guess)")


def read_text_file(path: Path | str, max_bytes: int = MAX_REVIEW_BYTES) -> TextFile:
    """Read a whole file as text. Raises OSError (use `describe_os_error`) or ReadError."""
    path = Path(path)
    info = check_regular_file(path)
    if info.st_size > max_bytes:
        raise ReadError(
            f"is {info.st_size / 1e6:.1f} MB, too large to be one review; "
            "classify it one review per line instead (--per-line, or the app's 'One per line' mode)"
        )
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    return decode_bytes(data)


class _PrefixedStream(io.RawIOBase):
    """Bytes already read (the sniffed head) followed by the rest of a stream that cannot seek."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        readinto = getattr(self._rest, "readinto", None)
        if readinto is not None:  # straight into the buffer: one copy of each byte fewer
            return readinto(buffer)
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a file: its number (from 1) and text, or the error that stopped it being read."""

    number: int
    text: str = ""
    warning: str = ""
    error: str = ""


def open_lines(stream: BinaryIO) -> tuple[Encoding, Iterator[Line]]:
    """Sniff a binary stream's encoding, then yield its lines lazily, without line terminators.

    Only one line is in memory at a time; a line longer than MAX_REVIEW_BYTES is skipped with
    an error instead of being read whole. Raises ReadError when the stream is binary or empty.
    """
    encoding, pieces = open_line_blocks(stream)
    return encoding, _lines_of(pieces)


def open_line_blocks(stream: BinaryIO) -> tuple[Encoding, Iterator[Line | LineBlock]]:
    """`open_lines`, a block at a time: for a byte-oriented encoding (UTF-8, cp1252...) a
    `LineBlock` of whole lines (about a megabyte) stands for the lines `LineBlock.lines` gives,
    so whoever classifies them (a worker process) can also decode and split them; a line too
    long to keep still comes as its `Line` error, in its place. Wide encodings give `Line`s."""
    head = stream.read(SNIFF_BYTES)
    if not head:
        raise ReadError("is empty; there is no review in it to classify")
    encoding = detect_encoding(head, complete=len(head) < SNIFF_BYTES)
    if encoding.name == "utf-8-sig":
        head = head[len(codecs.BOM_UTF8):]
    if encoding.is_wide:
        joined = io.BufferedReader(_PrefixedStream(head, stream), buffer_size=1024 * 1024)
        return encoding, _wide_lines(joined, encoding.name)
    # A buffer smaller than a block: a block is then read straight into the bytes it becomes,
    # not into the buffer first and copied out.
    joined = io.BufferedReader(_PrefixedStream(head, stream), buffer_size=64 * 1024)
    return encoding, _byte_blocks(joined, "utf-8" if encoding.name == "utf-8-sig" else encoding.name)


@dataclass(frozen=True, slots=True)
class LineBlock:
    """Whole lines of a byte-oriented encoding, undecoded: `number` lines came before them."""

    data: bytes
    encoding: str
    number: int

    def lines(self) -> Iterator[Line]:
        return _block_lines(self.data, self.encoding, self.number)

    def texts(self) -> tuple[list[int], list[str]] | None:
        """The numbers and texts of the lines `lines` gives that are not blank, when the whole
        block decodes in its encoding (each is then a plain `Line`: no error, no warning), without
        a `Line` each; None when it does not (`lines` tells line by line what went wrong)."""
        if len(self.data) > MAX_REVIEW_BYTES:
            return None
        try:
            text = self.data.decode(self.encoding)
        except UnicodeDecodeError:
            return None
        lines = _TEXT_LINE_END.split(text) if "\r" in text else _split_at_lf(text)
        del lines[-1]  # the block ends with a line end: after it, nothing
        # `line.strip()` is "" exactly when every character is whitespace (the same test), or none is left.
        numbers = [number for number, line in enumerate(lines, self.number + 1) if line and not line.isspace()]
        return numbers, [lines[number - self.number - 1] for number in numbers]


def _split_at_lf(text: str) -> list[str]:
    """``text.split("\n")``, faster for a block of long lines: `str.split` looks at each character
    in turn, `str.find` jumps to the next LF with memchr (a block's texts 25% sooner)."""
    lines, start, find = [], 0, text.find
    append = lines.append
    end = find("\n")
    while end >= 0:
        append(text[start:end])
        start = end + 1
        end = find("\n", start)
    append(text[start:])
    return lines


def _lines_of(pieces: Iterator[Line | LineBlock]) -> Iterator[Line]:
    for piece in pieces:
        if isinstance(piece, LineBlock):
            yield from piece.lines()
        else:
            yield piece


_TOO_LONG = f"is longer than {MAX_REVIEW_BYTES // (1024 * 1024)} MB, too long to be one review; it was skipped"


BLOCK_BYTES = 512 * 1024  # about 380 IMDB reviews: items small enough to keep two workers evenly busy


_LINE_END = re.compile(rb"\r\n|\r|\n")
_TEXT_LINE_END = re.compile(r"\r\n|\r|\n")


def _line_ends(chunk: bytes) -> int:
    if len(chunk) > 64 * 1024:  # numpy counts a block's LFs some five times as fast as bytes.count
        import numpy as np

        ends = int(np.count_nonzero(np.frombuffer(chunk, dtype=np.uint8) == 0x0A))
    else:
        ends = chunk.count(b"\n")
    return ends + chunk.count(b"\r") - chunk.count(b"\r\n") if b"\r" in chunk else ends


def _last_line_end(data: bytes, final: bool) -> int:
    """Where the last complete line of `data` ends (0: none). A CR at the very end waits for the
    next block, which may start with its LF."""
    cut = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
    if cut == len(data) and data.endswith(b"\r") and not final:
        cut = max(data.rfind(b"\n", 0, cut - 1), data.rfind(b"\r", 0, cut - 1)) + 1
    return cut


def _byte_blocks(stream: BinaryIO, name: str) -> Iterator[Line | LineBlock]:
    """Blocks of whole lines of a byte-oriented encoding (UTF-8, cp1252...), read a block at a
    time: one C call per megabyte to find where its lines end, rather than several per line
    (`LineBlock.lines` decodes and splits them). Lines end at LF, CRLF or a lone CR."""
    number = 0
    pending = b""
    skipping = False  # inside a line too long to keep
    while True:
        block = stream.read(BLOCK_BYTES)
        if skipping and block:
            found = _LINE_END.search(block)
            if not found:
                continue
            block, skipping = block[found.end():], False  # its CRLF may be split: at most one blank line
        data = pending + block if pending else block
        cut = _last_line_end(data, final=not block)
        pending = data[cut:]
        if cut:
            whole = data[:cut] if pending else data
            yield LineBlock(whole, name, number)
            number += _line_ends(whole)
        if not block:
            break
        if len(pending) > MAX_REVIEW_BYTES:
            number += 1
            yield Line(number, error=_TOO_LONG)
            pending, skipping = b"", True
    if pending and not skipping:
        yield LineBlock(pending + b"\n", name, number)


def _block_lines(chunk: bytes, name: str, number: int) -> Iterator[Line]:
    """The lines of a chunk that ends with a line end; `number` lines came before it."""
    if len(chunk) <= MAX_REVIEW_BYTES:
        try:
            text = chunk.decode(name)
        except UnicodeDecodeError:
            pass
        else:
            lines = _TEXT_LINE_END.split(text) if "\r" in text else text.split("\n")
            for number, line in enumerate(lines[:-1], start=number + 1):
                yield Line(number, line)
            return
    for number, raw in enumerate(_LINE_END.split(chunk)[:-1], start=number + 1):
        if len(raw) > MAX_REVIEW_BYTES:
            yield Line(number, error=_TOO_LONG)
        else:
            yield _decoded_line(number, raw, name)


def _decoded_line(number: int, raw: bytes, name: str) -> Line:
    """One line in the file's encoding, else as cp1252 with a warning, else an error."""
    try:
        return Line(number, raw.decode(name))
    except UnicodeDecodeError as error:
        try:
            text = raw.decode(_PREFERRED_LEGACY)
        except UnicodeDecodeError:
            return Line(number, error=f"is not valid {name} (byte {error.start}); save the file as UTF-8")
        return Line(number, text, warning=f"this line is not valid {name}; read as {_PREFERRED_LEGACY} (a guess)")


# Bytes a wide encoding cannot decode become this lone surrogate, which no valid UTF-16/32 text
# decodes to: the line holding it is reported, and the lines after it are still read.
_UNDECODABLE = "\udc00"
codecs.register_error("review_sentiment.undecodable", lambda error: (_UNDECODABLE, error.end))


def _wide_lines(stream: BinaryIO, name: str) -> Iterator[Line]:
    text = io.TextIOWrapper(stream, encoding=name, errors="review_sentiment.undecodable", newline=None)
    number = 0
    limit = MAX_REVIEW_BYTES // 2
    while True:
        line = text.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith("\n"):
            yield Line(number, error=_TOO_LONG)
            while line and not line.endswith("\n"):
                line = text.readline(limit)
            continue
        if _UNDECODABLE in line:
            yield Line(number, error=f"is not valid {name}; save the file as UTF-8 and try again")
            continue
        yield Line(number, line.rstrip("\r\n"))


def open_text_stream(stream: BinaryIO) -> tuple[Encoding, io.TextIOWrapper]:
    """Sniff a binary stream's encoding and return it as a text stream (for CSV), newline=''.

    Raises ReadError when the stream is binary or empty; decoding errors later raise
    UnicodeDecodeError from the text stream.
    """
    head = stream.read(SNIFF_BYTES)
    if not head:
        raise ReadError("is empty; there is no review in it to classify")
    encoding = detect_encoding(head, complete=len(head) < SNIFF_BYTES)
    joined = io.BufferedReader(_PrefixedStream(head, stream), buffer_size=1024 * 1024)
    return encoding, io.TextIOWrapper(joined, encoding=encoding.name, newline="")
