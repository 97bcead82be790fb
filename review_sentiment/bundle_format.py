"""What a model bundle holds, by name: the keys both the exporter and the loader use.

A bundle is a folder. Its ``model.onnx`` is self-contained: the word index, the encoding
settings and the calibration travel inside the ONNX file's ``metadata_props``, so the model
cannot be paired with the wrong vocabulary. The other files are for people and for the app's
model panel. See docs/bundle-format.md.
"""

FORMAT_VERSION = "1"

MODEL_FILE = "model.onnx"
CARD_JSON = "model_card.json"
CARD_MARKDOWN = "model_card.md"
CURVES_PNG = "training_curves.png"
RELIABILITY_PNG = "reliability.png"
RELIABILITY_BY_LENGTH_PNG = "reliability_by_length.png"
SUMMARY_TXT = "model_summary.txt"
SAMPLES_JSONL = "samples.jsonl"
CURRENT_POINTER = "CURRENT"  # in a models folder: the name of the bundle folder in use

INPUT_NAME = "token_ids"
OUTPUT_NAME = "positive_probability"
# Optional second output of additive models ([batch, length], float64): each position's exact share
# of the log-odds, so that log-odds = bias + sum of the shares. Batch classification never asks for it.
CONTRIBUTIONS_NAME = "ngram_log_odds"
OPSET = 17

KEY_PREFIX = "review_sentiment."
KEY_FORMAT = KEY_PREFIX + "format"
KEY_ENCODING = KEY_PREFIX + "encoding"  # JSON: EncodingSettings.to_dict()
KEY_WORD_INDEX = KEY_PREFIX + "word_index"  # JSON: words in id order from id 4
KEY_WORD_INDEX_SHA256 = KEY_PREFIX + "word_index_sha256"
KEY_CALIBRATION = KEY_PREFIX + "calibration"  # JSON: {"temperature": T}
KEY_ARCHITECTURE = KEY_PREFIX + "architecture"
KEY_NAME = KEY_PREFIX + "name"
KEY_CREATED = KEY_PREFIX + "created"
