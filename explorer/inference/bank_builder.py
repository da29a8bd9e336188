"""Build the latent bank a model opens with (runs in the inference worker).

A model with a fast encoder (a VAE) encodes images of its own dataset and
keeps their true attributes or labels. Any other model draws seeded prior
samples, and the bundled classifier for its dataset labels what they decode to.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from explorer.core.latent_bank import LatentBank

Progress = Callable[[int, int], None]
# The bank sizes a user may ask for (menu, --bank): PCA needs a few points, and past
# a few million codes the latents alone outgrow a laptop's memory.
MIN_BANK, MAX_BANK = 10, 5_000_000


def _dataset_images(model, n: int, progress=None):
    from models.data import load_dataset

    spec = model.info.provenance.get("dataset_spec", {})
    name = model.info.dataset
    if name == "toyfaces":
        return load_dataset("toyfaces", n=n, seed=int(spec.get("seed", 0)), size=model.info.image_size, progress=progress)
    if name == "digits" and model.info.image_size == 32:
        ds = load_dataset("digits")
        ds.images, ds.labels = ds.images[:n], ds.labels[:n]
        return ds
    if not name and model.info.family == "vae" and 16 <= model.info.image_size <= 512:
        # An autoencoder that brings no data set of its own (a diffusers AutoencoderKL): its bank is made
        # by encoding images we can draw, at its size. Their attributes still colour the scatter.
        ds = load_dataset("toyfaces", n=n, seed=0, size=model.info.image_size, progress=progress)
        if model.info.channels == 1:
            ds.images = ds.images.mean(axis=-1, keepdims=True).round().astype(np.uint8)
        elif model.info.channels != 3:
            return None
        return ds
    return None


def build_bank(model, n: int = 2000, seed: int = 0, progress: Progress | None = None) -> LatentBank:
    """Latents, thumbnails and attributes for ``model``; ``progress(done, 1000)``."""
    report = progress or (lambda d, t: None)

    def phase(lo: int, hi: int) -> Progress:
        return lambda d, t: report(lo + (hi - lo) * d // max(t, 1), 1000)

    ds = _dataset_images(model, n, phase(0, 200)) if model.can_encode and not model.encode_is_slow else None
    attributes: dict[str, np.ndarray] = {}
    labels, label_names = None, ()
    if ds is not None:
        latents = model.encode(ds.images, batch_size=256, progress=phase(200, 500))
        source = f"encoded {model.info.dataset or ds.name} images"
        seeds, indices = np.full(len(ds), -1, np.int64), np.arange(len(ds), dtype=np.int64)
        if ds.attributes is not None:
            attributes = {k: ds.attributes[:, j].copy() for j, k in enumerate(ds.attribute_names)}
        if ds.labels is not None:
            labels, label_names = ds.labels.astype(np.int64), ds.label_names
    else:
        indices = np.arange(n, dtype=np.int64)
        latents = model.sample_latents(seed, indices)
        source = f"prior samples, seed {seed}"
        seeds = np.full(n, seed, np.int64)
    thumbnails = model.decode(latents, batch_size=256, progress=phase(500 if ds is not None else 0, 950))
    if ds is None:
        from models.loading import bundled_classifier_for

        clf = bundled_classifier_for(model)
        if clf is not None:
            probs = clf.predict(thumbnails)
            if clf.multilabel:
                attributes = {k: probs[:, j] for j, k in enumerate(clf.names)}
                source += ", labelled by the bundled classifier"
            else:
                labels, label_names = probs.argmax(1).astype(np.int64), clf.names
                source += ", labelled by the bundled classifier"
    report(1000, 1000)
    return LatentBank(
        latents=latents.reshape(len(latents), -1).astype(np.float32),
        latent_shape=tuple(model.latent_shape),
        source=source,
        seeds=seeds,
        indices=indices,
        attributes=attributes,
        labels=labels,
        label_names=tuple(label_names),
        thumbnails=thumbnails,
    )
