"""A tiny native VQ-VAE file for window tests: 16 px images on an 8×8 grid of 16 codes,
saved with the app's own checkpoint writer, random weights."""

from __future__ import annotations

from pathlib import Path

import torch

# downsample 1: each code's cell is 2×2 px, and a code reaches 3 cells around it through the decoder.
ARCH = {"type": "VQVAE", "channels": 3, "image_size": 16, "codes": 16, "code_dim": 4, "width": 8, "downsample": 1}


def save_tiny_vqvae(folder: Path, seed: int = 0) -> Path:
    """``tiny_vqvae.safetensors`` in ``folder`` (the toyfaces attributes of the other test models)."""
    from models.checkpoint import module_tensors, save_checkpoint
    from models.nets import build_net
    from tests.models.factories import BASE

    torch.manual_seed(seed)
    path = Path(folder) / "tiny_vqvae.safetensors"
    save_checkpoint(path, module_tensors(build_net(ARCH), "vqvae."),
                    {"family": "vqvae", "name": "tiny_vqvae", "architecture": ARCH, **BASE})
    return path
