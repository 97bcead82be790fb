"""A verdict's words and note, made in bulk (`review_sentiment._classify._verdict`), are the ones
the plain definition gives, word by word, on real reviews of every length and on odd texts."""

from __future__ import annotations

import pytest

from review_sentiment._bundle import default_models_dir, load_bundle
from review_sentiment._classify import SeenWord, classify_text
from review_sentiment._explain import read_reviews
from review_sentiment._verdict import COMMONEST_IDS, not_a_review_note
from review_sentiment.encoding import FIRST_WORD_ID, UNK_ID

SHIPPED = sorted(p.name for p in default_models_dir().iterdir() if (p / "model.onnx").is_file())
ODD = ["", "!!!", "zzqx qqzz xqzq", "Le film était très beau et les acteurs magnifiques.", "😀 " * 50 + "good",
       "Café <b>GOOD</b> film ½", "word " * 4000]


def plain_words_and_note(bundle, text: str, explain: bool):
    (reading,) = read_reviews(bundle, [text], explain=explain)
    encoded = reading.encoded
    weights = [] if reading.contributions is None else reading.contributions.tolist()
    weights += [None] * (len(encoded.tokens) - len(weights))
    words = tuple(SeenWord(t.text, t.start, t.end, i != UNK_ID, n < encoded.kept, w)
                  for n, (t, i, w) in enumerate(zip(encoded.tokens, encoded.token_ids, weights)))
    known = sum(1 for w in words if w.read and w.known)
    until = encoded.tokens[encoded.kept - 1].end if encoded.kept else 0
    read_part = text[:until] if encoded.truncated else text
    common = sum(1 for i in encoded.token_ids[: encoded.kept] if FIRST_WORD_ID <= i < FIRST_WORD_ID + COMMONEST_IDS)
    note = not_a_review_note(encoded.kept, known, common, sum(t.end - t.start for t in encoded.tokens[: encoded.kept]),
                             len("".join(read_part.split())))
    return words, note


@pytest.mark.parametrize("folder", SHIPPED)
def test_verdict_words_and_note_are_the_plain_definitions(folder, imdb_split):
    bundle = load_bundle(default_models_dir() / folder)
    texts = imdb_split.test.texts[:300] + sorted(imdb_split.test.texts, key=len)[-20:] + ODD
    for text in texts:
        for explain in (True, False):
            verdict = classify_text(bundle, text, explain=explain)
            words, note = plain_words_and_note(bundle, text, explain)
            assert verdict.words == words and all(type(w) is SeenWord for w in verdict.words)
            assert verdict.note == note, text[:100]
    assert any(classify_text(bundle, t).note for t in ODD)  # the notes are exercised
