"""Network architectures (plain ``torch.nn`` modules, no training logic).

:func:`build_net` turns an architecture record from a checkpoint's
configuration (``{"type": "ConvVAE", "latent_dim": 32, ...}``) into a module.
"""

from __future__ import annotations

from typing import Any


def _registry() -> dict[str, type]:
    from models.nets.classifier import AttributeCNN
    from models.nets.dcgan import Discriminator, Generator
    from models.nets.unet import LatentDenoiser, UNet
    from models.nets.vae import ConvVAE
    from models.nets.vqvae import VQVAE

    return {c.__name__: c for c in (ConvVAE, Generator, Discriminator, UNet, LatentDenoiser, AttributeCNN, VQVAE)}


def build_net(arch: dict[str, Any]):
    """Instantiate the module an architecture record describes.

    Raises ``ValueError`` with a readable message when the record names an
    unknown type or carries hyper-parameters the type does not take.
    """
    if not isinstance(arch, dict) or "type" not in arch:
        raise ValueError(f"architecture record needs a 'type', got {arch!r}")
    registry = _registry()
    cls = registry.get(arch["type"])
    if cls is None:
        raise ValueError(f"unknown architecture {arch['type']!r} (known: {', '.join(sorted(registry))})")
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in arch.items() if k != "type"}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"cannot build {arch['type']} from {kwargs}: {exc}") from exc
