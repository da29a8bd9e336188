"""The latent bank: the set of latent codes laid out in the scatter view."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class LatentBank:
    """Latent codes with what is known about each.

    Attributes
    ----------
    latents : ndarray of float32, shape (n, d)
        Flattened latent codes (``latent_shape`` restores them).
    latent_shape : tuple of int
    source : str
        How the codes were made, e.g. ``"encoded toyfaces images"``.
    seeds : ndarray of int64, shape (n,)
        The prior seed of each code, or -1 for encoded images.
    indices : ndarray of int64, shape (n,)
        The index within its seed (prior samples) or data set (encodings).
    attributes : dict of str → ndarray (n,)
        Binary attributes as 0/1 or probabilities in [0, 1].
    labels : ndarray of int64 (n,) or None, with ``label_names``
        A categorical label per code (digits, folder classes).
    thumbnails : ndarray of uint8 (n, h, w, c) or None
        Each code decoded, for hover tooltips.
    recipe : dict
        What, beside its code, decides every image (a text-to-image model's
        prompt, negative prompt, guidance and steps); empty for other families.
    """

    latents: np.ndarray
    latent_shape: tuple[int, ...]
    source: str
    seeds: np.ndarray
    indices: np.ndarray
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    labels: np.ndarray | None = None
    label_names: tuple[str, ...] = ()
    thumbnails: np.ndarray | None = None
    # Images a user brought: their file names and reconstruction errors, by index.
    user_files: dict[int, str] = field(default_factory=dict)
    user_errors: dict[int, float] = field(default_factory=dict)
    recipe: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.latents)
        for name, col in self.attributes.items():
            if len(col) != n:
                raise ValueError(f"attribute {name!r} has {len(col)} values for {n} latents")
        if self.labels is not None and len(self.labels) != n:
            raise ValueError(f"{len(self.labels)} labels for {n} latents")

    def __len__(self) -> int:
        return len(self.latents)

    def extended(self, latents: np.ndarray, thumbnails: np.ndarray | None, files: list[str],
                 errors: np.ndarray, attributes: dict[str, np.ndarray] | None = None,
                 labels: np.ndarray | None = None) -> "LatentBank":
        """A new bank with a user's encoded images appended (marked by file name)."""
        n0, k = len(self), len(latents)
        attrs = {}
        for name, col in self.attributes.items():
            extra = (attributes or {}).get(name, np.full(k, np.nan, np.float32))
            attrs[name] = np.concatenate([col, np.asarray(extra, col.dtype if col.dtype.kind == "f" else np.float32)])
        new_labels = None
        if self.labels is not None:
            extra = labels if labels is not None else np.full(k, -1, np.int64)
            new_labels = np.concatenate([self.labels, np.asarray(extra, np.int64)])
        thumbs = None
        if self.thumbnails is not None and thumbnails is not None:
            thumbs = np.concatenate([self.thumbnails, thumbnails])
        return LatentBank(
            latents=np.vstack([self.latents, np.asarray(latents, np.float32).reshape(k, -1)]),
            latent_shape=self.latent_shape, source=self.source,
            seeds=np.concatenate([self.seeds, np.full(k, -2, np.int64)]),
            indices=np.concatenate([self.indices, np.arange(k, dtype=np.int64)]),
            attributes=attrs, labels=new_labels, label_names=self.label_names, thumbnails=thumbs,
            user_files={**self.user_files, **{n0 + j: f for j, f in enumerate(files)}},
            user_errors={**self.user_errors, **{n0 + j: float(e) for j, e in enumerate(errors)}},
            recipe=dict(self.recipe),
        )

    def joined(self, other: "LatentBank") -> "LatentBank":
        """A new bank with ``other``'s codes (generated samples) appended.

        Attributes and labels the two do not share are NaN / -1 where missing;
        thumbnails are kept only if both have them.
        """
        if other.latent_shape != self.latent_shape:
            raise ValueError(f"codes of shape {other.latent_shape} cannot join a bank of {self.latent_shape}")
        n, k = len(self), len(other)
        attrs = {}
        for name in list(self.attributes) + [a for a in other.attributes if a not in self.attributes]:
            mine = self.attributes.get(name, np.full(n, np.nan, np.float32))
            theirs = other.attributes.get(name, np.full(k, np.nan, np.float32))
            attrs[name] = np.concatenate([np.asarray(mine, np.float32), np.asarray(theirs, np.float32)])
        labels = None
        if self.labels is not None or other.labels is not None:
            names = self.label_names or other.label_names
            if self.label_names and other.label_names and self.label_names != other.label_names:
                raise ValueError("the two banks name their labels differently")
            mine = self.labels if self.labels is not None else np.full(n, -1, np.int64)
            theirs = other.labels if other.labels is not None else np.full(k, -1, np.int64)
            labels = np.concatenate([mine, theirs]).astype(np.int64)
        else:
            names = self.label_names
        thumbs = None
        if self.thumbnails is not None and other.thumbnails is not None:
            thumbs = np.concatenate([np.asarray(self.thumbnails), np.asarray(other.thumbnails)])
        return LatentBank(
            latents=np.vstack([np.asarray(self.latents), np.asarray(other.latents, np.float32).reshape(k, -1)]),
            latent_shape=self.latent_shape, source=self.source,
            seeds=np.concatenate([self.seeds, other.seeds]), indices=np.concatenate([self.indices, other.indices]),
            attributes=attrs, labels=labels, label_names=tuple(names), thumbnails=thumbs,
            user_files=dict(self.user_files), user_errors=dict(self.user_errors), recipe=dict(self.recipe))

    def next_sample_index(self, seed: int) -> int:
        """The first prior-sample index of ``seed`` this bank does not hold yet."""
        mine = self.indices[self.seeds == seed]
        return int(mine.max()) + 1 if len(mine) else 0

    def user_indices(self) -> np.ndarray:
        return np.array(sorted(self.user_files), np.int64)

    def latent(self, i: int) -> np.ndarray:
        """Code ``i`` in the model's latent shape."""
        return self.latents[i].reshape(self.latent_shape)

    def norms(self) -> np.ndarray:
        return np.linalg.norm(self.latents, axis=1)

    def colour_fields(self) -> list[str]:
        """Names a user can colour by: ``label`` first if present, then attributes."""
        return (["label"] if self.labels is not None else []) + list(self.attributes)

    def describe(self, i: int) -> dict:
        """What the preview shows about code ``i``."""
        info = {"id": int(i), "index": int(self.indices[i]), "seed": int(self.seeds[i]),
                "norm": float(np.linalg.norm(self.latents[i]))}
        if self.labels is not None and self.labels[i] >= 0:
            info["label"] = self.label_names[self.labels[i]]
        info["attributes"] = {k: float(v[i]) for k, v in self.attributes.items() if np.isfinite(v[i])}
        if i in self.user_files:
            info["file"] = self.user_files[i]
            info["reconstruction_error"] = self.user_errors.get(i, float("nan"))
        return info
