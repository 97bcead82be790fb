"""Put a finished bundle in place without ever losing the working one.

A run builds its bundle in a fresh staging folder beside the destination (never inside it).
Only after export and verification pass is the folder renamed into place (one atomic rename on
the same file system), and, for a models folder, the ``CURRENT`` pointer is swapped atomically.
The previous bundle's folder stays where it was: point ``CURRENT`` back at it to recover it.
An interrupted run leaves only its staging folder, which is removed on the way out; one killed
outright (kill -9) leaves it behind, named with its process id, and the next run removes it.
Every file and pointer is synced to disk, and so is its folder, before and after it is renamed.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from review_sentiment import bundle_format as fmt
from review_sentiment._export import sync_folder


class OutputError(Exception):
    """The requested output folder cannot be used as asked."""


def check_output(output: Path, force: bool) -> None:
    """Refuse an existing non-empty --output folder unless --force; checked before training."""
    if output.exists() and not output.is_dir():
        raise OutputError(f"{output}: exists and is not a folder; choose another --output")
    if output.is_dir() and any(output.iterdir()) and not force:
        raise OutputError(f"{output}: folder exists and is not empty; add --force to replace it "
                          "(the old contents are kept beside it), or choose another --output")


def check_writable(destination: Path) -> None:
    """Refuse, before any training, a destination whose folder cannot be written."""
    folders = [destination.parent] + ([destination] if destination.is_dir() else [])
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            os.rmdir(tempfile.mkdtemp(prefix=f".{destination.name}-probe-", dir=folder))
        except OSError as error:
            raise OutputError(f"{folder}: cannot be written ({error.strerror or error}); fix its "
                              "permissions or choose another --output (nothing was trained)") from error


def _staging_prefix(destination: Path) -> str:
    return f".{destination.name}-staging-"


_LEFTOVER = re.compile(r"-staging-(\d+)-|^\.CURRENT\.(\d+)\.tmp$")


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove the staging folders and pointer files of runs that were killed (their process is
    gone). Returns what was removed."""
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        found = _LEFTOVER.search(entry.name) if entry.name.startswith(".") else None
        if found is None or _running(int(found.group(1) or found.group(2))):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@contextmanager
def staging_folder(destination: Path):
    """A fresh folder next to `destination`, removed unless its contents were moved away."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(destination.parent)
    folder = Path(tempfile.mkdtemp(prefix=f"{_staging_prefix(destination)}{os.getpid()}-", dir=destination.parent))
    folder.chmod(0o755)  # mkdtemp makes it private; a bundle is meant to be shared
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def install_into_models(staged: Path, models_dir: Path, bundle_name: str) -> Path:
    """Move `staged` to models_dir/bundle_name and point CURRENT at it. Returns the bundle folder."""
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / bundle_name
    if target.exists():
        raise OutputError(f"{target}: a bundle of that name already exists; nothing was replaced")
    remove_leftovers(models_dir)
    sync_tree(staged)
    staged.rename(target)
    sync_folder(models_dir)
    pointer_tmp = models_dir / f".{fmt.CURRENT_POINTER}.{os.getpid()}.tmp"
    with open(pointer_tmp, "w", encoding="utf-8") as pointer:
        pointer.write(bundle_name + "\n")
        pointer.flush()
        os.fsync(pointer.fileno())
    os.replace(pointer_tmp, models_dir / fmt.CURRENT_POINTER)
    sync_folder(models_dir)
    return target


def install_as_folder(staged: Path, output: Path) -> Path | None:
    """Move `staged` to `output`; an existing `output` (allowed by --force) is kept beside it.
    Returns where the old contents went, if anywhere."""
    kept = None
    if output.exists():
        kept = output.with_name(f"{output.name}.previous-{os.getpid()}")
        output.rename(kept)
    sync_tree(staged)
    staged.rename(output)
    sync_folder(output.parent)
    return kept


def sync_tree(folder: Path) -> None:
    """fsync every file of a bundle folder, then the folder: its contents are on disk before
    it is renamed into place."""
    for entry in folder.iterdir():
        if entry.is_file() and not entry.is_symlink():
            with open(entry, "rb") as f:
                os.fsync(f.fileno())
    sync_folder(folder)

