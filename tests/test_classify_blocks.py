"""`classify` reads lines in undecoded blocks that the workers (or, with --jobs 0, the command
itself) decode, split, classify and format (`classify_to_text`): the same bytes out as a `Review`
per line, `classify_reviews` and the writer, for awkward files too (blocks of a few bytes, CRLF
and lone CR, bad bytes, blank and whitespace-only files, a line too long to keep, several files,
--explain)."""

from __future__ import annotations

import sys

import pytest

from review_sentiment import _reading as reading
from review_sentiment._cli import main as classify_main

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")


def _inputs(folder, imdb_split) -> list[str]:
    real = [" ".join(t.split()) for t in imdb_split.test.texts[:60]]
    files = {
        "plain.txt": ("\n".join(real) + "\n").encode(),
        "line-ends.txt": ("\r\n".join(real[:10]) + "\r" + "\r".join(real[10:20]) + "\n\n  \n" + real[20]).encode(),
        "bad-byte.txt": ("\n".join(real[21:30]) + "\n").encode() + b"caf\xe9 was great\n" + real[30].encode() + b"\n",
        "too-long.txt": (real[31] + "\n" + "x" * 900 + "\n" + real[32] + "\n").encode(),
        "blank.txt": b"\n   \n\t\n",
        "nbsp-only.txt": "\u00a0\n\u3000\n".encode(),
        "cp1252.txt": "Un film très réussi, émouvant et drôle.\n".encode("cp1252"),
        "empty.txt": b"",
        "binary.txt": b"\x00\x01\x02PK" * 50,
    }
    paths = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths.append(str(folder / name))
    return paths


@pytest.mark.parametrize("options", [[], ["--format", "jsonl"], ["--explain", "--format", "jsonl"], ["--explain"]],
                         ids=["csv", "jsonl", "jsonl-explain", "csv-explain"])
def test_workers_write_what_one_process_writes(tmp_path, imdb_split, monkeypatch, options):
    monkeypatch.setattr(reading, "BLOCK_BYTES", 700)  # blocks of one or two reviews, cut anywhere
    monkeypatch.setattr(reading, "MAX_REVIEW_BYTES", 800)  # the 900-byte line is too long to keep
    paths = _inputs(tmp_path, imdb_split)
    written = {}
    for jobs in ("0", "2"):
        output = tmp_path / f"out-{jobs}.txt"
        code = classify_main(["--per-line", "--quiet", "--jobs", jobs, *options, "--output", str(output), *paths])
        assert code == 1  # some inputs failed, the rest was written
        written[jobs] = output.read_bytes()
    assert written["2"] == written["0"] == _written_by_the_general_path(tmp_path, paths, options)
    text = written["2"].decode()
    for expected in ("blank.txt contains no reviews", "nbsp-only.txt contains no reviews", "too long to be one review",
                     "read as cp1252", "empty.txt is empty"):
        assert expected in text, expected
    assert text.count("\n") > 60


def _written_by_the_general_path(tmp_path, paths, options) -> bytes:
    """What a `Review` per line, `classify_reviews` and `ResultWriter.write` make of the files."""
    from review_sentiment._batch import InputMode, ReviewReader, classify_reviews, find_input_files
    from review_sentiment._bundle import default_models_dir, load_bundle
    from review_sentiment._cli import _explainer
    from review_sentiment._export import ResultWriter

    output_format = "jsonl" if "jsonl" in options else "csv"
    explain = _explainer(output_format) if "--explain" in options else None
    output = tmp_path / "out-general.txt"
    bundle = load_bundle(default_models_dir(), threads=1)
    reader = ReviewReader(find_input_files(paths), InputMode.LINE)
    with ResultWriter(output, output_format, overwrite=True, explain=explain is not None) as writer:
        for results in classify_reviews(bundle, reader, explain=explain):
            writer.write(results)
    return output.read_bytes()


def test_a_big_file_in_real_blocks_gives_the_libraries_probabilities(tmp_path, many_reviews):
    import json

    import review_sentiment

    texts = [" ".join(t.split()) for t in many_reviews[:3000]]  # about 4 MB: several 1 MB blocks
    source, output = tmp_path / "reviews.txt", tmp_path / "out.jsonl"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    assert classify_main(["--per-line", "--quiet", "--jobs", "2", "--output", str(output), str(source)]) == 0
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in records] == list(range(1, len(texts) + 1))
    assert [r["probability"] for r in records] == review_sentiment.load().predict_proba(texts).tolist()


def test_blocks_reach_the_workers_through_shared_slots_or_else_a_pipe(tmp_path, imdb_split, monkeypatch):
    """Blocks that fit a slot of the memory shared with the workers are read from there, the
    others are sent whole; the slots are used again and again, and the records are the same."""
    from review_sentiment import _batch

    monkeypatch.setattr(reading, "BLOCK_BYTES", 700)
    monkeypatch.setattr(_batch._SharedBlocks, "SLOT_BYTES", 1500)  # some blocks of a review or two fit, others not
    sent = []
    original = _batch._SharedBlocks.sent

    def recorded(self, work):
        found = original(self, work)
        sent.append(found[1])
        return found

    monkeypatch.setattr(_batch._SharedBlocks, "sent", recorded)
    paths = _inputs(tmp_path, imdb_split)[:3]  # plain, line ends, a bad byte
    written = {}
    for jobs in ("0", "2"):
        output = tmp_path / f"out-{jobs}.txt"
        assert classify_main(["--per-line", "--quiet", "--jobs", jobs, "--output", str(output), *paths]) == 0
        written[jobs] = output.read_bytes()
    assert written["2"] == written["0"] == _written_by_the_general_path(tmp_path, paths, [])
    shared = [slot for slot in sent if slot is not None]
    assert None in sent and len(shared) > 2 * len(set(shared))  # both ways, each slot many times
