"""Train a DCGAN with the non-saturating loss, or WGAN-GP as an option."""

from __future__ import annotations

import copy

import torch
from torch import nn

from models.nets import build_net
from models.nets.dcgan import dcgan_init
from models.training.common import (Run, TrainOptions, attribute_codes, dataset_config, ema_update,
                                    images_on_device, load_training_data, write_sample_grid)


def _gradient_penalty(d: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    eps = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
    mix = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(d(mix).sum(), mix, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


@torch.no_grad()
def recalibrate_batch_norm(g: nn.Module, latents, device: str, batches: int = 40, batch_size: int = 128) -> None:
    """Set the generator's BN running statistics to their population values.

    Decoding runs the generator in eval mode (so a latent always gives the same
    image, whatever else is in the batch); the running averages kept during
    adversarial training lag behind the weights, so they are recomputed here as
    a cumulative average over fresh prior batches; ``latents(n, generator)``
    draws ``n`` of them.
    """
    bns = [m for m in g.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(m.momentum,) for m in bns]
    was_training = g.training
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    g.train()
    gen = torch.Generator(device="cpu").manual_seed(12345)
    for _ in range(batches):
        g(latents(batch_size, gen).to(device))
    for m, (momentum,) in zip(bns, saved):
        m.momentum = momentum
    g.train(was_training)


def train_gan(opts: TrainOptions):
    ds = load_training_data(opts)
    loss_kind = opts.extra.get("loss", "ns")
    if loss_kind not in ("ns", "wgan-gp"):
        raise ValueError(f"--loss must be ns or wgan-gp, got {loss_kind!r}")
    width = int(opts.extra.get("width", 64))
    nz, ngf, ndf = int(opts.extra.get("nz", 100)), width, int(opts.extra.get("ndf", width // 2))
    smooth = float(opts.extra.get("label_smoothing", 0.9))
    noise0 = float(opts.extra.get("instance_noise", 0.1))
    # Fixed in epochs (not a fraction of --epochs), so resuming for longer does not bring the noise back.
    fade = max(1, int(opts.extra.get("noise_fade_epochs", 19)))
    codes, y_all = attribute_codes(ds, opts, nz)
    arch = {
        "generator": {"type": "Generator", "nz": nz, "ngf": ngf, "channels": ds.channels, "image_size": ds.image_size},
        "discriminator": {"type": "Discriminator", "ndf": ndf, "channels": ds.channels, "image_size": ds.image_size,
                          "norm": "layer" if loss_kind == "wgan-gp" else "batch",
                          **({"attributes": codes.k} if codes else {})},
        "loss": loss_kind,
        "label_smoothing": smooth,
        "instance_noise": noise0,
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
    # With attribute codes, the discriminator also classifies real images'
    # attributes and the generator is rewarded for fakes that show the
    # attributes their codes ask for (AC-GAN).
    aux_weight = float(opts.extra.get("attribute_weight", 1.0))

    def draw_latents(b: int, gen: torch.Generator | None = None) -> torch.Tensor:
        """Prior latents for batch-norm recalibration (codes from random training rows)."""
        if codes is None:
            return torch.randn(b, nz, generator=gen)
        rows = torch.randint(len(y_all), (b,), generator=gen)
        return codes.draw(y_all[rows].cpu(), nz, generator=gen)

    # The saved generator is an exponential moving average of the trained one
    # (Yazıcı et al. 2019): averaging smooths the oscillation of adversarial
    # training out of the weights. The raw weights ride along to resume.
    ema_decay = float(opts.extra.get("ema", 0.999))
    g_ema = copy.deepcopy(g).eval() if ema_decay > 0 else g
    extra_config = {"attribute_codes": codes.to_config(), "attribute_weight": aux_weight} if codes else {}
    run = Run(opts, "gan", {"architecture": arch, "ema_decay": ema_decay, **extra_config, **dataset_config(ds)})
    modules = {"generator": g_ema, "discriminator": d, **({"raw": g} if ema_decay > 0 else {})}
    run.register(modules, {"generator": opt_g, "discriminator": opt_d}, fallbacks={"raw": "generator"})
    x_all = images_on_device(ds, opts.device)
    bce = nn.BCEWithLogitsLoss()
    n_critic = 5 if loss_kind == "wgan-gp" else 1
    for epoch in run.epochs():
        g.train()
        d.train()
        # Instance noise (Sønderby et al. 2016), fading to zero by the last epoch,
        # keeps the discriminator from winning outright early on.
        sigma = noise0 * max(0.0, 1.0 - epoch / fade)
        sum_d = sum_g = sum_attr = count = 0.0
        for i, idx in enumerate(run.batches(len(x_all), epoch)):
            real = x_all[idx]
            b = real.shape[0]
            if codes is None:
                z = torch.randn(b, nz, device=opts.device)
            else:  # the real batch's attributes: the training data's joint frequencies
                y = y_all[idx]
                z = codes.draw(y, nz).to(opts.device)
            fake = g(z)
            if sigma > 0:
                real = real + sigma * torch.randn_like(real)
                fake = fake + sigma * torch.randn_like(fake)
            if codes is None:
                d_real, aux_loss = d(real), 0.0
            else:
                d_real, aux_real = d.classify(real)
                aux_loss = aux_weight * bce(aux_real, y)
            if loss_kind == "ns":
                # One-sided label smoothing (Salimans et al. 2016): real targets of 0.9.
                d_loss = (bce(d_real, torch.full((b,), smooth, device=opts.device))
                          + bce(d(fake.detach()), torch.zeros(b, device=opts.device)))
            else:
                d_loss = d(fake.detach()).mean() - d_real.mean() + 10.0 * _gradient_penalty(d, real, fake.detach())
            d_loss = d_loss + aux_loss
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            sum_d += d_loss.item()
            if i % n_critic == 0:
                if codes is None:
                    out, aux_loss = d(fake), 0.0
                else:
                    out, aux_fake = d.classify(fake)
                    aux_loss = bce(aux_fake, y)
                    sum_attr += aux_loss.item()
                    aux_loss = aux_weight * aux_loss
                # Non-saturating: maximise log D(G(z)) rather than minimise log(1 − D(G(z))).
                g_loss = bce(out, torch.ones(b, device=opts.device)) if loss_kind == "ns" else -out.mean()
                g_loss = g_loss + aux_loss
                opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                opt_g.step()
                if ema_decay > 0:
                    ema_update(g_ema, g, ema_decay)
                sum_g += g_loss.item()
            count += 1
        recalibrate_batch_norm(g_ema, draw_latents, opts.device)
        g_ema.eval()
        attr = {"fake_attribute_bce": sum_attr * n_critic / count} if codes else {}
        run.log_epoch(epoch, d_loss=sum_d / count, g_loss=sum_g * n_critic / count, **attr)
    run.save(opts.epochs)
    write_sample_grid(opts.out)
    return opts.out
