"""The process survives the signals it emits (issue 11).

PySide6-Essentials 6.12.0 on Python < 3.12 drops a reference to ``True`` on
every ``emit()``; after ~1,500 emits Python aborts ("bool_dealloc"). The
build is kept out by the constraints and ``pyproject.toml`` markers; these
tests check that the installed build is not that one, and that 20,000 emits
of every signal signature the app declares leave ``True``'s reference count
as it was — in a child process, so an abort fails the test instead of
killing the run.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r'''
import importlib, os, pkgutil, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QMetaMethod, QObject, QPointF, Signal, Slot
from PySide6.QtWidgets import QApplication

app = QApplication([])
import explorer.inference, explorer.ui
for pkg in (explorer.inference, explorer.ui):
    for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(info.name)

TYPES = {"PyObject": object, "int": int, "QString": str, "double": float, "bool": bool, "QPointF": QPointF,
         "QVariantList": list}
VALUES = {object: {"a": 1}, int: 3, str: "text", float: 0.5, bool: True, QPointF: QPointF(1, 2), list: ["x"]}

def app_classes():
    seen = set()
    for name, module in list(sys.modules.items()):
        if not name.startswith(("explorer.ui.", "explorer.inference.")):
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, QObject) and value.__module__ == name:
                seen.add(value)
    return seen

signatures = set()
for cls in app_classes():
    meta = cls.staticMetaObject
    for i in range(meta.methodOffset(), meta.methodCount()):
        m = meta.method(i)
        if m.methodType() == QMetaMethod.MethodType.Signal:
            signatures.add(tuple(bytes(t).decode() for t in m.parameterTypes()))
unknown = [s for s in signatures if any(t not in TYPES for t in s)]
assert not unknown, f"add these parameter types to the test: {unknown}"
assert len(signatures) >= 8, signatures

kinds = sorted(signatures)
attrs = {f"s{i}": Signal(*[TYPES[t] for t in sig]) for i, sig in enumerate(kinds)}

class Receiver(QObject):
    def __init__(self):
        super().__init__()
        self.calls = 0

    @Slot()
    def take(self, *args):
        self.calls += 1

Emitter = type("Emitter", (QObject,), attrs)
emitter, receiver = Emitter(), Receiver()
N = int(sys.argv[1])
before = sys.getrefcount(True)
for i, sig in enumerate(kinds):
    signal = getattr(emitter, f"s{i}")
    signal.connect(receiver.take)
    args = [VALUES[TYPES[t]] for t in sig]
    for _ in range(N):
        signal.emit(*args)
after = sys.getrefcount(True)
assert receiver.calls == N * len(kinds), receiver.calls
print(f"KINDS {len(kinds)} EMITS {receiver.calls} TRUE_REFS {before} {after}")
'''


def test_the_broken_pyside6_build_is_not_installed():
    assert sys.version_info >= (3, 12) or version("PySide6-Essentials") != "6.12.0"


def test_the_constraints_and_markers_keep_it_out():
    pyproject = (ROOT / "pyproject.toml").read_text()
    constraints = (ROOT / "constraints.txt").read_text()
    assert "!=6.12.0; python_version < '3.12'" in pyproject
    assert "PySide6-Essentials!=6.12.0" in constraints


def test_20000_emits_of_every_signal_kind_the_app_uses_leave_true_alone():
    res = subprocess.run([sys.executable, "-c", CHILD, "20000"], capture_output=True, text=True, cwd=ROOT,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    line = next(line for line in res.stdout.splitlines() if line.startswith("KINDS"))
    _, kinds, _, emits, _, before, after = line.split()
    assert int(kinds) >= 8 and int(emits) == 20000 * int(kinds)
    assert before == after, f"True lost {int(before) - int(after)} references over {emits} emits"
