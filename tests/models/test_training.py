"""Tiny real training runs through the CLI: every family, resume, the grid."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.cli import main
from models.checkpoint import read_checkpoint
from models.loading import load_model

TINY = ["--n", "64", "--size", "16", "--batch-size", "16", "--quiet", "--device", "cpu"]


@pytest.mark.parametrize("family, extra", [
    ("vae", ["--latent-dim", "8", "--width", "8"]),
    ("gan", ["--nz", "8", "--width", "8"]),
    ("gan", ["--nz", "8", "--width", "8", "--loss", "wgan-gp"]),
    ("ddpm", ["--width", "8", "--sampling-steps", "3"]),
    ("classifier", ["--width", "8"]),
])
def test_each_family_trains_writes_checkpoint_and_grid(tmp_path, family, extra):
    out = tmp_path / f"{family}.safetensors"
    assert main(["train", family, "--out", str(out), "--epochs", "1", *TINY, *extra]) == 0
    config, _ = read_checkpoint(out)
    assert config["training"]["epochs"] == 1 and config["training"]["steps"] == 4
    assert config["dataset"] == "toyfaces" and config["attributes"][0] == "male"
    assert out.with_suffix(".png").stat().st_size > 100
    load_model(out)


def test_ldm_trains_in_a_vae_latent_space_and_stands_alone(tmp_path):
    vae = tmp_path / "vae.safetensors"
    assert main(["train", "vae", "--out", str(vae), "--epochs", "1", "--latent-dim", "8", "--width", "8", *TINY]) == 0
    ldm = tmp_path / "ldm.safetensors"
    assert main(["train", "ldm", "--vae", str(vae), "--out", str(ldm), "--epochs", "1", "--width", "16", *TINY]) == 0
    vae.unlink()
    model = load_model(ldm)
    assert model.is_latent and model.latent_shape == (8,)
    assert model.decode(model.sample_latents(0, [0, 1])).shape == (2, 16, 16, 3)


def test_resume_continues_where_it_stopped(tmp_path):
    args = ["train", "vae", "--latent-dim", "8", "--width", "8", *TINY]
    straight, resumed = tmp_path / "straight.safetensors", tmp_path / "resumed.safetensors"
    assert main([*args, "--out", str(straight), "--epochs", "2"]) == 0
    assert main([*args, "--out", str(resumed), "--epochs", "1"]) == 0
    assert main([*args, "--out", str(resumed), "--epochs", "2", "--resume"]) == 0
    c1, t1 = read_checkpoint(straight)
    c2, t2 = read_checkpoint(resumed)
    assert c2["training"]["epochs"] == 2 and c2["training"]["steps"] == c1["training"]["steps"] == 8
    # Same seed per epoch and the optimizer state restored: the runs agree.
    for k in t1:
        if k.startswith("vae."):
            assert np.allclose(t1[k].numpy(), t2[k].numpy(), atol=1e-5), k


def test_train_on_digits_and_a_folder(tmp_path):
    out = tmp_path / "d.safetensors"
    assert main(["train", "classifier", "--data", "digits", "--out", str(out), "--epochs", "1", "--width", "8", "--quiet"]) == 0
    assert read_checkpoint(out)[0]["labels"] == [str(i) for i in range(10)]
    from PIL import Image

    for label in ("a", "b"):
        (tmp_path / "imgs" / label).mkdir(parents=True)
        for i in range(8):
            Image.new("RGB", (20, 20), (i * 30, 0, 0) if label == "a" else (0, 0, i * 30)).save(tmp_path / "imgs" / label / f"{i}.png")
    out = tmp_path / "f.safetensors"
    assert main(["train", "vae", "--data", str(tmp_path / "imgs"), "--out", str(out), "--epochs", "1",
                 "--latent-dim", "4", "--width", "8", "--size", "16", "--batch-size", "4", "--quiet"]) == 0
    assert read_checkpoint(out)[0]["labels"] == ["a", "b"]


def test_train_refuses_bad_input(tmp_path, capsys):
    for ema in ("1", "1.5", "-0.1"):
        with pytest.raises(SystemExit) as stop:  # argparse's own exit, with its one-line message
            main(["train", "gan", "--ema", ema, "--out", str(tmp_path / "g.safetensors"), *TINY])
        assert stop.value.code == 2 and "argument --ema" in capsys.readouterr().err
    assert main(["train", "ldm", "--out", str(tmp_path / "x.safetensors"), *TINY]) == 2
    assert "--vae" in capsys.readouterr().err
    assert main(["train", "vae", "--out", str(tmp_path / "x.pt"), *TINY]) == 2
    assert main(["train", "vae", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.safetensors"), *TINY]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_gan_saves_a_weight_average_and_resumes_an_older_run_without_one(tmp_path):
    args = ["train", "gan", "--nz", "8", "--width", "8", *TINY]
    old = tmp_path / "old.safetensors"
    assert main([*args, "--out", str(old), "--epochs", "1", "--ema", "0"]) == 0
    assert not any(k.startswith("raw.") for k in read_checkpoint(old)[1])
    # Resuming with the average on starts it (and the raw weights) from the saved generator.
    assert main([*args, "--out", str(old), "--epochs", "2", "--resume"]) == 0
    config, tensors = read_checkpoint(old)
    assert config["ema_decay"] == 0.999 and config["training"]["epochs"] == 2
    assert not torch.equal(tensors["generator.main.0.weight"], tensors["raw.main.0.weight"])
    load_model(old)


def test_total_correlation_is_larger_for_dependent_latent_dimensions():
    from models.training.vae import total_correlation

    torch.manual_seed(0)
    mu, logvar = torch.randn(512, 4), torch.full((512, 4), -1.0)
    dependent = mu.clone()
    dependent[:, 1] = dependent[:, 0]

    def tc(m):
        return total_correlation(m + torch.randn_like(m) * (0.5 * logvar).exp(), m, logvar, 512).item()

    assert tc(dependent) > tc(mu) + 0.1


def test_vae_with_a_total_correlation_penalty_trains_and_records_it(tmp_path):
    out = tmp_path / "tc.safetensors"
    assert main(["train", "vae", "--out", str(out), "--epochs", "1", "--latent-dim", "8", "--width", "8",
                 "--tc-weight", "5", *TINY]) == 0
    assert read_checkpoint(out)[0]["tc_weight"] == 5.0
    assert load_model(out).decode(np.zeros((1, 8), np.float32)).shape == (1, 16, 16, 3)
