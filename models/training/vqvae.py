"""Train a VQ-VAE: squared error + β·commitment, an EMA codebook with dead-code restarts."""

from __future__ import annotations

import numpy as np
import torch

from models.nets import build_net
from models.training.common import Run, TrainOptions, dataset_config, images_on_device, load_training_data, write_sample_grid

COMMITMENT = 0.25  # β of van den Oord et al.


def train_vqvae(opts: TrainOptions):
    """Train on ``opts.data``; then record codebook usage and fit the code-map prior samples come from.

    ``opts.extra``: ``codebook`` (K, default 128), ``latent_dim`` (D, default
    16), ``width`` (default 32), ``prior_components`` (mixture components of
    the prior, default 10; 0 stores none and samples draw codes uniformly).
    """
    ds = load_training_data(opts)
    arch = {"type": "VQVAE", "channels": ds.channels, "image_size": ds.image_size,
            "codes": int(opts.extra.get("codebook") or 128), "code_dim": int(opts.extra.get("latent_dim") or 16),
            "width": int(opts.extra.get("width") or 32), "downsample": 2}
    torch.manual_seed(opts.seed)
    net = build_net(arch).to(opts.device)
    # The codebook is not a parameter: it follows its vectors by moving averages.
    opt = torch.optim.Adam(net.parameters(), lr=opts.lr or 1e-3)
    run = Run(opts, "vqvae", {"architecture": arch, "commitment": COMMITMENT, **dataset_config(ds)})
    run.register({"vqvae": net}, {"vqvae": opt})
    x_all = images_on_device(ds, opts.device)
    if run.start_epoch == 0 and opts.init is None:
        with torch.no_grad():
            z = net.encode(x_all[:1024])
        net.quantizer.initialise_from(z.permute(0, 2, 3, 1).reshape(-1, z.shape[1]))
    for epoch in run.epochs():
        net.train()
        tot_rec = tot_commit = count = 0.0
        for idx in run.batches(len(x_all), epoch):
            x = x_all[idx]
            recon, _, commitment = net(x)
            rec = ((recon - x) ** 2).mean()
            loss = rec + COMMITMENT * commitment
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot_rec, tot_commit, count = tot_rec + rec.item(), tot_commit + commitment.item(), count + 1
        net.eval()
        usage = code_usage(net, x_all)
        run.log_epoch(epoch, recon=tot_rec / count, commitment=tot_commit / count,
                      used_codes=float((usage > 0).sum()), perplexity=perplexity(usage))
    usage = code_usage(net, x_all)
    run.metrics["codebook"] = {"codes": arch["codes"], "used": int((usage > 0).sum()),
                               "perplexity": round(perplexity(usage), 2)}
    components = int(opts.extra.get("prior_components", 10))
    if components > 0:
        fit_map_prior(run, net, x_all, components, opts)
    run.save(opts.epochs)
    write_sample_grid(opts.out)
    return opts.out


@torch.no_grad()
def code_usage(net, x_all: torch.Tensor) -> np.ndarray:
    """How many grid cells of the training images choose each code."""
    counts = torch.zeros(net.quantizer.codes, dtype=torch.int64, device=x_all.device)
    for i in range(0, len(x_all), 512):
        _, idx, _ = net.quantizer(net.encode(x_all[i:i + 512]))
        counts += torch.bincount(idx.ravel(), minlength=net.quantizer.codes)
    return counts.cpu().numpy()


def perplexity(usage: np.ndarray) -> float:
    """exp(entropy) of the code frequencies: the number of equally used codes that would give the same spread."""
    p = usage / max(int(usage.sum()), 1)
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


def fit_map_prior(run: Run, net, x_all: torch.Tensor, components: int, opts: TrainOptions) -> None:
    """Store a :class:`PCAMixturePrior` fitted to the encoded training maps."""
    from models.families.vqvae_prior import PCAMixturePrior

    with torch.inference_mode():
        maps = torch.cat([net.encode(x_all[i:i + 512]) for i in range(0, len(x_all), 512)]).float().cpu().numpy()
    prior = PCAMixturePrior.fit(maps, components=32, mixture=components, seed=opts.seed)
    run.extra_tensors = prior.to_tensors()
    run.config["prior"] = {"type": "pca_gaussian_mixture", "principal_components": len(prior.basis),
                           "components": prior.mixture.components, "fitted_on": f"the {len(maps)} encoded training maps"}
    opts.log(f"fitted prior: {prior.describe()}")
