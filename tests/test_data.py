"""Each data source, read from real files in a temporary folder, and the fixed split."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trainer.data import DataError, load_aclimdb, load_movie_reviews, load_table, split


def _real(imdb_split, n):
    """n real reviews with their labels, half positive, half negative."""
    part = imdb_split.train
    pos = [t for t, y in zip(part.texts, part.labels) if y == 1][: n // 2]
    neg = [t for t, y in zip(part.texts, part.labels) if y == 0][: n // 2]
    return pos, neg


def test_default_source_is_the_25000_imdb_reviews_balanced():
    reviews = load_movie_reviews()
    assert len(reviews) == 25_000 and reviews.positives == 12_500


def test_split_is_fixed_disjoint_and_sized_as_documented(imdb_split):
    assert imdb_split.sizes() == {"train": 14_904, "validation": 5_000, "test": 5_000}
    test, val, train = (set(p.texts) for p in (imdb_split.test, imdb_split.validation, imdb_split.train))
    assert not test & train and not val & train and not test & val  # repeated reviews are kept once
    again = split(load_movie_reviews(), "imdb")
    assert again.test.texts == imdb_split.test.texts
    assert 0.45 < imdb_split.test.labels.mean() < 0.55


def test_limit_takes_each_part_from_the_front_so_test_reviews_never_leak(imdb_split):
    small = split(load_movie_reviews(), "imdb", limit=2000)
    assert small.sizes() == {"train": 1197, "validation": 402, "test": 402}
    assert small.test.texts == imdb_split.test.texts[:402]
    assert not set(small.train.texts) - set(imdb_split.train.texts)


def test_aclimdb_folder(tmp_path, imdb_split):
    pos, neg = _real(imdb_split, 20)
    for part, texts_pos, texts_neg in (("train", pos[:6], neg[:6]), ("test", pos[6:], neg[6:])):
        for label, texts in (("pos", texts_pos), ("neg", texts_neg)):
            folder = tmp_path / "aclImdb" / part / label
            folder.mkdir(parents=True)
            for i, text in enumerate(texts):
                (folder / f"{i}_7.txt").write_text(text, encoding="utf-8")
    reviews = load_aclimdb(tmp_path / "aclImdb")
    assert len(reviews) == 20 and reviews.positives == 10
    assert set(reviews.texts) == set(pos + neg)


def test_aclimdb_without_reviews_is_refused(tmp_path):
    (tmp_path / "aclImdb" / "train").mkdir(parents=True)
    with pytest.raises(DataError, match="no reviews found"):
        load_aclimdb(tmp_path / "aclImdb")


@pytest.mark.parametrize("pos_label, neg_label", [("positive", "negative"), ("pos", "NEG"), ("1", "0")])
def test_csv_with_any_usual_label_spelling(tmp_path, imdb_split, pos_label, neg_label):
    import csv

    pos, neg = _real(imdb_split, 10)
    path = tmp_path / "reviews.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["review", "sentiment"])
        writer.writerows([(t, pos_label) for t in pos] + [(t, neg_label) for t in neg])
    reviews = load_table(path, "review", "sentiment")
    assert reviews.texts == pos + neg and reviews.labels.tolist() == [1] * 5 + [0] * 5


def test_jsonl(tmp_path, imdb_split):
    pos, neg = _real(imdb_split, 4)
    path = tmp_path / "reviews.jsonl"
    path.write_text("".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in
                            [(pos[0], 1), (neg[0], 0), (pos[1], "positive"), (neg[1], "neg")]), encoding="utf-8")
    reviews = load_table(path, "text", "label")
    assert reviews.labels.tolist() == [1, 0, 1, 0] and reviews.texts[0] == pos[0]


@pytest.mark.parametrize("name, content, message", [
    ("r.csv", "body,label\nnice,1\n", r"r\.csv: no column named 'text'.*--text-column"),
    ("r.csv", 'text,label\n"good film",1\n"multi\nline",0\n"meh",maybe\n', r"r\.csv, line 5: unknown label 'maybe'"),
    ("r.jsonl", '{"text": "good", "label": 1}\n{oops\n', r"r\.jsonl, line 2: not valid JSON"),
], ids=["missing-column", "unknown-label", "jsonl-not-json"])
def test_bad_tables_name_the_file_and_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_table(path, "text", "label")


def test_missing_path_and_empty_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_table(tmp_path / "nope.csv", "text", "label")
    empty = tmp_path / "empty.csv"
    empty.write_text("text,label\n", encoding="utf-8")
    with pytest.raises(DataError, match="no labelled reviews"):
        load_table(empty, "text", "label")


def test_one_class_data_is_refused(imdb_split):
    pos, _ = _real(imdb_split, 40)
    from trainer.data import Reviews

    with pytest.raises(DataError, match="both positive and negative"):
        split(Reviews(pos, np.ones(len(pos), dtype=np.int8)), "table")


def test_limit_zero_is_refused():
    with pytest.raises(DataError, match="--limit must be at least 1"):
        split(load_movie_reviews(), "imdb", limit=0)
