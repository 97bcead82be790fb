"""The worker's path for a block of lines that all decoded (`LineBlock.texts`,
`Renderer.classified_lines`, `_batch._render_classified_block`) writes exactly what the general
path writes: a `Review` per line, `_results` and the renderer, in both formats."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from review_sentiment import _batch
from review_sentiment._batch import ReviewBlock, ReviewResult
from review_sentiment._export import Renderer
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


@pytest.mark.parametrize("output_format", ["csv", "jsonl"])
def test_a_block_of_real_reviews_renders_as_its_results_do(shipped_bundle, imdb_split, output_format):
    texts = [" ".join(t.split()) for t in imdb_split.test.texts[:300]]
    data = "\n\n".join(texts[:150]).encode() + b"\n \n" + "\r\n".join(texts[150:]).encode() + b"\n"
    work = ReviewBlock("reviews.txt", LineBlock(data, "utf-8", 7), "")
    render = Renderer(output_format, encoding="utf-8")
    made_by = (shipped_bundle.name, shipped_bundle.word_index.sha256)
    fast = _batch._render_classified_block(shipped_bundle, work, render, 0.2, 64, made_by)
    reviews = work.reviews()
    results = []
    for batch in _batch._batches(reviews, 64):
        texts_ = _batch._texts(batch)
        model_batches = _batch._model_batches(texts_, shipped_bundle.word_index, shipped_bundle.settings)
        results += _batch._results(batch, _batch._verdicts(shipped_bundle, texts_, model_batches), 0.2, made_by)
    assert fast == (render(results), "reviews.txt", len(reviews))
