"""Names and texts made safe to show: on a terminal, in a dialog, or in a written record.

A file name can hold bytes that are not UTF-8 (Python keeps them as lone surrogates) and
characters that drive a terminal (ESC sequences can rewrite the screen or the window title).
Both are shown escaped, so what a person reads is what is on disk, and nothing reaches a
terminal raw or makes an encoder fail.
"""

from __future__ import annotations

import os


def shown(text: object) -> str:
    r"""`text` with control characters, format characters (bidi overrides) and undecodable bytes
    escaped: ``"a\x1b[2Jb"`` is shown as ``a\x1b[2Jb``, the byte 0xE9 of a cp1252 name as ``\xe9``."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(map(_shown_character, text))


def _shown_character(character: str) -> str:
    if character.isprintable() or character == " ":
        return character
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def writable_name(name: str) -> str:
    """A path as text that any UTF-8 writer accepts: bytes that were not UTF-8 become ``\\xNN``."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
