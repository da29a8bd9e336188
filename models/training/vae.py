"""Train a convolutional VAE: squared error + β·KL."""

from __future__ import annotations

import torch

from models.nets import build_net
from models.training.common import Run, TrainOptions, dataset_config, images_on_device, load_training_data, write_sample_grid


def train_vae(opts: TrainOptions):
    """Train, then fit a mixture prior to the encoded training set (see models.latent_prior)."""
    ds = load_training_data(opts)
    beta = float(opts.extra.get("beta", 1.0))
    arch = {"type": "ConvVAE", "channels": ds.channels, "image_size": ds.image_size,
            "latent_dim": int(opts.extra.get("latent_dim", 32)), "width": int(opts.extra.get("width", 32))}
    torch.manual_seed(opts.seed)
    net = build_net(arch).to(opts.device)
    opt = torch.optim.Adam(net.parameters(), lr=opts.lr or 1e-3)
    run = Run(opts, "vae", {"architecture": arch, "beta": beta, **dataset_config(ds)})
    run.register({"vae": net}, {"vae": opt})
    x_all = images_on_device(ds, opts.device)
    for epoch in run.epochs():
        net.train()
        tot_rec = tot_kl = count = 0.0
        for idx in run.batches(len(x_all), epoch):
            x = x_all[idx]
            recon, mu, logvar = net(x)
            rec = ((recon - x) ** 2).sum(dim=(1, 2, 3)).mean()
            kl = (-0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1)).mean()
            loss = rec + beta * kl
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot_rec, tot_kl, count = tot_rec + rec.item(), tot_kl + kl.item(), count + 1
        net.eval()
        run.log_epoch(epoch, recon=tot_rec / count, kl=tot_kl / count)
    components = int(opts.extra.get("prior_components", 20))
    if components > 0:
        fit_prior(run, net, x_all, components, opts)
    run.save(opts.epochs)
    write_sample_grid(opts.out)
    return opts.out


def fit_prior(run: Run, net, x_all: torch.Tensor, components: int, opts: TrainOptions) -> None:
    """Store a :class:`MixturePrior` fitted to the posterior means of the training images."""
    from models.latent_prior import MixturePrior

    net.eval()
    with torch.inference_mode():
        codes = torch.cat([net.encode(x_all[i:i + 512])[0] for i in range(0, len(x_all), 512)]).float().cpu().numpy()
    prior = MixturePrior.fit(codes, components, seed=opts.seed)
    run.extra_tensors = prior.to_tensors()
    run.config["prior"] = {"type": "gaussian_mixture", "components": prior.components,
                           "fitted_on": f"posterior means of the {len(codes)} training images"}
    opts.log(f"fitted prior: {prior.describe()}")
