"""Reading text files in the encodings people actually have: real IMDB reviews written to disk."""

from __future__ import annotations

import codecs
import gzip
import io

import pytest

from review_sentiment import _reading as reading
from review_sentiment._reading import ReadError, open_lines, read_text_file


@pytest.fixture(scope="module")
def accented_review(imdb_split):
    """A real review with letters outside ASCII that cp1252 can hold (é, ü, ...)."""
    for text in imdb_split.test.texts:
        if not text.isascii() and any(c.isalpha() and not c.isascii() for c in text):
            try:
                text.encode("cp1252")
            except UnicodeEncodeError:
                continue
            return text
    pytest.fail("no accented cp1252 review in the test split")


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda t: t.encode("utf-8"), id="utf-8"),
        pytest.param(lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), id="utf-8-bom"),
        pytest.param(lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), id="utf-16-le-bom"),
        pytest.param(lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), id="utf-16-be-bom"),
    ],
)
def test_unicode_files_read_exactly_without_warning(tmp_path, accented_review, encode):
    path = tmp_path / "review.txt"
    path.write_bytes(encode(accented_review))
    read = read_text_file(path)
    assert read.text == accented_review
    assert read.encoding.warning == ""


def test_cp1252_file_is_read_with_a_warning(tmp_path, accented_review):
    path = tmp_path / "review.txt"
    path.write_bytes(accented_review.encode("cp1252"))
    read = read_text_file(path)
    assert read.text == accented_review
    assert read.encoding.name == "cp1252"
    assert "cp1252" in read.encoding.warning and "guess" in read.encoding.warning


def test_cp1252_curly_quotes_are_not_mistaken_for_another_code_page(tmp_path, imdb_split):
    text = imdb_split.test.texts[0].replace("'", "\u2019", 3) + " \u201cGreat\u201d \u2013 caf\u00e9"
    path = tmp_path / "quotes.txt"
    path.write_bytes(text.encode("cp1252"))
    assert read_text_file(path).text == text


def test_binary_file_is_refused(tmp_path, imdb_split):
    path = tmp_path / "reviews.txt"
    path.write_bytes(gzip.compress(imdb_split.test.texts[1].encode()))
    with pytest.raises(ReadError, match="binary"):
        read_text_file(path)


@pytest.mark.parametrize("content", [b"", b"  \n\r\n\t", codecs.BOM_UTF8, codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")])
def test_empty_file_is_refused(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(ReadError, match="empty"):
        read_text_file(path)


def test_fifo_is_refused_without_blocking(tmp_path):
    path = tmp_path / "pipe.txt"
    import os

    os.mkfifo(path)
    with pytest.raises(ReadError, match="not a regular file"):
        read_text_file(path)


def test_oversized_file_is_refused_before_reading(tmp_path, imdb_split, monkeypatch):
    monkeypatch.setattr(reading, "MAX_REVIEW_BYTES", 1000)
    path = tmp_path / "long.txt"
    path.write_text(" ".join(imdb_split.test.texts[:5]), encoding="utf-8")
    with pytest.raises(ReadError, match="per line"):
        read_text_file(path, max_bytes=1000)


def _lines(data: bytes):
    encoding, lines = open_lines(io.BytesIO(data))
    return encoding, list(lines)


@pytest.mark.parametrize("block", [1024 * 1024, 100])
@pytest.mark.parametrize("codec,bom", [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
                                       ("utf-8", codecs.BOM_UTF8), ("utf-8", b"")])
def test_lines_in_every_unicode_encoding(imdb_split, codec, bom, block, monkeypatch):
    monkeypatch.setattr(reading, "BLOCK_BYTES", block)
    texts = [t.replace("\n", " ") for t in imdb_split.test.texts[:3]]
    data = bom + "\r\n".join(texts).encode(codec)
    _encoding, lines = _lines(data)
    assert [(line.number, line.text) for line in lines] == [(1, texts[0]), (2, texts[1]), (3, texts[2])]
    assert not any(line.warning or line.error for line in lines)


def test_a_cp1252_line_deep_inside_a_utf8_file_is_read_with_a_warning(imdb_split, accented_review, monkeypatch):
    good = imdb_split.test.texts[2].replace("\n", " ")
    monkeypatch.setattr(reading, "SNIFF_BYTES", len(good.encode()) + 1)  # the bad line lies past the sniffed head
    data = good.encode() + b"\n" + accented_review.replace("\n", " ").encode("cp1252") + b"\n"
    encoding, lines = _lines(data)
    assert encoding.name == "utf-8"
    assert lines[0].text == good and not lines[0].warning
    assert lines[1].text == accented_review.replace("\n", " ")
    assert "not valid utf-8" in lines[1].warning


@pytest.mark.parametrize("block", [1024 * 1024, 512, 7])
def test_an_overlong_line_is_skipped_not_kept(imdb_split, monkeypatch, block):
    monkeypatch.setattr(reading, "MAX_REVIEW_BYTES", 2000)
    monkeypatch.setattr(reading, "BLOCK_BYTES", block)
    long_line = " ".join(t.replace("\n", " ") for t in imdb_split.test.texts[:10])
    short = imdb_split.test.texts[10][:500].replace("\n", " ")
    _encoding, lines = _lines(f"{short}\n{long_line}\n{short}\n".encode())
    assert [line.number for line in lines] == [1, 2, 3]
    assert lines[1].error and "too long" in lines[1].error and lines[1].text == ""
    assert lines[0].text == lines[2].text == short


def test_binary_stream_is_refused_for_line_reading(imdb_split):
    with pytest.raises(ReadError, match="binary"):
        _lines(gzip.compress(imdb_split.test.texts[0].encode()))
