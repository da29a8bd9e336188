"""Train DDPM: a pixel UNet, or an MLP in a trained VAE's latent space (LDM)."""

from __future__ import annotations

import copy

import numpy as np
import torch

from models.diffusion import NoiseSchedule
from models.errors import CheckpointError
from models.nets import build_net
from models.training.common import (Run, TrainOptions, dataset_config, ema_update, images_on_device,
                                    load_training_data, write_sample_grid)


def _loop(run: Run, opts: TrainOptions, net, ema, opt, data: torch.Tensor, schedule: NoiseSchedule, decay: float):
    for epoch in run.epochs():
        net.train()
        total = count = 0.0
        for idx in run.batches(len(data), epoch):
            loss = schedule.loss(net, data[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            ema_update(ema, net, decay)
            total, count = total + loss.item(), count + 1
        run.log_epoch(epoch, loss=total / count)


def train_ddpm(opts: TrainOptions):
    """Pixel-space DDPM with a small UNet; the EMA weights are what is saved."""
    ds = load_training_data(opts)
    width = int(opts.extra.get("width", 32))
    arch = {
        "denoiser": {"type": "UNet", "channels": ds.channels, "width": width, "mults": [1, 2, 2]},
        "timesteps": 1000,
        "sampling_steps": int(opts.extra.get("sampling_steps", 50)),
    }
    return _train_denoiser(opts, arch, {"variant": "pixel", **dataset_config(ds)}, images_on_device(ds, opts.device),
                           {}, lr=2e-4, decay=0.999)


def train_ldm(opts: TrainOptions):
    """Latent diffusion: DDPM over a trained VAE's posterior means.

    The VAE (``--vae FILE``) is copied into the checkpoint so it stands alone.
    """
    from models.checkpoint import read_checkpoint
    from models.families.vae import VAEModel

    vae_path = opts.extra.get("vae")
    if not vae_path:
        raise ValueError("train ldm needs --vae FILE, a trained VAE checkpoint")
    vae_cfg, vae_tensors = read_checkpoint(vae_path)
    if vae_cfg["family"] != "vae":
        raise CheckpointError(f"{vae_path}: is a {vae_cfg['family']} checkpoint, train ldm needs a vae")
    vae = VAEModel.from_checkpoint(vae_cfg, vae_tensors, vae_path).to(opts.device)
    ds = load_training_data(opts)
    latents = torch.from_numpy(vae.encode(ds.images, batch_size=512)).to(opts.device)
    scale = float(1.0 / latents.std())
    latents = latents * scale
    arch = {
        "denoiser": {"type": "LatentDenoiser", "latent_dim": vae.net.latent_dim,
                     "hidden": int(opts.extra.get("width", 512)), "depth": 4},
        "vae": vae_cfg["architecture"],
        "latent_scale": scale,
        "timesteps": 1000,
        "sampling_steps": int(opts.extra.get("sampling_steps", 50)),
    }
    return _train_denoiser(opts, arch, {"variant": "latent", "vae_source": str(vae_path), **dataset_config(ds)},
                           latents, {"vae": vae.net}, lr=1e-3, decay=0.995)


def _train_denoiser(opts: TrainOptions, arch: dict, config: dict, data: torch.Tensor, extra_modules: dict,
                    lr: float, decay: float):
    """What both variants share: build the denoiser and its EMA copy, train, save, draw the grid."""
    torch.manual_seed(opts.seed)
    net = build_net(arch["denoiser"]).to(opts.device)
    ema = copy.deepcopy(net).eval()
    opt = torch.optim.Adam(net.parameters(), lr=opts.lr or lr)
    run = Run(opts, "diffusion", {"architecture": arch, **config})
    # The EMA copy is saved as the denoiser; the raw weights ride along to resume.
    run.register({"denoiser": ema, "raw": net, **extra_modules}, {"denoiser": opt})
    _loop(run, opts, net, ema, opt, data, NoiseSchedule(arch["timesteps"]), decay)
    run.save(opts.epochs)
    write_sample_grid(opts.out)
    return opts.out
