"""The main window: latent scatter, preview, menus, status bar."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QPointF, Qt, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
import numpy as np
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QProgressBar,
                               QScrollArea, QSplitter, QTabWidget, QToolButton, QVBoxLayout, QWidget)
from superqt.utils import qthrottled

from explorer.core.edits import analogy_plane, move_along, noisy_neighbours, vector_from_mask
from explorer.core.expressions import ExpressionError, evaluate
from explorer.core.interpolation import path as interpolation_path
from explorer.core.neighbours import nearest
from explorer.core.queries import query_mask
from explorer.core.selection import lasso_mask
from explorer.core.session import ExplorerSession
from explorer.core.vector_library import NamedVector
from explorer.inference.client import InferenceClient
from explorer.inference.requests import BuildBank, Decode, EncodeImages, LoadModel
from explorer.ui.arithmetic_panel import ArithmeticPanel
from explorer.ui.message_bar import MessageBar
from explorer.ui.neighbours_panel import NeighboursPanel
from explorer.ui.preview_panel import PreviewPanel
from explorer.ui.scatter_view import ScatterView
from explorer.ui.settings import Settings
from explorer.ui.thumbnail_tip import ThumbnailTip
from explorer.ui.walk_panel import WalkPanel

log = logging.getLogger(__name__)

BANK_SIZE = 2000
RESULT_NOISE = 0.2  # neighbours of an arithmetic result: result + this × N(0, I), as in the DCGAN figure
CHECKPOINT_FILTER = "Checkpoints (*.safetensors *.pt *.pth *.ckpt);;All files (*)"
CONTROLS = """<b>Mouse</b><br>
Hover a point — thumbnail of its decoded image<br>
Click a point — decode it into the preview<br>
Shift+click a point — add it as a waypoint of a walk<br>
Ctrl+drag — lasso a selection (then define a vector from it)<br>
Drag — pan; wheel — zoom; right-click — view menu<br>
Drop a checkpoint on the window — open it<br>
Drop images or a folder — encode them into the scatter (triangles)<br><br>
<b>Keys</b><br>
Ctrl+O open · Ctrl+Q quit · Esc clear selection / dismiss message<br>
Ctrl+W walk · Ctrl+Shift+W add waypoint · Ctrl+E expression · Ctrl+N neighbours<br>
Ctrl+0 reset the view · F1 this help"""


class MainWindow(QMainWindow):
    """Thin view over :class:`ExplorerSession`; all inference goes through the client."""

    def __init__(self, checkpoint: str | None = None, bank_size: int = BANK_SIZE, threads: int | None = None):
        super().__init__()
        self.setWindowTitle("Latent Explorer")
        self.resize(1280, 860)
        self.setAcceptDrops(True)
        self.session = ExplorerSession()
        self.settings = Settings()
        self.bank_size = bank_size
        self.model_info = None
        self.device = ""
        self._long_request = None
        self._started = time.perf_counter()
        self._frames: np.ndarray | None = None
        self._edit_base: np.ndarray | None = None
        self._selection: np.ndarray | None = None
        self._overlay_latents: dict[str, tuple[np.ndarray, dict]] = {}
        self._projection_job = None
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
        self.layout_combo = QComboBox()
        self.layout_combo.addItems(["PCA", "t-SNE", "UMAP", "attribute axes"])
        self.layout_combo.setToolTip("How the latent codes are laid out. t-SNE and UMAP run in the background "
                                     "(Cancel in the status bar) and are cached per model and bank.")
        self.axis_x, self.axis_y = QComboBox(), QComboBox()
        for combo, axis in ((self.axis_x, "x"), (self.axis_y, "y")):
            combo.setToolTip(f"The named vector along the {axis} axis")
            combo.hide()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Layout:"))
        bar.addWidget(self.layout_combo)
        bar.addWidget(self.axis_x)
        bar.addWidget(self.axis_y)
        bar.addWidget(QLabel("Colour by:"))
        bar.addWidget(self.colour_combo)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(4, 4, 4, 4)
        lv.addLayout(bar)
        lv.addWidget(self.scatter, 1)
        self.walk = WalkPanel()
        self.arithmetic = ArithmeticPanel()
        self.neighbours = NeighboursPanel()
        self.tabs = QTabWidget()
        for title, panel in (("Walk", self.walk), ("Arithmetic", self.arithmetic), ("Neighbours", self.neighbours)):
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setWidget(panel)
            self.tabs.addTab(scroll, title)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.preview)
        right.addWidget(self.tabs)
        right.setStretchFactor(1, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([800, 480])
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
        # Permanent widgets stay visible while a temporary message shows on the left.
        sb.addPermanentWidget(self.model_label)
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
        explore = self.menuBar().addMenu("&Explore")
        explore.addAction("Add current point as &waypoint", QKeySequence("Ctrl+Shift+W"), self.add_waypoint)
        explore.addAction("&Walk through the waypoints", QKeySequence("Ctrl+W"),
                          lambda: self.walk_path(self.walk.method.currentText(), self.walk.steps.value()))
        explore.addAction("&Expression…", QKeySequence("Ctrl+E"), self._focus_expression)
        explore.addAction("Find &neighbours", QKeySequence("Ctrl+N"),
                          lambda: self.find_neighbours(self.neighbours.k.value(), self.neighbours.metric.currentText()))
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
        c.encoded.connect(self._on_encoded)
        c.failed.connect(self._on_failed)
        c.cancelled.connect(self._on_cancelled)
        c.progress.connect(self._on_progress)
        c.stateChanged.connect(self._on_worker_state)
        c.hintsNeeded.connect(self._on_hints_needed)
        self.scatter.clicked.connect(self.select_point)
        self.scatter.hovered.connect(self._on_hover)
        self.colour_combo.currentTextChanged.connect(self._on_colour_field)
        self.layout_combo.currentTextChanged.connect(self.set_layout)
        self.axis_x.currentTextChanged.connect(lambda _t: self._apply_axes())
        self.axis_y.currentTextChanged.connect(lambda _t: self._apply_axes())
        self.cancel_button.clicked.connect(self.cancel_long_job)
        self.scatter.shiftClicked.connect(self._on_shift_click)
        self.scatter.lassoFinished.connect(self._on_lasso)
        self.walk.addRequested.connect(self.add_waypoint)
        self.walk.clearRequested.connect(self.clear_waypoints)
        self.walk.walkRequested.connect(self.walk_path)
        self.walk.frameChanged.connect(self._on_frame)
        self.arithmetic.defineRequested.connect(self.define_vector)
        self.arithmetic.removeRequested.connect(self.remove_vector)
        self.arithmetic.evaluateRequested.connect(self.evaluate_expression)
        self.arithmetic.directionChanged.connect(self._on_direction)
        self.arithmetic.analogyRequested.connect(self.analogy_grid)
        self.arithmetic.saveGridRequested.connect(self.save_grid)
        self.neighbours.findRequested.connect(self.find_neighbours)
        self.neighbours.chosen.connect(self.select_point)
        # Hover fires on every mouse move; at most one tooltip update per 40 ms.
        self._throttled_hover = qthrottled(self._show_hover, timeout=40, parent=self)
        # Slider scrubbing: at most one decode request per 40 ms (the worker also drops superseded ones).
        self._throttled_frame = qthrottled(self._decode_frame, timeout=40, parent=self)
        self._throttled_edit = qthrottled(self._decode_edit, timeout=40, parent=self)

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
        self._edit_base = bank.latents[index].copy()
        self.client.decode(bank.latent(index)[None], "click", tag=index)

    def clear_selection(self) -> None:
        if self.message_bar.isVisible():
            self.message_bar.hide()
            return
        self.session.select(None)
        self.scatter.mark(None)
        self.preview.clear()

    def cancel_long_job(self) -> None:
        if self._projection_job is not None and self._projection_job.is_running():
            self._projection_job.cancel()
        elif self._long_request is not None:
            self.client.cancel(self._long_request)

    # -- layouts ---------------------------------------------------------------
    def set_layout(self, method: str) -> None:
        """PCA now; t-SNE/UMAP from the cache or a background process; attribute axes."""
        if self.session.bank is None:
            return
        is_axes = method == "attribute axes"
        self.axis_x.setVisible(is_axes)
        self.axis_y.setVisible(is_axes)
        if self._projection_job is not None and self._projection_job.is_running():
            self._projection_job.cancel()
        if method == "PCA":
            self.session.use_pca()
            self._show_layout()
        elif is_axes:
            self._apply_axes()
        else:
            cached = self.session.cached_embedding(method)
            if cached is not None:
                self.session.use_embedding(method, cached)
                self._show_layout()
                return
            from explorer.inference.projection_job import ProjectionJob

            job = ProjectionJob(method, self.session.bank.latents, 0, self)
            job.finished.connect(self._on_projection_done)
            job.failed.connect(self._on_projection_failed)
            job.cancelled.connect(self._on_projection_cancelled)
            job.tick.connect(lambda secs: self.statusBar().showMessage(f"Computing {method}… {secs:.0f} s"))
            self._projection_job = job
            self._set_long(None, f"Computing {method}…")
            self.cancel_button.show()
            job.start()

    def _apply_axes(self) -> None:
        if self.layout_combo.currentText() != "attribute axes" or self.session.bank is None:
            return
        try:
            self.session.use_attribute_axes(self.axis_x.currentText(), self.axis_y.currentText())
        except ValueError as exc:
            self.message_bar.show_error(str(exc))
            return
        self._show_layout()

    def _show_layout(self) -> None:
        self.scatter.set_points(self.session.points, self.session.colouring())
        m = self.session.layout_method
        if m == "PCA":
            r = self.session.projection.explained_variance_ratio_
            self.scatter.set_axis_labels(f"PC1 ({r[0]:.0%} of variance)", f"PC2 ({r[1]:.0%})")
        elif "×" in m:
            x, y = m.split(" × ")
            self.scatter.set_axis_labels(f"along {x}", f"along {y}")
        else:
            self.scatter.set_axis_labels(f"{m} 1", f"{m} 2")
        self._replace_overlays()
        if self.session.selected is not None:
            self.scatter.mark(self.session.selected)

    @Slot(object)
    def _on_projection_done(self, coords) -> None:
        self._end_long()
        method = self._projection_job.method
        if self.layout_combo.currentText() == method and self.session.bank is not None:
            self.session.use_embedding(method, coords)
            self._show_layout()

    @Slot(str)
    def _on_projection_failed(self, message: str) -> None:
        self._end_long()
        self.message_bar.show_error(message)

    @Slot()
    def _on_projection_cancelled(self) -> None:
        self._end_long()
        self.statusBar().showMessage("Cancelled", 3000)

    def _overlay(self, name: str, latents: np.ndarray | None, **style) -> None:
        """Draw latents as a named layer, remembering them to re-place on a new layout."""
        if latents is None or self.session.projection is None:
            self._overlay_latents.pop(name, None)
            self.scatter.set_overlay(name, None)
            return
        latents = np.asarray(latents, np.float32).reshape(len(latents), -1)
        self._overlay_latents[name] = (latents, style)
        self.scatter.set_overlay(name, self.session.place(latents), **style)

    def _replace_overlays(self) -> None:
        for name, (latents, style) in list(self._overlay_latents.items()):
            self.scatter.set_overlay(name, self.session.place(latents), **style)

    def _focus_expression(self) -> None:
        self.tabs.setCurrentIndex(1)
        self.arithmetic.expr_edit.setFocus()

    # -- walks -----------------------------------------------------------------
    def add_waypoint(self) -> None:
        if self.session.current is None:
            self.message_bar.show_error("Select a point (or evaluate an expression) first, then add it as a waypoint")
            return
        self.session.waypoints.append(self.session.current)
        self._show_waypoints()

    def clear_waypoints(self) -> None:
        self.session.waypoints = []
        self._frames = None
        self._overlay("path", None)
        self._show_waypoints()

    def _show_waypoints(self) -> None:
        self.walk.set_waypoints([label for label, _ in self.session.waypoints])
        if self.session.waypoints:
            self._overlay("waypoints", np.stack([z for _, z in self.session.waypoints]),
                          symbol="s", size=12, colour=(255, 255, 255), filled=False)
        else:
            self._overlay("waypoints", None)

    def _on_shift_click(self, index: int) -> None:
        self.select_point(index)
        self.add_waypoint()

    def walk_path(self, method: str, steps: int) -> None:
        """Interpolate through the waypoints, draw the path, decode every frame."""
        if len(self.session.waypoints) < 2 or self.session.bank is None:
            self.message_bar.show_error("A walk needs at least two waypoints")
            return
        # A diffusion model's x_T must keep its norm to stay on the prior's shell.
        keep_norm = self.model_info is not None and self.model_info.family == "diffusion"
        frames = interpolation_path(np.stack([z for _, z in self.session.waypoints]), steps, method, keep_norm)
        self._frames = frames.reshape(len(frames), -1)
        self._overlay("path", self._frames, symbol="o", size=5, colour=(86, 180, 233), line=True)
        self.walk.start_path(len(frames))
        self.client.decode(self._frames, "path")

    def _on_frame(self, i: int) -> None:
        if self._frames is not None and 0 <= i < len(self._frames):
            self.session.current = (f"frame {i + 1}", self._frames[i])
            self._edit_base = self._frames[i].copy()
            self._overlay("cursor", self._frames[i:i + 1], symbol="o", size=14, colour=(255, 255, 255), filled=False)
            self._throttled_frame(i)

    def _decode_frame(self, i: int) -> None:
        self.client.decode(self._frames[i:i + 1], "slider", tag=i)

    # -- vectors and arithmetic ----------------------------------------------
    def define_vector(self, name: str, source: str, query: str, kind: str) -> NamedVector | None:
        """Make a named vector from the current point, the lasso selection or a query."""
        bank = self.session.bank
        try:
            if bank is None:
                raise ValueError("no latent bank yet")
            if source == "current point":
                if self.session.current is None:
                    raise ValueError("no current point: click one first")
                label, z = self.session.current
                item = NamedVector(name, np.asarray(z, np.float32).copy(), f"point {label}")
            else:
                if source == "selection":
                    if self._selection is None or not self._selection.any():
                        raise ValueError("nothing is selected: Ctrl+drag a lasso around some points")
                    mask, what = self._selection, f"selection of {int(self._selection.sum())}"
                else:
                    mask, what = query_mask(bank, query), f"'{query}'"
                if not mask.any():
                    raise ValueError(f"no point matches {what}")
                item = vector_from_mask(name, bank, mask, what, kind, query if source == "query" else "")
            self.session.vectors.add(item)
        except ExpressionError as exc:
            self.arithmetic.show_define_error(f"{exc}\n{exc.pointer()}")
            return None
        except ValueError as exc:
            self.arithmetic.show_define_error(str(exc))
            return None
        self._vectors_changed()
        return item

    def remove_vector(self, name: str) -> None:
        self.session.vectors.remove(name)
        self._vectors_changed()

    def _vectors_changed(self) -> None:
        names = self.session.vectors.names()
        self.arithmetic.set_vectors([self.session.vectors[n] for n in names])
        for i, combo in enumerate((self.axis_x, self.axis_y)):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentText(current if current in names else (names[min(i, len(names) - 1)] if names else ""))
            combo.blockSignals(False)

    def evaluate_expression(self, text: str) -> np.ndarray | None:
        """Evaluate, place the result on the scatter, decode it with 8 noisy neighbours."""
        try:
            result = evaluate(text, self.session.vectors.vectors())
        except ExpressionError as exc:
            self.arithmetic.show_expression_error(f"{exc.pointer()}\n{exc}")
            return None
        self.arithmetic.show_expression_error("")
        self.session.current = (f"= {text}", result)
        self._edit_base = result.copy()
        self._overlay("result", result[None], symbol="star", size=22, colour=(230, 159, 0))
        batch = noisy_neighbours(result, 8, RESULT_NOISE)
        self.preview.show_details({"id": "result", "expression": text, "norm": float(np.linalg.norm(result)),
                                   "attributes": {}}, "arithmetic result")
        self.client.decode(batch, "result", tag=text)
        return result

    def _on_direction(self, name: str, amount: float, keep: list) -> None:
        if self._edit_base is None or name not in self.session.vectors:
            return
        try:
            latent = move_along(self._edit_base, self.session.vectors[name].vector, amount,
                                [self.session.vectors[k].vector for k in keep])
        except ValueError as exc:
            self.message_bar.show_error(f"{name}: {exc}")
            return
        self.session.current = (f"{name} {amount:+.1f}", latent)
        self._overlay("cursor", latent[None], symbol="o", size=14, colour=(255, 255, 255), filled=False)
        self._throttled_edit(latent)

    def _decode_edit(self, latent: np.ndarray) -> None:
        self.client.decode(latent[None], "edit")

    def analogy_grid(self, a: str, b: str, c: str, size: int) -> None:
        """A : B :: C : ? — the plane through A, B and C, sampled on a size × size grid."""
        vecs = self.session.vectors
        if not all(n in vecs for n in (a, b, c)):
            self.message_bar.show_error("Define the three vectors A, B and C first")
            return
        self.client.decode(analogy_plane(*(vecs[n].vector for n in (a, b, c)), size), "grid", tag=size)

    def save_grid(self, path: str | None = None) -> None:
        """Write the last analogy grid as a PNG (atomically)."""
        if getattr(self, "_grid_image", None) is None:
            self.message_bar.show_error("Draw a grid first")
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save analogy grid", "analogy_grid.png", "PNG (*.png)")
            if not path:
                return
        from models.imaging import save_png

        try:
            k = max(1, 512 // self._grid_image.shape[0])
            save_png(path, self._grid_image.repeat(k, 0).repeat(k, 1))
        except OSError as exc:
            self.message_bar.show_error(f"Could not save {path}: {exc}")
            return
        self.statusBar().showMessage(f"Saved {path}", 4000)

    # -- neighbours and selection ---------------------------------------------
    def find_neighbours(self, k: int, metric: str) -> None:
        bank = self.session.bank
        if bank is None or self.session.current is None:
            self.message_bar.show_error("Select a point (or evaluate an expression) first")
            return
        label, z = self.session.current
        idx, dist = nearest(bank.latents, z, k, metric, exclude=self.session.selected)
        self._overlay("neighbours", bank.latents[idx], symbol="o", size=13, colour=(0, 158, 115), filled=False)
        self.neighbours.show_neighbours(idx, dist, bank.thumbnails, label)

    def _on_lasso(self, vertices) -> None:
        self._selection = lasso_mask(self.session.points, vertices)
        n = int(self._selection.sum())
        self._overlay("selection", self.session.bank.latents[self._selection], symbol="o", size=9,
                      colour=(240, 228, 66), filled=False)
        self.statusBar().showMessage(f"{n} points selected — Arithmetic ▸ From: selection", 5000)

    # -- responses -----------------------------------------------------------
    @Slot(object)
    def _on_model_loaded(self, payload: dict) -> None:
        self.model_info, self.device = payload["info"], payload["device"]
        log.info("opened %s (%s) on %s, %.2f s after start", payload["path"], self.model_info.family, self.device,
                 time.perf_counter() - self._started)
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
        log.info("latent bank ready: %d codes (%s), %.2f s after start", len(bank), bank.source,
                 time.perf_counter() - self._started)
        self.session.set_bank(bank)
        self.layout_combo.blockSignals(True)
        self.layout_combo.setCurrentText("PCA")
        self.layout_combo.blockSignals(False)
        self.axis_x.hide()
        self.axis_y.hide()
        self.colour_combo.blockSignals(True)
        self.colour_combo.clear()
        self.colour_combo.addItems(["(none)"] + bank.colour_fields())
        self.colour_combo.setCurrentText(self.session.colour_field or "(none)")
        self.colour_combo.blockSignals(False)
        self.scatter.set_points(self.session.points, self.session.colouring())
        for layer in list(self.scatter.overlays):
            self._overlay(layer, None)
        self.scatter.clear_lasso()
        self._selection, self._frames = None, None
        self.walk.set_waypoints([])
        self.walk.set_default_method(self.model_info.walk if self.model_info else "slerp")
        self._vectors_changed()
        ratio = self.session.projection.explained_variance_ratio_
        self.scatter.set_axis_labels(f"PC1 ({ratio[0]:.0%} of variance)", f"PC2 ({ratio[1]:.0%})")
        self.count_label.setText(f"{len(bank)} points · {bank.source} · PCA {ratio.sum():.0%} of variance")
        self._update_status()

    @Slot(object, object)
    def _on_decoded(self, request: Decode, images) -> None:
        purpose = request.purpose
        if purpose == "click" and request.tag == self.session.selected:
            self.preview.show_image(images[0])
        elif purpose == "path":
            self.walk.show_frames(images)
            self.preview.show_image(images[self.walk.slider.value()])
        elif purpose in ("slider", "edit"):
            self.preview.show_image(images[0])
        elif purpose == "result":
            self.arithmetic.show_result(images)
            self.preview.show_image(images[0])
        elif purpose == "grid":
            from models.imaging import image_grid

            self._grid_image = image_grid(images, cols=request.tag)
            self.arithmetic.show_grid(self._grid_image)

    @Slot(object, str)
    def _on_failed(self, request, message: str) -> None:
        log.warning("worker failed on %s: %s", type(request).__name__, message)
        if isinstance(request, (LoadModel, BuildBank, EncodeImages)):
            self._end_long()
        if isinstance(request, LoadModel):
            kept = f" — still showing {self.model_info.name}" if self.model_info else ""
            self.message_bar.show_error(f"Could not open {request.path}: {message}{kept}")
        else:
            self.message_bar.show_error(message)
        self._update_status()

    @Slot(object, list)
    def _on_hints_needed(self, request, missing: list) -> None:
        """Ask for what the file could not say, then try again with the answers."""
        from explorer.ui.hints_dialog import HintsDialog

        dialog = HintsDialog(request.path, missing, self)
        dialog.accepted.connect(lambda: self._retry_with_hints(request, dialog.hints()))
        self.hints_dialog = dialog
        dialog.open()

    def _retry_with_hints(self, request, hints: dict) -> None:
        self.message_bar.hide()
        self._set_long(self.client.load(request.path, request.device, hints), f"Opening {Path(request.path).name}…")

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
        self.cancel_button.setVisible(isinstance(request, BuildBank) or request is None)
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
            detected = i.provenance.get("detected", "")
            tip = [i.path, f"samples from: {i.prior}"] + ([f"detected: {detected}"] if detected else [])
            self.model_label.setToolTip("\n".join(tip))
            if detected:
                self.statusBar().showMessage(f"Opened {Path(i.path).name}: {detected}", 8000)
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
        """A checkpoint opens; images or folders of images are encoded into the bank."""
        from models.data import IMAGE_SUFFIXES

        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not files:
            return
        event.acceptProposedAction()
        first = Path(files[0])
        if first.is_dir() or first.suffix.lower() in IMAGE_SUFFIXES:
            self.encode_images(files)
        else:
            self.open_checkpoint(files[0])

    def encode_images(self, paths: list[str]) -> None:
        """Encode the user's images (VAE encoder, DDIM or GAN inversion) into the bank."""
        if self.session.bank is None:
            self.message_bar.show_error("Open a model first, then drop images on it")
            return
        req = self.client.encode_images(paths)
        self._set_long(req, f"Encoding {len(paths)} item(s)…")
        self.cancel_button.show()

    @Slot(object)
    def _on_encoded(self, payload: dict) -> None:
        self._end_long()
        if self.session.bank is None:
            return
        idx = self.session.add_encoded(payload["latents"], payload["thumbnails"], payload["files"], payload["errors"],
                                       payload["attributes"], payload["labels"])
        self.scatter.set_points(self.session.points, self.session.colouring())
        self._replace_overlays()
        self._overlay("your images", self.session.bank.latents[self.session.bank.user_indices()], symbol="t",
                      size=14, colour=(213, 94, 0))
        err = float(np.mean(payload["errors"]))
        self.statusBar().showMessage(f"Encoded {len(idx)} image(s); mean reconstruction error {err:.3f}", 8000)
        self.count_label.setText(f"{len(self.session.bank)} points · {self.session.bank.source} "
                                 f"+ {len(self.session.bank.user_files)} of yours")
        self.select_point(int(idx[0]))

    def closeEvent(self, event) -> None:
        self.tip.hide()
        if self._projection_job is not None and self._projection_job.is_running():
            self._projection_job.cancel()
        self.client.close()
        super().closeEvent(event)
