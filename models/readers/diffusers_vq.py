"""A diffusers ``VQModel`` directory (config.json + safetensors weights) as a VQ-VAE.

The directory opens as the same family as the native VQ-VAE
(:class:`models.families.vqvae.VQVAEModel`) through :class:`DiffusersVQ`, a
small adapter that gives the diffusers module the codebook / encode / decode
interface the family expects. The latent is the map after ``quant_conv``
(what ``VQModel.encode`` returns and ``VQModel.decode`` quantises), so its
channels are ``vq_embed_dim``. diffusers is imported only when a directory is
opened, as in :mod:`models.readers.diffusers_dirs`.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from models.contract import ModelInfo
from models.errors import CheckpointError
from models.readers import image_words, with_detected
from models.readers.diffusers_checks import check_sizes


class DiffusersVQ(nn.Module):
    """A diffusers ``VQModel`` with the interface of :class:`models.nets.vqvae.VQVAE`.

    Parameters
    ----------
    vq
        A loaded ``diffusers.VQModel``.
    """

    def __init__(self, vq: nn.Module):
        super().__init__()
        self.vq = vq

    @property
    def codebook(self) -> torch.Tensor:
        return self.vq.quantize.embedding.weight

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images in [-1, 1] → the map before quantisation."""
        return self.vq.encode(x).latents

    def decode(self, q: torch.Tensor) -> torch.Tensor:
        """An already quantised map → images.

        The decoder is called directly rather than through ``VQModel.decode``,
        which would quantise again, or (with ``lookup_from_codebook``) read
        the map as indices.
        """
        spatial = self.vq.config.norm_type == "spatial"  # MoVQ: the decoder's norms are conditioned on the codes
        return self.vq.decoder(self.vq.post_quant_conv(q), q if spatial else None)


def read_vq_dir(path: Path):
    """Open a diffusers ``VQModel`` directory as a :class:`~models.families.vqvae.VQVAEModel`.

    Raises
    ------
    CheckpointError
        Naming the folder or file: sizes beyond the app's bounds, pickled-only,
        missing or damaged weights, or a config that does not fit them.
    """
    from models.families.vqvae import VQVAEModel, uniform_words
    from models.readers.diffusers_dirs import _diffusers, _load_model, _name, _provenance, _read_json, _square_size

    config_file = path / "config.json"
    raw = _read_json(config_file)
    side, blocks = _square_size(raw.get("sample_size"), config_file), raw.get("block_out_channels") or [0]
    down = 2 ** (len(blocks) - 1) if isinstance(blocks, list) and len(blocks) <= 64 else 1
    d = raw.get("vq_embed_dim") or raw.get("latent_channels", 3)
    check_sizes(config_file, raw, side, (d if isinstance(d, int) else 1, max(side // down, 1), max(side // down, 1)))
    vq = _load_model(_diffusers(path).VQModel, path)
    cfg = vq.config
    size = _square_size(cfg.get("sample_size"), config_file)
    factor = 2 ** (len(cfg["block_out_channels"]) - 1)
    if size % factor:
        raise CheckpointError(f"{config_file}: sample_size {size} is not a multiple of the VQModel's downsampling factor {factor}")
    channels = int(cfg["out_channels"])
    dim = int(cfg.get("vq_embed_dim") or cfg["latent_channels"])
    latent_shape = (dim, size // factor, size // factor)
    info = ModelInfo(name=_name(path), family="vqvae", image_size=size, channels=channels, latent_shape=latent_shape,
                     prior=uniform_words(), walk="lerp", dataset="", provenance=_provenance("VQModel", cfg),
                     path=str(path))
    model = VQVAEModel(DiffusersVQ(vq), info)
    # The encoder takes in_channels; encode() checks images against the decoder's channels.
    model.can_encode = int(cfg["in_channels"]) == channels
    k, grid = int(cfg["num_vq_embeddings"]), f"{latent_shape[1]}×{latent_shape[2]}"
    return with_detected(model, f"diffusers VQModel ({k} codes of {dim}, grid {grid}), {image_words(size, channels)}")
