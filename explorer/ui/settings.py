"""Persistent preferences (recent files, device) in an INI file.

The folder is ``$LATENT_EXPLORER_CONFIG_DIR`` when set (tests point it at a
temporary folder), else Qt's per-user application config location.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

MAX_RECENT = 8


def config_dir() -> Path:
    env = os.environ.get("LATENT_EXPLORER_CONFIG_DIR")
    if env:
        return Path(env)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(base or Path.home() / ".config") / "latent-explorer"


class Settings:
    def __init__(self) -> None:
        self._q = QSettings(str(config_dir() / "settings.ini"), QSettings.Format.IniFormat)

    def recent_files(self) -> list[str]:
        value = self._q.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [v for v in (value or []) if v]

    def add_recent(self, path: str) -> list[str]:
        path = str(Path(path).resolve())
        items = [path] + [p for p in self.recent_files() if p != path]
        self._q.setValue("recent", items[:MAX_RECENT])
        self._q.sync()
        return items[:MAX_RECENT]

    def device(self) -> str:
        return str(self._q.value("device", "auto"))

    def set_device(self, device: str) -> None:
        self._q.setValue("device", device)
        self._q.sync()
