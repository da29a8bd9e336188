"""Train a convolutional VAE: squared error + β·KL."""

from __future__ import annotations

import math

import torch

from models.nets import build_net
from models.training.common import (Run, TrainOptions, attribute_codes, dataset_config, images_on_device,
                                    load_training_data, write_sample_grid)


def train_vae(opts: TrainOptions):
    """Train, then fit a mixture prior to the encoded training set (see models.latent_prior).

    With ``extra["codes"]`` (attribute names), the KL term is taken against the
    conditional prior p(z | y) of :class:`models.attribute_codes.AttributeCodes`,
    so the encoder writes those attributes into the first latent dimensions.
    """
    ds = load_training_data(opts)
    beta = float(opts.extra.get("beta", 1.0))
    tc_weight = float(opts.extra.get("tc_weight", 0.0))
    arch = {"type": "ConvVAE", "channels": ds.channels, "image_size": ds.image_size,
            "latent_dim": int(opts.extra.get("latent_dim", 32)), "width": int(opts.extra.get("width", 32))}
    codes, y_all = attribute_codes(ds, opts, arch["latent_dim"])
    torch.manual_seed(opts.seed)
    net = build_net(arch).to(opts.device)
    opt = torch.optim.Adam(net.parameters(), lr=opts.lr or 1e-3)
    extra_config = {"tc_weight": tc_weight} if tc_weight else {}
    if codes is not None:
        extra_config["attribute_codes"] = codes.to_config()
    run = Run(opts, "vae", {"architecture": arch, "beta": beta, **extra_config, **dataset_config(ds)})
    run.register({"vae": net}, {"vae": opt})
    x_all = images_on_device(ds, opts.device)
    for epoch in run.epochs():
        net.train()
        tot_rec = tot_kl = count = 0.0
        for idx in run.batches(len(x_all), epoch):
            x = x_all[idx]
            recon, mu, logvar = net(x)
            rec = ((recon - x) ** 2).sum(dim=(1, 2, 3)).mean()
            if codes is None:
                kl = (-0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1)).mean()
            else:
                kl = gaussian_kl(mu, logvar, *codes.prior_moments(y_all[idx], arch["latent_dim"])).mean()
            loss = rec + beta * kl
            if tc_weight:
                z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
                loss = loss + tc_weight * total_correlation(z, mu, logvar, len(x_all))
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


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor, prior_mean: torch.Tensor, prior_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, e^logvar) ‖ N(prior_mean, prior_var)) per sample, summed over dimensions."""
    return 0.5 * (prior_var.log() - logvar + (logvar.exp() + (mu - prior_mean) ** 2) / prior_var - 1).sum(dim=1)


def total_correlation(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, n_data: int) -> torch.Tensor:
    """Minibatch-weighted estimate of the latent's total correlation, KL(q(z) ‖ ∏ q(z_d)).

    Penalising it (β-TCVAE, Chen et al. 2018) pushes the aggregate posterior
    towards independent dimensions, so independent factors of the data (pose,
    hair colour, glasses) tend to get separate directions, which is what
    attribute arithmetic needs.
    """
    log_q = -0.5 * (math.log(2 * math.pi) + logvar[None] + (z[:, None] - mu[None]) ** 2 / logvar.exp()[None])
    log_norm = math.log(z.shape[0] * n_data)
    log_qz = torch.logsumexp(log_q.sum(2), dim=1) - log_norm
    log_prod = (torch.logsumexp(log_q, dim=1) - log_norm).sum(1)
    return (log_qz - log_prod).mean()


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
