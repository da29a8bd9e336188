"""The headless command line: ``latent-explorer SUB-COMMAND ...``.

Conventions shared by every sub-command (see DESIGN.md): ``--seed`` makes a
result reproducible, ``--json`` prints one JSON document on stdout and nothing
else, ``--out`` names what is written (atomically), progress goes to stderr,
and bad input ends with a non-zero status and one line on stderr naming the
input and the cause (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import json
import shlex
import sys
from pathlib import Path

# The option types live in explorer.commands.options; the short private names
# below are what build_parser uses.
from explorer.commands.options import OneLineParser as _Parser
from explorer.commands.options import UsageError, hint_options, model_hints
from explorer.commands.options import bounded as _bounded
from explorer.commands.options import decay as _decay
from explorer.commands.options import device as _device
from explorer.commands.options import device_name as _device_name
from explorer.commands.options import name_list as _name_list
from explorer.commands.options import non_negative_float as _non_negative_float
from explorer.commands.options import non_negative_int as _non_negative_int
from explorer.commands.options import positive as _positive
from explorer.commands.options import seed as _seed
from explorer.commands.options import shard as _shard
from explorer.commands.prompt_options import add_prompt_options, prompt_from_args
from explorer.commands.sample_conditions import add_condition_options, conditions_from_args


def build_parser() -> argparse.ArgumentParser:
    """The parser of every sub-command (cheap: it imports neither torch nor Qt)."""
    hints = hint_options()
    p = _Parser(prog="latent-explorer", description="Look inside generative models (VAE, GAN, diffusion).",
                epilog="Without a COMMAND it opens the window: "
                       "latent-explorer [--debug] [--bank N] [CHECKPOINT | SESSION_FILE] "
                       "(--bank: codes in the latent bank, 10 to 5,000,000)")
    p.add_argument("--debug", action="store_true",
                   help="show tracebacks on errors (the window: log at DEBUG level, on the terminal too)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser("dataset", help="write a dataset as PNGs plus labels.csv",
                       description="Write toyfaces or digits as PNG files plus labels.csv (file, then one 0/1 column per attribute or the label).")
    d.add_argument("name", choices=["toyfaces", "digits"])
    d.add_argument("--n", type=_non_negative_int, default=1000, help="number of images (toyfaces; default 1000)")
    d.add_argument("--seed", type=_seed, default=0)
    d.add_argument("--size", type=int, default=64, help="image side in pixels (toyfaces; default 64)")
    d.add_argument("--out", type=Path, required=True, help="folder to write")
    d.add_argument("--json", action="store_true")

    t = sub.add_parser("train", help="train a model and write a .safetensors checkpoint plus a sample grid",
                       description="Train a VAE, DCGAN, pixel DDPM, latent diffusion model or attribute classifier.")
    t.add_argument("family", choices=["vae", "gan", "ddpm", "ldm", "classifier", "vqvae"])
    t.add_argument("--data", default="toyfaces", help="toyfaces, digits, or a folder of images (sub-folders are labels)")
    t.add_argument("--out", type=Path, required=True, help="checkpoint to write (.safetensors)")
    t.add_argument("--epochs", type=_positive(int), default=10)
    t.add_argument("--batch-size", type=_positive(int), default=64)
    t.add_argument("--lr", type=_positive(float), default=None, help="learning rate (family default if omitted)")
    t.add_argument("--seed", type=_seed, default=0)
    t.add_argument("--n", type=_positive(int), default=20000, help="toyfaces images to train on")
    t.add_argument("--size", type=_positive(int), default=32, help="image side for toyfaces/folders (default 32)")
    t.add_argument("--device", type=_device, default=None, help="auto, cpu, cuda, cuda:N or mps (default: best available)")
    t.add_argument("--resume", action="store_true", help="continue from --out if it exists")
    t.add_argument("--init", type=Path, default=None, metavar="CHECKPOINT",
                   help="start from this checkpoint's weights (same family; layers it lacks start fresh)")
    t.add_argument("--half", action="store_true", help="store fp16 weights without optimizer state (for shipping)")
    t.add_argument("--name", default=None, help="model name recorded in the checkpoint")
    t.add_argument("--beta", type=float, default=1.0, help="VAE: weight of the KL term")
    t.add_argument("--latent-dim", type=_positive(int), default=32, help="VAE: latent dimensions; VQ-VAE: numbers per code")
    t.add_argument("--tc-weight", type=_non_negative_float, default=0.0,
                   help="VAE: weight of a total-correlation penalty (β-TCVAE) that favours independent latent factors")
    t.add_argument("--prior-components", type=_non_negative_int, default=20,
                   help="VAE: after training, fit a mixture of this many Gaussians to the encoded training set and "
                        "sample from it (0 keeps the N(0, I) prior)")
    t.add_argument("--codes", type=_name_list, default=None, metavar="ATTR[,ATTR...]",
                   help="VAE, GAN: write these binary attributes into the first latent dimensions (a conditional "
                        "prior for a VAE, an auxiliary classifier for a GAN), so arithmetic on them is reliable")
    t.add_argument("--code-scale", type=_positive(float), default=2.0, help="attribute codes sit at ±this (default 2)")
    t.add_argument("--code-spread", type=_positive(float), default=0.25,
                   help="standard deviation of a code around ±scale (default 0.25)")
    t.add_argument("--attribute-weight", type=_positive(float), default=1.0,
                   help="GAN with --codes: weight of the auxiliary attribute loss (default 1)")
    t.add_argument("--codebook", type=_positive(int), default=128, help="VQ-VAE: codes in the codebook (default 128)")
    t.add_argument("--nz", type=_positive(int), default=100, help="GAN: latent dimensions")
    t.add_argument("--ema", type=_decay, default=0.999,
                   help="GAN: decay of the moving average of generator weights that is saved (0: save the raw weights)")
    t.add_argument("--loss", choices=["ns", "wgan-gp"], default="ns", help="GAN: non-saturating (default) or WGAN-GP")
    t.add_argument("--width", type=_positive(int), default=None, help="base channel width of the network")
    t.add_argument("--vae", type=Path, default=None, help="LDM: the trained VAE whose latent space to diffuse in")
    t.add_argument("--sampling-steps", type=_positive(int), default=50, help="diffusion: DDIM steps used to decode")
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    s = sub.add_parser("sample", parents=[hints], help="decode prior samples to PNGs plus metadata.jsonl",
                       description="Decode N prior samples; latent i depends only on (seed, i), so shards of a run "
                                   "add up to the whole run, byte for byte.")
    s.add_argument("checkpoint")
    s.add_argument("--n", type=_positive(int), default=16)
    s.add_argument("--seed", type=_seed, default=0)
    s.add_argument("--out", type=Path, required=True, help="folder to write")
    s.add_argument("--shard", type=_shard, default=None, metavar="K/N",
                   help="write only shard K of N (whole batches dealt round-robin); join the parts with sample-merge")
    s.add_argument("--batch-size", type=_positive(int), default=64,
                   help="images decoded at once (default 64; larger values are clamped to a 512 MB memory budget)")
    s.add_argument("--steps", type=_positive(int), default=None, help="diffusion: DDIM steps (default: the checkpoint's)")
    s.add_argument("--device", type=_device_name, default="cpu", help="auto, cpu, cuda, cuda:N or mps (default cpu)")
    s.add_argument("--label", action="store_true",
                   help="label each image with the bundled classifier's attributes in metadata.jsonl")
    s.add_argument("--resume", action="store_true",
                   help="complete an interrupted run in --out (same checkpoint and settings); the result is "
                        "byte-identical to an uninterrupted run")
    s.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local (default): this process; ray: one Ray task per shard, merged into --out "
                        "(always continues an unfinished run of the same settings)")
    s.add_argument("--shards", type=_positive(int), default=None, metavar="S",
                   help="--engine ray: number of shards (default: the cluster's GPUs with CUDA, else its CPUs)")
    s.add_argument("--address", default=None, metavar="ADDR",
                   help="--engine ray: the Ray cluster to use (default: $RAY_ADDRESS, else a Ray started here)")
    s.add_argument("--json", action="store_true")
    add_condition_options(s)
    add_prompt_options(s)
    m = sub.add_parser("sample-merge", help="join the parts of a sharded sample run into one folder",
                       description="Merge the --out folders of 'sample --shard K/N' runs into one folder: "
                                   "byte-identical to a single 'sample' run. PNGs are hard-linked (or moved), not "
                                   "copied; the parts are removed afterwards.")
    m.add_argument("parts", nargs="+", type=Path, metavar="PART", help="a part folder (any order)")
    m.add_argument("--out", type=Path, required=True, help="folder to write (may hold the parts)")
    m.add_argument("--n", type=_positive(int), default=None,
                   help="the run's --n: refuse unless the parts hold all its images (recommended)")
    m.add_argument("--keep-parts", action="store_true", help="leave the part folders in place")
    m.add_argument("--json", action="store_true")

    a = sub.add_parser("arithmetic", parents=[hints], help="attribute arithmetic: define vectors by queries, decode an expression",
                       description="Define named latent vectors as the mean of bank entries matching a query, "
                                   "evaluate an expression over them and decode the result.")
    a.add_argument("checkpoint")
    a.add_argument("--define", action="append", default=[], metavar="NAME=QUERY",
                   help="a named vector, e.g. glasses_man='male & glasses' or seven='label == 7' (repeatable)")
    a.add_argument("--expr", required=True, help="e.g. 'glasses_man - man + woman' or '0.5*smile + face3'")
    a.add_argument("--exemplars", type=_positive(int), default=None,
                   help="average K random matches per name (as the DCGAN paper did with K = 3) instead of all")
    a.add_argument("--seed", type=_seed, default=0, help="seed of the bank and of the exemplar draws")
    a.add_argument("--bank", type=_positive(int), default=2000, help="codes in the latent bank (default 2000)")
    a.add_argument("--scale", type=_bounded(int, most=32, why=" (the PNG is the image enlarged this many times)"),
                   default=8, help="enlarge the PNG by this factor, 1 to 32 (default 8)")
    a.add_argument("--device", type=_device, default="cpu", help="auto, cpu, cuda, cuda:N or mps (default cpu)")
    a.add_argument("--out", type=Path, required=True, help="PNG to write")
    a.add_argument("--json", action="store_true")
    en = sub.add_parser("encode", parents=[hints], help="put your own images into a model's latent space (.npz)",
                        description="Encode images (files or folders): VAE encoder, DDIM inversion for diffusion, "
                                    "optimisation-based inversion for a GAN. Writes latents, files and "
                                    "reconstruction errors to an .npz file.")
    en.add_argument("checkpoint")
    en.add_argument("images", nargs="+", help="image files or folders of images")
    en.add_argument("--out", type=Path, required=True, help=".npz file to write")
    en.add_argument("--steps", type=_positive(int), default=None,
                    help="GAN: optimisation steps (default 200); diffusion: DDIM inversion steps")
    en.add_argument("--device", type=_device, default="cpu", help="auto, cpu, cuda, cuda:N or mps (default cpu)")
    en.add_argument("--json", action="store_true")
    for module in MODULE_COMMANDS.values():
        importlib.import_module(module).add_parser(sub)
    # --debug is global: accepted after the command too (SUPPRESS: when absent
    # there, the value given before the command stands).
    for command in sub.choices.values():
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="show the traceback on errors")
    p.command_parsers = sub.choices
    return p


def _check_sample_args(parser: argparse.ArgumentParser, args) -> None:
    """Options of ``sample`` that depend on one another; a conflict exits as argparse does."""
    if args.engine == "ray":
        if args.shard is not None:
            parser.error("argument --shard: --engine ray runs every shard itself (choose how many with --shards S)")
        if prompt_from_args(args) is not None:
            parser.error("argument --prompt: text-to-image prompts run on --engine local only")
        return  # --device is checked where the tasks run, not on this (perhaps GPU-less) machine
    for option, value in (("--shards", args.shards), ("--address", args.address)):
        if value is not None:
            parser.error(f"argument {option}: only with --engine ray")
    try:
        args.device = _device(args.device)
    except argparse.ArgumentTypeError as exc:
        parser.error(f"argument --device: {exc}")


def main(argv: list[str] | None = None) -> int:
    """Run one headless command; returns the exit status (2: bad input, 1: a bug)."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "sample":
        _check_sample_args(parser.command_parsers["sample"], args)
    from models.errors import LatentExplorerError

    try:
        return COMMANDS[args.command](args, argv)
    except (LatentExplorerError, UsageError, ValueError, OSError) as exc:
        if args.debug:
            raise
        print(f"latent-explorer {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"latent-explorer {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or an input we did not foresee: still one line, no traceback
        if args.debug:
            raise
        print(f"latent-explorer {args.command}: unexpected {type(exc).__name__}: {exc} (run with --debug for the "
              f"traceback)", file=sys.stderr)
        return 1


def _emit(args, document: dict, human: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(document, indent=2))
    else:
        print(human)


def cmd_dataset(args, argv) -> int:
    from explorer.commands.dataset import write_dataset

    doc = write_dataset(args.name, args.out, n=args.n, seed=args.seed, size=args.size, progress=not args.json)
    _emit(args, doc, f"wrote {doc['count']} images and {doc['labels']} to {args.out}")
    return 0


def cmd_train(args, argv) -> int:
    from models.contract import best_device
    from models.training.common import TrainOptions

    extra = {"beta": args.beta, "latent_dim": args.latent_dim, "nz": args.nz, "ema": args.ema, "loss": args.loss,
             "sampling_steps": args.sampling_steps, "prior_components": args.prior_components,
             "tc_weight": args.tc_weight, "codes": args.codes, "code_scale": args.code_scale,
             "code_spread": args.code_spread, "attribute_weight": args.attribute_weight,
             "codebook": args.codebook}
    if args.width:
        extra["width"] = args.width
    if args.vae:
        extra["vae"] = str(args.vae)
    opts = TrainOptions(
        data=args.data, out=args.out, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
        n=args.n, size=args.size, device=args.device or str(best_device()), resume=args.resume, init=args.init, half=args.half,
        name=args.name, command="latent-explorer " + shlex.join(argv), extra=extra,
        log=lambda m: print(m, file=sys.stderr, flush=True), progress=not args.quiet,
    )
    if args.out.suffix != ".safetensors":
        raise UsageError(f"--out {args.out}: checkpoints are written as .safetensors files")
    from models.training.classifier import train_classifier
    from models.training.diffusion import train_ddpm, train_ldm
    from models.training.gan import train_gan
    from models.training.vae import train_vae

    from models.training.vqvae import train_vqvae

    trainer = {"vae": train_vae, "gan": train_gan, "ddpm": train_ddpm, "ldm": train_ldm, "classifier": train_classifier,
               "vqvae": train_vqvae}
    out = trainer[args.family](opts)
    print(f"wrote {out} and {out.with_suffix('.png')}")
    return 0


def cmd_sample(args, argv) -> int:
    conditions = conditions_from_args(args)
    if args.engine == "ray":
        from explorer.commands.sample_ray import sample_with_ray

        doc = sample_with_ray(args.checkpoint, args.out, n=args.n, seed=args.seed, shards=args.shards,
                              batch_size=args.batch_size, steps=args.steps, device=args.device, hints=model_hints(args),
                              label=args.label, address=args.address, progress=not args.json)
        skipped = f", {len(doc['skipped'])} already done" if doc["skipped"] else ""
        _emit(args, doc, f"wrote {doc['count']} images and metadata.jsonl to {args.out} "
                         f"({doc['shards']} shards on Ray{skipped})")
        return 0
    from explorer.commands.sample import sample_to_folder

    doc = sample_to_folder(args.checkpoint, args.out, n=args.n, seed=args.seed, shard=args.shard or (0, 1),
                           batch_size=args.batch_size, steps=args.steps, device=args.device, progress=not args.json,
                           hints=model_hints(args), resume=args.resume, label=args.label, conditions=conditions,
                           prompt=prompt_from_args(args))
    _emit(args, doc, f"wrote {doc['count']} images and metadata.jsonl to {args.out}")
    return 0


def cmd_sample_merge(args, argv) -> int:
    from explorer.commands.sample_merge import merge_parts

    doc = merge_parts(args.out, args.parts, n=args.n, keep_parts=args.keep_parts, progress=not args.json)
    parts = f"{len(doc['parts'])} part{'s' if len(doc['parts']) > 1 else ''}"
    _emit(args, doc, f"merged {parts}: {doc['count']} images and metadata.jsonl in {args.out}")
    return 0


def cmd_arithmetic(args, argv) -> int:
    from explorer.commands.arithmetic import run_arithmetic

    doc = run_arithmetic(args.checkpoint, args.define, args.expr, args.out, exemplars=args.exemplars, seed=args.seed,
                         bank_size=args.bank, scale=args.scale, device=args.device, progress=not args.json,
                         hints=model_hints(args))
    attrs = doc.get("attributes")
    extra = f"; classifier: {', '.join(f'{k} {v:.2f}' for k, v in attrs.items())}" if attrs else ""
    _emit(args, doc, f"wrote {args.out} ({doc['expression']}{extra})")
    return 0


def cmd_encode(args, argv) -> int:
    from explorer.commands.encode import encode_images

    doc = encode_images(args.checkpoint, args.images, args.out, steps=args.steps, device=args.device,
                        progress=not args.json, hints=model_hints(args))
    _emit(args, doc, f"encoded {doc['count']} images into {args.out} "
                     f"(mean reconstruction error {doc['mean_reconstruction_error']:.3f})")
    return 0


# Commands whose parser (add_parser) and run(args, argv) live in a module of their own.
MODULE_COMMANDS = {"export": "explorer.commands.export", "open-export": "explorer.commands.open_export",
                   "reproduce": "explorer.commands.reproduce", "bench": "explorer.commands.bench",
                   "walk": "explorer.commands.walk", "evaluate": "explorer.commands.evaluate"}
COMMANDS = {"dataset": cmd_dataset, "train": cmd_train, "sample": cmd_sample, "sample-merge": cmd_sample_merge,
            "arithmetic": cmd_arithmetic, "encode": cmd_encode,
            **{name: lambda args, argv, m=module: importlib.import_module(m).run(args, argv)
               for name, module in MODULE_COMMANDS.items()}}


if __name__ == "__main__":
    sys.exit(main())
