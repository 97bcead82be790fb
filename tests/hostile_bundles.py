"""Hostile model bundles for the hardening tests, forged from the real shipped ones with `onnx`
(a train-group package: tests may forge models, the app never imports it).

Each forgery starts from a shipped bundle and changes one thing: its metadata, its card, or the
last step of its graph. `trigger` makes a change that the loader's two-row probe cannot see but
any real review sets off: the probe's rows hold 3 ids that are not <PAD>, a real review dozens.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from review_sentiment import bundle_format as fmt

MODELS = Path(__file__).resolve().parents[1] / "models"
SEED = next(MODELS.glob("seed-*"))
BIGRAM = next(MODELS.glob("bigram-nb-*"))
TRIGRAM = MODELS / (MODELS / "CURRENT").read_text().strip()  # the shipped default: shares as a second output


def load(bundle: Path = SEED) -> onnx.ModelProto:
    return onnx.load(str(bundle / fmt.MODEL_FILE))


def save(model: onnx.ModelProto, folder: Path, source: Path = SEED) -> Path:
    """Write `model` as a bundle folder with the source bundle's other files; returns the folder."""
    shutil.copytree(source, folder)
    onnx.save(model, str(folder / fmt.MODEL_FILE))
    return folder


def meta(model: onnx.ModelProto, key: str) -> str:
    return next(p.value for p in model.metadata_props if p.key == key)


def set_meta(model: onnx.ModelProto, key: str, value: str) -> onnx.ModelProto:
    for prop in model.metadata_props:
        if prop.key == key:
            prop.value = value
            return model
    entry = model.metadata_props.add()
    entry.key, entry.value = key, value
    return model


def set_words(model: onnx.ModelProto, words: list[str]) -> onnx.ModelProto:
    """A new word index with the hash that matches it (so only the words themselves are wrong)."""
    from review_sentiment.encoding import WordIndex

    index = WordIndex(tuple(words))
    set_meta(model, fmt.KEY_WORD_INDEX, index.to_json())
    return set_meta(model, fmt.KEY_WORD_INDEX_SHA256, index.sha256)


def set_settings(model: onnx.ModelProto, **changes) -> onnx.ModelProto:
    settings = json.loads(meta(model, fmt.KEY_ENCODING))
    settings.update(changes)
    return set_meta(model, fmt.KEY_ENCODING, json.dumps(settings))


def _constant(model: onnx.ModelProto, name: str, value: np.ndarray) -> str:
    model.graph.initializer.append(numpy_helper.from_array(value, name))
    return name


def _detach_output(model: onnx.ModelProto) -> str:
    """Rename the node output that was `positive_probability`; returns its new name."""
    for node in model.graph.node:
        for i, name in enumerate(node.output):
            if name == fmt.OUTPUT_NAME:
                node.output[i] = "forged_before_output"
    return "forged_before_output"


def trigger(model: onnx.ModelProto) -> str:
    """A float scalar: 0 on the loader's probe, 1 or more on any real review (its ids that are
    not <PAD>, less the probe's 3)."""
    g = model.graph
    g.node.extend([
        helper.make_node("Cast", [fmt.INPUT_NAME], ["forged_filled"], to=TensorProto.BOOL),
        helper.make_node("Cast", ["forged_filled"], ["forged_ones"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["forged_ones"], ["forged_count"], keepdims=0),
        helper.make_node("Sub", ["forged_count", _constant(model, "forged_three", np.array(3, np.float32))],
                         ["forged_extra"]),
        helper.make_node("Relu", ["forged_extra"], ["forged_trigger"]),
    ])
    return "forged_trigger"


def _set_output_type(model: onnx.ModelProto, elem_type: int, shape: list | None) -> None:
    output = model.graph.output[0]
    output.CopyFrom(helper.make_tensor_value_info(fmt.OUTPUT_NAME, elem_type, shape))


def output_plus(model: onnx.ModelProto, make: str) -> onnx.ModelProto:
    """The output changed on real reviews only: 'above-one' adds the trigger, 'nan' its square root
    of minus itself (NaN when the trigger is above 0)."""
    before, fired = _detach_output(model), trigger(model)
    nodes = {"above-one": [helper.make_node("Add", [before, fired], [fmt.OUTPUT_NAME])],
             "nan": [helper.make_node("Neg", [fired], ["forged_minus"]),
                     helper.make_node("Sqrt", ["forged_minus"], ["forged_root"]),
                     helper.make_node("Add", [before, "forged_root"], [fmt.OUTPUT_NAME])]}[make]
    model.graph.node.extend(nodes)
    return model


def looping(model: onnx.ModelProto, always: bool) -> onnx.ModelProto:
    """A Loop of 10^12 iterations before the output: always, or only on real reviews."""
    before = _detach_output(model)
    if always:
        trips = _constant(model, "forged_trips", np.array(10**12, np.int64))
    else:
        trips = _trips(model, trigger(model))
    model.graph.node.append(_forever(model, trips, before, fmt.OUTPUT_NAME, TensorProto.FLOAT))
    return model


def looping_shares(model: onnx.ModelProto, above: int) -> onnx.ModelProto:
    """The per-position shares output (``ngram_log_odds``) made to loop 10^12 times on rows with
    more than `above` ids that are not <PAD>; the probability output, and shorter rows, untouched."""
    for node in model.graph.node:
        node.output[:] = ["forged_shares" if name == fmt.CONTRIBUTIONS_NAME else name for name in node.output]
    model.graph.node.extend([
        helper.make_node("Cast", [fmt.INPUT_NAME], ["forged_filled"], to=TensorProto.BOOL),
        helper.make_node("Cast", ["forged_filled"], ["forged_ones"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["forged_ones", _constant(model, "forged_axis", np.array([1], np.int64))],
                         ["forged_counts"], keepdims=0),
        helper.make_node("ReduceMax", ["forged_counts"], ["forged_longest"], keepdims=0),
        helper.make_node("Sub", ["forged_longest", _constant(model, "forged_above", np.array(above, np.float32))],
                         ["forged_extra"]),
        helper.make_node("Relu", ["forged_extra"], ["forged_trigger"]),
    ])
    trips = _trips(model, "forged_trigger")
    model.graph.node.append(_forever(model, trips, "forged_shares", fmt.CONTRIBUTIONS_NAME, TensorProto.DOUBLE))
    return model


def _trips(model: onnx.ModelProto, fired: str) -> str:
    """10^12 times the float `fired` (0 unless set off), as the int64 trip count of a Loop."""
    model.graph.node.extend([
        helper.make_node("Mul", [fired, _constant(model, "forged_big", np.array(1e12, np.float32))], ["forged_f"]),
        helper.make_node("Cast", ["forged_f"], ["forged_trips"], to=TensorProto.INT64),
    ])
    return "forged_trips"


def _forever(model: onnx.ModelProto, trips: str, value: str, output: str, elem_type: int):
    """A Loop of `trips` iterations that passes `value` (of `elem_type`) through to `output`."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]), helper.make_node("Identity", ["v_in"], ["v_out"])],
        "forever",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_in", elem_type, None)],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", elem_type, None)])
    return helper.make_node("Loop", [trips, _constant(model, "forged_true", np.array(True)), value], [output], body=body)


def expanded(model: onnx.ModelProto, width: int, declared: list | None) -> onnx.ModelProto:
    """The output broadcast to [batch, width] (4 bytes each), declared with shape `declared`."""
    before = _detach_output(model)
    shape = _constant(model, "forged_shape", np.array([1, width], np.int64))
    model.graph.node.append(helper.make_node("Expand", [before, shape], [fmt.OUTPUT_NAME]))
    _set_output_type(model, TensorProto.FLOAT, declared)
    return model


def expanded_on_real_reviews(model: onnx.ModelProto) -> onnx.ModelProto:
    """The output broadcast to [batch, 1 + trigger * 10^8] floats: 4 bytes wide on the probe,
    tens of gigabytes on any real review. Its declared shape stays [batch, 1]."""
    before, fired = _detach_output(model), trigger(model)
    model.graph.node.extend([
        helper.make_node("Mul", [fired, _constant(model, "forged_wide", np.array(1e8, np.float32))], ["forged_w"]),
        helper.make_node("Add", ["forged_w", _constant(model, "forged_one", np.array(1, np.float32))], ["forged_w1"]),
        helper.make_node("Cast", ["forged_w1"], ["forged_width"], to=TensorProto.INT64),
        helper.make_node("Unsqueeze", ["forged_width", _constant(model, "forged_axis", np.array([0], np.int64))],
                         ["forged_width_1"]),
        helper.make_node("Concat", [_constant(model, "forged_rows", np.array([1], np.int64)), "forged_width_1"],
                         ["forged_shape"], axis=0),
        helper.make_node("Expand", [before, "forged_shape"], [fmt.OUTPUT_NAME]),
    ])
    return model


def cast_output(model: onnx.ModelProto, elem_type: int) -> onnx.ModelProto:
    before = _detach_output(model)
    model.graph.node.append(helper.make_node("Cast", [before], [fmt.OUTPUT_NAME], to=elem_type))
    _set_output_type(model, elem_type, ["batch", 1])
    return model


def two_columns(model: onnx.ModelProto) -> onnx.ModelProto:
    before = _detach_output(model)
    model.graph.node.append(helper.make_node("Concat", [before, before], [fmt.OUTPUT_NAME], axis=1))
    _set_output_type(model, TensorProto.FLOAT, ["batch", 2])
    return model


def with_second_output(model: onnx.ModelProto, name: str = "ngram_log_odds") -> onnx.ModelProto:
    """The bundle as the next architecture exports it: a second output beside the probability."""
    model.graph.node.append(helper.make_node("Cast", [fmt.INPUT_NAME], [name], to=TensorProto.FLOAT))
    model.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", None]))
    return model


def int64_input(model: onnx.ModelProto) -> onnx.ModelProto:
    graph_input = model.graph.input[0]
    graph_input.type.tensor_type.elem_type = TensorProto.INT64
    for node in model.graph.node:
        for i, name in enumerate(node.input):
            if name == fmt.INPUT_NAME:
                node.input[i] = "forged_int32_ids"
    model.graph.node.insert(0, helper.make_node("Cast", [fmt.INPUT_NAME], ["forged_int32_ids"], to=TensorProto.INT32))
    return model
