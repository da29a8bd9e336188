"""The GUI side of the inference worker: submit requests, receive responses.

The client lives in the GUI thread and owns the worker's thread. Worker
signals arrive through queued connections to the client's own slots (never a
lambda, which PySide6 would run in the worker's thread), where stale
responses — older than the newest request of their kind — are dropped.

A request may name an *owner* (a controller living in the GUI thread): its
answers go to that owner's ``on_response``, ``on_failed``, ``on_cancelled``
and ``on_progress`` methods (whichever it has), so each capability receives
only its own responses. The client's signals still announce every answer.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from explorer.inference.requests import BuildBank, Decode, EncodeImages, LoadModel, Request, Response, SetDevice
from explorer.inference.worker import InferenceWorker


class InferenceClient(QObject):
    """Submit requests; get ``modelLoaded``, ``bankReady``, ``decoded``… back."""

    modelLoaded = Signal(object)  # {"info", "device", "can_encode"} and the request
    deviceChanged = Signal(str)
    bankReady = Signal(object)  # BankResult: the bank, its PCA projection and points
    decoded = Signal(object, object)  # Decode request, uint8 images
    encoded = Signal(object)  # {"latents", "thumbnails", "files", "errors", "attributes", "labels"}
    failed = Signal(object, str)  # request, message
    cancelled = Signal(object)
    progress = Signal(object, int, int)
    stateChanged = Signal(str)  # "" when idle
    hintsNeeded = Signal(object, list)  # LoadModel request, missing hyper-parameter names

    def __init__(self, parent: QObject | None = None, threads: int | None = None):
        super().__init__(parent)
        self._latest: dict[str, int] = {}
        self._owners: dict[int, object] = {}
        self.dropped = 0  # stale responses dropped (for tests and the benchmark)
        self._thread = QThread()
        self._thread.setObjectName("inference-worker")
        self._worker = InferenceWorker(threads)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.work)
        queued = Qt.ConnectionType.QueuedConnection
        self._worker.responded.connect(self._on_responded, queued)
        self._worker.failed.connect(self._on_failed, queued)
        self._worker.cancelled.connect(self._on_cancelled, queued)
        self._worker.progressed.connect(self._on_progress, queued)
        self._worker.busy.connect(self._on_busy, queued)
        self._worker.hintsNeeded.connect(self._on_hints_needed, queued)
        self._thread.start()
        self.state = ""

    # -- requests ------------------------------------------------------------
    def submit(self, request: Request, owner: object | None = None) -> Request:
        """Queue ``request``; its answers also go to ``owner``'s ``on_…`` methods."""
        self._latest[request.kind] = request.id
        if owner is not None:
            self._owners[request.id] = owner
        self._worker.submit(request)
        return request

    def load(self, path: str, device: str = "auto", hints: dict | None = None, owner=None) -> Request:
        return self.submit(LoadModel(str(path), device, tuple(sorted((hints or {}).items()))), owner)

    def set_device(self, device: str, owner=None) -> Request:
        return self.submit(SetDevice(device), owner)

    def build_bank(self, n: int = 2000, seed: int = 0, owner=None) -> Request:
        return self.submit(BuildBank(n, seed), owner)

    def decode(self, latents, purpose: str = "click", tag=None, owner=None) -> Request:
        return self.submit(Decode(latents, purpose, tag), owner)

    def encode_images(self, paths, owner=None) -> Request:
        return self.submit(EncodeImages(tuple(str(p) for p in paths)), owner)

    def _tell(self, request: Request, method: str, *args, final: bool = True) -> None:
        owner = self._owners.pop(request.id, None) if final else self._owners.get(request.id)
        handler = getattr(owner, method, None)
        if handler is not None:
            handler(request, *args)

    def cancel(self, request: Request) -> None:
        self._worker.cancel(request.id)

    def is_stale(self, request: Request) -> bool:
        """Older than the newest request of its kind (where only the newest counts)."""
        return request.newest_wins and request.id < self._latest.get(request.kind, 0)

    def close(self) -> None:
        """Stop the worker and wait for its thread (call before the app quits)."""
        if self._thread.isRunning():
            self._worker.stop()
            self._thread.quit()
            self._thread.wait()

    # -- responses (GUI thread) ----------------------------------------------
    @Slot(object)
    def _on_responded(self, response: Response) -> None:
        req = response.request
        if self.is_stale(req):
            self._owners.pop(req.id, None)
            self.dropped += 1
            return
        self._tell(req, "on_response", response.payload)
        if isinstance(req, LoadModel):
            self.modelLoaded.emit({"path": req.path, **response.payload, "request": req})
        elif isinstance(req, SetDevice):
            self.deviceChanged.emit(response.payload["device"])
        elif isinstance(req, BuildBank):
            self.bankReady.emit(response.payload)
        elif isinstance(req, Decode):
            self.decoded.emit(req, response.payload)
        elif isinstance(req, EncodeImages):
            self.encoded.emit(response.payload)

    @Slot(object, str)
    def _on_failed(self, request: Request, message: str) -> None:
        self._tell(request, "on_failed", message)
        self.failed.emit(request, message)

    @Slot(object, list)
    def _on_hints_needed(self, request: Request, missing: list) -> None:
        self._tell(request, "on_hints_needed", missing, final=False)
        self.hintsNeeded.emit(request, missing)

    @Slot(object)
    def _on_cancelled(self, request: Request) -> None:
        self._tell(request, "on_cancelled")
        self.cancelled.emit(request)

    @Slot(object, int, int)
    def _on_progress(self, request: Request, done: int, total: int) -> None:
        if not self.is_stale(request):
            self._tell(request, "on_progress", done, total, final=False)
            self.progress.emit(request, done, total)

    @Slot(str)
    def _on_busy(self, what: str) -> None:
        self.state = what
        self.stateChanged.emit(what)
