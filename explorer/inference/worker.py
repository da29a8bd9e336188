"""The inference worker: one thread that owns the model and the device.

The worker serves a queue of frozen requests. An interactive request (hover,
slider, click) replaces any pending request of the same kind, so a burst of
hovers costs one decode. Long jobs report progress and can be cancelled. An
exception becomes a ``failed`` signal and the worker keeps serving.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque

import numpy as np

from PySide6.QtCore import QObject, Signal, Slot

from models.errors import LatentExplorerError, MissingHyperParameters
from explorer.inference.requests import (BankResult, BuildBank, ClassifierFeatures, Decode, EncodeImages, EvaluateModel,
                                        ExportFolder, GenerateSamples, LoadModel, RenderAnimation, Request, Response,
                                        SetDevice)
from explorer.inference.requests import CompareCheckpoints, ReferenceEmbedding
from explorer.inference.requests import CodeInfo, DecodeCodes
from explorer.inference.requests import SetLatentSpace, SetTruncation, StyleMix
from explorer.inference.requests import EmbedPrompts, PromptWalk, SetPrompt, SetPromptEmbedding

log = logging.getLogger(__name__)

# Decodes whose images the user can save to disk (the analogy grid): decoded
# as every kept image is, so the saved file is what ``sample`` would write.
KEEP_PURPOSES = frozenset({"grid"})


class Cancelled(Exception):
    """Raised inside a job whose request was cancelled."""


def resolve_device(name: str) -> str:
    """``auto`` → CUDA, else MPS, else CPU; otherwise check the name is usable."""
    import torch

    from models.contract import best_device

    if name in ("", "auto"):
        return str(best_device())
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was asked for, but torch sees no CUDA device")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("MPS was asked for, but it is not available")
    if name not in ("cpu", "cuda", "mps") and not name.startswith("cuda:"):
        raise ValueError(f"unknown device {name!r}")
    return name


class InferenceWorker(QObject):
    """Lives in its own QThread (see :class:`InferenceClient`); ``work`` is its loop."""

    responded = Signal(object)  # Response
    failed = Signal(object, str)  # Request, message
    cancelled = Signal(object)  # Request
    progressed = Signal(object, int, int)  # Request, done, total
    busy = Signal(str)  # "" when idle, else what it is doing
    hintsNeeded = Signal(object, list)  # LoadModel request, names of the missing hyper-parameters
    finished = Signal()

    def __init__(self, threads: int | None = None):
        super().__init__()
        self._queue: deque[Request] = deque()
        self._cond = threading.Condition()
        self._stop = False
        self._cancel: set[int] = set()
        self._threads = threads
        self._running: Request | None = None
        self.model = None
        self.device = "cpu"

    # -- called from the GUI thread ----------------------------------------
    def submit(self, request: Request) -> None:
        with self._cond:
            if request.interactive:
                self._queue = deque(r for r in self._queue if r.kind != request.kind)
            self._queue.append(request)
            self._cond.notify()

    def cancel(self, request_id: int) -> None:
        """Cancel a running or pending request; either way ``cancelled`` follows."""
        with self._cond:
            pending = [r for r in self._queue if r.id == request_id]
            self._queue = deque(r for r in self._queue if r.id != request_id)
            if not pending:
                self._cancel.add(request_id)
        for r in pending:
            self.cancelled.emit(r)

    def stop(self) -> None:
        """Finish: drop pending requests and cancel the running one at its next progress report."""
        with self._cond:
            self._stop = True
            self._queue.clear()
            if self._running is not None:
                self._cancel.add(self._running.id)
            self._cond.notify()

    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    # -- the worker thread ---------------------------------------------------
    @Slot()
    def work(self) -> None:
        import torch

        # Fewer intra-op threads than cores leaves one for the UI thread.
        torch.set_num_threads(self._threads or max(1, (os.cpu_count() or 2) - 1))
        while True:
            with self._cond:
                while not self._queue and not self._stop:
                    self._cond.wait()
                if self._stop:
                    break
                request = self._queue.popleft()
                self._running = request
            self._serve(request)
            with self._cond:
                self._running = None
        self.model = None
        self.finished.emit()

    def _serve(self, request: Request) -> None:
        self.busy.emit(_describe(request))
        t0 = time.perf_counter()
        try:
            payload = self._run(request)
        except Cancelled:
            self.cancelled.emit(request)
        except MissingHyperParameters as exc:
            self.hintsNeeded.emit(request, exc.missing)
            self.failed.emit(request, _message(exc))
        except Exception as exc:  # any failure is reported; the worker keeps serving
            # A refusal the user caused (a bad file) is a warning of one line; a
            # bug is an error. Either way the traceback goes with the record
            # (exc_info), which the log file keeps and the terminal leaves out.
            refused = isinstance(exc, LatentExplorerError)
            log.log(logging.WARNING if refused else logging.ERROR, "%s (request %d) %s: %s", _describe(request),
                    request.id, "refused" if refused else "failed", _message(exc), exc_info=True)
            self.failed.emit(request, _message(exc))
        else:
            self.responded.emit(Response(request, payload, time.perf_counter() - t0))
        finally:
            with self._cond:
                self._cancel.discard(request.id)
                idle = not self._queue
            if idle:
                self.busy.emit("")

    def _progress(self, request: Request):
        def report(done: int, total: int) -> None:
            if request.id in self._cancel:
                raise Cancelled
            self.progressed.emit(request, done, total)
        return report

    def _run(self, request: Request):
        if isinstance(request, LoadModel):
            from models.loading import load_latent_model, resolve_checkpoint

            device = resolve_device(request.device)
            path = resolve_checkpoint(request.path)  # a bundled model may be named without a path
            model = load_latent_model(path, device, **dict(request.hints))
            self.model, self.device = model, device  # only replaced on success
            return {"info": model.info, "device": device, "can_encode": model.can_encode, "path": str(path)}
        if isinstance(request, SetDevice):
            device = resolve_device(request.device)
            self._require_model().to(device)
            self.device = device
            return {"device": device}
        if isinstance(request, BuildBank):
            from explorer.inference import bank_cache
            from explorer.inference.bank_builder import build_bank

            model = self._require_model()
            key = bank_cache.cache_key(model, request.n, request.seed) if model.info.path else None
            bank = bank_cache.load(key) if key else None
            if bank is None and key and bank_cache.is_large(request.n):
                bank = self._build_large_bank(model, request, key)
            elif bank is None:
                bank = build_bank(model, request.n, request.seed, self._progress(request))
                if key:
                    bank_cache.save(key, bank)
            if hasattr(model, "recipe"):  # the prompt its thumbnails were decoded for (not kept in the cache)
                bank.recipe = dict(model.recipe())
            return self._with_pca(bank, request)
        if isinstance(request, GenerateSamples):
            from explorer.inference.bank_builder import build_bank
            from explorer.inference.conditional import generate_where

            offset = None if request.direction is None else request.strength * np.asarray(request.direction)
            if request.where:
                return generate_where(self._require_model(), request.n, request.seed, request.start, request.where,
                                      request.min_confidence, self._progress(request), offset)
            return build_bank(self._require_model(), request.n, request.seed, self._progress(request),
                              first=request.start, offset=offset), None
        if isinstance(request, ClassifierFeatures):
            return self._features(request)
        if isinstance(request, EvaluateModel):
            from explorer.inference.evaluation_job import evaluate_open_model

            return evaluate_open_model(self._require_model(), request, self._progress(request))
        if isinstance(request, ReferenceEmbedding):
            from explorer.inference.coverage_job import reference_embedding

            return reference_embedding(self._require_model(), request, self._progress(request))
        if isinstance(request, CompareCheckpoints):
            from explorer.inference.compare_job import compare

            return compare(self._require_model(), self.device, request, self._progress(request))
        if isinstance(request, ExportFolder):
            return self._export(request)
        if isinstance(request, RenderAnimation):
            from explorer.inference.animation_job import render_animation

            return render_animation(self._require_model(), request, self._progress(request))
        if isinstance(request, EncodeImages):
            return self._encode_images(request)
        if isinstance(request, (SetPrompt, EmbedPrompts, SetPromptEmbedding, PromptWalk)):
            from explorer.inference.prompt_job import serve_prompt

            return serve_prompt(self._require_model(), request, self._progress(request))
        if isinstance(request, (SetTruncation, SetLatentSpace, StyleMix)):
            from explorer.inference.stylegan_job import serve_stylegan

            return serve_stylegan(self._require_model(), request)
        if isinstance(request, (DecodeCodes, CodeInfo)):
            from explorer.inference.code_jobs import serve_codes

            return serve_codes(self._require_model(), request, self._progress(request))
        if isinstance(request, Decode):
            model = self._require_model()
            latents = _fit_latents(request.latents, model)
            if request.purpose in KEEP_PURPOSES:
                from models.reproducible import decode_for_keeps

                return decode_for_keeps(model, latents, self._progress(request))
            return model.decode(latents, progress=self._progress(request))
        raise TypeError(f"unknown request {type(request).__name__}")

    def _features(self, request):
        from models.loading import bundled_classifier_for

        model = self._require_model()
        clf = bundled_classifier_for(model)
        if clf is None:
            raise LatentExplorerError(f"{model.info.name}: no bundled classifier, so no feature space: "
                                      "use latent space")
        images = model.decode(_fit_latents(request.latents, model), batch_size=256, progress=self._progress(request))
        return clf.features(images)

    def _export(self, request):
        from models.reproducible import decode_for_keeps

        from explorer.core.export_folder import ModelProvenance, write_export

        model = self._require_model()
        info = model.info
        provenance = ModelProvenance(name=info.name, sha256=request.sha256, checkpoint=request.checkpoint,
                                     latent_shape=tuple(model.latent_shape), image_size=info.image_size,
                                     channels=info.channels, steps=getattr(model, "steps", None))
        items = list(request.items)
        if hasattr(model, "recipe"):  # a text-to-image image needs its prompt, guidance and steps to be remade
            from explorer.core.export_bank import with_model_recipe

            items = with_model_recipe(items, model.recipe())
        return write_export(request.out, items, provenance, lambda z: decode_for_keeps(model, z),
                            scale=request.scale, smooth=request.smooth, progress=self._progress(request),
                            split_by=request.split_by)

    def _build_large_bank(self, model, request, key: str):
        """A large bank built straight into its cache folder: the thumbnails (3 GB
        for 1M 32×32 colour codes) go to a memory-mapped file a chunk at a time,
        and the bank is then shown from the cache, its pages the OS's to drop."""
        from explorer.inference import bank_cache
        from explorer.inference.bank_builder import build_bank

        scratch = bank_cache.Scratch.open(key)
        try:
            bank = build_bank(model, request.n, request.seed, self._progress(request),
                              allocate=scratch.allocate if scratch else None)
            if scratch is not None:
                scratch.commit(bank)
        finally:
            if scratch is not None:
                scratch.discard()
        return bank_cache.load(key) or bank

    def _with_pca(self, bank, request: Request) -> BankResult:
        """The bank with its PCA layout, fitted here so the GUI thread only shows it
        (fitting 200k codes took the GUI thread over a second)."""
        from explorer.core.projection import PCAProjection

        if len(bank) < 2:
            return BankResult(bank)
        self._progress(request)(1000, 1000)  # a last chance to cancel before the fit
        projection = PCAProjection(2).fit(bank.latents)
        return BankResult(bank, projection, projection.transform(bank.latents))

    def _encode_images(self, request: EncodeImages) -> dict:
        """Encode files: latents, decoded reconstructions, errors, classifier labels."""
        import numpy as np

        from models.data import collect_images, load_images
        from models.loading import bundled_classifier_for

        model = self._require_model()
        if not model.can_encode:
            raise ValueError(f"{model.info.name}: this model cannot encode images")
        files = collect_images(request.paths)
        pixels = load_images(files, model.info.image_size, model.info.channels)
        from models.contract import NonFiniteError

        try:
            latents = model.encode(pixels, progress=self._progress(request))
        except NonFiniteError as exc:  # say which files, not which rows
            raise exc.naming(files) from None
        recon = model.decode(latents)
        error = np.abs(recon.astype(np.float32) - pixels).reshape(len(files), -1).mean(1) / 255.0
        out = {"latents": latents.reshape(len(files), -1), "thumbnails": recon, "files": [str(f) for f in files],
               "errors": error, "attributes": None, "labels": None}
        clf = bundled_classifier_for(model)
        if clf is not None:
            probs = clf.predict(recon)
            if clf.multilabel:
                out["attributes"] = {k: probs[:, j] for j, k in enumerate(clf.names)}
            else:
                out["labels"] = probs.argmax(1)
        return out

    def _require_model(self):
        if self.model is None:
            raise RuntimeError("no model is loaded")
        return self.model


def _fit_latents(latents, model):
    """Accept latents in the model's shape or flattened (n, d); refuse anything else."""
    import numpy as np

    shape = tuple(model.latent_shape)
    if latents.shape[1:] == shape:
        return latents
    if latents.ndim == 2 and latents.shape[1] == int(np.prod(shape)):
        return latents.reshape(len(latents), *shape)
    raise ValueError(f"{model.info.name}: latents of shape {latents.shape[1:]} given, the model takes {shape}")


def _describe(request: Request) -> str:
    if isinstance(request, LoadModel):
        return f"loading {os.path.basename(request.path)}"
    if isinstance(request, BuildBank):
        return "building the latent bank"
    if isinstance(request, Decode):
        return f"decoding ({request.purpose})"
    if isinstance(request, EncodeImages):
        return "encoding your images"
    if isinstance(request, RenderAnimation):
        return f"rendering {os.path.basename(request.out.rstrip('/')) or 'the animation'}"
    return request.kind


def _message(exc: Exception) -> str:
    from models.errors import LatentExplorerError

    if isinstance(exc, LatentExplorerError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
