"""Optimisation-based GAN inversion: find z whose image matches a picture.

A GAN has no encoder, so the code of an image is found by gradient descent
on z (Zhu et al., *Generative Visual Manipulation on the Natural Image
Manifold*): the pixel error of G(z) plus a small pull towards the prior's
shell (|z| ≈ √d), from the best of a few random starts.
"""

from __future__ import annotations

from typing import Callable

import torch

Progress = Callable[[int, int], None]


def invert_generator(generator: torch.nn.Module, target: torch.Tensor, nz: int, steps: int = 200, lr: float = 0.05,
                     restarts: int = 8, prior_weight: float = 1e-3, seed: int = 0,
                     progress: Progress | None = None, offset: int = 0, total: int | None = None) -> torch.Tensor:
    """Latents (n, nz) for ``target`` images (n, c, h, w) in [-1, 1].

    ``progress(offset + step, total)`` is called after every step; it may
    raise to abort (that is how a cancel reaches this loop).
    """
    device = target.device
    n = target.shape[0]
    gen = torch.Generator(device="cpu").manual_seed(seed)
    with torch.no_grad():
        # Best of several random starts per image.
        starts = torch.randn(restarts, n, nz, generator=gen).to(device)
        errors = torch.stack([((generator(s) - target) ** 2).flatten(1).mean(1) for s in starts])
        z0 = starts[errors.argmin(0), torch.arange(n, device=device)]
    z = z0.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    total = total if total is not None else steps
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        pixel = ((generator(z) - target) ** 2).flatten(1).mean(1)
        shell = (z.norm(dim=1) / nz**0.5 - 1.0) ** 2
        (pixel + prior_weight * shell).sum().backward()
        opt.step()
        if progress is not None:
            progress(offset + step + 1, total)
    return z.detach()
