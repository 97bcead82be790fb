"""Export a trained Keras model to a self-contained ONNX file, then prove it matches Keras."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from review_sentiment.encoding import EncodingSettings, WordIndex
from review_sentiment import bundle_format as fmt

PARITY_TOLERANCE = 1e-5


class ExportError(Exception):
    """The exported model is missing, malformed, or disagrees with Keras."""


def export_onnx(
    model,
    path: Path,
    *,
    settings: EncodingSettings,
    word_index: WordIndex,
    temperature: float,
    name: str,
    architecture: str,
    created: str,
) -> None:
    """Write `model` to `path` as ONNX with fixed opset, names, a dynamic batch axis and the
    word index, encoding settings and calibration in its metadata_props."""
    import keras
    import onnx

    length = None if settings.dynamic_length else settings.row_width
    spec = keras.InputSpec(shape=(None, length), dtype="int32", name=fmt.INPUT_NAME)
    with tempfile.TemporaryDirectory() as scratch:
        raw_file = Path(scratch) / "raw.onnx"
        model.export(str(raw_file), format="onnx", input_signature=[spec], opset_version=fmt.OPSET, verbose=False)
        proto = onnx.load(str(raw_file))

    _rename_io(proto, fmt.INPUT_NAME, fmt.OUTPUT_NAME)
    metadata = {
        fmt.KEY_FORMAT: fmt.FORMAT_VERSION,
        fmt.KEY_ENCODING: json.dumps(settings.to_dict()),
        fmt.KEY_WORD_INDEX: word_index.to_json(),
        fmt.KEY_WORD_INDEX_SHA256: word_index.sha256,
        fmt.KEY_CALIBRATION: json.dumps({"temperature": temperature}),
        fmt.KEY_ARCHITECTURE: architecture,
        fmt.KEY_NAME: name,
        fmt.KEY_CREATED: created,
    }
    del proto.metadata_props[:]
    for key, value in metadata.items():
        proto.metadata_props.add(key=key, value=value)
    proto.producer_name = "review-sentiment trainer"
    proto.doc_string = "Probability that a movie review is positive. See docs/bundle-format.md."
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


def _rename_io(proto, input_name: str, output_name: str) -> None:
    """tf2onnx names tensors after the traced function; give them the bundle's fixed names."""
    graph = proto.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise ExportError(f"expected one input and one output, got {len(graph.input)} and {len(graph.output)}")
    renames = {graph.input[0].name: input_name, graph.output[0].name: output_name}
    for node in graph.node:
        node.input[:] = [renames.get(n, n) for n in node.input]
        node.output[:] = [renames.get(n, n) for n in node.output]
    graph.input[0].name = input_name
    graph.output[0].name = output_name
    graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    graph.output[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    if not graph.input[0].type.tensor_type.shape.dim[1].HasField("dim_value"):
        graph.input[0].type.tensor_type.shape.dim[1].dim_param = "length"


def check_parity(model, onnx_path: Path, ids: np.ndarray | list[np.ndarray], batch_size: int = 2048) -> float:
    """Max |Keras - onnxruntime| over `ids` (one array, or a list of batches of any widths);
    raises ExportError above PARITY_TOLERANCE."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    batches = ids if isinstance(ids, list) else [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
    keras_out = np.concatenate([model.predict_on_batch(b).reshape(-1) for b in batches])
    onnx_out = np.concatenate([session.run([fmt.OUTPUT_NAME], {fmt.INPUT_NAME: b})[0].reshape(-1) for b in batches])
    worst = float(np.max(np.abs(keras_out.astype(np.float64) - onnx_out.astype(np.float64))))
    if not worst <= PARITY_TOLERANCE:
        raise ExportError(
            f"the ONNX model disagrees with Keras by up to {worst:.2e} on {len(keras_out)} test reviews "
            f"(allowed: {PARITY_TOLERANCE:.0e}); the export is not trustworthy and was not installed"
        )
    return worst
