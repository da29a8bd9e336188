"""Start-up as a user meets it: help, no display, a missing bundled model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(args, env_changes, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update({"LATENT_EXPLORER_LOG": str(tmp_path / "app.log"), "LATENT_EXPLORER_CONFIG_DIR": str(tmp_path / "cfg"),
                **env_changes})
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)


def test_help_lists_the_commands(tmp_path):
    res = _run(["--help"], {}, tmp_path)
    assert res.returncode == 0
    for cmd in ("dataset", "train", "sample", "evaluate"):
        assert cmd in res.stdout


def test_no_display_gives_a_readable_message_and_a_log(tmp_path):
    res = _run([], {}, tmp_path)
    assert res.returncode == 1
    assert "no display" in res.stderr and "Traceback" not in res.stderr
    assert "no display" in (tmp_path / "app.log").read_text()


def test_a_broken_default_model_is_reported_in_the_window_not_by_a_crash(tmp_path, tiny_checkpoints):
    """Opening a broken file at start-up shows the error in the window; the app keeps running."""
    script = (
        "import sys; from PySide6.QtCore import QTimer; from PySide6.QtWidgets import QApplication;"
        "app = QApplication([]); from explorer.ui.main_window import MainWindow;"
        f"w = MainWindow({str(tmp_path / 'broken.safetensors')!r}, bank_size=50, threads=1); w.show();"
        "t = QTimer(); t.setInterval(50);"
        "t.timeout.connect(lambda: w.message_bar.text() and (print('MESSAGE:', w.message_bar.text()), t.stop(), w.close(), app.quit()));"
        "t.start(); QTimer.singleShot(60000, app.quit); sys.exit(app.exec())"
    )
    (tmp_path / "broken.safetensors").write_bytes(b"junk")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LATENT_EXPLORER_CONFIG_DIR": str(tmp_path / "cfg"),
           "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0
    assert "MESSAGE: Could not open" in res.stdout and "broken.safetensors" in res.stdout


def test_too_many_arguments(tmp_path):
    res = _run(["a.safetensors", "b.safetensors"], {}, tmp_path)
    assert res.returncode == 2 and "usage" in res.stderr
