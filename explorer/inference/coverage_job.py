"""Embed real (reference) images beside the bank for the coverage overlay
(runs in the inference worker).

A model with a fast encoder places real images by encoding them, into the
very layout the bank is shown in. Any other model (a GAN, a diffusion model,
whose inversion takes seconds an image) cannot: then the bank's images and the
real ones are both described by the bundled classifier's features (or, with no
classifier that fits, by their pixels) and laid out by one PCA of both.
"""

from __future__ import annotations

import numpy as np

from explorer.core.coverage import CLASSIFIER_FEATURES, PIXELS, feature_layout

#: A feature layout describes every bank image; past this many the overlay asks for a smaller bank.
MAX_FEATURE_BANK = 50_000


def reference_images(model, n: int) -> np.ndarray:
    """``n`` held-out real images of the model's data set (uint8, N×H×W×C)."""
    from models.errors import LatentExplorerError
    from models.evaluation import held_out_sets

    if not model.info.dataset:
        raise LatentExplorerError(f"{model.info.name}: the checkpoint names no data set, so there are no real "
                                  "images to compare with")
    try:
        images = held_out_sets(model, n)[0].images
    except (OSError, ValueError, KeyError) as exc:
        raise LatentExplorerError(f"{model.info.name}: could not load real images of {model.info.dataset}: {exc}") \
            from exc
    if images.shape[1:] != (model.info.image_size, model.info.image_size, model.info.channels):
        raise LatentExplorerError(f"{model.info.name}: the real images are {images.shape[1:]}, the model makes "
                                  f"{model.info.image_size}×{model.info.image_size}×{model.info.channels}")
    return images


def reference_embedding(model, request, progress) -> dict:
    """Real images and where they go: their latents (``mode`` ``latent``), or both sets'
    points in a feature layout (``mode`` ``features``). ``space`` says which, in words."""
    real = reference_images(model, request.n)
    progress(100, 1000)
    if model.can_encode and not model.encode_is_slow:
        latents = model.encode(real, batch_size=256, progress=_phase(progress, 100, 1000))
        return {"mode": "latent", "images": real, "latents": latents.reshape(len(real), -1),
                "space": "the model's latent space (encoded)"}
    generated, count = request.bank_images, request.bank_size
    if count > MAX_FEATURE_BANK or (generated is None and request.bank_latents is None):
        from models.errors import LatentExplorerError

        raise LatentExplorerError(f"{model.info.name} cannot encode images, so the overlay describes every bank "
                                  f"image by its features: {count:,} are too many (at most {MAX_FEATURE_BANK:,}; "
                                  "Model ▸ Bank size)")
    if generated is None:
        latents = np.asarray(request.bank_latents).reshape(count, *model.latent_shape)
        generated = model.decode(latents, batch_size=256,
                                 progress=_phase(progress, 100, 600))
    from models.loading import bundled_classifier_for

    classifier = bundled_classifier_for(model)
    progress(600, 1000)
    if classifier is not None:
        gen_f = _chunked(classifier.features, generated, progress, 600, 950)
        real_f = classifier.features(real)
        method, words = CLASSIFIER_FEATURES, "the classifier's feature space"
    else:  # no classifier fits (an unknown data set, another image size): pixels still show gaps
        gen_f, real_f = _pixels(generated), _pixels(real)
        method, words = PIXELS, "pixel space (no bundled classifier fits this model)"
    progress(950, 1000)
    layout = feature_layout(gen_f, real_f)
    return {"mode": "features", "images": real, "method": method, "bank_points": layout.generated,
            "real_points": layout.real,
            "space": f"{words} (PCA of generated + real, {layout.explained:.0%} of variance)"}


def _pixels(images: np.ndarray) -> np.ndarray:
    return np.asarray(images, np.float32).reshape(len(images), -1) / 255.0


def _chunked(fn, images: np.ndarray, progress, lo: int, hi: int, size: int = 1024) -> np.ndarray:
    """``fn`` over ``images`` a chunk at a time, reporting progress (and so letting Cancel in) between chunks."""
    parts = []
    for start in range(0, len(images), size):
        parts.append(np.asarray(fn(np.array(images[start:start + size]))))  # a writable copy: torch wants one
        progress(lo + (hi - lo) * min(start + size, len(images)) // max(len(images), 1), 1000)
    return np.concatenate(parts) if parts else np.zeros((0, 1), np.float32)


def _phase(progress, lo: int, hi: int):
    return lambda done, total: progress(lo + (hi - lo) * done // max(total, 1), 1000)
