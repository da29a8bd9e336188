"""Conversions between uint8 images (n, h, w, c) and model tensors, and grids."""

from __future__ import annotations

import numpy as np
import torch


def to_tensor(images: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 (n, h, w, c) → float (n, c, h, w) in [-1, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    return t.permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """float (n, c, h, w) in [-1, 1] → uint8 (n, h, w, c) on the CPU.

    NaN or infinite values would silently become black or white pixels, so
    they raise :class:`~models.contract.NonFiniteError` (its ``rows``: which images).
    """
    images = images.detach().float()
    finite = torch.isfinite(images).flatten(1).all(1) if images.ndim > 1 else torch.isfinite(images)
    if not bool(finite.all()):
        from models.contract import NonFiniteError

        rows = torch.nonzero(~finite).flatten().tolist()
        raise NonFiniteError(f"{len(rows)} of {len(images)} image(s) hold NaN or infinite values", rows)
    x = ((images.clamp(-1, 1) + 1.0) * 127.5).round_()
    return x.to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def image_grid(images: np.ndarray, cols: int = 8, pad: int = 1) -> np.ndarray:
    """Tile uint8 (n, h, w, c) images into one (H, W, c) picture, row-major."""
    n, h, w, c = images.shape
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), 255, np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        grid[y:y + h, x:x + w] = images[i]
    return grid


def save_png(path, image: np.ndarray) -> None:
    """Write one uint8 image (h, w, c) as PNG, atomically."""
    from PIL import Image

    from models.checkpoint import atomic_write_bytes

    arr = image[..., 0] if image.shape[-1] == 1 else image
    atomic_write_bytes(path, lambda tmp: Image.fromarray(arr).save(tmp, format="PNG"))
