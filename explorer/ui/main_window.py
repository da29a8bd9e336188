"""The main window: latent scatter, preview, menus, status bar."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QPointF, Qt, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QProgressBar,
                               QSplitter, QToolButton, QVBoxLayout, QWidget)
from superqt.utils import qthrottled

from explorer.core.session import ExplorerSession
from explorer.inference.client import InferenceClient
from explorer.inference.requests import BuildBank, Decode, LoadModel
from explorer.ui.message_bar import MessageBar
from explorer.ui.preview_panel import PreviewPanel
from explorer.ui.scatter_view import ScatterView
from explorer.ui.settings import Settings
from explorer.ui.thumbnail_tip import ThumbnailTip

log = logging.getLogger(__name__)

BANK_SIZE = 2000
CHECKPOINT_FILTER = "Checkpoints (*.safetensors *.pt *.pth *.ckpt);;All files (*)"
CONTROLS = """<b>Mouse</b><br>
Hover a point — thumbnail of its decoded image<br>
Click a point — decode it into the preview<br>
Drag — pan; wheel — zoom; right-click — view menu<br>
Drop a checkpoint on the window — open it<br><br>
<b>Keys</b><br>
Ctrl+O open · Ctrl+Q quit · Esc clear selection / dismiss message<br>
Ctrl+0 reset the view · F1 this help"""


class MainWindow(QMainWindow):
    """Thin view over :class:`ExplorerSession`; all inference goes through the client."""

    def __init__(self, checkpoint: str | None = None, bank_size: int = BANK_SIZE, threads: int | None = None):
        super().__init__()
        self.setWindowTitle("Latent Explorer")
        self.resize(1200, 760)
        self.setAcceptDrops(True)
        self.session = ExplorerSession()
        self.settings = Settings()
        self.bank_size = bank_size
        self.model_info = None
        self.device = ""
        self._long_request = None
        self.client = InferenceClient(self, threads=threads)
        self._build_widgets()
        self._build_menus()
        self._connect()
        self._update_status()
        if checkpoint:
            self.open_checkpoint(checkpoint)

    # -- construction --------------------------------------------------------
    def _build_widgets(self) -> None:
        self.message_bar = MessageBar()
        self.scatter = ScatterView()
        self.preview = PreviewPanel()
        self.colour_combo = QComboBox()
        self.colour_combo.setToolTip("Colour the points by an attribute or label")
        self.count_label = QLabel("")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Colour by:"))
        bar.addWidget(self.colour_combo)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(4, 4, 4, 4)
        lv.addLayout(bar)
        lv.addWidget(self.scatter, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        central = QWidget()
        cv = QVBoxLayout(central)
        cv.setContentsMargins(0, 0, 0, 0)
        cv.addWidget(self.message_bar)
        cv.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.tip = ThumbnailTip(self)

        self.model_label = QLabel()
        self.worker_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.hide()
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.hide()
        sb = self.statusBar()
        sb.addWidget(self.model_label, 1)
        sb.addPermanentWidget(self.progress_bar)
        sb.addPermanentWidget(self.cancel_button)
        sb.addPermanentWidget(self.worker_label)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = file_menu.addAction("&Open checkpoint…", QKeySequence.StandardKey.Open, self.choose_checkpoint)
        self.recent_menu = file_menu.addMenu("Open &recent")
        file_menu.addSeparator()
        file_menu.addAction("&Quit", QKeySequence.StandardKey.Quit, self.close)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction("&Reset view", QKeySequence("Ctrl+0"), lambda: self.scatter.plot.getPlotItem().autoRange())
        view_menu.addAction("&Clear selection", QKeySequence(Qt.Key.Key_Escape), self.clear_selection)
        model_menu = self.menuBar().addMenu("&Model")
        device_menu = model_menu.addMenu("&Device")
        self.device_group = QActionGroup(self)
        self.device_actions: dict[str, QAction] = {}
        import torch

        available = {"auto": True, "cpu": True, "cuda": torch.cuda.is_available(),
                     "mps": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())}
        for name, ok in available.items():
            act = device_menu.addAction({"auto": "Automatic (best available)"}.get(name, name.upper()))
            act.setCheckable(True)
            act.setEnabled(ok)
            act.setData(name)
            if not ok:
                act.setToolTip(f"{name.upper()} is not available on this machine")
            self.device_group.addAction(act)
            self.device_actions[name] = act
        self.device_actions.get(self.settings.device(), self.device_actions["auto"]).setChecked(True)
        self.device_group.triggered.connect(self._on_device_chosen)
        model_menu.addAction("Re&build latent bank", self.rebuild_bank)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&Controls", QKeySequence(Qt.Key.Key_F1),
                            lambda: QMessageBox.information(self, "Controls", CONTROLS))
        self._refresh_recent()

    def _connect(self) -> None:
        c = self.client
        c.modelLoaded.connect(self._on_model_loaded)
        c.deviceChanged.connect(self._on_device_changed)
        c.bankReady.connect(self._on_bank_ready)
        c.decoded.connect(self._on_decoded)
        c.failed.connect(self._on_failed)
        c.cancelled.connect(self._on_cancelled)
        c.progress.connect(self._on_progress)
        c.stateChanged.connect(self._on_worker_state)
        self.scatter.clicked.connect(self.select_point)
        self.scatter.hovered.connect(self._on_hover)
        self.colour_combo.currentTextChanged.connect(self._on_colour_field)
        self.cancel_button.clicked.connect(self.cancel_long_job)
        # Hover fires on every mouse move; at most one tooltip update per 40 ms.
        self._throttled_hover = qthrottled(self._show_hover, timeout=40, parent=self)

    # -- actions -------------------------------------------------------------
    def choose_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", "", CHECKPOINT_FILTER)
        if path:
            self.open_checkpoint(path)

    def open_checkpoint(self, path: str) -> LoadModel:
        """Ask the worker to load ``path``; the current model stays until it succeeds."""
        self.message_bar.hide()
        device = self.device_group.checkedAction().data() if self.device_group.checkedAction() else "auto"
        req = self.client.load(str(path), device)
        self._set_long(req, f"Opening {Path(path).name}…")
        return req

    def rebuild_bank(self) -> None:
        if self.model_info is not None:
            self._set_long(self.client.build_bank(self.bank_size), "Building the latent bank…")

    def select_point(self, index: int) -> None:
        """Select bank point ``index`` and decode it through the worker."""
        bank = self.session.bank
        if bank is None:
            return
        self.session.select(index)
        self.scatter.mark(index)
        self.preview.show_details(bank.describe(index), bank.source)
        self.preview.show_pending()
        self.client.decode(bank.latent(index)[None], "click", tag=index)

    def clear_selection(self) -> None:
        if self.message_bar.isVisible():
            self.message_bar.hide()
            return
        self.session.select(None)
        self.scatter.mark(None)
        self.preview.clear()

    def cancel_long_job(self) -> None:
        if self._long_request is not None:
            self.client.cancel(self._long_request)

    # -- responses -----------------------------------------------------------
    @Slot(object)
    def _on_model_loaded(self, payload: dict) -> None:
        self.model_info, self.device = payload["info"], payload["device"]
        self.session.clear()
        self.preview.clear()
        self.scatter.set_points(self.session.points, self.session.colouring())
        self._refresh_recent(self.settings.add_recent(payload["path"]))
        self.setWindowTitle(f"Latent Explorer — {self.model_info.name}")
        self._update_status()
        self._set_long(self.client.build_bank(self.bank_size), "Building the latent bank…")

    @Slot(str)
    def _on_device_changed(self, device: str) -> None:
        self.device = device
        self._update_status()

    @Slot(object)
    def _on_bank_ready(self, bank) -> None:
        self._end_long()
        self.session.set_bank(bank)
        self.colour_combo.blockSignals(True)
        self.colour_combo.clear()
        self.colour_combo.addItems(["(none)"] + bank.colour_fields())
        self.colour_combo.setCurrentText(self.session.colour_field or "(none)")
        self.colour_combo.blockSignals(False)
        self.scatter.set_points(self.session.points, self.session.colouring())
        ratio = self.session.projection.explained_variance_ratio_
        self.scatter.set_axis_labels(f"PC1 ({ratio[0]:.0%} of variance)", f"PC2 ({ratio[1]:.0%})")
        self.count_label.setText(f"{len(bank)} points · {bank.source} · PCA {ratio.sum():.0%} of variance")
        self._update_status()

    @Slot(object, object)
    def _on_decoded(self, request: Decode, images) -> None:
        if request.purpose == "click" and request.tag == self.session.selected:
            self.preview.show_image(images[0])

    @Slot(object, str)
    def _on_failed(self, request, message: str) -> None:
        log.warning("worker failed on %s: %s", type(request).__name__, message)
        if isinstance(request, (LoadModel, BuildBank)):
            self._end_long()
        if isinstance(request, LoadModel):
            kept = f" — still showing {self.model_info.name}" if self.model_info else ""
            self.message_bar.show_error(f"Could not open {request.path}: {message}{kept}")
        else:
            self.message_bar.show_error(message)
        self._update_status()

    @Slot(object)
    def _on_cancelled(self, request) -> None:
        self._end_long()
        self.statusBar().showMessage("Cancelled", 3000)

    @Slot(object, int, int)
    def _on_progress(self, request, done: int, total: int) -> None:
        if self._long_request is not None and request.id == self._long_request.id:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)

    @Slot(str)
    def _on_worker_state(self, state: str) -> None:
        self.worker_label.setText(f"worker: {state or 'idle'}")

    @Slot(str)
    def _on_colour_field(self, text: str) -> None:
        if self.session.bank is None:
            return
        self.session.colour_field = "" if text == "(none)" else text
        self.scatter.set_colouring(self.session.colouring())

    @Slot(int, QPointF)
    def _on_hover(self, index: int, global_pos: QPointF) -> None:
        self._throttled_hover(index, global_pos)

    def _show_hover(self, index: int, global_pos: QPointF) -> None:
        bank = self.session.bank
        if index < 0 or bank is None or bank.thumbnails is None:
            self.tip.hide_tip()
            return
        info = bank.describe(index)
        caption = f"#{index}" + (f"  {info['label']}" if "label" in info else "")
        on = [k for k, v in info["attributes"].items() if v >= 0.5]
        if on:
            caption += "\n" + ", ".join(on)
        self.tip.show_at(index, bank.thumbnails[index], caption, global_pos.toPoint())

    @Slot(QAction)
    def _on_device_chosen(self, action: QAction) -> None:
        device = action.data()
        self.settings.set_device(device)
        if self.model_info is not None:
            self.client.set_device(device)

    # -- helpers -------------------------------------------------------------
    def _set_long(self, request, text: str) -> None:
        self._long_request = request
        self.progress_bar.setRange(0, 0)
        self.progress_bar.show()
        self.cancel_button.setVisible(isinstance(request, BuildBank))
        self.statusBar().showMessage(text)

    def _end_long(self) -> None:
        self._long_request = None
        self.progress_bar.hide()
        self.cancel_button.hide()
        self.statusBar().clearMessage()

    def _update_status(self) -> None:
        if self.model_info is None:
            self.model_label.setText("No model — File ▸ Open, or drop a checkpoint here")
        else:
            i = self.model_info
            shape = "×".join(str(s) for s in i.latent_shape)
            self.model_label.setText(f"{i.name} · {i.family} · latent {shape} · {i.image_size}px · device {self.device}")
        self.worker_label.setText(f"worker: {self.client.state or 'idle'}")

    def _refresh_recent(self, items: list[str] | None = None) -> None:
        self.recent_menu.clear()
        items = self.settings.recent_files() if items is None else items
        for path in items:
            self.recent_menu.addAction(path, lambda p=path: self.open_checkpoint(p))
        self.recent_menu.setEnabled(bool(items))

    # -- Qt events -----------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            self.open_checkpoint(files[0])
            event.acceptProposedAction()

    def closeEvent(self, event) -> None:
        self.tip.hide()
        self.client.close()
        super().closeEvent(event)
