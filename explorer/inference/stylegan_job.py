"""StyleGAN2 requests served in the worker: truncation ψ, the latent space (Z or W)
and style mixing. The model object lives in the worker thread, so the window
changes these only through requests answered here."""

from __future__ import annotations

import numpy as np

from models.errors import LatentExplorerError
from explorer.inference.requests import SetLatentSpace, SetTruncation, StyleMix


def serve_stylegan(model, request) -> dict:
    """Answer a :class:`SetTruncation`, :class:`SetLatentSpace` or :class:`StyleMix` request.

    The first two answer with the model's StyleGAN state, ``{"truncation", "space",
    "layer_groups", "info"}`` (after a new space the bank holds codes of the other space and
    must be rebuilt); ``StyleMix`` with ``{"a", "b", "mix"}``, each uint8 images (n, h, w, c):
    A, B, and A with B's styles in ``layers``.
    """
    if not all(hasattr(model, name) for name in ("set_truncation", "set_space", "style_mix")):
        raise LatentExplorerError(f"{model.info.name}: truncation, Z/W and style mixing are for StyleGAN2 models, "
                                  f"not a {model.info.family} model")
    if isinstance(request, SetTruncation):
        model.set_truncation(float(request.psi))
        return _state(model)
    if isinstance(request, SetLatentSpace):
        model.set_space(request.space)
        return _state(model)
    if isinstance(request, StyleMix):
        a, b = (_styles(model, x) for x in (request.a, request.b))
        return {"a": model.decode(a), "b": model.decode(b), "mix": model.style_mix(a, b, request.layers)}
    raise TypeError(f"not a StyleGAN2 request: {type(request).__name__}")


def _state(model) -> dict:
    groups = {name: (int(start), int(stop)) for name, (start, stop) in model.layer_groups.items()}
    return {"truncation": float(model.truncation), "space": model.space, "layer_groups": groups, "info": model.info}


def _styles(model, latents: np.ndarray) -> np.ndarray:
    """``(n, d)`` codes of the model's current space, or refused by name with the shape it takes."""
    shape = tuple(model.latent_shape)
    latents = np.asarray(latents, np.float32)
    if latents.ndim != 2 or latents.shape[1] != int(np.prod(shape)):
        raise LatentExplorerError(f"{model.info.name}: style mixing takes codes of {shape}, "
                                  f"not {latents.shape[1:]}")
    return latents.reshape(len(latents), *shape)
