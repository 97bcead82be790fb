"""The shipped default, trigram-nb-20261201-235037, is the recipe's bundle of 1 December 19:17
(trigram-nb-20261201-191750) trained again by `python -m trainer`, the same weights bit for bit,
exported with the lean look-up of `trainer.architectures.exported_network` (no step that maps a
negative id first: eight elementwise passes over every position fewer). It must give exactly what
that bundle gave: tests/data/trigram_nb_191750_outputs.json holds its probabilities and sums of
shares, as float.hex(), on the first 500 test reviews and the first 500 Rotten Tomatoes snippets
(made with 191750 before it left models/)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from review_sentiment._additive import row_sums
from review_sentiment._bundle import load_bundle
from review_sentiment.encoding import encode_batch

ROOT = Path(__file__).resolve().parents[1]
RECORDED = json.loads((ROOT / "tests" / "data" / "trigram_nb_191750_outputs.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def default_bundle():
    return load_bundle(ROOT / "models" / "trigram-nb-20261201-235037")


@pytest.fixture(scope="module")
def snippets():
    from trainer.data import load_movie_reviews

    return load_movie_reviews(source="rotten_tomatoes").texts


@pytest.mark.parametrize("part", ["test", "rotten_tomatoes"])
def test_the_default_gives_the_previous_defaults_probabilities_and_shares_bit_for_bit(
        default_bundle, imdb_split, snippets, part):
    texts = (imdb_split.test.texts if part == "test" else snippets)[:500]
    rows = encode_batch(texts, default_bundle.word_index, default_bundle.settings)
    probabilities = default_bundle.probabilities(rows)
    _, shares = default_bundle.additive.run(default_bundle, rows)
    assert [float(p).hex() for p in probabilities] == RECORDED[part]["probabilities_hex"]
    assert [float(z).hex() for z in row_sums(shares)] == RECORDED[part]["share_sums_hex"]


def test_the_default_looks_up_the_ids_it_is_given():
    """No negative-id step between the input and the look-up: GatherElements reads token_ids
    flattened, nothing else (trainer/export.py's rewrite of the one-column table)."""
    onnx = pytest.importorskip("onnx")

    graph = onnx.load(str(ROOT / "models" / "trigram-nb-20261201-235037" / "model.onnx")).graph
    made_by = {output: node for node in graph.node for output in node.output}
    (lookup,) = [node for node in graph.node if node.op_type == "GatherElements"]
    flatten = made_by[lookup.input[1]]
    assert flatten.op_type == "Reshape" and flatten.input[0] == "token_ids"
    assert not {"Less", "Not", "Where"} & {node.op_type for node in graph.node}
