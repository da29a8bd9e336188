"""Train a DCGAN with the non-saturating loss, or WGAN-GP as an option."""

from __future__ import annotations

import torch
from torch import nn

from models.nets import build_net
from models.nets.dcgan import dcgan_init
from models.training.common import Run, TrainOptions, dataset_config, images_on_device, load_training_data, write_sample_grid


def _gradient_penalty(d: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    eps = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
    mix = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(d(mix).sum(), mix, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def train_gan(opts: TrainOptions):
    ds = load_training_data(opts)
    loss_kind = opts.extra.get("loss", "ns")
    if loss_kind not in ("ns", "wgan-gp"):
        raise ValueError(f"--loss must be ns or wgan-gp, got {loss_kind!r}")
    nz, ngf, ndf = (int(opts.extra.get(k, d)) for k, d in (("nz", 100), ("ngf", 64), ("ndf", 64)))
    arch = {
        "generator": {"type": "Generator", "nz": nz, "ngf": ngf, "channels": ds.channels, "image_size": ds.image_size},
        "discriminator": {"type": "Discriminator", "ndf": ndf, "channels": ds.channels, "image_size": ds.image_size,
                          "norm": "layer" if loss_kind == "wgan-gp" else "batch"},
        "loss": loss_kind,
    }
    torch.manual_seed(opts.seed)
    g, d = build_net(arch["generator"]).to(opts.device), build_net(arch["discriminator"]).to(opts.device)
    g.apply(dcgan_init)
    d.apply(dcgan_init)
    if loss_kind == "ns":
        lr, betas = opts.lr or 2e-4, (0.5, 0.999)
    else:
        lr, betas = opts.lr or 1e-4, (0.0, 0.9)
    opt_g = torch.optim.Adam(g.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=lr, betas=betas)
    run = Run(opts, "gan", {"architecture": arch, **dataset_config(ds)})
    run.register({"generator": g, "discriminator": d}, {"generator": opt_g, "discriminator": opt_d})
    x_all = images_on_device(ds, opts.device)
    bce = nn.BCEWithLogitsLoss()
    n_critic = 5 if loss_kind == "wgan-gp" else 1
    for epoch in run.epochs():
        g.train()
        d.train()
        sum_d = sum_g = count = 0.0
        for i, idx in enumerate(run.batches(len(x_all), epoch)):
            real = x_all[idx]
            b = real.shape[0]
            fake = g(torch.randn(b, nz, device=opts.device))
            if loss_kind == "ns":
                d_loss = bce(d(real), torch.ones(b, device=opts.device)) + bce(d(fake.detach()), torch.zeros(b, device=opts.device))
            else:
                d_loss = d(fake.detach()).mean() - d(real).mean() + 10.0 * _gradient_penalty(d, real, fake.detach())
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            sum_d += d_loss.item()
            if i % n_critic == 0:
                out = d(fake)
                # Non-saturating: maximise log D(G(z)) rather than minimise log(1 − D(G(z))).
                g_loss = bce(out, torch.ones(b, device=opts.device)) if loss_kind == "ns" else -out.mean()
                opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                opt_g.step()
                sum_g += g_loss.item()
            count += 1
        g.eval()
        run.log_epoch(epoch, d_loss=sum_d / count, g_loss=sum_g * n_critic / count)
    run.save(opts.epochs)
    write_sample_grid(opts.out)
    return opts.out
