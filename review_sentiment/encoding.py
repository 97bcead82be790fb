"""Normalise, tokenise, map words to ids, pad/truncate and decode: the one implementation.

Both `trainer/` (to build the word index and encode training data) and this package's loader and
classifier (to encode what a user pastes or a batch reads) call these functions, so there is no
second copy that could drift.

The contract, in words:

1. HTML tags such as the ``<br />`` that IMDB reviews are full of become spaces.
2. A word is a run of letters, combining marks and digits, optionally joined by apostrophes
   (``don't``, ``l'amour``). Everything else (punctuation, emoji, symbols) separates words.
3. Each word is normalised with Unicode NFKC, then case-folded, and curly apostrophes become
   straight ones. ``Café``, ``CAFÉ`` and ``cafe\\u0301`` are all ``café``.
4. Ids: ``<PAD>``=0, ``<START>``=1, ``<UNK>``=2, ``<UNUSED>``=3, words from 4 by descending
   training frequency (ties broken alphabetically), up to ``vocab_size`` ids in all.
5. A row is ``<START>`` followed by the ids of the first ``max_length - 1`` words (the rest of a
   longer text is not read), padded with ``<PAD>`` after the words.
6. With ``ngrams=2`` the word index also holds word pairs (``"not good"``, ranked with the words
   by training frequency, a word before any pair it is part of), and the row goes on, after the
   words, with the id of each pair of neighbouring words read (``<PAD>`` for a pair not in the
   index, so every pair keeps its place).
7. With ``dynamic_length`` a row is only as long as its text needs; a batch is padded to its
   longest row, and the model's length axis is dynamic (it must ignore ``<PAD>``).
8. With ``ngram_buckets`` B > 0 the word index holds words only, and word pairs (``ngrams=2``)
   and triples (``ngrams=3``) are hashed from their word ids into B buckets: the last B ids of
   ``vocab_size`` (see `ngram_bucket_ids`). The row goes on, after the words, with the bucket
   of each pair of neighbouring words read, then (``ngrams=3``) of each triple; an n-gram with an
   ``<UNK>`` word in it is ``<PAD>``, so every n-gram keeps its place. Nothing but the word
   index is needed to encode, so the index stays small and loads fast however many n-grams
   the model has weights for.

The defaults (``ngrams=1``, ``dynamic_length=False``, ``ngram_buckets=0``) are the tutorial's
fixed rows, exactly as before these options existed; settings at their defaults are written
without them, so an older program still reads such a bundle, and an older bundle is read exactly
as it always was.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from itertools import compress, filterfalse, repeat
from operator import contains, itemgetter
from typing import NamedTuple

import numpy as np
import regex

__all__ = [
    "CONTRACT_VERSION", "PAD", "START", "UNK", "UNUSED", "RESERVED_TOKENS",
    "PAD_ID", "START_ID", "UNK_ID", "UNUSED_ID", "FIRST_WORD_ID",
    "Token", "EncodingSettings", "WordIndex", "EncodedText",
    "tokenise", "words", "normalise", "pad_truncate", "encode", "encode_batch", "decode",
    "build_word_index", "model_row", "encode_rows", "encode_ragged", "pad_rows", "rows_without_each_word", "ngram_bucket_ids",
]

CONTRACT_VERSION = 1

PAD, START, UNK, UNUSED = "<PAD>", "<START>", "<UNK>", "<UNUSED>"
RESERVED_TOKENS = (PAD, START, UNK, UNUSED)
PAD_ID, START_ID, UNK_ID, UNUSED_ID = range(len(RESERVED_TOKENS))
FIRST_WORD_ID = len(RESERVED_TOKENS)
# Limits a bundle's settings must stay within, checked before anything is allocated by them: ten
# times the largest the trainer makes (100,000 ids, 3,001 words), far below what would exhaust memory.
# Hashed n-gram buckets come on top of the word ids (they need no word-index entry): at most
# four times the 2**22 the trainer uses.
MAX_VOCAB_SIZE = 1_000_000
MAX_LENGTH = 100_000
MAX_NGRAM_BUCKETS = 1 << 24

_MOST_CHARS_IN_A_TAG = 200
_TAG = regex.compile(f"<[^<>]{{0,{_MOST_CHARS_IN_A_TAG}}}>")
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+(?:['\u2019\u02bc][\p{L}\p{M}\p{N}]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})


class Token(NamedTuple):
    """One word of a text: its normalised form and where it stands in the original string.

    Immutable and hashable, equal to another token of the same three fields. A named tuple rather
    than a dataclass: a review's tokens are made by the hundred on every pause in typing, and a
    tuple is made several times as fast.
    """

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class EncodingSettings:
    """How text becomes a row of ids. Stored in every model bundle."""

    vocab_size: int = 10_000
    max_length: int = 256
    """<START> plus the words read: a text is read up to its ``max_length - 1``-th word."""
    contract_version: int = CONTRACT_VERSION
    ngrams: int = 1
    """1: the row holds the words; 2: the words, then the pairs of neighbouring words; 3: then
    also the triples (needs ``ngram_buckets``)."""
    dynamic_length: bool = False
    """Rows only as long as the text needs (up to `row_width`) instead of always `row_width`."""
    ngram_buckets: int = 0
    """0: word pairs are entries of the word index; B > 0 (a power of two): n-grams are hashed
    into B buckets, the ids from ``vocab_size - B`` up."""

    def __post_init__(self) -> None:
        self._check_buckets()
        if not isinstance(self.vocab_size, int) or not FIRST_WORD_ID < self.vocab_size <= MAX_VOCAB_SIZE + self.ngram_buckets:
            raise ValueError(
                f"vocab_size must be a whole number above {FIRST_WORD_ID} (the reserved ids "
                f"{', '.join(RESERVED_TOKENS)} take 0-{FIRST_WORD_ID - 1}) and at most "
                f"{MAX_VOCAB_SIZE:,}" + (" plus its n-gram buckets" if self.ngram_buckets else "")
                + f"; got {self.vocab_size!r}"
            )
        if not isinstance(self.max_length, int) or isinstance(self.max_length, bool) or not 2 <= self.max_length <= MAX_LENGTH:
            raise ValueError(
                "max_length must be at least 2 (one <START> id and one word) and at most "
                f"{MAX_LENGTH:,}; got {self.max_length!r}"
            )
        if self.contract_version != CONTRACT_VERSION:
            raise ValueError(
                f"this model was encoded with text contract version {self.contract_version}, "
                f"but this program implements version {CONTRACT_VERSION}; "
                "use a matching version of the program or retrain the model"
            )
        if self.ngrams not in (1, 2, 3) or isinstance(self.ngrams, bool):
            raise ValueError(f"ngrams must be 1 (words), 2 (and word pairs) or 3 (and triples); got {self.ngrams!r}")
        if not isinstance(self.dynamic_length, bool):
            raise ValueError(f"dynamic_length must be true or false; got {self.dynamic_length!r}")
        self._check_bucket_settings()

    def _check_buckets(self) -> None:
        buckets = self.ngram_buckets
        if (not isinstance(buckets, int) or isinstance(buckets, bool) or not 0 <= buckets <= MAX_NGRAM_BUCKETS
                or buckets == 1 or buckets & (buckets - 1)):
            raise ValueError(f"ngram_buckets must be 0 or a power of two from 2 to {MAX_NGRAM_BUCKETS:,}; got {buckets!r}")

    def _check_bucket_settings(self) -> None:
        buckets = self.ngram_buckets
        if buckets and self.ngrams == 1:
            raise ValueError("ngram_buckets needs ngrams 2 or 3: with words alone there is nothing to hash")
        if self.ngrams == 3 and not buckets:
            raise ValueError("ngrams=3 (word triples) needs ngram_buckets: triples are always hashed")
        if buckets and not FIRST_WORD_ID < self.vocab_size - buckets <= _MAX_HASHED_WORD_ID:
            raise ValueError(
                f"vocab_size ({self.vocab_size}) minus ngram_buckets ({buckets}) leaves "
                f"{self.vocab_size - buckets} word ids; it must be above {FIRST_WORD_ID} and at most {_MAX_HASHED_WORD_ID}"
            )

    @property
    def word_ids(self) -> int:
        """Ids for words (reserved ones included): all of ``vocab_size`` but the n-gram buckets."""
        return self.vocab_size - self.ngram_buckets

    @property
    def row_width(self) -> int:
        """The most ids a row can hold: <START>, the words read and, with pairs, their pairs."""
        pairs = self.max_length - 2 if self.ngrams >= 2 else 0
        triples = max(0, self.max_length - 3) if self.ngrams == 3 else 0
        return self.max_length + pairs + triples

    def to_dict(self) -> dict:
        """As stored in a bundle; options at their defaults are left out (older programs read it)."""
        data = asdict(self)
        for name in _OPTIONAL_SETTINGS:
            if data[name] == _OPTIONAL_SETTINGS[name]:
                del data[name]
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> EncodingSettings:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown encoding settings: {', '.join(sorted(unknown))}")
        return cls(**dict(data))


# Settings added after the first bundles shipped, with the value that reproduces those bundles.
_OPTIONAL_SETTINGS = {"ngrams": 1, "dynamic_length": False, "ngram_buckets": 0}
_MAX_HASHED_WORD_ID = (1 << 21) - 1  # three word ids of 21 bits make one 63-bit n-gram key


_AS_LETTER = "review_sentiment.as_letter"
codecs.register_error(_AS_LETTER, lambda error: ("a" * (error.end - error.start), error.end))
_ENTRY_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789' \n"
_MISPLACED_IN_ENTRIES = (b"''", b"' ", b" '", b"'\n", b"\n'", b"  ", b" \n", b"\n ")
_SEPARATOR_BYTES = np.zeros(256, dtype=bool)
_SEPARATOR_BYTES[list(b"' \n")] = True


def _misplaced_in_entries(joined: bytes) -> bool:
    """Whether one of _MISPLACED_IN_ENTRIES is in `joined` (entries of a-z, 0-9, "'", " " and "\n"
    only): two neighbouring bytes of "'", " " and "\n" that are not both "\n", in one pass."""
    chars = np.frombuffer(joined, dtype=np.uint8)
    both = np.flatnonzero(_SEPARATOR_BYTES[chars[:-1]] & _SEPARATOR_BYTES[chars[1:]])
    return bool(((chars[both] != 0x0A) | (chars[both + 1] != 0x0A)).any())


@dataclass(frozen=True)
class WordIndex:
    """The vocabulary: word <-> id, with the four reserved ids first. An entry holding a space
    is a pair of neighbouring words (``"not good"``), read only under ``ngrams=2``."""

    words: tuple[str, ...]
    _ids: dict[str, int] = field(init=False, repr=False, compare=False)
    _pairs: dict[tuple[int, int], int] = field(init=False, repr=False, compare=False)
    _words_by_id: np.ndarray | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        ids: dict[str, int] = {}
        # At once when every entry is a str (of that exact type: a subclass goes the long way) and
        # none is empty or listed twice; one by one to say what is wrong.
        if set(map(type, self.words)) <= {str}:
            ids = dict(zip(self.words, range(FIRST_WORD_ID, FIRST_WORD_ID + len(self.words))))
        if len(ids) != len(self.words) or "" in ids:
            ids = {}
            for position, word in enumerate(self.words):
                if not isinstance(word, str) or not word:
                    raise ValueError(f"word index entry {position} is empty or not text")
                if word in ids:
                    raise ValueError(f"word index lists {word!r} twice")
                ids[word] = FIRST_WORD_ID + position
        pairs: dict[tuple[int, int], int] = {}
        for word in compress(self.words, map(contains, self.words, repeat(" "))):
            first, _, second = word.partition(" ")
            if first in ids and second in ids:
                pairs[ids[first], ids[second]] = ids[word]
        object.__setattr__(self, "_ids", ids)
        object.__setattr__(self, "_pairs", pairs)

    def __len__(self) -> int:
        """Number of ids, reserved ones included."""
        return FIRST_WORD_ID + len(self.words)

    def id_of(self, word: str) -> int:
        return self._ids.get(word, UNK_ID)

    def _decode_table(self) -> np.ndarray:
        """`word_of` for every id, as one array (made once), and <UNK> last, for ids beyond the index."""
        if self._words_by_id is None:
            object.__setattr__(self, "_words_by_id", np.array([*RESERVED_TOKENS, *self.words, UNK], dtype=object))
        return self._words_by_id

    def word_of(self, token_id: int) -> str:
        if 0 <= token_id < FIRST_WORD_ID:
            return RESERVED_TOKENS[token_id]
        position = token_id - FIRST_WORD_ID
        if 0 <= position < len(self.words):
            return self.words[position]
        return UNK

    def __contains__(self, word: str) -> bool:
        return word in self._ids

    def as_dict(self) -> dict[str, int]:
        """word -> id for every entry, reserved tokens included (the tutorial's `word_index`)."""
        mapping = {token: i for i, token in enumerate(RESERVED_TOKENS)}
        mapping.update(self._ids)
        return mapping

    def to_json(self) -> str:
        """Canonical JSON: the list of words in id order, starting at id 4."""
        return json.dumps(list(self.words), ensure_ascii=False, separators=(",", ":"))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    @classmethod
    def from_json(cls, text: str) -> WordIndex:
        words = json.loads(text)
        if not isinstance(words, list):
            raise ValueError("word index JSON must be a list of words in id order")
        return cls(tuple(words))

    def pair_id(self, first_id: int, second_id: int) -> int:
        """The id of the pair of words with these ids, or ``PAD_ID`` if the index lacks it."""
        return self._pairs.get((first_id, second_id), PAD_ID)

    def check_matches_contract(self) -> None:
        """Every entry must be a word this contract can produce, or a pair of two such words that
        are both in the index; anything else could never be looked up."""
        if not self._every_entry_matches():
            for position, word in enumerate(self.words):  # names the first entry that does not
                self._check_entry(position, word)

    def _every_entry_matches(self) -> bool:
        """`_check_entry` of every entry, the ASCII ones at once. An ASCII text is one word of this
        contract exactly when it is runs of a-z and 0-9 joined by single apostrophes, so the
        entries joined by newlines (characters beyond ASCII read as "a": those entries are checked
        one by one) must hold nothing else, but single spaces between two such words. The spaces
        are then counted: as many as pairs whose two words are in the index, so one in each pair."""
        if not self.words:
            return True
        joined = "\n".join(self.words).encode("ascii", _AS_LETTER)
        if (joined.translate(None, _ENTRY_BYTES) or joined.count(b"\n") != len(self.words) - 1
                or joined[0] in b"' " or joined[-1] in b"' " or _misplaced_in_entries(joined)
                or joined.count(b" ") != len(self._pairs)):
            return False
        try:
            for word in filterfalse(str.isascii, self.words):
                self._check_entry(0, word)  # only whether it fails matters here
        except ValueError:
            return False
        return True

    def _check_entry(self, position: int, word: str) -> None:
        parts = word.split(" ")
        if len(parts) > 2 or words(word) != parts:
            raise ValueError(
                f"word index entry {FIRST_WORD_ID + position} ({word!r}) is not a normalised "
                "word, or pair of words, of this text contract; the index was built with different rules"
            )
        if len(parts) == 2 and not all(part in self._ids for part in parts):
            raise ValueError(
                f"word index entry {FIRST_WORD_ID + position} ({word!r}) is a pair of words "
                "that are not both in the index, so it could never be read"
            )


@dataclass(frozen=True)
class EncodedText:
    """A text as the model sees it."""

    tokens: list[Token]
    """Every word of the text, in order."""
    token_ids: list[int]
    """The id of each word (``UNK_ID`` for words the model does not know)."""
    ids: np.ndarray
    """The model's input row of int32 ids, <START> first (see `model_row`)."""
    kept: int
    """How many words fit in the row; words from ``tokens[kept:]`` on were cut."""

    @classmethod
    def _of_columns(cls, texts: Sequence[str], starts: Sequence[int], ends: Sequence[int], token_ids: list[int],
                    ids: np.ndarray, kept: int) -> EncodedText:
        """The encoding of tokens given as their `columns`; the `Token`s themselves are made on
        first use (`__getattr__`): the app reads a review's columns only, on every pause in typing."""
        encoded = object.__new__(cls)
        for name, value in (("token_ids", token_ids), ("ids", ids), ("kept", kept), ("_columns", (texts, starts, ends))):
            object.__setattr__(encoded, name, value)
        return encoded

    def __getattr__(self, name: str):
        """Called only for what is not set: `tokens` of an encoding made `_of_columns`, made now."""
        columns = self.__dict__.get("_columns") if name == "tokens" else None
        if columns is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        tokens = list(map(_new_token, repeat(Token), zip(*columns)))
        object.__setattr__(self, "tokens", tokens)
        return tokens

    @property
    def columns(self) -> tuple[Sequence[str], Sequence[int], Sequence[int]]:
        """Each token's text, start and end: ``tuple(zip(*tokens))``, three sequences as long as `tokens`."""
        columns = self.__dict__.get("_columns")
        if columns is None:
            columns = tuple(zip(*self.tokens)) or ((), (), ())
            object.__setattr__(self, "_columns", columns)
        return columns

    @property
    def truncated(self) -> bool:
        return self.kept < len(self.columns[0])

    @property
    def known(self) -> int:
        return sum(1 for i in self.token_ids if i != UNK_ID)


def _strip_tags(text: str) -> str:
    """Blank out HTML tags, keeping every other character where it was."""
    return _TAG.sub(lambda m: " " * len(m.group()), text)


def _normalise_word(word: str) -> str:
    if word.isascii():  # NFKC leaves ASCII as it is, casefold is lower, and no apostrophe changes
        return word.lower()
    if len(word) > _MOST_MARKS_IN_A_ROW:
        word = _stream_safe(word)
    return unicodedata.normalize("NFKC", word).casefold().translate(_APOSTROPHES)


# Unicode's Stream-Safe Text Format (UAX #15): after at most 30 combining marks in a row comes a
# COMBINING GRAPHEME JOINER. NFKC sorts each run of marks in time quadratic in its length (a word
# of 100,000 marks took seconds); a joiner ends the run, so normalising stays linear. No real word
# has such runs (none of the IMDB reviews' words changes), and the joiner is a mark: still one word.
_MOST_MARKS_IN_A_ROW = 30
_JOINER = "\u034f"
_MARK = r"[^\P{M}\u034f]"  # a mark other than the joiner, so a word made safe is left as it is
_MARK_RUN = regex.compile(f"{_MARK}{{{_MOST_MARKS_IN_A_ROW + 1},}}")
_SOME_MARKS = regex.compile(f"{_MARK}{{1,{_MOST_MARKS_IN_A_ROW}}}")


def _stream_safe(word: str) -> str:
    return _MARK_RUN.sub(lambda run: _JOINER.join(_SOME_MARKS.findall(run.group())), word)


def tokenise(text: str) -> list[Token]:
    """Split text into normalised words, each with its span in the original string."""
    if text.isascii():
        return _ascii_tokens(_strip_tags(text) if "<" in text else text)
    return [_new_token(Token, (_normalise_word(m.group()), *m.span())) for m in _WORD.finditer(_strip_tags(text))]


# `tokenise` of ASCII text without a match object per word: the text folded as `words` folds it
# (lower case; every character that is not part of a word a space, `_ascii_folded`), which keeps
# every character where it was, so each word's span is a run of characters other than spaces.
_new_token = tuple.__new__
_SPACE = ord(" ")


def _ascii_tokens(stripped: str) -> list[Token]:
    return list(map(_new_token, repeat(Token), zip(*_ascii_columns(stripped))))


def _ascii_columns(stripped: str) -> tuple[list[str], list[int], list[int]]:
    """The texts, starts and ends of the tokens of tag-free ASCII text."""
    padded = _ascii_folded(stripped)  # a space before and after the text
    in_word = np.frombuffer(padded.encode("ascii"), dtype=np.uint8) != _SPACE
    edges = np.flatnonzero(in_word[1:] != in_word[:-1]).tolist()  # edges[2i]: where word i starts; [2i + 1]: ends
    return padded.split(), edges[0::2], edges[1::2]


# `words` without a regex match per word: the same words, two to three times as fast. On ASCII,
# \p{L} is [A-Za-z], \p{N} is [0-9], \p{M} is empty and the only apostrophe is "'"; so ASCII
# text is lower-cased and split with str methods, and only the whitespace-separated pieces that
# hold other characters go through the full rules (a word never spans whitespace).
_ASCII_TAG = re.compile(_TAG.pattern)
_ASCII_FOLD = str.maketrans({c: chr(c).lower() if chr(c).isalnum() or chr(c) == "'" else " " for c in range(128)}
                            | {c: " " for c in range(128, 0x3001) if chr(c).isspace()})
_LOOSE_APOSTROPHE = re.compile(r"'(?![a-z0-9])|(?<![a-z0-9])'")
_PIECE_WITH_NON_ASCII = re.compile(r"(?<!\S)\S*?[^\x00-\x7f]\S*")


def _ascii_folded(text: str) -> str:
    """Tag-free text whose words are all ASCII, between two spaces, with each character of it
    lower-cased if it is part of a word and a space if not: its words are what is not spaces."""
    text = f" {text.translate(_ASCII_FOLD)} "  # lower-case; every character but a-z, 0-9 and ' separates
    if "'" in text:  # an apostrophe between two word characters joins them; any other separates
        if "''" in text:
            text = _LOOSE_APOSTROPHE.sub(" ", text)
        else:
            text = text.replace(" '", "  ").replace("' ", "  ")
    return text


def _fold_ascii(text: str, limit: int = -1) -> list[str]:
    """The words of tag-free text whose words are all ASCII (at most `limit` of them, if >= 0)."""
    found = _ascii_folded(text).split(None, limit)
    return found[:limit] if 0 <= limit < len(found) else found


def words(text: str, limit: int | None = None) -> list[str]:
    """The normalised words of a text: ``[t.text for t in tokenise(text)]``, faster.

    With `limit`, only the first `limit` words (what a model reads), found without splitting the rest.
    """
    stripped = _ASCII_TAG.sub(" ", text) if "<" in text else text
    if stripped.isascii():
        return _fold_ascii(stripped, -1 if limit is None else limit)
    found: list[str] = []
    position = 0
    for piece in _PIECE_WITH_NON_ASCII.finditer(stripped):
        found += _fold_ascii(stripped[position : piece.start()])
        found += [w.lower() if w.isascii() else _normalise_word(w) for w in _WORD.findall(piece.group())]
        position = piece.end()
    found += _fold_ascii(stripped[position:])
    return found if limit is None else found[:limit]


def normalise(text: str) -> str:
    """The text as the model reads it: its normalised words joined by single spaces."""
    return " ".join(words(text))


def pad_truncate(word_ids: Sequence[int], settings: EncodingSettings) -> tuple[np.ndarray, int]:
    """<START> + ids, cut or padded to ``max_length``. Returns the row and how many words fit.

    The tutorial's rows (``ngrams=1``, fixed length); `model_row` builds rows under any settings.
    """
    row = np.full(settings.max_length, PAD_ID, dtype=np.int32)
    kept = min(len(word_ids), settings.max_length - 1)
    row[0] = START_ID
    row[1 : 1 + kept] = word_ids[:kept]
    return row, kept


def _pair_ids(firsts: Iterable[int], seconds: Iterable[int], index: WordIndex, settings: EncodingSettings) -> list[int]:
    """The id of each pair (first, second), <PAD> where the index (within vocab_size) lacks it."""
    firsts, seconds = np.asarray(firsts, dtype=np.int64), np.asarray(seconds, dtype=np.int64)
    count = min(len(firsts), len(seconds))
    return _pair_id_array(firsts[:count], seconds[:count], index, settings).tolist()


def _pair_id_array(firsts: np.ndarray, seconds: np.ndarray, index: WordIndex, settings: EncodingSettings) -> np.ndarray:
    """`_pair_ids` for two int64 arrays of equal length, as an int64 array.

    A vectorised look-up in an open-addressing hash table (`_pair_table`): each round probes
    the next slot for the pairs not yet settled, until each has met its key or an empty slot.
    Four times as fast as a binary search over the sorted keys, which misses the cache at every step.
    """
    keys, values, bits = _pair_table(index, settings.vocab_size)
    wanted = firsts * _PAIR_KEY_BASE + seconds
    found = np.full(len(wanted), PAD_ID, dtype=np.int64)
    pending = np.arange(len(wanted))
    slot = _pair_slots(wanted, bits)
    while len(pending):
        key = keys[slot]
        hit = key == wanted[pending]
        found[pending[hit]] = values[slot[hit]]
        going_on = ~hit & (key != _EMPTY_SLOT)
        pending, slot = pending[going_on], (slot[going_on] + 1) & ((1 << bits) - 1)
    return found


_PAIR_KEY_BASE = 1 << 31  # ids are int32: first * base + second is a unique int64 key
_EMPTY_SLOT = -1


def _pair_slots(keys: np.ndarray, bits: int) -> np.ndarray:
    """Each key's first slot in a table of 2**bits: Fibonacci hashing (the top bits of key * 2**64/phi)."""
    return ((keys.view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - bits)).astype(np.int64)


def _pair_table(index: WordIndex, limit: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The index's pairs (those with ids below `limit`) as a hash table: keys and ids by slot, and
    its size in bits. Under a quarter of the slots are used, so most look-ups settle at the first probe."""
    tables = index.__dict__.setdefault("_pair_tables", {})
    if limit not in tables:
        pairs = [(a * _PAIR_KEY_BASE + b, i) for (a, b), i in index._pairs.items() if i < limit]
        bits = max(1, (4 * len(pairs)).bit_length())
        keys, values = [_EMPTY_SLOT] * (1 << bits), [PAD_ID] * (1 << bits)
        first_slots = _pair_slots(np.array([k for k, _ in pairs], dtype=np.int64), bits).tolist()
        for (key, pair_id), slot in zip(pairs, first_slots):
            while keys[slot] != _EMPTY_SLOT:
                slot = (slot + 1) & ((1 << bits) - 1)
            keys[slot], values[slot] = key, pair_id
        tables[limit] = (np.array(keys, dtype=np.int64), np.array(values, dtype=np.int64), bits)
    return tables[limit]


def ngram_bucket_ids(grams: Sequence[np.ndarray], settings: EncodingSettings) -> np.ndarray:
    """The id of each hashed n-gram: `grams` holds the first, second (and third) word ids of each,
    as equal-length arrays. <PAD> where one of its words is <UNK>.

    The key of (a, b, c) is ``a << 42 | b << 21 | c`` (c = 0 for a pair, so a pair never meets a
    triple); its bucket is the top ``log2(ngram_buckets)`` bits of splitmix64's finaliser of the
    key, and its id ``settings.word_ids + bucket``. Vectorised: a few numpy operations per batch.
    """
    grams = [np.asarray(g, dtype=np.uint64) for g in grams]
    key = np.zeros(len(grams[0]), dtype=np.uint64)
    for shift, gram in zip(_NGRAM_KEY_SHIFTS, grams):
        key |= gram << shift
    unknown = np.zeros(len(key), dtype=bool)
    for gram in grams:
        unknown |= gram == UNK_ID
    return _bucket_ids(key, unknown, settings)


_NGRAM_KEY_SHIFTS = (np.uint64(42), np.uint64(21), np.uint64(0))


def _bucket_ids(key: np.ndarray, unknown: np.ndarray, settings: EncodingSettings) -> np.ndarray:
    """`ngram_bucket_ids` from the n-grams' keys (overwritten) and whether each holds an <UNK>."""
    key ^= key >> np.uint64(30)
    key *= np.uint64(0xBF58476D1CE4E5B9)
    key ^= key >> np.uint64(27)
    key *= np.uint64(0x94D049BB133111EB)
    key ^= key >> np.uint64(31)
    bits = settings.ngram_buckets.bit_length() - 1
    key >>= np.uint64(64 - bits)
    found = key.view(np.int64)  # below 2**63 after the shift: the same values
    found += settings.word_ids
    found[unknown] = PAD_ID
    return found


def model_row(word_ids: Sequence[int], index: WordIndex, settings: EncodingSettings) -> tuple[np.ndarray, int]:
    """The model's input row for a text's word ids (as `encode` looks them up), under any
    settings: <START>, the words read, their pairs (``ngrams=2``), then padding (fixed length).
    Returns the row and how many words it read.

    Hashed n-grams are keyed as `ngram_bucket_ids` keys them, all sizes hashed in one pass: a
    triple's key is its first pair's with the third word's id in the low bits. A few array
    operations per row, whatever its length (the app encodes a review on every pause in typing)."""
    if settings.ngrams == 1 and not settings.dynamic_length:
        return pad_truncate(word_ids, settings)
    kept = min(len(word_ids), settings.max_length - 1)
    read = np.asarray(word_ids[:kept], dtype=np.int64)
    columns = [read]
    if settings.ngram_buckets:
        ids = read.view(np.uint64)
        unknown_word = ids == UNK_ID
        keys = (ids[:-1] << _NGRAM_KEY_SHIFTS[0]) | (ids[1:] << _NGRAM_KEY_SHIFTS[1])
        unknown = unknown_word[:-1] | unknown_word[1:]
        if settings.ngrams == 3:
            keys = np.concatenate([keys, keys[:-1] | ids[2:]])
            unknown = np.concatenate([unknown, unknown[:-1] | unknown_word[2:]])
        columns.append(_bucket_ids(keys, unknown, settings))
    elif settings.ngrams == 2:
        columns.append(_pair_id_array(read[:-1], read[1:], index, settings))
    length = 1 + sum(map(len, columns))
    row = np.zeros(length if settings.dynamic_length else settings.row_width, dtype=np.int32)  # <PAD> is 0
    row[0] = START_ID
    np.concatenate(columns, out=row[1:length], casting="same_kind")
    return row, kept


def _lookup(word_list: Iterable[str], index: WordIndex, settings: EncodingSettings) -> list[int]:
    return list(map(_ids_below(index, settings.word_ids).get, word_list, repeat(UNK_ID)))


def _ids_below(index: WordIndex, limit: int) -> dict[str, int]:
    """word -> id for the index's entries whose ids fit in a vocabulary of `limit`."""
    if len(index) <= limit:
        return index._ids
    tables = index.__dict__.setdefault("_ids_below", {})
    if limit not in tables:  # some ids do not fit: look words up among those that do
        tables[limit] = {w: i for w, i in index._ids.items() if i < limit}
    return tables[limit]


def encode(text: str, index: WordIndex, settings: EncodingSettings) -> EncodedText:
    """Encode one text, keeping everything needed to explain the verdict."""
    if text.isascii():  # `tokenise`'s ASCII path, its tokens made only if asked for
        texts, starts, ends = _ascii_columns(_strip_tags(text) if "<" in text else text)
        token_ids = _lookup(texts, index, settings)
        row, kept = model_row(token_ids, index, settings)
        return EncodedText._of_columns(texts, starts, ends, token_ids, row, kept)
    tokens = tokenise(text)
    token_ids = _lookup(map(itemgetter(0), tokens), index, settings)  # each token's text
    row, kept = model_row(token_ids, index, settings)
    return EncodedText(tokens=tokens, token_ids=token_ids, ids=row, kept=kept)


def encode_rows(texts: Sequence[str], index: WordIndex, settings: EncodingSettings) -> list[np.ndarray]:
    """Each text's row, unpadded under ``dynamic_length``: what a trainer batches as it likes."""
    room = settings.max_length - 1
    return [model_row(_lookup(words(text, room), index, settings), index, settings)[0] for text in texts]


def pad_rows(rows: Sequence[np.ndarray], width: int | None = None) -> np.ndarray:
    """Rows of ids padded with <PAD> to ``width`` (default: the longest row), as one int32 array."""
    width = max((len(r) for r in rows), default=1) if width is None else width
    batch = np.zeros((len(rows), width), dtype=np.int32)
    for number, row in enumerate(rows):
        batch[number, : len(row)] = row
    return batch


def encode_batch(texts: Sequence[str], index: WordIndex, settings: EncodingSettings) -> np.ndarray:
    """Encode many texts into one int32 array: ``[len(texts), row_width]``, or under
    ``dynamic_length`` as wide as the longest row of this batch. The fast path."""
    return _padded(*encode_ragged(texts, index, settings), settings)


def encode_ragged(texts: Sequence[str], index: WordIndex, settings: EncodingSettings) -> tuple[np.ndarray, np.ndarray]:
    """Every text's row, unpadded under ``dynamic_length`` (`encode_rows`), as one flat int32 array
    of all rows one after another and the int64 length of each row: rows without the padding a
    batch of one long review and many short ones would carry. Fixed-length rows are `row_width` long.

    The words of the whole batch are found, looked up and joined into n-grams by numpy passes
    over all its characters at once (see `_batch_words`), not text by text.
    """
    word_ids, counts = _batch_word_ids(texts, index, settings)
    return _ragged_rows(word_ids, counts, index, settings)


# The batch path's words. Each character of the batch becomes one byte (`_one_byte_per_char`); a
# word is then a run of ASCII letters and digits, where an apostrophe counts as one only between
# two of them, exactly as for `_fold_ascii`. Only ASCII words are found this way: a run of
# letters, digits and apostrophes that holds a character beyond ASCII (up to the nearest ASCII
# separator, which no word spans) is a "foreign piece", split by `_WORD` and normalised in
# Python, as `words` does.
_BLANK, _APOSTROPHE_BYTE, _TAG_OPEN, _TAG_CLOSE, _FIRST_FOREIGN = 0x20, 0x27, 0x3C, 0x3E, 0x80
_FOREIGN_PIECE = re.compile(rb"[A-Za-z0-9'\x80-\xff]*")
_ASCII_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'")
_BEYOND_LATIN_1 = "review_sentiment.beyond_latin_1"
codecs.register_error(_BEYOND_LATIN_1, lambda error: ("\x80" * (error.end - error.start), error.end))


def _one_byte_per_char(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The texts as one uint8 array, one byte per character (those beyond U+00FF become 0x80:
    only ASCII bytes are read as words), and where each text starts and ends in it. Each text is
    followed by a NUL; the array begins with one and ends with spare bytes, so a word's
    neighbours and next 24 bytes can be read unchecked."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths + 1)
    # Each text encoded on its own, then joined: one text beyond Latin-1 (a curly quote, in one
    # review of ~90) would make a joined str two bytes a character, and its encoding slow, for all.
    joined = (b"\0".join([b"", *[text.encode("latin-1", _BEYOND_LATIN_1) for text in texts], b"\0" * _MOST_PACKED_CHARS])
              if texts else b"\0" * (2 + _MOST_PACKED_CHARS))
    return np.frombuffer(joined, dtype=np.uint8), ends - lengths, ends


def _word_chars(chars: np.ndarray) -> np.ndarray:
    """True for each ASCII letter and digit."""
    return ((chars | 0x20) - ord("a") < 26) | (chars - ord("0") < 10)  # uint8 wraps below "a" and "0"


def _tag_spans(chars: np.ndarray, text_ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each tag `_TAG` matches starts and ends (the ">"): a "<", at most 200 characters but
    "<" and ">", then ">". Tags hold no "<", so each "<" starts one exactly when the next "<" or
    ">" after it is a ">", close enough and in the same text, whatever came before it."""
    marks = np.flatnonzero((chars == _TAG_OPEN) | (chars == _TAG_CLOSE))
    opens = np.flatnonzero(chars[marks[:-1]] == _TAG_OPEN)
    first, last = marks[opens], marks[opens + 1]
    tag = ((chars[last] == _TAG_CLOSE) & (last - first <= _MOST_CHARS_IN_A_TAG + 1)
           & (last < text_ends[np.searchsorted(text_ends, first)]))
    return first[tag], last[tag]


def _blank(in_word: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
    """No byte of the spans ``starts[i]:ends[i]`` (not overlapping) is a word's."""
    sizes = ends - starts
    in_word[np.repeat(starts - (np.cumsum(sizes) - sizes), sizes) + np.arange(sizes.sum())] = False


def _foreign_pieces(chars: np.ndarray, tags: tuple[np.ndarray, np.ndarray]) -> list[tuple[int, int]]:
    """The spans of the foreign pieces (see above) outside tags, left to right. A piece never
    reaches into a tag: its bytes are no "<" or ">"."""
    foreign = np.flatnonzero(chars >= _FIRST_FOREIGN)
    if not len(foreign):
        return []
    tag = np.searchsorted(tags[1], foreign)  # the first tag that ends after it, if any
    inside = np.zeros(len(foreign), dtype=bool)
    some = tag < len(tags[1])
    inside[some] = tags[0][tag[some]] < foreign[some]
    data = chars.tobytes()
    pieces = []
    end = 0
    for position in foreign[~inside].tolist():
        if position < end:
            continue
        start = position
        while data[start - 1] in _ASCII_WORD_BYTES:  # any foreign character before is in the last piece
            start -= 1
        end = _FOREIGN_PIECE.match(data, position).end()
        pieces.append((start, end))
    return pieces


def _ascii_word_spans(chars: np.ndarray, text_ends: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Where each word of ASCII letters and digits starts and ends, outside tags and foreign
    pieces; and the foreign pieces."""
    in_word = _word_chars(chars)
    tags = _tag_spans(chars, text_ends)
    _blank(in_word, tags[0], tags[1] + 1)
    pieces = _foreign_pieces(chars, tags)
    if pieces:
        _blank(in_word, *np.array(pieces, dtype=np.int64).T)
    apostrophes = np.flatnonzero(chars == _APOSTROPHE_BYTE)
    in_word[apostrophes] = in_word[apostrophes - 1] & in_word[apostrophes + 1]
    # The first and last bytes are no word's; a word starts after a byte that is not, and ends before one.
    before, after = in_word[:-1], in_word[1:]
    starts = np.flatnonzero(after > before)
    starts += 1
    ends = np.flatnonzero(after < before)
    ends += 1
    return starts, ends, pieces


def _batch_word_ids(texts: Sequence[str], index: WordIndex, settings: EncodingSettings) -> tuple[np.ndarray, np.ndarray]:
    """The ids of the words each text's row reads, all texts' one after another (int64), and how
    many each text has: ``_lookup(words(text, max_length - 1))`` for every text, at once."""
    chars, text_starts, text_ends = _one_byte_per_char(texts)
    starts, ends, pieces = _ascii_word_spans(chars, text_ends)
    bounds = np.append(text_starts, len(chars))
    counts = np.diff(np.searchsorted(starts, bounds))
    if pieces:
        piece_starts, piece_words = _words_of_pieces(pieces, texts, text_starts)
        at = np.searchsorted(starts, piece_starts)  # where a piece's words go among the others, in order
        counts += np.diff(np.searchsorted(piece_starts, bounds))
    room = settings.max_length - 1
    read = None
    if counts.max(initial=0) > room:
        first = np.cumsum(counts) - counts
        read = np.arange(counts.sum()) - np.repeat(first, counts) < room
        counts = np.minimum(counts, room)
    if not pieces:
        if read is not None:
            starts, ends = starts[read], ends[read]
        return _ascii_word_ids(chars, starts, ends, index, settings), counts
    ids = np.insert(_ascii_word_ids(chars, starts, ends, index, settings), at, _lookup(piece_words, index, settings))
    return (ids if read is None else ids[read]), counts


def _words_of_pieces(pieces: list[tuple[int, int]], texts: Sequence[str], text_starts: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Each foreign piece's words, by the full rules (as in `words`), and the piece's start for each."""
    text_of = (np.searchsorted(text_starts, [start for start, _ in pieces], side="right") - 1).tolist()
    offsets = text_starts.tolist()
    positions, found = [], []
    for (start, end), number in zip(pieces, text_of):
        piece_words = _words_of_piece(texts[number][start - offsets[number] : end - offsets[number]])
        found += piece_words
        positions += [start] * len(piece_words)
    return np.array(positions, dtype=np.int64), found


@functools.lru_cache(maxsize=1 << 16)  # the same few pieces come back: "café", "film\x96", "don’t"
def _words_of_piece(piece: str) -> tuple[str, ...]:
    return tuple(w.lower() if w.isascii() else _normalise_word(w) for w in _WORD.findall(piece))


# An ASCII word of up to 24 characters is looked up by its bytes, packed into one, two or three
# uint64 (little-endian, zero-filled: no word holds a zero byte), in an open-addressing table of
# the index's ASCII words (`_word_table`): the exact key, so no two words can ever be confused.
# Longer words are rare; they are looked up one by one.
_MOST_PACKED_CHARS = 24
_LOWER_CASE = np.uint64(0x2020202020202020)  # sets bit 5: A-Z become a-z; a-z, 0-9 and "'" have it
_FIRST_BYTES = np.array([(1 << 8 * size) - 1 for size in range(9)] + [0], dtype=np.uint64)  # [9]: none
# The bytes a key keeps of a word of each size (0 to 25: more than can be packed): the one-part
# key of a word of 1 to 8 characters (of a longer one, none), and the three parts of the others'.
_SHORT_BYTES = _FIRST_BYTES[np.minimum(np.arange(_MOST_PACKED_CHARS + 2), 9)]
_PART_BYTES = [_FIRST_BYTES[np.clip(np.arange(_MOST_PACKED_CHARS + 2) - 8 * part, 0, 8)] for part in range(3)]
_PART_MIXERS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def _ascii_word_ids(chars: np.ndarray, starts: np.ndarray, ends: np.ndarray, index: WordIndex,
                    settings: EncodingSettings) -> np.ndarray:
    """The id of each ASCII word ``chars[starts[i]:ends[i]]``, lower-cased; <UNK> if not in the index."""
    sizes = ends - starts
    windows = np.ndarray(shape=(len(chars) - 7,), dtype="<u8", buffer=chars, strides=(1,))
    # Words of 1 to 8 characters packed; longer ones become 0, which finds an empty slot: <UNK>
    # (they are looked up in the other table below, so none of them probes past its first slot).
    found = _probe(_word_table(index, settings.word_ids, 1), [_packed(windows, starts, sizes, _SHORT_BYTES)],
                   sizes <= 8)
    long = np.flatnonzero(sizes > 8)
    if not len(long):
        return found
    long_starts, long_sizes = starts[long], sizes[long]
    keys = [_packed(windows, long_starts + 8 * part, long_sizes, kept) for part, kept in enumerate(_PART_BYTES)]
    found[long] = _probe(_word_table(index, settings.word_ids, 3), keys)  # <UNK> for more than 24 characters
    ids = _ids_below(index, settings.word_ids)
    for number in long[long_sizes > _MOST_PACKED_CHARS].tolist():
        found[number] = ids.get(chars[starts[number] : ends[number]].tobytes().decode().lower(), UNK_ID)
    return found


def _packed(windows: np.ndarray, starts: np.ndarray, sizes: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """One part of each word's key: the 8 characters from `starts` lower-cased, and of them the
    bytes ``kept[size]`` keeps for a word of that many characters (`_SHORT_BYTES`, `_PART_BYTES`).
    Indexing, not `take`, which reads the unaligned words more slowly (6% of finding the words)."""
    key = windows[starts]
    key |= _LOWER_CASE  # in place, as the next: the arrays of a batch's words are each a megabyte or so
    key &= kept.take(np.minimum(sizes, _MOST_PACKED_CHARS + 1))
    return key


def _word_slots(keys: Sequence[np.ndarray], bits: int) -> np.ndarray:
    """Each packed word's first slot in a table of 2**bits: Fibonacci hashing of its parts mixed."""
    mixed = keys[0] * _PART_MIXERS[0]
    for key, mixer in zip(keys[1:], _PART_MIXERS[1:]):
        mixed ^= key * mixer
    return (mixed >> np.uint64(64 - bits)).view(np.int64)


def _probe(table: tuple[np.ndarray, int], wanted: Sequence[np.ndarray], probed: np.ndarray | None = None) -> np.ndarray:
    """Each wanted key's id in the table, <UNK> if absent: each round probes the next slot for the
    keys not yet settled, until each has met its key or an empty slot (key part 0 is never 0). A
    slot's key parts and id are one row of the table, so a probe reads one place in memory, not two.
    Where `probed` is False, a key is looked for in its first slot only (its id is not wanted):
    the long words' 0 would otherwise walk the run of full slots from slot 0, round after round."""
    slots, bits = table
    parts = len(wanted)
    slot = _word_slots(wanted, bits)
    found_rows = slots.take(slot, axis=0)
    key = found_rows[:, 0]
    hit = key == wanted[0]
    for column in range(1, parts):
        hit &= found_rows[:, column] == wanted[column]
    found = np.where(hit, found_rows[:, parts].view(np.int64), UNK_ID)
    going_on = ~hit & (key != 0)
    if probed is not None:
        going_on &= probed
    pending = np.flatnonzero(going_on)  # most words settle at the first slot
    slot = slot[pending]
    while len(pending):
        slot = (slot + 1) & ((1 << bits) - 1)
        found_rows = slots.take(slot, axis=0)
        key = found_rows[:, 0]
        hit = key == wanted[0][pending]
        for column in range(1, parts):
            hit &= found_rows[:, column] == wanted[column][pending]
        found[pending[hit]] = found_rows[hit, parts].view(np.int64)
        going_on = ~hit & (key != 0)
        pending, slot = pending[going_on], slot[going_on]
    return found


def _word_table(index: WordIndex, limit: int, parts: int) -> tuple[np.ndarray, int]:
    """The index's ASCII words (with ids below `limit`) of at most 8 (``parts=1``) or 9 to 24
    characters (``parts=3``), packed as `_ascii_word_ids` packs words, as a hash table: each
    slot's key parts and id, and its size in bits. Both tables are made at once, on first use."""
    tables = index.__dict__.setdefault("_word_tables", {})
    if (limit, parts) not in tables:
        keys, sizes, ids = _packed_entries(index, limit)
        short = sizes <= 8
        tables[limit, 1] = _hash_table([keys[0][short]], ids[short])
        tables[limit, 3] = _hash_table([key[~short] for key in keys], ids[~short])
    return tables[limit, parts]


def _packed_entries(index: WordIndex, limit: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The index's entries (with ids below `limit`) that could be ASCII words of at most 24
    characters, all a-z, 0-9 and "'", as three key parts (packed as `_ascii_word_ids` packs
    words, but not lower-cased: "Film" is never "film"), with their lengths and ids."""
    entries = _ids_below(index, limit)
    chars, starts, ends = _one_byte_per_char(list(entries))
    sizes = ends - starts
    foreign = ~((chars - ord("a") < 26) | (chars - ord("0") < 10) | (chars == _APOSTROPHE_BYTE))
    others = np.concatenate([[0], np.cumsum(foreign)])  # how many bytes before each are no word's
    chosen = np.flatnonzero((others[ends] == others[starts]) & (sizes <= _MOST_PACKED_CHARS))
    starts, sizes = starts[chosen], sizes[chosen]
    windows = np.ndarray(shape=(len(chars) - 7,), dtype="<u8", buffer=chars, strides=(1,))
    keys = [windows[starts + 8 * part] & _FIRST_BYTES[np.clip(sizes - 8 * part, 0, 8)] for part in range(3)]
    return keys, sizes, np.fromiter(entries.values(), dtype=np.int64, count=len(entries))[chosen]


def _hash_table(entry_keys: list[np.ndarray], entry_ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Keys (of one or more parts, part 0 never 0) and ids as an open-addressing table with linear
    probing, at most half full: a row per slot, of its key's parts and then its id (uint64).
    Built in rounds: in each, of the keys whose next slot is free, one per slot takes it (the
    first in the index, the most frequent, so the words met most settle at their first probe);
    the rest move on a slot."""
    bits = max(1, (2 * len(entry_ids)).bit_length())
    keys = [np.zeros(1 << bits, dtype=np.uint64) for _ in entry_keys]
    values = np.full(1 << bits, UNK_ID, dtype=np.int64)
    pending = np.arange(len(entry_ids))
    slot = _word_slots(entry_keys, bits)
    while len(pending):
        free = keys[0][slot] == 0
        taken, first = np.unique(slot[free], return_index=True)
        settled = np.flatnonzero(free)[first]
        for key, entry_key in zip(keys, entry_keys):
            key[taken] = entry_key[pending[settled]]
        values[taken] = entry_ids[pending[settled]]
        going_on = np.ones(len(pending), dtype=bool)
        going_on[settled] = False
        pending, slot = pending[going_on], (slot[going_on] + 1) & ((1 << bits) - 1)
    return np.column_stack([*keys, values.view(np.uint64)]), bits


def _padded(flat: np.ndarray, lengths: np.ndarray, settings: EncodingSettings) -> np.ndarray:
    """Ragged rows (`encode_ragged`) as one array, each row padded with <PAD> to the longest."""
    width = int(lengths.max(initial=1)) if settings.dynamic_length else settings.row_width
    if not settings.dynamic_length:
        return flat.reshape(len(lengths), width)
    batch = np.zeros((len(lengths), width), dtype=np.int32)
    batch[np.arange(width) < lengths[:, np.newaxis]] = flat  # row by row, as `flat` holds them
    return batch


def _ragged_rows(flat: np.ndarray, counts: np.ndarray, index: WordIndex,
                 settings: EncodingSettings) -> tuple[np.ndarray, np.ndarray]:
    """The rows (`model_row`) of texts whose word ids are `flat`, ``counts[i]`` (at most
    ``max_length - 1``) of them for text i, in the ragged form of `encode_ragged`.

    The n-grams of all neighbouring words of `flat` are found at once (some span two texts); each
    row is then <START> and slices of the words and of each size of n-gram, joined in one copy.
    """
    flat = np.asarray(flat, dtype=np.int64)
    columns = [flat, *_ngrams_of_neighbours(flat, index, settings)]
    start, padding = np.array([START_ID], dtype=np.int32), np.zeros(settings.row_width, dtype=np.int32)
    pieces, lengths = [], []
    for first, count in zip((np.cumsum(counts) - counts).tolist(), counts.tolist()):
        pieces.append(start)
        for size, ids in enumerate(columns, 1):
            pieces.append(ids[first : first + max(count - size + 1, 0)])
        length = 1 + sum(max(count - size + 1, 0) for size in range(1, len(columns) + 1))
        if not settings.dynamic_length:
            pieces.append(padding[: settings.row_width - length])
            length = settings.row_width
        lengths.append(length)
    rows = np.concatenate(pieces, dtype=np.int32) if pieces else np.zeros(0, dtype=np.int32)
    return rows, np.array(lengths, dtype=np.int64)


def encode_runs(texts: Sequence[str], index: WordIndex, settings: EncodingSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`encode_ragged`'s rows before they are joined: one int32 array of <PAD> (more than the
    longest row is long), <START>, the batch's word ids and each size of n-gram's ids (as
    `_ragged_rows` finds them), and for each text where each run its row is made of (<START>, its
    words, its pairs...) starts in that array and how long it is, ``[len(texts), 1 + ngrams]``
    each. `rows_of_runs` copies any texts' rows out of it, padded, in one pass: what a chunk of
    the model's input needs, without the ragged copy of every row first."""
    word_ids, counts = _batch_word_ids(texts, index, settings)
    flat = np.asarray(word_ids, dtype=np.int64)
    columns = [flat, *_ngrams_of_neighbours(flat, index, settings)]
    sizes = np.empty((len(counts), 1 + len(columns)), dtype=np.int64)
    sizes[:, 0] = 1  # <START>
    for size in range(1, len(columns) + 1):
        sizes[:, size] = np.maximum(counts - (size - 1), 0)  # as `model_row`: a text's n-grams of this size
    # Each row's <PAD>, up to the width of any chunk of them (`rows_of_runs`), is read from here, in one run.
    padding = int(sizes.sum(axis=1).max(initial=1)) + _MOST_ROWS_MULTIPLE
    ids = np.concatenate([np.zeros(padding, dtype=np.int32), np.array([START_ID], dtype=np.int32), *columns],
                         dtype=np.int32)
    firsts = np.cumsum(counts) - counts
    starts = np.empty_like(sizes)
    starts[:, 0] = padding
    offset = padding + 1
    for size, column in enumerate(columns, 1):
        starts[:, size] = offset + firsts
        offset += len(column)
    return ids, starts, sizes


_MOST_ROWS_MULTIPLE = 8


def rows_of_runs(runs: tuple[np.ndarray, np.ndarray, np.ndarray], chosen: np.ndarray, multiple: int = 1) -> np.ndarray:
    """The rows of texts `chosen` (positions in the batch `encode_runs` encoded), in that order,
    each padded with <PAD> to the longest of them: ``encode_batch`` of those texts.

    With `multiple`, they are the top left of an array of <PAD> whose rows and width are
    multiples of it (the returned view's ``base``): what `ModelBundle.raw_probabilities` runs
    (`aligned_rows`), made here in the same pass rather than by a copy of the rows."""
    ids, starts, sizes = runs
    count = len(chosen)
    if not count:
        return np.zeros((0, 1), dtype=np.int32)
    sizes = sizes[chosen]
    lengths = sizes.sum(axis=1)
    width = int(lengths.max())
    rows, columns = count + -count % multiple, width + -width % multiple
    if not 1 <= multiple <= _MOST_ROWS_MULTIPLE:
        raise ValueError(f"rows can be padded to a multiple of 1 to {_MOST_ROWS_MULTIPLE}, not {multiple}")
    # Each row is its runs, then a run of <PAD> to the width (rows beyond the texts are all <PAD>),
    # each run a slice of `ids`, joined in one copy: a few hundred slices a chunk, where a place
    # by place gather (an index for each id) took twice as long.
    run_ends = np.zeros((rows, sizes.shape[1] + 1), dtype=np.int64)
    run_ends[:count, :-1] = sizes
    run_ends[:count, -1] = columns - lengths
    run_ends[count:, -1] = columns
    run_starts = np.zeros_like(run_ends)  # the <PAD> runs start at ids[0]
    run_starts[:count, :-1] = starts[chosen]
    run_ends += run_starts
    padded = np.empty((rows, columns), dtype=np.int32)  # its own memory: the view's base
    np.concatenate(list(map(ids.__getitem__, map(slice, run_starts.ravel().tolist(), run_ends.ravel().tolist()))),
                   out=padded.reshape(-1))
    return padded if padded.shape == (count, width) else padded[:count, :width]


def _ngrams_of_neighbours(flat: np.ndarray, index: WordIndex, settings: EncodingSettings) -> list[np.ndarray]:
    """For each n-gram size from 2: the id of the n-gram starting at each word of `flat` that has
    enough words after it (as `ngram_bucket_ids` or the index's pairs give them)."""
    if settings.ngrams == 1:
        return []
    if not settings.ngram_buckets:
        return [_pair_id_array(flat[:-1], flat[1:], index, settings)]
    ids = flat.view(np.uint64)
    unknown_word = ids == UNK_ID
    key = (ids[:-1] << _NGRAM_KEY_SHIFTS[0]) | (ids[1:] << _NGRAM_KEY_SHIFTS[1])
    unknown = unknown_word[:-1] | unknown_word[1:]
    found = [_bucket_ids(key.copy() if settings.ngrams == 3 else key, unknown, settings)]
    if settings.ngrams == 3:  # a triple's key is its first pair's, with the third word's id in the low bits
        found.append(_bucket_ids(key[:-1] | ids[2:], unknown[:-1] | unknown_word[2:], settings))
    return found


def _rows_of_word_ids(flat: np.ndarray, counts: np.ndarray, index: WordIndex, settings: EncodingSettings) -> np.ndarray:
    """The rows of texts whose word ids are `flat`, ``counts[i]`` of them for text i."""
    return _padded(*_ragged_rows(flat, counts, index, settings), settings)


def rows_without_each_word(word_ids: Sequence[int], index: WordIndex, settings: EncodingSettings) -> np.ndarray:
    """The text's own row, then one row per word read with that word left out.

    Row ``1 + i`` equals ``model_row(read[:i] + read[i + 1:])`` (padded to the width of row 0),
    where ``read`` is the ids of the words the text's row reads: leaving a word out never pulls
    in a word that was cut. Built with array indexing rather than `model_row` per word, which
    would take longer than running the network on all the rows.
    """
    own, kept = model_row(word_ids, index, settings)
    if settings.ngram_buckets:
        return _rows_without_each_hashed_word(np.asarray(word_ids[:kept], dtype=np.int64), own, index, settings)
    read = np.asarray(word_ids[:kept], dtype=np.int32)
    rows = np.full((1 + kept, len(own)), PAD_ID, dtype=np.int32)
    rows[0] = own
    if kept == 0:
        return rows
    rows[1:, 0] = START_ID
    left_out = np.arange(kept)[:, np.newaxis]
    columns = np.arange(kept - 1)[np.newaxis, :]
    # Leaving out word i: the words after it move one place to the left.
    rows[1:, 1:kept] = read[columns + (columns >= left_out)]
    if settings.ngrams == 2 and kept >= 3:
        listed = read.tolist()
        pairs = np.asarray(_pair_ids(listed, listed[1:], index, settings), dtype=np.int32)
        bridges = np.full(kept, PAD_ID, dtype=np.int32)  # pair (i - 1, i + 1), made by leaving out i
        bridges[1:-1] = _pair_ids(listed[:-2], listed[2:], index, settings)
        columns = np.arange(kept - 2)[np.newaxis, :]
        shifted = pairs[columns + (columns >= left_out)]
        rows[1:, kept : 2 * kept - 2] = np.where(columns == left_out - 1, bridges[:, np.newaxis], shifted)
    return rows


def _rows_without_each_hashed_word(read: np.ndarray, own: np.ndarray, index: WordIndex,
                                   settings: EncodingSettings) -> np.ndarray:
    """`rows_without_each_word` for hashed n-grams: every shortened text encoded as one batch."""
    kept = len(read)
    rows = np.full((1 + kept, len(own)), PAD_ID, dtype=np.int32)
    rows[0] = own
    if kept:
        keep = ~np.eye(kept, dtype=bool)  # row i: every word but word i
        shorter = _rows_of_word_ids(np.tile(read, kept)[keep.reshape(-1)], np.full(kept, kept - 1), index, settings)
        rows[1:, : shorter.shape[1]] = shorter[:, : len(own)]
    return rows


def decode(ids: Iterable[int], index: WordIndex, *, skip_padding: bool = True) -> str:
    """Ids back to words, like the tutorial's ``decode_review``; unknown words show as <UNK>
    (`WordIndex.word_of` for each id, looked up in one table: the app decodes every review)."""
    ids = ids if isinstance(ids, np.ndarray) else list(ids)
    try:
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    except (OverflowError, TypeError, ValueError):  # ids no int64 holds: one by one
        return " ".join(index.word_of(int(i)) for i in ids if not (skip_padding and int(i) == PAD_ID))
    if skip_padding:
        ids = ids[ids != PAD_ID]
    table = index._decode_table()
    unknown = len(table) - 1  # the table's last entry is <UNK>, for every id beyond the index
    return " ".join(table[np.where((ids >= 0) & (ids < unknown), ids, unknown)].tolist())



def build_word_index(texts: Iterable[str], settings: EncodingSettings) -> WordIndex:
    """Count words (and, with ``ngrams=2``, pairs of neighbouring words) over the training texts;
    keep the most frequent that fit in vocab_size. Ties go to words before pairs, then
    alphabetically, so a pair's two words always rank before it."""
    counts: Counter[str] = Counter()
    pairs_in_index = settings.ngrams == 2 and not settings.ngram_buckets
    for text in texts:
        text_words = words(text)
        counts.update(text_words)
        if pairs_in_index:
            counts.update(f"{a} {b}" for a, b in zip(text_words, text_words[1:]))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], " " in item[0], item[0]))
    room = settings.word_ids - FIRST_WORD_ID
    kept: dict[str, None] = {}
    for entry, _ in ranked:
        if len(kept) == room:
            break
        if _can_be_read(entry.split(" "), kept, settings):
            kept[entry] = None
    return WordIndex(tuple(kept))


def _can_be_read(parts: list[str], kept: Mapping[str, None], settings: EncodingSettings) -> bool:
    """An entry `WordIndex.check_matches_contract` accepts: one word, or (with pairs) two words
    already kept. A word whose NFKC form holds spaces ("ﷺ") is neither, and is left out."""
    if len(parts) > settings.ngrams or not all(_tokenises_to_itself(part) for part in parts):
        return False
    return len(parts) == 1 or all(part in kept for part in parts)


def _tokenises_to_itself(word: str) -> bool:
    """False for the rare word whose normal form the contract would split again (NFKC turns
    "½" into "1⁄2"): the index leaves it out, as `WordIndex.check_matches_contract` requires."""
    return [t.text for t in tokenise(word)] == [word]
