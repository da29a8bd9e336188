"""Start-up: ``latent-explorer [CHECKPOINT]`` opens the window;
``latent-explorer COMMAND ...`` runs a headless command (see ``cli.py``).

Start-up failures (no display, a missing library, a broken bundled file) end
in a readable message and a log file, never a bare traceback.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path

DEFAULT_CHECKPOINT = "toyfaces_vae.safetensors"
log = logging.getLogger("latent_explorer")


def log_path() -> Path:
    """Where the log goes: ``$LATENT_EXPLORER_LOG`` or the user's state folder."""
    env = os.environ.get("LATENT_EXPLORER_LOG")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "latent-explorer" / "latent-explorer.log"


def setup_logging() -> Path:
    path = log_path()
    handlers: list[logging.Handler] = []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(path, encoding="utf-8"))
    except OSError:
        path = Path("(no log file: the log folder is not writable)")
    handlers.append(logging.StreamHandler(sys.stderr))
    handlers[-1].setLevel(logging.WARNING)
    logging.basicConfig(level=logging.INFO, handlers=handlers, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        force=True)
    return path


def _fail(message: str, logfile: Path) -> int:
    log.error(message)
    print(f"latent-explorer: {message}\n(details in {logfile})", file=sys.stderr)
    return 1


def default_checkpoint() -> Path:
    from models.loading import RESOURCES

    return RESOURCES / DEFAULT_CHECKPOINT


def has_display() -> bool:
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_gui(checkpoint: str | None, bank_size: int | None = None) -> int:
    logfile = setup_logging()
    log.info("starting the window (checkpoint %s)", checkpoint or "default")
    if not has_display():
        return _fail("no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset); run it in a desktop "
                     "session, under xvfb-run, or use a headless command such as 'latent-explorer sample --help'", logfile)
    try:
        from PySide6.QtWidgets import QApplication, QMessageBox
    except ImportError as exc:
        return _fail(f"the Qt library could not be loaded ({exc}); reinstall with 'pip install PySide6'", logfile)
    if checkpoint is None:
        path = default_checkpoint()
        if not path.exists():
            return _fail(f"the bundled default model {path} is missing; reinstall latent-explorer", logfile)
        checkpoint = str(path)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Latent Explorer")
    app.setOrganizationName("latent-explorer")

    def excepthook(kind, value, tb):
        text = "".join(traceback.format_exception(kind, value, tb))
        log.error("unhandled exception:\n%s", text)
        QMessageBox.critical(None, "Latent Explorer — unexpected error",
                             f"{kind.__name__}: {value}\n\nThe window keeps running. Details are in {logfile}.")

    sys.excepthook = excepthook
    try:
        from explorer.ui.main_window import MainWindow

        kwargs = {"bank_size": bank_size} if bank_size else {}
        window = MainWindow(checkpoint, **kwargs)
    except Exception as exc:  # start-up failure: say what, where the log is
        log.error("start-up failed:\n%s", traceback.format_exc())
        QMessageBox.critical(None, "Latent Explorer could not start", f"{type(exc).__name__}: {exc}\n\nLog: {logfile}")
        return 1
    window.show()
    return app.exec()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``latent-explorer`` and ``python main.py``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    from explorer.cli import COMMANDS

    if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--debug")):
        from explorer.cli import main as cli_main

        return cli_main(argv)
    if len(argv) > 1:
        print("usage: latent-explorer [CHECKPOINT] | latent-explorer COMMAND ... (see --help)", file=sys.stderr)
        return 2
    return run_gui(argv[0] if argv else None)
