"""A tiny rosinality StyleGAN2 generator file for window tests: 32 px, few channels, the real key names."""

from __future__ import annotations

from pathlib import Path

import torch

from tests.models.test_stylegan2 import STYLE_DIM, tiny_generator  # noqa: F401 (STYLE_DIM: the window tests read it here)


def save_tiny_stylegan2(folder: Path, seed: int = 0) -> Path:
    """``{"g_ema": state_dict}`` saved with ``torch.save``, as rosinality users extract it.

    Noise strengths and activation biases start at zero in a fresh generator; they are
    made non-zero so the stored noise buffers and every bias take part in decoding.
    """
    g = tiny_generator(seed)
    path = Path(folder) / "g_ema.pt"
    torch.save({"g_ema": g.state_dict()}, path)
    return path
