"""Open any checkpoint the app understands and return its model wrapper."""

from __future__ import annotations

from pathlib import Path

from models.errors import CheckpointError

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def resolve_checkpoint(name: str | Path) -> Path:
    """A path as given, or the name of a bundled checkpoint in ``resources/``."""
    p = Path(name)
    try:
        p.stat()
        return p
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError:
        return p  # there but unreadable (permission, a symlink loop): the reader says which
    for candidate in (RESOURCES / p.name, RESOURCES / f"{p.name}.safetensors"):
        if candidate.exists():
            return candidate
    return p


def load_model(path: str | Path, device: str = "cpu", **hints):
    """Read a checkpoint and return a LatentModel (or an AttributeClassifier).

    Native ``.safetensors`` files, PyTorch state dicts of recognised
    architectures and TorchScript decoders are told apart by content (see
    :func:`models.readers.detect_and_read`, which also takes ``hints``).

    Raises :class:`CheckpointError` naming the file and the cause for anything
    that is not a usable checkpoint.
    """
    from models.readers import detect_and_read

    path = resolve_checkpoint(path)
    model = detect_and_read(path, device, **hints)
    return model.to(device)


def load_latent_model(path: str | Path, device: str = "cpu", **hints):
    """Like :func:`load_model` but refuses a classifier, which has no latent space."""
    from models.contract import LatentModel

    model = load_model(path, device, **hints)
    if not isinstance(model, LatentModel):
        raise CheckpointError(f"{path}: a classifier checkpoint has no latent space to sample or explore")
    return model


def bundled_classifier_path(dataset: str) -> Path:
    """Where the bundled classifier for ``dataset`` lives (it may not exist)."""
    return RESOURCES / f"{dataset}_classifier.safetensors"


def bundled_classifier_for(model):
    """The bundled classifier for the model's data set, if one exists and fits its images; else None."""
    path = bundled_classifier_path(model.info.dataset)
    if not model.info.dataset or not path.exists():
        return None
    clf = load_model(path, str(model.device))
    if (clf.image_size, clf.channels) != (model.info.image_size, model.info.channels):
        return None
    return clf
