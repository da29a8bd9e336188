"""Train the attribute classifier (sigmoid per attribute, or softmax over labels)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from models.data import load_dataset
from models.imaging import image_grid, save_png, to_tensor
from models.nets import build_net
from models.training.common import Run, TrainOptions, dataset_config, images_on_device, load_training_data, upscale


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(round(2 * sigma)))
    k = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (k / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    x = nn.functional.pad(x, (radius, radius, radius, radius), mode="replicate")
    x = nn.functional.conv2d(x, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return nn.functional.conv2d(x, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Shifts, blur, noise and contrast changes.

    The classifier's job is to label what generative models make, which is
    never as crisp as the rendered training data; without this it reads a
    slightly soft image as "unsure", which is a statement about rendering,
    not about whether the face wears glasses.
    """
    r = torch.rand(4, generator=gen)
    dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=gen))
    x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
    if r[0] < 0.5:
        x = _gaussian_blur(x, 0.3 + 0.7 * float(r[1]))
    if r[2] < 0.5:
        noise = torch.randn(x.shape, generator=gen).to(x.device)
        x = x + 0.08 * float(r[3]) * noise
    if r[1] < 0.3:
        x = x * (0.9 + 0.2 * float(r[3]))
    return x.clamp(-1, 1)


def _validation_set(opts: TrainOptions, ds):
    """Held-out data: a different toyfaces seed, or every fifth image of a fixed set."""
    if opts.data == "toyfaces":
        return load_dataset("toyfaces", n=2000, seed=opts.seed + 7919, size=opts.size), None
    idx = np.arange(len(ds))
    return ds, (idx % 5 == 0)


def train_classifier(opts: TrainOptions):
    ds = load_training_data(opts)
    val, val_mask = _validation_set(opts, ds)
    train_idx = np.flatnonzero(~val_mask) if val_mask is not None else np.arange(len(ds))
    multilabel = bool(ds.attribute_names)
    arch = {"type": "AttributeCNN", "channels": ds.channels, "outputs": len(ds.target_names()),
            "width": int(opts.extra.get("width", 32))}
    torch.manual_seed(opts.seed)
    net = build_net(arch).to(opts.device)
    opt = torch.optim.Adam(net.parameters(), lr=opts.lr or 1e-3)
    run = Run(opts, "classifier", {"architecture": arch, **dataset_config(ds)})
    run.register({"classifier": net}, {"classifier": opt})
    x_all = images_on_device(ds, opts.device)[train_idx]
    y_all = torch.from_numpy(ds.targets()[train_idx]).to(opts.device)
    gen = torch.Generator().manual_seed(opts.seed)
    loss_fn = nn.BCEWithLogitsLoss() if multilabel else nn.CrossEntropyLoss()
    base_lr = opts.lr or 1e-3
    for epoch in run.epochs():
        # Cosine decay, computed from the epoch so a resumed run matches a straight one.
        for group in opt.param_groups:
            group["lr"] = base_lr * 0.5 * (1 + math.cos(math.pi * epoch / opts.epochs))
        net.train()
        total = count = 0.0
        for idx in run.batches(len(x_all), epoch):
            x, y = _augment(x_all[idx], gen), y_all[idx]
            logits = net(x)
            loss = loss_fn(logits, y) if multilabel else loss_fn(logits, y.argmax(1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total, count = total + loss.item(), count + 1
        net.eval()
        acc = _accuracy(net, val, val_mask, multilabel, opts.device)
        run.metrics = {"validation_accuracy": acc}
        run.log_epoch(epoch, loss=total / count, **{f"acc_{k}": v for k, v in acc.items()})
    run.save(opts.epochs)
    _write_grid(net, val, opts)
    return opts.out


@torch.no_grad()
def _accuracy(net, val, mask, multilabel, device) -> dict[str, float]:
    images = val.images if mask is None else val.images[mask]
    targets = val.targets() if mask is None else val.targets()[mask]
    logits = torch.cat([net(to_tensor(images[i:i + 512], device)) for i in range(0, len(images), 512)]).cpu()
    if multilabel:
        pred = (logits > 0).numpy()
        return {n: float((pred[:, j] == (targets[:, j] > 0.5)).mean()) for j, n in enumerate(val.attribute_names)}
    return {"all": float((logits.argmax(1).numpy() == targets.argmax(1)).mean())}


@torch.no_grad()
def _write_grid(net, val, opts) -> None:
    """One row per attribute or label: the held-out images it scores highest."""
    x = to_tensor(val.images[:2000], opts.device)
    logits = net(x).cpu().numpy()
    rows = [val.images[:2000][np.argsort(-logits[:, j])[:8]] for j in range(logits.shape[1])]
    save_png(opts.out.with_suffix(".png"), upscale(image_grid(np.concatenate(rows), cols=8)))
