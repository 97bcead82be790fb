"""The library's front door: `load()` a model bundle, then ask the `Model` for probabilities,
labels, verdicts or explanations. Everything here runs the same code as the `classify` command
and the app, so a probability from Python is the one they print and show.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from review_sentiment._batch import Review, classify_reviews
from review_sentiment._bundle import ModelBundle, default_models_dir, load_bundle
from review_sentiment._classify import Verdict, classify_text, classify_texts
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND, MAX_UNCERTAIN_BAND
from review_sentiment.encoding import EncodingSettings


def load(path: str | os.PathLike | None = None, *, threads: int | None = None) -> Model:
    """Load a model bundle and check it; the model shipped with this package when `path` is None.

    `path` may be a bundle folder (holding `model.onnx`), a models folder whose `CURRENT` file
    names the bundle in use (like the shipped `models/`), or a `.onnx` file. `threads` caps the
    threads onnxruntime uses inside one call (default: up to 4); give each worker process of a
    batch job its share of the cores so they do not fight over them.

    Raises `BundleError` (its message names the file and what is wrong) when the bundle is
    missing, damaged or not a review-sentiment model.
    """
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise ValueError(f"threads must be a whole number of at least 1; got {threads!r}")
    return Model(load_bundle(default_models_dir() if path is None else Path(path), threads=threads))


class Model:
    """A loaded, checked model bundle. Get one with `review_sentiment.load()`.

    All methods take texts as they are (any length, HTML line breaks and all): the bundle's own
    text contract normalises, tokenises and cuts them exactly as it did in training.
    """

    def __init__(self, bundle: ModelBundle) -> None:
        self._bundle = bundle

    def __repr__(self) -> str:
        return f"<review_sentiment.Model {self.name!r} ({self.architecture}) from {self.path}>"

    @property
    def name(self) -> str:
        """The bundle's name, e.g. `bigram-nb-20261126-152216`."""
        return self._bundle.name

    @property
    def architecture(self) -> str:
        """The network it was trained as (`seed`, `bigram-nb`, ...)."""
        return self._bundle.architecture

    @property
    def path(self) -> Path:
        """The bundle folder the model was loaded from."""
        return self._bundle.folder

    @property
    def encoding(self) -> EncodingSettings:
        """How text becomes the model's input: vocabulary size, words read, word pairs or not."""
        return self._bundle.settings

    @cached_property
    def word_index_sha256(self) -> str:
        """SHA-256 of the bundle's word index: two models with the same hash read text alike."""
        return self._bundle.word_index_sha256

    @property
    def temperature(self) -> float:
        """The calibration temperature applied to the network's log-odds (1.0: none)."""
        return self._bundle.temperature

    @property
    def card(self) -> dict | None:
        """The bundle's model card (`card.json`: data, split, metrics), if it has one."""
        return self._bundle.card

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """The calibrated probability that each review is positive, as float64 of shape (len(texts),).

        Exactly (bit for bit) what `review-sentiment classify --per-line` writes for the same
        texts in the same order, and within 1e-12 of it in any other order or batching. Unlike
        scikit-learn's method of this name, it returns one column: the probability of positive.
        """
        probabilities, _ = self._probabilities_and_labels(texts, DEFAULT_UNCERTAIN_BAND)
        return probabilities

    def predict(self, texts: Sequence[str], band: float = DEFAULT_UNCERTAIN_BAND) -> list[str]:
        """`positive`, `negative` or `uncertain` for each text, as the `classify` command labels
        them: uncertain when the probability lies within band/2 of 50%, or when the model knows
        none of the text's words."""
        _, labels = self._probabilities_and_labels(texts, band)
        return labels

    def classify(self, texts: Sequence[str], band: float = DEFAULT_UNCERTAIN_BAND, *,
                 explain: bool = False) -> list[Verdict]:
        """A `Verdict` for each text, as the app's review view builds it: label, probability,
        the words read (and with `explain=True` how much each one moved the verdict), whether the
        text was cut, and what the model read. Probabilities equal `predict_proba`'s within 1e-12."""
        return classify_texts(self._bundle, _checked(texts), _checked_band(band), explain=explain)

    def explain(self, text: str, band: float = DEFAULT_UNCERTAIN_BAND) -> Verdict:
        """The verdict for one text with each word's contribution (calibrated log-odds toward
        positive it added); `Verdict.strongest()` lists the words that decided it."""
        (text,) = _checked([text])
        return classify_text(self._bundle, text, _checked_band(band), explain=True)

    def _probabilities_and_labels(self, texts: Sequence[str], band: float) -> tuple[np.ndarray, list[str]]:
        """The `classify` command's own batching and labelling (`classify_reviews`), so the
        numbers agree with it bit for bit."""
        reviews = [Review("", number, text) for number, text in enumerate(_checked(texts), 1)]
        probabilities, labels = np.empty(len(reviews), dtype=np.float64), []
        for batch in classify_reviews(self._bundle, reviews, _checked_band(band)):
            probabilities[len(labels) : len(labels) + len(batch)] = [r.probability for r in batch]
            labels += [r.label for r in batch]
        return probabilities, labels


def _checked(texts: Sequence[str]) -> list[str]:
    """The texts as a list, or a TypeError naming the first one that is not a string."""
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a sequence of strings, not one string; for one review pass [text]")
    texts = list(texts)
    for number, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{number}] is {type(text).__name__}, not str; "
                            "decode bytes and drop or fill missing values first")
    return texts


def _checked_band(band: float) -> float:
    if isinstance(band, bool) or not (isinstance(band, (int, float)) and 0 <= band <= MAX_UNCERTAIN_BAND):
        raise ValueError(f"band (the uncertain width around 50%) must be from 0 to {MAX_UNCERTAIN_BAND}; got {band!r}")
    return float(band)


__all__ = ["Model", "load"]
