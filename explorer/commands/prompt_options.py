"""``sample``'s options for a text-to-image model: the prompt every sample is decoded with.

The model's whole recipe (prompt, negative prompt, guidance, steps, sampler) then goes into
every record's ``recipe`` and into the run's settings, so a ``--resume`` with another prompt
is refused instead of mixing two prompts in one folder.
"""

from __future__ import annotations

import argparse

TEXT_TO_IMAGE = "text2image"


def add_prompt_options(parser: argparse.ArgumentParser) -> None:
    """``--prompt``, ``--negative-prompt`` and ``--guidance`` (text-to-image pipelines only)."""
    from explorer.commands.options import non_negative_float

    g = parser.add_argument_group("text-to-image models (a diffusers Stable-Diffusion-style pipeline folder)")
    g.add_argument("--prompt", default=None, metavar="TEXT", help="what every sample shows (default: the empty prompt)")
    g.add_argument("--negative-prompt", default=None, metavar="TEXT", help="what guidance steers away from")
    g.add_argument("--guidance", type=non_negative_float, default=None, metavar="G",
                   help="classifier-free guidance scale (default 7.5; 1 or less: none)")


def prompt_from_args(args) -> dict | None:
    """The prompt settings asked for, as keyword arguments of ``set_prompt`` (None: none asked for)."""
    if args.prompt is None and args.negative_prompt is None and args.guidance is None:
        return None
    prompt = {"prompt": args.prompt or "", "negative": args.negative_prompt or ""}
    if args.guidance is not None:
        prompt["guidance"] = float(args.guidance)
    return prompt


def apply_prompt(model, prompt: dict | None) -> dict:
    """Give ``model`` the prompt; returns the model's recipe ({} for a family without one).
    A prompt for a model that takes none is a ValueError naming the family."""
    if prompt is not None:
        if model.info.family != TEXT_TO_IMAGE:
            raise ValueError(f"--prompt: {model.info.name} is a {model.info.family} model; prompts apply to "
                             "text-to-image pipelines only")
        model.set_prompt(**prompt, steps=getattr(model, "steps", None))
    return dict(model.recipe()) if hasattr(model, "recipe") else {}
