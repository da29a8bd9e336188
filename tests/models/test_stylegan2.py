"""rosinality stylegan2-pytorch generators: read, decoded in W or Z, truncated, style-mixed, refused when unsafe."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from models.errors import CheckpointError
from models.loading import load_latent_model
from models.nets.stylegan2 import Generator

STYLE_DIM = 32
TINY_CHANNELS = {4: 16, 8: 16, 16: 8, 32: 8}


def tiny_generator(seed: int = 0) -> Generator:
    """A 32 px generator with rosinality's key names and few channels; noise and biases made non-zero
    (they start at zero) so that the fixed noise buffers and every bias matter."""
    torch.manual_seed(seed)
    g = Generator(32, STYLE_DIM, 2, channels=TINY_CHANNELS)
    with torch.no_grad():
        for name, p in g.named_parameters():
            if name.endswith("noise.weight") or name.endswith("activate.bias"):
                p.normal_(0, 0.3)
    return g.eval()


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    g = tiny_generator()
    path = tmp_path_factory.mktemp("sg2") / "g_ema.pt"
    torch.save({"g_ema": g.state_dict()}, path)
    return g, path


@pytest.fixture()
def model(saved):
    return load_latent_model(saved[1])


def test_reads_the_hyper_parameters_and_decodes_32px_rgb_deterministically(saved, model):
    g, _ = saved
    assert model.family == "stylegan2" and model.space == "w" and model.truncation == 1.0
    assert model.info.image_size == 32 and model.info.channels == 3 and model.latent_shape == (STYLE_DIM,)
    assert model.info.provenance["n_mlp"] == 2 and model.info.provenance["size"] == 32
    assert "stylegan2" in model.info.provenance["detected"] and "g_ema" in model.info.provenance["detected"]
    w = model.sample_latents(3, range(4))
    first, again = model.decode(w), model.decode(w)
    assert first.shape == (4, 32, 32, 3) and first.dtype == np.uint8
    assert np.array_equal(first, again)
    assert len({im.tobytes() for im in first}) == 4
    # The same pixels as the network itself with its fixed noise (rosinality's randomize_noise=False).
    with torch.no_grad():
        own, _ = g([torch.from_numpy(w)], input_is_latent=True, randomize_noise=False)
    assert np.abs(first.astype(int) - ((own.clamp(-1, 1) + 1) * 127.5).round().permute(0, 2, 3, 1).numpy()).max() <= 1


def test_bank_is_in_w_mapped_from_the_same_z_as_the_z_space(model):
    w = model.sample_latents(5, [2, 7])
    model.set_space("z")
    z = model.sample_latents(5, [2, 7])
    assert model.info.walk == "slerp" and not np.allclose(z, w)
    assert np.allclose(model.to_w(z), w, atol=1e-5)
    # A Z code decodes to the image of its W code.
    from_z = model.decode(z)
    model.set_space("w")
    assert model.info.walk == "lerp"
    assert np.array_equal(from_z, model.decode(w))
    with pytest.raises(ValueError, match="latent space"):
        model.set_space("w+")


def test_truncation_zero_gives_the_mean_image_for_every_latent(model):
    w = model.sample_latents(1, range(3))
    plain = model.decode(w)
    model.set_truncation(0.0)
    mean_images = model.decode(w)
    assert all(np.array_equal(mean_images[0], im) for im in mean_images[1:])
    model.set_truncation(0.5)
    half = model.decode(w)
    # Half way to the mean: closer to the mean image than the untruncated one is.
    assert np.abs(half.astype(int) - mean_images).mean() < np.abs(plain.astype(int) - mean_images).mean()
    model.set_space("z")
    model.set_truncation(0.0)
    assert np.array_equal(model.decode(model.sample_latents(1, [9]))[0], mean_images[0])
    with pytest.raises(ValueError, match="between 0 and 2"):
        model.set_truncation(float("nan"))


def test_style_mixing_takes_the_chosen_layers_from_b(model):
    groups = model.layer_groups
    assert groups == {"coarse": (0, 4), "middle": (4, 6), "fine": (6, 8)}  # 8 styles at 32 px
    a, b = model.sample_latents(11, range(6)), model.sample_latents(12, range(6))
    image_a, image_b = model.decode(a), model.decode(b)
    assert np.array_equal(model.style_mix(a, b, (0, 8)), image_b)
    assert np.array_equal(model.style_mix(a, a, "coarse"), image_a)
    change = {name: np.abs(model.style_mix(a, b, name).astype(int) - image_a).mean() for name in groups}
    assert change["fine"] > 0 and change["coarse"] > change["fine"]
    with pytest.raises(ValueError, match="layer range"):
        model.style_mix(a, b, (3, 99))


def test_a_bare_state_dict_and_a_safetensors_of_it_open_alike(saved, tmp_path, model):
    g, _ = saved
    bare, st = tmp_path / "bare.pt", tmp_path / "g_ema.safetensors"
    torch.save(g.state_dict(), bare)
    save_file({k: v.contiguous() for k, v in g.state_dict().items()}, str(st))
    w = model.sample_latents(0, range(2))
    for path in (bare, st):
        other = load_latent_model(path)
        assert other.family == "stylegan2" and np.array_equal(other.decode(w), model.decode(w))


def test_a_converted_official_file_with_latent_avg_opens(saved, tmp_path):
    g, _ = saved
    path = tmp_path / "stylegan2-ffhq-config-f.pt"
    # What rosinality's convert_weight.py writes for NVIDIA's released weights.
    torch.save({"g_ema": g.state_dict(), "latent_avg": torch.zeros(STYLE_DIM)}, path)
    assert load_latent_model(path).family == "stylegan2"


def test_a_training_checkpoint_with_args_is_refused_with_the_command(saved, tmp_path):
    g, _ = saved
    path = tmp_path / "010000.pt"
    # What rosinality's train.py saves (optimiser states left out for size; args is the pickled object).
    torch.save({"g": g.state_dict(), "d": {}, "g_ema": g.state_dict(), "args": argparse.Namespace(size=32),
                "ada_aug_p": 0.0}, path)
    with pytest.raises(CheckpointError) as err:
        load_latent_model(path)
    text = str(err.value)
    assert str(path) in text and "\n" not in text and "argparse.Namespace" in text
    assert f"torch.load('{path}', weights_only=False); torch.save({{'g_ema': c['g_ema']}}, 'g_ema.pt')" in text


def test_progressive_decode_reports_each_level(model):
    seen = []
    image = model.decode_progressively(model.sample_latents(0, [0])[0], lambda d, t: seen.append((d, t)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert np.array_equal(image, model.decode(model.sample_latents(0, [0])))


@pytest.mark.parametrize("space", ["w", "z"])
def test_encoding_by_inversion_finds_a_code_whose_image_is_closer(model, space):
    model.set_space(space)
    model.inversion_steps = 15
    target = model.decode(model.sample_latents(21, [0, 1]))
    steps = []
    codes = model.encode(target, progress=lambda d, t: steps.append((d, t)))
    assert codes.shape == (2, STYLE_DIM) and steps[-1] == (15, 15)
    unrelated = model.reconstruction_error(target, model.sample_latents(22, [0, 1])).mean()
    assert model.reconstruction_error(target, codes).mean() < 0.6 * unrelated


@pytest.mark.parametrize("size, multiplier", [(256, 2), (128, 1)])
def test_real_sizes_are_read_off_the_weights(size, multiplier, tmp_path):
    from models.readers.rosinality_stylegan2 import hyper_parameters

    with torch.device("meta"):  # shapes only: a 256 px config-f generator is 30M parameters
        state = Generator(size, 512, 8, channel_multiplier=multiplier).state_dict()
    hp = hyper_parameters(state, tmp_path / "g.pt")
    assert (hp["size"], hp["style_dim"], hp["n_mlp"], hp["channel_multiplier"]) == (size, 512, 8, multiplier)


@pytest.mark.parametrize("key, tensor, cause", [
    ("input.input", torch.zeros(16), "constant input"),
    ("style.1.weight", torch.zeros(0, 0), "square"),
    # A stride-0 tensor: a million channels in a few bytes on disk must not be allocated.
    ("convs.0.conv.weight", torch.zeros(1, 1, 1, 1, 1).expand(1, 10**6, 16, 3, 3), "1000000 channels"),
    ("convs.1.conv.weight", torch.zeros(1, 16, 4, 3, 3), "convs.1.conv.weight"),
])
def test_damaged_or_hostile_weights_are_one_line_naming_the_tensor(saved, tmp_path, key, tensor, cause):
    state = {**saved[0].state_dict(), key: tensor}
    path = tmp_path / "bad.pt"
    torch.save({"g_ema": state}, path)
    with pytest.raises(CheckpointError, match=cause) as err:
        load_latent_model(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)

