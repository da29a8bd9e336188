"""``latent-explorer walk CHECKPOINT --seeds 1,2,3 --out walk.mp4|walk.gif|frames/``: an animated walk.

The waypoints are prior samples: seed ``s`` gives the latent
``model.sample_latents(s, [index])[0]`` (``--seed-index``, default 0), the
code ``sample --seed s`` writes first. The walk passes through them in order
(``--loop``: back to the first; ``--ping-pong``: forwards then back), decoded
through :func:`models.reproducible.decode_for_keeps` and written by
:mod:`explorer.core.animation_writer`. For a diffusion model the walk is over
its starting noise x_T with the norm kept on the prior's shell, as in the window.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _seeds(text: str) -> list[int]:
    """``1,2,3``: two or more whole numbers >= 0."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seeds such as 1,2,3, got {text!r}") from None
    if len(values) < 2:
        raise argparse.ArgumentTypeError(f"a walk needs at least two seeds, got {text!r}")
    if min(values) < 0:
        raise argparse.ArgumentTypeError(f"seeds must be >= 0, got {text!r}")
    return values


def add_parser(sub) -> None:
    """The ``walk`` sub-command's options (cheap: imports neither torch nor Qt)."""
    from explorer.commands.options import bounded, device_name, positive

    w = sub.add_parser("walk", help="write a walk through seeds' latents as MP4, GIF or PNG frames",
                       description="Walk through the latents of the given seeds and write the animation: .mp4 "
                                   "(H.264, plays in browsers and slide software), .gif (loops forever), or a "
                                   "folder of numbered PNGs. No system ffmpeg is needed.")
    w.add_argument("checkpoint", metavar="CHECKPOINT", help="a checkpoint file or a bundled model's name")
    w.add_argument("--seeds", type=_seeds, required=True, metavar="S,S[,S...]",
                   help="the waypoints: the prior sample of each seed")
    w.add_argument("--seed-index", type=bounded(int, allow_zero=True), default=0, metavar="I",
                   help="which sample of each seed (default 0: what 'sample --seed S' writes first)")
    w.add_argument("--method", choices=["slerp", "lerp"], default=None,
                   help="interpolation (default: the model's natural walk, slerp for Gaussian priors)")
    w.add_argument("--steps", type=bounded(int, most=2000), default=24, metavar="N",
                   help="frames per segment, from one waypoint to the next (default 24)")
    w.add_argument("--fps", type=bounded(float, most=240), default=24.0, help="frames per second (default 24)")
    w.add_argument("--size", type=bounded(int, most=4096), default=None, metavar="PX",
                   help="output width in pixels (default: the model's size; MP4 rounds it up to even)")
    w.add_argument("--smooth", action="store_true", help="enlarge smoothly (Lanczos) instead of crisp pixels")
    order = w.add_mutually_exclusive_group()
    order.add_argument("--loop", action="store_true", help="walk back from the last waypoint to the first")
    order.add_argument("--ping-pong", action="store_true", help="play forwards, then backwards")
    w.add_argument("--hold", type=bounded(int, allow_zero=True, most=1000), default=0, metavar="N",
                   help="show each waypoint for N extra frames (default 0)")
    w.add_argument("--even", action="store_true",
                   help="even pacing: space frames so consecutive images change by similar amounts")
    w.add_argument("--caption", action="store_true", help="a caption line on each frame: model, seeds, frame")
    w.add_argument("--ddim-steps", type=positive(int), default=None, metavar="N",
                   help="diffusion: DDIM steps per frame (default: the checkpoint's)")
    w.add_argument("--device", type=device_name, default="cpu", help="auto, cpu, cuda, cuda:N or mps (default cpu)")
    w.add_argument("--out", type=Path, required=True, metavar="PATH", help="walk.mp4, walk.gif or a folder")
    w.add_argument("--json", action="store_true", help="print one JSON document (out, frames, size, fps, seconds)")


def walk_seeds(checkpoint, seeds: list[int], out, *, seed_index: int = 0, method: str | None = None,
               steps: int = 24, fps: float = 24.0, size: int | None = None, smooth: bool = False,
               loop: bool = False, ping_pong: bool = False, hold: int = 0, even: bool = False,
               caption: bool = False, ddim_steps: int | None = None, device: str = "cpu",
               progress: bool = True) -> dict:
    """Write the walk through ``seeds``' latents to ``out``; returns the writer's summary (see module doc)."""
    from models.loading import load_latent_model, resolve_checkpoint

    from explorer.commands.progress import progress_bar
    from explorer.core.animation_writer import OutputSpec, animation_format
    from explorer.core.interpolation import keeps_norm
    from explorer.core.walk_pacing import WalkSpec
    from explorer.inference.animation_job import render_walk

    animation_format(out)  # refuse a bad suffix before loading the model
    path = resolve_checkpoint(checkpoint)
    model = load_latent_model(path, device)
    if ddim_steps is not None and hasattr(model, "steps"):
        model.steps = ddim_steps
    info = model.info
    waypoints = [model.sample_latents(s, [seed_index])[0] for s in seeds]
    walk = WalkSpec(frames_per_segment=steps, method=method or ("slerp" if info.walk == "slerp" else "lerp"),
                    keep_norm=keeps_norm(info.family), closed=loop, ping_pong=ping_pong, hold=hold, even=even)
    output = OutputSpec(fps=fps, size=size, smooth=smooth, loop=True)
    title = f"{info.name} · seeds {', '.join(map(str, seeds))} · {walk.method}"
    with progress_bar("rendering walk", 1000, progress) as update:
        summary = render_walk(model, waypoints, walk, output, str(out), title, caption, update)
    return {**summary, "checkpoint": str(path), "seeds": seeds, "method": walk.method}


def run(args, argv) -> int:
    """``latent-explorer walk``: prints where the animation went (``--json``: the summary)."""
    from explorer.commands.options import device

    try:
        name = device(args.device)
    except argparse.ArgumentTypeError as exc:
        raise ValueError(f"--device {args.device}: {exc}") from None
    doc = walk_seeds(args.checkpoint, args.seeds, args.out, seed_index=args.seed_index, method=args.method,
                     steps=args.steps, fps=args.fps, size=args.size, smooth=args.smooth, loop=args.loop,
                     ping_pong=args.ping_pong, hold=args.hold, even=args.even, caption=args.caption,
                     ddim_steps=args.ddim_steps, device=name, progress=not args.json)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        w, h = doc["size"]
        print(f"wrote {doc['out']}: {doc['frames']} frames, {w}×{h}, {doc['fps']:g} fps, {doc['seconds']:g} s")
    sys.stdout.flush()
    return 0
