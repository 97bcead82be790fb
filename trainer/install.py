"""Put a finished bundle in place without ever losing the working one.

A run builds its bundle in a fresh staging folder beside the destination (never inside it).
Only after export and verification pass is the folder renamed into place (one atomic rename on
the same file system), and, for a models folder, the ``CURRENT`` pointer is swapped atomically.
The previous bundle's folder stays where it was: point ``CURRENT`` back at it to recover it.
An interrupted run leaves only its staging folder, which is removed on the way out.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from review_sentiment import bundle_format as fmt


class OutputError(Exception):
    """The requested output folder cannot be used as asked."""


def check_output(output: Path, force: bool) -> None:
    """Refuse an existing non-empty --output folder unless --force; checked before training."""
    if output.exists() and not output.is_dir():
        raise OutputError(f"{output}: exists and is not a folder; choose another --output")
    if output.is_dir() and any(output.iterdir()) and not force:
        raise OutputError(f"{output}: folder exists and is not empty; add --force to replace it "
                          "(the old contents are kept beside it), or choose another --output")


@contextmanager
def staging_folder(destination: Path):
    """A fresh folder next to `destination`, removed unless its contents were moved away."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{destination.name}-staging-", dir=destination.parent))
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
    staged.rename(target)
    pointer_tmp = models_dir / f".{fmt.CURRENT_POINTER}.{os.getpid()}.tmp"
    pointer_tmp.write_text(bundle_name + "\n", encoding="utf-8")
    os.replace(pointer_tmp, models_dir / fmt.CURRENT_POINTER)
    return target


def install_as_folder(staged: Path, output: Path) -> Path | None:
    """Move `staged` to `output`; an existing `output` (allowed by --force) is kept beside it.
    Returns where the old contents went, if anywhere."""
    kept = None
    if output.exists():
        kept = output.with_name(f"{output.name}.previous-{os.getpid()}")
        output.rename(kept)
    staged.rename(output)
    return kept
