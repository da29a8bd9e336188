"""The inference figures of ``latent-explorer bench``: click → image, the worker's
throughput and the GUI thread's stalls, ``sample`` against a bare loop, PCA and
cold start.

Every "bare" baseline runs in the same process and the same run as the thing
it is compared with, on the same latents, so the ratios do not depend on the
machine's speed. The worker sets torch's (process-wide) intra-op thread count
when it starts; the bare loops run after that, under the same count.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from explorer.commands.bench_scatter import app


def _wait(predicate, timeout_s: float = 120.0) -> None:
    """Run the event loop until ``predicate()`` holds (or raise after ``timeout_s``).

    The GUI thread sleeps in the event loop as it would in the app (a busy
    poll would take a core from the worker); ``predicate`` is checked after
    every answer of the worker and every 20 ms.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    if predicate():
        return
    loop, end = QEventLoop(), time.perf_counter() + timeout_s

    def check() -> None:
        if predicate() or time.perf_counter() > end:
            loop.quit()

    _checks.append(check)
    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(20)
    try:
        loop.exec()
    finally:
        timer.stop()
        _checks.remove(check)
    if not predicate():
        raise TimeoutError("the inference worker did not answer in time")


_checks: list = []  # the checks of the waits in progress, run on every answer


class WorkerSession:
    """An :class:`InferenceClient` with one model loaded, plus the same model loaded bare."""

    def __init__(self, model: str, device: str = "auto"):
        from explorer.inference.client import InferenceClient
        from explorer.inference.worker import resolve_device
        from models.loading import load_latent_model

        self.client = InferenceClient()
        self.answers: list[tuple[object, float]] = []  # (request, perf_counter when it reached the GUI thread)
        self.failures: list[str] = []
        self.client.decoded.connect(self._on_decoded)
        self.client.failed.connect(self._on_failed)
        loaded: list = []
        self.client.modelLoaded.connect(loaded.append)
        self.client.load(model, device)
        _wait(lambda: loaded or self.failures)
        if self.failures:
            raise RuntimeError(f"{model}: {self.failures[0]}")
        self.device = resolve_device(device)
        self.bare = load_latent_model(model, self.device)

    def _on_decoded(self, request, images) -> None:
        self.answers.append((request, time.perf_counter(), images))
        for check in list(_checks):
            check()

    def _on_failed(self, request, message: str) -> None:
        self.failures.append(message)
        for check in list(_checks):
            check()

    def decode_and_wait(self, latents: np.ndarray, purpose: str) -> tuple[float, np.ndarray]:
        """Submit one decode; returns the time until its answer reached the GUI thread, and the images."""
        before = len(self.answers)
        t0 = time.perf_counter()
        self.client.decode(latents, purpose)
        _wait(lambda: len(self.answers) > before or self.failures)
        if self.failures:
            raise RuntimeError(self.failures[0])
        _, t1, images = self.answers[-1]
        return t1 - t0, images

    def close(self) -> None:
        self.client.close()
        self.client.deleteLater()


def click_to_image(model: str, clicks: int, seed: int = 0) -> dict:
    """A click's decode request to the image painted in a preview label, against
    the bare ``model.decode`` of one latent in the same process.

    Returns ``click_p95_ms`` and ``forward_ms`` (the bare forward's median).
    """
    from PySide6.QtWidgets import QLabel

    from explorer.ui.images import to_pixmap

    session = WorkerSession(model)
    label = QLabel()
    label.resize(256, 256)
    label.show()
    try:
        latents = session.bare.sample_latents(seed, np.arange(clicks + 1)).reshape(clicks + 1, -1)
        session.decode_and_wait(latents[:1], "click")  # warm
        times = []
        for z in latents[1:]:
            t0 = time.perf_counter()
            _, images = session.decode_and_wait(z[None], "click")
            label.setPixmap(to_pixmap(images[0], 256))
            label.repaint()
            times.append(time.perf_counter() - t0)
        shaped = latents.reshape(len(latents), *session.bare.latent_shape)
        session.bare.decode(shaped[:1])  # warm
        forward = []
        for z in shaped[1:]:
            t0 = time.perf_counter()
            session.bare.decode(z[None])
            forward.append(time.perf_counter() - t0)
        return {"click_p95_ms": float(np.percentile(np.array(times) * 1e3, 95)),
                "forward_ms": float(np.median(forward) * 1e3)}
    finally:
        label.close()
        session.close()


def worker_and_stalls(model: str, batches: int, batch_size: int, stall_s: float, seed: int = 0) -> dict:
    """Batch decoding through the worker against a bare loop on the same batches,
    and the GUI thread's longest gap (a 5 ms timer) with the worker busy and idle.

    Returns ``throughput_ratio`` (worker images/s over bare images/s),
    ``stall_max_ms`` and ``stall_idle_max_ms``.
    """
    from PySide6.QtCore import QTimer

    session = WorkerSession(model)
    try:
        shape = session.bare.latent_shape
        latents = session.bare.sample_latents(seed, np.arange(batches * batch_size))
        latents = latents.reshape(batches, batch_size, *shape)
        session.decode_and_wait(latents[0], "batch")  # warm
        before = len(session.answers)
        t0 = time.perf_counter()
        for batch in latents:
            session.client.decode(batch, "batch")
        _wait(lambda: len(session.answers) >= before + batches or session.failures)
        worker_s = time.perf_counter() - t0
        session.bare.decode(latents[0])  # warm
        t0 = time.perf_counter()
        for batch in latents:
            session.bare.decode(batch)
        bare_s = time.perf_counter() - t0

        def longest_gap(busy: bool) -> float:
            from PySide6.QtCore import QEventLoop

            ticks: list[float] = []
            timer = QTimer()
            timer.setInterval(5)
            timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
            loop = QEventLoop()
            sent = [0]

            def feed(*_) -> None:
                # Keep two batches queued so the worker never waits for the GUI thread.
                while busy and loop.isRunning() and sent[0] - (len(session.answers) - answered) < 2:
                    session.client.decode(latents[sent[0] % batches], "batch")
                    sent[0] += 1

            answered = len(session.answers)
            session.client.decoded.connect(feed)
            QTimer.singleShot(0, feed)
            QTimer.singleShot(int(stall_s * 1000), loop.quit)
            timer.start()
            loop.exec()
            timer.stop()
            session.client.decoded.disconnect(feed)
            _wait(lambda: len(session.answers) - answered >= sent[0] or session.failures)
            gaps = np.diff(ticks) * 1e3
            return float(gaps.max()) if len(gaps) else float("nan")

        idle = longest_gap(False)
        busy = longest_gap(True)
        return {"throughput_ratio": bare_s / worker_s, "stall_max_ms": busy, "stall_idle_max_ms": idle}
    finally:
        session.close()


def sample_ratio(model: str, n: int, batch_size: int = 64, seed: int = 0) -> dict:
    """``latent-explorer sample``'s images per second over a bare load-decode-write-PNG
    loop on the same latents (both include loading the model).

    ``sample`` runs as by default, without ``--label``: the bundled classifier
    is neither loaded nor run, so both sides do the same work and the ratio is
    the overhead of ``sample``'s folder handling (metadata, atomic writes).

    Returns ``ratio``, ``sample_s`` and ``bare_s``.
    """
    from explorer.commands.sample import sample_to_folder
    from models.imaging import save_png
    from models.loading import load_latent_model, resolve_checkpoint

    with tempfile.TemporaryDirectory(prefix="latent-explorer-bench-") as tmp:
        out = Path(tmp)
        t0 = time.perf_counter()
        sample_to_folder(model, out / "sample", n=n, seed=seed, batch_size=batch_size, progress=False,
                         note=lambda s: None)
        sample_s = time.perf_counter() - t0
        bare_dir = out / "bare"
        bare_dir.mkdir()
        t0 = time.perf_counter()
        m = load_latent_model(resolve_checkpoint(model), "cpu")
        for start in range(0, n, batch_size):
            idx = np.arange(start, min(n, start + batch_size))
            images = m.decode(m.sample_latents(seed, idx), batch_size=batch_size)
            for j, i in enumerate(idx):
                save_png(bare_dir / f"{i:06d}.png", images[j])
        bare_s = time.perf_counter() - t0
    return {"ratio": bare_s / sample_s, "sample_s": sample_s, "bare_s": bare_s}


def pca_seconds(n: int, dim: int = 64, seed: int = 0) -> float:
    """Fit and apply the app's PCA to ``n`` × ``dim`` Gaussian latents."""
    from explorer.core.projection import PCAProjection

    x = np.random.default_rng(seed).standard_normal((n, dim), dtype=np.float32)
    t0 = time.perf_counter()
    PCAProjection(2).fit_transform(x)
    return time.perf_counter() - t0


# The child process of the cold start: the same window ``latent-explorer`` opens
# with no argument (the default model, a fresh user's settings), which prints
# the wall-clock time of the scatter viewport's first paint and exits at once.
_COLD_START = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

app = QApplication([])
from explorer.ui.main_window import MainWindow

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            t = time.time()
            print(repr(t), flush=True)
            import os
            os._exit(0)
        return False

window = MainWindow()
hook = FirstPaint()
window.scatter.plot.viewport().installEventFilter(hook)
window.show()
sys.exit(app.exec())
"""


def cold_start_seconds(timeout_s: float = 120.0) -> float:
    """Process start to the first painted frame of the window's scatter (a fresh
    process, a fresh user: empty settings, state and cache folders)."""
    with tempfile.TemporaryDirectory(prefix="latent-explorer-bench-") as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                   LATENT_EXPLORER_CONFIG_DIR=f"{tmp}/config", LATENT_EXPLORER_STATE_DIR=f"{tmp}/state",
                   LATENT_EXPLORER_CACHE_DIR=f"{tmp}/cache", XDG_STATE_HOME=f"{tmp}/xdg-state",
                   XDG_CACHE_HOME=f"{tmp}/xdg-cache", XDG_CONFIG_HOME=f"{tmp}/xdg-config")
        t0 = time.time()
        done = subprocess.run([sys.executable, "-c", _COLD_START], env=env, capture_output=True, text=True,
                              timeout=timeout_s, cwd=tmp)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"the cold-start window did not paint (exit status {done.returncode}): "
                               f"{done.stderr.strip().splitlines()[-1:] or ''}")
        return float(lines[-1]) - t0
