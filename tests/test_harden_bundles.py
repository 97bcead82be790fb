"""Issue 13, points 1-5: hostile model bundles (forged from the shipped ones) are refused at once
with the file and what to do, or stopped within their time and memory budget, never trusted."""

from __future__ import annotations

import json
import os
import resource
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto

import hostile_bundles as forge
from review_sentiment import bundle_format as fmt
from review_sentiment._bundle import (
    MAX_CARD_BYTES,
    BundleError,
    ModelRunError,
    load_bundle,
)
from review_sentiment._cli import main as classify_main

BUDGET = 1.0  # seconds a forged model may run in these tests


@pytest.fixture(scope="module")
def real_reviews(imdb_split):
    return list(imdb_split.test.texts[:8])


def refused(folder: Path | str) -> BundleError:
    started = time.monotonic()
    with pytest.raises(BundleError) as caught:
        load_bundle(folder, run_seconds=BUDGET)
    assert time.monotonic() - started < 10 * BUDGET
    return caught.value


def forged(tmp_path: Path, model, name: str = "forged", source: Path = forge.SEED) -> Path:
    return forge.save(model, tmp_path / name, source)


# -- 1. hangs -------------------------------------------------------------------------------------


def test_a_fifo_as_model_is_refused_without_waiting_on_it(tmp_path):
    folder = tmp_path / "fifo"
    shutil.copytree(forge.SEED, folder)
    (folder / fmt.MODEL_FILE).unlink()
    os.mkfifo(folder / fmt.MODEL_FILE)
    error = refused(folder)
    assert error.path == folder / fmt.MODEL_FILE and "not a regular file" in error.reason


def test_a_fifo_as_card_loads_the_model_without_its_card(tmp_path):
    folder = tmp_path / "fifo-card"
    shutil.copytree(forge.SEED, folder)
    (folder / fmt.CARD_JSON).unlink()
    os.mkfifo(folder / fmt.CARD_JSON)
    bundle = load_bundle(folder, run_seconds=BUDGET)
    assert bundle.card is None and "not a regular file" in bundle.card_problem


def test_a_model_that_loops_forever_is_refused_within_its_budget(tmp_path):
    error = refused(forged(tmp_path, forge.looping(forge.load(), always=True)))
    assert f"took longer than {BUDGET:g} s" in error.reason and "Pick another bundle" in str(error)


def test_a_looping_model_is_stopped_in_time_after_calls_with_a_far_deadline(tmp_path, real_reviews):
    """The watchdog sleeps until the earliest deadline it knows (after calls with a budget of a
    minute, a minute away) and is woken only for a nearer one: a call with a short budget that
    comes later must still be stopped within that budget."""
    patient = load_bundle(forge.SEED, run_seconds=60.0)
    for _ in range(3):
        patient.classify_texts(real_reviews)
    looping = load_bundle(forged(tmp_path, forge.looping(forge.load(), always=False)), run_seconds=BUDGET)
    started = time.monotonic()
    with pytest.raises(ModelRunError, match=f"took longer than {BUDGET:g} s"):
        looping.classify_texts(real_reviews)
    assert time.monotonic() - started < 10 * BUDGET


@pytest.mark.parametrize("jobs", ["0", "2"])  # 2: the model runs, and is stopped, in the worker processes
def test_a_model_that_loops_on_real_reviews_is_stopped_and_the_command_exits_2(tmp_path, real_reviews, capsys, jobs):
    folder = forged(tmp_path, forge.looping(forge.load(), always=False))
    bundle = load_bundle(folder, run_seconds=BUDGET)  # the probe cannot see it
    with pytest.raises(ModelRunError, match="took longer than 1 s"):
        bundle.classify_texts(real_reviews)
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("\n".join(r.replace("\n", " ") for r in real_reviews), encoding="utf-8")
    out = tmp_path / "out.csv"
    started = time.monotonic()
    code = classify_main(["--model", str(folder), "--model-timeout", "1", "--per-line", "--jobs", jobs,
                          "-o", str(out), str(reviews)])
    assert code == 2 and time.monotonic() - started < 10
    assert not out.exists() and not list(tmp_path.glob(".out.csv.*"))
    assert "took longer than 1 s" in capsys.readouterr().err


def _swapped_after_loading(tmp_path, real_reviews, threads: int):
    from review_sentiment._batch import InputMode, ReviewReader, find_input_files

    folder = tmp_path / "swapped"
    shutil.copytree(forge.SEED, folder)
    bundle = load_bundle(folder, run_seconds=BUDGET, threads=threads)
    shutil.copy(sorted(forge.SEED.parent.glob("bigram-nb-*"))[-1] / fmt.MODEL_FILE, folder / fmt.MODEL_FILE)
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("\n".join(r.replace("\n", " ") for r in real_reviews), encoding="utf-8")
    return bundle, ReviewReader(find_input_files([reviews]), InputMode.LINE)


def test_a_model_file_replaced_after_loading_is_caught_by_workers_that_open_it_again(tmp_path, real_reviews):
    """A session with threads of its own cannot cross a fork: each worker opens the model again,
    and it must be the model the command checked."""
    from review_sentiment._batch import classify_reviews

    bundle, reader = _swapped_after_loading(tmp_path, real_reviews, threads=2)
    with pytest.raises(BundleError, match="changed on disk while it was in use"):
        list(classify_reviews(bundle, reader, workers=2, model_in_workers=True))


def test_a_model_file_replaced_after_loading_changes_nothing_for_workers_that_share_the_session(tmp_path, real_reviews):
    """`classify`'s session runs on the calling thread alone: forked workers run it as it is, the
    model the command checked, and never read the file again."""
    from review_sentiment._batch import classify_reviews

    bundle, reader = _swapped_after_loading(tmp_path, real_reviews, threads=1)
    results = [r for batch in classify_reviews(bundle, reader, workers=2, model_in_workers=True) for r in batch]
    assert len(results) == len(real_reviews) and all(r.ok for r in results)
    expected = bundle.classify_texts([r.text for r in results])
    assert [r.probability for r in results] == expected.tolist()


def test_bundle_errors_cross_process_boundaries_as_themselves():
    import pickle

    for error in (BundleError("/m/model.onnx", "is broken", "Retrain it"), ModelRunError("/m/model.onnx", "took too long")):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and str(again) == str(error)
        assert (again.path, again.reason, again.hint) == (error.path, error.reason, error.hint)


# -- 2. memory ------------------------------------------------------------------------------------


def test_a_card_linked_to_dev_zero_or_too_large_is_not_read(tmp_path):
    folder = tmp_path / "zero"
    shutil.copytree(forge.SEED, folder)
    (folder / fmt.CARD_JSON).unlink()
    (folder / fmt.CARD_JSON).symlink_to("/dev/zero")
    bundle = load_bundle(folder, run_seconds=BUDGET)
    assert bundle.card is None and "outside its bundle folder" in bundle.card_problem
    with open(folder / fmt.CARD_JSON.replace(".json", ".big"), "wb") as big:
        big.truncate(64 * MAX_CARD_BYTES)  # sparse: 64 MB that cost no disk
    (folder / fmt.CARD_JSON).unlink()
    (folder / fmt.CARD_JSON).symlink_to(fmt.CARD_JSON.replace(".json", ".big"))
    bundle = load_bundle(folder, run_seconds=BUDGET)
    assert bundle.card is None and "larger than 1,048,576 bytes" in bundle.card_problem


def test_current_linked_to_a_huge_file_is_refused_unread(tmp_path):
    models = tmp_path / "models"
    shutil.copytree(forge.SEED, models / forge.SEED.name)
    with open(tmp_path / "huge", "wb") as huge:
        huge.truncate(1024**3)
    (models / fmt.CURRENT_POINTER).symlink_to(tmp_path / "huge")
    error = refused(models)
    assert error.path == models / fmt.CURRENT_POINTER and "larger than 1,024 bytes" in error.reason


@pytest.mark.parametrize("changes, expected", [
    ({"max_length": 10**9}, "max_length must be at least 2"),
    ({"vocab_size": 10**12}, "vocab_size must be a whole number"),
    ({"vocab_size": True}, "vocab_size must be a whole number"),
], ids=["max-length-1e9", "vocab-1e12", "vocab-true"])
def test_settings_beyond_the_limits_are_refused_before_anything_is_allocated(tmp_path, changes, expected):
    error = refused(forged(tmp_path, forge.set_settings(forge.load(), **changes)))
    assert "its encoding settings cannot be used" in error.reason and expected in error.reason


def test_a_word_index_too_long_for_its_vocabulary_is_refused_before_it_is_parsed(tmp_path):
    model = forge.load()
    vocab = json.loads(forge.meta(model, fmt.KEY_ENCODING))["vocab_size"]
    forge.set_meta(model, fmt.KEY_WORD_INDEX, "[" + " " * (64 * vocab + 1) + "]")
    error = refused(forged(tmp_path, model))
    assert "characters long, more than" in error.reason


def test_a_word_index_with_more_words_than_the_vocabulary_is_refused(tmp_path):
    model = forge.load()
    words = json.loads(forge.meta(model, fmt.KEY_WORD_INDEX))
    error = refused(forged(tmp_path, forge.set_words(model, words + [f"extra{i}" for i in range(10)])))
    assert "more than the model's vocabulary of 10,000" in error.reason


def test_a_word_index_is_checked_against_its_hash_however_its_json_is_spelled(tmp_path):
    """The stored text is hashed as it is when it is the canonical JSON; any other spelling of
    the same words is hashed as the index; words that differ from the hashed ones are refused."""
    model = forge.load()
    words = json.loads(forge.meta(model, fmt.KEY_WORD_INDEX))
    spaced = forge.set_meta(forge.load(), fmt.KEY_WORD_INDEX, json.dumps(words, indent=1))  # same words, hash kept
    assert load_bundle(forged(tmp_path, spaced, "spaced"), run_seconds=BUDGET).word_index.words == tuple(words)
    swapped = [words[1], words[0], *words[2:]]
    canonical = json.dumps(swapped, ensure_ascii=False, separators=(",", ":"))
    for name, text in (("swapped", canonical), ("swapped-spaced", json.dumps(swapped, indent=1))):
        error = refused(forged(tmp_path, forge.set_meta(forge.load(), fmt.KEY_WORD_INDEX, text), name))
        assert "does not match the hash it was exported with" in error.reason


def test_an_output_that_grows_on_real_reviews_stops_at_the_memory_cap(tmp_path, real_reviews):
    bundle = load_bundle(forged(tmp_path, forge.expanded_on_real_reviews(forge.load())), run_seconds=BUDGET)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ModelRunError, match="more than the 2 GB of memory a model may use"):
        bundle.classify_texts(real_reviews)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 512 * 1024  # KB: not the 80 GB asked


def test_an_output_declared_wide_is_refused_at_load(tmp_path):
    error = refused(forged(tmp_path, forge.expanded(forge.load(), 200_000_000, ["batch", 200_000_000])))
    assert "not one probability per review" in error.reason


# -- 3. refusals, not tracebacks ------------------------------------------------------------------


def test_metadata_that_is_not_utf8_is_refused(tmp_path):
    folder = tmp_path / "flipped"
    shutil.copytree(forge.SEED, folder)
    model_file = folder / fmt.MODEL_FILE
    data = bytearray(model_file.read_bytes())
    data[data.index(b'"vocab_size"') + 2] |= 0x80  # one flipped bit: "v" becomes 0xF6
    model_file.write_bytes(bytes(data))
    error = refused(folder)
    assert "its metadata is not UTF-8 text" in error.reason


def test_a_card_nested_100000_deep_loads_the_model_without_it(tmp_path):
    folder = tmp_path / "deep"
    shutil.copytree(forge.SEED, folder)
    (folder / fmt.CARD_JSON).write_text("[" * 100_000 + "]" * 100_000)
    bundle = load_bundle(folder, run_seconds=BUDGET)
    assert bundle.card is None and "not a readable JSON card" in bundle.card_problem


def test_metadata_nested_deep_is_refused(tmp_path):
    model = forge.set_meta(forge.load(), fmt.KEY_CALIBRATION, "[" * 2000 + "]" * 2000)
    assert "nested too deep" in refused(forged(tmp_path, model)).reason


@pytest.mark.parametrize("content, expected", [
    (b"seed\xff\n", "is not UTF-8 text"),
    ("seed".encode("utf-16"), "byte-order mark"),
    (b"\xef\xbb\xbf" + b"seed\n", "byte-order mark"),
    (b"s" * 5000, "larger than 1,024 bytes"),
    (b"seed\x1b[2J\n", "does not name a bundle folder"),
], ids=["not-utf8", "utf16", "bom", "5000-chars", "escape"])
def test_a_bad_current_pointer_is_refused_with_what_to_do(tmp_path, content, expected):
    models = tmp_path / "models"
    shutil.copytree(forge.SEED, models / "seed")
    (models / fmt.CURRENT_POINTER).write_bytes(content)
    error = refused(models)
    assert error.path == models / fmt.CURRENT_POINTER and expected in error.reason
    assert "\x1b" not in str(error)


@pytest.mark.parametrize("spoil, expected", [
    (lambda m: forge.cast_output(m, TensorProto.STRING), "is tensor(string), not float probabilities"),
    (lambda m: forge.cast_output(m, TensorProto.INT64), "is tensor(int64), not float probabilities"),
    (forge.two_columns, "has shape ['batch', 2], not one probability per review"),
    (forge.int64_input, "takes tensor(int64) ids; this program gives int32 ids"),
], ids=["string-output", "int64-output", "two-columns", "int64-input"])
def test_a_model_of_the_wrong_signature_is_refused_at_load(tmp_path, spoil, expected):
    assert expected in refused(forged(tmp_path, spoil(forge.load()))).reason


def test_an_unusable_model_exits_2_from_both_commands(tmp_path, capsys):
    from trainer.cli import main as trainer_main

    folder = forged(tmp_path, forge.two_columns(forge.load()))
    review = tmp_path / "r.txt"
    review.write_text("A fine film.", encoding="utf-8")
    assert classify_main(["--model", str(folder), str(review)]) == 2
    assert trainer_main(["evaluate", "--model", str(folder), "--limit", "20"]) == 2
    err = capsys.readouterr().err
    assert err.count(str(folder / fmt.MODEL_FILE)) == 2 and "Traceback" not in err


# -- 4. wrong output is never written --------------------------------------------------------------


@pytest.mark.parametrize("make", ["nan", "above-one"])
def test_a_model_giving_non_probabilities_on_real_reviews_writes_nothing(tmp_path, real_reviews, capsys, make):
    folder = forged(tmp_path, forge.output_plus(forge.load(), make))
    bundle = load_bundle(folder, run_seconds=BUDGET)
    with pytest.raises(ModelRunError, match="values that are not probabilities"):
        bundle.classify_texts(real_reviews)
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("\n".join(r.replace("\n", " ") for r in real_reviews), encoding="utf-8")
    out = tmp_path / "out.csv"
    assert classify_main(["--model", str(folder), "--per-line", "--jobs", "0", "-o", str(out), str(reviews)]) == 2
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["forged", "reviews.txt"]
    assert "not probabilities" in capsys.readouterr().err


def test_trainer_evaluate_json_never_prints_nan(tmp_path, capsys):
    from trainer.cli import main as trainer_main

    folder = forged(tmp_path, forge.output_plus(forge.load(), "nan"))
    assert trainer_main(["evaluate", "--model", str(folder), "--limit", "40", "--json"]) == 2
    captured = capsys.readouterr()
    assert "NaN" not in captured.out and "not probabilities" in captured.err


@pytest.mark.parametrize("value", ['{"temperature": true}', '{"temperature": "1"}', '{"temperature": -1}', "[1]"])
def test_a_temperature_that_is_not_a_positive_number_is_refused(tmp_path, value):
    model = forge.set_meta(forge.load(), fmt.KEY_CALIBRATION, value)
    assert "calibration temperature" in refused(forged(tmp_path, model)).reason


def test_word_index_entries_the_contract_cannot_produce_are_refused(tmp_path):
    model = forge.load()
    words = json.loads(forge.meta(model, fmt.KEY_WORD_INDEX))
    words[5] = "Hello"  # never produced: words are case-folded
    error = refused(forged(tmp_path, forge.set_words(model, words)))
    assert "'Hello'" in error.reason and "Retrain" in str(error)


def test_a_bundle_file_linked_from_outside_its_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere.onnx"
    shutil.copy(forge.SEED / fmt.MODEL_FILE, elsewhere)
    folder = tmp_path / "linked"
    folder.mkdir()
    (folder / fmt.MODEL_FILE).symlink_to(elsewhere)
    assert "outside its bundle folder" in refused(folder).reason


# -- 5. cards of unexpected types ------------------------------------------------------------------


@pytest.mark.parametrize("change, expected", [
    (lambda c: c.update(data="x"), "'data' is a JSON text, not an object"),
    (lambda c: c["metrics"]["test"].pop("n"), "without 'metrics.test.n'"),
    (lambda c: c["metrics"]["test"].update(accuracy="high"), "'metrics.test.accuracy' is a JSON text"),
    (lambda c: c["data"].update(split_sizes={"train": "many"}), "'data.split_sizes'"),
], ids=["data-text", "accuracy-without-n", "accuracy-text", "split-sizes-text"])
def test_a_card_of_unexpected_types_is_set_aside_and_the_model_still_loads(tmp_path, change, expected):
    folder = tmp_path / "card"
    shutil.copytree(forge.SEED, folder)
    card = json.loads((folder / fmt.CARD_JSON).read_text(encoding="utf-8"))
    change(card)
    (folder / fmt.CARD_JSON).write_text(json.dumps(card), encoding="utf-8")
    bundle = load_bundle(folder, run_seconds=BUDGET)
    assert bundle.card is None and expected in bundle.card_problem


# -- what works keeps working ----------------------------------------------------------------------


def test_a_model_with_a_second_output_loads_and_gives_the_same_probabilities(tmp_path, real_reviews, shipped_bundle):
    folder = forged(tmp_path, forge.with_second_output(forge.load(forge.BIGRAM)), source=forge.BIGRAM)
    bundle = load_bundle(folder)
    shipped = load_bundle(forge.BIGRAM)
    assert np.array_equal(bundle.classify_texts(real_reviews), shipped.classify_texts(real_reviews))
    assert shipped.card is not None and shipped.card_problem == ""


def test_a_fork_waits_until_no_thread_is_inside_onnxruntime():
    """A worker forked while another thread runs a model could inherit onnxruntime's locks held."""
    import threading

    from review_sentiment import _bundle

    inside, left = threading.Event(), threading.Event()

    def model_call():
        with _bundle._in_onnxruntime():
            inside.set()
            time.sleep(0.3)
            left.set()

    thread = threading.Thread(target=model_call)
    thread.start()
    inside.wait(5)
    pid = os.fork()
    if pid == 0:  # the child: its own, empty gate
        os._exit(0 if not _bundle._in_onnxruntime._inside else 1)
    assert left.is_set()  # the fork happened only once the call was over
    assert os.waitpid(pid, 0)[1] == 0
    thread.join()


def test_a_shares_output_that_loops_is_refused_at_load_within_its_budget(tmp_path):
    """The check at load that an additive model's shares add up runs the model too: the watchdog
    stops it there as it stops the probability's runs."""
    error = refused(forged(tmp_path, forge.looping_shares(forge.load(forge.TRIGRAM), above=3), source=forge.TRIGRAM))
    assert f"took longer than {BUDGET:g} s" in error.reason and "Pick another bundle" in str(error)


@pytest.fixture(scope="module")
def shares_looping_on_long_reviews(tmp_path_factory):
    """The shipped default whose shares output loops on rows of more than 1,000 ids: its samples
    (rows of at most 100) pass the check at load; a review of a few hundred words sets it off."""
    return forged(tmp_path_factory.mktemp("shares"), forge.looping_shares(forge.load(forge.TRIGRAM), above=1000),
                  source=forge.TRIGRAM)


@pytest.fixture(scope="module")
def long_review(imdb_split):
    return next(text for text in imdb_split.test.texts if 400 <= len(text.split()) <= 600)


def test_an_explanation_whose_shares_loop_is_stopped_within_its_budget(shares_looping_on_long_reviews, long_review):
    from review_sentiment._classify import classify_text

    bundle = load_bundle(shares_looping_on_long_reviews, run_seconds=BUDGET)
    assert bundle.additive is not None  # it passed the check at load
    assert classify_text(bundle, "A fine film.", explain=True).method == "exact"  # short rows: explained
    started = time.monotonic()
    with pytest.raises(ModelRunError, match=f"took longer than {BUDGET:g} s") as caught:
        classify_text(bundle, long_review, explain=True)
    assert time.monotonic() - started < 10 * BUDGET
    assert "Pick another bundle" in str(caught.value)


@pytest.mark.parametrize("jobs", ["0", "2"])
def test_classify_explain_with_looping_shares_is_stopped_and_exits_2(tmp_path, shares_looping_on_long_reviews,
                                                                      long_review, capsys, jobs):
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("A fine film.\n" + long_review.replace("\n", " ") + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    started = time.monotonic()
    code = classify_main(["--model", str(shares_looping_on_long_reviews), "--model-timeout", "1", "--per-line",
                          "--explain", "--jobs", jobs, "-o", str(out), str(reviews)])
    assert code == 2 and time.monotonic() - started < 20
    assert not out.exists() and not list(tmp_path.glob(".out.jsonl.*"))
    assert "took longer than 1 s" in capsys.readouterr().err
