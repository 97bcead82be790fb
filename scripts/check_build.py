"""Check a built app folder: nothing of the trainer's stack inside, the model bundled, within budget.

    .venv-build/bin/python scripts/check_build.py dist/review-sentiment [--budget-mb 150]

Looks at every file in the folder and at every module inside the executable's archive (pure
Python modules live there, not as files), so a TensorFlow that slipped in either way is found.
Prints the size as `du` counts it. Exits 1 with one line per problem, 0 when all is well.
Needs PyInstaller (the build environment has it) to read the executable's archive.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

# The trainer's stack and the heavy libraries the app must never carry.
FORBIDDEN = ("tensorflow", "keras", "tf2onnx", "onnx", "matplotlib", "pandas", "trainer")
# Shared libraries those packages bring under other names.
FORBIDDEN_LIBRARY_PREFIXES = ("libtensorflow", "_pywrap_tensorflow", "libonnx_proto")
# Qt parts the spec leaves out; finding them means the trimming stopped working.
UNWANTED_QT = ("translations", "qml", "libQt6Network", "libQt6Qml", "libQt6Quick", "libQt6Pdf",
               "libQt6WebEngine")
BUDGET_MB = 168  # issue 10: `du -sm dist` <= 160 (MiB), i.e. 167.8 MB, with the 18 MB trigram-nb bundle


def _token(name: str) -> str:
    """A file or folder name reduced to the package it names: 'pandas-2.2.dist-info' -> 'pandas'."""
    return re.split(r"[.\-]", name.lower(), maxsplit=1)[0]


def forbidden_files(app: Path) -> list[str]:
    """Paths inside the app that belong to a forbidden package."""
    found = []
    for path in sorted(app.rglob("*")):
        name = path.name
        if _token(name) in FORBIDDEN or name.lower().startswith(FORBIDDEN_LIBRARY_PREFIXES):
            found.append(str(path.relative_to(app)))
    return _outermost(found)


def forbidden_modules(module_names: list[str]) -> list[str]:
    """Top-level forbidden packages among the modules frozen into the executable."""
    return sorted({name.split(".")[0] for name in module_names if name.split(".")[0].lower() in FORBIDDEN})


def unwanted_qt_files(app: Path) -> list[str]:
    found = [str(p.relative_to(app)) for p in sorted(app.rglob("*"))
             if "PySide6" in p.parts and (p.name in UNWANTED_QT or p.name.startswith(UNWANTED_QT))]
    return _outermost(found)


def _outermost(paths: list[str]) -> list[str]:
    """Drop paths inside an already listed folder: report `tensorflow/`, not its 10,000 files."""
    kept: list[str] = []
    for path in sorted(paths):
        if not any(path.startswith(parent + os.sep) for parent in kept):
            kept.append(path)
    return kept


def model_problems(app: Path) -> list[str]:
    """The bundled models folder must hold CURRENT and the bundle it names, where the app looks."""
    internal = app / "_internal" if (app / "_internal").is_dir() else app
    candidates = [internal / "models", app / "Contents" / "Resources" / "models"]
    models = next((c for c in candidates if c.is_dir()), None)
    if models is None:
        return [f"no models folder in {internal} (build.spec must bundle models/)"]
    pointer = models / "CURRENT"
    if not pointer.is_file():
        return [f"{pointer} is missing"]
    bundle = models / pointer.read_text(encoding="utf-8").strip()
    missing = [name for name in ("model.onnx", "samples.jsonl") if not (bundle / name).is_file()]
    return [f"{bundle} lacks {', '.join(missing)}"] if missing else []


def disk_usage(app: Path) -> int:
    """Bytes on disk, as `du` counts them (allocated blocks, each hard-linked file once)."""
    seen, total = set(), 0
    for root, dirs, files in os.walk(app):
        for name in dirs + files:
            info = os.lstat(os.path.join(root, name))
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total + os.lstat(app).st_blocks * 512


def frozen_module_names(executable: Path) -> list[str]:
    """Names of the modules in the executable's PYZ archive."""
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(executable))
    names = []
    for name, entry in archive.toc.items():
        if entry[-1] == "z":  # PKG_ITEM_PYZ
            names += list(archive.open_embedded_archive(name).toc)
    if not names:
        raise ValueError(f"{executable}: holds no Python module archive")
    return names


def find_executable(app: Path) -> Path:
    for candidate in (app / "review-sentiment", app / "review-sentiment.exe",
                      app / "Contents" / "MacOS" / "review-sentiment"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no review-sentiment executable in {app}")


def check(app: Path, budget_mb: float) -> tuple[list[str], int]:
    """(problems, bytes on disk) for a built app folder."""
    problems = [f"contains {p}, part of a package the app must not carry" for p in forbidden_files(app)]
    try:
        modules = frozen_module_names(find_executable(app))
    except (OSError, ValueError, ImportError) as error:  # ImportError: run it with PyInstaller installed
        problems.append(f"cannot read the frozen modules: {error}")
    else:
        problems += [f"its executable freezes the module {m}" for m in forbidden_modules(modules)]
    problems += [f"contains {p}, which build.spec leaves out" for p in unwanted_qt_files(app)]
    problems += model_problems(app)
    size = disk_usage(app)
    if size > budget_mb * 1e6:
        problems.append(f"takes {size / 1e6:.1f} MB on disk, over the {budget_mb:g} MB budget")
    return problems, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", type=Path, help="the built folder, e.g. dist/review-sentiment")
    parser.add_argument("--budget-mb", type=float, default=BUDGET_MB, help="largest size allowed, in MB (10^6 bytes)")
    args = parser.parse_args(argv)
    if not args.app.is_dir():
        print(f"check_build: {args.app} is not a folder; build the app first (scripts/build_app.sh)", file=sys.stderr)
        return 1
    problems, size = check(args.app, args.budget_mb)
    for problem in problems:
        print(f"check_build: FAILED: {args.app}: {problem}", file=sys.stderr)
    size_text = f"{size / 2**20:.1f} MiB ({size / 1e6:.1f} MB) on disk, budget {args.budget_mb:g} MB"
    if problems:
        print(f"check_build: FAILED with {len(problems)} problem(s): {args.app} is {size_text}", file=sys.stderr)
        return 1
    print(f"check_build: ok: {args.app} is {size_text}; no TensorFlow, Keras, tf2onnx, onnx, matplotlib, "
          "pandas or trainer inside; model bundled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
