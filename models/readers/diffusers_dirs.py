"""Diffusers model directories, read with the diffusers package itself, offline.

Three layouts are recognised:

- a ``DDPMPipeline`` (or ``DDIMPipeline``) directory: ``model_index.json``
  with ``unet/`` and ``scheduler/`` sub-folders;
- a bare ``UNet2DModel`` directory with its scheduler's
  ``scheduler_config.json`` beside ``config.json``, in a ``scheduler/``
  folder inside it, or in a ``scheduler/`` folder next to it (the ``unet/``
  folder of a pipeline opened on its own);
- an ``AutoencoderKL`` directory (the VAE of latent diffusion).
- a ``VQModel`` directory (a VQ-VAE; see :mod:`models.readers.diffusers_vq`).

A UNet is explored through its starting noise x_T with the app's own
deterministic DDIM sampler (:mod:`models.diffusion`), on the noise schedule
the scheduler's config describes, so it becomes an ordinary
:class:`~models.families.diffusion.DiffusionModel`. Only safetensors weights
are read: diffusers' ``.bin`` files are pickles, and unpickling a file can
run arbitrary code. diffusers is imported only when a directory is opened,
because importing it takes seconds.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from models.contract import ModelInfo
from models.diffusion import NoiseSchedule
from models.errors import CheckpointError
from models.paths import open_safetensors, utf8_path
from models.readers import KNOWN_FORMATS, first_line, image_words, with_detected
from models.readers.diffusers_checks import check_sizes, compare_on_meta, header_shapes, variant_names, weights_variant
from models.readers.limits import MAX_HEADER_BYTES, check_finite, os_cause, parse_json

PIPELINES = ("DDPMPipeline", "DDIMPipeline")
MODELS = ("UNet2DModel", "AutoencoderKL", "VQModel")
WEIGHTS = "diffusion_pytorch_model.safetensors"
PICKLED_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt")
DEFAULT_STEPS = 50
SUPPORTED = (f"this app reads {', '.join(PIPELINES)} and StableDiffusionPipeline (text-to-image) pipelines "
             f"and {' and '.join(MODELS)} model directories")


def read_diffusers_dir(path: str | Path, steps: int | None = None):
    """Open a diffusers directory as a LatentModel.

    Parameters
    ----------
    path
        A ``DDPMPipeline``/``DDIMPipeline`` directory, a ``UNet2DModel``
        directory with a scheduler config beside it, or an ``AutoencoderKL``
        directory, each with ``diffusion_pytorch_model.safetensors`` weights.
    steps
        DDIM steps a UNet decodes and inverts with (default 50); the
        returned model's ``steps`` can be changed later.

    Returns
    -------
    DiffusionModel or AutoencoderKLModel
        On the CPU, with ``info.provenance["detected"]`` saying what was found.

    Raises
    ------
    CheckpointError
        Naming the directory or file and the cause: not a diffusers
        directory, an unsupported class or prediction type, missing,
        pickled-only or damaged weights, or a config that does not fit them.
    """
    path = Path(path)
    steps = DEFAULT_STEPS if steps is None else int(steps)
    if (path / "model_index.json").is_file():
        return _read_pipeline(path, steps)
    if (path / "config.json").is_file():
        config_file = path / "config.json"
        class_name = _read_json(config_file).get("_class_name")
        if class_name == "UNet2DModel":
            return _read_unet(path, _scheduler_beside(path), steps, "UNet2DModel", path)
        if class_name == "AutoencoderKL":
            return _read_autoencoder(path)
        raise CheckpointError(f"{config_file}: {_unknown(class_name)}; {SUPPORTED}")
    raise CheckpointError(f"{path}: is a folder, but not a diffusers model directory (no model_index.json or "
                          f"config.json); open {KNOWN_FORMATS}, or a diffusers {PIPELINES[0]}, "
                          f"{' or '.join(MODELS)} directory")


class EpsilonUNet(nn.Module):
    """A diffusers UNet as the ε-model ``model(x, t)`` our DDIM sampler calls.

    Parameters
    ----------
    unet
        A ``UNet2DModel`` predicting the noise ε.
    channels
        The image channels; a UNet that also learns the variance outputs twice
        as many, and only the first half is ε.
    """

    def __init__(self, unet: nn.Module, channels: int):
        super().__init__()
        self.unet, self.channels = unet, channels

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.unet(x, t).sample[:, :self.channels]


class DiffusersSchedule(NoiseSchedule):
    """A :class:`NoiseSchedule` whose ᾱ_t come from a diffusers scheduler's β_t.

    Parameters
    ----------
    betas
        The scheduler's β_t, one per training timestep.
    """

    def __init__(self, betas: torch.Tensor):
        self.timesteps = int(len(betas))
        # The product over up to 1000 steps is taken in float64, as NoiseSchedule does.
        self.alphas_cumprod = torch.cumprod(1.0 - betas.double(), dim=0).float()


# -- layouts --------------------------------------------------------------------
def _read_pipeline(path: Path, steps: int):
    index_file = path / "model_index.json"
    index = _read_json(index_file)
    class_name = index.get("_class_name")
    if class_name not in PIPELINES:
        raise CheckpointError(f"{index_file}: {_unknown(class_name)}; {SUPPORTED}")
    unet_entry = index.get("unet")
    if not (isinstance(unet_entry, list) and unet_entry[-1:] == ["UNet2DModel"]):
        raise CheckpointError(f"{index_file}: the pipeline's unet is {unet_entry!r}; only a UNet2DModel is read")
    for folder in ("unet", "scheduler"):
        if not (path / folder).is_dir():
            raise CheckpointError(f"{path}: the {class_name} has no {folder}/ folder")
    return _read_unet(path / "unet", path / "scheduler", steps, class_name, path)


def _read_unet(unet_dir: Path, scheduler_dir: Path, steps: int, what: str, path: Path):
    from models.families.diffusion import DiffusionModel

    betas = _load_betas(scheduler_dir)
    raw = _read_json(unet_dir / "config.json")
    side, c = _square_size(raw.get("sample_size"), unet_dir / "config.json"), raw.get("in_channels", 3)
    check_sizes(unet_dir / "config.json", raw, side, (c if isinstance(c, int) else 1, side, side))
    unet = _load_model(_diffusers(path).UNet2DModel, unet_dir)
    cfg = unet.config
    if cfg.get("num_class_embeds") is not None or cfg.get("class_embed_type") is not None:
        raise CheckpointError(f"{unet_dir / 'config.json'}: a class-conditional UNet2DModel; only unconditional ones are read")
    if cfg.get("time_embedding_type", "positional") == "fourier":
        raise CheckpointError(f"{unet_dir / 'config.json'}: a score-SDE UNet (Fourier time embedding); only DDPM UNets are read")
    channels, out_channels = int(cfg["in_channels"]), int(cfg["out_channels"])
    if out_channels not in (channels, 2 * channels):
        raise CheckpointError(f"{unet_dir / 'config.json'}: {channels} input but {out_channels} output channels; "
                              f"a noise-predicting UNet outputs as many channels as it takes (twice as many if it learns the variance)")
    size = _square_size(cfg.get("sample_size"), unet_dir / "config.json")
    parts = ([] if what == "UNet2DModel" else ["UNet2DModel"]) + [f"{len(betas)} steps", f"DDIM {steps}"]
    parts += [f"weights variant {v}"] if (v := weights_variant(unet_dir, WEIGHTS)) else []
    detected = f"diffusers {what} ({', '.join(parts)}), {image_words(size, channels)}"
    info = ModelInfo(
        name=_name(path), family="diffusion", image_size=size, channels=channels,
        latent_shape=(channels, size, size), walk="slerp", dataset="",
        provenance=_provenance(what, cfg), path=str(path),
    )
    model = DiffusionModel(EpsilonUNet(unet, channels), info, DiffusersSchedule(betas), steps)
    return with_detected(model, detected)


def _read_autoencoder(path: Path):
    from models.families.autoencoder_kl import AutoencoderKLModel

    raw = _read_json(path / "config.json")
    side, blocks = _square_size(raw.get("sample_size"), path / "config.json"), raw.get("block_out_channels") or [0]
    down = 2 ** (len(blocks) - 1) if isinstance(blocks, list) and len(blocks) <= 64 else 1
    c = raw.get("latent_channels", 4)
    check_sizes(path / "config.json", raw, side, (c if isinstance(c, int) else 1, max(side // down, 1), max(side // down, 1)))
    vae = _load_model(_diffusers(path).AutoencoderKL, path)
    cfg = vae.config
    size = _square_size(cfg.get("sample_size"), path / "config.json")
    factor = 2 ** (len(cfg["block_out_channels"]) - 1)
    if size % factor:
        raise CheckpointError(f"{path / 'config.json'}: sample_size {size} is not a multiple of the VAE's downsampling factor {factor}")
    latent_shape = (int(cfg["latent_channels"]), size // factor, size // factor)
    channels = int(cfg["out_channels"])
    info = ModelInfo(
        name=_name(path), family="vae", image_size=size, channels=channels, latent_shape=latent_shape,
        walk="slerp", dataset="", provenance=_provenance("AutoencoderKL", cfg), path=str(path),
    )
    model = AutoencoderKLModel(vae, info, cfg.get("scaling_factor") or 1.0, cfg.get("shift_factor") or 0.0)
    # The encoder takes in_channels; encode() checks images against the decoder's channels.
    model.can_encode = int(cfg["in_channels"]) == channels
    latent_words = "×".join(str(s) for s in latent_shape)
    variant = f", weights variant {v}" if (v := weights_variant(path, WEIGHTS)) else ""
    return with_detected(model, f"diffusers AutoencoderKL (latent {latent_words}{variant}), {image_words(size, channels)}")


# -- loading ----------------------------------------------------------------------
def _diffusers(path: Path):
    """The diffusers package, imported on first use (it takes seconds)."""
    try:
        import diffusers
    except ImportError as exc:
        raise CheckpointError(f"{path}: a diffusers directory; reading it needs the diffusers package "
                              f"(pip install diffusers)") from exc
    return diffusers


def _scheduler_beside(unet_dir: Path) -> Path:
    for candidate in (unet_dir, unet_dir / "scheduler", unet_dir.resolve().parent / "scheduler"):
        if (candidate / "scheduler_config.json").is_file():
            return candidate
    raise CheckpointError(f"{unet_dir}: a UNet2DModel without its noise schedule; put the scheduler's "
                          f"scheduler_config.json beside config.json, or in a scheduler/ folder next to it")


def _load_betas(scheduler_dir: Path) -> torch.Tensor:
    """The β_t of an ε-predicting scheduler, refusing anything else."""
    config_file = scheduler_dir / "scheduler_config.json"
    if not config_file.is_file():
        raise CheckpointError(f"{scheduler_dir}: no scheduler_config.json")
    config = _read_json(config_file)
    prediction = config.get("prediction_type", "epsilon")
    if prediction != "epsilon":
        raise CheckpointError(f"{config_file}: prediction_type {prediction!r} is not supported; "
                              f"only noise-predicting ('epsilon') models are read")
    # A scheduler without a β schedule (score-SDE, consistency…) would silently
    # get DDPMScheduler's defaults, which are not the model's schedule.
    if "beta_schedule" not in config and config.get("trained_betas") is None:
        raise CheckpointError(f"{config_file}: a {config.get('_class_name', 'scheduler')} without a β schedule; "
                              f"only DDPM-style (β) noise schedules are read")
    scheduler_cls = _diffusers(scheduler_dir).DDPMScheduler
    with _quiet_diffusers():
        try:
            with utf8_path(scheduler_dir) as name:
                scheduler = scheduler_cls.from_pretrained(name, local_files_only=True)
        except Exception as exc:  # diffusers raises OSError, ValueError, NotImplementedError…
            raise CheckpointError(f"{config_file}: not a usable noise schedule ({first_line(exc)})") from exc
    return scheduler.betas.detach().clone()


def _load_model(cls, folder: Path) -> nn.Module:
    """``cls.from_pretrained(folder)`` from safetensors only, offline, every tensor accounted for."""
    files = _check_weights(folder)
    # Sizes and shapes checked on the meta device first: from_pretrained
    # allocates and initialises the whole network before comparing.
    compare_on_meta(cls, folder, _read_json(folder / "config.json"), header_shapes(files))
    with _quiet_diffusers():
        try:
            # low_cpu_mem_usage=False: the same loading path whether or not
            # accelerate is installed, and one that reports missing tensors
            # instead of leaving them on the meta device.
            with utf8_path(folder) as name:  # diffusers opens files by names that must be UTF-8
                model, loading = cls.from_pretrained(name, use_safetensors=True, local_files_only=True,
                                                     low_cpu_mem_usage=False, output_loading_info=True,
                                                     variant=weights_variant(folder, WEIGHTS))
        except RuntimeError as exc:
            raise CheckpointError(f"{folder}: config.json does not match the weights ({_mismatch_words(exc)})") from exc
        except Exception as exc:  # OSError, ValueError (unknown block types), TypeError…
            raise CheckpointError(f"{folder}: cannot build the {cls.__name__} ({first_line(exc)})") from exc
    # diffusers only warns about these and initialises the missing tensors at
    # random, which would draw plausible-looking wrong images.
    problems = []
    for key, words in (("missing_keys", "the config expects, missing from the weights"),
                       ("unexpected_keys", "in the weights, unknown to the config"),
                       ("mismatched_keys", "of the wrong shape")):
        names = sorted(loading.get(key) or ())
        if names:
            problems.append(f"{len(names)} tensor{'s' if len(names) != 1 else ''} {words}, e.g. {_key_name(names[0])}")
    if problems:
        raise CheckpointError(f"{folder}: config.json does not match the weights ({'; '.join(problems)})")
    check_finite(folder, model.state_dict())
    return model.eval()


def _check_weights(folder: Path) -> list[Path]:
    """Refuse a folder without readable safetensors weights, in words a user can act on."""
    if not (folder / "config.json").is_file():
        raise CheckpointError(f"{folder}: no config.json")
    return weight_files(folder, WEIGHTS, weights_variant(folder, WEIGHTS), "the model's weights")


def weight_files(folder: Path, weights: str, variant: str | None, what: str) -> list[Path]:
    """The safetensors files of one part (``weights``, its ``variant``, or the shards its index
    lists), each header checked within bounds and readable; else one line naming the cause
    (only pickled ``.bin`` weights, none at all, a missing or damaged shard)."""
    file, index = (folder / name for name in variant_names(weights, variant))
    if file.is_file():
        files = [file]
    elif index.is_file():
        shards = _read_json(index).get("weight_map") or {}
        files = [folder / name for name in sorted(set(shards.values()))]
        if not files:
            raise CheckpointError(f"{index}: lists no weight files")
    else:
        pickled = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLED_SUFFIXES)
        if pickled:
            raise CheckpointError(f"{folder}: has only {', '.join(pickled)} weights; only safetensors weights are read, "
                                  f"because a .bin file needs unpickling, which can run arbitrary code "
                                  f"(re-save it with save_pretrained(..., safe_serialization=True))")
        others = sorted(p.name for p in folder.glob("*.safetensors"))
        found = f" (found only {', '.join(others)})" if others else ""
        raise CheckpointError(f"{folder}: no {weights} ({what}){found}")
    for file in files:
        if not file.is_file():
            raise CheckpointError(f"{file}: no such file (listed in {index.name})")
        header_shapes([file])  # bounded header checks first, then safetensors' own
        try:
            with open_safetensors(file) as fh:
                fh.keys()
        except Exception as exc:  # SafetensorError is not an OSError subclass
            raise CheckpointError(f"{file}: damaged or truncated safetensors file ({first_line(exc)})") from exc
    return files


@contextlib.contextmanager
def _quiet_diffusers():
    """Silence diffusers' warnings while loading: stderr is for one-line errors and progress.

    What the warnings would say (tensors missing, config keys unknown) is
    checked and reported as a CheckpointError instead.
    """
    from diffusers.utils import logging as diffusers_logging

    level = diffusers_logging.get_verbosity()
    diffusers_logging.set_verbosity_error()
    try:
        yield
    finally:
        diffusers_logging.set_verbosity(level)


# -- small helpers ----------------------------------------------------------------
def _read_json(file: Path) -> dict[str, Any]:
    try:
        if file.stat().st_size > MAX_HEADER_BYTES:
            raise CheckpointError(f"{file}: larger than the {MAX_HEADER_BYTES} bytes a config may have")
        text = file.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"{file}: not readable ({os_cause(exc)})") from exc
    data = parse_json(text, file, "config")
    if not isinstance(data, dict):
        raise CheckpointError(f"{file}: not a diffusers config (a JSON {type(data).__name__}, not an object)")
    return data


def _unknown(class_name: Any) -> str:
    return f"unknown _class_name {class_name!r}" if class_name is not None else "no _class_name"


def _square_size(sample_size: Any, config_file: Path) -> int:
    if isinstance(sample_size, (list, tuple)) and len(sample_size) == 2 and sample_size[0] == sample_size[1]:
        sample_size = sample_size[0]
    if not isinstance(sample_size, int) or sample_size <= 0:
        raise CheckpointError(f"{config_file}: sample_size {sample_size!r}; a square image size is needed")
    return sample_size


def _name(path: Path) -> str:
    return path.resolve().name


def _provenance(what: str, cfg) -> dict[str, Any]:
    return {"format": "diffusers", "class_name": what, "diffusers_version": cfg.get("_diffusers_version", "")}


def _key_name(key: Any) -> str:
    # diffusers lists mismatched tensors as (name, stored shape, expected shape).
    return str(key[0]) if isinstance(key, (list, tuple)) and key else str(key)


def _mismatch_words(exc: Exception) -> str:
    """torch's load_state_dict error, one tensor of it, with the shapes made readable."""
    found = re.findall(r"size mismatch for (\S+): copying a param with shape torch\.Size\(\[([^\]]*)\]\) from "
                       r"checkpoint, the shape in current model is torch\.Size\(\[([^\]]*)\]\)", str(exc))
    if not found:
        return first_line(exc)
    name, stored, expected = found[0]
    more = f", and {len(found) - 1} more" if len(found) > 1 else ""
    return f"{name} is {_dims(stored)} in the weights but {_dims(expected)} by the config{more}"


def _dims(text: str) -> str:
    """``"16, 8, 3, 3"`` → ``"16×8×3×3"``."""
    return "×".join(d.strip() for d in text.split(",") if d.strip()) or "scalar"
