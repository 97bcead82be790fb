"""The worker's path for a block of lines that all decoded (`LineBlock.texts`,
`Renderer.classified_lines`, `_batch._render_classified_block`) writes exactly what the general
path writes: a `Review` per line, `_results` and the renderer, in both formats, with --explain's
fields too (the renderer formats the explanations itself)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given, settings, strategies as st

from review_sentiment import _batch
from review_sentiment._batch import ReviewBlock, ReviewResult
from review_sentiment._cli import _explainer
from review_sentiment._export import Renderer, _csv_field, _csv_writer_line
from review_sentiment._reading import LineBlock
from review_sentiment._verdict import label_for

ODD_LINES = ["", " ", "\t\u00a0\u3000", "\x1c", "\x85", "good", " café ", "a\u2028b", "\x00", "x" * 50]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(ODD_LINES), max_size=12), st.sampled_from(["\n", "\r\n", "\r"]),
       st.sampled_from(["utf-8", "cp1252"]), st.integers(0, 5))
def test_texts_are_the_non_blank_lines_lines_gives(lines, end, encoding, before):
    data = end.join(lines).encode(encoding, "replace") + b"\n"
    block = LineBlock(data, encoding, before)
    found = block.texts()
    expected = [(line.number, line.text) for line in block.lines() if line.error or line.text.strip()]
    assert found is not None and list(zip(*found)) == expected


def test_a_block_that_does_not_decode_has_no_texts():
    assert LineBlock(b"good\ncaf\xe9\n", "utf-8", 0).texts() is None


SOURCES = ["reviews.txt", "a,b.txt", 'say "hi".txt', "line\rbreak.txt", "caf\udce9.txt", "ü/ö.txt", "-"]
PROBABILITIES = [0.0, 1.0, 0.5, 0.4999999999999999, 0.6, 1e-300, 0.123456789012345678, 0.999999940395355]


@pytest.mark.parametrize("output_format", ["csv", "jsonl"])
@pytest.mark.parametrize("encoding", [None, "utf-8"])
@pytest.mark.parametrize("warning", ["", "this file is not UTF-8; read as cp1252 (a guess), \"quoted\""])
@pytest.mark.parametrize("source", SOURCES)
def test_classified_lines_are_what_the_renderer_writes_for_their_results(output_format, encoding, warning, source):
    render = Renderer(output_format, encoding=encoding)
    lines = list(range(3, 3 + len(PROBABILITIES)))
    labels = [label_for(p, 0.2) for p in PROBABILITIES]
    labels[1] = "uncertain"  # as for a text with no known word
    made_by = ('model "x", v2', "ab" * 32)
    results = [ReviewResult(source, line, "", p, label, warning, "", True, *made_by)
               for line, p, label in zip(lines, PROBABILITIES, labels)]
    assert render.classified_lines(source, lines, labels, PROBABILITIES, warning, *made_by) == render(results)


def test_classified_lines_leave_explanations_and_texts_to_the_general_path():
    assert Renderer("csv", explain=True).classified_lines("a", [1], ["positive"], [0.9], "", "m", "h") is None
    assert Renderer("jsonl", with_text=True).classified_lines("a", [1], ["positive"], [0.9], "", "m", "h") is None


@pytest.mark.parametrize("encoding", [None, "utf-8"])
@pytest.mark.parametrize("explain", [False, True], ids=["plain", "explain"])
@pytest.mark.parametrize("output_format", ["csv", "jsonl"])
def test_a_block_of_real_reviews_renders_as_its_results_do(shipped_bundle, imdb_split, output_format, explain,
                                                           encoding):
    texts = [" ".join(t.split()) for t in imdb_split.test.texts[:300]]
    texts += [" ".join(t.split()) for t in imdb_split.test.texts[300:3000] if not t.isascii()][:40]
    texts += ["!!! ???", "Café naïve — 😀 l'amour ’twas <b>great</b>", "x" * 70 + " fine", "ok, \"quoted\""]
    data = "\n\n".join(texts[:150]).encode() + b"\n \n" + "\r\n".join(texts[150:]).encode() + b"\n"
    work = ReviewBlock("a, \"b\".txt", LineBlock(data, "utf-8", 7), "")
    render = Renderer(output_format, explain=explain, encoding=encoding)
    made_by = (shipped_bundle.name, shipped_bundle.word_index.sha256)
    fields = _explainer(output_format) if explain else None
    fast = _batch._render_work(shipped_bundle, fields, (render, 0.2, 64, made_by), work)
    assert fast == _batch._render_classified_block(shipped_bundle, work, render, 0.2, 64, made_by, explain)
    reviews = work.reviews()
    results = []
    for batch in _batch._batches(reviews, 64):
        texts_ = _batch._texts(batch)
        model_batches = _batch._model_batches(texts_, shipped_bundle.word_index, shipped_bundle.settings)
        results += _batch._results(batch, _batch._verdicts(shipped_bundle, texts_, model_batches, fields), 0.2, made_by)
    assert fast == (render(results), work.source, len(reviews))
    if explain and output_format == "jsonl":  # the records still say what the model did, to 1e-6
        for line in (fast[0].text if encoding is None else fast[0].text.decode()).splitlines():
            record = json.loads(line)
            words = sum(w["contribution"] for w in record["explanation"])
            assert record["baseline"] + words == pytest.approx(record["log_odds"], abs=1e-6)


def test_another_explain_function_is_left_to_the_general_path(shipped_bundle, imdb_split):
    texts = [" ".join(t.split()) for t in imdb_split.test.texts[:20]]
    work = ReviewBlock("reviews.txt", LineBlock(("\n".join(texts) + "\n").encode(), "utf-8", 0), "")

    def lengths(bundle, texts, model_batches):
        return [(len(text), "", "") for text in texts]

    render = Renderer("csv", explain=True)
    assert not render.writes_fields_of(lengths) and render.writes_fields_of(_explainer("csv"))
    rendered, source, count = _batch._render_work(shipped_bundle, lengths, (render, 0.2, 64, ("m", "h")), work)
    rows = list(csv.reader(io.StringIO(rendered.text)))
    assert (source, count) == ("reviews.txt", 20) and [int(row[9]) for row in rows] == [len(t) for t in texts]


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list(",\"\n\r ;+-.'a1é\t\x00\u2028"))))
def test_a_field_is_quoted_as_the_csv_writer_quotes_it(text):
    assert _csv_field(text) == _csv_writer_line((text, ""))[:-2]
