"""Finding the model's state dict inside the wrappers training code saves it in.

People rarely ``torch.save(model.state_dict())`` bare. A Lightning checkpoint
nests it under ``state_dict`` with the module's attribute names as prefixes
(``generator.main.0.weight``, ``discriminator.main.0.weight``); rosinality's
stylegan2-pytorch saves ``{"g": …, "d": …, "g_ema": …}``; pytorch/examples
saves ``{"netG": …}``; ``nn.DataParallel`` adds ``module.`` and
``torch.compile`` ``_orig_mod.``. :func:`unwrap_state_dict` undoes all of
these, one nesting level and any number of prefixes, and picks the generator
(or the whole autoencoder) among several sub-models, returning a note that
tells the user which part of the file was opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from models.errors import CheckpointError

# The sub-model to open, best first: an EMA copy of the generator samples
# better than the raw one, which is why training scripts keep it.
GENERATOR_NAMES = ("g_ema", "generator_ema", "ema_generator", "G_ema", "netG_ema", "state_dict_ema", "model_ema",
                   "ema", "generator", "netG", "G", "g", "gen", "decoder_ema")
DISCRIMINATOR_NAMES = ("discriminator", "netD", "D", "d", "disc", "critic", "D_ema", "d_ema")
# Keys that only hold "the model", in the order they are tried after the generator names.
CONTAINER_NAMES = ("state_dict", "model_state_dict", "model", "module", "net", "network", "weights", "params")
# Prefixes that say nothing about which sub-model this is (DataParallel, torch.compile).
SILENT_PREFIXES = ("module", "_orig_mod")
# Prefixes stripped when every key carries them.
STRIPPED_PREFIXES = SILENT_PREFIXES + CONTAINER_NAMES + GENERATOR_NAMES + ("vae", "autoencoder", "pl_module")
LIGHTNING_KEYS = ("pytorch-lightning_version", "hyper_parameters", "hparams_name", "loops", "global_step")


def unwrap_state_dict(obj: Any, path: str | Path) -> tuple[dict[str, torch.Tensor], str]:
    """The state dict of the model to open, found inside whatever ``torch.load`` returned.

    Parameters
    ----------
    obj
        The object ``torch.load(path, weights_only=True)`` gave.
    path
        The file, named in errors.

    Returns
    -------
    state, note
        ``state`` maps tensor names, with wrapper prefixes removed, to tensors;
        keys that are not strings and values that are not tensors are left out.
        A state dict nested one level down wins over loose tensors beside it
        when it holds more of them (those are named as ignored).
        ``note`` says in words which part of the file that is, e.g.
        ``"opened the 'generator' sub-model of a Lightning checkpoint
        (discriminator ignored)"``; it is ``""`` for a bare state dict, even
        one with ``module.``/``_orig_mod.`` prefixes.

    Raises
    ------
    CheckpointError
        Naming the file: not a dict, no tensors anywhere one level down,
        several state dicts none of which is recognisably the generator, or
        only a discriminator.
    """
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: holds a {type(obj).__name__}, not a state dict of tensors")
    source, ignored = "", []
    state, nested = _tensors(obj), nested_state_dicts(obj)
    # A few loose tensors beside a nested state dict are metadata of it
    # (rosinality's convert_weight.py saves {"g_ema": sd, "latent_avg": w̄}).
    if not state or (nested and max(nested.values()) > len(state)):
        key, ignored = _choose_nested(obj, path)
        ignored += list(state)
        state = _tensors(obj[key])
        source = "a Lightning checkpoint" if _is_lightning(obj) and key == "state_dict" else f"the state dict under {key!r}"
    state, named = _strip(state)
    sub_model, dropped = _choose_sub_model(state, path)
    if sub_model:
        state, _ = _strip({k[len(sub_model) + 1:]: v for k, v in state.items() if k.startswith(f"{sub_model}.")})
        named = sub_model
    elif dropped:
        state = {k: v for k, v in state.items() if k.split(".", 1)[0] not in dropped}
    return state, _note(source, named, ignored, dropped)


def nested_state_dicts(obj: Any) -> dict[str, int]:
    """The keys of ``obj`` that hold a state dict one level down, with their tensor counts."""
    if not isinstance(obj, dict):
        return {}
    return {str(k): n for k, v in obj.items() if isinstance(v, dict) and (n := len(_tensors(v)))}


def describe_source(note: str) -> str:
    """What a note names as the opened part, for an error message: ``"the state dict under 'g_ema'"``."""
    return note.removeprefix("opened ").split(" (")[0] if note else ""


# -- choosing -------------------------------------------------------------------------
def _tensors(d: dict) -> dict[str, torch.Tensor]:
    return {k: v for k, v in d.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}


def _is_lightning(obj: dict) -> bool:
    return "state_dict" in obj and any(k in obj for k in LIGHTNING_KEYS)


def _choose_nested(obj: dict, path: str | Path) -> tuple[str, list[str]]:
    """The top-level key whose value is the state dict to open, and the other state dicts' keys."""
    nested = nested_state_dicts(obj)
    if not nested:
        keys = ", ".join(map(str, list(obj)[:5]))
        raise CheckpointError(f"{path}: holds no tensors (keys: {keys or 'none'})")
    keys = {str(k): k for k in obj}
    candidates = [k for k in nested if k not in DISCRIMINATOR_NAMES]
    if not candidates:
        raise CheckpointError(f"{path}: holds only a discriminator's state dict (under "
                              f"{', '.join(repr(k) for k in nested)}); open the file with the generator instead")
    for name in GENERATOR_NAMES + CONTAINER_NAMES:
        if name in candidates:
            return keys[name], [k for k in nested if k != name]
    if len(candidates) == 1:
        return keys[candidates[0]], [k for k in nested if k != candidates[0]]
    listed = ", ".join(f"{k!r} ({nested[k]} tensors)" for k in list(nested)[:5])
    raise CheckpointError(f"{path}: holds no tensors at the top level but state dicts under {listed}, none named "
                          f"as the generator; re-save the generator's state dict alone with "
                          f"torch.save(sd[{candidates[0]!r}], path)")


def _choose_sub_model(state: dict[str, torch.Tensor], path: str | Path) -> tuple[str, list[str]]:
    """The key prefix of the generator when ``state`` holds several sub-models, and the prefixes dropped.

    Only a discriminator beside them makes several sub-models a choice: it is
    dropped, and of the rest a generator-named group wins, or the only one
    left. Otherwise (a VAE's ``encoder.`` and ``decoder.``) all but the
    discriminator stays together, since the architecture readers need all of it.
    """
    groups = sorted({k.split(".", 1)[0] for k in state if "." in k})
    found = [g for g in groups if g in DISCRIMINATOR_NAMES]
    if not found:
        return "", []
    rest = [g for g in groups if g not in DISCRIMINATOR_NAMES]
    if not rest:
        raise CheckpointError(f"{path}: holds only a discriminator ({', '.join(repr(g) for g in found)}); "
                              f"open the file with the generator instead")
    chosen = next((g for g in GENERATOR_NAMES if g in rest), rest[0] if len(rest) == 1 else "")
    # No single generator (an encoder and a decoder): everything but the discriminator stays.
    return chosen, [g for g in groups if g != chosen] if chosen else found


def _strip(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], str]:
    """``state`` without the prefixes every key shares, and the first of them that names a sub-model."""
    named = ""
    while (prefix := _common_prefix(state)) is not None:
        state = {k[len(prefix) + 1:]: v for k, v in state.items()}
        if prefix not in SILENT_PREFIXES and not named:
            named = prefix
    return state, named


def _common_prefix(state: dict[str, torch.Tensor]) -> str | None:
    """The first name component every key shares, if it is one we strip."""
    if not state:
        return None
    firsts = {k.split(".", 1)[0] if "." in k else None for k in state}
    if len(firsts) != 1:
        return None
    (first,) = firsts
    return first if first in STRIPPED_PREFIXES else None


def _note(source: str, sub_model: str, ignored: list[str], dropped: list[str]) -> str:
    """``opened the 'generator' sub-model of a Lightning checkpoint (discriminator ignored)``, or ""."""
    if not source and not sub_model:
        return ""
    if sub_model and source:
        what = f"the {sub_model!r} sub-model of {source}"
    elif sub_model:
        what = f"the {sub_model!r} sub-model"
    else:
        what = "the state dict of a Lightning checkpoint" if source.startswith("a Lightning") else source
    left = [*ignored, *dropped]
    return f"opened {what}" + (f" ({', '.join(left)} ignored)" if left else "")
