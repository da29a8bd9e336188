"""The scatter figures of ``latent-explorer bench``: frame time, load, pick, memory.

Everything is measured on the app's own :class:`~explorer.ui.scatter_view.ScatterView`
(fed through its public ``set_points``), with a bare pyqtgraph
``ScatterPlotItem`` (pxMode, useCache, one shared brush per colour) fed the
same points in the same run as the baseline. Each frame is one ``setRange``
step of a fixed pan/zoom sequence followed by a forced, synchronous repaint
of the plot's viewport, so a frame's time is what the user waits for it.
"""

from __future__ import annotations

import os
import time

import numpy as np

WIDTH, HEIGHT = 1200, 800


def app():
    """The QApplication (offscreen unless a platform was chosen)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def rss_gb() -> float:
    """This process's resident memory now, in GB (10⁹ bytes)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e9
    except (OSError, ValueError, IndexError):
        import resource  # not Linux: the peak is the best the system offers

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1e9 if os.uname().sysname == "Darwin" else 1e6)


def points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 2-D points in two overlapping Gaussian clusters, and each one's category (0/1)."""
    rng = np.random.default_rng(seed)
    cat = (rng.random(n) < 0.4).astype(np.int64)
    pts = rng.standard_normal((n, 2)).astype(np.float32)
    pts[:, 0] += np.where(cat == 1, 1.5, -1.0).astype(np.float32)
    return pts, cat


def colouring(categories: np.ndarray):
    from explorer.core.colouring import Colouring

    return Colouring("smile", categories, ("not smile", "smile"), ((150, 150, 150), (230, 159, 0)))


def view_sequence(frames: int) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """A pan/zoom sequence over the clusters: zoom in by steps towards a point,
    pan across, zoom back out (the ranges a wheel and a drag would give)."""
    seq = []
    cx, cy, w, h = 0.0, 0.0, 10.0, 8.0
    for i in range(frames):
        phase = i % 24
        if phase < 8:  # wheel in
            w, h = w * 0.8, h * 0.8
        elif phase < 16:  # drag sideways
            cx += w * 0.15
            cy += h * 0.05
        else:  # wheel out, back towards the whole picture
            w, h = w * 1.25, h * 1.25
            cx, cy = cx * 0.8, cy * 0.8
        seq.append(((cx - w / 2, cx + w / 2), (cy - h / 2, cy + h / 2)))
    return seq


def _percentiles(times_s: list[float]) -> tuple[float, float]:
    ms = np.asarray(times_s) * 1e3
    return float(np.percentile(ms, 95)), float(np.median(ms))


class _Subject:
    """A widget to measure: the app's ScatterView or a bare PlotWidget with one ScatterPlotItem."""

    def __init__(self, kind: str):
        import pyqtgraph as pg

        self.kind = kind
        if kind == "app":
            from explorer.ui.scatter_view import ScatterView

            self.widget = ScatterView()
            self.plot = self.widget.plot
        else:
            self.widget = self.plot = pg.PlotWidget()
            self.item = pg.ScatterPlotItem(pxMode=True, size=6, pen=None, useCache=True)
            self.plot.addItem(self.item)
        self.widget.resize(WIDTH, HEIGHT)
        self.widget.show()
        app().processEvents()

    def load(self, pts: np.ndarray, cat: np.ndarray) -> None:
        if self.kind == "app":
            self.widget.set_points(pts, colouring(cat))
        else:
            import pyqtgraph as pg

            brushes = [pg.mkBrush(150, 150, 150, 200), pg.mkBrush(230, 159, 0, 200)]
            self.item.setData(pos=pts, brush=[brushes[c] for c in cat], data=np.arange(len(pts)))
            self.plot.getPlotItem().vb.autoRange(items=[self.item])

    def frame(self, view=None) -> None:
        """One frame: move the view (if given) and paint it now."""
        if view is not None:
            self.plot.setRange(xRange=view[0], yRange=view[1], padding=0)
        app().processEvents()
        self.plot.viewport().repaint()

    def close(self) -> None:
        self.widget.close()
        self.widget.deleteLater()
        app().processEvents()


def measure_frames(kind: str, n: int, frames: int, seed: int = 0) -> dict:
    """Load ``n`` points into ``kind`` ("app" or "plain") and time a pan/zoom sequence.

    Returns ``load_s`` (set the points and paint the first frame), ``p95_ms``
    and ``median_ms`` of the frames.
    """
    pts, cat = points(n, seed)
    subject = _Subject(kind)
    try:
        t0 = time.perf_counter()
        subject.load(pts, cat)
        subject.frame()
        load_s = time.perf_counter() - t0
        subject.frame()  # warm: symbol atlas, fonts
        if kind == "app":
            # Its hover index builds in a background thread (the first one also
            # imports scipy.spatial, holding the GIL ~0.2 s): time the frames a
            # user pans once the bank has settled, as load_s timed the arrival.
            subject.widget.wait_for_index()
        times = []
        for view in view_sequence(frames):
            t = time.perf_counter()
            subject.frame(view)
            times.append(time.perf_counter() - t)
        p95, median = _percentiles(times)
        return {"load_s": load_s, "p95_ms": p95, "median_ms": median}
    finally:
        subject.close()


def measure_pick_and_memory(n: int, steps: int, dim: int = 64, seed: int = 0) -> dict:
    """The app's view holding ``n`` points of ``n`` × ``dim`` latents: memory, and hovers.

    Returns ``pick_ms``: p95 of the first hover after each zoom step (the
    hover signal's whole handler) once the view's index is built;
    ``pick_while_indexing_ms``: p95 of hovers in the moments after the points
    arrived, while the index still builds in the background (answered by a
    scan); and ``rss_gb``: the process's resident memory with the latents
    loaded and the points drawn.
    """
    from PySide6.QtCore import QPointF

    latents = np.random.default_rng(seed).standard_normal((n, dim), dtype=np.float32)
    pts, cat = points(n, seed)
    subject = _Subject("app")
    try:
        scene = subject.plot.scene()
        vb = subject.plot.getPlotItem().vb

        def hover_at_centre(view) -> float:
            (x0, x1), (y0, y1) = view
            centre = vb.mapViewToScene(QPointF((x0 + x1) / 2, (y0 + y1) / 2))
            t = time.perf_counter()
            scene.sigMouseMoved.emit(centre)
            return time.perf_counter() - t

        subject.load(pts, cat)
        subject.frame()
        rss = rss_gb()
        early = [hover_at_centre(subject.widget.view_range())]
        while subject.widget._picker._builder is not None and subject.widget._picker._builder.is_alive() \
                and len(early) < 50:
            early.append(hover_at_centre(subject.widget.view_range()))
        subject.widget.wait_for_index()
        times = []
        for view in view_sequence(steps):
            subject.frame(view)
            times.append(hover_at_centre(view))
        pick_ms, _ = _percentiles(times)
        early_ms, _ = _percentiles(early)
        del latents
        return {"pick_ms": pick_ms, "pick_while_indexing_ms": early_ms, "rss_gb": rss}
    finally:
        subject.close()
