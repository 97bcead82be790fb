"""A text's probability does not depend on the other texts of its batch, nor on how wide the batch
is: bit for bit, for the bundles whose rows have a dynamic length (the padding in
`ModelBundle.raw_probabilities`). So the app, `classify`, the library and `trainer evaluate` agree exactly."""

from __future__ import annotations

import numpy as np
import pytest

from review_sentiment._bundle import load_bundle
from review_sentiment.encoding import encode_ragged, pad_rows

ROOT_MODELS = ["trigram-nb-20261202-024952", "trigram-nb-20261201-235037", "bigram-nb-20261126-152216"]


@pytest.mark.parametrize("name", ROOT_MODELS)
def test_a_review_gets_the_same_probability_alone_and_in_any_batch(name, imdb_split):
    from pathlib import Path

    bundle = load_bundle(Path(__file__).resolve().parents[1] / "models" / name, threads=1)
    texts = imdb_split.test.texts[:2000]
    flat, lengths = encode_ragged(texts, bundle.word_index, bundle.settings)
    rows = np.split(flat, np.cumsum(lengths)[:-1])
    alone = np.array([bundle.probabilities(pad_rows([row]))[0] for row in rows])
    rng = np.random.default_rng(1)
    order, start, differ = rng.permutation(len(rows)), 0, 0
    while start < len(order):  # batches of 1 to 120 random reviews, 0 to 40 places wider than needed
        chosen = order[start : start + int(rng.integers(1, 120))]
        start += len(chosen)
        width = max(len(rows[i]) for i in chosen) + int(rng.integers(0, 40))
        differ += int(np.sum(bundle.probabilities(pad_rows([rows[i] for i in chosen], width)) != alone[chosen]))
    assert differ == 0, f"{differ} of {len(rows)} reviews got another probability in a batch than alone"
    assert np.array_equal(bundle.classify_texts(texts), alone)
