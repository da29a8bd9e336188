"""A small VQ-VAE (van den Oord et al. 2017, *Neural Discrete Representation Learning*).

The encoder maps an image to a grid of ``code_dim``-vectors; each is replaced
by its nearest entry of a codebook of ``codes`` vectors, and the decoder draws
the image from that quantised grid. Gradients pass the quantiser unchanged
(the straight-through estimator), a commitment loss keeps the encoder's
outputs near the codes they chose, and the codebook itself follows its
assigned vectors by exponential moving averages (appendix A.1 of the paper)
rather than by gradient. Codes that no vector chooses any more are restarted
on vectors of the current batch (as in Jukebox, Dhariwal et al. 2020): a code
that is never used is the VQ-VAE's form of mode collapse.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def nearest_codes(flat: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """Index of the nearest codebook row (squared Euclidean distance) for each row of ``flat``.

    Computed in float32 whatever the caller's autocast: in float16 the
    expanded distance ``|x|² − 2x·e + |e|²`` loses the small differences that
    decide between neighbouring codes.
    """
    with torch.autocast(flat.device.type, enabled=False):
        flat, codebook = flat.float(), codebook.float()
        d = (flat.pow(2).sum(1, keepdim=True) - 2 * flat @ codebook.t() + codebook.pow(2).sum(1)[None])
        return d.argmin(1)


class VectorQuantizerEMA(nn.Module):
    """A codebook of ``codes`` vectors of ``dim`` entries, updated by EMA while training.

    Parameters
    ----------
    codes, dim
        Codebook size K and vector size D.
    decay
        Decay of the moving averages of the code counts and sums.
    restart_below
        A code whose moving-average count falls below this many vectors per
        batch is moved onto a random vector of the batch.
    """

    def __init__(self, codes: int = 128, dim: int = 16, decay: float = 0.99, restart_below: float = 1.0):
        super().__init__()
        self.codes, self.dim, self.decay, self.restart_below = int(codes), int(dim), float(decay), float(restart_below)
        self.register_buffer("codebook", torch.randn(self.codes, self.dim) / math.sqrt(self.dim))
        self.register_buffer("cluster_size", torch.ones(self.codes))
        self.register_buffer("embed_sum", self.codebook.clone())

    def initialise_from(self, flat: torch.Tensor) -> None:
        """Start the codebook on random rows of ``flat`` (encoder outputs), so no code starts out of reach."""
        pick = torch.randint(0, len(flat), (self.codes,), device=flat.device)
        with torch.no_grad():
            self.codebook.copy_(flat[pick])
            self.embed_sum.copy_(flat[pick])
            self.cluster_size.fill_(1.0)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``z`` (N, D, H, W) → (straight-through quantised z, indices (N, H, W), commitment loss)."""
        n, d, h, w = z.shape
        flat = z.permute(0, 2, 3, 1).reshape(-1, d)
        idx = nearest_codes(flat, self.codebook)
        if self.training:
            self._update(flat.detach().float(), idx)
        q = self.codebook[idx].view(n, h, w, d).permute(0, 3, 1, 2).to(z.dtype)
        commitment = F.mse_loss(z, q.detach())
        return z + (q - z).detach(), idx.view(n, h, w), commitment

    @torch.no_grad()
    def _update(self, flat: torch.Tensor, idx: torch.Tensor) -> None:
        onehot = F.one_hot(idx, self.codes).type(flat.dtype)
        self.cluster_size.mul_(self.decay).add_(onehot.sum(0), alpha=1 - self.decay)
        self.embed_sum.mul_(self.decay).add_(onehot.t() @ flat, alpha=1 - self.decay)
        # Laplace smoothing keeps a rarely used code's mean finite.
        total = self.cluster_size.sum()
        smoothed = (self.cluster_size + 1e-5) / (total + self.codes * 1e-5) * total
        self.codebook.copy_(self.embed_sum / smoothed[:, None])
        dead = self.cluster_size < self.restart_below
        if dead.any():
            pick = torch.randint(0, len(flat), (int(dead.sum()),), device=flat.device)
            self.codebook[dead] = flat[pick]
            self.embed_sum[dead] = flat[pick]
            self.cluster_size[dead] = 1.0


class _Residual(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.block = nn.Sequential(nn.ReLU(), nn.Conv2d(width, width, 3, 1, 1), nn.ReLU(), nn.Conv2d(width, width, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


class VQVAE(nn.Module):
    """Encoder (stride-2 convolutions and a residual block) → quantiser → mirrored decoder.

    Parameters
    ----------
    channels, image_size
        The images: ``channels`` × ``image_size`` × ``image_size``, in [-1, 1].
    codes, code_dim
        Codebook size K and the dimension D of each code.
    width
        Channels of the first convolution; doubled at each further stage.
    downsample
        Stride-2 stages: the code grid is ``image_size / 2**downsample`` on a side.
    """

    def __init__(self, channels: int = 3, image_size: int = 32, codes: int = 128, code_dim: int = 16,
                 width: int = 32, downsample: int = 2):
        super().__init__()
        # Checked before 2**downsample is computed: the value comes from a file's configuration.
        if not isinstance(downsample, int) or not 1 <= downsample <= 8 or image_size % 2**downsample:
            raise ValueError(f"image size {image_size} does not halve {downsample} times")
        self.grid = image_size // 2**downsample
        widths = [width * 2**i for i in range(downsample)]
        enc, c_in = [], channels
        for w in widths:
            enc += [nn.Conv2d(c_in, w, 4, 2, 1), nn.ReLU()]
            c_in = w
        self.encoder = nn.Sequential(*enc, nn.Conv2d(c_in, c_in, 3, 1, 1), _Residual(c_in), nn.ReLU(),
                                     nn.Conv2d(c_in, code_dim, 1))
        self.quantizer = VectorQuantizerEMA(codes, code_dim)
        dec = [nn.Conv2d(code_dim, c_in, 3, 1, 1), _Residual(c_in), nn.ReLU()]
        for w_in, w_out in zip(widths[::-1], widths[::-1][1:] + [width]):
            dec += [nn.ConvTranspose2d(w_in, w_out, 4, 2, 1), nn.ReLU()]
        self.decoder = nn.Sequential(*dec, nn.Conv2d(width, channels, 3, 1, 1), nn.Tanh())

    @property
    def latent_shape(self) -> tuple[int, int, int]:
        """The continuous pre-quantisation map: (code_dim, grid, grid)."""
        return (self.quantizer.dim, self.grid, self.grid)

    @property
    def codebook(self) -> torch.Tensor:
        return self.quantizer.codebook

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images → the continuous map before quantisation."""
        return self.encoder(x)

    def decode(self, q: torch.Tensor) -> torch.Tensor:
        """A quantised map (codebook vectors) → images in [-1, 1]."""
        return self.decoder(q)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Images → (reconstruction, code indices, commitment loss)."""
        q, idx, commitment = self.quantizer(self.encode(x))
        return self.decode(q), idx, commitment
