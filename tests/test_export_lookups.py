"""The exporter's rewrite of one-column look-ups (`Gather(table[V, 1])` -> `GatherElements` on
`[V]`): the same outputs bit for bit, on the shipped additive bundles and real reviews, and the
rewrite leaves wider tables (the tutorial's Embedding(10000, 16)) alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from review_sentiment._bundle import load_bundle  # noqa: E402
from review_sentiment.encoding import encode_batch  # noqa: E402
from trainer.export import _one_column_lookups_as_gather_elements  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "models"


def _session(model: bytes | str):
    return ort.InferenceSession(model, providers=["CPUExecutionProvider"])


def _ops(proto) -> list[str]:
    return [node.op_type for node in proto.graph.node]


@pytest.mark.parametrize("pattern, rewrites", [("bigram-nb-*", 2), ("seed-*", 0)])
def test_the_rewrite_gives_the_same_bits_on_real_reviews(pattern, rewrites, imdb_split):
    path = sorted(MODELS.glob(pattern))[-1] / "model.onnx"
    bundle = load_bundle(path.parent)
    proto = onnx.load(str(path))
    before = _ops(proto)
    assert _one_column_lookups_as_gather_elements(proto) == rewrites
    onnx.checker.check_model(proto)
    assert _ops(proto).count("GatherElements") == rewrites
    assert _ops(proto).count("Gather") == before.count("Gather") - rewrites
    original, rewritten = _session(str(path)), _session(proto.SerializeToString())
    names = [o.name for o in original.get_outputs()]
    texts = imdb_split.test.texts[:600] + ["", "Loved it!", "zzzz qqqq"]
    for start in range(0, len(texts), 200):
        ids = encode_batch(texts[start : start + 200], bundle.word_index, bundle.settings)
        for a, b in zip(original.run(names, {"token_ids": ids}), rewritten.run(names, {"token_ids": ids})):
            assert a.dtype == b.dtype and a.shape == b.shape
            assert np.array_equal(a, b)


def test_a_table_read_by_another_node_too_is_left_alone():
    from onnx import TensorProto, helper, numpy_helper

    table = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(6, 1), "table")
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "ids"], ["looked_up"], axis=0),
         helper.make_node("Identity", ["table"], ["table_out"])],
        "g", [helper.make_tensor_value_info("ids", TensorProto.INT32, [None, None])],
        [helper.make_tensor_value_info("looked_up", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("table_out", TensorProto.FLOAT, None)], [table])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    assert _one_column_lookups_as_gather_elements(proto) == 0
    assert _ops(proto) == ["Gather", "Identity"]
