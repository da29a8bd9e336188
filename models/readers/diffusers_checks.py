"""Checks of a diffusers model folder made before diffusers builds anything.

``from_pretrained`` builds and randomly initialises the whole network the
config describes before it compares it with the weights, so a config that
says ``sample_size: 100000`` or ``block_out_channels: [100000]`` costs
whatever memory it asks for (an unnamed MemoryError, or minutes of work).
Here the config's sizes are bounded first, the network is built on the
``meta`` device (shapes only), and its tensors are compared with the weight
files' headers, read without their data; only a folder that passes is handed
to diffusers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

from models.errors import CheckpointError
from models.readers.limits import check_image_side, check_latent, check_readable
from models.readers.safetensors_header import read_header

MAX_LIST = 64
MAX_LAYERS_PER_BLOCK = 64
# Which weight variant to read when a folder has several and no plain file:
# full precision first, then the EMA weights a sampler wants, then half precision.
VARIANT_PREFERENCE = ("fp32", "ema", "fp16", "bf16")


def weights_variant(folder: Path, weights: str) -> str | None:
    """The variant of ``weights`` to read from ``folder``, or None for the plain file.

    ``save_pretrained(variant="fp16")`` writes ``diffusion_pytorch_model.fp16.safetensors``
    (or, sharded, ``diffusion_pytorch_model.safetensors.index.fp16.json``)
    instead of the plain name. The plain file wins when it is there; of
    several variants, the first of :data:`VARIANT_PREFERENCE`, else the first
    by name.
    """
    if (folder / weights).is_file() or (folder / f"{weights}.index.json").is_file():
        return None
    stem, ext = weights.rsplit(".", 1)
    # Shards are named "<stem>.fp16-00001-of-00002.<ext>": no "-" in a variant keeps them out.
    patterns = (re.compile(rf"{re.escape(stem)}\.(\w+)\.{re.escape(ext)}"),
                re.compile(rf"{re.escape(weights)}\.index\.(\w+)\.json"))
    try:
        names = [p.name for p in folder.iterdir()]
    except OSError:
        return None  # the caller's own checks report the folder in the OS's words
    found = {m.group(1) for name in names for pattern in patterns if (m := pattern.fullmatch(name))}
    ranked = [v for v in VARIANT_PREFERENCE if v in found] + sorted(found - set(VARIANT_PREFERENCE))
    return ranked[0] if ranked else None


def variant_names(weights: str, variant: str | None) -> tuple[str, str]:
    """The weights file and shard index names for ``variant``, as diffusers' ``_add_variant`` spells them."""
    index = f"{weights}.index.json"
    if variant is None:
        return weights, index
    stem, ext = weights.rsplit(".", 1)
    return f"{stem}.{variant}.{ext}", f"{weights}.index.{variant}.json"


def check_sizes(config_file: Path, cfg: dict[str, Any], size: int, latent_shape: tuple[int, ...]) -> None:
    """Bound the image side, the latent and the config's layer counts, naming ``config_file``."""
    check_image_side(config_file, size, "sample_size")
    check_latent(config_file, latent_shape)
    for key, value in cfg.items():
        if isinstance(value, list) and len(value) > MAX_LIST:
            raise CheckpointError(f"{config_file}: {key} lists {len(value)} entries, beyond any model this app reads")
    layers = cfg.get("layers_per_block", 1)
    if isinstance(layers, int) and layers > MAX_LAYERS_PER_BLOCK:
        raise CheckpointError(f"{config_file}: layers_per_block {layers} is beyond any model this app reads")


def header_shapes(files: list[Path]) -> dict[str, tuple[int, ...]]:
    """Every tensor's shape in the weight files, from their headers alone (bounded, no data read)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for file in files:
        check_readable(file)  # permission denied or a symlink loop in the OS's words
        try:
            header = read_header(file)
        except CheckpointError as exc:
            cause = str(exc).removeprefix(f"{file}: ")
            raise CheckpointError(f"{file}: damaged or truncated safetensors file ({cause})") from exc
        shapes.update((name, entry.shape) for name, entry in header.tensors.items())
    return shapes


def compare_on_meta(cls, folder: Path, config: dict[str, Any], shapes: dict[str, tuple[int, ...]]) -> None:
    """Build ``cls`` from ``config`` on the meta device and refuse weights that do not fit it.

    A config diffusers cannot build at all is left to ``from_pretrained``,
    whose own message says why; this only refuses before allocation what
    would otherwise be refused after it.
    """
    try:
        with torch.device("meta"):
            model = cls.from_config(config)
    except Exception:  # reported, with diffusers' words, by the real build
        return
    expected = {k: tuple(t.shape) for k, t in model.state_dict().items()}
    problems = []
    mismatched = [(k, shapes[k], s) for k, s in expected.items() if k in shapes and shapes[k] != s]
    if mismatched:
        name, stored, wanted = mismatched[0]
        more = f", and {len(mismatched) - 1} more" if len(mismatched) > 1 else ""
        problems.append(f"{name} is {_dims(stored)} in the weights but {_dims(wanted)} by the config{more}")
    for names, words in ((sorted(set(expected) - set(shapes)), "the config expects, missing from the weights"),
                         (sorted(set(shapes) - set(expected)), "in the weights, unknown to the config")):
        if names:
            problems.append(f"{len(names)} tensor{'s' if len(names) != 1 else ''} {words}, e.g. {names[0]}")
    if problems:
        raise CheckpointError(f"{folder}: config.json does not match the weights ({'; '.join(problems)})")


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape) or "scalar"

