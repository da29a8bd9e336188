"""A TorchScript module that follows the decode contract, as a LatentModel.

The module's ``decode(z)`` returns images (n, c, h, w) in ``output_range``;
everything else about it (latent shape, image size) comes from outside,
since a scripted module cannot describe itself.
"""

from __future__ import annotations

import numpy as np
import torch

from models.contract import LatentModel, ModelInfo
from models.imaging import to_uint8


class ScriptedModel(LatentModel):
    """Any family, decoded by a scripted ``decode`` method; it cannot encode."""

    def __init__(self, module: torch.jit.ScriptModule, info: ModelInfo, output_range: tuple[float, float] = (-1.0, 1.0)):
        super().__init__()
        self.module, self.info = module.eval(), info
        self.output_range = (float(output_range[0]), float(output_range[1]))

    def modules(self):
        return [self.module]

    def decode_tensor(self, z: torch.Tensor) -> torch.Tensor:
        """The module's images for ``z``, mapped to [-1, 1]."""
        lo, hi = self.output_range
        x = self.module.decode(z)
        return x if (lo, hi) == (-1.0, 1.0) else (x - lo) * (2.0 / (hi - lo)) - 1.0

    def _decode_batch(self, z: torch.Tensor) -> np.ndarray:
        return to_uint8(self.decode_tensor(z))
