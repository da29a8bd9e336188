"""Attribute codes: binary attributes written into the first latent dimensions.

A latent with a standard-normal prior cannot carry the headline arithmetic
with three exemplars per concept: every linear direction of N(0, I) is N(0, 1),
so two halves of the space are never separated by a gap, and the spread of a
three-exemplar mean crosses the boundary about one time in five (see
:func:`models.evaluation.half_space_arithmetic_ceiling`). A model *trained with
its attributes* can do better. Here the first ``k`` latent dimensions hold one
code per named attribute, drawn around ``+scale`` when the attribute is
present and ``-scale`` when it is absent, with a small ``spread``; the other
dimensions stay N(0, 1) and carry everything else (pose, colours, …).

* A VAE learns it as a conditional prior p(z | y) = N(m(y), diag(v)) in its
  KL term, so its encoder writes each image's attributes into the codes.
* A GAN draws its codes from the attributes of real images and learns to obey
  them through an auxiliary classifier on its discriminator (AC-GAN).

Samples draw the attribute combination from the training data's own joint
frequencies, so an attribute that only ever comes with another (a beard only
on men) is left out of the codes and learnt by the free dimensions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch


@dataclass(frozen=True)
class AttributeCodes:
    """Where a latent's attribute codes live and how they are drawn.

    Attributes
    ----------
    attributes : tuple of str
        The coded attributes, in latent order: attribute ``j`` is dimension ``j``.
    scale : float
        A present attribute is coded ``+scale``, an absent one ``-scale``.
    spread : float
        Standard deviation of a code around ``±scale``.
    combinations : ndarray of uint8, shape (m, k)
        The attribute combinations seen in the training data.
    probabilities : ndarray of float64, shape (m,)
        How often each combination was seen; sums to 1.
    """

    attributes: tuple[str, ...]
    scale: float
    spread: float
    combinations: np.ndarray
    probabilities: np.ndarray

    @property
    def k(self) -> int:
        return len(self.attributes)

    @classmethod
    def from_attributes(cls, names: Sequence[str], values: np.ndarray, coded: Sequence[str],
                        scale: float = 2.0, spread: float = 0.25) -> "AttributeCodes":
        """Codes for the ``coded`` columns of a training set's 0/1 attribute matrix.

        Raises ``ValueError`` naming an attribute the data lacks, or absurd scales.
        """
        coded = tuple(coded)
        missing = [a for a in coded if a not in names]
        if missing:
            have = ", ".join(names) or "none"
            raise ValueError(f"the data has no attribute {', '.join(map(repr, missing))} to code (it has: {have})")
        if len(set(coded)) != len(coded) or not coded:
            raise ValueError(f"attribute codes need distinct names, got {list(coded)}")
        if not (0 < spread < scale <= 100):
            raise ValueError(f"attribute codes need 0 < spread < scale <= 100, got spread {spread}, scale {scale}")
        cols = [list(names).index(a) for a in coded]
        y = (np.asarray(values)[:, cols] > 0.5).astype(np.uint8)
        combos, counts = np.unique(y, axis=0, return_counts=True)
        return cls(coded, float(scale), float(spread), combos, counts / counts.sum())

    # -- codes -----------------------------------------------------------------
    def centres(self, y: torch.Tensor) -> torch.Tensor:
        """0/1 attributes (b, k) → the code centres ``±scale`` (b, k)."""
        return self.scale * (2 * y.float() - 1)

    def prior_moments(self, y: torch.Tensor, latent_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and variance of p(z | y) over the whole latent (codes, then N(0, 1))."""
        b = y.shape[0]
        mean = torch.zeros(b, latent_dim, device=y.device)
        var = torch.ones(b, latent_dim, device=y.device)
        mean[:, :self.k] = self.centres(y)
        var[:, :self.k] = self.spread ** 2
        return mean, var

    def draw(self, y: torch.Tensor, latent_dim: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Latents for given attributes: codes around ``±scale``, the rest N(0, 1)."""
        mean, var = self.prior_moments(y, latent_dim)
        noise = torch.randn(mean.shape, generator=generator).to(mean.device)
        return mean + var.sqrt() * noise

    def sample(self, shape: Sequence[int], seed: int, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Prior latents of ``shape`` where entry ``i`` depends only on ``(seed, i)``.

        The attribute combination is drawn with the training data's frequencies.
        """
        shape = tuple(int(s) for s in shape)
        dim = int(np.prod(shape))
        cumulative = np.cumsum(self.probabilities)
        out = np.empty((len(indices), dim), np.float32)
        for j, i in enumerate(indices):
            rng = np.random.default_rng([int(seed), int(i)])
            c = min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")), len(cumulative) - 1)
            z = rng.standard_normal(dim, dtype=np.float32)
            z[:self.k] = self.scale * (2.0 * self.combinations[c] - 1.0) + self.spread * z[:self.k]
            out[j] = z
        return out.reshape(len(indices), *shape)

    def describe(self) -> str:
        return (f"attribute codes ({', '.join(self.attributes)}) at ±{self.scale:g} in the first "
                f"{self.k} dimensions, the rest N(0, I)")

    # -- checkpoint config -----------------------------------------------------
    def to_config(self) -> dict[str, Any]:
        return {"attributes": list(self.attributes), "scale": self.scale, "spread": self.spread,
                "combinations": self.combinations.astype(int).tolist(),
                "probabilities": [round(float(p), 8) for p in self.probabilities]}

    @classmethod
    def from_config(cls, cfg: Any, latent_dim: int) -> "AttributeCodes":
        """Codes from a checkpoint's ``attribute_codes`` record; ``ValueError`` if malformed."""
        if not isinstance(cfg, dict):
            raise ValueError(f"'attribute_codes' must be a JSON object, got {type(cfg).__name__}")
        try:
            attrs = tuple(str(a) for a in cfg["attributes"])
            scale, spread = float(cfg["scale"]), float(cfg["spread"])
            combos = np.asarray(cfg["combinations"], dtype=np.float64)
            probs = np.asarray(cfg["probabilities"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"'attribute_codes' is incomplete or malformed ({exc})") from exc
        k = len(attrs)
        if not 0 < k < latent_dim:
            raise ValueError(f"'attribute_codes' names {k} attributes for a {latent_dim}-d latent")
        if combos.ndim != 2 or combos.shape[1] != k or len(combos) == 0 or probs.shape != (len(combos),):
            raise ValueError(f"'attribute_codes' has combinations of shape {combos.shape} and probabilities of "
                             f"shape {probs.shape}; {k} attributes need (m, {k}) and (m,)")
        if not np.isin(combos, (0, 1)).all():
            raise ValueError("'attribute_codes' combinations must be 0/1")
        if not (np.isfinite(probs).all() and (probs >= 0).all() and probs.sum() > 0):
            raise ValueError("'attribute_codes' probabilities must be non-negative and not all zero")
        if not (np.isfinite([scale, spread]).all() and 0 < spread < scale <= 100):
            raise ValueError(f"'attribute_codes' needs 0 < spread < scale <= 100, got {spread}, {scale}")
        return cls(attrs, scale, spread, combos.astype(np.uint8), probs / probs.sum())


def codes_from_config(config: dict[str, Any], latent_dim: int) -> AttributeCodes | None:
    """A checkpoint config's attribute codes; None if it has none, ``ValueError`` if malformed."""
    return AttributeCodes.from_config(config["attribute_codes"], latent_dim) if "attribute_codes" in config else None
