"""Compare checkpoints of one family: the same seeds decoded by each, with quick
figures (runs in the inference worker, beside the open model, never replacing it)."""

from __future__ import annotations

import os

import numpy as np

#: Progress units per compared row: decoding the seeds, then the quick figures.
ROW, DECODED = 1000, 150
#: The quick figures shown per row, in order.
QUICK_FIGURES = ("fid", "precision", "recall", "coverage")


def _same_file(a: str, b: str) -> bool:
    try:
        return bool(a) and bool(b) and os.path.samefile(a, b)
    except OSError:
        return False


def load_compatible(base, path: str, device: str):
    """The model at ``path`` (``base`` itself when it is the open file), refused with a
    message naming the file when its family or latent shape differs from ``base``'s."""
    from models.errors import LatentExplorerError
    from models.loading import load_latent_model, resolve_checkpoint

    resolved = str(resolve_checkpoint(path))
    if _same_file(resolved, base.info.path):
        return base
    model = load_latent_model(resolved, device)
    family, shape = model.info.family, tuple(model.latent_shape)
    want_family, want_shape = base.info.family, tuple(base.latent_shape)
    if family != want_family or shape != want_shape:
        raise LatentExplorerError(
            f"{path}: a {family} checkpoint with latent shape {shape} cannot be compared with the open "
            f"{base.info.name} (a {want_family}, latent shape {want_shape}): choose checkpoints of one family "
            "with the same latent shape")
    return model


def compare(base, device: str, request, progress) -> dict:
    """Decode seeds ``request.first … first + count − 1`` of ``request.seed`` with every
    checkpoint of ``request.entries`` (``(path, truncate)`` pairs); quick figures on
    ``request.figures_n`` samples each when that is above zero.

    Every model is loaded (and refused) before any decoding, so a wrong file is
    named at once. The latents are the open model's prior samples, scaled by each
    row's truncation, so the rows differ only by weights and truncation.
    """
    models = [load_compatible(base, path, device) for path, _ in request.entries]
    indices = np.arange(request.first, request.first + request.count)
    latents = base.sample_latents(request.seed, indices)
    total = ROW * len(models)
    rows = []
    for r, (model, (path, truncate)) in enumerate(zip(models, request.entries)):
        done = r * ROW

        def part(lo: int, hi: int, done=done):
            return lambda d, t: progress(done + lo + (hi - lo) * d // max(t, 1), total)

        images = model.decode(latents * np.float32(truncate), progress=part(0, DECODED))
        row = {"path": str(path), "name": model.info.name, "truncate": float(truncate), "images": images,
               "figures": None, "collapse": None, "missing_modes": [], "note": ""}
        if request.figures_n > 0:
            row.update(quick_figures(model, request.figures_n, truncate, request.seed, part(DECODED, ROW)))
        rows.append(row)
        progress(done + ROW, total)
    return {"rows": rows, "seed": int(request.seed), "indices": indices.tolist()}


def quick_figures(model, n: int, truncate: float, seed: int, progress) -> dict:
    """FID, precision, recall and coverage with their floors, and the collapse verdict,
    from :func:`models.fidelity_report.evaluate_model` on ``n`` samples; a note instead
    when they cannot be had (no bundled classifier, no real data, an older install)."""
    from models.errors import LatentExplorerError
    from models.loading import bundled_classifier_for

    try:
        from models.fidelity_report import evaluate_model
    except ImportError:
        return {"note": "figures: this installation has no fidelity measures"}
    classifier = bundled_classifier_for(model)
    if classifier is None:
        return {"note": "figures: no bundled classifier fits this model"}
    try:
        report = evaluate_model(model, classifier, n, truncate=None if truncate == 1 else float(truncate),
                                seed=seed, progress=progress)
    except LatentExplorerError as exc:
        return {"note": f"figures: {exc}"}
    figures = {k: dict(report["figures"][k]) for k in QUICK_FIGURES if k in report.get("figures", {})}
    verdict = report.get("verdict") or {}
    return {"figures": figures, "collapse": bool(report.get("collapse")),
            "missing_modes": list(verdict.get("missing_modes") or []), "note": f"figures on {n} samples"}

