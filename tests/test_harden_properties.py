"""Property-based tests (hypothesis) of the text contract, the readers and the writers, and the
readers' fuzz target (fuzz/readers.py) run on hypothesis's inputs. Examples are few enough to
keep the suite fast; `HYPOTHESIS_PROFILE=thorough` runs many more by hand."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from review_sentiment import _batch
from review_sentiment._batch import ReviewResult
from review_sentiment._export import ResultWriter
from review_sentiment._reading import open_lines
from review_sentiment._shown import shown, writable_name
from review_sentiment.encoding import EncodingSettings, build_word_index, tokenise, words

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
from readers import read_every_way  # noqa: E402

settings.register_profile("suite", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

# Text that looks like reviews and like attacks: letters, marks, digits, apostrophes, tags, spaces.
review_text = st.text(st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(list("abcXYZ019 '’ʼ<>/\n\t\u0301\u0316\ufb01\u00bd\ufdfa\u200b\u034f")),
), max_size=300)


# -- the text contract --------------------------------------------------------------------------------


@given(review_text)
def test_words_are_the_tokens_and_spans_are_in_order(text):
    tokens = tokenise(text)
    assert words(text) == [t.text for t in tokens]
    assert all(0 <= a.start < a.end <= b.start for a, b in zip(tokens, tokens[1:]))
    assert all(t.end <= len(text) for t in tokens)


@given(review_text, st.integers(0, 50))
def test_words_with_a_limit_are_the_first_words(text, limit):
    assert words(text, limit) == words(text)[:limit]


@given(st.lists(review_text, max_size=20), st.sampled_from([1, 2]))
def test_a_word_index_built_from_any_texts_passes_its_own_contract_check(texts, ngrams):
    index = build_word_index(texts, EncodingSettings(vocab_size=200, ngrams=ngrams))
    index.check_matches_contract()


# -- the readers ---------------------------------------------------------------------------------------

line_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=80)


@given(st.lists(line_text, min_size=1, max_size=30), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
       st.sampled_from(["\n", "\r\n", "\r"]))
def test_lines_read_back_exactly_in_any_encoding_and_line_end(lines, encoding, end):
    if encoding == "cp1252":
        lines = [line.encode("cp1252", "ignore").decode("cp1252") for line in lines]
    lines = [line for line in lines if line.strip()] or ["a review"]
    data = end.join(lines).encode(encoding)
    if _binary_looking(lines):
        return  # control characters: such a file is rightly refused as binary
    _encoding, found = open_lines(io.BytesIO(data))
    got = list(found)
    assert [g.number for g in got] == list(range(1, len(lines) + 1))
    if encoding != "cp1252" or all(line.isascii() for line in lines):
        assert [g.text for g in got] == lines  # cp1252 is a guess (a lone "¡" may be another code page)


def _binary_looking(lines) -> bool:
    return any(ord(c) < 32 and c not in "\t\x0c\x0b\x1b" for line in lines for c in line)


cell = st.text(st.characters(codec="utf-8", exclude_characters="\x00\r"), max_size=60)


@given(st.lists(st.tuples(cell, cell), min_size=1, max_size=20))
def test_csv_cells_read_back_exactly(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["text", "other"])
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    if _binary_looking([buffer.getvalue()]):
        return
    found = list(_batch._csv_reviews("t.csv", io.BytesIO(data), "text"))
    assert [r.text for r in found if not r.error] == [text for text, _ in rows if text.strip()]
    assert all("empty" in r.error for r in found if r.error)


json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                          max_leaves=10)


@given(st.lists(json_value, min_size=1, max_size=15))
def test_jsonl_gives_one_record_per_line_whatever_each_line_holds(values):
    lines = [json.dumps({"text": v}) if i % 2 else json.dumps(v) for i, v in enumerate(values)]
    found = list(_batch._jsonl_reviews("t.jsonl", io.BytesIO("\n".join(lines).encode()), "text"))
    assert [r.line for r in found] == list(range(1, len(lines) + 1))
    for review in found:
        assert bool(review.error) != bool(review.text), review
        assert "NoneType" not in review.error and "dict" not in review.error


@given(st.binary(max_size=2000))
def test_the_fuzz_target_holds_on_any_bytes(data):
    read_every_way(data)


# -- the writers ---------------------------------------------------------------------------------------

name = st.one_of(st.text(max_size=30), st.binary(max_size=30).map(os.fsdecode))


@given(st.lists(st.tuples(name, st.floats(0, 1), st.text(max_size=20)), min_size=1, max_size=20),
       st.sampled_from(["csv", "jsonl"]))
def test_any_names_and_messages_are_written_complete_and_readable(tmp_path_factory, results, output_format):
    folder = tmp_path_factory.mktemp("out")
    path = folder / f"results.{output_format}"
    records = [ReviewResult(source, i + 1, "", p, "positive" if p >= 0.5 else "negative", warning=warning)
               for i, (source, p, warning) in enumerate(results)]
    with ResultWriter(path, output_format) as writer:
        writer.write(records)
    text = path.read_bytes().decode("utf-8")  # valid UTF-8, whatever the names held
    if output_format == "csv":
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    else:
        rows = [json.loads(line) for line in text.split("\n")[:-1]]  # not splitlines: "\x85" is in a name
    expected = [writable_name(s) for s, _, _ in results]
    if output_format == "csv":  # a CR is written as \r: Python's CSV writer would not quote it
        expected = [s.replace("\r", "\\r") for s in expected]
    assert [r["source"] for r in rows] == expected
    assert [float(r["probability"]) for r in rows] == [p for _, p, _ in results]
    assert os.listdir(folder) == [path.name]  # no part file beside it


@given(st.lists(st.tuples(name, st.one_of(st.none(), st.integers(1, 10**9)), st.one_of(st.none(), st.floats(0, 1)),
                          st.sampled_from(["positive", "negative", "uncertain", ""]), st.sampled_from(["", "odd, \"name\"\n\r"]),
                          st.text(max_size=8), st.text(max_size=12)), min_size=1, max_size=10))
def test_the_fast_csv_lines_are_what_the_csv_writer_writes(rows):
    from review_sentiment._export import _csv_line, _csv_row

    results = [ReviewResult(source, line, "", p, label, warning, error, True, model, model[::-1])
               for source, line, p, label, warning, error, model in rows]
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\n").writerows(map(_csv_row, results))
    assert "".join(map(_csv_line, results)) == expected.getvalue()


@given(name)
def test_a_shown_name_holds_no_control_character(text):
    assert shown(text).isprintable() or all(c.isprintable() or c == " " for c in shown(text))
    assert "\x1b" not in shown(text)
