"""The layering of DESIGN.md, enforced: the two floors import no Qt and not each other."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import importlib, json, pkgutil, sys
pkg = importlib.import_module(sys.argv[1])
for info in pkgutil.walk_packages(pkg.__path__, sys.argv[1] + "."):
    importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


def imported_by(package: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROBE, package], capture_output=True, text=True, cwd=ROOT, check=True)
    return {m.split(".")[0] if not m.startswith("explorer.") else ".".join(m.split(".")[:2]) for m in json.loads(out.stdout)}


QT = {"PySide6", "pyqtgraph", "superqt", "shiboken6"}


def test_models_import_no_qt_and_nothing_from_explorer():
    mods = imported_by("models")
    assert not mods & QT
    assert not {m for m in mods if m.startswith("explorer")}


@pytest.mark.parametrize("package", ["explorer.core"])
def test_core_is_numpy_only(package):
    mods = imported_by(package)
    assert not mods & (QT | {"torch", "models"})
    assert not {"explorer.ui", "explorer.inference"} & mods


def test_cli_starts_without_loading_torch_or_qt():
    """``latent-explorer --help`` stays fast: heavy imports happen inside commands."""
    code = "import sys; from explorer.cli import build_parser; build_parser(); print(','.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    loaded = set(out.strip().split(","))
    assert "torch" not in loaded and not loaded & QT
