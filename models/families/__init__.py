"""One LatentModel class per family, and :func:`model_from_checkpoint`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from models.contract import ModelInfo


def info_from_config(config: dict[str, Any], path: Path | str, latent_shape, **extra) -> ModelInfo:
    """Build a ModelInfo from a native checkpoint's configuration."""
    return ModelInfo(
        name=str(config.get("name") or Path(path).stem),
        family=config["family"],
        image_size=config["image_size"],
        channels=config["channels"],
        latent_shape=tuple(int(s) for s in latent_shape),
        dataset=str(config.get("dataset", "")),
        attributes=tuple(config.get("attributes", ())),
        labels=tuple(config.get("labels", ())),
        provenance={k: config[k] for k in ("training", "dataset_spec", "attribute_frequencies") if k in config},
        path=str(path),
        **extra,
    )


def model_from_checkpoint(config: dict[str, Any], tensors: dict[str, torch.Tensor], path: Path | str):
    """The family's wrapper for an already-read native checkpoint."""
    from models.errors import CheckpointError
    from models.families.classifier import AttributeClassifier
    from models.families.diffusion import DiffusionModel
    from models.families.gan import GANModel
    from models.families.vae import VAEModel
    from models.families.vqvae import VQVAEModel
    from models.readers import first_line

    cls = {"vae": VAEModel, "gan": GANModel, "diffusion": DiffusionModel, "classifier": AttributeClassifier,
           "vqvae": VQVAEModel}[config["family"]]
    try:
        return cls.from_checkpoint(config, tensors, path)
    except CheckpointError:
        raise
    except ValueError as exc:
        raise CheckpointError(f"{path}: {exc}") from exc
    except (TypeError, KeyError, IndexError, AttributeError, OverflowError, RuntimeError) as exc:
        # The configuration is untrusted JSON: a value of the wrong type
        # surfaces here, and is the file's fault, not a bug.
        raise CheckpointError(f"{path}: the configuration does not describe a usable model ({first_line(exc)})") from exc
