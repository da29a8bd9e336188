"""TorchScript archives that follow the decode contract.

The scripted module has a method ``decode(z: Tensor) -> Tensor`` returning
images (n, c, h, w), in [-1, 1] unless told otherwise. What it cannot say
about itself comes from a sidecar JSON next to the file (``model.pt.json``
or ``model.json``)::

    {"latent_shape": [16], "image_size": 32, "channels": 3,
     "output_range": [-1, 1], "name": "faces", "family": "gan"}

or from keyword arguments, which win over the sidecar.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch

from models.contract import ModelInfo
from models.errors import CheckpointError, MissingHyperParameters
from models.families.scripted import ScriptedModel
from models.paths import utf8_path
from models.readers import first_line, image_words
from models.readers.limits import MAX_HEADER_BYTES, check_finite, check_image_side, check_latent, os_cause, parse_json

REQUIRED = ("latent_shape", "image_size", "channels")
FAMILIES = ("gan", "vae", "diffusion")


def read_torchscript(path: str | Path, **hints: Any) -> ScriptedModel:
    """Load a TorchScript archive with a ``decode`` method as a LatentModel.

    Parameters
    ----------
    path
        The archive written by ``torch.jit.save``.
    **hints
        ``latent_shape`` (int or sequence), ``image_size``, ``channels``,
        ``output_range`` (default (-1, 1)), ``name`` (default: the file's
        stem), ``family`` (default "gan"); they override the sidecar JSON.

    Raises
    ------
    CheckpointError
        Naming the file: unreadable, no ``decode`` method, information
        missing or invalid, or a decode whose images disagree with it.
    """
    path = Path(path)
    meta = {**_sidecar(path), **{k: v for k, v in hints.items() if v is not None}}
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise MissingHyperParameters(
            f"{path}: a TorchScript model needs {', '.join(missing)}; put them in {path.name}.json "
            f"beside it (e.g. {{\"latent_shape\": [16], \"image_size\": 32, \"channels\": 3}}) "
            f"or pass --latent-shape/--image-size/--channels",
            missing,
        )
    latent_shape, size, channels, output_range, family = _validate(meta, path)
    # Before the archive is loaded or probed: a sidecar's latent_shape
    # [1000000000] would otherwise allocate gigabytes in the probe decode.
    check_latent(path, latent_shape)
    check_image_side(path, size)
    try:
        with warnings.catch_warnings():
            # Recent torch deprecates TorchScript; the user can do nothing about
            # that warning, so it would only be noise beside the one-line output.
            warnings.simplefilter("ignore", DeprecationWarning)
            with utf8_path(path) as name:  # torch.jit.load takes only UTF-8 names
                module = torch.jit.load(name, map_location="cpu")
    except Exception as exc:  # torch raises RuntimeError and ValueError for damaged archives
        raise CheckpointError(f"{path}: not a readable TorchScript archive ({first_line(exc)})") from exc
    if not hasattr(module, "decode"):
        raise CheckpointError(f"{path}: the TorchScript module has no decode(z) method")
    check_finite(path, module.state_dict())
    detected = f"TorchScript decoder ({family}, latent {'×'.join(map(str, latent_shape))}, {image_words(size, channels)})"
    info = ModelInfo(
        name=str(meta.get("name") or path.stem), family=family, image_size=size, channels=channels,
        latent_shape=latent_shape, dataset=str(meta.get("dataset", "")),
        provenance={"format": "TorchScript", "output_range": list(output_range), "detected": detected},
        path=str(path),
    )
    model = ScriptedModel(module, info, output_range)
    _probe(model, path)
    return model


def _sidecar(path: Path) -> dict[str, Any]:
    for candidate in (path.with_name(path.name + ".json"), path.with_suffix(".json")):
        if candidate.is_file():
            if candidate.stat().st_size > MAX_HEADER_BYTES:
                raise CheckpointError(f"{candidate}: the sidecar of {path.name} is larger than the "
                                      f"{MAX_HEADER_BYTES} bytes this app reads")
            try:
                text = candidate.read_bytes()
            except OSError as exc:
                raise CheckpointError(f"{candidate}: the sidecar of {path.name} cannot be read ({os_cause(exc)})") from exc
            meta = parse_json(text, candidate, f"sidecar of {path.name}")
            if not isinstance(meta, dict):
                raise CheckpointError(f"{candidate}: the sidecar of {path.name} is not a JSON object")
            return meta
    return {}


def _validate(meta: dict[str, Any], path: Path):
    shape = meta["latent_shape"]
    shape = [shape] if isinstance(shape, int) else shape
    if not isinstance(shape, (list, tuple)) or not shape or not all(_positive_int(s) for s in shape):
        raise CheckpointError(f"{path}: latent_shape must be a list of positive integers, got {meta['latent_shape']!r}")
    for key in ("image_size", "channels"):
        if not _positive_int(meta[key]):
            raise CheckpointError(f"{path}: {key} must be a positive integer, got {meta[key]!r}")
    output_range = meta.get("output_range", (-1, 1))
    if (not isinstance(output_range, (list, tuple)) or len(output_range) != 2
            or not all(isinstance(v, (int, float)) for v in output_range) or output_range[0] >= output_range[1]):
        raise CheckpointError(f"{path}: output_range must be [low, high] with low < high, got {output_range!r}")
    family = meta.get("family", "gan")
    if family not in FAMILIES:
        raise CheckpointError(f"{path}: unknown family {family!r} (known: {', '.join(FAMILIES)})")
    return tuple(shape), meta["image_size"], meta["channels"], tuple(output_range), family


def _positive_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _probe(model: ScriptedModel, path: Path) -> None:
    # Decode one latent now, so a module that breaks the contract fails here,
    # naming the file, rather than later deep inside a view.
    expected = (1, model.info.channels, model.info.image_size, model.info.image_size)
    try:
        with torch.inference_mode():
            out = model.decode_tensor(torch.zeros((1, *model.latent_shape)))
    except Exception as exc:  # a scripted module raises torch.jit.Error, RuntimeError…
        raise CheckpointError(
            f"{path}: decode failed on a latent of shape {model.latent_shape} ({first_line(exc)})"
        ) from exc
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != expected:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise CheckpointError(f"{path}: decode returned {got}, expected images of shape {expected}")
