"""What the build ships besides the code: icons every desktop can read, a launcher entry the
install script writes correctly, and an ICU data library that ICU itself still accepts."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "packaging" / "icons"
INSTALL = ROOT / "packaging" / "linux" / "install-desktop-entry.sh"
sys.path.insert(0, str(ROOT / "packaging"))

import trim_icu  # noqa: E402

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux packaging")


# Icons

def test_the_ico_holds_every_windows_size_as_png_and_qt_reads_it(qapp):
    from PySide6.QtGui import QImageReader

    data = (ICONS / "review-sentiment.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1)
    sizes = []
    for i in range(count):
        width, _, _, _, _, _, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        assert data[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
        assert offset + length <= len(data)
        sizes.append(width or 256)
    assert sizes == [16, 24, 32, 48, 64, 128, 256]
    reader = QImageReader(str(ICONS / "review-sentiment.ico"))
    if reader.canRead():  # the qico plugin is there in a full PySide6 install
        assert reader.imageCount() == 7


def test_the_icns_chunks_add_up_and_hold_pngs():
    data = (ICONS / "review-sentiment.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    offset, kinds = 8, []
    while offset < len(data):
        kind, length = data[offset : offset + 4].decode(), struct.unpack(">I", data[offset + 4 : offset + 8])[0]
        assert data[offset + 8 : offset + 16] == b"\x89PNG\r\n\x1a\n"
        kinds.append(kind)
        offset += length
    assert offset == len(data)
    assert {"ic07", "ic08", "ic09", "ic10"} <= set(kinds)


def test_each_png_is_the_size_its_name_says(qapp):
    from PySide6.QtGui import QImage

    for size in (16, 32, 48, 128, 256, 512):
        image = QImage(str(ICONS / f"review-sentiment-{size}.png"))
        assert (image.width(), image.height()) == (size, size)
        corner, centre = image.pixelColor(0, 0), image.pixelColor(size // 2, size // 2)
        assert corner.alpha() == 0 and centre.alpha() == 255  # rounded tile on transparency


# The Linux launcher entry

def _desktop_entry(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line and not line.startswith("#"))


def _exec_argv(value: str) -> list[str]:
    """Exec as the Desktop Entry Specification has launchers read it: undo the string escape
    (\\\\ is one backslash), then split on spaces; inside double quotes a backslash escapes
    one of  " ` $ \\ ."""
    value = value.replace("\\\\", "\\")
    argv, i = [], 0
    while i < len(value):
        if value[i] == " ":
            i += 1
            continue
        if value[i] != '"':
            end = value.find(" ", i)
            end = len(value) if end < 0 else end
            argv.append(value[i:end])
            i = end
            continue
        arg, i = "", i + 1
        while value[i] != '"':
            if value[i] == "\\" and value[i + 1] in '"`$\\':
                i += 1
            arg += value[i]
            i += 1
        argv.append(arg)
        i += 1
    return argv


@linux_only
def test_install_points_the_entry_at_the_binary_even_with_awkward_characters(tmp_path):
    binary = tmp_path / "my apps" / "it's $HOME" / "review-sentiment"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    data = tmp_path / "share"
    run = subprocess.run(["bash", str(INSTALL), str(binary)], env=dict(os.environ, XDG_DATA_HOME=str(data)),
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    entry = _desktop_entry(data / "applications" / "review-sentiment.desktop")
    assert _exec_argv(entry["Exec"]) == [str(binary), "%f"]
    assert entry["TryExec"] == str(binary)
    assert entry["Icon"] == "review-sentiment" and entry["Name"] == "Review Sentiment"
    assert entry["Terminal"] == "false"
    for size in (16, 48, 256, 512):
        installed = data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "review-sentiment.png"
        assert installed.read_bytes() == (ICONS / f"review-sentiment-{size}.png").read_bytes()

    run = subprocess.run(["bash", str(INSTALL), "--uninstall"], env=dict(os.environ, XDG_DATA_HOME=str(data)),
                         capture_output=True, text=True)
    assert run.returncode == 0
    assert not [p for p in data.rglob("*") if p.is_file() and "review-sentiment" in p.name]


@linux_only
def test_install_refuses_a_missing_binary_and_writes_nothing(tmp_path):
    data = tmp_path / "share"
    run = subprocess.run(["bash", str(INSTALL), str(tmp_path / "nowhere" / "review-sentiment")],
                         env=dict(os.environ, XDG_DATA_HOME=str(data)), capture_output=True, text=True)
    assert run.returncode == 1
    assert "is not an executable file" in run.stderr and "scripts/build_app.sh" in run.stderr
    assert not data.exists()


# ICU data trimming

def _icu_library_folder() -> Path | None:
    import PySide6

    folder = Path(PySide6.__file__).parent / "Qt" / "lib"
    return folder if list(folder.glob("libicudata.so.*")) else None


needs_icu = pytest.mark.skipif(not sys.platform.startswith("linux") or _icu_library_folder() is None,
                               reason="PySide6's Linux wheels ship ICU")


@pytest.mark.parametrize("name, kept", [
    ("icudt73l/coll/root.res", True),
    ("icudt73l/coll/ucadata.icu", True),
    ("icudt73l/coll/en_US.res", True),
    ("icudt73l/coll/sv.res", False),
    ("icudt73l/root.res", True),
    ("icudt73l/en_GB.res", True),
    ("icudt73l/de.res", False),
    ("icudt73l/zh_Hant_HK.res", False),
    ("icudt73l/likelySubtags.res", True),
    ("icudt73l/supplementalData.res", True),
    ("icudt73l/nfkc.nrm", True),
    ("icudt73l/brkitr/cjdict.dict", False),
    ("icudt73l/translit/root.res", False),
    ("icudt73l/unames.icu", False),
])
def test_which_icu_items_an_english_qt_app_keeps(name, kept):
    assert trim_icu.is_kept(name, 10_000) is kept


def test_large_converters_go_and_single_byte_ones_stay():
    assert trim_icu.is_kept("icudt73l/ibm-5348_P100-1997.cnv", 3_000)
    assert not trim_icu.is_kept("icudt73l/gb18030.cnv", 230_000)


@needs_icu
def test_writing_back_every_item_reproduces_the_package_byte_for_byte():
    library = next(_icu_library_folder().glob("libicudata.so.*"))
    symbol, header, items = trim_icu.read_package(library)
    offset = trim_icu._data_symbol(library)[1]
    original = library.read_bytes()[offset : offset + trim_icu._symbol_size(library, symbol)]
    assert trim_icu.write_package(header, items) == original


PROBE = r"""
import ctypes, sys
icu = ctypes.CDLL(sys.argv[1] + "/" + sys.argv[2])
version = sys.argv[3]
collator = getattr(icu, f"ucol_open_{version}")
collator.restype = ctypes.c_void_p
status = ctypes.c_int(0)
en = collator(b"en_US", ctypes.byref(status))
en_status = status.value
order = getattr(icu, f"ucol_strcollUTF8_{version}")
order.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]
status = ctypes.c_int(0)
less = order(en, "\u00e9clair".encode(), -1, b"Zebra", -1, ctypes.byref(status))
status = ctypes.c_int(0)
collator(b"sv_SE", ctypes.byref(status))
print(en_status, less, status.value)
"""


@needs_icu
@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None, reason="needs a C compiler")
def test_icu_still_collates_english_with_the_trimmed_data(tmp_path):
    folder = _icu_library_folder()
    data = next(folder.glob("libicudata.so.*"))
    for name in (f"libicuuc.so.{data.suffix[1:]}", f"libicui18n.so.{data.suffix[1:]}"):
        shutil.copy(folder / name, tmp_path / name)
    trimmed = trim_icu.trimmed_icu_library(data, tmp_path / "work")
    shutil.copy(trimmed, tmp_path / data.name)
    assert trimmed.stat().st_size < data.stat().st_size / 5
    kept = {item.name for item in trim_icu.read_package(trimmed)[2]}
    package = next(iter(kept)).split("/")[0]  # icudt73l for ICU 73
    assert f"{package}/coll/ucadata.icu" in kept and f"{package}/coll/sv.res" not in kept

    probe = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path), f"libicui18n.so.{data.suffix[1:]}",
                            data.suffix[1:]], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    en_status, less, sv_status = (int(v) for v in probe.stdout.split())
    assert en_status <= 0  # U_ZERO_ERROR or a warning: English collation opened from the trimmed data
    assert less == -1  # UCOL_LESS: "éclair" sorts before "Zebra", as the full data says
    assert sv_status == -127  # U_USING_DEFAULT_WARNING: Swedish falls back to the root order
