"""Where the app keeps what it remembers between runs, and the names it keeps it under.

`QSettings` writes atomically and locks its file, so two running copies of the app do not
corrupt each other's settings. Tests and scripts point the store at a file of their own with
the environment variable below, so they never touch a person's real settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

SETTINGS_FILE_ENV = "REVIEW_SENTIMENT_SETTINGS"

GEOMETRY = "window/geometry"
WINDOW_STATE = "window/state"
LAST_MODEL = "model/last"
RECENT_MODELS = "model/recent"
UNCERTAIN_BAND = "verdict/uncertain_band"
HIGHLIGHT_WORDS = "view/highlight_words"
ZOOM = "view/zoom"
LAST_FOLDER = "dialogs/last_folder"

MAX_RECENT_MODELS = 5


def open_settings() -> QSettings:
    """The settings store: the file named by $REVIEW_SENTIMENT_SETTINGS, else the platform's own."""
    path = os.environ.get(SETTINGS_FILE_ENV)
    if path:
        return QSettings(str(Path(path)), QSettings.Format.IniFormat)
    return QSettings()


def read_float(settings: QSettings, key: str, default: float, low: float, high: float) -> float:
    """A number from the store, or `default` when it is missing, garbled or out of range."""
    try:
        value = float(settings.value(key, default))
    except (TypeError, ValueError):
        return default
    return value if low <= value <= high else default


def read_bytes(settings: QSettings, key: str) -> QByteArray | None:
    """Saved window geometry or state, or None when missing or not what Qt saved."""
    value = settings.value(key)
    return value if isinstance(value, (QByteArray, bytes, bytearray)) else None


def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    value = settings.value(key, default)
    if isinstance(value, str):  # INI files give strings back
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def read_list(settings: QSettings, key: str) -> list[str]:
    value = settings.value(key, [])
    if isinstance(value, str):  # a one-item list comes back from INI as a plain string
        value = [value] if value else []
    return [str(v) for v in value or [] if v]


def read_folder(settings: QSettings, key: str) -> str:
    """A remembered folder that still exists, else the home folder (never the program's own folder)."""
    value = settings.value(key)
    if isinstance(value, str) and value and Path(value).is_dir():
        return value
    return str(Path.home())


def remember_model(settings: QSettings, path: Path) -> list[str]:
    """Record a model that loaded: it becomes the last model and tops the recent list."""
    entry = str(Path(path).resolve())
    recent = [entry] + [p for p in read_list(settings, RECENT_MODELS) if p != entry]
    recent = recent[:MAX_RECENT_MODELS]
    settings.setValue(LAST_MODEL, entry)
    settings.setValue(RECENT_MODELS, recent)
    return recent
