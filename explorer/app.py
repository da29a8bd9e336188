"""Start-up: ``latent-explorer [--debug] [--bank N] [CHECKPOINT|SESSION_FILE]`` opens the
window; ``latent-explorer [--debug] COMMAND ...`` runs a headless command (see
``cli.py``).

Start-up failures (no display, a missing library, a broken bundled file) end
in a readable message and a log file, never a bare traceback. The log file
keeps every record with its traceback; the terminal gets one line per warning
or error, and everything, tracebacks included, with ``--debug``.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Callable, NamedTuple

USAGE = ("usage: latent-explorer [--debug] [--bank N] [CHECKPOINT | SESSION_FILE]  (open the window)\n"
         "       latent-explorer [--debug] COMMAND ...                     (see latent-explorer --help)")
log = logging.getLogger("latent_explorer")

# Marks the handlers setup_logging adds, so a second call replaces them
# instead of stacking duplicates, and leaves other handlers (pytest's) alone.
_OURS = "_latent_explorer_handler"
_FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_path() -> Path:
    """Where the log goes: ``$LATENT_EXPLORER_LOG`` or the user's state folder."""
    env = os.environ.get("LATENT_EXPLORER_LOG")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "latent-explorer" / "latent-explorer.log"


class _OneLineFormatter(logging.Formatter):
    """The terminal's view of a record: the first line of its message, no traceback."""

    def format(self, record: logging.LogRecord) -> str:
        lines = record.getMessage().strip().splitlines()
        return f"latent-explorer: {record.levelname.lower()}: {lines[0] if lines else ''}"


def _meant_for_terminal(record: logging.LogRecord) -> bool:
    # Records logged with extra={"terminal": False} were already told to the
    # user in their own words (see _fail); the terminal need not repeat them.
    return getattr(record, "terminal", True)


def setup_logging(debug: bool = False) -> Path:
    """Send log records to the log file (all, with tracebacks) and the terminal.

    The terminal gets one line per warning or error; with ``debug`` it gets
    every record from DEBUG up, tracebacks included. Calling it again replaces
    the handlers of the earlier call. Returns the log file's path (or a note
    saying there is none).
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()
    path = log_path()
    handlers: list[logging.Handler] = []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(path, encoding="utf-8", errors="backslashreplace"))  # any file name
        handlers[-1].setFormatter(logging.Formatter(_FILE_FORMAT))
    except OSError:
        path = Path("(no log file: the log folder is not writable)")
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(logging.DEBUG if debug else logging.WARNING)
    terminal.setFormatter(logging.Formatter(_FILE_FORMAT) if debug else _OneLineFormatter())
    terminal.addFilter(_meant_for_terminal)
    handlers.append(terminal)
    for handler in handlers:
        setattr(handler, _OURS, True)
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    return path


def _fail(message: str, logfile: Path) -> int:
    log.error(message, extra={"terminal": False})
    print(f"latent-explorer: {message}\n(details in {logfile})", file=sys.stderr)
    return 1


def default_checkpoint() -> Path:
    """The bundled model the window opens when it is given nothing (and has no last session or model)."""
    from explorer.ui.model_controller import DEFAULT_MODEL
    from models.loading import RESOURCES

    return RESOURCES / f"{DEFAULT_MODEL}.safetensors"


def has_display() -> bool:
    """Whether Qt can open a window here (Linux needs X11 or Wayland, or a QPA platform)."""
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def show_error_dialog(title: str, text: str) -> None:
    """A message box, opened without a modal event loop of its own: nothing waits on
    the user's OK, so nothing can resume inside a half-finished paint or slot."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Critical, title, text)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _open_dialogs.add(box)  # a top-level box with no parent lives as long as Python holds it
    box.finished.connect(lambda _result: _open_dialogs.discard(box))
    box.open()


_open_dialogs: set = set()


def _error_key(kind: type, tb) -> tuple:
    """What makes two errors "the same": their type and the line that raised them.

    The message is left out on purpose: a paint bug raises on every repaint,
    often with a different number in its message each time.
    """
    frames = traceback.extract_tb(tb)
    where = (frames[-1].filename, frames[-1].lineno) if frames else ("", 0)
    return (kind.__module__, kind.__qualname__, *where)


def install_excepthook(logfile: Path) -> Callable:
    """Make ``sys.excepthook`` log unhandled exceptions and tell the user once.

    The full traceback goes to the log; a dialog names the error, at most once
    per distinct error (see :func:`_error_key`). The dialog is queued to the
    GUI thread's event loop instead of opened inside the failing call: a modal
    loop opened inside a paint event is what crashed the process. The process
    keeps running. Needs a ``QApplication``; returns the hook it installed.
    """
    from PySide6.QtCore import QObject, Qt, Signal, Slot
    from PySide6.QtWidgets import QApplication

    class DialogRelay(QObject):
        # A queued signal runs its slot later in the relay's (the GUI) thread,
        # whichever thread raised: QTimer.singleShot(0, ...) would do the same
        # from the GUI thread only.
        raised = Signal(str, str)

        def __init__(self):
            super().__init__()
            self.raised.connect(self.show, Qt.ConnectionType.QueuedConnection)

        @Slot(str, str)
        def show(self, title: str, text: str) -> None:
            show_error_dialog(title, text)

    relay = DialogRelay()
    app = QApplication.instance()
    if app is not None:
        relay.moveToThread(app.thread())
    shown: set[tuple] = set()

    def excepthook(kind, value, tb):
        try:
            text = "".join(traceback.format_exception(kind, value, tb))
            key = _error_key(kind, tb)
            # Every occurrence goes to the log; the terminal hears of each distinct error once.
            log.error("unhandled %s: %s\n%s", kind.__name__, value, text,
                      extra={} if key not in shown else {"terminal": False})
            if key not in shown:
                shown.add(key)
                relay.raised.emit("Latent Explorer — unexpected error",
                                  f"{kind.__name__}: {value}\n\nThe window keeps running. "
                                  f"The details are in {logfile}.")
        except Exception:  # the hook of last resort must not raise itself
            sys.__excepthook__(kind, value, tb)

    excepthook.relay = relay  # keeps the relay alive as long as the hook
    sys.excepthook = excepthook
    return excepthook


def run_gui(target: str | None = None, bank_size: int | None = None, debug: bool = False) -> int:
    """Open the window on ``target`` (a checkpoint or session file; None: a crashed
    session's autosave if the user wants it, else the last session, the last model or the bundled one).

    ``target`` is passed on to the window as it is. ``debug`` logs at DEBUG
    level and shows tracebacks on the terminal too. Returns the exit status.
    """
    logfile = setup_logging(debug)
    log.info("starting the window (%s)%s", target or "default model", ", debug logging" if debug else "")
    if not has_display():
        return _fail("no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset); run it in a desktop "
                     "session, under xvfb-run, or use a headless command such as 'latent-explorer sample --help'", logfile)
    try:
        from PySide6.QtWidgets import QApplication, QMessageBox
    except ImportError as exc:
        return _fail(f"the Qt library could not be loaded ({exc}); reinstall with 'pip install PySide6'", logfile)
    if target is None and not default_checkpoint().exists():
        return _fail(f"the bundled default model {default_checkpoint()} is missing; reinstall latent-explorer", logfile)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Latent Explorer")
    app.setOrganizationName("latent-explorer")
    install_excepthook(logfile)
    # Python's cyclic garbage collector runs in whichever thread allocates; if that is the
    # inference worker and the garbage holds Qt widgets, Qt crashes. Collect on a GUI-thread
    # timer instead (pyqtgraph's GarbageCollector disables the automatic collector).
    from pyqtgraph.util.garbage_collector import GarbageCollector

    collector = GarbageCollector(interval=1.0)  # noqa: F841  (kept alive while the window runs)
    try:
        from explorer.ui.main_window import MainWindow

        kwargs = {"bank_size": bank_size} if bank_size else {}
        window = MainWindow(target, **kwargs)
    except Exception as exc:  # start-up failure: say what, where the log is
        log.error("start-up failed: %s: %s", type(exc).__name__, exc, exc_info=True)
        QMessageBox.critical(None, "Latent Explorer could not start", f"{type(exc).__name__}: {exc}\n\nLog: {logfile}")
        return 1
    window.show()
    return app.exec()


class GuiArgs(NamedTuple):
    """What ``latent-explorer`` without a command was asked to open, and how."""

    target: str | None
    debug: bool
    bank: int | None = None  # --bank N: codes in the latent bank for this run (None: the remembered size)


def _bank_size(text: str) -> int:
    """The value of ``--bank``: a whole number of codes within the bank builder's limits."""
    from explorer.cli import UsageError
    from explorer.inference.bank_builder import MAX_BANK, MIN_BANK

    try:
        n = int(text.replace("_", ""))
    except ValueError:
        raise UsageError(f"--bank takes a whole number of latent codes, not {text!r}") from None
    if not MIN_BANK <= n <= MAX_BANK:
        raise UsageError(f"--bank {text}: the bank holds {MIN_BANK:,} to {MAX_BANK:,} latent codes")
    return n


def parse_gui_args(argv: list[str]) -> GuiArgs:
    """Read ``[--debug] [--bank N] [CHECKPOINT|SESSION_FILE]`` (options may come anywhere;
    ``--bank=N`` works too).

    Raises :class:`explorer.cli.UsageError` naming what is wrong.
    """
    from explorer.cli import UsageError

    debug, bank, positional, options_done = False, None, [], False
    args = iter(argv)
    for arg in args:
        if options_done or arg == "-" or not arg.startswith("-"):
            positional.append(arg)
        elif arg == "--":
            options_done = True  # a file whose name starts with "-" follows
        elif arg == "--debug":
            debug = True
        elif arg == "--bank":
            value = next(args, None)
            if value is None:
                raise UsageError("--bank needs a number of latent codes, e.g. --bank 100000")
            bank = _bank_size(value)
        elif arg.startswith("--bank="):
            bank = _bank_size(arg.split("=", 1)[1])
        else:
            raise UsageError(f"unknown option {arg}")
    if len(positional) > 1:
        raise UsageError(f"the window opens one file at a time, got {len(positional)}")
    return GuiArgs(positional[0] if positional else None, debug, bank)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``latent-explorer`` and ``python main.py``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    from explorer.cli import COMMANDS, UsageError

    # --debug is global: what follows it decides between a command and the window.
    first = next((a for a in argv if a != "--debug"), None)
    if first in COMMANDS or first in ("-h", "--help"):
        from explorer.cli import main as cli_main

        return cli_main(argv)
    try:
        target, debug, bank = parse_gui_args(argv)
    except UsageError as exc:
        print(f"latent-explorer: {exc}\n{USAGE}", file=sys.stderr)
        return 2
    return run_gui(target, bank_size=bank, debug=debug)
