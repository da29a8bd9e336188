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
    if not name and model.info.family in ("vae", "vqvae") and 16 <= model.info.image_size <= 512:
        # An autoencoder that brings no data set of its own (a diffusers AutoencoderKL or VQModel): its bank is made
        # by encoding images we can draw, at its size. Their attributes still colour the scatter.
        ds = load_dataset("toyfaces", n=n, seed=0, size=model.info.image_size, progress=progress)
        if model.info.channels == 1:
            ds.images = ds.images.mean(axis=-1, keepdims=True).round().astype(np.uint8)
        elif model.info.channels != 3:
            return None
        return ds
    return None


#: Codes decoded (and labelled) at a time: a multiple of the decode batch, so every
#: image is decoded in a batch of the same composition however the bank is built.
CHUNK = 256 * 8


def build_bank(model, n: int = 2000, seed: int = 0, progress: Progress | None = None,
               allocate: Callable | None = None, first: int | None = None,
               offset: np.ndarray | None = None) -> LatentBank:
    """Latents, thumbnails and attributes for ``model``; ``progress(done, 1000)``.

    ``allocate(name, shape, dtype)``, if given, returns the array the
    thumbnails are written into (a memory-mapped file for a large bank):
    they are decoded and labelled a chunk at a time, so building a 1M-code
    bank never holds its gigabytes of thumbnails in memory. ``first``, if given,
    makes the bank prior samples ``first … first + n − 1`` of ``seed`` whatever the
    model (what *Generate* adds to a bank); ``offset`` is added to each of them.
    """
    report = progress or (lambda d, t: None)

    def phase(lo: int, hi: int) -> Progress:
        return lambda d, t: report(lo + (hi - lo) * d // max(t, 1), 1000)

    encodes = first is None and model.can_encode and not model.encode_is_slow
    ds = _dataset_images(model, n, phase(0, 200)) if encodes else None
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
        indices = np.arange(first or 0, (first or 0) + n, dtype=np.int64)
        latents = model.sample_latents(seed, indices)
        if offset is not None:  # Generate… along a direction: every sample moved before it is decoded
            latents = (latents + np.asarray(offset, np.float32).reshape(model.latent_shape)).astype(np.float32)
        source = f"prior samples, seed {seed}"
        seeds = np.full(n, seed, np.int64)
    from models.loading import bundled_classifier_for

    clf = bundled_classifier_for(model) if ds is None else None
    info = model.info
    shape = (len(latents), info.image_size, info.image_size, info.channels)
    thumbnails = allocate("thumbnails", shape, np.uint8) if allocate else np.empty(shape, np.uint8)
    probs = np.empty((len(latents), len(clf.names)), np.float32) if clf is not None else None
    lo = 500 if ds is not None else 0
    decoding = phase(lo, 950 if clf is None else lo + (950 - lo) * 2 // 5)
    labelling = phase(lo + (950 - lo) * 2 // 5, 950)
    for start in range(0, len(latents), CHUNK):
        stop = min(start + CHUNK, len(latents))
        # Progress (and so Cancel) after every batch, not every chunk.
        thumbnails[start:stop] = model.decode(latents[start:stop], batch_size=256,
                                              progress=lambda d, t, s=start: decoding(s + d, len(latents)))
    if clf is not None:
        # After decoding, not interleaved: the classifier's batches then see
        # the same images in the same order as they always did.
        for start in range(0, len(latents), CHUNK):
            stop = min(start + CHUNK, len(latents))
            probs[start:stop] = clf.predict(np.asarray(thumbnails[start:stop]))
            labelling(stop, len(latents))
        if clf.multilabel:
            attributes = {k: probs[:, j] for j, k in enumerate(clf.names)}
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
