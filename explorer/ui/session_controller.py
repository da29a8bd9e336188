"""Sessions: save, save as, open, recent sessions, autosave and recovery after
a crash, the last session reopened at start, and undo/redo."""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from explorer.core.file_hash import model_problem
from explorer.core.session_file import SUFFIX, SessionFileError, file_sha256, load_session, save_session
from explorer.core.session_io import apply_document, document_from_session
from explorer.ui.model_controller import DEFAULT_MODEL

log = logging.getLogger(__name__)
AUTOSAVE_MS = 60_000
SESSION_FILTER = f"Latent Explorer sessions (*{SUFFIX});;All files (*)"


def state_dir() -> Path:
    """Autosaves and the last session: ``$LATENT_EXPLORER_STATE_DIR`` or the user's state folder."""
    env = os.environ.get("LATENT_EXPLORER_STATE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "latent-explorer"


class SessionController(QObject):
    """Owns the session's file: where it lives, whether it is saved, its autosave."""

    def __init__(self, ctx, models):
        super().__init__(ctx.window)
        self.ctx, self.models = ctx, models
        self.path: Path | None = None
        self._pending = None  # a document waiting for its model to open
        self._saved_revision = ctx.session.revision
        self._autosaved_revision = ctx.session.revision
        self.dialog: QMessageBox | None = None  # the open question (recovery, missing model), for tests
        self.recent_menu = QMenu("Open recent session")
        history = ctx.session.history
        self.undo_action = QAction("&Undo", self, shortcut=QKeySequence.StandardKey.Undo, triggered=self.undo)
        self.redo_action = QAction("&Redo", self, shortcut=QKeySequence("Ctrl+Shift+Z"), triggered=self.redo)
        history.changed.connect(self._on_history)
        models.bankShown.connect(self._on_bank_shown)
        # A session's model that fails to open, is cancelled or does not fit leaves nothing to
        # restore: forget the document, or the next model opened would get it.
        models.openEnded.connect(self._on_open_ended)
        self._autosaver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self._autosaving: Future | None = None
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self._on_history()
        self.refresh_recent()

    # -- files -------------------------------------------------------------------------
    @property
    def autosave_path(self) -> Path:
        return state_dir() / f"autosave{SUFFIX}"

    @property
    def last_path(self) -> Path:
        return state_dir() / f"last{SUFFIX}"

    def is_dirty(self) -> bool:
        return self.ctx.session.bank is not None and self.ctx.session.revision != self._saved_revision

    def document(self):
        s = self.ctx.session
        try:
            sha = file_sha256(s.model_path) if s.model_path else ""
        except OSError:
            sha = ""
        return document_from_session(s, sha, self.ctx.scatter.view_range())

    def save(self) -> bool:
        return self.save_as(self.path) if self.path else self.save_as()

    def save_as(self, path: str | Path | None = None) -> bool:
        """Write the session (atomically) to ``path``, or ask where."""
        if self.ctx.session.bank is None:
            self.ctx.message_bar.show_error("Nothing to save yet: open a model first")
            return False
        if path is None:
            start = str(Path(self.ctx.settings.last_folder()) / f"{self.models.info.name}{SUFFIX}")
            chosen, _ = QFileDialog.getSaveFileName(self.ctx.window, "Save session", start, SESSION_FILTER)
            if not chosen:
                return False
            path = chosen if chosen.endswith(SUFFIX) else chosen + SUFFIX
        path = Path(path)
        try:
            save_session(path, self.document())
        except (OSError, SessionFileError, ValueError) as exc:
            self.ctx.message_bar.show_error(f"Could not save the session to {path}: {getattr(exc, 'strerror', None) or exc}")
            return False
        self.path = path
        self._saved_revision = self.ctx.session.revision
        self.ctx.session.history.mark_clean()
        self.ctx.settings.set_last_folder(str(path.parent))
        self.refresh_recent(self.ctx.settings.add_recent_session(str(path)))
        self._title()
        self.ctx.window.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def choose_session(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.ctx.window, "Open session", self.ctx.settings.last_folder(),
                                              SESSION_FILTER)
        if path:
            self.open_session(path)

    def open_session(self, path: str | Path, model_path: str | None = None, *, check: bool = True,
                     remember: bool = True) -> bool:
        """Read ``path`` and reopen its model with everything as it was saved.

        A bad file leaves the current session as it was. A model that is missing
        or has changed is named, with an offer to locate it (``model_path``).
        """
        path = Path(path)
        try:
            doc = load_session(path)
        except SessionFileError as exc:
            self.ctx.message_bar.show_error(f"Could not open the session: {exc}")
            return False
        model = Path(model_path or doc.model_path)
        if check:
            problem = model_problem(model, doc.model_sha256, " the session was saved")
            if problem:
                self._offer_locate(path, model, problem, remember)
                return False
        doc.model_path = str(model)
        self._pending = (doc, path if remember else None)
        self.models.open_checkpoint(str(model), bank=doc.bank)
        return True

    def open_document(self, doc) -> None:
        """Open ``doc``'s model and show the document (an export folder brought back), unsaved."""
        self._pending = (doc, None)
        self.models.open_checkpoint(doc.model_path, bank=doc.bank)

    def _offer_locate(self, path: Path, model: Path, problem: str, remember: bool) -> None:
        self.ctx.message_bar.show_error(f"Could not open the session {path}: {problem}")
        box = QMessageBox(QMessageBox.Icon.Warning, "Model not found",
                          f"The session {path.name} cannot be opened as saved: {problem}.\n\n"
                          "Locate the model file, or open the session with the file as it is now.",
                          parent=self.ctx.window)
        locate = box.addButton("Locate…", QMessageBox.ButtonRole.AcceptRole)
        anyway = box.addButton("Open anyway", QMessageBox.ButtonRole.ApplyRole) if model.exists() else None
        box.addButton(QMessageBox.StandardButton.Cancel)

        def answered() -> None:
            if box.clickedButton() is locate:
                chosen, _ = QFileDialog.getOpenFileName(self.ctx.window, f"Locate {model.name}",
                                                        str(model.parent), "Checkpoints (*)")
                if chosen:
                    self.open_session(path, chosen, remember=remember)
            elif anyway is not None and box.clickedButton() is anyway:
                self.open_session(path, str(model), check=False, remember=remember)

        box.finished.connect(answered)
        self.dialog = box
        box.open()

    def _on_open_ended(self, reason: str) -> None:
        if self._pending is not None and "do not fit" in reason:
            doc, path = self._pending
            self.ctx.message_bar.show_error(f"Could not open the session{f' {path}' if path else ''}: {reason}")
        self._pending = None

    def _on_bank_shown(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and self.ctx.session.bank is not pending[0].bank:
            pending = None  # another model or bank was opened meanwhile: the document is not for it
        if pending is None:
            self.path = None
        else:
            doc, path = pending
            apply_document(self.ctx.session, doc)
            if doc.view_range is not None:
                self.ctx.scatter.set_view_range(*doc.view_range)
            self._decode_current()
            self.path = path
            if path is not None:
                self.refresh_recent(self.ctx.settings.add_recent_session(str(path)))
        self._saved_revision = self._autosaved_revision = self.ctx.session.revision
        self._title()

    def _decode_current(self) -> None:
        """The restored current point goes back into the preview, image and words together."""
        from explorer.core.preview import latent_preview, point_preview

        s = self.ctx.session
        if s.current is None:
            return
        label, z = s.current
        state = point_preview(s.bank, s.selected) if s.selected is not None else latent_preview(label, z)
        self.ctx.preview.show_state(state)
        self.ctx.client.decode(np.asarray(z).reshape(s.bank.latent_shape)[None], "click", tag=state, owner=self)

    def on_response(self, request, images) -> None:
        if self.ctx.preview.state is request.tag:  # nothing else was shown meanwhile
            self.ctx.preview.show_state(request.tag.with_image(images[0]))

    def refresh_recent(self, items: list[str] | None = None) -> None:
        self.recent_menu.clear()
        items = self.ctx.settings.recent_sessions() if items is None else items
        for item in items:
            self.recent_menu.addAction(item, lambda p=item: self.open_session(p))
        self.recent_menu.setEnabled(bool(items))

    # -- autosave, recovery, the last session ------------------------------------------------
    def autosave(self, block: bool = False) -> bool:
        """Write a changed session to the state folder (not over the user's file).

        The file is written in a background thread (a 1M-code bank's session is
        400 MB: 1.5 s that froze the window every minute); the document is taken
        here, and a session's arrays are replaced by edits, never changed in place.
        True when a write was started; ``block`` waits for it to end.
        """
        s = self.ctx.session
        if s.bank is None or s.revision == self._autosaved_revision or self._pending is not None:
            return False
        if self._autosaving is not None and not self._autosaving.done():
            return False  # the last one is still writing; the next tick tries again
        try:
            doc = self.document()
        except ValueError as exc:
            log.warning("autosave failed: %s", exc)
            return False
        self._autosaved_revision = s.revision
        self._autosaving = self._autosaver.submit(self._write_autosave, doc, s.revision)
        if block:
            self.wait_for_autosave()
        return True

    def _write_autosave(self, doc, revision: int) -> None:  # in the autosave thread: no Qt here
        try:
            save_session(self.autosave_path, doc)
        except (OSError, SessionFileError, ValueError) as exc:
            log.warning("autosave failed: %s", exc)
            if self._autosaved_revision == revision:
                self._autosaved_revision = None  # try again on the next tick

    def wait_for_autosave(self) -> None:
        """Block until an autosave being written has been written."""
        if self._autosaving is not None:
            self._autosaving.result()

    def offer_recovery(self) -> bool:
        """After a crash (an autosave left behind): ask whether to restore it. True when asked."""
        if not self.autosave_path.is_file():
            return False
        box = QMessageBox(QMessageBox.Icon.Question, "Restore the last session?",
                          "Latent Explorer did not close properly last time. Restore the session it saved "
                          "automatically?", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                          self.ctx.window)
        box.button(QMessageBox.StandardButton.Yes).setText("Restore")
        box.button(QMessageBox.StandardButton.No).setText("Discard")

        def answered(result: int) -> None:
            saved = self.autosave_path.with_suffix(".recovered" + SUFFIX)
            os.replace(self.autosave_path, saved)  # asked once: the next crash will not ask about this one
            if result == QMessageBox.StandardButton.Yes:
                self.open_session(saved, check=False, remember=False)
            else:
                self.startup_fallback()

        box.finished.connect(answered)
        self.dialog = box
        box.open()
        return True

    def startup_fallback(self) -> None:
        """A plain start: the last session if there is one, else the last model, else the bundled default."""
        if self.last_path.is_file():
            try:
                doc = load_session(self.last_path)
                problem = model_problem(Path(doc.model_path), doc.model_sha256, " the session was saved")
            except SessionFileError as exc:
                problem = str(exc)
            if not problem:
                self.open_session(self.last_path, check=False, remember=False)
                return
            self.ctx.message_bar.show_error(f"The last session was not reopened: {problem}")
        last = self.ctx.settings.last_model()
        if last and Path(last).exists():
            self.models.open_checkpoint(last)
        else:
            self.models.open_checkpoint(DEFAULT_MODEL)

    def on_close(self) -> None:
        """A clean quit: keep the session as the last one, drop the crash autosave."""
        self.autosave_timer.stop()
        self.wait_for_autosave()  # else it could land after the unlink below and look like a crash
        self._autosaver.shutdown()
        if self.ctx.session.bank is not None and self._pending is None:
            try:
                save_session(self.last_path, self.document())
            except (OSError, SessionFileError, ValueError) as exc:
                log.warning("could not keep the last session: %s", exc)
        self.autosave_path.unlink(missing_ok=True)

    # -- undo / redo --------------------------------------------------------------------
    def undo(self) -> None:
        label = self.ctx.session.history.undo()
        if label:
            self.ctx.window.statusBar().showMessage(f"Undid: {label}", 3000)

    def redo(self) -> None:
        label = self.ctx.session.history.redo()
        if label:
            self.ctx.window.statusBar().showMessage(f"Redid: {label}", 3000)

    def _on_history(self) -> None:
        h = self.ctx.session.history
        self.undo_action.setEnabled(h.can_undo())
        self.redo_action.setEnabled(h.can_redo())
        self.undo_action.setText(f"&Undo {h.undo_label()}".rstrip())
        self.redo_action.setText(f"&Redo {h.redo_label()}".rstrip())
        self._title()

    def _title(self) -> None:
        info = self.models.info
        name = self.path.name if self.path else (info.name if info else "")
        self.ctx.window.setWindowTitle(f"Latent Explorer — {name}" + (" *" if self.is_dirty() else "")
                                       if name else "Latent Explorer")
