"""Start-up as a user meets it: help, --debug, no display, a broken model, logging and the error hook."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


# -- --debug is a global flag ---------------------------------------------------

def test_gui_arguments_are_parsed_without_starting_anything():
    from explorer.app import GuiArgs, parse_gui_args
    from explorer.cli import UsageError

    assert parse_gui_args([]) == GuiArgs(None, False)
    assert parse_gui_args(["--debug"]) == GuiArgs(None, True)
    assert parse_gui_args(["--debug", "m.safetensors"]) == GuiArgs("m.safetensors", True)
    assert parse_gui_args(["work.lesession", "--debug"]) == GuiArgs("work.lesession", True)  # passed on as it is
    assert parse_gui_args(["--", "-odd name.safetensors"]) == GuiArgs("-odd name.safetensors", False)
    for bad in (["a", "b"], ["--debug", "a", "b"], ["--bogus"]):
        with pytest.raises(UsageError):
            parse_gui_args(bad)


@pytest.mark.parametrize("args", [["--debug"], ["--debug", "some.safetensors"], ["some.safetensors", "--debug"]])
def test_debug_opens_the_window_not_the_help(tmp_path, args):
    """Without a display the window path ends in its own message: proof it was taken."""
    res = _run(args, {}, tmp_path)
    assert res.returncode == 1, res.stderr
    assert "no display" in res.stderr and "usage" not in res.stdout + res.stderr
    assert "Traceback" not in res.stderr


def test_debug_before_a_command_is_still_the_commands_debug_flag(tmp_path):
    res = _run(["--debug", "--help"], {}, tmp_path)
    assert res.returncode == 0 and "sample" in res.stdout and "--debug" in res.stdout
    res = _run(["--debug", "sample", "--help"], {}, tmp_path)
    assert res.returncode == 0 and "--shard" in res.stdout
    res = _run(["--debug", "sample", str(tmp_path / "missing.safetensors"), "--out", str(tmp_path / "o")], {}, tmp_path)
    assert res.returncode != 0 and "Traceback" in res.stderr  # --debug shows the traceback
    res = _run(["sample", str(tmp_path / "missing.safetensors"), "--out", str(tmp_path / "o"), "--debug"], {}, tmp_path)
    assert res.returncode != 0 and "Traceback" in res.stderr  # after the command as well


# -- logging: tracebacks go to the file, one line to the terminal -----------------

@pytest.fixture
def logfile(tmp_path, monkeypatch):
    """setup_logging writes to a temporary file; the root logger is restored afterwards."""
    path = tmp_path / "le.log"
    monkeypatch.setenv("LATENT_EXPLORER_LOG", str(path))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield path
    for h in root.handlers[:]:
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


def _ours():
    from explorer.app import _OURS

    return [h for h in logging.getLogger().handlers if getattr(h, _OURS, False)]


def test_setup_logging_twice_does_not_duplicate_handlers(logfile):
    from explorer.app import setup_logging

    others = [h for h in logging.getLogger().handlers if h not in _ours()]
    assert setup_logging() == logfile
    assert setup_logging(debug=True) == logfile
    assert len(_ours()) == 2  # one file, one terminal
    assert [h for h in logging.getLogger().handlers if h not in _ours()] == others  # pytest's are left alone


def _fail_with_traceback(logger):
    try:
        raise KeyError("deep inside")
    except KeyError:
        logger.warning("refused: the file is broken\nsecond line", exc_info=True)


def test_the_terminal_gets_one_line_and_the_file_the_traceback(logfile, capsys):
    from explorer.app import setup_logging

    setup_logging()
    _fail_with_traceback(logging.getLogger("explorer.test"))
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["latent-explorer: warning: refused: the file is broken"]
    text = logfile.read_text()
    assert "second line" in text and "Traceback" in text and "deep inside" in text


def test_debug_puts_tracebacks_on_the_terminal_too(logfile, capsys):
    from explorer.app import setup_logging

    setup_logging(debug=True)
    logging.getLogger("explorer.test").debug("a debug record")
    _fail_with_traceback(logging.getLogger("explorer.test"))
    err = capsys.readouterr().err
    assert "a debug record" in err and "Traceback" in err and "deep inside" in err


# -- the hook of last resort ----------------------------------------------------

def _raise_here(kind=ZeroDivisionError):
    try:
        raise kind("while painting")
    except kind:
        return sys.exc_info()


def test_the_excepthook_logs_the_traceback_and_shows_one_dialog_later(qtbot, logfile, monkeypatch, capsys):
    import explorer.app as app

    shown = []
    monkeypatch.setattr(app, "show_error_dialog", lambda title, text: shown.append(text))
    app.setup_logging()
    hook = app.install_excepthook(logfile)
    assert sys.excepthook is hook
    for _ in range(3):  # a failing paint event raises on every repaint
        hook(*_raise_here())
    assert shown == []  # not from inside the failing call: queued to the event loop
    qtbot.waitUntil(lambda: len(shown) == 1)
    hook(*_raise_here(ValueError))  # a different error gets its own dialog
    qtbot.waitUntil(lambda: len(shown) == 2)
    qtbot.wait(50)
    assert len(shown) == 2 and "ZeroDivisionError: while painting" in shown[0] and str(logfile) in shown[0]
    text = logfile.read_text()
    assert "unhandled ZeroDivisionError: while painting" in text and "Traceback" in text and "_raise_here" in text
    assert "Traceback" not in capsys.readouterr().err


def test_the_excepthook_does_not_raise_when_the_dialog_cannot_be_queued(qtbot, logfile, monkeypatch):
    import explorer.app as app

    app.setup_logging()
    hook = app.install_excepthook(logfile)
    monkeypatch.setattr(hook.relay, "raised", None)  # emitting now fails inside the hook
    hook(*_raise_here())
    assert "while painting" in logfile.read_text()


def test_a_broken_model_leaves_one_line_on_the_terminal_and_the_details_in_the_log(tmp_path):
    """The worker's refusal of a bad file: a warning line on the terminal, the traceback in the log file."""
    log = tmp_path / "app.log"
    script = (
        "import sys; from explorer.app import setup_logging; setup_logging();"
        "from PySide6.QtCore import QTimer; from PySide6.QtWidgets import QApplication;"
        "app = QApplication([]); from explorer.ui.main_window import MainWindow;"
        f"w = MainWindow({str(tmp_path / 'broken.safetensors')!r}, bank_size=50, threads=1); w.show();"
        "t = QTimer(); t.setInterval(50);"
        "t.timeout.connect(lambda: w.message_bar.text() and (print('MESSAGE:', w.message_bar.text()), t.stop(), w.close(), app.quit()));"
        "t.start(); QTimer.singleShot(60000, app.quit); sys.exit(app.exec())"
    )
    (tmp_path / "broken.safetensors").write_bytes(b"junk")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LATENT_EXPLORER_CONFIG_DIR": str(tmp_path / "cfg"),
           "LATENT_EXPLORER_LOG": str(log), "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0 and "MESSAGE: Could not open" in res.stdout
    assert "Traceback" not in res.stderr
    assert "warning:" in res.stderr and "broken.safetensors" in res.stderr
    text = log.read_text()
    assert "WARNING" in text and "refused" in text and "broken.safetensors" in text
    assert "Traceback" in text and "CheckpointError" in text  # enough to debug it
