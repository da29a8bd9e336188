"""The fully-connected MNIST VAE of pytorch/examples (``vae/main.py``).

Layers fc1 (pixels → hidden), fc21/fc22 (hidden → μ, log σ²), fc3
(latent → hidden) and fc4 (hidden → pixels); 784 → 400 → 20 in the original,
but the sizes are read off the weights.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from models.contract import ModelInfo
from models.errors import CheckpointError
from models.families.vae import VAEModel
from models.nets.mnist_vae import MnistVAE
from models.readers import image_words, load_exactly
from models.readers.limits import check_image_side, check_latent

NAME = "pytorch/examples MNIST VAE (fc1, fc21, fc22, fc3, fc4)"
FORMAT = "pytorch/examples MNIST VAE"
KEYS = tuple(f"{layer}.{p}" for layer in ("fc1", "fc21", "fc22", "fc3", "fc4") for p in ("weight", "bias"))


def matches(state: dict[str, torch.Tensor]) -> bool:
    """All five linear layers are there, as matrices."""
    return all(k in state for k in KEYS) and all(state[f"{layer}.weight"].dim() == 2 for layer in ("fc1", "fc4"))


def read(state: dict[str, torch.Tensor], path: Path):
    """Build the VAE the weights describe and wrap it as a VAEModel."""
    hidden, pixels = (int(s) for s in state["fc1.weight"].shape)
    latent = int(state["fc21.weight"].shape[0])
    side = math.isqrt(pixels)
    # The script flattens square grey images; anything else is another model.
    if side * side != pixels:
        raise CheckpointError(f"{path}: fc1 takes {pixels} inputs, which is not a square grey image")
    check_image_side(path, side)
    check_latent(path, (latent,))
    net = MnistVAE(image_size=side, hidden=hidden, latent_dim=latent)
    load_exactly(net, state, path)
    detected = f"{FORMAT} (hidden={hidden}, latent={latent}, {image_words(side, 1)})"
    info = ModelInfo(
        name=path.stem, family="vae", image_size=side, channels=1, latent_shape=(latent,),
        provenance={"format": FORMAT, "hidden": hidden, "latent": latent, "detected": detected},
        path=str(path),
    )
    return VAEModel(net, info)
