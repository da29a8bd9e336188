"""What every training loop shares: options, data on the device, the epoch
loop with progress and per-epoch loss, checkpoints that can be resumed, and
the sample grid written beside each checkpoint."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch

from models.checkpoint import read_checkpoint, save_checkpoint
from models.data import ImageDataset, load_dataset
from models.errors import CheckpointError
from models.imaging import image_grid, save_png, to_tensor


@dataclass
class TrainOptions:
    """Options common to every ``train`` sub-command."""

    data: str = "toyfaces"
    out: Path = Path("model.safetensors")
    epochs: int = 10
    batch_size: int = 64
    lr: float | None = None
    seed: int = 0
    n: int = 20000
    size: int = 32
    device: str = "cpu"
    resume: bool = False
    init: Path | None = None  # start the weights from this checkpoint (fine-tuning)
    half: bool = False
    name: str | None = None
    command: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = print
    progress: bool = True


def load_training_data(opts: TrainOptions) -> ImageDataset:
    return load_dataset(opts.data, n=opts.n, seed=opts.seed, size=opts.size)


def dataset_config(ds: ImageDataset) -> dict[str, Any]:
    """The part of a checkpoint's config that describes its training data."""
    cfg: dict[str, Any] = {
        "dataset": ds.spec.get("dataset", ds.name),
        "dataset_spec": ds.spec,
        "image_size": ds.image_size,
        "channels": ds.channels,
        "attribute_frequencies": ds.target_frequencies(),
    }
    if ds.attribute_names:
        cfg["attributes"] = list(ds.attribute_names)
    if ds.label_names:
        cfg["labels"] = list(ds.label_names)
    return cfg


def images_on_device(ds: ImageDataset, device: str) -> torch.Tensor:
    return to_tensor(ds.images, device)


def attribute_codes(ds: ImageDataset, opts: TrainOptions, latent_dim: int):
    """The :class:`AttributeCodes` that ``extra["codes"]`` asks for, with the
    training set's 0/1 coded attributes on the device; ``(None, None)`` without codes."""
    from models.attribute_codes import AttributeCodes

    names = list(opts.extra.get("codes") or [])
    if not names:
        return None, None
    if ds.attributes is None:
        raise ValueError(f"--codes needs a data set with attributes; {ds.name!r} has labels only")
    codes = AttributeCodes.from_attributes(ds.attribute_names, ds.attributes, names,
                                           scale=float(opts.extra.get("code_scale", 2.0)),
                                           spread=float(opts.extra.get("code_spread", 0.25)))
    if codes.k >= latent_dim:
        raise ValueError(f"--codes names {codes.k} attributes; the latent needs more than {codes.k} dimensions")
    cols = [ds.attribute_names.index(a) for a in codes.attributes]
    y = torch.from_numpy((ds.attributes[:, cols] > 0.5).astype("float32")).to(opts.device)
    return codes, y


def optimizer_tensors(opt: torch.optim.Optimizer, prefix: str) -> tuple[dict[str, torch.Tensor], list]:
    """Flatten an optimizer's state into named tensors plus its JSON param groups."""
    sd = opt.state_dict()
    tensors = {}
    for idx, st in sd["state"].items():
        for k, v in st.items():
            tensors[f"{prefix}{idx}.{k}"] = v if torch.is_tensor(v) else torch.tensor(v)
    return tensors, sd["param_groups"]


def restore_optimizer(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], prefix: str, groups: list) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for k, v in tensors.items():
        if k.startswith(prefix):
            idx, key = k[len(prefix):].split(".", 1)
            state.setdefault(int(idx), {})[key] = v
    opt.load_state_dict({"state": state, "param_groups": groups})


class Run:
    """One training run: resumption, the epoch loop, and checkpointing.

    A trainer builds its modules and optimizers, registers them, then calls
    :meth:`epochs`, which yields epoch numbers (skipping those a resumed
    checkpoint already did) and saves after each.
    """

    def __init__(self, opts: TrainOptions, family: str, config: dict[str, Any]):
        self.opts, self.family = opts, family
        self.config = {"family": family, "name": opts.name or opts.out.stem, **config}
        self.modules: dict[str, torch.nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.start_epoch, self.steps, self.seconds = 0, 0, 0.0
        self.history: list[dict[str, float]] = []
        self.commands: list[str] = [opts.command]  # every command that worked on this run, in order
        self.metrics: dict[str, Any] = {}
        self.extra_tensors: dict[str, torch.Tensor] = {}  # stored beside the modules' weights (a fitted prior)

    def register(self, modules: dict[str, torch.nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                 fallbacks: dict[str, str] | None = None) -> None:
        """``fallbacks`` maps a module to the prefix it starts from when resuming a
        checkpoint written before it existed (an EMA copy added to a running run)."""
        self.modules, self.optimizers = modules, optimizers
        self.fallbacks = fallbacks or {}
        if self.opts.resume and self.opts.out.exists():
            self._resume()
        elif self.opts.init is not None:
            self._initialise(self.opts.init)

    def _initialise(self, path: Path) -> None:
        """Start every module from ``path``'s weights where names and shapes match.

        Layers the other checkpoint lacks (a head added for a new objective)
        keep their fresh initialisation. The other run's record is kept in the
        config, so a model card tells the whole history.
        """
        config, tensors = read_checkpoint(path)
        if config.get("family") != self.family:
            raise CheckpointError(f"{path}: cannot start a {self.family} from it, it holds a {config.get('family')}")
        fresh = []
        for prefix, m in self.modules.items():
            source = prefix if any(k.startswith(f"{prefix}.") for k in tensors) else self.fallbacks.get(prefix, prefix)
            own = m.state_dict()
            given = {k[len(source) + 1:]: v for k, v in tensors.items() if k.startswith(f"{source}.")}
            match = {k: given[k].to(t.dtype) for k, t in own.items() if k in given and given[k].shape == t.shape}
            if not match:
                raise CheckpointError(f"{path}: no '{source}' weights fit this {self.family}'s architecture")
            m.load_state_dict(match, strict=False)
            fresh += [f"{prefix}.{k}" for k in own if k not in match]
        tr = config.get("training", {})
        self.config["initialised_from"] = {
            "file": Path(path).name, "name": config.get("name"), "epochs": tr.get("epochs"), "steps": tr.get("steps"),
            "seconds": tr.get("seconds"), "commands": tr.get("commands") or [tr.get("command", "")],
            "new_tensors": fresh,
        }
        self.opts.log(f"starting from the weights of {path} ({tr.get('epochs')} epochs)"
                      + (f"; new: {', '.join(fresh)}" if fresh else ""))

    def _resume(self) -> None:
        from models.checkpoint import load_state

        config, tensors = read_checkpoint(self.opts.out)
        if config.get("family") != self.family or config.get("architecture") != self.config.get("architecture"):
            raise CheckpointError(f"{self.opts.out}: cannot resume, it holds a different model ({config.get('family')})")
        tr = config.get("training", {})
        for prefix, m in self.modules.items():
            if prefix in self.fallbacks and not any(k.startswith(f"{prefix}.") for k in tensors):
                self.opts.log(f"{self.opts.out} has no '{prefix}' weights; starting them from '{self.fallbacks[prefix]}'")
                prefix = self.fallbacks[prefix]
            load_state(m, tensors, f"{prefix}.", self.opts.out)
        groups = tr.get("optimizer_groups", {})
        for name, opt in self.optimizers.items():
            if name in groups:
                restore_optimizer(opt, tensors, f"optimizer.{name}.", groups[name])
        if "initialised_from" in config:
            self.config["initialised_from"] = config["initialised_from"]
        self.start_epoch, self.steps = int(tr.get("epochs", 0)), int(tr.get("steps", 0))
        self.seconds, self.history = float(tr.get("seconds", 0.0)), list(tr.get("history", []))
        earlier = tr.get("commands") or ([tr["command"]] if tr.get("command") else [])
        self.commands = [*earlier, self.opts.command]
        self.opts.log(f"resuming {self.opts.out} after epoch {self.start_epoch} ({self.steps} steps)")

    def epochs(self) -> Iterator[int]:
        for epoch in range(self.start_epoch, self.opts.epochs):
            # Seeding per epoch makes a resumed run continue as the full run would.
            torch.manual_seed(self.opts.seed * 1000 + epoch)
            t0 = time.perf_counter()
            yield epoch
            self.seconds += time.perf_counter() - t0
            self.save(epoch + 1)

    def batches(self, n: int, epoch: int) -> Iterator[np.ndarray]:
        """Shuffled index batches, with a progress bar on stderr."""
        order = np.random.default_rng([self.opts.seed, epoch]).permutation(n)
        bs = self.opts.batch_size
        chunks = [order[i:i + bs] for i in range(0, n - bs + 1, bs)] or [order]
        if self.opts.progress:
            from tqdm import tqdm

            chunks = tqdm(chunks, desc=f"epoch {epoch + 1}/{self.opts.epochs}", file=sys.stderr, leave=False, disable=None)
        for c in chunks:
            self.steps += 1
            yield c

    def log_epoch(self, epoch: int, **losses: float) -> None:
        self.history.append({"epoch": epoch + 1, **{k: round(float(v), 6) for k, v in losses.items()}})
        text = "  ".join(f"{k} {v:.4f}" for k, v in losses.items())
        self.opts.log(f"epoch {epoch + 1}/{self.opts.epochs}  {text}")

    def save(self, epochs_done: int, final: bool = False) -> None:
        tensors: dict[str, torch.Tensor] = {}
        for prefix, m in self.modules.items():
            tensors.update({f"{prefix}.{k}": v for k, v in m.state_dict().items()})
        tensors.update(self.extra_tensors)
        groups = {}
        if not self.opts.half:
            for name, opt in self.optimizers.items():
                t, g = optimizer_tensors(opt, f"optimizer.{name}.")
                tensors.update(t)
                groups[name] = g
        training = {
            "epochs": epochs_done,
            "steps": self.steps,
            "seconds": round(self.seconds, 1),
            "seed": self.opts.seed,
            "batch_size": self.opts.batch_size,
            "device": self.opts.device,
            "command": self.opts.command,
            "commands": self.commands,
            "history": self.history,
            "optimizer_groups": groups,
            **self.metrics,
        }
        save_checkpoint(self.opts.out, tensors, {**self.config, "training": training}, half=self.opts.half)


def write_sample_grid(checkpoint: Path, n: int = 64, seed: int = 0) -> Path:
    """Decode ``n`` prior samples of a generative checkpoint into ``<stem>.png``."""
    from models.loading import load_model

    model = load_model(checkpoint)
    images = model.decode(model.sample_latents(seed, np.arange(n)))
    out = checkpoint.with_suffix(".png")
    save_png(out, upscale(image_grid(images, cols=8)))
    return out


def upscale(image: np.ndarray, min_side: int = 512) -> np.ndarray:
    """Nearest-neighbour enlargement so small grids are legible in a viewer."""
    k = max(1, -(-min_side // max(image.shape[:2])))  # ceiling: at least min_side pixels
    return image.repeat(k, axis=0).repeat(k, axis=1)


def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """Exponential moving average of weights (buffers copied as they are)."""
    with torch.no_grad():
        for pe, pm in zip(ema.parameters(), model.parameters()):
            pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)
        for be, bm in zip(ema.buffers(), model.buffers()):
            be.copy_(bm)
