"""The worker's side of a VQ-VAE's code maps: decode edited grids of codebook
indices (:class:`DecodeCodes`) and find the code maps and codebook usage of
continuous maps (:class:`CodeInfo`), in chunks, with progress."""

from __future__ import annotations

import numpy as np

from explorer.inference.requests import CodeInfo, DecodeCodes

CHUNK = 256  # code maps per call: progress and Cancel between chunks


def _require_vqvae(model) -> None:
    from models.errors import LatentExplorerError

    if model.info.family != "vqvae" or not hasattr(model, "decode_codes"):
        raise LatentExplorerError(f"{model.info.name}: a {model.info.family} model has no codebook; "
                                  "code maps are a VQ-VAE's")


def serve_codes(model, request, progress):
    """Answer a :class:`DecodeCodes` or :class:`CodeInfo` request with the open model."""
    _require_vqvae(model)
    if isinstance(request, DecodeCodes):
        return decode_codes(model, request, progress)
    if isinstance(request, CodeInfo):
        return code_info(model, request, progress)
    raise TypeError(f"unknown request {type(request).__name__}")


def decode_codes(model, request: DecodeCodes, progress) -> dict:
    """Images of the code maps, and (except for swatches) their code vectors as latents."""
    codes = np.asarray(request.codes)
    grid = tuple(model.code_grid_shape)
    if codes.ndim == 2:
        codes = codes[None]
    if tuple(codes.shape[1:]) != grid:
        raise ValueError(f"{model.info.name}: code maps of shape {codes.shape[1:]} given, the model's are {grid}")
    k = int(model.codebook_size)
    if codes.size and (codes.min() < 0 or codes.max() >= k):
        raise ValueError(f"{model.info.name}: codes must lie in 0–{k - 1}")
    images = [model.decode_codes(codes[i:i + CHUNK]) for i in _chunks(len(codes), progress)]
    out = {"images": np.concatenate(images) if images else np.zeros((0,), np.uint8)}
    if request.purpose != "swatches":
        out["latents"] = np.asarray(model.code_vectors(codes), np.float32)
    return out


def code_info(model, request: CodeInfo, progress) -> dict:
    """The code maps of continuous maps (not for ``usage``: only the counts), their codebook
    usage, and their decodes when asked."""
    latents = np.asarray(request.latents)
    k = int(model.codebook_size)
    usage = np.zeros(k, np.int64)
    codes, images = [], []
    for i in _chunks(len(latents), progress):
        chunk = latents[i:i + CHUNK]
        usage += np.asarray(model.codebook_usage(chunk), np.int64)
        if request.purpose != "usage" or request.with_images:
            c = np.asarray(model.code_indices(chunk), np.int64)
            codes.append(c)
            if request.with_images:
                images.append(model.decode_codes(c))
    out = {"usage": usage, "codebook_size": k, "grid_shape": tuple(int(s) for s in model.code_grid_shape),
           "maps": len(latents)}
    if codes:
        out["codes"] = np.concatenate(codes)
    if images:
        out["images"] = np.concatenate(images)
    return out


def _chunks(n: int, progress):
    for start in range(0, n, CHUNK):
        yield start
        progress(min(start + CHUNK, n), n)
