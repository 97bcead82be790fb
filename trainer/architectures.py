"""The Keras networks `--arch` can name. TensorFlow is imported only when one is built."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from review_sentiment.encoding import PAD_ID, START_ID, EncodingSettings
from review_sentiment import bundle_format as fmt

DEFAULT_ARCH = "trigram-nb"
LOGIT_BOUND = 12.0  # bigram-nb's log-odds stay within +-12: probabilities from 6e-6 to 1 - 6e-6


@dataclass(frozen=True)
class Recipe:
    """An architecture and the training defaults that go with it."""

    name: str
    description: str
    vocab_size: int
    max_length: int
    epochs: int
    batch_size: int
    early_stopping: bool
    ngrams: int = 1
    dynamic_length: bool = False
    ngram_buckets: int = 0
    """Hashed n-gram buckets, on top of `vocab_size` word ids (see EncodingSettings)."""
    learning_rate: float | None = None
    """Adam's step size; None: Keras's default (0.001)."""
    nb_smoothing: float = 1.0
    """Added to each id's count of positive and of negative reviews before the NB ratio is taken."""
    weights_start: float = 0.0
    """Each trainable weight's first value: 0 starts from z = bias, 1 from naive Bayes itself."""
    dropout: float = 0.0
    """Share of the positions' values dropped while training (none when classifying)."""
    refit_epochs: int | None = None
    """When set, `python -m trainer` trains on the training and validation parts together for this
    many epochs, without early stopping: the epoch count at which the training-part-only run
    (`--no-refit`, early stopping on validation) stopped improving its validation loss."""
    average_last_epochs: int = 0
    """When set, the weights kept are the mean of the weights at the end of each of the last this
    many epochs (trainer/averaging.py); 0 keeps the last epoch's (or early stopping's best)."""
    refit_temperature: float = 1.0
    """The temperature of a refitted model: fitted on validation data the model was not trained on
    (see docs/better-model.md), since the refit trains on the whole validation part."""
    nb_interpolation: float = 1.0
    """beta: once trained (and averaged), each weight of an id read in the reviews trained on becomes
    beta * w + (1 - beta) * mean |w| over those ids (Wang & Manning's interpolation between the
    trained weights and naive Bayes itself, whose ratios then weigh the same for every id): 1 keeps
    the trained weights. Needs a `weights` layer (the naive-Bayes networks)."""
    bias_kept: bool = True
    """False: the additive network's bias is set to 0 once trained (z is then the shares' sum alone)."""


RECIPES = {
    "seed": Recipe(
        name="seed",
        description=(
            "The TensorFlow text-classification tutorial's network: Embedding(10000, 16) -> "
            "GlobalAveragePooling1D -> Dense(16, relu) -> Dense(1, sigmoid); Adam, binary "
            "cross-entropy, 40 epochs, batch 512, input length 256."
        ),
        vocab_size=10_000,
        max_length=256,
        epochs=40,
        batch_size=512,
        early_stopping=False,
    ),
    "bigram-nb": Recipe(
        name="bigram-nb",
        description=(
            "A bag of words and word pairs with naive-Bayes weights (NB logistic regression, "
            "Wang & Manning 2012, as a Keras network): the 100,000 most frequent words and pairs "
            "of neighbouring words of the training part; each id's trainable weight is multiplied "
            "by its fixed naive-Bayes log-count ratio (how much more often it appears in positive "
            "than in negative training reviews), summed over the whole review with <PAD> masked "
            "(so the input length is free: up to 3,000 words, longer than any IMDB review), then "
            "Dense(1) and a sigmoid whose log-odds are bent smoothly to stay within +-12 (so no "
            "probability is exactly 0 or 1 and every word's effect stays measurable). Adam, "
            "batch 64, early stopping on validation loss. Why: word pairs "
            "catch 'not good' and 'well worth'; the naive-Bayes ratios start each weight from the "
            "evidence, which a linear model on 15,000 reviews cannot learn as well on its own; "
            "the sum over the whole review reads a long review to its end."
        ),
        vocab_size=100_000,
        max_length=3_001,
        epochs=30,
        batch_size=64,
        early_stopping=True,
        ngrams=2,
        dynamic_length=True,
    ),
    "trigram-nb": Recipe(
        name="trigram-nb",
        description=(
            "Words, pairs and triples of neighbouring words with naive-Bayes weights, their sum "
            "divided by the square root of how many were read (NB logistic regression, Wang & "
            "Manning 2012, as a Keras network): the 65,532 most frequent words of the reviews trained "
            "on, and every pair and triple of known words hashed into 4,194,304 buckets; each id's "
            "trainable weight is multiplied by its fixed naive-Bayes log-count ratio (counted once "
            "per review, 3 added to each count, over the reviews trained on). The log-odds "
            "are z = sum(w[id]) / sqrt(n), over the n positions of the row that are neither "
            "<PAD> nor <START> (words, <UNK> included, and the pairs and triples of known words), "
            "and the probability is sigmoid(z): additive, so each word's share is exact. Adam "
            "(step 0.03), batch 64. Trained on the training and validation parts together for 15 epochs, "
            "the epoch count early stopping chose on validation loss in a run on the training part alone "
            "(--no-refit); the weights kept are the mean of those at the end of each of the last 8 epochs "
            "(stochastic weight averaging), then moved a fifth of the way toward naive Bayes itself "
            "(each weight 0.8 w + 0.2 mean |w|, Wang & Manning's interpolation), and the bias learnt "
            "in training is dropped; temperature fitted on validation reviews by models not trained "
            "on them. Why: triples catch 'not at all good'; "
            "dividing by sqrt(n) instead of summing keeps a one-line review from sitting near 50% "
            "and a 2,000-word one from being over-sure, so the confidence is right at every length; "
            "hashing needs no n-gram list in the bundle, so it stays small and loads fast; the refit "
            "learns from a third more reviews than the run that chose its epoch count; the average of the last "
            "epochs reads short texts a little better (windows of 5-40 words of validation reviews) at the "
            "same accuracy on whole ones; the pull toward naive Bayes and the bias dropped read those "
            "windows better again (the bias leant them toward positive) for a little on whole reviews."
        ),
        vocab_size=65_536,
        max_length=3_001,
        epochs=30,
        batch_size=64,
        early_stopping=True,
        ngrams=3,
        dynamic_length=True,
        # Chosen on the validation part (docs/better-model.md): Adam's step 0.001 / 0.01 / 0.03,
        # smoothing 1 / 3 / 10, buckets 2**20 / 2**21 / 2**22, 65,536 / 131,072 word ids.
        # The refit's epoch count: the training-part-only run's best (`python -m trainer --no-refit`:
        # lowest validation loss at epoch 15). Its temperature: fitted on validation halves by models
        # trained on the training part and the other half (a cross-fit, which also showed that the
        # refit helps), at the refit's number of steps, times what averaging the last 8 epochs did
        # to the temperature fitted on validation at epoch 15 (0.9910 -> 0.9167); see docs/better-model.md.
        # Averaging over the last 3 / 5 / 8 / 12 epochs was compared on validation: 8.
        # nb_interpolation 1 / 0.9 / 0.8 / 0.75 / 0.7 / 0.6 / 0.5, with and without the bias, on the
        # averaged training-part-only run (benchmarks/table_variants.py): the most validation windows
        # read right with the whole validation reviews' log-loss within 0.001 of the recipe's: 0.8,
        # no bias. The refit temperature 0.99 x 0.7953 / 0.9167 (what the two did to the temperature
        # fitted on validation): 0.86.
        ngram_buckets=1 << 22,
        learning_rate=0.03,
        nb_smoothing=3.0,
        average_last_epochs=8,
        refit_epochs=15,
        refit_temperature=0.86,
        nb_interpolation=0.8,
        bias_kept=False,
    ),
}


def finish_weights(model, recipe: Recipe, train_rows) -> dict:
    """What `recipe` does to a trained (and averaged) network's weights before it is calibrated and
    exported: `nb_interpolation` and `bias_kept`. Returns what was done, for the model card."""
    done = {}
    if recipe.nb_interpolation != 1.0:
        layer = model.get_layer("weights")
        weights = np.asarray(layer.get_weights()[0], dtype=np.float64)
        read = np.zeros(len(weights), dtype=bool)
        for row in train_rows:
            read[row] = True
        read[[PAD_ID, START_ID]] = False  # never counted: their weights are never trained
        mean_size = float(np.mean(np.abs(weights[read])))
        beta = recipe.nb_interpolation
        weights[read] = beta * weights[read] + (1.0 - beta) * mean_size
        layer.set_weights([weights.astype(layer.get_weights()[0].dtype)])
        done["nb_interpolation"] = {"beta": beta, "mean_abs_weight": mean_size, "ids": int(read.sum())}
    if not recipe.bias_kept:
        layer = model.get_layer(fmt.OUTPUT_NAME)
        done["bias_dropped"] = float(layer.get_weights()[0][0])
        layer.set_weights([np.zeros_like(layer.get_weights()[0])])
    return done


def naive_bayes_ratios(rows, labels: np.ndarray, vocab_size: int, smoothing: float = 1.0) -> np.ndarray:
    """log(P(id | positive) / P(id | negative)), counting each id once per review, add-`smoothing`."""
    present = {1: np.full(vocab_size, smoothing), 0: np.full(vocab_size, smoothing)}
    for row, label in zip(rows, labels):
        ids = np.unique(row)
        present[int(label)][ids[ids != PAD_ID]] += 1
    positive, negative = present[1], present[0]
    return np.log(positive / positive.sum()) - np.log(negative / negative.sum())


def build_model(recipe: Recipe, settings: EncodingSettings, train_rows=None, train_labels=None):
    """The network for `recipe`; bigram-nb needs the training rows and labels for its NB ratios."""
    import keras
    from keras import layers

    if recipe.name == "seed":
        model = keras.Sequential(
            [
                keras.Input(shape=(settings.max_length,), dtype="int32", name=fmt.INPUT_NAME),
                layers.Embedding(settings.vocab_size, 16, name="embedding"),
                layers.GlobalAveragePooling1D(name="average"),
                layers.Dense(16, activation="relu", name="hidden"),
                layers.Dense(1, activation="sigmoid", name=fmt.OUTPUT_NAME),
            ],
            name="seed",
        )
    elif recipe.name == "bigram-nb":
        ratios = naive_bayes_ratios(train_rows, train_labels, settings.vocab_size)
        model = _bigram_nb(settings, ratios)
    elif recipe.name == "trigram-nb":
        ratios = naive_bayes_ratios(train_rows, train_labels, settings.vocab_size, recipe.nb_smoothing)
        model = _length_normalised_nb(settings, ratios, recipe.weights_start, recipe.dropout)
    else:
        raise ValueError(f"unknown architecture {recipe.name!r}")
    from trainer.optimizers import adam

    model.compile(optimizer=adam(recipe.learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _bigram_nb(settings: EncodingSettings, ratios: np.ndarray):
    import keras
    from keras import layers, ops

    class MaskedSum(layers.Layer):
        """Sum over the ids of each row, <PAD> left out. In float64 (the layer's dtype), so how much
        padding a row gets in a batch does not change its result, not even in the last bit."""

        def call(self, values, ids):
            present = ops.cast(ops.not_equal(ids, PAD_ID), self.compute_dtype)[..., None]
            return ops.sum(values * present, axis=1)

    class BoundedSigmoid(layers.Layer):
        """sigmoid(B * tanh(z / B)): the log-odds z bent smoothly to stay within +-B. The same
        verdicts (it is monotonic), while a long, very one-sided review keeps a probability that
        is not exactly 0 or 1, so leaving out one of its words still changes it: the app's
        explanations need that. Float64 output, for the same reason."""

        def call(self, logits):
            return ops.sigmoid(LOGIT_BOUND * ops.tanh(logits / LOGIT_BOUND))

    ids = keras.Input(shape=(None,), dtype="int32", name=fmt.INPUT_NAME)
    weights = layers.Embedding(settings.vocab_size, 1, embeddings_initializer="zeros", name="weights")(ids)
    nb = layers.Embedding(settings.vocab_size, 1, trainable=False, name="naive_bayes_ratios",
                          embeddings_initializer=keras.initializers.Constant(ratios.reshape(-1, 1)))(ids)
    weighted = layers.Multiply(name="weighted")([weights, nb])
    total = MaskedSum(dtype="float64", name="masked_sum")(weighted, ids)
    logits = layers.Dense(1, dtype="float64", name="logit")(total)
    output = BoundedSigmoid(dtype="float64", name=fmt.OUTPUT_NAME)(logits)
    return keras.Model(ids, output, name="bigram_nb")


def _additive_layers():
    """The layers of the additive networks (built here so that importing this module needs no Keras)."""
    import keras
    from keras import layers, ops

    class LengthNormalisedShares(layers.Layer):
        """Each position's share of the log-odds: its value / sqrt(n), n the positions counted
        (ids above <START>: neither <PAD> nor <START>; at least 1), 0.0 elsewhere. Float64, so
        padding a row never changes its shares. `zero_at_uncounted`: the values are already 0.0
        at <PAD> and <START> (the exported table), so they need no masking."""

        def __init__(self, zero_at_uncounted: bool = False, **kwargs):
            super().__init__(**kwargs)
            self.zero_at_uncounted = zero_at_uncounted

        def call(self, values, ids):
            counted = ops.cast(ops.greater(ids, START_ID), self.compute_dtype)
            n = ops.maximum(ops.sum(counted, axis=1, keepdims=True), 1.0)
            values = values[..., 0]
            return (values if self.zero_at_uncounted else values * counted) / ops.sqrt(n)

    class AdditiveProbability(layers.Layer):
        """sigmoid(bias + sum of the shares): no bend, so the shares add up exactly to the log-odds."""

        def build(self, input_shape):
            self.bias = self.add_weight(shape=(1,), initializer="zeros", name="bias")

        def call(self, shares):
            return ops.sigmoid(self.bias + ops.sum(shares, axis=1, keepdims=True))

    return keras, layers, LengthNormalisedShares, AdditiveProbability


def _length_normalised_nb(settings: EncodingSettings, ratios: np.ndarray, weights_start: float = 0.0,
                          dropout: float = 0.0):
    """z = bias + sum over counted positions of w[id] * nb[id] / sqrt(n); probability sigmoid(z).
    The layer named CONTRIBUTIONS_NAME gives each position's share (see `network_with_shares`)."""
    keras, layers, LengthNormalisedShares, AdditiveProbability = _additive_layers()
    ids = keras.Input(shape=(None,), dtype="int32", name=fmt.INPUT_NAME)
    weights = layers.Embedding(settings.vocab_size, 1, name="weights",
                               embeddings_initializer=keras.initializers.Constant(weights_start))(ids)
    nb = layers.Embedding(settings.vocab_size, 1, trainable=False, name="naive_bayes_ratios",
                          embeddings_initializer=keras.initializers.Constant(ratios.reshape(-1, 1)))(ids)
    weighted = layers.Multiply(name="weighted")([weights, nb])
    if dropout:
        weighted = layers.Dropout(dropout, name="dropout")(weighted)
    shares = LengthNormalisedShares(dtype="float64", name=fmt.CONTRIBUTIONS_NAME)(weighted, ids)
    output = AdditiveProbability(dtype="float64", name=fmt.OUTPUT_NAME)(shares)
    return keras.Model(ids, output, name="trigram_nb")


def _is_additive(model) -> bool:
    return fmt.CONTRIBUTIONS_NAME in [layer.name for layer in model.layers]


def network_with_shares(model):
    """The trained network, plus its per-position shares as a second output when it is additive."""
    import keras

    if not _is_additive(model):
        return model
    return keras.Model(model.inputs, [model.output, model.get_layer(fmt.CONTRIBUTIONS_NAME).output],
                       name=model.name + "_with_shares")


def _table_lookup_layer():
    import keras

    class TableLookup(keras.layers.Layer):
        """``table[ids]`` as [..., 1]: what ``Embedding(V, 1)`` computes for ids from 0 to V - 1, without
        the step that maps a negative id to ``id + V`` first. Exported, that step is eight
        elementwise passes over every position (tf2onnx spells ``tf.where`` in arithmetic), about a
        sixth of the network's time in onnxruntime; the encoder never makes a negative id, and the
        look-up onnxruntime runs (``GatherElements``, trainer/export.py) maps one the same way."""

        def __init__(self, table: np.ndarray, **kwargs):
            super().__init__(**kwargs)
            self._initial = np.asarray(table, dtype=np.float32).reshape(-1, 1)

        def build(self, input_shape):
            self.embeddings = self.add_weight(shape=self._initial.shape, name="embeddings", trainable=False,
                                              initializer=keras.initializers.Constant(self._initial))

        def call(self, ids):
            import tensorflow as tf  # the exporter's backend: Keras's own take() adds the negative-id step

            return tf.gather(self.embeddings.value, ids)

        def compute_output_shape(self, input_shape):
            return (*input_shape, 1)

    return TableLookup


def _table_lookup(table: np.ndarray, name: str):
    """A `TableLookup` layer holding `table` (float32, one value per id)."""
    return _table_lookup_layer()(table, name=name)


def exported_network(model):
    """What is exported: for an additive network, the same outputs from one table of weight x
    naive-Bayes ratio, in float32 as training computes it (so the values are the same bits), 0.0
    at <PAD> and <START>: one look-up per position instead of two and a product, and half the file. `check_parity` compares the export with `network_with_shares(model)`."""
    if not _is_additive(model):
        return model
    keras, layers, LengthNormalisedShares, AdditiveProbability = _additive_layers()
    weights = np.asarray(model.get_layer("weights").get_weights()[0], dtype=np.float32)
    ratios = np.asarray(model.get_layer("naive_bayes_ratios").get_weights()[0], dtype=np.float32)
    table = weights * ratios
    table[[PAD_ID, START_ID]] = 0.0
    ids = keras.Input(shape=(None,), dtype="int32", name=fmt.INPUT_NAME)
    values = _table_lookup(table, name="weights_x_naive_bayes")(ids)
    shares = LengthNormalisedShares(zero_at_uncounted=True, dtype="float64", name=fmt.CONTRIBUTIONS_NAME)(values, ids)
    probability = AdditiveProbability(dtype="float64", name=fmt.OUTPUT_NAME)
    output = probability(shares)
    probability.set_weights(model.get_layer(fmt.OUTPUT_NAME).get_weights())
    return keras.Model(ids, [output, shares], name=model.name + "_exported")
