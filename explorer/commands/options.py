"""Argument types of the command line: each refuses a bad value in one line
that argparse prefixes with the option's name (``argument --seed: ...``).

Cheap to import (no torch, no Qt): ``device`` imports torch only when a
device other than the CPU is asked for.
"""

from __future__ import annotations

import argparse


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the option (no usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def bounded(kind, allow_zero: bool = False, most=None, why: str = ""):
    """An argparse type: a number of ``kind`` that is > 0 (or >= 0), and at most ``most``."""
    def parse(text):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}")
        if v != v or v < 0 or (v == 0 and not allow_zero):  # v != v: NaN
            raise argparse.ArgumentTypeError(f"must be {'>= 0' if allow_zero else '> 0'}, got {text}")
        if most is not None and v > most:
            raise argparse.ArgumentTypeError(f"must be at most {most}{why}, got {text}")
        return v
    return parse


seed = bounded(int, allow_zero=True, most=2**63 - 1)


def device_name(text):
    """``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``, spelled right (present or not on this machine)."""
    import re

    name = text.strip().lower()
    if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", name):
        raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda, cuda:N or mps, got {text!r}")
    return name


def device(text):
    """``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``, and present on this machine."""
    name = device_name(text)
    if name == "cpu":
        return name
    import torch  # only when a device other than the CPU is asked for

    if name == "auto":
        from models.contract import best_device

        return str(best_device())
    if name.startswith("cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise argparse.ArgumentTypeError("CUDA was asked for, but torch sees no CUDA device")
        if ":" in name and int(name.split(":")[1]) >= count:
            raise argparse.ArgumentTypeError(f"{name}: torch sees {count} CUDA device(s), numbered from 0")
        return name
    mps = getattr(torch.backends, "mps", None)
    if mps is None or not mps.is_available():
        raise argparse.ArgumentTypeError("MPS was asked for, but it is not available on this machine")
    return name


def positive(kind):
    return bounded(kind)


non_negative_int = bounded(int, allow_zero=True)
non_negative_float = bounded(float, allow_zero=True)


def decay(text):
    """A moving-average decay: 0 (off) up to, but not including, 1."""
    v = non_negative_float(text)
    if v >= 1:
        raise argparse.ArgumentTypeError(f"must be below 1 (0.999 averages over about 1,000 steps), got {text}")
    return v


def shard(text):
    try:
        k, n = (int(p) for p in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K/N such as 0/4, got {text!r}")
    if n < 1 or not 0 <= k < n:
        raise argparse.ArgumentTypeError(f"need 0 <= K < N, got {text}")
    return k, n


def int_list(text):
    try:
        values = [int(v) for v in text.replace("x", ",").replace("×", ",").split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 16 or 4,8,8, got {text!r}")
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return values


def name_list(text):
    names = [v.strip() for v in text.split(",") if v.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected names such as male,glasses, got {text!r}")
    return names


def range_(text):
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH such as -1,1 or 0,1, got {text!r}")
    if not lo < hi:
        raise argparse.ArgumentTypeError(f"LOW must be below HIGH, got {text!r}")
    return [lo, hi]


class UsageError(Exception):
    """A bad argument value, reported as one line."""


def hint_options() -> argparse.ArgumentParser:
    """What a checkpoint cannot always say about itself (a TorchScript decoder)."""
    h = argparse.ArgumentParser(add_help=False)
    g = h.add_argument_group("model hints (only for files that cannot describe themselves, e.g. TorchScript)")
    g.add_argument("--latent-shape", type=int_list, default=None, metavar="D[,D...]")
    g.add_argument("--image-size", type=positive(int), default=None, metavar="PX")
    g.add_argument("--channels", type=positive(int), default=None)
    g.add_argument("--output-range", type=range_, default=None, metavar="LOW,HIGH")
    return h


def model_hints(args) -> dict:
    """The hint options that were given, as keyword arguments for the readers."""
    keys = ("latent_shape", "image_size", "channels", "output_range")
    return {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
