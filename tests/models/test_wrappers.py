"""State dicts wrapped as training code saves them (Lightning, rosinality, DataParallel…) and diffusers variants."""

import numpy as np
import pytest
import torch

from models.errors import CheckpointError
from models.loading import load_model
from models.nets.dcgan import Discriminator
from models.readers.wrappers import unwrap_state_dict
from tests.models.test_readers import ExamplesVAE, small_netg_state

import diffusers  # noqa: E402  (a declared dependency: a missing one should fail loudly)

DCGAN = "pytorch/examples DCGAN generator (nz=8, ngf=4, 16×16 RGB)"
LIGHTNING_GAN_NOTE = "opened the 'generator' sub-model of a Lightning checkpoint (discriminator ignored)"


def other_generator_state():
    """A generator of the same shape with other weights: opening the wrong one draws other images."""
    return {k: (v + 0.5 if v.is_floating_point() else v) for k, v in small_netg_state().items()}


def discriminator_state():
    return Discriminator(ndf=4, channels=3, image_size=16).state_dict()


def prefixed(prefix, sd):
    return {f"{prefix}{k}": v for k, v in sd.items()}


def lightning(state_dict):
    """What Lightning's ``trainer.save_checkpoint`` writes around a module's state dict (lightning 2.x keys)."""
    return {"epoch": 24, "global_step": 1200, "pytorch-lightning_version": "2.4.0", "state_dict": state_dict,
            "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 25}}}},
            "callbacks": {}, "optimizer_states": [{"state": {}, "param_groups": [{"lr": 2e-4, "params": [0, 1]}]}],
            "lr_schedulers": [], "hparams_name": "kwargs", "hyper_parameters": {"nz": 8, "lr": 2e-4}}


def decoded(path):
    model = load_model(path)
    return model, model.decode(model.sample_latents(3, range(4)))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Images of the bare generator file, which every wrapping must reproduce exactly."""
    path = tmp_path_factory.mktemp("bare") / "netG.pth"
    torch.save(small_netg_state(), path)
    return decoded(path)[1]


@pytest.mark.parametrize("wrap, note", [
    (lambda g: prefixed("_orig_mod.", g), ""),
    (lambda g: prefixed("module._orig_mod.", g), ""),
    (lambda g: lightning({**prefixed("generator.", g), **prefixed("discriminator.", discriminator_state())}),
     LIGHTNING_GAN_NOTE),
    (lambda g: lightning({**prefixed("model.generator.", g), **prefixed("model.discriminator.", discriminator_state())}),
     LIGHTNING_GAN_NOTE),
    (lambda g: lightning({**prefixed("netG.module.", g), **prefixed("netD.module.", discriminator_state())}),
     "opened the 'netG' sub-model of a Lightning checkpoint (netD ignored)"),
    (lambda g: lightning({**prefixed("generator.", other_generator_state()), **prefixed("g_ema.", g),
                          **prefixed("discriminator.", discriminator_state())}),
     "opened the 'g_ema' sub-model of a Lightning checkpoint (discriminator, generator ignored)"),
    (lambda g: lightning(prefixed("model.", g)), "opened the 'model' sub-model of a Lightning checkpoint"),
    (lambda g: {"g": other_generator_state(), "d": discriminator_state(), "g_ema": g, "iter": 5000},
     "opened the state dict under 'g_ema' (g, d ignored)"),
    (lambda g: {"g_ema": g, "latent_avg": torch.zeros(8)}, "opened the state dict under 'g_ema' (latent_avg ignored)"),
    (lambda g: {"G": g, "D": discriminator_state()}, "opened the state dict under 'G' (D ignored)"),
    (lambda g: {"generator": g, "discriminator": discriminator_state(), "epoch": 3},
     "opened the state dict under 'generator' (discriminator ignored)"),
    (lambda g: {"model": g, "ema": prefixed("module.", g)}, "opened the state dict under 'ema' (model ignored)"),
    (lambda g: {"state_dict": prefixed("generator.", g), "epoch": 3}, "opened the 'generator' sub-model of the state dict under 'state_dict'"),
], ids=["compiled", "dataparallel-compiled", "lightning-G+D", "lightning-model.G+D", "lightning-netG-netD",
        "lightning-ema", "lightning-model", "rosinality-style", "converted-with-latent_avg", "G+D", "generator+discriminator", "ema",
        "state_dict-generator"])
def test_a_dcgan_generator_opens_from_every_wrapper_and_says_which_part(tmp_path, reference, wrap, note):
    path = tmp_path / "gan.ckpt"
    torch.save(wrap(small_netg_state()), path)

    model, images = decoded(path)

    np.testing.assert_array_equal(images, reference)  # the generator, not the other sub-models
    assert model.info.provenance["detected"] == (f"{DCGAN}; {note}" if note else DCGAN)
    assert model.info.provenance.get("wrapper", "") == note


def test_sample_command_opens_the_generator_of_a_lightning_file_and_says_so(tmp_path, capsys):
    from explorer.cli import main

    path, out = tmp_path / "epoch=24-step=1200.ckpt", tmp_path / "out"
    torch.save(lightning({**prefixed("generator.", small_netg_state()),
                          **prefixed("discriminator.", discriminator_state())}), path)

    assert main(["sample", str(path), "--n", "2", "--out", str(out)]) == 0

    assert sorted(p.name for p in out.glob("*.png")) == ["000000.png", "000001.png"]
    assert f"latent-explorer sample: {path}: {LIGHTNING_GAN_NOTE}" in capsys.readouterr().err.splitlines()


def test_a_lightning_vae_stays_a_vae_and_encodes(tmp_path):
    torch.manual_seed(0)
    vae = ExamplesVAE()
    bare, wrapped = tmp_path / "vae.pth", tmp_path / "vae.ckpt"
    torch.save(vae.state_dict(), bare)
    torch.save(lightning(prefixed("model.", vae.state_dict())), wrapped)

    model = load_model(wrapped)

    assert model.info.family == "vae" and model.info.provenance["detected"].endswith(
        "; opened the 'model' sub-model of a Lightning checkpoint")
    z = model.sample_latents(0, [0, 1])
    np.testing.assert_array_equal(model.decode(z), load_model(bare).decode(z))
    assert model.encode(model.decode(z)).shape == (2, 20)


def test_an_autoencoder_beside_a_discriminator_keeps_encoder_and_decoder():
    enc, dec, disc = torch.nn.Linear(4, 2), torch.nn.Linear(2, 4), torch.nn.Linear(4, 1)
    sd = {**prefixed("encoder.", enc.state_dict()), **prefixed("decoder.", dec.state_dict()),
          **prefixed("discriminator.", disc.state_dict())}

    state, note = unwrap_state_dict(lightning(sd), "vqgan.ckpt")

    assert sorted(state) == ["decoder.bias", "decoder.weight", "encoder.bias", "encoder.weight"]
    assert note == "opened the state dict of a Lightning checkpoint (discriminator ignored)"
    state, note = unwrap_state_dict(lightning(prefixed("model.", {k: v for k, v in sd.items() if "disc" not in k})), "f")
    assert sorted(state) == ["decoder.bias", "decoder.weight", "encoder.bias", "encoder.weight"]


@pytest.mark.parametrize("content, words", [
    (lambda: lightning(prefixed("discriminator.", discriminator_state())), "holds only a discriminator"),
    (lambda: {"D": discriminator_state()}, "holds only a discriminator's state dict (under 'D')"),
    (lambda: {"run1": small_netg_state(), "run2": other_generator_state()},
     "state dicts under 'run1' (13 tensors), 'run2' (13 tensors), none named as the generator"),
    (lambda: {"epoch": 3, "args": {"lr": 0.1}}, "holds no tensors (keys: epoch, args)"),
])
def test_files_without_a_generator_say_what_they_hold(tmp_path, content, words):
    path = tmp_path / "x.ckpt"
    torch.save(content(), path)
    with pytest.raises(CheckpointError) as caught:
        load_model(path)
    assert str(caught.value).startswith(f"{path}: ") and words in str(caught.value)


def test_an_unknown_generator_under_g_ema_is_described_not_called_empty(tmp_path):
    mapping = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Linear(8, 8)).state_dict()
    path = tmp_path / "ema.pt"
    torch.save({"g_ema": mapping}, path)

    with pytest.raises(CheckpointError) as caught:
        load_model(path)

    message = str(caught.value)
    assert message.startswith(f"{path}: holds the state dict under 'g_ema' with 4 tensors, not a recognised architecture")
    assert "holds no tensors" not in message and "Recognised: pytorch/examples DCGAN generator" in message
    assert message.endswith("opens as a TorchScript decoder with a sidecar JSON (see README)")


# -- diffusers weight variants -------------------------------------------------------
def tiny_unet():
    torch.manual_seed(0)
    return diffusers.UNet2DModel(
        sample_size=16, in_channels=3, out_channels=3, block_out_channels=(8, 16), layers_per_block=1,
        norm_num_groups=4, down_block_types=("DownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "UpBlock2D"))


def tiny_vae():
    torch.manual_seed(0)
    return diffusers.AutoencoderKL(
        in_channels=3, out_channels=3, block_out_channels=(8, 16), latent_channels=2, norm_num_groups=4,
        sample_size=16, down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2)


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    """fp16 weights saved by diffusers itself with variant="fp16", and the same weights saved plainly."""
    root = tmp_path_factory.mktemp("variants")
    unet, vae = tiny_unet().half(), tiny_vae().half()
    scheduler = diffusers.DDPMScheduler(num_train_timesteps=100)
    for variant, folder in (("fp16", "fp16"), (None, "plain")):
        diffusers.DDPMPipeline(unet=unet, scheduler=scheduler).save_pretrained(root / folder / "ddpm", variant=variant)
        vae.save_pretrained(root / folder / "vae", variant=variant)
    diffusers.DDPMPipeline(unet=unet, scheduler=scheduler).save_pretrained(
        root / "bin" / "ddpm", variant="fp16", safe_serialization=False)
    return root


def test_a_fp16_variant_pipeline_and_its_unet_folder_open_and_decode(variants):
    assert (variants / "fp16" / "ddpm" / "unet" / "diffusion_pytorch_model.fp16.safetensors").is_file()
    plain = load_model(variants / "plain" / "ddpm")
    plain.steps = 3
    z = plain.sample_latents(0, [0, 1])
    for folder in (variants / "fp16" / "ddpm", variants / "fp16" / "ddpm" / "unet"):
        model = load_model(folder)
        model.steps = 3
        assert "weights variant fp16" in model.info.provenance["detected"]
        np.testing.assert_array_equal(model.decode(z), plain.decode(z))


def test_a_fp16_variant_autoencoder_kl_decodes_and_encodes(variants):
    model, plain = load_model(variants / "fp16" / "vae"), load_model(variants / "plain" / "vae")

    assert model.info.provenance["detected"] == "diffusers AutoencoderKL (latent 2×8×8, weights variant fp16), 16×16 RGB"
    z = plain.sample_latents(0, [0, 1])
    images = model.decode(z)
    np.testing.assert_array_equal(images, plain.decode(z))
    assert model.encode(images).shape == (2, 2, 8, 8)


def test_a_pickled_bin_variant_stays_refused(variants):
    unet = variants / "bin" / "ddpm" / "unet"
    assert (unet / "diffusion_pytorch_model.fp16.bin").is_file()

    with pytest.raises(CheckpointError) as caught:
        load_model(variants / "bin" / "ddpm")

    assert str(caught.value) == (
        f"{unet}: has only diffusion_pytorch_model.fp16.bin weights; only safetensors weights are read, because a "
        ".bin file needs unpickling, which can run arbitrary code (re-save it with "
        "save_pretrained(..., safe_serialization=True))")
