"""DDPM noise schedule, training loss, and the deterministic DDIM sampler.

The sampler uses η = 0 (Song et al., 2020), so a starting noise x_T always
decodes to the same image: x_T is the diffusion model's latent code.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn


class NoiseSchedule:
    """Linear β schedule of Ho et al. (2020) with its cumulative ᾱ_t."""

    def __init__(self, timesteps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02):
        self.timesteps = timesteps
        betas = torch.linspace(beta_start, beta_end, timesteps, dtype=torch.float64)
        self.alphas_cumprod = torch.cumprod(1.0 - betas, dim=0).float()

    def add_noise(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        a = self.alphas_cumprod.to(x0.device)[t].view(-1, *([1] * (x0.dim() - 1)))
        return a.sqrt() * x0 + (1 - a).sqrt() * noise

    def loss(self, model: nn.Module, x0: torch.Tensor) -> torch.Tensor:
        """The simple ε-prediction loss of DDPM."""
        t = torch.randint(0, self.timesteps, (x0.shape[0],), device=x0.device)
        noise = torch.randn_like(x0)
        return nn.functional.mse_loss(model(self.add_noise(x0, noise, t), t), noise)

    def ddim_timesteps(self, steps: int) -> list[int]:
        steps = max(1, min(int(steps), self.timesteps))
        stride = self.timesteps / steps
        return [int(round(i * stride)) for i in range(steps)][::-1]

    @torch.no_grad()
    def ddim_sample(
        self,
        model: nn.Module,
        x_t: torch.Tensor,
        steps: int = 50,
        progress: Callable[[int, int], None] | None = None,
        clip: float | None = 1.0,
    ) -> torch.Tensor:
        """Run DDIM (η = 0) from x_T down to x_0; ``progress(i, steps)`` per step."""
        ts = self.ddim_timesteps(steps)
        ac = self.alphas_cumprod.to(x_t.device)
        x = x_t
        for i, t in enumerate(ts):
            a_t = ac[t]
            a_prev = ac[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0, device=x.device)
            eps = model(x, torch.full((x.shape[0],), t, device=x.device, dtype=torch.long))
            x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
            if clip is not None:
                x0 = x0.clamp(-clip, clip)
                eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
            x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
            if progress is not None:
                progress(i + 1, len(ts))
        return x

    @torch.no_grad()
    def ddim_invert(
        self,
        model: nn.Module,
        x0: torch.Tensor,
        steps: int = 50,
        progress: Callable[[int, int], None] | None = None,
    ) -> torch.Tensor:
        """Run DDIM backwards from x_0 to x_T (the inverse of :meth:`ddim_sample`)."""
        ts = self.ddim_timesteps(steps)[::-1]
        ac = self.alphas_cumprod.to(x0.device)
        x = x0
        for i, t in enumerate(ts):
            a_prev = ac[ts[i - 1]] if i > 0 else torch.tensor(1.0, device=x.device)
            a_t = ac[t]
            t_in = ts[i - 1] if i > 0 else 0
            eps = model(x, torch.full((x.shape[0],), t_in, device=x.device, dtype=torch.long))
            x0_pred = (x - (1 - a_prev).sqrt() * eps) / a_prev.sqrt()
            x = a_t.sqrt() * x0_pred + (1 - a_t).sqrt() * eps
            if progress is not None:
                progress(i + 1, len(ts))
        return x
