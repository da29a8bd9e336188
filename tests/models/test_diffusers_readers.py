"""Diffusers directories open as the same LatentModel (tiny models saved here, offline)."""

import json
import shutil

import numpy as np
import pytest
import torch

from models.errors import CheckpointError
from models.families.autoencoder_kl import AutoencoderKLModel
from models.families.diffusion import DiffusionModel
from models.loading import load_model

import diffusers  # noqa: E402  (a declared dependency: a missing one should fail loudly)

WEIGHTS = "diffusion_pytorch_model.safetensors"


def tiny_unet():
    torch.manual_seed(0)
    return diffusers.UNet2DModel(
        sample_size=16, in_channels=3, out_channels=3, block_out_channels=(8, 16), layers_per_block=1,
        norm_num_groups=4, down_block_types=("DownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "UpBlock2D"),
    )


def tiny_vae():
    torch.manual_seed(0)
    return diffusers.AutoencoderKL(
        in_channels=3, out_channels=3, block_out_channels=(8, 16), latent_channels=2, norm_num_groups=4,
        sample_size=16, down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
    )


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A DDPMPipeline and an AutoencoderKL directory, written once for the module."""
    root = tmp_path_factory.mktemp("diffusers")
    pipeline = diffusers.DDPMPipeline(unet=tiny_unet(), scheduler=diffusers.DDPMScheduler(num_train_timesteps=100))
    pipeline.save_pretrained(root / "ddpm", safe_serialization=True)
    tiny_vae().save_pretrained(root / "vae", safe_serialization=True)
    return root


@pytest.fixture
def pipeline_dir(saved, tmp_path):
    """A private copy of the pipeline, free to damage."""
    return shutil.copytree(saved / "ddpm", tmp_path / "ddpm")


@pytest.fixture
def vae_dir(saved, tmp_path):
    return shutil.copytree(saved / "vae", tmp_path / "vae")


def edit_json(path, **changes):
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


# -- DDPMPipeline ----------------------------------------------------------------
def test_pipeline_opens_as_a_diffusion_model_on_the_schedulers_noise_schedule(saved):
    model = load_model(saved / "ddpm")

    assert isinstance(model, DiffusionModel)
    info = model.info
    assert (info.family, info.image_size, info.channels, info.latent_shape) == ("diffusion", 16, 3, (3, 16, 16))
    assert info.dataset == "" and info.name == "ddpm"
    assert info.provenance["detected"] == "diffusers DDPMPipeline (UNet2DModel, 100 steps, DDIM 50), 16×16 RGB"
    assert model.steps == 50
    scheduler = diffusers.DDPMScheduler.from_pretrained(saved / "ddpm" / "scheduler", local_files_only=True)
    assert model.schedule.timesteps == 100
    torch.testing.assert_close(model.schedule.alphas_cumprod, scheduler.alphas_cumprod)
    x, t = torch.randn(2, 3, 16, 16), torch.tensor([5, 60])
    with torch.no_grad():
        torch.testing.assert_close(model.denoiser(x, t), model.denoiser.unet(x, t).sample)


def test_decode_is_deterministic_reports_every_step_and_takes_the_step_count(saved):
    model = load_model(saved / "ddpm", steps=4)
    assert model.steps == 4
    model.steps = 5
    z = model.sample_latents(0, [0, 1])
    calls = []

    images = model.decode(z, progress=lambda done, total: calls.append((done, total)))

    assert images.shape == (2, 16, 16, 3) and images.dtype == np.uint8
    assert calls == [(i, 5) for i in range(1, 6)]
    assert np.array_equal(model.decode(z), images)
    assert not np.array_equal(model.decode(model.sample_latents(0, [2, 3])), images)


def test_encode_inverts_ddim_to_the_latent_shape(saved):
    model = load_model(saved / "ddpm", steps=3)
    images = model.decode(model.sample_latents(1, [0, 1]))

    latents = model.encode(images)

    assert latents.shape == (2, 3, 16, 16) and latents.dtype == np.float32 and np.isfinite(latents).all()


def test_bare_unet_folder_finds_the_scheduler_next_to_it(pipeline_dir, tmp_path):
    model = load_model(pipeline_dir / "unet", steps=2)
    assert model.info.provenance["detected"] == "diffusers UNet2DModel (100 steps, DDIM 2), 16×16 RGB"
    assert model.decode(model.sample_latents(0, [0])).shape == (1, 16, 16, 3)

    alone = shutil.copytree(pipeline_dir / "unet", tmp_path / "alone")
    with pytest.raises(CheckpointError, match="without its noise schedule") as caught:
        load_model(alone)
    assert str(alone) in str(caught.value)


def test_sample_command_writes_images_from_a_pipeline_folder(saved, tmp_path, capsys):
    from explorer.cli import main

    out = tmp_path / "o"
    assert main(["sample", str(saved / "ddpm"), "--n", "2", "--steps", "3", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.png")) == ["000000.png", "000001.png"]


# -- AutoencoderKL ---------------------------------------------------------------
def test_autoencoder_kl_decodes_and_encodes_scaled_latents(saved):
    model = load_model(saved / "vae")

    assert isinstance(model, AutoencoderKLModel)
    info = model.info
    assert (info.family, info.image_size, info.channels, info.latent_shape) == ("vae", 16, 3, (2, 8, 8))
    assert (info.prior, info.walk, info.dataset) == ("N(0, I)", "slerp", "")
    assert (model.can_encode, model.encode_is_slow) == (True, False)
    assert info.provenance["detected"] == "diffusers AutoencoderKL (latent 2×8×8), 16×16 RGB"
    images = model.decode(model.sample_latents(0, [0, 1]))
    assert images.shape == (2, 16, 16, 3) and images.dtype == np.uint8

    latents = model.encode(images)

    assert latents.shape == (2, 2, 8, 8)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1
    with torch.no_grad():
        expected = model.vae.encode(x).latent_dist.mean * model.vae.config.scaling_factor
    np.testing.assert_allclose(latents, expected.numpy(), rtol=1e-4, atol=1e-5)


# -- refusals --------------------------------------------------------------------
def _no_config(d):
    (d / "model_index.json").unlink()
    for name in ("unet", "scheduler"):
        shutil.rmtree(d / name)
    (d / "notes.txt").write_text("not a model")


def _no_weights(d):
    (d / "unet" / WEIGHTS).unlink()


def _only_bin(d):
    (d / "unet" / WEIGHTS).unlink()
    (d / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x02}q\x00.")


def _truncated(d):
    weights = d / "unet" / WEIGHTS
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])


def _unknown_pipeline(d):
    edit_json(d / "model_index.json", _class_name="StableDiffusionXLPipeline")


def _unknown_model(d):
    shutil.rmtree(d / "scheduler")
    (d / "model_index.json").unlink()
    for f in (d / "unet").iterdir():
        f.rename(d / f.name)
    edit_json(d / "config.json", _class_name="UNet1DModel")


def _v_prediction(d):
    edit_json(d / "scheduler" / "scheduler_config.json", prediction_type="v_prediction")


def _wider_config(d):
    edit_json(d / "unet" / "config.json", block_out_channels=[8, 32])


def _extra_layers_in_config(d):
    edit_json(d / "unet" / "config.json", down_block_types=["DownBlock2D", "AttnDownBlock2D"])


@pytest.mark.parametrize("damage, cause", [
    (_no_config, "is a folder, but not a diffusers model directory"),
    (_no_weights, f"no {WEIGHTS}"),
    (_only_bin, "only safetensors weights are read, because a .bin file needs unpickling"),
    (_truncated, "damaged or truncated safetensors file"),
    (_unknown_pipeline, "unknown _class_name 'StableDiffusionXLPipeline'"),
    (_unknown_model, "unknown _class_name 'UNet1DModel'"),
    (_v_prediction, "prediction_type 'v_prediction' is not supported"),
    (_wider_config, r"config.json does not match the weights \(down_blocks\.1\.\S+ is 16×8×3×3 in the weights but 32×8×3×3"),
    (_extra_layers_in_config, "config.json does not match the weights .*missing from the weights"),
])
def test_broken_directories_give_one_checkpoint_error_naming_it(pipeline_dir, damage, cause):
    damage(pipeline_dir)

    with pytest.raises(CheckpointError, match=cause) as caught:
        load_model(pipeline_dir)

    assert str(pipeline_dir) in str(caught.value)


def test_autoencoder_with_pickled_weights_only_is_refused(vae_dir):
    (vae_dir / WEIGHTS).rename(vae_dir / "diffusion_pytorch_model.bin")

    with pytest.raises(CheckpointError, match="only safetensors weights are read") as caught:
        load_model(vae_dir)

    assert str(vae_dir) in str(caught.value)


def test_autoencoder_kl_bank_is_built_by_encoding_images(tmp_path):
    from explorer.inference.bank_builder import build_bank

    path = tmp_path / "vae"
    tiny_vae().save_pretrained(path, safe_serialization=True)
    model = load_model(path)
    bank = build_bank(model, n=12)
    assert bank.source == "encoded toyfaces images" and bank.seeds[0] == -1
    assert bank.latents.shape == (12, 2 * 8 * 8) and "glasses" in bank.attributes
