"""Open any checkpoint the app understands and return its model wrapper."""

from __future__ import annotations

from pathlib import Path

from models.errors import CheckpointError

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def resolve_checkpoint(name: str | Path) -> Path:
    """A path as given, or the name of a bundled checkpoint in ``resources/``."""
    p = Path(name)
    if p.exists():
        return p
    for candidate in (RESOURCES / p.name, RESOURCES / f"{p.name}.safetensors"):
        if candidate.exists():
            return candidate
    return p


def load_model(path: str | Path, device: str = "cpu"):
    """Read a checkpoint and return a LatentModel (or an AttributeClassifier).

    Raises :class:`CheckpointError` naming the file and the cause for anything
    that is not a usable checkpoint.
    """
    from models.checkpoint import read_checkpoint
    from models.families import model_from_checkpoint

    path = resolve_checkpoint(path)
    config, tensors = read_checkpoint(path)
    model = model_from_checkpoint(config, tensors, path)
    return model.to(device)


def load_latent_model(path: str | Path, device: str = "cpu"):
    """Like :func:`load_model` but refuses a classifier, which has no latent space."""
    from models.contract import LatentModel

    model = load_model(path, device)
    if not isinstance(model, LatentModel):
        raise CheckpointError(f"{path}: a classifier checkpoint has no latent space to sample or explore")
    return model
