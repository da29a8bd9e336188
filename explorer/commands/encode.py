"""``latent-explorer encode``: put a user's own images into a model's latent space."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from explorer.commands.progress import progress_bar


def encode_images(checkpoint, images: list[str], out: Path, steps: int | None = None, device: str = "cpu",
                  progress: bool = True, hints=None) -> dict:
    from models.checkpoint import atomic_write_bytes
    from models.loading import load_latent_model, resolve_checkpoint

    path = resolve_checkpoint(checkpoint)
    model = load_latent_model(path, device, **(hints or {}))
    if not model.can_encode:
        raise ValueError(f"{path}: a {model.info.family} model of this kind cannot encode images")
    if steps is not None:
        if hasattr(model, "inversion_steps"):
            model.inversion_steps = steps
        elif hasattr(model, "steps"):
            model.steps = steps
    from models.data import collect_images, load_images

    files = collect_images(images)
    pixels = load_images(files, model.info.image_size, model.info.channels)
    from models.contract import NonFiniteError

    try:  # NaN latents are refused before anything is written
        with progress_bar(f"encoding {len(files)} images", 1, progress) as update:
            latents = model.encode(pixels, progress=update)
    except NonFiniteError as exc:
        raise exc.naming(files) from None
    error = model.reconstruction_error(pixels, latents)
    buf = io.BytesIO()
    np.savez(buf, latents=latents, files=np.array([str(f) for f in files]), reconstruction_error=error,
             latent_shape=np.array(model.latent_shape), model=np.array(model.info.name))
    atomic_write_bytes(out, lambda tmp: Path(tmp).write_bytes(buf.getvalue()))
    return {"out": str(out), "count": len(files), "model": model.info.name, "family": model.info.family,
            "latent_shape": list(model.latent_shape), "files": [str(f) for f in files],
            "reconstruction_error": [round(float(e), 5) for e in error],
            "mean_reconstruction_error": float(error.mean())}
