"""The LatentModel contract, for every family, on tiny random models."""

import numpy as np
import pytest
import torch

from models.contract import LatentModel, prior_latents
from models.loading import load_latent_model, load_model
from models.errors import CheckpointError


@pytest.mark.parametrize("family", ["vae", "gan", "ddpm", "ldm"])
def test_decode_gives_uint8_images_and_is_deterministic(tiny_checkpoints, family):
    model = load_latent_model(tiny_checkpoints[family])
    assert isinstance(model, LatentModel)
    z = model.sample_latents(seed=7, indices=np.arange(5))
    assert z.shape == (5, *model.latent_shape) and z.dtype == np.float32
    images = model.decode(z, batch_size=2)
    assert images.shape == (5, 16, 16, 3) and images.dtype == np.uint8
    assert np.array_equal(images, model.decode(z, batch_size=2))
    assert model.info.family == {"ddpm": "diffusion", "ldm": "diffusion"}.get(family, family)
    assert model.info.walk == "slerp" and model.info.prior == "N(0, I)"


def test_prior_latent_depends_only_on_seed_and_index():
    full = prior_latents((4,), 3, np.arange(10))
    part = prior_latents((4,), 3, [7, 2])
    assert np.array_equal(part, full[[7, 2]])
    assert not np.array_equal(prior_latents((4,), 4, [7]), full[[7]])


def test_decode_rejects_wrong_latent_shape(tiny_checkpoints):
    model = load_latent_model(tiny_checkpoints["vae"])
    with pytest.raises(ValueError, match="latents of shape"):
        model.decode(np.zeros((1, 3), np.float32))


def test_vae_encodes_to_posterior_mean(tiny_checkpoints):
    model = load_latent_model(tiny_checkpoints["vae"])
    images = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    z = model.encode(images)
    assert z.shape == (3, 8)
    assert np.array_equal(z, model.encode(images))


def test_gan_encodes_by_inversion_with_progress(tiny_checkpoints):
    """Images the generator made are found again: the error falls far below a random code's."""
    model = load_latent_model(tiny_checkpoints["gan"])
    assert model.can_encode and model.encode_is_slow
    model.inversion_steps = 150
    truth = model.sample_latents(3, np.arange(3))
    images = model.decode(truth)
    seen = []
    z = model.encode(images, batch_size=2, progress=lambda d, t: seen.append((d, t)))
    assert z.shape == truth.shape and seen[-1] == (300, 300)
    found = model.reconstruction_error(images, z)
    random = model.reconstruction_error(images, model.sample_latents(9, np.arange(3)))
    assert (found < 0.5 * random).all()


def test_an_encoder_less_model_refuses_to_encode(tiny_checkpoints):
    from models.contract import LatentModel

    class NoEncoder(LatentModel):
        def __init__(self, inner):
            super().__init__()
            self.info = inner.info

        def _decode_batch(self, z):
            raise AssertionError

    model = NoEncoder(load_latent_model(tiny_checkpoints["gan"]))
    with pytest.raises(NotImplementedError, match="has no encoder"):
        model.encode(np.zeros((1, 16, 16, 3), np.uint8))


def test_diffusion_reports_per_step_progress(tiny_checkpoints):
    model = load_latent_model(tiny_checkpoints["ddpm"])
    seen = []
    model.decode(model.sample_latents(0, np.arange(3)), batch_size=2, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (10, 10)  # 2 batches × 5 DDIM steps
    assert [d for d, _ in seen] == list(range(1, 11))


def test_ddim_inversion_inverts_sampling():
    """With a fixed ε-model, DDIM sample(invert(x0)) ≈ x0."""
    from models.diffusion import NoiseSchedule

    class Eps(torch.nn.Module):
        def forward(self, x, t):
            return 0.3 * x

    sched = NoiseSchedule(1000)
    x0 = torch.rand(2, 3, 4, 4) - 0.5
    xt = sched.ddim_invert(Eps(), x0, steps=200)
    back = sched.ddim_sample(Eps(), xt, steps=200, clip=None)
    assert torch.allclose(back, x0, atol=0.03)


def test_classifier_is_not_a_latent_model(tiny_checkpoints):
    clf = load_model(tiny_checkpoints["classifier"])
    probs = clf.predict(np.zeros((4, 16, 16, 3), np.uint8))
    assert probs.shape == (4, 5) and ((probs >= 0) & (probs <= 1)).all()
    assert clf.features(np.zeros((2, 16, 16, 3), np.uint8)).shape == (2, 32)
    with pytest.raises(CheckpointError, match="no latent space"):
        load_latent_model(tiny_checkpoints["classifier"])
