"""Persistent preferences (recent files and sessions, device, theme, bank size,
the last model and folder) in an INI file.

The folder is ``$LATENT_EXPLORER_CONFIG_DIR`` when set (tests point it at a
temporary folder), else Qt's per-user application config location.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

MAX_RECENT = 8
DEFAULT_BANK_SIZE = 2000
# A path whose name is not valid UTF-8 cannot be stored as INI text; it is
# stored as this prefix plus the base64 of its bytes, and read back exactly.
_BYTES_PREFIX = "fsbytes:"


def _to_text(path: str) -> str:
    """``path`` as text QSettings can store and give back unchanged."""
    from models.paths import is_utf8

    if is_utf8(path):
        return path
    import base64

    return _BYTES_PREFIX + base64.urlsafe_b64encode(os.fsencode(path)).decode("ascii")


def _from_text(text: str) -> str | None:
    """The path stored by :func:`_to_text` (None if the entry is damaged)."""
    if not text.startswith(_BYTES_PREFIX):
        return text
    import base64
    import binascii

    try:
        return os.fsdecode(base64.urlsafe_b64decode(text[len(_BYTES_PREFIX):].encode("ascii")))
    except (ValueError, binascii.Error):
        return None


def config_dir() -> Path:
    env = os.environ.get("LATENT_EXPLORER_CONFIG_DIR")
    if env:
        return Path(env)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(base or Path.home() / ".config") / "latent-explorer"


class Settings:
    """Typed access to the preferences; every write is synced at once."""

    def __init__(self) -> None:
        self._q = QSettings(str(config_dir() / "settings.ini"), QSettings.Format.IniFormat)

    def _list(self, key: str) -> list[str]:
        value = self._q.value(key, [])
        if isinstance(value, str):
            value = [value]
        paths = (_from_text(str(v)) for v in (value or []) if v)
        return [p for p in paths if p]

    def _push(self, key: str, path: str) -> list[str]:
        path = str(Path(path).resolve())
        items = ([path] + [p for p in self._list(key) if p != path])[:MAX_RECENT]
        self._set(key, [_to_text(p) for p in items])
        return items

    def _set(self, key: str, value) -> None:
        self._q.setValue(key, value)
        self._q.sync()

    def recent_files(self) -> list[str]:
        return self._list("recent")

    def add_recent(self, path: str) -> list[str]:
        return self._push("recent", path)

    def recent_sessions(self) -> list[str]:
        return self._list("recent_sessions")

    def add_recent_session(self, path: str) -> list[str]:
        return self._push("recent_sessions", path)

    def device(self) -> str:
        return str(self._q.value("device", "auto"))

    def set_device(self, device: str) -> None:
        self._set("device", device)

    def bank_size(self) -> int:
        """Codes in a new latent bank (Model ▸ Bank size); a damaged entry means the default."""
        from explorer.inference.bank_builder import MAX_BANK, MIN_BANK

        try:
            n = int(self._q.value("bank_size", DEFAULT_BANK_SIZE))
        except (TypeError, ValueError):
            return DEFAULT_BANK_SIZE
        return n if MIN_BANK <= n <= MAX_BANK else DEFAULT_BANK_SIZE

    def set_bank_size(self, n: int) -> None:
        self._set("bank_size", int(n))

    def theme(self) -> str:
        return str(self._q.value("theme", ""))

    def set_theme(self, name: str) -> None:
        self._set("theme", name)

    def last_model(self) -> str:
        """The checkpoint opened last; the app reopens on it."""
        return _from_text(str(self._q.value("last_model", ""))) or ""

    def set_last_model(self, path: str) -> None:
        self._set("last_model", _to_text(str(Path(path).resolve())))

    def last_folder(self) -> str:
        """Where the last file dialog ended, so the next one starts there (else the home folder)."""
        folder = _from_text(str(self._q.value("last_folder", ""))) or ""
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    def set_last_folder(self, folder: str) -> None:
        self._set("last_folder", _to_text(folder))

    def window_state(self):
        """The docks' arrangement saved at the last quit (QByteArray), or None."""
        return self._q.value("window_state", None)

    def set_window_state(self, state) -> None:
        self._set("window_state", state)
