"""Datasets that need no download: toyfaces, scikit-learn's digits, a user's folder.

Every dataset is returned as an :class:`ImageDataset`: uint8 images in
(n, h, w, c) layout plus either binary attributes (toyfaces) or integer labels
(digits, image folders).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.data.image_files import load_image_file  # noqa: F401 (re-exported)
from models.errors import DatasetError
from models.paths import display_path


@dataclass
class ImageDataset:
    """Images with their attributes or labels.

    Attributes
    ----------
    name : str
        ``toyfaces``, ``digits`` or the folder's path.
    images : ndarray of uint8, shape (n, h, w, c)
    attribute_names : tuple of str
        Names of the binary columns of ``attributes`` (empty for labelled sets).
    attributes : ndarray of float32, shape (n, len(attribute_names))
    label_names : tuple of str
        Class names for ``labels`` (empty for attribute sets).
    labels : ndarray of int64, shape (n,) or None
    """

    name: str
    images: np.ndarray
    attribute_names: tuple[str, ...] = ()
    attributes: np.ndarray | None = None
    label_names: tuple[str, ...] = ()
    labels: np.ndarray | None = None
    spec: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def channels(self) -> int:
        return self.images.shape[-1]

    @property
    def image_size(self) -> int:
        return self.images.shape[1]

    def targets(self) -> np.ndarray:
        """The classifier's targets: attribute matrix, or one-hot labels."""
        if self.attributes is not None:
            return self.attributes
        if self.labels is not None:
            return np.eye(len(self.label_names), dtype=np.float32)[self.labels]
        raise DatasetError(f"dataset {self.name!r} has neither attributes nor labels")

    def target_names(self) -> tuple[str, ...]:
        return self.attribute_names or self.label_names

    def target_frequencies(self) -> dict[str, float]:
        """Frequency of each attribute (or label) in this set."""
        t = self.targets()
        return {name: float(v) for name, v in zip(self.target_names(), t.mean(axis=0))}


def load_digits32() -> ImageDataset:
    """scikit-learn's bundled 8×8 handwritten digits, up-sampled to 32×32 grey."""
    from PIL import Image
    from sklearn.datasets import load_digits

    d = load_digits()
    small = (d.images / 16.0 * 255.0).astype(np.uint8)
    images = np.stack(
        [np.asarray(Image.fromarray(im).resize((32, 32), Image.BICUBIC)) for im in small]
    )[..., None]
    return ImageDataset(
        name="digits",
        images=images,
        label_names=tuple(str(i) for i in range(10)),
        labels=d.target.astype(np.int64),
        spec={"dataset": "digits"},
    )


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def load_images(files, size: int, channels: int = 3) -> np.ndarray:
    """Read files (centre-cropped, resized) into one uint8 array (n, size, size, channels)."""
    return np.stack([load_image_file(f, size, channels) for f in files])


def collect_images(paths) -> list[Path]:
    """Image files named directly, or found (recursively) in named folders, in order."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        elif p.is_file():
            found.append(p)
        else:
            raise DatasetError(f"{display_path(p)}: no such file or folder")
    if not found:
        raise DatasetError(f"no images in {', '.join(map(display_path, paths))}")
    return found


def load_image_folder(root: str | Path, size: int = 32, channels: int = 3) -> ImageDataset:
    """Images in an ImageFolder layout: each sub-folder's name is a label.

    Images directly in ``root`` (no sub-folders) get the single label ``root``.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder of images")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    groups = [(c, sorted((root / c).rglob("*"))) for c in classes] or [(root.name, sorted(root.iterdir()))]
    images, labels = [], []
    for label, (_, files) in enumerate(groups):
        for f in files:
            if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES:
                images.append(load_image_file(f, size, channels))
                labels.append(label)
    if not images:
        raise DatasetError(f"{root}: no images found (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    return ImageDataset(
        name=str(root),
        images=np.stack(images),
        label_names=tuple(c for c, _ in groups),
        labels=np.asarray(labels, np.int64),
        spec={"dataset": "folder", "path": str(root)},
    )


def load_dataset(name: str, *, n: int = 20000, seed: int = 0, size: int = 32, progress=None) -> ImageDataset:
    """Load a dataset by name: ``toyfaces``, ``digits`` or a folder path.

    ``n`` and ``seed`` apply to toyfaces only; ``size`` to toyfaces and folders;
    ``progress(done, total)`` is called while toyfaces are drawn.
    """
    if name == "toyfaces":
        from models.data.toyfaces import ATTRIBUTES, make_toyfaces

        images, attributes = make_toyfaces(n, seed=seed, size=size, chunk=512, progress=progress)
        return ImageDataset(
            name="toyfaces",
            images=images,
            attribute_names=ATTRIBUTES,
            attributes=attributes,
            spec={"dataset": "toyfaces", "n": n, "seed": seed, "size": size},
        )
    if name == "digits":
        return load_digits32()
    if Path(name).exists():
        return load_image_folder(name, size=size)
    raise DatasetError(f"{name}: unknown dataset (use toyfaces, digits or a folder of images)")
