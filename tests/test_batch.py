"""Batch classification core: finding files, reading reviews in four modes, classifying, failing per record."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import threading

import pytest

from review_sentiment._batch import (
    InputMode,
    ReviewReader,
    classify_reviews,
    csv_columns,
    find_input_files,
    jsonl_fields,
    parse_extensions,
)
from review_sentiment._classify import classify_text
from review_sentiment._verdict import UNCERTAIN, label_for
from review_sentiment.encoding import encode_batch, encode_rows


@pytest.fixture(scope="module")
def reviews(imdb_split):
    """Twelve real test reviews, each on one line (newlines inside a review become spaces)."""
    return [" ".join(t.split()) for t in imdb_split.test.texts[:12]]


def same_probability(bundle, a: float, b: float) -> bool:
    """Bit for bit for fixed-length rows; within 1e-12 for rows of dynamic length, whose sums run
    over however much <PAD> the batch holds (a last-bit difference, never a different label)."""
    if getattr(bundle.settings, "dynamic_length", False):
        return abs(a - b) <= 1e-12
    return a == b


def classify(bundle, files, mode=InputMode.FILE, field="", **kwargs):
    reader = ReviewReader(files, mode, field)
    return [r for batch in classify_reviews(bundle, reader, **kwargs) for r in batch]


def run(bundle, paths, mode=InputMode.FILE, field="", extensions=(".txt",), **kwargs):
    return classify(bundle, find_input_files([str(p) for p in paths], extensions), mode, field, **kwargs)


# --- finding files ---------------------------------------------------------------------------


def test_folder_is_searched_recursively_for_the_chosen_extensions(tmp_path, reviews):
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    (tmp_path / "a.txt").write_text(reviews[0])
    (tmp_path / "b" / "c.TXT").write_text(reviews[1])
    (tmp_path / "b" / "deeper" / "d.txt").write_text(reviews[2])
    (tmp_path / "b" / "notes.md").write_text(reviews[3])
    found = [f.source for f in find_input_files([tmp_path])]
    assert found == [str(tmp_path / "a.txt"), str(tmp_path / "b" / "c.TXT"), str(tmp_path / "b" / "deeper" / "d.txt")]
    with_md = [f.source for f in find_input_files([tmp_path], parse_extensions(".md, txt"))]
    assert str(tmp_path / "b" / "notes.md") in with_md and len(with_md) == 4
    assert len(list(find_input_files([tmp_path], parse_extensions("*")))) == 4


def test_a_symlink_loop_terminates_and_each_file_is_found_once(tmp_path, reviews):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "r.txt").write_text(reviews[0])
    os.symlink(tmp_path, tmp_path / "sub" / "back-to-top")
    os.symlink(tmp_path / "sub", tmp_path / "sub" / "itself")
    found = [f.source for f in find_input_files([tmp_path])]
    assert found == [str(tmp_path / "sub" / "r.txt")]


def test_broken_link_and_missing_path_become_failed_records(shipped_bundle, tmp_path, reviews):
    (tmp_path / "good.txt").write_text(reviews[0])
    os.symlink(tmp_path / "gone.txt", tmp_path / "dangling.txt")
    results = run(shipped_bundle, [tmp_path, tmp_path / "nowhere.txt"])
    by_source = {r.source: r for r in results}
    assert by_source[str(tmp_path / "good.txt")].ok
    assert "link to something that does not exist" in by_source[str(tmp_path / "dangling.txt")].error
    assert "no such file" in by_source[str(tmp_path / "nowhere.txt")].error


# --- one review per file ---------------------------------------------------------------------


def test_bad_files_fail_alone_and_the_batch_goes_on(shipped_bundle, tmp_path, reviews):
    (tmp_path / "1-good.txt").write_text(reviews[0])
    (tmp_path / "2-empty.txt").write_bytes(b"")
    (tmp_path / "3-binary.txt").write_bytes(gzip.compress(reviews[1].encode()))
    os.mkfifo(tmp_path / "4-pipe.txt")
    (tmp_path / "5-cp1252.txt").write_bytes((reviews[2] + " caf\u00e9 \u2013 na\u00efve").encode("cp1252"))
    (tmp_path / "6-good.txt").write_text(reviews[3])
    results = run(shipped_bundle, [tmp_path])
    assert [os.path.basename(r.source) for r in results] == [f"{n}.txt" for n in
                                                            ("1-good", "2-empty", "3-binary", "4-pipe", "5-cp1252", "6-good")]
    good, empty, binary, pipe, legacy, good2 = results
    assert good.ok and good2.ok and legacy.ok
    assert str(tmp_path / "2-empty.txt") in empty.error and "empty" in empty.error and empty.probability is None
    assert "binary" in binary.error and binary.label == ""
    assert "not a regular file" in pipe.error
    assert "cp1252" in legacy.warning and legacy.text.endswith("caf\u00e9 \u2013 na\u00efve")


def test_a_file_that_vanishes_mid_batch_fails_with_the_reason(shipped_bundle, tmp_path, reviews):
    for i, text in enumerate(reviews[:3]):
        (tmp_path / f"{i}.txt").write_text(text)
    files = list(find_input_files([tmp_path]))
    (tmp_path / "1.txt").unlink()  # after it was listed, before it is read
    results = classify(shipped_bundle, files)
    assert [r.ok for r in results] == [True, False, True]
    assert str(tmp_path / "1.txt") in results[1].error and "moved or deleted" in results[1].error


def test_a_folder_where_a_file_was_listed_fails_with_the_reason(shipped_bundle, tmp_path, reviews):
    (tmp_path / "r.txt").write_text(reviews[0])
    files = list(find_input_files([tmp_path]))
    (tmp_path / "r.txt").unlink()
    (tmp_path / "r.txt").mkdir()
    (result,) = classify(shipped_bundle, files)
    assert "is a folder" in result.error


# --- the same text, the same probability --------------------------------------------------------


def test_batch_gives_the_single_review_probability_and_label(shipped_bundle, tmp_path, imdb_split):
    texts = imdb_split.test.texts[:40]
    for i, text in enumerate(texts):
        (tmp_path / f"{i:03d}.txt").write_text(text, encoding="utf-8")
    results = run(shipped_bundle, [tmp_path], batch_size=7)  # batches of 7, and a last one of 5
    singles = [classify_text(shipped_bundle, t) for t in texts]
    assert all(same_probability(shipped_bundle, r.probability, v.probability) for r, v in zip(results, singles))
    assert [r.label for r in results] == [v.label for v in singles]
    expected = shipped_bundle.probabilities(encode_batch(texts, shipped_bundle.word_index, shipped_bundle.settings))
    assert all(same_probability(shipped_bundle, r.probability, e) for r, e in zip(results, expected))


def test_a_lone_last_review_gets_its_batch_probability(shipped_bundle, tmp_path, reviews):
    for i, text in enumerate(reviews[:3]):
        (tmp_path / f"{i}.txt").write_text(text)
    in_twos = run(shipped_bundle, [tmp_path], batch_size=2)  # the third review runs alone
    together = run(shipped_bundle, [tmp_path], batch_size=3)
    assert [r.probability for r in in_twos] == [r.probability for r in together]


def test_text_without_known_words_is_uncertain_as_in_the_single_view(shipped_bundle, tmp_path):
    (tmp_path / "x.txt").write_text("Zxqvbj qwrtzp 12345678901", encoding="utf-8")
    (result,) = run(shipped_bundle, [tmp_path], band=0.0)
    assert result.label == UNCERTAIN == classify_text(shipped_bundle, result.text, 0.0).label


def test_uncertain_band_decides_the_label(shipped_bundle, tmp_path, reviews):
    (tmp_path / "r.txt").write_text(reviews[0])
    (narrow,) = run(shipped_bundle, [tmp_path], band=0.0)
    (wide,) = run(shipped_bundle, [tmp_path], band=0.8)
    assert narrow.label == label_for(narrow.probability, 0.0) != UNCERTAIN
    assert wide.label == label_for(wide.probability, 0.8)


# --- one review per line ---------------------------------------------------------------------


def test_per_line_numbers_lines_and_skips_blank_ones(shipped_bundle, tmp_path, reviews):
    path = tmp_path / "lines.txt"
    path.write_text(f"{reviews[0]}\n\n   \n{reviews[1]}\r\n{reviews[2]}", encoding="utf-8")
    results = run(shipped_bundle, [path], InputMode.LINE)
    assert [(r.line, r.text) for r in results] == [(1, reviews[0]), (4, reviews[1]), (5, reviews[2])]
    assert all(r.ok for r in results)


@pytest.mark.parametrize("codec,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("cp1252", b"")])
def test_per_line_in_other_encodings(shipped_bundle, tmp_path, reviews, codec, bom):
    texts = [t.encode("cp1252", "ignore").decode("cp1252") for t in reviews[:4]]
    path = tmp_path / "lines.txt"
    path.write_bytes(bom + ("\n".join(texts) + "\nna\u00efve caf\u00e9 \u2013 \u201cfine\u201d\n").encode(codec))
    results = run(shipped_bundle, [path], InputMode.LINE)
    assert [r.text for r in results] == texts + ["na\u00efve caf\u00e9 \u2013 \u201cfine\u201d"]
    assert all(("cp1252" in r.warning) == (codec == "cp1252") for r in results)


def test_a_file_of_blank_lines_fails_as_having_no_reviews(shipped_bundle, tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text("\n \n\t\n")
    (result,) = run(shipped_bundle, [path], InputMode.LINE)
    assert "no reviews" in result.error and str(path) in result.error


def test_per_line_reading_streams(tmp_path, reviews):
    path = tmp_path / "big.txt"
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(1500):
            f.write("\n".join(reviews) + "\n")
    size = path.stat().st_size
    assert size > 10_000_000
    reader = ReviewReader(find_input_files([path]), InputMode.LINE)
    stream = iter(reader)
    first = next(stream)
    assert first.text == reviews[0]
    assert 0 < reader.work_done < size / 4  # read ahead by a buffer, not the whole file
    assert reader.work_total == size


def test_cancel_stops_before_the_next_batch_and_keeps_results(shipped_bundle, tmp_path, reviews):
    path = tmp_path / "lines.txt"
    path.write_text("\n".join(reviews * 10))
    cancelled = threading.Event()
    kept = []
    for batch in classify_reviews(shipped_bundle, ReviewReader(find_input_files([path]), InputMode.LINE),
                                  batch_size=25, cancelled=cancelled):
        kept.extend(batch)
        cancelled.set()
    assert [r.line for r in kept] == list(range(1, 26))
    assert all(r.ok for r in kept)


# --- CSV -------------------------------------------------------------------------------------


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def test_csv_column_with_ragged_and_empty_rows(shipped_bundle, tmp_path, reviews):
    path = tmp_path / "reviews.csv"
    multi_line = reviews[1][:200] + "\nsecond line of the same review"
    write_csv(path, [["id", "review", "stars"], [1, reviews[0], 9], [2, multi_line, 3], [3, reviews[2]],
                     [4, reviews[3], 7, "extra"], [5, "", 5], [6, reviews[4], 1]])
    results = run(shipped_bundle, [path], InputMode.CSV, "review", extensions=(".csv",))
    assert [r.line for r in results] == [2, 3, 5, 6, 7, 8]
    assert [r.text for r in results if r.ok] == [reviews[0], multi_line, reviews[4]]
    short, long, empty = (r for r in results if not r.ok)
    assert f"{path}, line 5" in short.error and "2 fields but the header has 3" in short.error
    assert "4 fields" in long.error and "line 6" in long.error
    assert "'review' cell is empty" in empty.error


def test_csv_column_is_matched_ignoring_case_and_spaces(shipped_bundle, tmp_path, reviews):
    path = tmp_path / "r.csv"
    write_csv(path, [[" Review Text "], [reviews[0]]])
    (result,) = run(shipped_bundle, [path], InputMode.CSV, "review text")
    assert result.ok and result.text == reviews[0]
    assert csv_columns(path) == ["Review Text"]


def test_missing_csv_column_fails_the_file_naming_the_columns(shipped_bundle, tmp_path, reviews):
    bad, good = tmp_path / "a.csv", tmp_path / "b.csv"
    write_csv(bad, [["id", "body"], [1, reviews[0]]])
    write_csv(good, [["text"], [reviews[1]]])
    results = run(shipped_bundle, [bad, good], InputMode.CSV, "text")
    assert len(results) == 2
    assert str(bad) in results[0].error and "no column named 'text'" in results[0].error
    assert "'id', 'body'" in results[0].error
    assert results[1].ok and results[1].text == reviews[1]


def test_csv_in_utf16_and_cp1252(shipped_bundle, tmp_path, reviews):
    for name, codec, bom in (("u16.csv", "utf-16-le", b"\xff\xfe"), ("legacy.csv", "cp1252", b"")):
        text = "na\u00efve \u201cfine\u201d " + reviews[5]
        buffer = io.StringIO()
        csv.writer(buffer).writerows([["text"], [text]])
        (tmp_path / name).write_bytes(bom + buffer.getvalue().encode(codec))
        (result,) = run(shipped_bundle, [tmp_path / name], InputMode.CSV, "text")
        assert result.ok and result.text == text
        assert ("cp1252" in result.warning) == (codec == "cp1252")


# --- JSONL -----------------------------------------------------------------------------------


def test_jsonl_field_with_bad_lines(shipped_bundle, tmp_path, reviews):
    path = tmp_path / "r.jsonl"
    lines = [json.dumps({"text": reviews[0], "id": 1}), '{"text": "unterminated', "",
             json.dumps({"body": reviews[1]}), json.dumps({"text": None}), json.dumps([reviews[2]]),
             json.dumps({"text": reviews[3]}, ensure_ascii=False)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = run(shipped_bundle, [path], InputMode.JSONL, "text")
    assert [r.line for r in results] == [1, 2, 4, 5, 6, 7]
    assert [r.ok for r in results] == [True, False, False, False, False, True]
    assert f"{path}, line 2: not valid JSON" in results[1].error
    assert "no field 'text'" in results[2].error and "'body'" in results[2].error
    assert "is null" in results[3].error
    assert "not an object" in results[4].error
    assert jsonl_fields(path) == ["text", "body"]


def test_encoding_in_worker_processes_gives_the_same_records(shipped_bundle, tmp_path, imdb_split):
    path = tmp_path / "lines.txt"
    texts = [" ".join(t.split()) for t in imdb_split.test.texts[:300]]
    path.write_text("\n".join(texts) + "\nnot json but fine\n\n", encoding="utf-8")
    here = run(shipped_bundle, [path, tmp_path / "missing.txt"], InputMode.LINE, batch_size=64)
    workers = run(shipped_bundle, [path, tmp_path / "missing.txt"], InputMode.LINE, batch_size=64, workers=2)
    assert workers == here and len(here) == 302 and not here[-1].ok


def test_model_chunks_take_each_review_once_shortest_first_and_as_many_as_fit(shipped_bundle, imdb_split):
    """`_model_batches` of real reviews (2,000 of them, and runs of 1 to 700): every review in
    exactly one chunk, chunks shortest first, each as many rows as fit in CHUNK_IDS ids (one
    more would not; a single longer row alone), holding exactly `encode_batch` of its reviews."""
    import numpy as np

    from review_sentiment._batch import CHUNK_IDS, _model_batches

    texts = list(imdb_split.test.texts[:2000])
    index, settings = shipped_bundle.word_index, shipped_bundle.settings
    for start, size in ((0, 2000), (0, 1), (5, 2), (40, 700), (900, 333)):
        batch = texts[start : start + size]
        chunks = _model_batches(batch, index, settings)
        chosen = np.concatenate([rows for rows, _ in chunks])
        assert sorted(chosen.tolist()) == list(range(len(batch)))
        lengths = np.array([len(row) for row in encode_rows(batch, index, settings)])
        assert (np.diff(lengths[chosen]) >= 0).all()
        for number, (rows, ids) in enumerate(chunks):
            longest = lengths[rows].max()
            assert len(rows) == 1 or len(rows) * longest <= CHUNK_IDS
            if number + 1 < len(chunks):
                following = lengths[chunks[number + 1][0][0]]
                assert (len(rows) + 1) * following > CHUNK_IDS
            assert np.array_equal(ids, encode_batch([batch[i] for i in rows.tolist()], index, settings))
