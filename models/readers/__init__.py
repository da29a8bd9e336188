"""Readers for checkpoints people already have, beside the native format.

:func:`detect_and_read` looks at a file's content, picks the reader and
returns the same :class:`~models.contract.LatentModel` the native reader
would, with ``info.provenance["detected"]`` saying in a few words what was
recognised, so the window and the CLI can tell the user.
"""

from __future__ import annotations

import dataclasses
import struct
import zipfile
from pathlib import Path

import torch

from models.errors import CheckpointError

TORCH_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin")
KNOWN_FORMATS = ("a .safetensors checkpoint, a PyTorch .pt/.pth/.ckpt state dict, a TorchScript archive "
                 "or a diffusers folder")


def detect_and_read(path: str | Path, device: str = "cpu", **hints):
    """Open any checkpoint file the app understands.

    Parameters
    ----------
    path
        A ``.safetensors`` native checkpoint, a ``.pt/.pth/.ckpt`` state dict
        of a recognised architecture, or a TorchScript archive.
    device
        Where the model's modules go.
    **hints
        Passed to :func:`models.readers.torchscript.read_torchscript`
        (``latent_shape``, ``image_size``, ``channels``, ``output_range``,
        ``name``, ``family``); the other formats describe themselves.

    Returns
    -------
    LatentModel or AttributeClassifier
        A native classifier checkpoint gives an AttributeClassifier, which has
        no ``info`` and so no ``detected`` note.

    Raises
    ------
    CheckpointError
        Naming the file and the cause, for anything that is not usable.
    """
    from models.readers.limits import check_readable

    path = Path(path)
    check_readable(path)  # the OS's own reason: permission denied, a symlink loop, no such file
    if path.is_dir():
        from models.readers.diffusers_folder import read_folder

        # Of the hints only the DDIM step count means anything to a diffusers directory.
        return read_folder(path, steps=hints.get("steps")).to(device)
    kind = sniff(path)
    if kind == "native":
        model = _read_native(path)
    elif kind == "torchscript":
        from models.readers.torchscript import read_torchscript

        model = read_torchscript(path, **hints)
    elif kind == "torch":
        from models.readers.torch_files import read_torch_file

        model = read_torch_file(path)
    else:
        raise CheckpointError(f"{path}: not a checkpoint this app recognises (expected {KNOWN_FORMATS})")
    return model.to(device)


def sniff(path: Path) -> str:
    """Which reader a file needs: "native", "torchscript", "torch" or "unknown".

    The suffix decides only where the content cannot: a TorchScript archive is
    often named ``.pt`` too, so zip archives are opened and looked into first.
    """
    if path.suffix == ".safetensors":
        return "native"
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return "torch"  # torch.load reports the damage in its own words
        # torch.jit.save writes <archive>/constants.pkl and <archive>/code/...;
        # torch.save writes only data.pkl and data/.
        if any(n.endswith("constants.pkl") or "/code/" in n for n in names):
            return "torchscript"
        return "torch"
    if _looks_like_safetensors(path):
        return "native"
    if path.suffix in TORCH_SUFFIXES:
        return "torch"
    return "unknown"


def _looks_like_safetensors(path: Path) -> bool:
    # A safetensors file starts with the little-endian length of a JSON header.
    with open(path, "rb") as fh:
        head = fh.read(9)
    if len(head) < 9:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return head[8:9] == b"{" and 8 + length <= path.stat().st_size


def _read_native(path: Path):
    from models.checkpoint import read_checkpoint, read_header_config
    from models.families import model_from_checkpoint
    from models.families.plan import plan_native
    from models.readers.limits import check_finite
    from models.readers.rosinality_stylegan2 import foreign_safetensors

    # A bare foreign state dict saved as .safetensors (a StyleGAN2 g_ema) has no configuration.
    foreign = foreign_safetensors(path)
    if foreign is not None:
        return foreign

    # Header and configuration first, compared on the meta device: nothing is
    # allocated for a model the file's tensors cannot fill.
    config, header = read_header_config(path)
    config, tensors = read_checkpoint(path, plan_native(config, header, path))
    check_finite(path, tensors)
    model = model_from_checkpoint(config, tensors, path)
    if hasattr(model, "info"):
        words = image_words(model.info.image_size, model.info.channels)
        with_detected(model, f"Latent Explorer checkpoint ({model.info.family}, {words})")
    return model


def with_detected(model, detected: str):
    """Give ``model`` (in place) a copy of its info whose provenance says ``detected``."""
    info = model.info
    model.info = dataclasses.replace(info, provenance={**info.provenance, "detected": detected})
    return model


def image_words(size: int, channels: int) -> str:
    """A human description of an image format, e.g. ``64×64 RGB``."""
    colour = {1: "grey", 3: "RGB", 4: "RGBA"}.get(channels, f"{channels}-channel")
    return f"{size}×{size} {colour}"


def first_line(exc: Exception | str) -> str:
    """The first line of an error, shortened: torch's messages run to pages."""
    text = str(exc).strip()
    line = text.splitlines()[0].strip().split(". ")[0] if text else ""
    if isinstance(exc, BaseException):
        line = f"{type(exc).__name__}: {line}" if line else type(exc).__name__
    return line if len(line) <= 160 else line[:157] + "…"


def load_exactly(module: torch.nn.Module, state: dict[str, torch.Tensor], path: Path | str) -> None:
    """Load a foreign state dict into ``module``, insisting that every key and shape fit.

    Unlike :func:`models.checkpoint.load_state` this also refuses tensors the
    module does not have: a foreign file with extra layers is a different
    architecture, and silently ignoring them would draw the wrong images.
    """
    from models.checkpoint import load_state

    expected = module.state_dict()
    extra = sorted(set(state) - set(expected))
    if extra:
        more = f" and {len(extra) - 3} more" if len(extra) > 3 else ""
        raise CheckpointError(f"{path}: unexpected tensors {', '.join(extra[:3])}{more} for the detected architecture")
    state = dict(state)
    for key, value in expected.items():
        # Files saved before PyTorch 0.4.1 lack this BatchNorm counter; it only
        # matters when training with momentum=None, never for inference.
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = value
    load_state(module, state, "", path)
