"""A tiny rosinality StyleGAN2 generator file for window tests: 32 px, few channels, the real key names."""

from __future__ import annotations

from pathlib import Path

import torch

STYLE_DIM = 32
TINY_CHANNELS = {4: 16, 8: 16, 16: 8, 32: 8}


def save_tiny_stylegan2(folder: Path, seed: int = 0) -> Path:
    """``{"g_ema": state_dict}`` saved with ``torch.save``, as rosinality users extract it.

    Noise strengths and activation biases start at zero in a fresh generator; they are
    made non-zero so the stored noise buffers and every bias take part in decoding.
    """
    from models.nets.stylegan2 import Generator

    torch.manual_seed(seed)
    g = Generator(32, STYLE_DIM, 2, channels=TINY_CHANNELS)
    with torch.no_grad():
        for name, p in g.named_parameters():
            if name.endswith("noise.weight") or name.endswith("activate.bias"):
                p.normal_(0, 0.3)
    path = Path(folder) / "g_ema.pt"
    torch.save({"g_ema": g.state_dict()}, path)
    return path
