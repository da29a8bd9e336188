"""Opening models: checkpoints by dialog, recent files or drop, the device,
the latent bank, the hints dialog, and the model's line in the status bar."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLabel, QMenu

from explorer.inference.bank_builder import MAX_BANK, MIN_BANK
from explorer.inference.requests import BankResult, BuildBank, LoadModel
from models.paths import display_path as _shown  # a name that is not UTF-8 is shown with U+FFFD, never fails

log = logging.getLogger(__name__)
CHECKPOINT_FILTER = "Checkpoints (*.safetensors *.pt *.pth *.ckpt);;All files (*)"
DEVICES = ("auto", "cpu", "cuda", "mps")
DEFAULT_MODEL = "toyfaces_vae"  # bundled; the loader finds a bundled model by its name
BANK_SIZES = {"2k": 2_000, "10k": 10_000, "100k": 100_000, "1M": 1_000_000}  # Model ▸ Bank size


class ModelController(QObject):
    """Owns LoadModel, SetDevice and BuildBank requests; puts each new bank into the session.

    ``modelOpened(info)`` says a model is loaded (its bank follows);
    ``bankShown()`` says its bank is in the session; ``openEnded(reason)`` says
    an open failed, was cancelled, or could not use the bank it was given.
    """

    modelOpened = Signal(object)
    bankShown = Signal()
    openEnded = Signal(str)

    def __init__(self, ctx, bank_size: int | None = None):
        super().__init__(ctx.window)
        self.ctx = ctx
        # Given (--bank, tests) it holds for this window only; else the size last chosen in the menu.
        self.bank_size = int(bank_size) if bank_size else ctx.settings.bank_size()
        self.bank_size_group = QActionGroup(self)
        self.bank_size_actions: dict[str, QAction] = {}
        self.info = None
        self.device = ""
        self.hints_dialog = None
        self._restore_bank = None  # a bank to show instead of building one (opening a session)
        self._started = time.perf_counter()
        self.model_label = QLabel()
        ctx.window.statusBar().addPermanentWidget(self.model_label)
        self.device_group = QActionGroup(self)
        self.device_actions: dict[str, QAction] = {}
        self.recent_menu = QMenu("Open &recent")
        self.update_status()

    # -- menus ------------------------------------------------------------------
    def fill_device_menu(self, menu: QMenu) -> None:
        import torch

        available = {"auto": True, "cpu": True, "cuda": torch.cuda.is_available(),
                     "mps": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())}
        for name, ok in available.items():
            act = menu.addAction({"auto": "Automatic (best available)"}.get(name, name.upper()))
            act.setCheckable(True)
            act.setEnabled(ok)
            act.setData(name)
            if not ok:
                act.setToolTip(f"{name.upper()} is not available on this machine")
            self.device_group.addAction(act)
            self.device_actions[name] = act
        self.device_actions.get(self.ctx.settings.device(), self.device_actions["auto"]).setChecked(True)
        self.device_group.triggered.connect(self._on_device_chosen)

    def fill_bank_size_menu(self, menu: QMenu) -> None:
        """Model ▸ Bank size: 2k, 10k, 100k, 1M or Other…; a choice rebuilds the bank and is remembered."""
        for label, n in BANK_SIZES.items():
            act = menu.addAction(f"{label} codes")
            act.setData(n)
            self.bank_size_actions[label] = act
        menu.addSeparator()
        self.bank_size_actions["other"] = other = menu.addAction("Other…")
        other.setData(0)  # asks for a number
        for act in self.bank_size_actions.values():
            act.setCheckable(True)
            self.bank_size_group.addAction(act)
        self._check_bank_size()
        self.bank_size_group.triggered.connect(self._on_bank_size_chosen)

    def _check_bank_size(self) -> None:
        if not self.bank_size_actions:
            return
        label = next((k for k, n in BANK_SIZES.items() if n == self.bank_size), "other")
        self.bank_size_actions[label].setChecked(True)
        self.bank_size_actions["other"].setText("Other…" if label != "other" else f"Other… ({self.bank_size:,})")

    def _on_bank_size_chosen(self, action: QAction) -> None:
        n = action.data()
        if not n:
            n, ok = QInputDialog.getInt(self.ctx.window, "Bank size", f"Latent codes in the bank ({MIN_BANK:,}–{MAX_BANK:,}):",
                                        self.bank_size, MIN_BANK, MAX_BANK, 1000)
            if not ok:
                self._check_bank_size()  # the menu shows the size still in use
                return
        self.set_bank_size(n)

    def set_bank_size(self, n: int) -> None:
        """Use banks of ``n`` codes from now on (remembered), and rebuild the shown one at that size."""
        n = max(MIN_BANK, min(MAX_BANK, int(n)))
        self.ctx.settings.set_bank_size(n)
        changed, self.bank_size = n != self.bank_size or self.ctx.session.bank is None, n
        self._check_bank_size()
        if changed:
            self.rebuild_bank()

    def refresh_recent(self, items: list[str] | None = None) -> None:
        self.recent_menu.clear()
        items = self.ctx.settings.recent_files() if items is None else items
        for path in items:
            self.recent_menu.addAction(_shown(path), lambda p=path: self.open_checkpoint(p))
        self.recent_menu.setEnabled(bool(items))

    # -- actions ------------------------------------------------------------------
    def choose_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.ctx.window, "Open checkpoint", self.ctx.settings.last_folder(),
                                              CHECKPOINT_FILTER)
        if path:
            self.ctx.settings.set_last_folder(str(Path(path).parent))
            self.open_checkpoint(path)

    def open_checkpoint(self, path: str, bank=None) -> LoadModel:
        """Ask the worker to load ``path``; the current model stays until it succeeds.

        With ``bank`` (a saved session's), that bank is shown instead of a new one.
        """
        self.ctx.message_bar.hide()
        self._restore_bank = bank
        checked = self.device_group.checkedAction()
        req = self.ctx.client.load(str(path), checked.data() if checked else "auto", owner=self)
        self.ctx.jobs.begin(req, f"Opening {_shown(Path(path).name)}…")
        return req

    def rebuild_bank(self) -> None:
        if self.info is not None:
            self._build_bank()

    def _build_bank(self) -> None:
        req = self.ctx.client.build_bank(self.bank_size, owner=self)
        self.ctx.jobs.begin(req, f"Building the latent bank ({self.bank_size:,} codes)…",
                            lambda: self.ctx.client.cancel(req))
        self.ctx.scatter.set_placeholder(f"Building the latent bank of {self.info.name}: "
                                         f"{self.bank_size:,} codes…\nThe progress is in the status bar.")

    def _on_device_chosen(self, action: QAction) -> None:
        device = action.data()
        self.ctx.settings.set_device(device)
        if self.info is not None:
            self.ctx.client.set_device(device, owner=self)

    # -- responses ------------------------------------------------------------------
    def on_response(self, request, payload) -> None:
        if isinstance(request, LoadModel):
            self.ctx.jobs.end(request)
            self._loaded(payload, request)
        elif isinstance(request, BuildBank):
            self.ctx.jobs.end(request)
            self._show_bank(payload)  # a BankResult: the bank and its PCA, fitted in the worker
        else:  # SetDevice
            self.device = payload["device"]
            self.update_status()

    def _loaded(self, payload: dict, request: LoadModel) -> None:
        self.info, self.device = payload["info"], payload["device"]
        path = payload.get("path", request.path)  # the file the worker opened (a bundled name resolved)
        log.info("opened %s (%s) on %s, %.2f s after start", _shown(path), self.info.family, self.device,
                 time.perf_counter() - self._started)
        self.ctx.session.clear()
        self.ctx.preview.clear()
        self.refresh_recent(self.ctx.settings.add_recent(path))
        self.ctx.settings.set_last_model(path)
        self.ctx.window.setWindowTitle(f"Latent Explorer — {_shown(self.info.name)}")
        self.update_status()
        self.modelOpened.emit(self.info)
        bank, self._restore_bank = self._restore_bank, None
        if bank is not None and tuple(bank.latent_shape) != tuple(self.info.latent_shape):
            have, need = ("×".join(map(str, shape)) for shape in (bank.latent_shape, self.info.latent_shape))
            self.openEnded.emit(f"its latent codes ({have}) do not fit {self.info.name} (latent {need}); "
                                "showing a new latent bank of that model instead")
            bank = None
        if bank is not None:
            self._show_bank(bank)
        else:
            self._build_bank()

    def _show_bank(self, bank) -> None:
        """Put ``bank`` (a LatentBank, or a BankResult with its PCA already fitted) into the session."""
        projection = None
        if isinstance(bank, BankResult):
            projection = (bank.projection, bank.points) if bank.projection is not None else None
            bank = bank.bank
        log.info("latent bank ready: %d codes (%s), %.2f s after start", len(bank), bank.source,
                 time.perf_counter() - self._started)
        self.ctx.scatter.set_placeholder("")
        self.ctx.session.set_bank(bank, self.info.path if self.info else "", projection)
        self.bankShown.emit()
        self.update_status()

    def on_progress(self, request, done: int, total: int) -> None:
        what = "Building the latent bank" if isinstance(request, BuildBank) else "Opening"
        self.ctx.jobs.progress(request, done, total, f"{what}… {done:,} of {total:,}")

    def on_failed(self, request, message: str) -> None:
        self.ctx.jobs.end(request)
        if isinstance(request, LoadModel):
            self._restore_bank = None
            self.openEnded.emit(message)
            if message.startswith(f"{request.path}: "):  # the reader named the file already: name it once
                message = message[len(request.path) + 2:]
            kept = f" — still showing {self.info.name}" if self.info else ""
            self.ctx.message_bar.show_error(_shown(f"Could not open {request.path}: {message}{kept}"))
        else:
            self.ctx.message_bar.show_error(_shown(message))
        if self.ctx.session.bank is None:
            self.ctx.scatter.set_placeholder("No latent bank — File ▸ Open a checkpoint, or drop one on the window")
        self.update_status()

    def on_cancelled(self, request) -> None:
        self.ctx.jobs.end(request, "Cancelled")
        if isinstance(request, LoadModel):
            self._restore_bank = None
            self.openEnded.emit("cancelled")
        if self.ctx.session.bank is None:
            self.ctx.scatter.set_placeholder("The bank was not built — Model ▸ Rebuild latent bank")

    def on_hints_needed(self, request, missing: list) -> None:
        """Ask for what the file could not say, then try again with the answers."""
        from explorer.ui.hints_dialog import HintsDialog

        dialog = HintsDialog(request.path, missing, self.ctx.window)
        dialog.accepted.connect(self._retry_with_hints)
        self._hints_request = request
        self.hints_dialog = dialog
        dialog.open()

    def _retry_with_hints(self) -> None:
        request = self._hints_request
        self.ctx.message_bar.hide()
        req = self.ctx.client.load(request.path, request.device, self.hints_dialog.hints(), owner=self)
        self.ctx.jobs.begin(req, f"Opening {_shown(Path(request.path).name)}…")

    def update_status(self) -> None:
        if self.info is None:
            self.model_label.setText("No model — File ▸ Open, or drop a checkpoint here")
            return
        i = self.info
        shape = "×".join(str(s) for s in i.latent_shape)
        self.model_label.setText(f"{_shown(i.name)} · {i.family} · latent {shape} · {i.image_size}px · device {self.device}")
        detected = i.provenance.get("detected", "")
        tip = [i.path, f"samples from: {i.prior}"] + ([f"detected: {detected}"] if detected else [])
        self.model_label.setToolTip(_shown("\n".join(tip)))
        if detected and not self.ctx.jobs.busy():
            self.ctx.window.statusBar().showMessage(_shown(f"Opened {Path(i.path).name}: {detected}"), 8000)
