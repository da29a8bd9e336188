"""rosinality/stylegan2-pytorch generator weights (``g_ema``), as ``.pt`` or ``.safetensors``.

Every hyper-parameter is read off the weights: ``n_mlp`` from the count of
``style.N.weight``, ``style_dim`` from ``style.1.weight``, the image size from
the number of ``to_rgbs``, the channels per resolution from the convolutions
(and from them ``channel_multiplier`` where rosinality's table fits).

Rosinality's *training* checkpoint also pickles ``args`` (an
``argparse.Namespace``), which ``torch.load(weights_only=True)`` refuses;
:func:`training_checkpoint_message` recognises such a file without
unpickling it and says how to save the weights alone.
"""

from __future__ import annotations

import pickletools
import re
import zipfile
from pathlib import Path

from models.contract import ModelInfo
from models.errors import CheckpointError
from models.families.stylegan2 import StyleGAN2Model
from models.nets.stylegan2 import Generator, channel_table
from models.readers import image_words, load_exactly
from models.readers.limits import check_image_side, check_latent

NAME = "rosinality stylegan2-pytorch generator (style.1.weight, conv1.conv.weight, to_rgb1.conv.weight, …)"
FORMAT = "rosinality stylegan2-pytorch generator"
SIGNATURE = ("style.1.weight", "input.input", "conv1.conv.weight", "to_rgb1.conv.weight")
MAX_CHANNELS = 4096  # config-f has 512
MAX_MLP = 64  # StyleGAN2 has 8
_STYLE = re.compile(r"style\.(\d+)\.weight")
_TO_RGB = re.compile(r"to_rgbs\.(\d+)\.conv\.weight")


def matches(state) -> bool:
    """The mapping network's first layer, the constant input and the first styled conv and ToRGB."""
    return all(k in state for k in SIGNATURE)


def hyper_parameters(state, path: Path) -> dict:
    """``size``, ``style_dim``, ``n_mlp``, ``channels`` (per resolution) and ``channel_multiplier`` (or None)."""
    n_mlp = len([k for k in state if _STYLE.fullmatch(k)])
    style = state["style.1.weight"]
    if len(style.shape) != 2 or style.shape[0] != style.shape[1] or not 1 <= style.shape[0] <= MAX_CHANNELS:
        raise CheckpointError(f"{path}: style.1.weight has shape {tuple(style.shape)}; the mapping network's "
                              f"layers are square (style_dim × style_dim, style_dim 1–{MAX_CHANNELS})")
    style_dim = int(style.shape[1])
    n_rgbs = len([k for k in state if _TO_RGB.fullmatch(k)])
    size = 2 ** (n_rgbs + 2)
    check_image_side(path, size)
    check_latent(path, (style_dim,))
    constant = state["input.input"]
    if len(constant.shape) != 4:
        raise CheckpointError(f"{path}: input.input has shape {tuple(constant.shape)}; the constant input is (1, C, 4, 4)")
    channels = {4: int(constant.shape[1])}
    for level in range(3, n_rgbs + 3):
        weight = state.get(f"convs.{2 * (level - 3)}.conv.weight")
        if weight is None or len(weight.shape) != 5:
            raise CheckpointError(f"{path}: convs.{2 * (level - 3)}.conv.weight is missing or not a modulated "
                                  f"convolution's (1, out, in, k, k) weight")
        channels[2 ** level] = int(weight.shape[1])
    # Shapes are the file's word, not its bytes (a stride-0 tensor is tiny on disk): bound them before allocating.
    odd = {r: c for r, c in channels.items() if not 1 <= c <= MAX_CHANNELS}
    if odd or not 1 <= n_mlp <= MAX_MLP:
        what = f"{min(odd.values())} channels" if odd else f"{n_mlp} mapping layers"
        raise CheckpointError(f"{path}: {what} is not a StyleGAN2 generator's (channels 1–{MAX_CHANNELS}, "
                              f"mapping layers 1–{MAX_MLP})")
    # Below 64 px every multiplier gives the same 512 channels: then it is unknown, and does not matter.
    fits = [m for m in (1, 2, 4) if all(channel_table(m)[r] == c for r, c in channels.items())]
    return {"size": size, "style_dim": style_dim, "n_mlp": n_mlp, "channels": channels,
            "channel_multiplier": fits[0] if len(fits) == 1 else None, "standard_channels": bool(fits)}


def read(state, path: Path) -> StyleGAN2Model:
    """Build the generator the weights describe, load them exactly, wrap it as a StyleGAN2Model."""
    hp = hyper_parameters(state, path)
    generator = Generator(hp["size"], hp["style_dim"], hp["n_mlp"], channels=hp["channels"])
    load_exactly(generator, state, path)
    mult = (f"channel_multiplier={hp['channel_multiplier']}" if hp["channel_multiplier"]
            else "rosinality's channels" if hp["standard_channels"] else "custom channels")
    detected = (f"{FORMAT} ({image_words(hp['size'], 3)}, style_dim={hp['style_dim']}, n_mlp={hp['n_mlp']}, "
                f"{mult})")
    info = ModelInfo(
        name=path.stem, family="stylegan2", image_size=hp["size"], channels=3, latent_shape=(hp["style_dim"],),
        provenance={"format": FORMAT, "detected": detected,
                    **{k: v for k, v in hp.items() if k not in ("channels", "standard_channels")}},
        path=str(path),
    )
    return StyleGAN2Model(generator, info)


def read_safetensors(path: Path, header) -> StyleGAN2Model:
    """A ``.safetensors`` holding a bare ``g_ema`` state dict (no Latent Explorer configuration)."""
    from models.readers.limits import check_finite
    from models.readers.safetensors_header import read_tensors

    state = read_tensors(path, header, list(header.tensors))
    check_finite(path, state)
    return read(state, path)


def training_checkpoint_message(path: Path) -> str:
    """The refusal for rosinality's training checkpoint, or "" if ``path`` is not one.

    The pickle's opcodes are only listed, never executed: a ``g_ema`` key in
    a file whose other objects the safe loader refused is rosinality's
    ``{"g", "d", "g_ema", "g_optim", "d_optim", "args", …}``.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            name = next((n for n in archive.namelist() if n.endswith("data.pkl")), None)
            if name is None:
                return ""
            strings = {arg for op, arg, _ in pickletools.genops(archive.read(name)) if isinstance(arg, str)}
    except Exception:  # damaged or not a zip archive: the generic message stands
        return ""
    if "g_ema" not in strings:
        return ""
    objects = "an argparse.Namespace (args)" if "Namespace" in " ".join(strings) else "Python objects"
    quoted = str(path).replace("'", "\\'")
    return (f"{path}: a StyleGAN2 training checkpoint; besides the weights it pickles {objects}, which would have to "
            f"run code to load, so it is refused for safety. Save the generator's weights alone (only on a file "
            f"you trust) and open g_ema.pt: python -c \"import torch; c=torch.load('{quoted}', weights_only=False); "
            f"torch.save({{'g_ema': c['g_ema']}}, 'g_ema.pt')\"")


def foreign_safetensors(path: Path) -> StyleGAN2Model | None:
    """The model in a configuration-less ``.safetensors`` of StyleGAN2 weights, or None for any other file."""
    from models.checkpoint import META_KEY
    from models.readers.safetensors_header import read_header

    header = read_header(path)
    if META_KEY in header.metadata or not matches(header.tensors):
        return None
    return read_safetensors(path, header)
