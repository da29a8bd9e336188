"""What ``latent-explorer evaluate`` measures: the classifier, folders of images, reference sets.

Each loader refuses bad input up front, before any model runs, with one
:class:`~models.errors.LatentExplorerError` whose message names the input and
the cause: a folder that is missing or holds no images, images that are not
square or smaller than the classifier's input, a reference too small to form
k-nearest-neighbour balls, a feature extractor file that is not there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.errors import CheckpointError, DatasetError

DEFAULT_CLASSIFIER = "toyfaces_classifier"
# Seeds of the fresh toyfaces a folder is compared with (never used in training;
# models.evaluation.HELD_OUT_SEEDS uses the same ones for checkpoints).
REFERENCE_SEEDS = (1_000_001, 1_000_002)


def load_classifier(classifier, device: str = "cpu", dataset: str | None = None, owner=None):
    """The classifier named by ``classifier``, else the bundled one for ``dataset`` (else toyfaces');
    ``owner`` (the model's file) is named when its data set has no bundled classifier."""
    from models.loading import bundled_classifier_path, load_model, resolve_checkpoint

    if classifier is None:
        path = bundled_classifier_path(dataset) if dataset else resolve_checkpoint(DEFAULT_CLASSIFIER)
        if not path.exists():
            whose = f"{owner}: " if owner is not None else ""
            raise CheckpointError(f"{whose}no bundled classifier for dataset {dataset!r}; pass --classifier")
    else:
        path = resolve_checkpoint(classifier)
    clf = load_model(path, device)
    if getattr(clf, "multilabel", None) is None:
        raise CheckpointError(f"{path}: is not a classifier checkpoint")
    return clf, path


def load_model_and_classifier(checkpoint, classifier=None, device="cpu", hints=None):
    """The model of ``checkpoint`` and a classifier of its images: (model, classifier, classifier path).

    Without ``classifier`` it is the bundled one for the model's data set.
    """
    from models.loading import load_latent_model, resolve_checkpoint

    path = resolve_checkpoint(checkpoint)
    model = load_latent_model(path, device, **(hints or {}))
    clf, clf_path = load_classifier(classifier, device, model.info.dataset, owner=path)
    if (clf.image_size, clf.channels) != (model.info.image_size, model.info.channels):
        raise CheckpointError(f"{clf_path}: classifies {clf.image_size}px×{clf.channels} images, the model makes "
                              f"{model.info.image_size}px×{model.info.channels}")
    return model, clf, clf_path


def image_files(folder, option: str) -> list[Path]:
    """The image files under ``folder`` (recursively, sorted), or a clear error naming the option."""
    from models.data import IMAGE_SUFFIXES

    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{option} {folder}: no such folder")
    files = sorted(f for f in folder.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DatasetError(f"{option} {folder}: the folder holds no images "
                           f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def load_folder(folder, size: int, channels: int, option: str, limit: int | None = None,
                progress=None) -> np.ndarray:
    """The images of ``folder`` as uint8 (n, size, size, channels), the first ``limit`` of them.

    Square images larger than ``size`` are scaled down (a 64 px export of a
    32 px model is the same picture); smaller or non-square ones are refused,
    because enlarging or cropping would change what is measured.
    """
    from PIL import Image, UnidentifiedImageError

    from models.data import load_image_file

    files = image_files(folder, option)[:limit]
    images = np.empty((len(files), size, size, channels), np.uint8)
    for i, f in enumerate(files):
        try:
            with Image.open(f) as im:
                w, h = im.size
        except (OSError, UnidentifiedImageError) as exc:
            raise DatasetError(f"{option} {f}: not a readable image ({exc})") from None
        if w != h or w < size:
            raise DatasetError(f"{option} {f}: the image is {w}×{h} pixels; the classifier takes square images "
                               f"of {size}×{size} (larger square ones are scaled down)")
        images[i] = load_image_file(f, size, channels)
        if progress is not None and (i % 64 == 0 or i == len(files) - 1):
            progress(i + 1, len(files))
    return images


def bundled_reference(classifier, n: int) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Real images of the classifier's own data set: (reference, second reference or None, description).

    Both sets hold ``n`` images where the data allows, so the real-vs-real floor
    is measured at the sample size of the figure (coverage and FID depend on
    it): toyfaces are drawn fresh, a fixed set (digits, a training folder) is
    split into two disjoint random parts of at most half of it each.
    """
    from models.data import load_dataset

    spec = classifier.config.get("dataset_spec") or {}
    dataset = classifier.config.get("dataset") or spec.get("dataset")
    if dataset == "toyfaces":
        a, b = (load_dataset("toyfaces", n=n, seed=s, size=classifier.image_size).images for s in REFERENCE_SEEDS)
        return a, b, f"fresh held-out toyfaces (seeds {REFERENCE_SEEDS[0]} and {REFERENCE_SEEDS[1]}, {n} each)"
    path = spec.get("path")
    if dataset == "digits":
        images, words = load_dataset("digits").images, "scikit-learn's digits"
    elif path and Path(path).is_dir():
        images = load_folder(path, classifier.image_size, classifier.channels, "the classifier's data set")
        words = f"the classifier's training folder {path}"
    else:
        raise DatasetError(f"{classifier.path}: no bundled reference data for its data set {dataset!r}; "
                           "pass --reference DIR")
    m = min(n, len(images) // 2)
    order = np.random.default_rng(0).permutation(len(images))
    return images[order[:m]], images[order[m:2 * m]], f"{words}: two disjoint random parts of {m} images"


def check_feature_file(features: str, inception) -> None:
    """Refuse a missing Inception-v3 or TorchScript feature file before any work (nothing is downloaded)."""
    if features == "inception":
        if inception is None:
            raise DatasetError("--features inception needs --inception PATH: the TorchScript Inception-v3 "
                               "weights (e.g. inception-2015-12-05.pt); nothing is downloaded")
        if not Path(inception).is_file():
            raise DatasetError(f"--inception {inception}: no such file (the TorchScript Inception-v3 weights, "
                               "e.g. inception-2015-12-05.pt; nothing is downloaded)")
    elif features != "classifier" and not Path(features).is_file():
        raise DatasetError(f"--features {features}: no such file (classifier, inception, or the path of a "
                           "TorchScript feature extractor)")
