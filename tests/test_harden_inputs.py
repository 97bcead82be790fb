"""Issue 13, points 6-11 and 13: hostile inputs and outputs of `classify` on real IMDB reviews.
Each bad piece fails its own record (file and line named), the rest is classified, and an output
is either complete or absent: no part file, no worker process, no input overwritten."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from review_sentiment._batch import InputMode, ReviewReader, find_input_files, jsonl_fields
from review_sentiment._cli import main as classify_main
from review_sentiment._reading import MAX_REVIEW_BYTES, Encoding

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def lines(imdb_split):
    """Forty real reviews, one per line."""
    return [t.replace("\n", " ").replace("\r", " ") for t in imdb_split.test.texts[:40]]


def run(capsys, *args) -> tuple[int, str, str]:
    code = classify_main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def records(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def reviews_of(path: Path, mode: InputMode, field: str = "") -> list:
    return list(ReviewReader(find_input_files([path]), mode, field))


# -- 6. one hostile JSONL line fails alone -----------------------------------------------------------


def test_a_huge_number_or_deep_nesting_fails_its_line_and_the_rest_is_written(capsys, tmp_path, lines):
    rows = [json.dumps({"text": t}) for t in lines[:6]]
    rows[2] = '{"text": "fine", "n": ' + "7" * 4301 + "}"
    rows[4] = "[" * 3000 + "]" * 3000
    source = tmp_path / "reviews.jsonl"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    code, _, err = run(capsys, "--jsonl-field", "text", "--jobs", "0", source, "-o", out)
    assert code == 1 and "Traceback" not in err
    written = records(out)
    assert [r["line"] for r in written if r["error"]] == ["3", "5"]
    assert "nested too deep" in written[4]["error"] and "digits" in written[2]["error"]
    assert sum(1 for r in written if r["probability"]) == 4
    assert jsonl_fields(source) == ["text"]  # the Batch tab's field chooser does not raise


def test_a_json_null_is_called_null(tmp_path):
    source = tmp_path / "r.jsonl"
    source.write_text('null\n{"text": null}\n', encoding="utf-8")
    found = reviews_of(source, InputMode.JSONL, "text")
    assert "is a JSON null, not an object" in found[0].error and "NoneType" not in found[0].error
    assert "field 'text' is null, not text" in found[1].error


# -- 7. file names that are not UTF-8 -----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_file_names_that_are_not_utf8_are_written_escaped(capsys, tmp_path, lines, suffix):
    folder = tmp_path / "in"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9 review.txt")
    (folder / name).write_text(lines[0], encoding="utf-8")
    out = tmp_path / f"out{suffix}"
    code, _, _ = run(capsys, folder, "-o", out)
    assert code == 0
    (record,) = records(out)
    assert record["source"].endswith("caf\\xe9 review.txt") and float(record["probability"]) > 0
    code, stdout, _ = run(capsys, folder)
    assert code == 0 and "caf\\xe9 review.txt" in stdout
    stdout.encode("utf-8")  # no lone surrogates: standard output gets valid UTF-8


# -- 8. signals and a full disk -------------------------------------------------------------------------


def _start(tmp_path: Path, lines: list[str], out: Path, **extra) -> subprocess.Popen:
    source = tmp_path / "many.txt"
    source.write_text("\n".join(lines * 2000) + "\n", encoding="utf-8")  # 80,000 real reviews: seconds of work
    return subprocess.Popen(
        [sys.executable, "-m", "review_sentiment", "classify", "--per-line", "--jobs", "2", "-q",
         "-o", str(out), str(source)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **extra)


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _wait_for_workers(process: subprocess.Popen) -> set[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = _children(process.pid)
        if len(workers) == 2:
            return workers
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.05)
    raise AssertionError("the two workers never started")


def _gone(pids: set[int], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(map(_alive, pids)):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers and /proc are Linux's")
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=lambda n: n.name)
def test_a_signal_leaves_no_worker_and_no_part_file(tmp_path, lines, number):
    out = tmp_path / "out.csv"
    process = _start(tmp_path, lines, out)
    workers = _wait_for_workers(process)
    process.send_signal(number)
    _, err = process.communicate(timeout=30)
    assert process.returncode == (-number if number == signal.SIGKILL else 128 + number), err
    assert _gone(workers), "a worker outlived the command"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.txt"]
    if number != signal.SIGKILL:
        assert f"stopped by {number.name}; nothing was written" in err and "Traceback" not in err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE set-up is POSIX")
def test_a_full_disk_leaves_nothing_and_says_so(tmp_path, lines):
    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes then fail with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    out = tmp_path / "out.csv"
    process = _start(tmp_path, lines[:10], out, preexec_fn=small_disk)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2 and "nothing was written" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.txt"]


# -- 9. outputs that must not be written ----------------------------------------------------------------


def test_an_input_is_never_the_output_even_with_force(capsys, tmp_path, lines):
    source = tmp_path / "reviews.txt"
    source.write_text("\n".join(lines), encoding="utf-8")
    before = source.read_bytes()
    code, _, err = run(capsys, "--per-line", source, "-o", source, "--force")
    assert code == 2 and "is also an input" in err and source.read_bytes() == before
    folder_output = tmp_path / "results.txt"  # inside a folder that is read, with the extension read
    folder_output.write_text(lines[1], encoding="utf-8")
    code, _, err = run(capsys, tmp_path, "-o", folder_output, "--force")
    assert code == 2 and "is also an input" in err and folder_output.read_text(encoding="utf-8") == lines[1]


def test_a_pipe_or_a_folder_name_as_output_is_refused(capsys, tmp_path, lines):
    source = tmp_path / "r.txt"
    source.write_text(lines[0], encoding="utf-8")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, _, err = run(capsys, source, "-o", fifo, "--force")
    assert code == 2 and "not a file" in err and Path(fifo).is_fifo()
    code, _, err = run(capsys, source, "-o", f"{tmp_path}/newdir/")
    assert code == 2 and "is a folder" in err
    assert not (tmp_path / "newdir").exists()


# -- 10. CSV lines and quotes ---------------------------------------------------------------------------


def _csv_file(path: Path, texts: list[str]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "text"])
    writer.writerows([i, t] for i, t in enumerate(texts))
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_an_oversized_csv_line_fails_alone_in_bounded_memory(tmp_path, lines):
    texts = lines[:5]
    texts[2] = "x" * (MAX_REVIEW_BYTES + 1024 * 1024)  # 11 MB: just past the bound
    source = _csv_file(tmp_path / "r.csv", texts)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    found = reviews_of(source, InputMode.CSV, "text")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert [r.line for r in found] == [2, 3, 4, 5, 6] and "too long" in found[2].error
    assert [r.text for r in found if not r.error] == [texts[i] for i in (0, 1, 3, 4)]
    assert grown_mb < 120  # a few copies of the 10 MB bound, not of the line


def test_an_unterminated_quote_is_reported_not_merged(tmp_path, lines):
    source = _csv_file(tmp_path / "r.csv", lines[:4])
    with open(source, "a", encoding="utf-8") as tail:
        tail.write('9,"never closed\n' + "".join(f"{i},{t[:40]}\n" for i, t in enumerate("abc")))
    found = reviews_of(source, InputMode.CSV, "text")
    assert [r.text for r in found[:4]] == lines[:4]
    assert found[4].line == 6 and "never closed" in found[4].error and len(found) == 5


# -- 11. decoding, line ends, sizes ---------------------------------------------------------------------


def test_a_bad_byte_in_a_csv_fails_its_own_line_and_keeps_the_rows_before(tmp_path, lines):
    source = _csv_file(tmp_path / "r.csv", lines)
    data = source.read_bytes().split(b"\n")
    data[30] = data[30][:10] + b"\x81\xff" + data[30][10:]  # invalid in UTF-8 and in cp1252
    source.write_bytes(b"\n".join(data))
    found = reviews_of(source, InputMode.CSV, "text")
    assert [r.line for r in found if r.error] == [31]
    assert len([r for r in found if not r.error]) == len(lines) - 1


def test_utf16_per_line_loses_only_the_bad_line(tmp_path, lines):
    source = tmp_path / "r.txt"
    encoded = [codecs.BOM_UTF16_LE] + [(t + "\n").encode("utf-16-le") for t in lines]
    encoded[20] = encoded[20][:8] + b"\x00\xdc" + encoded[20][8:]  # a lone low surrogate
    source.write_bytes(b"".join(encoded))
    found = reviews_of(source, InputMode.LINE)
    assert [r.line for r in found if r.error] == [20]
    assert [r.text for r in found if not r.error] == lines[:19] + lines[20:]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_cr_only_line_ends_split_lines_in_every_encoding(tmp_path, lines, encoding):
    source = tmp_path / "r.txt"
    source.write_bytes("\r".join(lines[:5] + ["Un film tr\u00e8s r\u00e9ussi."]).encode(encoding))
    found = reviews_of(source, InputMode.LINE)
    assert [r.line for r in found] == [1, 2, 3, 4, 5, 6] and found[5].text == "Un film tr\u00e8s r\u00e9ussi."


def test_one_cp1252_line_in_a_short_utf8_file_is_the_only_one_guessed(tmp_path, lines):
    source = tmp_path / "r.txt"
    source.write_bytes("\n".join([lines[0], "Caf\u00e9 cr\u00e8me, superbe.", lines[1]]).encode("utf-8")
                       + b"\nUn r\xf4le magnifique.\n")
    found = reviews_of(source, InputMode.LINE)
    assert found[1].text == "Caf\u00e9 cr\u00e8me, superbe." and not found[1].warning
    assert found[3].text == "Un r\u00f4le magnifique." and "cp1252" in found[3].warning
    whole = reviews_of(source, InputMode.FILE)[0]
    assert "Caf\u00e9 cr\u00e8me" in whole.text and "r\u00f4le" in whole.text


def test_a_file_reporting_size_0_is_read_whole(tmp_path):
    found = reviews_of(Path("/proc/self/status"), InputMode.FILE)
    assert len(found[0].text) > 100 and found[0].text.startswith("Name:")


def test_a_utf8_bom_followed_by_binary_is_refused(tmp_path):
    source = tmp_path / "r.txt"
    source.write_bytes(codecs.BOM_UTF8 + bytes(range(256)) * 4)
    (found,) = reviews_of(source, InputMode.FILE)
    assert "binary" in found.error


def test_a_guessed_utf16_without_bom_is_read_as_a_wide_encoding():
    assert Encoding("utf_16_le").is_wide and Encoding("UTF-16BE").is_wide and not Encoding("cp1252").is_wide


# -- 13. messages ---------------------------------------------------------------------------------------


def test_head_closing_the_pipe_is_not_an_error(tmp_path, lines):
    source = tmp_path / "r.txt"
    source.write_text("\n".join(lines * 50), encoding="utf-8")
    command = (f"{sys.executable} -m review_sentiment classify --per-line --jobs 0 {source} | head -n 2")
    result = subprocess.run(["sh", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert len(result.stdout.splitlines()) == 2 and "Traceback" not in result.stderr
    assert "BrokenPipe" not in result.stderr


def test_terminal_escapes_in_a_file_name_are_shown_escaped(capsys, tmp_path):
    bad = tmp_path / "evil\x1b]0;owned\x07.txt"
    bad.write_text("", encoding="utf-8")
    code, out, err = run(capsys, bad)
    assert code == 1 and "\x1b" not in err and "\\x1b]0;owned\\x07" in err


def test_a_file_guessed_as_ebcdic_is_not_lost(tmp_path):
    """charset-normalizer guesses cp037 (EBCDIC) for the lone byte 0xA2; in it 0x0A is no line end,
    so every line was lost. Guesses in which ASCII is not ASCII are passed over (hypothesis found it)."""
    source = tmp_path / "r.txt"
    source.write_bytes(b"\xa2")
    (found,) = reviews_of(source, InputMode.LINE)
    assert found.line == 1 and found.text and not found.error
