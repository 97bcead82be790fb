"""Exact explanations on real IMDB reviews and the shipped bundles: they add up, each reason is
listed once on one side, unknown and negligible words are left out, the verdict words agree."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from review_sentiment._additive import EXACT_BENT, LEAVE_ONE_OUT, AdditiveShares, additivity_error
from review_sentiment._bundle import default_models_dir, load_bundle
from review_sentiment._classify import classify_text, classify_texts
from review_sentiment._cli import main as classify_main
from review_sentiment._explain_batch import _word_spans, explain_batch
from review_sentiment._reasons import NEGLIGIBLE, phrase_runs
from review_sentiment._sentences import classify_sentences, mixed, sentence_spans
from review_sentiment._verdict import percent, verdict_words
from review_sentiment.encoding import START_ID, tokenise


@pytest.fixture(scope="module")
def seed_bundle():
    return load_bundle(next(default_models_dir().glob("seed-*")))


@pytest.fixture(scope="module")
def bigram_bundle():
    """bigram-nb (the default until trigram-nb): additive under a bend, shared in proportion."""
    return load_bundle(next(default_models_dir().glob("bigram-nb-*")))


def _sum_of(verdict) -> float:
    return verdict.baseline + sum(w.contribution for w in verdict.words if w.contribution is not None)


def test_contributions_add_up_to_the_log_odds_on_real_test_reviews(bigram_bundle, imdb_split):
    texts = imdb_split.test.texts[:400]
    verdicts = classify_texts(bigram_bundle, texts)
    assert {v.method for v in verdicts} == {EXACT_BENT}
    errors = [abs(_sum_of(v) - v.log_odds) for v in verdicts]
    assert max(errors) <= 1e-6
    # ... and the log-odds are those of the probability batch classification gives
    probabilities = bigram_bundle.classify_texts(texts)
    assert np.allclose(1 / (1 + np.exp(-np.array([v.log_odds for v in verdicts]))), probabilities, atol=1e-12)


def test_a_word_gets_its_own_share_and_half_of_each_pair_it_is_in(bigram_bundle):
    """Measured through the ONNX model directly: rows [<START>, id] against [<START>]."""
    index, bundle = bigram_bundle.word_index, bigram_bundle
    ids = [index.id_of("not"), index.id_of("good"), index.id_of("not good")]
    rows = np.array([[START_ID, 0]] + [[START_ID, i] for i in ids], dtype=np.int32)
    log_odds = np.log(bundle.raw_probabilities(rows)) - np.log1p(-bundle.raw_probabilities(rows))
    z = 12 * np.arctanh(log_odds / 12)  # bigram-nb's bend undone
    own = z[1:] - z[0]
    verdict = classify_text(bundle, "not good")
    factor = (verdict.log_odds - verdict.baseline) / own.sum()  # the bend, shared in proportion
    not_, good = verdict.words
    assert not_.contribution == pytest.approx(factor * (own[0] + own[2] / 2), abs=1e-9)
    assert good.contribution == pytest.approx(factor * (own[1] + own[2] / 2), abs=1e-9)
    assert verdict.pair_shares[0] == pytest.approx(factor * own[2], abs=1e-9)


def test_the_load_check_fails_a_wrong_claim_of_additivity(bigram_bundle):
    right = bigram_bundle.additive
    samples = [json.loads(line)["text"] for line in (bigram_bundle.folder / "samples.jsonl").open()]
    assert additivity_error(bigram_bundle, right, samples) < 1e-9
    no_bend = AdditiveShares(per_id=right.per_id, bend=None, baseline_z=right.baseline_z)
    assert additivity_error(bigram_bundle, no_bend, samples) > 1e-3


def test_a_network_that_is_not_a_sum_is_explained_by_leaving_one_word_out(seed_bundle):
    assert seed_bundle.additive is None
    verdict = classify_text(seed_bundle, "An excellent cast in an awful script.")
    assert verdict.method == LEAVE_ONE_OUT
    by_word = {w.text: w.contribution for w in verdict.words}
    assert by_word["excellent"] > 0 > by_word["awful"]


def test_phrases_the_model_weighs_are_listed_as_phrases(shipped_bundle):
    _, negative = classify_text(shipped_bundle, "Not good at all.").strongest(5)
    assert "not good" in [r.text for r in negative]
    assert "good" not in [r.text for r in negative]
    _, negative = classify_text(shipped_bundle, "Honestly the worst film, a waste of time.").strongest(5)
    assert any("waste of" in r.text for r in negative)


def test_no_reason_is_listed_on_both_sides_nor_unknown_nor_negligible(shipped_bundle, imdb_split):
    texts = ["The acting was terrible but the story was wonderful"] + imdb_split.test.texts[:300]
    for verdict in classify_texts(shipped_bundle, texts):
        positive, negative = verdict.strongest(50)
        assert not {r.text for r in positive} & {r.text for r in negative}
        assert all(abs(r.contribution) >= NEGLIGIBLE for r in positive + negative)
        unknown = {w.text for w in verdict.words if not w.known}
        assert not unknown & {r.text for r in positive + negative}
    positive, negative = classify_text(shipped_bundle, texts[0]).strongest(10)
    listed = [word for r in positive + negative for word in r.text.split()]
    assert listed.count("was") <= 2 and "this" not in listed  # 'was' once per phrase, never alone on both sides


def test_phrase_runs_join_at_most_three_words_of_one_sign():
    assert phrase_runs([-0.5, -0.9, -0.3, 0.01, 0.4]) == [(0, 2), (4, 5)]
    assert phrase_runs([0.5, -0.6]) == [(1, 2)]  # a pair of the other sign does not join
    assert phrase_runs(None) == [] and phrase_runs([0.01]) == []


@pytest.mark.parametrize("share, shown", [
    (0.52, "52%"), (0.874, "87%"), (0.996, "99.6%"), (0.9996, ">99.9%"), (1 - 1e-12, ">99.9%"), (0.0004, "<0.1%"),
])
def test_percentages_never_round_to_a_certainty(share, shown):
    assert percent(share) == shown


def test_verdict_words_agree_with_the_label():
    assert verdict_words("uncertain", 0.48, 5) == ("Uncertain", "Uncertain, leans negative (52%)")
    assert verdict_words("positive", 0.9999, 40) == ("Positive", ">99.9% sure it is positive")
    headline, detail = verdict_words("uncertain", 0.51, 0)
    assert headline == "Uncertain" and "%" not in detail


def test_a_long_clear_review_is_never_shown_as_100_percent(shipped_bundle, imdb_split):
    verdicts = classify_texts(shipped_bundle, imdb_split.test.texts[:300])
    surest = max(verdicts, key=lambda v: v.probability)
    assert surest.probability > 0.999
    _, detail = verdict_words(surest.label, surest.probability, surest.known_words)
    assert detail.startswith(">99.9%")


def test_text_that_is_not_an_english_review_says_so(shipped_bundle, imdb_split):
    french = classify_text(shipped_bundle, "Un film et une histoire magnifique, je le recommande vivement à tous")
    assert "does not read like an English review" in french.note
    assert "symbols" in classify_text(shipped_bundle, "😀😀🎬 !!! ### good").note
    emoji = classify_text(shipped_bundle, "😀😀🎬🍿")
    assert emoji.no_known_words and "%" not in verdict_words(emoji.label, emoji.probability, emoji.known_words)[1]
    assert not [v.note for v in classify_texts(shipped_bundle, imdb_split.test.texts[:1000]) if v.note]


def test_the_fast_word_spans_are_the_contracts_words(imdb_split):
    texts = imdb_split.test.texts[:1500] + [
        "rock'n'roll ''quoted'' 'tis don't' a<b>b</b>c <br />x", "Café naïve — 😀 l'amour ’twas", "", "'''",
    ]
    for text, (starts, ends) in zip(texts, _word_spans(texts)):
        assert list(zip(starts.tolist(), ends.tolist())) == [(t.start, t.end) for t in tokenise(text)], text


def test_batch_explanations_equal_the_single_review_view(shipped_bundle, imdb_split):
    texts = imdb_split.test.texts[:200:7]
    for text, explanation, verdict in zip(texts, explain_batch(shipped_bundle, texts), classify_texts(shipped_bundle, texts)):
        read = [w for w in verdict.words if w.read]
        assert explanation.starts.tolist() == [w.start for w in read]
        assert np.allclose(explanation.contributions, [w.contribution for w in read], atol=1e-12)
        assert explanation.log_odds == pytest.approx(verdict.log_odds, abs=1e-12)


def test_classify_explain_writes_log_odds_baseline_and_each_word(tmp_path, capsys, imdb_split):
    # the last: its final word pair is unknown, so its batch row ends before that pair's place
    reviews = imdb_split.test.texts[:29] + ["A fine zxqvyblorp"]
    source = tmp_path / "reviews.txt"
    source.write_text("\n".join(reviews) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert classify_main(["--per-line", "--explain", str(source), "-o", str(out), "-q"]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 30
    for record, review in zip(records, reviews):
        words = record["explanation"]
        assert [w["text"] for w in words] == [review[t.start : t.end] for t in tokenise(review)]
        assert all(review[w["start"] : w["end"]] == w["text"] for w in words)
        assert record["baseline"] + sum(w["contribution"] for w in words) == pytest.approx(record["log_odds"], abs=1e-6)
        assert record["probability"] == pytest.approx(1 / (1 + np.exp(-record["log_odds"])), abs=1e-12)
    plain = tmp_path / "plain.jsonl"
    assert classify_main(["--per-line", str(source), "-o", str(plain), "-q"]) == 0
    assert [json.loads(line)["probability"] for line in plain.read_text().splitlines()] == [
        r["probability"] for r in records]
    csv_out = tmp_path / "out.csv"
    assert classify_main(["--per-line", "--explain", str(source), "-o", str(csv_out), "-q"]) == 0
    import csv

    rows = list(csv.DictReader(csv_out.open(encoding="utf-8")))
    assert {"log_odds", "baseline", "top_phrases"} <= set(rows[0])
    assert all(row["top_phrases"].count(";") <= 4 for row in rows)
    assert all(row["top_phrases"] for row in rows[:29])  # every real review has reasons


def mixed_review(bundle, texts) -> str:
    """The first short real test review whose sentences include a positive and a negative one."""
    for text in texts:
        if len(text) < 700:
            sentences = classify_sentences(bundle, text)
            if sentences and mixed(sentences, 0.2):
                return text
    raise AssertionError("no mixed review among the test reviews")


def test_a_mixed_real_review_shows_a_positive_and_a_negative_sentence(shipped_bundle, imdb_split):
    text = mixed_review(shipped_bundle, imdb_split.test.texts)
    verdict = classify_text(shipped_bundle, text, by_sentence=True)
    labels = [s.label(0.2) for s in verdict.sentences]
    assert "positive" in labels and "negative" in labels
    for sentence in verdict.sentences:  # each is judged as a review of its own would be
        alone = classify_text(shipped_bundle, text[sentence.start : sentence.end])
        assert sentence.probability == pytest.approx(alone.probability, abs=1e-12)


def test_sentences_end_at_stops_and_line_breaks():
    text = "Great cast!  Awful plot… The end?<br /><br />Why \"so\" bad.\n\nno stop here"
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Great cast!", "Awful plot…", "The end?", 'Why "so" bad.', "no stop here"]


def test_an_empty_review_has_the_baseline_as_its_log_odds(shipped_bundle):
    verdict = classify_text(shipped_bundle, "!!!")
    assert verdict.words == () and verdict.log_odds == pytest.approx(verdict.baseline, abs=1e-9)
    assert replace(verdict).strongest() == ([], [])


SHIPPED = sorted(p.name for p in default_models_dir().iterdir() if (p / "model.onnx").is_file())


@pytest.mark.parametrize("folder", SHIPPED)
def test_every_shipped_bundle_is_explained_exactly_unless_it_is_not_a_sum(folder, imdb_split):
    bundle = load_bundle(default_models_dir() / folder)
    if bundle.architecture == "seed":
        assert bundle.additive is None
        return
    assert bundle.additive is not None, f"{folder} failed the additivity check at load"
    texts = imdb_split.test.texts[1000:1300] + ["Honestly the worst film, a waste of time.", "Not good at all."]
    for verdict in classify_texts(bundle, texts):
        assert abs(_sum_of(verdict) - verdict.log_odds) <= 1e-6
        if bundle.settings.ngrams == 3 and verdict.words_read >= 3:
            assert len(verdict.triple_shares) == verdict.words_read - 2
