"""The Keras networks `--arch` can name. TensorFlow is imported only when one is built."""

from __future__ import annotations

from dataclasses import dataclass

from review_encoding import EncodingSettings
from review_encoding import bundle_format as fmt


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
}


def build_model(recipe: Recipe, settings: EncodingSettings):
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
    else:
        raise ValueError(f"unknown architecture {recipe.name!r}")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model
