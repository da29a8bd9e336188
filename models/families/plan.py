"""Check a native checkpoint's configuration against its tensors before building anything.

A configuration is a promise about the tensors; the tensors are what the file
really holds. Every network the configuration describes is first built on
the ``meta`` device (shapes only: no memory, no initialisation), and its
tensor names and shapes are compared with the header's. Only a file whose
tensors fit is read and built for real, so ``latent_dim: 300000`` in a 1 MB
file is refused in milliseconds instead of allocating gigabytes, and a
tensor the model does not use is never read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from models.errors import CheckpointError
from models.readers.limits import MAX_TIMESTEPS, check_latent
from models.readers.safetensors_header import Header

# Stored by training beside the weights; exploring never needs them, so they are not read.
UNUSED_PREFIXES = ("raw.", "optimizer.", "discriminator.")
# Read when present, and checked by their own code (the fitted latent prior).
OPTIONAL_PREFIXES = ("prior.",)
# Counts of layers: a constructor loops over them, even on the meta device.
MAX_LIST = 64
MAX_DEPTH = 256


def plan_native(config: dict[str, Any], header: Header, path: Path | str) -> list[str]:
    """The names of the tensors to read for ``config``'s model, after checking them all.

    Raises
    ------
    CheckpointError
        Naming the file: an architecture that cannot be built, tensors
        missing, of the wrong shape or unknown to the family, or a latent
        or noise schedule beyond the bounds of :mod:`models.readers.limits`.
    """
    nets = {prefix: _meta_net(arch, prefix, path) for prefix, arch in _records(config, path).items()}
    expected = {prefix + k: tuple(t.shape) for prefix, net in nets.items() for k, t in net.state_dict().items()}
    present = header.tensors
    missing = [k for k in expected if k not in present]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise CheckpointError(f"{path}: missing tensors {', '.join(missing[:3])}{more}")
    for k, shape in expected.items():
        if present[k].shape != shape:
            raise CheckpointError(f"{path}: tensor {k} has shape {present[k].shape}, the architecture needs {shape}")
    unknown = [k for k in present if k not in expected and not k.startswith(OPTIONAL_PREFIXES + UNUSED_PREFIXES)]
    if unknown:
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        raise CheckpointError(f"{path}: unknown tensors {', '.join(unknown[:3])}{more}, not part of the "
                              f"{config['family']} architecture the configuration describes")
    latent = _latent_shape(config, nets)
    if latent is not None:
        check_latent(path, latent)
    return [k for k in present if k in expected or k.startswith(OPTIONAL_PREFIXES)]


def _records(config: dict[str, Any], path: Path | str) -> dict[str, Any]:
    """Architecture record per tensor-name prefix, as the family's ``from_checkpoint`` reads them."""
    arch = config["architecture"]
    family = config["family"]
    if family == "vae":
        return {"vae.": arch}
    if family == "classifier":
        return {"classifier.": arch}
    if family == "vqvae":
        return {"vqvae.": arch}
    if family == "gan":
        return {"generator.": arch.get("generator")}
    _check_schedule(arch, path)
    records = {"denoiser.": arch.get("denoiser")}
    if "vae" in arch:
        records["vae."] = arch["vae"]
    return records


def _meta_net(arch: Any, prefix: str, path: Path | str) -> torch.nn.Module:
    from models.nets import build_net
    from models.readers import first_line

    if isinstance(arch, dict):
        for key, value in arch.items():
            if (isinstance(value, list) and len(value) > MAX_LIST) or (
                    key == "depth" and isinstance(value, int) and value > MAX_DEPTH):
                n = len(value) if isinstance(value, list) else value
                raise CheckpointError(f"{path}: architecture of {prefix[:-1]}: {key} of {n} layers is beyond any "
                                      f"model this app reads")
    try:
        with torch.device("meta"):
            return build_net(arch)
    except ValueError as exc:
        raise CheckpointError(f"{path}: {prefix[:-1]}: {exc}") from exc
    except Exception as exc:  # untrusted hyper-parameters reach a constructor: any error is the file's
        raise CheckpointError(f"{path}: cannot build the {prefix[:-1]} the configuration describes "
                              f"({first_line(exc)})") from exc


def _check_schedule(arch: dict[str, Any], path: Path | str) -> None:
    timesteps = arch.get("timesteps", 1000)
    steps = arch.get("sampling_steps", 50)
    for key, value in (("timesteps", timesteps), ("sampling_steps", steps)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_TIMESTEPS:
            raise CheckpointError(f"{path}: architecture {key} must be an integer from 1 to {MAX_TIMESTEPS}, "
                                  f"got {value!r}")
    scale = arch.get("latent_scale", 1.0)
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not 0 < abs(scale) < float("inf"):
        raise CheckpointError(f"{path}: architecture latent_scale must be a non-zero finite number, got {scale!r}")


def _latent_shape(config: dict[str, Any], nets: dict[str, torch.nn.Module]) -> tuple[int, ...] | None:
    family = config["family"]
    if family == "vae":
        return (int(nets["vae."].latent_dim),)
    if family == "gan":
        return (int(nets["generator."].nz),)
    if family == "vqvae":
        return tuple(int(s) for s in nets["vqvae."].latent_shape)
    if family == "diffusion":
        if "vae." in nets:
            return (int(nets["vae."].latent_dim),)
        return (config["channels"], config["image_size"], config["image_size"])
    return None
