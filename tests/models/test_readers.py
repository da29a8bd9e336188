"""Checkpoints people already have open as the same LatentModel (tiny files made here)."""

import json
import os
import zipfile

import numpy as np
import pytest
import torch
from torch import nn

from models.errors import CheckpointError
from models.imaging import to_uint8
from models.loading import load_model
from models.nets.dcgan import Discriminator, Generator
from models.readers import detect_and_read
from tests.models.factories import make_gan

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")


class ExamplesNetG(nn.Module):
    """The generator of pytorch/examples dcgan/main.py, layer for layer (64×64)."""

    def __init__(self, nz=100, ngf=64, nc=3):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class ExamplesVAE(nn.Module):
    """The VAE of pytorch/examples vae/main.py: 784 → 400 → 20 and back."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def decode(self, z):
        return torch.sigmoid(self.fc4(torch.relu(self.fc3(z))))


def small_netg_state():
    torch.manual_seed(0)
    g = Generator(nz=8, ngf=4, channels=3, image_size=16)
    with torch.no_grad():  # non-trivial running statistics, as a trained file has
        for m in g.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return g.state_dict()


def save_small_netg(path):
    torch.save(small_netg_state(), path)
    return path


def test_real_size_dcgan_generator_is_inferred_and_decodes_like_the_original(tmp_path):
    torch.manual_seed(0)
    original = ExamplesNetG().eval()
    path = tmp_path / "netG_epoch_24.pth"
    torch.save(original.state_dict(), path)

    model = load_model(path)

    assert (model.info.family, model.info.image_size, model.info.channels) == ("gan", 64, 3)
    assert model.latent_shape == (100,) and model.info.name == "netG_epoch_24"
    assert model.info.provenance["detected"] == "pytorch/examples DCGAN generator (nz=100, ngf=64, 64×64 RGB)"
    z = model.sample_latents(0, [0, 1])
    images = model.decode(z)
    assert images.shape == (2, 64, 64, 3) and images.dtype == np.uint8
    with torch.inference_mode():
        expected = to_uint8(original(torch.from_numpy(z).view(2, 100, 1, 1)))
    assert np.abs(images.astype(int) - expected).max() <= 1


@pytest.mark.parametrize(
    "wrap",
    [
        lambda sd: sd,
        lambda sd: {"state_dict": sd, "epoch": 24},
        lambda sd: {"netG": sd, "optimizerG": {"lr": 2e-4}},
        lambda sd: {f"module.{k}": v for k, v in sd.items()},
        lambda sd: {"model": {f"module.{k}": v for k, v in sd.items()}},
        # Files from PyTorch < 0.4.1 have no BatchNorm counters.
        lambda sd: {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")},
    ],
    ids=["bare", "state_dict", "netG", "module-prefix", "model-module", "no-batch-counters"],
)
def test_small_dcgan_generator_in_every_wrapping(tmp_path, wrap):
    path = tmp_path / "netG_epoch_3.pth"
    torch.save(wrap(small_netg_state()), path)
    model = load_model(path)
    # A wrapped file's note follows ("; opened the state dict under 'netG'"); tests/models/test_wrappers.py checks it.
    assert model.info.provenance["detected"].split("; ")[0] == "pytorch/examples DCGAN generator (nz=8, ngf=4, 16×16 RGB)"
    assert model.decode(model.sample_latents(1, range(3))).shape == (3, 16, 16, 3)


def test_legacy_serialization_loads(tmp_path):
    path = tmp_path / "netG.pth"
    torch.save(small_netg_state(), path, _use_new_zipfile_serialization=False)
    assert load_model(path).latent_shape == (8,)


def test_loading_is_weights_only_and_mapped_to_the_cpu(tmp_path, monkeypatch):
    """A file saved on a GPU opens on a CPU-only machine because of map_location."""
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    load_model(save_small_netg(tmp_path / "g.pth"))
    assert calls and all(c.get("map_location") == "cpu" and c.get("weights_only") is True for c in calls)


def test_sample_command_reads_a_pytorch_examples_generator(tmp_path):
    from explorer.cli import main

    path = save_small_netg(tmp_path / "netG_epoch_24.pth")
    out = tmp_path / "o"
    assert main(["sample", str(path), "--n", "4", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["000000.png", "000001.png", "000002.png", "000003.png", "README.md",
                                                     "latents.npy", "metadata.jsonl"]


def test_mnist_vae_decodes_and_encodes(tmp_path):
    torch.manual_seed(0)
    original = ExamplesVAE().eval()
    path = tmp_path / "vae.pth"
    torch.save(original.state_dict(), path)

    model = load_model(path)

    assert (model.info.family, model.info.image_size, model.info.channels) == ("vae", 28, 1)
    assert model.latent_shape == (20,) and model.can_encode
    assert model.info.provenance["detected"] == "pytorch/examples MNIST VAE (hidden=400, latent=20, 28×28 grey)"
    z = model.sample_latents(0, range(2))
    images = model.decode(z)
    assert images.shape == (2, 28, 28, 1) and images.dtype == np.uint8
    with torch.inference_mode():
        p = original.decode(torch.from_numpy(z)).view(2, 1, 28, 28)
    assert np.abs(images.astype(int) - to_uint8(2 * p - 1)).max() <= 1
    assert model.encode(images).shape == (2, 20)


def test_whole_pickled_module_is_refused_for_safety(tmp_path):
    path = tmp_path / "netG_whole.pth"
    torch.save(Generator(nz=8, ngf=4, channels=3, image_size=16), path)
    with pytest.raises(CheckpointError) as info:
        load_model(path)
    message = str(info.value)
    assert str(path) in message and "refused for safety" in message and "run code" in message
    assert "torch.save(model.state_dict(), path)" in message


def _truncate(path):
    data = save_small_netg(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _wrong_shape(path):
    sd = small_netg_state()
    sd["main.4.weight"] = torch.ones(7)
    torch.save(sd, path)


@pytest.mark.parametrize(
    "maker, cause",
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (_truncate, "damaged or truncated"),
        (lambda p: p.write_bytes(os.urandom(4096)), "not a PyTorch checkpoint"),
        (_wrong_shape, r"main.4.weight has shape (7,)"),
        (lambda p: torch.save({"epoch": 3}, p), "holds no tensors"),
    ],
    ids=["empty", "truncated", "random", "wrong-shape", "no-tensors"],
)
def test_bad_files_name_the_file_and_the_cause(tmp_path, maker, cause):
    path = tmp_path / "netG_epoch_1.pth"
    maker(path)
    with pytest.raises(CheckpointError) as info:
        load_model(path)
    assert str(path) in str(info.value) and cause in str(info.value)


def test_unrecognised_state_dict_lists_the_recognised_architectures(tmp_path):
    path = tmp_path / "resnet.pth"
    torch.save(nn.Linear(3, 2).state_dict(), path)
    with pytest.raises(CheckpointError) as info:
        load_model(path)
    message = str(info.value)
    assert str(path) in message and "pytorch/examples DCGAN generator" in message and "MNIST VAE" in message

    torch.save(Discriminator(ndf=4, channels=3, image_size=16).state_dict(), path)
    with pytest.raises(CheckpointError, match="discriminator"):
        load_model(path)


class TinyDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 3 * 8 * 8)

    def forward(self, z):
        return self.decode(z)

    @torch.jit.export
    def decode(self, z):
        return torch.tanh(self.fc(z)).view(-1, 3, 8, 8)


def save_scripted(path, sidecar=None):
    torch.manual_seed(0)
    torch.jit.script(TinyDecoder()).save(str(path))
    if sidecar is not None:
        path.with_name(path.name + ".json").write_text(json.dumps(sidecar))
    return path


def test_torchscript_decoder_with_sidecar(tmp_path):
    path = save_scripted(tmp_path / "dec.pt", {"latent_shape": [16], "image_size": 8, "channels": 3, "name": "tiny"})
    assert "constants.pkl" in "".join(zipfile.ZipFile(path).namelist())
    model = load_model(path)
    assert (model.info.name, model.info.family, model.latent_shape) == ("tiny", "gan", (16,))
    assert model.info.provenance["detected"] == "TorchScript decoder (gan, latent 16, 8×8 RGB)"
    images = model.decode(model.sample_latents(0, range(5)))
    assert images.shape == (5, 8, 8, 3) and images.dtype == np.uint8


def test_torchscript_output_range_and_hints_without_sidecar(tmp_path):
    path = save_scripted(tmp_path / "dec.pt")
    signed = detect_and_read(path, latent_shape=16, image_size=8, channels=3)
    unsigned = detect_and_read(path, latent_shape=[16], image_size=8, channels=3, output_range=[0, 1])
    z = signed.sample_latents(0, range(2))
    with torch.inference_mode():
        x = signed.module.decode(torch.from_numpy(z))
    assert np.array_equal(signed.decode(z), to_uint8(x))
    assert np.abs(unsigned.decode(z).astype(int) - to_uint8(2 * x - 1)).max() <= 1


def test_torchscript_without_information_names_what_is_missing(tmp_path):
    path = save_scripted(tmp_path / "dec.pt")
    with pytest.raises(CheckpointError) as info:
        load_model(path)
    assert str(path) in str(info.value) and "latent_shape, image_size, channels" in str(info.value)

    path.with_name("dec.pt.json").write_text(json.dumps({"latent_shape": [16], "image_size": 16, "channels": 3}))
    with pytest.raises(CheckpointError, match=r"decode returned \(1, 3, 8, 8\)"):
        load_model(path)


def test_native_checkpoints_say_what_was_detected_and_folders_are_refused(tmp_path):
    model = load_model(make_gan(tmp_path / "gan.safetensors"))
    assert model.info.provenance["detected"] == "Latent Explorer checkpoint (gan, 16×16 RGB)"
    with pytest.raises(CheckpointError, match="is a folder"):
        detect_and_read(tmp_path)
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(CheckpointError, match="not a checkpoint this app recognises"):
        detect_and_read(other)
