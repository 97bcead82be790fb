"""Shrink the ICU data library that PySide6's Linux wheels ship (32 MB) to what this app can use.

Qt Core links ICU, but an English-language app uses ICU only for collation (sorting text) and
the root/English locale data; the break-iterator dictionaries, transliterators, unit, currency,
language and region names for 800 locales and the large CJK converters are never asked for.
Whatever is missing, ICU reports as a missing resource and Qt falls back; it never crashes.

ICU's data library holds one "common data" package (ICU's `CmnD` format: a header, a sorted
table of contents of item names and offsets, then the items) behind the symbol `icudtNN_dat`.
This module filters that package and assembles a new library with the same name and symbol.
It needs a C compiler driver (`cc`), as any Linux build machine has. Used by build.spec.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

ALIGNMENT = 16  # ICU items are 16-byte aligned; the package itself is too
DROPPED_FOLDERS = {"brkitr", "curr", "lang", "rbnf", "region", "translit", "unit", "zone"}
KEPT_COLLATIONS = {"root.res", "ucadata.icu", "res_index.res"}
LARGEST_CONVERTER = 64 * 1024  # keeps single-byte code pages (Windows, ISO, KOI8); drops the CJK tables
# Character names (u_charName), StringPrep profiles and the spoof checker: ICU APIs Qt never calls.
DROPPED_SUFFIXES = (".spp", ".cfu", "unames.icu")
LOCALE_RES = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")


@dataclass(frozen=True)
class Item:
    name: str  # e.g. "icudt73l/coll/root.res"
    data: bytes


def is_kept(name: str, size: int) -> bool:
    """The ICU items an English-language Qt app can ask for."""
    parts = name.split("/")[1:]  # drop the "icudt73l" package prefix
    basename = parts[-1]
    if basename.endswith(DROPPED_SUFFIXES):
        return False
    if len(parts) > 1:
        folder = parts[0]
        if folder in DROPPED_FOLDERS:
            return False
        if folder == "coll":
            return basename in KEPT_COLLATIONS or basename.startswith("en")
        return True
    if basename.endswith(".cnv"):
        return size <= LARGEST_CONVERTER
    if LOCALE_RES.match(basename):
        return basename == "root.res" or basename.startswith("en")
    return True


def read_package(library: Path) -> tuple[str, bytes, list[Item]]:
    """(symbol name, package header, items) of the common data package inside an ICU data library."""
    symbol, offset = _data_symbol(library)
    blob = library.read_bytes()
    header_size, magic1, magic2 = struct.unpack_from("<HBB", blob, offset)
    if (magic1, magic2) != (0xDA, 0x27) or blob[offset + 12 : offset + 16] != b"CmnD":
        raise ValueError(f"{library}: {symbol} is not an ICU common data package")
    toc = offset + header_size
    (count,) = struct.unpack_from("<I", blob, toc)
    entries = [struct.unpack_from("<II", blob, toc + 4 + 8 * i) for i in range(count)]
    package_end = offset + _symbol_size(library, symbol)
    items = []
    for i, (name_offset, data_offset) in enumerate(entries):
        name_end = blob.index(b"\0", toc + name_offset)
        end = toc + entries[i + 1][1] if i + 1 < count else package_end
        items.append(Item(blob[toc + name_offset : name_end].decode("ascii"), blob[toc + data_offset : end]))
    return symbol, blob[offset:toc], items


def write_package(header: bytes, items: list[Item]) -> bytes:
    """A common data package holding items (already sorted by name, as ICU's binary search needs)."""
    names = b"".join(item.name.encode("ascii") + b"\0" for item in items)
    table_size = 4 + 8 * len(items)
    first_data = _aligned(table_size + len(names))
    name_offsets, data_offsets = [], []
    name_offset, data_offset = table_size, first_data
    for item in items:
        name_offsets.append(name_offset)
        data_offsets.append(data_offset)
        name_offset += len(item.name) + 1
        data_offset = _aligned(data_offset + len(item.data))
    table = struct.pack("<I", len(items)) + b"".join(
        struct.pack("<II", n, d) for n, d in zip(name_offsets, data_offsets))
    body = bytearray(table + names)
    for item, start in zip(items, data_offsets):
        body.extend(b"\xaa" * (start - len(body)))  # ICU's own padding byte
        body.extend(item.data)
    return header + bytes(body)


def trimmed_icu_library(library: Path, workdir: Path) -> Path:
    """Build a smaller copy of `library` (libicudataNN) in workdir and return its path."""
    symbol, header, items = read_package(library)
    kept = [item for item in items if is_kept(item.name, len(item.data))]
    workdir.mkdir(parents=True, exist_ok=True)
    package = workdir / "icudata.dat"
    package.write_bytes(write_package(header, kept))
    source = workdir / "icudata.S"
    source.write_text(
        "\t.section .rodata\n"
        f"\t.globl {symbol}\n\t.type {symbol}, @object\n\t.balign {ALIGNMENT}\n"
        f"{symbol}:\n\t.incbin \"{package}\"\n\t.size {symbol}, . - {symbol}\n"
        "\t.section .note.GNU-stack,\"\",@progbits\n",
        encoding="ascii",
    )
    output = workdir / library.name
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise RuntimeError("no C compiler (cc) to assemble the trimmed ICU data library")
    subprocess.run([compiler, "-shared", "-nostdlib", f"-Wl,-soname,{library.name}", "-o", str(output),
                    str(source)], check=True)
    return output


def _data_symbol(library: Path) -> tuple[str, int]:
    """The icudtNN_dat symbol and its file offset."""
    for name, value, _size in _dynamic_symbols(library):
        if re.fullmatch(r"icudt\d+_dat", name):
            return name, _file_offset(library, value)
    raise ValueError(f"{library}: no icudtNN_dat symbol; not an ICU data library")


def _symbol_size(library: Path, symbol: str) -> int:
    for name, _value, size in _dynamic_symbols(library):
        if name == symbol:
            return size
    raise ValueError(f"{library}: no symbol {symbol}")


def _dynamic_symbols(library: Path) -> list[tuple[str, int, int]]:
    out = subprocess.run(["readelf", "--dyn-syms", "-W", str(library)], check=True,
                         capture_output=True, text=True).stdout
    symbols = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[0][:-1].isdigit() and fields[6] != "UND":
            symbols.append((fields[7], int(fields[1], 16), int(fields[2], 0)))
    return symbols


def _file_offset(library: Path, address: int) -> int:
    """Map a virtual address to a file offset through the section that holds it."""
    out = subprocess.run(["readelf", "-S", "-W", str(library)], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        match = re.search(r"\]\s+(\S+)\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if match:
            start, offset, size = (int(match.group(i), 16) for i in (2, 3, 4))
            if start <= address < start + size:
                return address - start + offset
    raise ValueError(f"{library}: address {address:#x} is in no PROGBITS section")


def _aligned(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
