"""The main window: the composition root. It builds the views, docks, menus
and shortcuts, creates one controller per capability and connects them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from explorer.core.session import ExplorerSession
from explorer.core.session_file import SUFFIX
from explorer.inference.client import InferenceClient
from explorer.ui.animation_controller import AnimationController
from explorer.ui.arithmetic_controller import ArithmeticController
from explorer.ui.arithmetic_panel import ArithmeticPanel
from explorer.ui.code_map_controller import CodeMapController
from explorer.ui.compare_controller import CompareController
from explorer.ui.controls_help import CONTROLS
from explorer.ui.coverage_controller import CoverageController
from explorer.ui.curation_controller import CurationController
from explorer.ui.curation_panel import CurationPanel
from explorer.ui.encode_controller import EncodeController
from explorer.ui.evaluate_controller import EvaluateController
from explorer.ui.evaluate_panel import EvaluatePanel
from explorer.ui.export_controller import ExportController
from explorer.ui.figure_controller import FigureController, strip_source
from explorer.ui.gallery_controller import GalleryController
from explorer.ui.generate_controller import GenerateController
from explorer.ui.gallery_panel import GalleryPanel
from explorer.ui.job_status import JobStatus
from explorer.ui.layout_bar import LayoutBar
from explorer.ui.layout_controller import LayoutController
from explorer.ui.message_bar import MessageBar
from explorer.ui.model_controller import ModelController
from explorer.ui.neighbours_controller import NeighboursController
from explorer.ui.neighbours_panel import NeighboursPanel
from explorer.ui.overlay_layers import OverlayLayers
from explorer.ui.presentation_mode import PresentationMode
from explorer.ui.prompt_controller import PromptController
from explorer.ui.prompt_panel import PromptPanel
from explorer.ui.preview_panel import PreviewPanel
from explorer.ui.scatter_controller import ScatterController
from explorer.ui.scatter_view import ScatterView
from explorer.ui.session_controller import SessionController
from explorer.ui.settings import Settings
from explorer.ui.slides_controller import SlidesController
from explorer.ui.slides_panel import SlidesPanel
from explorer.ui.stylegan_controller import StyleGANController
from explorer.ui.stylegan_panel import StyleGANPanel
from explorer.ui.theme import THEMES, apply_theme, style_plot, theme_named
from explorer.ui.thumbnail_tip import ThumbnailTip
from explorer.ui.walk_controller import WalkController
from explorer.ui.walk_panel import WalkPanel
from explorer.ui.wheel_guard import WheelGuard, guard_wheel
from explorer.ui.window_context import WindowContext

FAMILY_DOCKS = {"StyleGAN": "stylegan2", "Prompt": "text2image"}  # docks only these families use
BANK_SIZE = 2000  # the default; Model ▸ Bank size changes it (remembered), --bank for one run



class MainWindow(QMainWindow):
    """Scatter in the middle; preview and one dock per capability around it."""

    def __init__(self, checkpoint: str | None = None, bank_size: int | None = None, threads: int | None = None):
        super().__init__()
        self.setWindowTitle("Latent Explorer")
        self.resize(1280, 800)
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.settings = Settings()
        apply_theme(QApplication.instance(), theme_named(self.settings.theme()))  # before any plot is made
        self.session = ExplorerSession()
        self.client = InferenceClient(self, threads=threads)
        self.message_bar, self.scatter, self.preview = MessageBar(), ScatterView(), PreviewPanel()
        self.layout_bar = LayoutBar()
        self.walk, self.arithmetic, self.neighbours = WalkPanel(), ArithmeticPanel(), NeighboursPanel()
        self.curate, self.gallery, self.slides_panel = CurationPanel(), GalleryPanel(), SlidesPanel()
        self.evaluate_panel = EvaluatePanel()
        self.jobs = JobStatus(self.statusBar())
        self.ctx = WindowContext(self, self.session, self.client, self.settings, self.scatter, self.preview,
                                 self.message_bar, ThumbnailTip(self), self.jobs, OverlayLayers(self.session, self.scatter))
        self.tip = self.ctx.tip
        self.models = self.ctx.models = ModelController(self.ctx, bank_size)
        self.points = ScatterController(self.ctx)
        self.layouts = LayoutController(self.ctx, self.layout_bar)
        self.walks = WalkController(self.ctx, self.walk, self.points.select_point)
        self.arith = ArithmeticController(self.ctx, self.arithmetic)
        self.nearest = NeighboursController(self.ctx, self.neighbours, self.points.select_point)
        self.encoder = EncodeController(self.ctx, self.points.select_point)
        self.sessions = SessionController(self.ctx, self.models)
        self.curation = CurationController(self.ctx, self.curate)
        self.galleries = GalleryController(self.ctx, self.gallery, self.curation, self.points.select_point)
        self.generator = GenerateController(self.ctx)
        self.exporter = ExportController(self.ctx, self.sessions)
        self.slide_show = SlidesController(self.ctx, self.slides_panel, self.layouts, self.walks, self.points)
        self.animations = AnimationController(self.ctx, self.walk, self.arith)
        self.figures = FigureController(self.ctx)
        self.coverage, self.comparison = CoverageController(self.ctx), CompareController(self.ctx)
        self.evaluation = EvaluateController(self.ctx, self.evaluate_panel)
        self.code_maps = CodeMapController(self.ctx)
        self.stylegan_panel = StyleGANPanel()
        self.stylegan = StyleGANController(self.ctx, self.stylegan_panel)
        self.prompt_panel = PromptPanel()
        self.prompts = PromptController(self.ctx, self.prompt_panel)
        self.figures.add_sources([*self.arith.figure_sources(), *self.nearest.figure_sources(),
                                  strip_source("Walk filmstrip", self.walk.filmstrip, "Walk")])
        self.arithmetic.saveGridRequested.connect(self.figures.choose_analogy)
        self.curate.galleryRequested.connect(self.show_gallery)
        self.curate.filterChosen.connect(self.points.set_filter)
        self.curate.reviewRequested.connect(self.galleries.open_review)
        self.worker_label = QLabel("worker: idle")
        self.statusBar().addPermanentWidget(self.worker_label)
        self.client.stateChanged.connect(self._on_worker_state)
        self._build_layout()
        self.presenter = PresentationMode(self, self.ctx, self.slide_show)
        self._build_menus()
        self.models.modelOpened.connect(self._show_family_docks)
        self.session.events.bank.emit()  # every panel shows its empty state
        if checkpoint and str(checkpoint).endswith(SUFFIX):
            self.sessions.open_session(checkpoint)
        elif checkpoint:
            self.models.open_checkpoint(checkpoint)
        else:  # once the window is on screen: a crash's autosave, else the last session, model or default
            QTimer.singleShot(0, self._start)

    def _start(self) -> None:
        if not self.sessions.offer_recovery():
            self.sessions.startup_fallback()

    # -- construction -----------------------------------------------------------------
    def _build_layout(self) -> None:
        central = QWidget()
        cv = QVBoxLayout(central)
        cv.setContentsMargins(4, 0, 4, 4)
        cv.addWidget(self.message_bar)
        cv.addWidget(self.layout_bar)
        cv.addWidget(self.scatter, 1)
        self.setCentralWidget(central)
        self.docks: dict[str, QDockWidget] = {"Preview": self._dock("Preview", self.preview, scroll=False)}
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.docks["Preview"])
        self._wheel_guard = WheelGuard(self)
        for title, panel in (("Walk", self.walk), ("Arithmetic", self.arithmetic), ("Neighbours", self.neighbours),
                             ("Curate", self.curate), ("Slides", self.slides_panel), ("StyleGAN", self.stylegan_panel),
                             ("Evaluate", self.evaluate_panel), ("Prompt", self.prompt_panel)):
            self.docks[title] = self._dock(title, panel)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.docks[title])
            guard_wheel(panel, self._wheel_guard)
        self.tabifyDockWidget(self.docks["Walk"], self.docks["Arithmetic"])
        self.tabifyDockWidget(self.docks["Arithmetic"], self.docks["Neighbours"])
        self.tabifyDockWidget(self.docks["Neighbours"], self.docks["Curate"])
        self.tabifyDockWidget(self.docks["Curate"], self.docks["Slides"])
        self.tabifyDockWidget(self.docks["Slides"], self.docks["Evaluate"])
        self.tabifyDockWidget(self.docks["Evaluate"], self.docks["StyleGAN"])
        self.tabifyDockWidget(self.docks["Evaluate"], self.docks["Prompt"])
        self.docks["Walk"].raise_()
        self.docks["Gallery"] = self._dock("Gallery", self.gallery, scroll=False)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.docks["Gallery"])
        self.docks["Gallery"].hide()  # until asked for (G)
        guard_wheel(self.layout_bar, self._wheel_guard)
        self.resizeDocks([self.docks["Preview"]], [500], Qt.Orientation.Horizontal)
        if self.settings.window_state() is not None:  # the docks as the user left them
            self.restoreState(self.settings.window_state())

    def _dock(self, title: str, widget: QWidget, scroll: bool = True) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title}")
        if scroll:
            area = QScrollArea()
            area.setWidgetResizable(True)
            area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            area.setWidget(widget)
            widget = area
        dock.setWidget(widget)
        return dock

    def _build_menus(self) -> None:
        m, s, mb = self.models, self.sessions, self.menuBar()
        file_menu = mb.addMenu("&File")
        file_menu.addAction("&Open checkpoint…", QKeySequence.StandardKey.Open, m.choose_checkpoint)
        file_menu.addMenu(m.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction("Open &session…", QKeySequence("Ctrl+Shift+O"), s.choose_session)
        file_menu.addMenu(s.recent_menu)
        file_menu.addAction("&Save session", QKeySequence.StandardKey.Save, s.save)
        file_menu.addAction("Save session &as…", QKeySequence("Ctrl+Shift+S"), s.save_as)
        file_menu.addSeparator()
        file_menu.addAction("&Export…", QKeySequence("Ctrl+Shift+E"), self.exporter.choose)
        file_menu.addAction("Open e&xport folder…", self.exporter.choose_folder)
        self.figures.fill_file_menu(file_menu)
        file_menu.addAction("Export a&nimation…", QKeySequence("Ctrl+Shift+A"), self.animations.choose)
        file_menu.addSeparator()
        file_menu.addAction("&Quit", QKeySequence.StandardKey.Quit, self.close)
        edit = mb.addMenu("&Edit")
        edit.addAction(s.undo_action)
        edit.addAction(s.redo_action)
        self.figures.fill_edit_menu(edit)
        edit.addSeparator()
        edit.addAction("&Clear selection", QKeySequence(Qt.Key.Key_Escape), self.escape)
        view = mb.addMenu("&View")
        view.addAction("&Reset view", QKeySequence("Ctrl+0"), self.scatter.reset_view)
        view.addAction(self.presenter.action)
        view.addAction(self.coverage.action)
        view.addAction(self.code_maps.usage_action)
        theme_menu = view.addMenu("&Theme")
        self.theme_group = QActionGroup(self)
        for name in THEMES:
            act = theme_menu.addAction(name.capitalize(), lambda n=name: self.set_theme(n))
            act.setCheckable(True)
            act.setChecked(name == theme_named(self.settings.theme()).name)
            self.theme_group.addAction(act)
        panels = view.addMenu("&Panels")
        for dock in self.docks.values():
            panels.addAction(dock.toggleViewAction())
        explore = mb.addMenu("E&xplore")
        explore.addAction("Add current point as &waypoint", QKeySequence("Ctrl+Shift+W"), self.walks.add_waypoint)
        explore.addAction("&Walk through the waypoints", QKeySequence("Ctrl+W"), self._walk)
        explore.addAction("&Expression…", QKeySequence("Ctrl+E"), self._focus_expression)
        explore.addAction("Find &neighbours", QKeySequence("Ctrl+N"), self.nearest.find)
        explore.addAction(self.code_maps.edit_action)
        self.curation.fill_menus(mb)
        self.slide_show.fill_menu(mb.addMenu("S&lides"))
        view.addAction("&Gallery", QKeySequence(Qt.Key.Key_G), self.show_gallery)
        view.addAction("Re&view…", QKeySequence("Ctrl+R"), self.galleries.open_review)
        model_menu = mb.addMenu("&Model")
        m.fill_device_menu(model_menu.addMenu("&Device"))
        m.fill_bank_size_menu(model_menu.addMenu("Bank &size"))
        model_menu.addAction("Re&build latent bank", m.rebuild_bank)
        model_menu.addAction("&Generate samples…", QKeySequence("Ctrl+G"), self.generator.choose)
        model_menu.addAction("&Compare checkpoints…", self.comparison.choose)
        model_menu.addAction("E&valuate…", self.evaluation.show_panel)
        mb.addMenu("&Help").addAction("&Controls", QKeySequence(Qt.Key.Key_F1), self._show_controls)
        m.refresh_recent()

    # -- window-wide actions -------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        """Switch between the dark and light theme; remembered for the next start."""
        theme = THEMES[name]
        apply_theme(QApplication.instance(), theme)
        style_plot(self.scatter.plot, theme)
        self.scatter.restyle()
        self.preview.show_state(self.preview.state)
        self.settings.set_theme(name)

    def _show_family_docks(self, info) -> None:
        """The StyleGAN and Prompt tabs are there only for the models they apply to (eight tabs
        left every title elided); View ▸ Panels still shows either."""
        for title, family in FAMILY_DOCKS.items():
            self.docks[title].setVisible(info.family == family)

    def show_gallery(self) -> None:
        self.docks["Gallery"].show()
        self.docks["Gallery"].raise_()

    def escape(self) -> None:
        """Esc: dismiss the message bar, else clear the selection, else nothing."""
        if self.message_bar.isVisible():
            self.message_bar.hide()
        else:
            self.points.clear_selection()

    def _walk(self) -> None:
        self.walks.walk_path(self.walk.method.currentText(), self.walk.steps.value())

    def _focus_expression(self) -> None:
        self.docks["Arithmetic"].show()
        self.docks["Arithmetic"].raise_()
        self.arithmetic.focus_expression()

    def _show_controls(self) -> None:
        self.tip.hide_tip()
        QMessageBox.information(self, "Controls", CONTROLS)

    @Slot(str)
    def _on_worker_state(self, state: str) -> None:
        self.worker_label.setText(f"worker: {state or 'idle'}")

    # -- Qt events -------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        """A checkpoint or session opens; images or folders of images are encoded into the bank."""
        from models.data import IMAGE_SUFFIXES

        from explorer.core.export_folder import is_export_folder

        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not files:
            return
        event.acceptProposedAction()
        first = Path(files[0])
        if first.suffix == SUFFIX:
            self.sessions.open_session(first)
        elif first.is_dir() and is_export_folder(first):
            self.exporter.open_folder(str(first))
        elif first.is_dir() or first.suffix.lower() in IMAGE_SUFFIXES:
            self.encoder.encode_images(files)
        else:
            self.models.open_checkpoint(files[0])

    def changeEvent(self, event) -> None:
        if event.type() == event.Type.ActivationChange and not self.isActiveWindow():
            self.tip.hide_tip()  # a dialog or another window took over: no thumbnail left floating
        super().changeEvent(event)

    def closeEvent(self, event) -> None:
        self.tip.hide_tip()
        self.layouts.cancel_job()
        self.sessions.on_close()
        self.settings.set_window_state(self.saveState())
        self.client.close()
        super().closeEvent(event)
