"""The mixture prior fitted to a VAE's encoded training set."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.cli import main
from models.checkpoint import read_checkpoint, save_checkpoint
from models.contract import prior_latents
from models.errors import CheckpointError
from models.latent_prior import MixturePrior
from models.loading import load_model
from tests.models.factories import make_vae

TINY = ["--n", "64", "--size", "16", "--batch-size", "16", "--quiet", "--device", "cpu", "--latent-dim", "8", "--width", "8"]


def two_clusters(n=400, dim=3):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(n, dim)) * 0.1 + 4.0
    b = rng.normal(size=(n, dim)) * 0.1 - 4.0
    return np.concatenate([a, b]).astype(np.float32)


def test_fit_finds_the_clusters_and_samples_land_in_them_not_between():
    prior = MixturePrior.fit(two_clusters(), components=2)
    assert sorted(np.round(prior.means[:, 0]).tolist()) == [-4.0, 4.0]
    z = prior.sample((3,), seed=0, indices=np.arange(500))
    near = np.minimum(np.abs(z[:, 0] - 4), np.abs(z[:, 0] + 4))
    assert (near < 0.5).all()  # an N(0, I) draw would mostly fall between them
    assert 0.4 < (z[:, 0] > 0).mean() < 0.6


def test_samples_depend_only_on_seed_and_index():
    prior = MixturePrior.fit(two_clusters(), components=2)
    full = prior.sample((3,), seed=7, indices=np.arange(20))
    assert np.array_equal(prior.sample((3,), seed=7, indices=[5, 19]), full[[5, 19]])
    assert not np.allclose(prior.sample((3,), seed=8, indices=np.arange(20)), full)


def test_components_are_capped_by_the_data():
    assert MixturePrior.fit(two_clusters(n=30), components=50).components == 3  # 60 codes / 20


def test_tensor_round_trip_and_malformed_priors():
    prior = MixturePrior.fit(two_clusters(), components=2)
    back = MixturePrior.from_tensors(prior.to_tensors(), dim=3)
    assert np.allclose(back.means, prior.means) and np.allclose(back.chol, prior.chol)
    assert MixturePrior.from_tensors({}, dim=3) is None
    with pytest.raises(ValueError, match="shapes"):
        MixturePrior.from_tensors(prior.to_tensors(), dim=4)
    partial = {k: v for k, v in prior.to_tensors().items() if not k.endswith("chol")}
    with pytest.raises(ValueError, match="incomplete"):
        MixturePrior.from_tensors(partial, dim=3)
    bad = {**prior.to_tensors(), "prior.weights": torch.tensor([float("nan"), 1.0])}
    with pytest.raises(ValueError, match="non-finite"):
        MixturePrior.from_tensors(bad, dim=3)


def test_a_checkpoint_with_a_broken_prior_is_refused_naming_the_file(tmp_path):
    path = make_vae(tmp_path / "vae.safetensors")
    config, tensors = read_checkpoint(path)
    tensors["prior.weights"] = torch.ones(2)
    save_checkpoint(path, tensors, config)
    with pytest.raises(CheckpointError, match="vae.safetensors.*incomplete"):
        load_model(path)


def test_train_vae_fits_the_prior_and_the_model_samples_from_it(tmp_path):
    out = tmp_path / "vae.safetensors"
    assert main(["train", "vae", "--out", str(out), "--epochs", "1", "--prior-components", "2", *TINY]) == 0
    config, tensors = read_checkpoint(out)
    assert config["prior"]["components"] == 2 and tensors["prior.means"].shape == (2, 8)
    model = load_model(out)
    assert "mixture of 2 Gaussians" in model.info.prior
    z = model.sample_latents(0, np.arange(4))
    assert z.shape == (4, 8) and not np.allclose(z, prior_latents((8,), 0, np.arange(4)))
    assert model.decode(z).shape == (4, 16, 16, 3)


def test_prior_components_zero_keeps_the_standard_normal(tmp_path):
    out = tmp_path / "vae.safetensors"
    assert main(["train", "vae", "--out", str(out), "--epochs", "1", "--prior-components", "0", *TINY]) == 0
    model = load_model(out)
    assert model.fitted_prior is None
    assert np.array_equal(model.sample_latents(3, [0, 1]), prior_latents((8,), 3, [0, 1]))
