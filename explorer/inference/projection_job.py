"""t-SNE and UMAP layouts, computed in a separate process.

A process rather than the inference worker's thread: these run for seconds to
minutes (UMAP also compiles itself with numba in every new process), they hold
the GIL in long Python stretches, and a process can be cancelled at once by
terminating it. The GUI polls for the result with a timer.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal


def _run(method: str, latents: np.ndarray, seed: int, out) -> None:
    try:
        from explorer.core.projection import embed

        out.put(("ok", embed(method, latents, seed)))
    except BaseException as exc:  # reported to the GUI as a message
        out.put(("error", f"{method}: {type(exc).__name__}: {exc}"))


class ProjectionJob(QObject):
    """One background layout. Emits ``finished(coords)``, ``failed(message)``
    or ``cancelled()``; ``tick(seconds)`` while it runs."""

    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    tick = Signal(float)

    def __init__(self, method: str, latents: np.ndarray, seed: int = 0, parent: QObject | None = None):
        super().__init__(parent)
        self.method = method
        self.latents = latents  # what it lays out (the layout cache's key)
        ctx = mp.get_context("spawn")
        self._queue = ctx.Queue()
        self._process = ctx.Process(target=_run, args=(method, np.asarray(latents, np.float32), seed, self._queue),
                                    daemon=True)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._poll)
        self._started = 0.0

    def start(self) -> None:
        self._started = time.perf_counter()
        self._process.start()
        self._timer.start()

    def cancel(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._timer.stop()
        self.cancelled.emit()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def _poll(self) -> None:
        try:
            status, value = self._queue.get_nowait()
        except queue.Empty:
            if not self._process.is_alive() and self._process.exitcode not in (None, 0):
                self._timer.stop()
                self.failed.emit(f"{self.method} stopped unexpectedly (exit code {self._process.exitcode})")
            else:
                self.tick.emit(time.perf_counter() - self._started)
            return
        self._timer.stop()
        self._process.join(5)
        if status == "ok":
            self.finished.emit(value)
        else:
            self.failed.emit(value)
