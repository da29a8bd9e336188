"""Attribute codes in the first latent dimensions: drawing, the VAE's
conditional prior, the AC-GAN's auxiliary head, checkpoints and --init."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.cli import main
from models.attribute_codes import AttributeCodes
from models.checkpoint import read_checkpoint, save_checkpoint
from models.errors import CheckpointError
from models.loading import load_model
from models.nets.dcgan import Discriminator
from models.training.vae import gaussian_kl
from tests.models.factories import make_gan, make_vae

TINY = ["--n", "64", "--size", "16", "--batch-size", "16", "--quiet", "--device", "cpu", "--width", "8"]
NAMES = ("male", "glasses", "smiling", "hat", "beard")


def table(n=1000, seed=0):
    """0/1 attributes like toyfaces': a beard only ever on a man."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 5)) < [0.5, 0.4, 0.5, 0.3, 0.5]).astype(np.float32)
    y[:, 4] *= y[:, 0]
    return y


def test_codes_sit_at_plus_or_minus_scale_with_the_data_frequencies():
    y = table()
    codes = AttributeCodes.from_attributes(NAMES, y, ["male", "glasses"], scale=2.0, spread=0.25)
    assert len(codes.combinations) == 4 and np.isclose(codes.probabilities.sum(), 1)
    z = codes.sample((10,), seed=3, indices=np.arange(4000))
    assert z.shape == (4000, 10)
    assert (np.abs(np.abs(z[:, :2]) - 2.0) < 1.5).all()  # ±2 with spread 0.25: never near 0
    assert abs((z[:, 0] > 0).mean() - y[:, 0].mean()) < 0.03
    assert abs((z[:, 1] > 0).mean() - y[:, 1].mean()) < 0.03
    assert abs(z[:, 2:].std() - 1.0) < 0.05 and abs(z[:, 2:].mean()) < 0.05


def test_samples_depend_only_on_seed_and_index():
    codes = AttributeCodes.from_attributes(NAMES, table(), ["male", "hat"])
    full = codes.sample((6,), seed=7, indices=np.arange(30))
    assert np.array_equal(codes.sample((6,), seed=7, indices=[4, 29]), full[[4, 29]])
    assert not np.allclose(codes.sample((6,), seed=8, indices=np.arange(30)), full)


def test_bad_requests_name_the_cause():
    with pytest.raises(ValueError, match="'wings'"):
        AttributeCodes.from_attributes(NAMES, table(), ["male", "wings"])
    with pytest.raises(ValueError, match="spread"):
        AttributeCodes.from_attributes(NAMES, table(), ["male"], scale=1.0, spread=2.0)
    with pytest.raises(ValueError, match="distinct"):
        AttributeCodes.from_attributes(NAMES, table(), ["male", "male"])


def test_config_round_trip_and_malformed_records():
    codes = AttributeCodes.from_attributes(NAMES, table(), ["male", "glasses", "hat"])
    back = AttributeCodes.from_config(codes.to_config(), latent_dim=8)
    assert back.attributes == codes.attributes and np.array_equal(back.combinations, codes.combinations)
    assert np.array_equal(back.sample((8,), 0, range(5)), codes.sample((8,), 0, range(5)))
    good = codes.to_config()
    for bad, message in [
        ("codes", "JSON object"),
        ({k: v for k, v in good.items() if k != "scale"}, "incomplete"),
        ({**good, "combinations": [[0, 1]]}, "shape"),
        ({**good, "combinations": [[0, 2, 1]] * len(good["probabilities"])}, "0/1"),
        ({**good, "probabilities": [-1.0] * len(good["probabilities"])}, "non-negative"),
        ({**good, "spread": 5.0}, "spread"),
    ]:
        with pytest.raises(ValueError, match=message):
            AttributeCodes.from_config(bad, latent_dim=8)
    with pytest.raises(ValueError, match="3 attributes for a 3-d latent"):
        AttributeCodes.from_config(good, latent_dim=3)


def test_conditional_kl_is_zero_only_at_the_prior():
    codes = AttributeCodes.from_attributes(NAMES, table(), ["male", "glasses"], scale=2.0, spread=0.25)
    y = torch.tensor([[1.0, 0.0]])
    mean, var = codes.prior_moments(y, 4)
    assert mean.tolist() == [[2.0, -2.0, 0.0, 0.0]] and var[0, 0] == 0.0625 and var[0, 3] == 1
    assert gaussian_kl(mean, var.log(), mean, var).abs().item() < 1e-6
    wrong_side = mean.clone()
    wrong_side[0, 0] = -2.0
    assert gaussian_kl(wrong_side, var.log(), mean, var).item() > 50  # (4 / 0.25)² / 2
    # The standard-normal KL is the special case of an uncoded latent.
    mu, logvar = torch.randn(3, 4), torch.randn(3, 4)
    plain = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1)
    assert torch.allclose(gaussian_kl(mu, logvar, torch.zeros(3, 4), torch.ones(3, 4)), plain, atol=1e-5)


def test_discriminator_attribute_head_shares_the_features():
    torch.manual_seed(0)
    d = Discriminator(ndf=8, channels=3, image_size=16, attributes=4)
    x = torch.randn(5, 3, 16, 16)
    logit, attrs = d.classify(x)
    assert logit.shape == (5,) and attrs.shape == (5, 4)
    assert torch.allclose(logit, d(x))
    # Without the head the layer names stay those of every earlier checkpoint.
    assert set(Discriminator(ndf=8, image_size=16).state_dict()) == {k for k in d.state_dict() if "attribute_head" not in k}


@pytest.mark.parametrize("family, extra", [("vae", ["--latent-dim", "8"]), ("gan", ["--nz", "8"])])
def test_coded_models_train_record_their_codes_and_sample_from_them(tmp_path, family, extra):
    out = tmp_path / f"{family}.safetensors"
    assert main(["train", family, "--out", str(out), "--epochs", "1", "--codes", "male,glasses",
                 "--prior-components", "0", *extra, *TINY]) == 0
    config, tensors = read_checkpoint(out)
    assert config["attribute_codes"]["attributes"] == ["male", "glasses"]
    if family == "gan":
        assert config["architecture"]["discriminator"]["attributes"] == 2
        assert tensors["discriminator.attribute_head.weight"].shape[0] == 2
    model = load_model(out)
    assert "male, glasses" in model.info.prior
    z = model.sample_latents(0, np.arange(50))
    assert (np.abs(np.abs(z[:, :2]) - 2.0) < 1.5).all()
    assert model.decode(z[:2]).shape == (2, 16, 16, 3)


def test_codes_that_the_data_lacks_are_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "x.safetensors"
    assert main(["train", "vae", "--out", str(out), "--epochs", "1", "--codes", "male,wings", "--latent-dim", "8", *TINY]) == 2
    err = capsys.readouterr().err
    assert "'wings'" in err and "male, glasses" in err and len(err.strip().splitlines()) == 1
    assert main(["train", "vae", "--data", "digits", "--out", str(out), "--epochs", "1", "--codes", "male",
                 "--latent-dim", "8", "--width", "8", "--quiet"]) == 2
    assert "labels only" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("make", [make_vae, make_gan])
def test_a_malformed_code_record_is_a_checkpoint_error_naming_the_file(tmp_path, make):
    path = make(tmp_path / "model.safetensors")
    config, tensors = read_checkpoint(path)
    record = AttributeCodes.from_attributes(NAMES, table(), ["male"]).to_config()
    save_checkpoint(path, tensors, {**config, "attribute_codes": record})
    assert load_model(path).codes.attributes == ("male",)
    save_checkpoint(path, tensors, {**config, "attribute_codes": {**record, "combinations": [[0, 1, 1]]}})
    with pytest.raises(CheckpointError, match="model.safetensors.*combinations"):
        load_model(path)


def test_init_starts_from_another_checkpoint_and_records_it(tmp_path):
    plain = tmp_path / "plain.safetensors"
    assert main(["train", "gan", "--out", str(plain), "--epochs", "1", "--nz", "8", *TINY]) == 0
    coded = tmp_path / "coded.safetensors"
    assert main(["train", "gan", "--out", str(coded), "--epochs", "1", "--nz", "8", "--codes", "male",
                 "--init", str(plain), "--lr", "1e-12", "--ema", "0", *TINY]) == 0
    config, tensors = read_checkpoint(coded)
    _, before = read_checkpoint(plain)
    init = config["initialised_from"]
    assert init["file"] == "plain.safetensors" and init["epochs"] == 1
    assert init["new_tensors"] == ["discriminator.attribute_head.weight", "discriminator.attribute_head.bias"]
    # With a vanishing learning rate the shared weights are still the other run's.
    w = "discriminator.main.0.weight"
    assert torch.allclose(tensors[w], before[w], atol=1e-6)
    # Starting a GAN from a VAE is refused, naming the file.
    vae = tmp_path / "vae.safetensors"
    assert main(["train", "vae", "--out", str(vae), "--epochs", "1", "--latent-dim", "8", "--prior-components", "0", *TINY]) == 0
    assert main(["train", "gan", "--out", str(tmp_path / "g.safetensors"), "--init", str(vae), "--nz", "8", *TINY]) == 2
