"""The native checkpoint format: one ``.safetensors`` file.

The file's header metadata holds the configuration as JSON under the key
``latent_explorer``: family, architecture hyper-parameters, image size, latent
shape, dataset, attribute names, training record and format version. Reading
never unpickles anything, and every problem becomes a :class:`CheckpointError`
that names the file and the cause.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from models.errors import CheckpointError

FORMAT_VERSION = 1
META_KEY = "latent_explorer"
FAMILIES = ("vae", "gan", "diffusion", "classifier", "vqvae")
REQUIRED_KEYS = ("format_version", "family", "architecture", "image_size", "channels")


def atomic_write_bytes(path: str | Path, write) -> None:
    """Call ``write(tmp_path)`` and put the result at ``path`` without replacing what is not ours.

    A regular file (or new path) is replaced atomically, a symbolic link's
    target is written and the link stays, a device or FIFO (``/dev/null``,
    ``/dev/stdout``) is written through, a folder or socket is refused; errors
    name ``path``, never the temporary file. See :mod:`models.file_writer`.
    """
    from models.file_writer import write_file

    write_file(path, write)


def save_checkpoint(path: str | Path, tensors: dict[str, torch.Tensor], config: dict[str, Any], half: bool = False) -> None:
    """Write tensors and config atomically. ``half`` stores floats as fp16."""
    from safetensors.torch import save_file

    config = {"format_version": FORMAT_VERSION, **config}
    out = {}
    for k, t in tensors.items():
        t = t.detach().cpu()
        if half and t.is_floating_point():
            t = t.half()
        out[k] = t.contiguous()
    atomic_write_bytes(path, lambda tmp: save_file(out, tmp, metadata={META_KEY: json.dumps(config)}))


def read_config(path: str | Path) -> dict[str, Any]:
    """Read and validate only the configuration of a checkpoint."""
    return read_header_config(Path(path))[0]


def read_checkpoint(path: str | Path, names=None) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read a native checkpoint: (config, tensors as float32 on the CPU).

    ``names`` limits the tensors read (default: all of them); a loader passes
    the ones its model needs, so training state or an unused tensor stored
    beside them costs no memory and no time.
    """
    from models.readers.safetensors_header import read_tensors

    path = Path(path)
    config, header = read_header_config(path)
    keys = list(header.tensors) if names is None else list(names)
    tensors = read_tensors(path, header, keys)
    return config, {k: t.float() if t.is_floating_point() else t for k, t in tensors.items()}


def read_header_config(path: Path):
    """The validated configuration and the checked tensor header (names, dtypes, shapes), no tensor data.

    The header is read by :func:`models.readers.safetensors_header.read_header`,
    which bounds its length and tensor count and checks every tensor's bytes
    against the file; safetensors would parse it unbounded and mmap the
    whole file.
    """
    from models.readers.limits import parse_json
    from models.readers.safetensors_header import read_header

    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a .safetensors checkpoint")
    header = read_header(path)
    raw = header.metadata.get(META_KEY)
    if raw is None:
        raise CheckpointError(f"{path}: no '{META_KEY}' configuration in the header metadata")
    config = parse_json(raw, path, "configuration in the header")
    validate_config(config, path)
    return config, header


def validate_config(config: Any, path: Path | str) -> None:
    """Check the configuration's shape; raise CheckpointError naming the problem."""
    from models.readers.limits import check_image_side

    if not isinstance(config, dict):
        raise CheckpointError(f"{path}: the configuration is not a JSON object")
    missing = [k for k in REQUIRED_KEYS if k not in config]
    if missing:
        raise CheckpointError(f"{path}: the configuration lacks {', '.join(missing)}")
    if config["format_version"] != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: format version {config['format_version']!r} is not supported (this build reads {FORMAT_VERSION})"
        )
    if not isinstance(config["family"], str) or config["family"] not in FAMILIES:
        raise CheckpointError(f"{path}: unknown family {config['family']!r} (known: {', '.join(FAMILIES)})")
    if not isinstance(config["architecture"], dict):
        raise CheckpointError(f"{path}: 'architecture' must be a JSON object")
    for key in ("image_size", "channels"):
        if not isinstance(config[key], int) or isinstance(config[key], bool) or config[key] <= 0:
            raise CheckpointError(f"{path}: '{key}' must be a positive integer, got {config[key]!r}")
    check_image_side(path, config["image_size"])
    if config["channels"] > 4:
        raise CheckpointError(f"{path}: 'channels' must be 1 to 4 (grey, RGB or RGBA), got {config['channels']}")


def load_state(module: torch.nn.Module, tensors: dict[str, torch.Tensor], prefix: str, path: Path | str) -> None:
    """Load ``prefix.*`` tensors into ``module``, checking names and shapes first."""
    expected = module.state_dict()
    given = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    missing = sorted(set(expected) - set(given))
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise CheckpointError(f"{path}: missing tensors {', '.join(prefix + m for m in missing[:3])}{more}")
    for k, t in expected.items():
        if tuple(given[k].shape) != tuple(t.shape):
            raise CheckpointError(
                f"{path}: tensor {prefix}{k} has shape {tuple(given[k].shape)}, the architecture needs {tuple(t.shape)}"
            )
    module.load_state_dict({k: given[k].to(t.dtype) for k, t in expected.items()})


def module_tensors(module: torch.nn.Module, prefix: str) -> dict[str, torch.Tensor]:
    """A module's state dict with every key under ``prefix``."""
    return {prefix + k: v for k, v in module.state_dict().items()}


def slim_copy(src: str | Path, dst: str | Path) -> None:
    """Copy a training checkpoint for shipping: fp16, without optimizer state
    or the raw (non-EMA) training weights, which exploring does not need."""
    config, tensors = read_checkpoint(src)
    keep = {k: v for k, v in tensors.items() if not k.startswith(("optimizer.", "raw."))}
    training = dict(config.get("training", {}))
    training.pop("optimizer_groups", None)
    training["stored"] = "fp16, optimizer state dropped (models.checkpoint.slim_copy)"
    save_checkpoint(dst, keep, {**config, "training": training}, half=True)
