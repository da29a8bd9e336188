"""diffusers text-to-image pipeline directories (Stable Diffusion 1.x/2.x layout), read offline.

A ``StableDiffusionPipeline`` directory holds ``model_index.json`` and one
folder per part: ``unet/`` (UNet2DConditionModel), ``vae/`` (AutoencoderKL),
``text_encoder/`` (CLIPTextModel), ``tokenizer/`` (CLIPTokenizer) and
``scheduler/``. The safety checker and feature extractor are not loaded: the
app only draws what the UNet and VAE make. Only safetensors weights are read
(``.bin`` files are pickles); the UNet and VAE go through the same bounded,
every-tensor-accounted-for loading as other diffusers folders
(:mod:`models.readers.diffusers_dirs`), and the text encoder's sizes are
bounded and compared with its weights on the meta device before anything is
allocated. transformers is needed only here and is imported on first use.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import torch

from models.contract import ModelInfo
from models.errors import CheckpointError
from models.paths import utf8_path
from models.readers import first_line, image_words, with_detected
from models.readers.diffusers_checks import check_sizes, header_shapes, weights_variant
from models.readers.diffusers_dirs import (_diffusers, _load_model, _quiet_diffusers, _read_json, _square_size,
                                           weight_files)
from models.readers.limits import check_finite

PIPELINES = ("StableDiffusionPipeline",)
PARTS = ("unet", "vae", "text_encoder", "tokenizer", "scheduler")
TEXT_WEIGHTS = "model.safetensors"
PREDICTIONS = ("epsilon", "v_prediction", "sample")
# Bounds on a CLIP text encoder's config (the largest real ones: 1280 wide, 32 layers, 49408 tokens).
TEXT_LIMITS = {"hidden_size": 8192, "intermediate_size": 32768, "num_hidden_layers": 96,
               "num_attention_heads": 256, "vocab_size": 1_000_000, "max_position_embeddings": 4096}
TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json")
MAX_TOKENIZER_BYTES = 64 << 20


def is_text_to_image_pipeline(path: Path) -> bool:
    """Whether ``path`` holds a model_index.json naming a text-to-image pipeline this module reads."""
    index = path / "model_index.json"
    return index.is_file() and _read_json(index).get("_class_name") in PIPELINES


def read_text_to_image_dir(path: str | Path, steps: int | None = None):
    """Open a ``StableDiffusionPipeline`` directory as a :class:`TextToImageModel`.

    Parameters
    ----------
    path
        The pipeline directory, as ``save_pretrained(..., safe_serialization=True)`` writes it.
    steps
        DDIM steps per decode (default 25); changeable later with ``set_prompt`` or ``steps``.

    Returns
    -------
    TextToImageModel
        On the CPU, prompt "" at guidance 7.5, with ``info.provenance["detected"]``.

    Raises
    ------
    CheckpointError
        Naming the folder or file and the cause: a missing part, pickled-only or
        damaged weights, configs that do not fit the weights or each other, an
        inpainting or otherwise non-text-to-image UNet, or transformers not installed.
    """
    from models.families.text_to_image import DEFAULT_STEPS, FAMILY, TextToImageModel

    path = Path(path)
    index_file = path / "model_index.json"
    index = _read_json(index_file)
    class_name = index.get("_class_name")
    for part in PARTS:
        if not (path / part).is_dir():
            raise CheckpointError(f"{path}: the {class_name} has no {part}/ folder; a text-to-image pipeline needs "
                                  f"{', '.join(p + '/' for p in PARTS)}")
    transformers = _transformers(path)
    scheduler, scheduler_from = _load_scheduler(path / "scheduler")
    unet_cfg, vae_cfg = _read_json(path / "unet" / "config.json"), _read_json(path / "vae" / "config.json")
    side = _square_size(unet_cfg.get("sample_size"), path / "unet" / "config.json")
    factor = _vae_factor(vae_cfg, path / "vae" / "config.json")
    c = unet_cfg.get("in_channels", 4)
    check_sizes(path / "unet" / "config.json", unet_cfg, side * factor, (c if isinstance(c, int) else 1, side, side))
    check_sizes(path / "vae" / "config.json", vae_cfg, side * factor, (c if isinstance(c, int) else 1, side, side))
    text_encoder = _load_text_encoder(transformers, path / "text_encoder")
    tokenizer = _load_tokenizer(transformers, path / "tokenizer")
    diffusers = _diffusers(path)
    unet = _load_model(diffusers.UNet2DConditionModel, path / "unet")
    vae = _load_model(diffusers.AutoencoderKL, path / "vae")
    _check_fit(path, unet.config, vae.config, text_encoder.config)
    latent = (int(unet.config.in_channels), side, side)
    size, channels = side * factor, int(vae.config.out_channels)
    info = ModelInfo(
        name=path.resolve().name, family=FAMILY, image_size=size, channels=channels, latent_shape=latent,
        walk="slerp", dataset="",  # the prior, N(0, I), is the sampler's starting noise x_T
        provenance={"format": "diffusers", "class_name": class_name, "scheduler": scheduler_from,
                    "diffusers_version": index.get("_diffusers_version", "")},
        path=str(path),
    )
    steps = DEFAULT_STEPS if steps is None else steps
    model = TextToImageModel(unet, vae, text_encoder, tokenizer, scheduler, info,
                             scaling_factor=vae.config.get("scaling_factor") or 1.0,
                             shift_factor=vae.config.get("shift_factor") or 0.0, steps=steps,
                             scheduler_from=scheduler_from)
    words = "×".join(str(s) for s in latent)
    return with_detected(model, f"diffusers {class_name} (text-to-image, x_T {words}, DDIM {model.steps}), "
                                f"{image_words(size, channels)}")


# -- the parts --------------------------------------------------------------------
def _transformers(path: Path):
    try:
        import transformers
    except ImportError as exc:
        raise CheckpointError(f"{path}: a text-to-image pipeline; reading its CLIP text encoder needs the "
                              f"transformers package (pip install 'latent-explorer[text2image]')") from exc
    return transformers


def _load_scheduler(folder: Path):
    """A deterministic DDIMScheduler on the pipeline's own noise schedule, and that scheduler's class."""
    config_file = folder / "scheduler_config.json"
    if not config_file.is_file():
        raise CheckpointError(f"{folder}: no scheduler_config.json")
    config = _read_json(config_file)
    prediction = config.get("prediction_type", "epsilon")
    if prediction not in PREDICTIONS:
        raise CheckpointError(f"{config_file}: prediction_type {prediction!r} is not supported "
                              f"(only {', '.join(PREDICTIONS)})")
    # Without a β schedule (score-SDE, flow matching) DDIM would silently use
    # its defaults, which are not the model's schedule.
    if "beta_schedule" not in config and config.get("trained_betas") is None:
        raise CheckpointError(f"{config_file}: a {config.get('_class_name', 'scheduler')} without a β schedule; "
                              f"only DDPM-style (β) noise schedules are read")
    with _quiet_diffusers():
        try:
            scheduler = _diffusers(folder).DDIMScheduler.from_config(config)
        except Exception as exc:  # diffusers raises ValueError, NotImplementedError…
            raise CheckpointError(f"{config_file}: not a usable noise schedule ({first_line(exc)})") from exc
    return scheduler, str(config.get("_class_name") or "scheduler")


def _load_text_encoder(transformers, folder: Path) -> torch.nn.Module:
    """The CLIPTextModel, from safetensors only, offline, its sizes bounded and every tensor accounted for."""
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise CheckpointError(f"{folder}: no config.json")
    raw = _read_json(config_file)
    if "CLIPTextModel" not in (raw.get("architectures") or ["CLIPTextModel"]):
        raise CheckpointError(f"{config_file}: a {raw.get('architectures')} text encoder; only CLIPTextModel is read")
    for key, bound in TEXT_LIMITS.items():
        value = raw.get(key)
        if value is not None and not (isinstance(value, int) and 0 < value <= bound):
            raise CheckpointError(f"{config_file}: {key} {value!r} is beyond any text encoder this app reads")
    variant = weights_variant(folder, TEXT_WEIGHTS)  # model.fp16.safetensors, from save_pretrained(variant="fp16")
    files = weight_files(folder, TEXT_WEIGHTS, variant, "the text encoder's weights")
    shapes = header_shapes(files)
    try:
        config = transformers.CLIPTextConfig.from_dict(raw)
        with torch.device("meta"):
            expected = {k: tuple(v.shape) for k, v in transformers.CLIPTextModel(config).state_dict().items()}
    except Exception as exc:  # a config transformers cannot build
        raise CheckpointError(f"{config_file}: cannot build the CLIPTextModel ({first_line(exc)})") from exc
    missing = sorted(k for k in expected if k not in shapes and not k.endswith("position_ids"))
    wrong = sorted(k for k in expected if k in shapes and shapes[k] != expected[k])
    if missing or wrong:
        name = (wrong or missing)[0]
        cause = (f"{name} is {_dims(shapes[name])} in the weights but {_dims(expected[name])} by the config"
                 if wrong else f"{len(missing)} tensor(s) the config expects, missing from the weights, e.g. {name}")
        raise CheckpointError(f"{folder}: config.json does not match the weights ({cause})")
    try:
        with utf8_path(folder) as name, _quiet_transformers():
            encoder = transformers.CLIPTextModel.from_pretrained(name, use_safetensors=True, local_files_only=True,
                                                                 variant=variant)
    except Exception as exc:  # OSError, ValueError…
        raise CheckpointError(f"{folder}: cannot build the CLIPTextModel ({first_line(exc)})") from exc
    check_finite(folder, encoder.state_dict())
    return encoder.float().eval()


def _load_tokenizer(transformers, folder: Path):
    present = [folder / n for n in TOKENIZER_FILES if (folder / n).is_file()]
    if not any(p.name in ("tokenizer.json", "vocab.json") for p in present):
        raise CheckpointError(f"{folder}: no tokenizer.json or vocab.json and merges.txt; the pipeline's "
                              f"CLIPTokenizer is needed to turn prompts into tokens")
    for file in present:
        if file.stat().st_size > MAX_TOKENIZER_BYTES:
            raise CheckpointError(f"{file}: larger than the {MAX_TOKENIZER_BYTES} bytes a tokenizer file may have")
    # transformers 4's CLIPTokenizer reads vocab.json and merges.txt; a folder saved by
    # transformers 5 holds only tokenizer.json, which its CLIPTokenizerFast reads (in 5 they are one class).
    fast = not (folder / "vocab.json").is_file()
    cls = getattr(transformers, "CLIPTokenizerFast", None) if fast else None
    try:
        with utf8_path(folder) as name, _quiet_transformers():
            return (cls or transformers.CLIPTokenizer).from_pretrained(name, local_files_only=True)
    except Exception as exc:  # OSError, ValueError, JSON errors from tokenizers…
        raise CheckpointError(f"{folder}: not a usable CLIPTokenizer ({first_line(exc)})") from exc


@contextlib.contextmanager
def _quiet_transformers():
    """No progress bar or warnings from transformers while loading: stderr is for one-line errors and progress.

    What they would say (tensors missing or of the wrong shape) is checked
    before loading and reported as a CheckpointError instead.
    """
    from transformers.utils import logging as transformers_logging

    level, bar = transformers_logging.get_verbosity(), transformers_logging.is_progress_bar_enabled()
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        transformers_logging.set_verbosity(level)
        if bar:
            transformers_logging.enable_progress_bar()


# -- consistency ------------------------------------------------------------------
def _vae_factor(cfg: dict[str, Any], config_file: Path) -> int:
    blocks = cfg.get("block_out_channels")
    if not (isinstance(blocks, list) and 1 <= len(blocks) <= 8):
        raise CheckpointError(f"{config_file}: block_out_channels {blocks!r}; an AutoencoderKL lists 1 to 8 blocks")
    return 2 ** (len(blocks) - 1)


def _check_fit(path: Path, unet, vae, text) -> None:
    """Refuse parts that load one by one but cannot work together, naming the mismatch."""
    latent = int(vae.latent_channels)
    if int(unet.in_channels) != latent:
        what = " (an inpainting or image-conditioned UNet)" if int(unet.in_channels) > latent else ""
        raise CheckpointError(f"{path / 'unet' / 'config.json'}: the UNet takes {unet.in_channels} channels{what}, "
                              f"the VAE's latent has {latent}; only text-to-image pipelines are read")
    if int(unet.out_channels) != latent:
        raise CheckpointError(f"{path / 'unet' / 'config.json'}: the UNet outputs {unet.out_channels} channels, "
                              f"the VAE's latent has {latent}")
    for key in ("class_embed_type", "addition_embed_type", "num_class_embeds"):
        if unet.get(key) is not None:
            raise CheckpointError(f"{path / 'unet' / 'config.json'}: a UNet with {key} {unet.get(key)!r} needs "
                                  f"conditioning beyond a prompt; only text-to-image pipelines are read")
    width = int(text.hidden_size)
    cross = unet.cross_attention_dim
    if any(int(d) != width for d in (cross if isinstance(cross, (list, tuple)) else [cross])):
        raise CheckpointError(f"{path}: the UNet cross-attends to {cross} features but the text encoder gives {width}")


def _dims(shape) -> str:
    return "×".join(str(s) for s in shape) or "scalar"

