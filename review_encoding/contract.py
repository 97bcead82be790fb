"""Normalise, tokenise, map words to ids, pad/truncate and decode: the one implementation.

Both `trainer/` (to build the word index and encode training data) and `desktop/` (to encode what
a user pastes) call these functions, so there is no second copy that could drift.

The contract, in words:

1. HTML tags such as the ``<br />`` that IMDB reviews are full of become spaces.
2. A word is a run of letters, combining marks and digits, optionally joined by apostrophes
   (``don't``, ``l'amour``). Everything else (punctuation, emoji, symbols) separates words.
3. Each word is normalised with Unicode NFKC, then case-folded, and curly apostrophes become
   straight ones. ``Café``, ``CAFÉ`` and ``cafe\\u0301`` are all ``café``.
4. Ids: ``<PAD>``=0, ``<START>``=1, ``<UNK>``=2, ``<UNUSED>``=3, words from 4 by descending
   training frequency (ties broken alphabetically), up to ``vocab_size`` ids in all.
5. A sequence is ``<START>`` followed by the word ids; it is cut after ``max_length`` ids
   (the end of a long review is dropped) and padded with ``<PAD>`` after the words.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from itertools import repeat

import numpy as np
import regex

__all__ = [
    "CONTRACT_VERSION", "PAD", "START", "UNK", "UNUSED", "RESERVED_TOKENS",
    "PAD_ID", "START_ID", "UNK_ID", "UNUSED_ID", "FIRST_WORD_ID",
    "Token", "EncodingSettings", "WordIndex", "EncodedText",
    "tokenise", "words", "normalise", "pad_truncate", "encode", "encode_batch", "decode",
    "build_word_index",
]

CONTRACT_VERSION = 1

PAD, START, UNK, UNUSED = "<PAD>", "<START>", "<UNK>", "<UNUSED>"
RESERVED_TOKENS = (PAD, START, UNK, UNUSED)
PAD_ID, START_ID, UNK_ID, UNUSED_ID = range(len(RESERVED_TOKENS))
FIRST_WORD_ID = len(RESERVED_TOKENS)

_TAG = regex.compile(r"<[^<>]{0,200}>")
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+(?:['\u2019\u02bc][\p{L}\p{M}\p{N}]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})


@dataclass(frozen=True)
class Token:
    """One word of a text: its normalised form and where it stands in the original string."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class EncodingSettings:
    """How text becomes a fixed-length row of ids. Stored in every model bundle."""

    vocab_size: int = 10_000
    max_length: int = 256
    contract_version: int = CONTRACT_VERSION

    def __post_init__(self) -> None:
        if not isinstance(self.vocab_size, int) or self.vocab_size <= FIRST_WORD_ID:
            raise ValueError(
                f"vocab_size must be a whole number above {FIRST_WORD_ID} (the reserved ids "
                f"{', '.join(RESERVED_TOKENS)} take 0-{FIRST_WORD_ID - 1}); got {self.vocab_size!r}"
            )
        if not isinstance(self.max_length, int) or self.max_length < 2:
            raise ValueError(
                "max_length must be at least 2 (one <START> id and one word); "
                f"got {self.max_length!r}"
            )
        if self.contract_version != CONTRACT_VERSION:
            raise ValueError(
                f"this model was encoded with text contract version {self.contract_version}, "
                f"but this program implements version {CONTRACT_VERSION}; "
                "use a matching version of the program or retrain the model"
            )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> EncodingSettings:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown encoding settings: {', '.join(sorted(unknown))}")
        return cls(**dict(data))


@dataclass(frozen=True)
class WordIndex:
    """The vocabulary: word <-> id, with the four reserved ids first."""

    words: tuple[str, ...]
    _ids: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids: dict[str, int] = {}
        for position, word in enumerate(self.words):
            if not isinstance(word, str) or not word:
                raise ValueError(f"word index entry {position} is empty or not text")
            if word in ids:
                raise ValueError(f"word index lists {word!r} twice")
            ids[word] = FIRST_WORD_ID + position
        object.__setattr__(self, "_ids", ids)

    def __len__(self) -> int:
        """Number of ids, reserved ones included."""
        return FIRST_WORD_ID + len(self.words)

    def id_of(self, word: str) -> int:
        return self._ids.get(word, UNK_ID)

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

    def check_matches_contract(self) -> None:
        """Every entry must be a word this contract can produce, or it could never be looked up."""
        for position, word in enumerate(self.words):
            if [t.text for t in tokenise(word)] != [word]:
                raise ValueError(
                    f"word index entry {FIRST_WORD_ID + position} ({word!r}) is not a normalised "
                    "word of this text contract; the index was built with different rules"
                )


@dataclass(frozen=True)
class EncodedText:
    """A text as the model sees it."""

    tokens: list[Token]
    """Every word of the text, in order."""
    token_ids: list[int]
    """The id of each word (``UNK_ID`` for words the model does not know)."""
    ids: np.ndarray
    """The model's input row: ``max_length`` int32 ids, <START> first, padded or cut."""
    kept: int
    """How many words fit in the row; words from ``tokens[kept:]`` on were cut."""

    @property
    def truncated(self) -> bool:
        return self.kept < len(self.tokens)

    @property
    def known(self) -> int:
        return sum(1 for i in self.token_ids if i != UNK_ID)


def _strip_tags(text: str) -> str:
    """Blank out HTML tags, keeping every other character where it was."""
    return _TAG.sub(lambda m: " " * len(m.group()), text)


def _normalise_word(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold().translate(_APOSTROPHES)


def tokenise(text: str) -> list[Token]:
    """Split text into normalised words, each with its span in the original string."""
    return [
        Token(_normalise_word(m.group()), m.start(), m.end())
        for m in _WORD.finditer(_strip_tags(text))
    ]


# `words` without a regex match per word: the same words, two to three times as fast. On ASCII,
# \p{L} is [A-Za-z], \p{N} is [0-9], \p{M} is empty and the only apostrophe is "'"; so ASCII
# text is lower-cased and split with str methods, and only the whitespace-separated pieces that
# hold other characters go through the full rules (a word never spans whitespace).
_ASCII_TAG = re.compile(_TAG.pattern)
_ASCII_FOLD = str.maketrans({c: chr(c).lower() if chr(c).isalnum() or chr(c) == "'" else " " for c in range(128)}
                            | {c: " " for c in range(128, 0x3001) if chr(c).isspace()})
_LOOSE_APOSTROPHE = re.compile(r"'(?![a-z0-9])|(?<![a-z0-9])'")
_PIECE_WITH_NON_ASCII = re.compile(r"(?<!\S)\S*?[^\x00-\x7f]\S*")


def _fold_ascii(text: str) -> list[str]:
    """The words of tag-free text whose words are all ASCII."""
    text = text.translate(_ASCII_FOLD)  # lower-case; every character but a-z, 0-9 and ' separates
    if "'" in text:  # an apostrophe between two word characters joins them; any other separates
        if "''" in text:
            text = _LOOSE_APOSTROPHE.sub(" ", text)
        else:
            text = f" {text} ".replace(" '", "  ").replace("' ", "  ")
    return text.split()


def words(text: str) -> list[str]:
    """The normalised words of a text: ``[t.text for t in tokenise(text)]``, faster."""
    stripped = _ASCII_TAG.sub(" ", text) if "<" in text else text
    if stripped.isascii():
        return _fold_ascii(stripped)
    found: list[str] = []
    position = 0
    for piece in _PIECE_WITH_NON_ASCII.finditer(stripped):
        found += _fold_ascii(stripped[position : piece.start()])
        found += [w.lower() if w.isascii() else _normalise_word(w) for w in _WORD.findall(piece.group())]
        position = piece.end()
    found += _fold_ascii(stripped[position:])
    return found


def normalise(text: str) -> str:
    """The text as the model reads it: its normalised words joined by single spaces."""
    return " ".join(words(text))


def pad_truncate(word_ids: Sequence[int], settings: EncodingSettings) -> tuple[np.ndarray, int]:
    """<START> + ids, cut or padded to ``max_length``. Returns the row and how many words fit."""
    row = np.full(settings.max_length, PAD_ID, dtype=np.int32)
    kept = min(len(word_ids), settings.max_length - 1)
    row[0] = START_ID
    row[1 : 1 + kept] = word_ids[:kept]
    return row, kept


def _lookup(word_list: Iterable[str], index: WordIndex, settings: EncodingSettings) -> list[int]:
    ids = index._ids
    limit = settings.vocab_size
    if len(index) <= limit:  # every id fits (as in any bundle): no need to check each one
        return list(map(ids.get, word_list, repeat(UNK_ID)))
    return [i if (i := ids.get(w, UNK_ID)) < limit else UNK_ID for w in word_list]


def encode(text: str, index: WordIndex, settings: EncodingSettings) -> EncodedText:
    """Encode one text, keeping everything needed to explain the verdict."""
    tokens = tokenise(text)
    token_ids = _lookup((t.text for t in tokens), index, settings)
    row, kept = pad_truncate(token_ids, settings)
    return EncodedText(tokens=tokens, token_ids=token_ids, ids=row, kept=kept)


def encode_batch(texts: Sequence[str], index: WordIndex, settings: EncodingSettings) -> np.ndarray:
    """Encode many texts into an int32 array [len(texts), max_length]: the fast path."""
    batch = np.zeros((len(texts), settings.max_length), dtype=np.int32)
    batch[:, 0] = START_ID
    room = settings.max_length - 1
    for row, text in enumerate(texts):
        ids = _lookup(words(text)[:room], index, settings)
        batch[row, 1 : 1 + len(ids)] = ids
    return batch


def decode(ids: Iterable[int], index: WordIndex, *, skip_padding: bool = True) -> str:
    """Ids back to words, like the tutorial's ``decode_review``; unknown words show as <UNK>."""
    return " ".join(
        index.word_of(int(i)) for i in ids if not (skip_padding and int(i) == PAD_ID)
    )


def build_word_index(texts: Iterable[str], settings: EncodingSettings) -> WordIndex:
    """Count words over the training texts; keep the most frequent that fit in vocab_size."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(words(text))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    room = settings.vocab_size - FIRST_WORD_ID
    return WordIndex(tuple(word for word, _ in ranked[:room]))
