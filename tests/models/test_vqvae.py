"""The VQ-VAE family: native checkpoints, diffusers VQModel directories, training, the bundled model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.cli import main
from models.checkpoint import module_tensors, read_checkpoint, save_checkpoint
from models.errors import CheckpointError
from models.families.vqvae import VQVAEModel
from models.loading import RESOURCES, load_latent_model, load_model
from models.nets import build_net
from tests.models.factories import BASE, SIZE

ARCH = {"type": "VQVAE", "channels": 3, "image_size": SIZE, "codes": 8, "code_dim": 4, "width": 8, "downsample": 2}


def images(n: int, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((n, SIZE, SIZE, 3)) * 255).astype(np.uint8)


@pytest.fixture
def tiny(tmp_path) -> VQVAEModel:
    torch.manual_seed(0)
    net = build_net(ARCH)
    path = tmp_path / "vq.safetensors"
    save_checkpoint(path, module_tensors(net, "vqvae."), {"family": "vqvae", "name": "vq", "architecture": ARCH, **BASE})
    return load_latent_model(path)


def test_native_checkpoint_encodes_to_the_pre_quantisation_map_and_decodes(tiny):
    assert isinstance(tiny, VQVAEModel) and tiny.family == tiny.info.family == "vqvae"
    assert tiny.latent_shape == (4, 4, 4) and tiny.code_grid_shape == (4, 4) and tiny.codebook_size == 8
    z = tiny.encode(images(5))
    assert z.shape == (5, 4, 4, 4) and z.dtype == np.float32
    out = tiny.decode(z)
    assert out.shape == (5, SIZE, SIZE, 3) and out.dtype == np.uint8
    assert "re-quantised" in tiny.info.provenance["walk_note"] and tiny.info.walk == "lerp"


def test_decode_re_quantises_to_the_nearest_codes(tiny):
    z = tiny.encode(images(4))
    codes = tiny.code_indices(z)
    q = tiny.code_vectors(codes)
    assert not np.allclose(q, z)  # the encoder's map is not on the codebook...
    assert np.array_equal(tiny.decode(z), tiny.decode(q))  # ...but draws as its quantisation
    # A cell moved onto another code draws differently.
    moved = q.copy()
    moved[0, :, 0, 0] = tiny.codebook[(codes[0, 0, 0] + 1) % 8]
    assert tiny.code_indices(moved)[0, 0, 0] != codes[0, 0, 0]
    assert not np.array_equal(tiny.decode(moved)[0], tiny.decode(q)[0])


def test_codes_and_decode_codes_round_trip(tiny):
    grids = np.random.default_rng(1).integers(0, 8, (6, 4, 4))
    vectors = tiny.code_vectors(grids)
    assert vectors.shape == (6, 4, 4, 4) and vectors.dtype == np.float32
    assert np.array_equal(vectors[2, :, 1, 3], tiny.codebook[grids[2, 1, 3]])
    assert np.array_equal(tiny.code_indices(vectors), grids)
    assert np.array_equal(tiny.code_indices(vectors.reshape(6, -1)), grids)  # flat, as the bank holds them
    assert tiny.code_indices(vectors).dtype == np.int64
    assert np.array_equal(tiny.decode_codes(grids, batch_size=4), tiny.decode(vectors))
    for bad in (np.full((1, 4, 4), 8), np.full((1, 4, 4), -1), np.zeros((1, 3, 4), int), np.zeros((1, 4, 4), np.float32)):
        with pytest.raises(ValueError):
            tiny.code_vectors(bad)


def test_codebook_usage_counts_grid_cells_per_code(tiny):
    grids = np.zeros((3, 4, 4), np.int64)
    grids[0, :2] = 5
    grids[1, 0, 0] = 7
    usage = tiny.codebook_usage(tiny.code_vectors(grids))
    assert usage.dtype == np.int64 and usage.shape == (8,)
    assert usage.tolist() == [48 - 9, 0, 0, 0, 0, 8, 0, 1]
    z = tiny.encode(images(7))
    assert tiny.codebook_usage(z).sum() == 7 * 16
    assert np.array_equal(tiny.codebook_usage(z), np.bincount(tiny.code_indices(z).ravel(), minlength=8))


def test_samples_depend_only_on_seed_and_index(tiny):
    a, b = tiny.sample_latents(3, [0, 1, 2]), tiny.sample_latents(3, [2])
    assert a.shape == (3, 4, 4, 4) and np.array_equal(a[2], b[0])
    # Without a fitted prior each cell holds a code drawn uniformly.
    assert np.array_equal(tiny.code_vectors(tiny.code_indices(a)), a)
    assert "uniformly" in tiny.info.prior


def test_a_checkpoint_whose_codebook_does_not_fit_is_refused(tmp_path):
    net = build_net(ARCH)
    tensors = module_tensors(net, "vqvae.")
    tensors["vqvae.quantizer.codebook"] = torch.zeros(9, 4)
    path = tmp_path / "bad.safetensors"
    save_checkpoint(path, tensors, {"family": "vqvae", "architecture": ARCH, **BASE})
    with pytest.raises(CheckpointError, match=r"bad.safetensors: tensor vqvae.quantizer.codebook has shape \(9, 4\)"):
        load_model(path)


def test_a_configuration_asking_for_an_absurd_downsampling_is_refused_at_once(tmp_path):
    net = build_net(ARCH)
    path = tmp_path / "deep.safetensors"
    save_checkpoint(path, module_tensors(net, "vqvae."),
                    {"family": "vqvae", "architecture": {**ARCH, "downsample": 10**9}, **BASE})
    with pytest.raises(CheckpointError, match=r"deep.safetensors: .*does not halve 1000000000 times"):
        load_model(path)


def test_train_vqvae_writes_a_checkpoint_with_usage_and_a_prior(tmp_path):
    out = tmp_path / "vq.safetensors"
    tiny_run = ["--n", "64", "--size", "16", "--batch-size", "16", "--quiet", "--device", "cpu"]
    assert main(["train", "vqvae", "--out", str(out), "--epochs", "1", "--codebook", "16", "--latent-dim", "4",
                 "--width", "8", *tiny_run]) == 0
    config, tensors = read_checkpoint(out)
    assert config["family"] == "vqvae" and config["architecture"]["codes"] == 16
    assert config["training"]["steps"] == 4 and 0 < config["training"]["codebook"]["used"] <= 16
    assert "prior.basis" in tensors and out.with_suffix(".png").stat().st_size > 100
    model = load_latent_model(out)
    assert "principal components" in model.info.prior
    z = model.sample_latents(0, [0, 1])
    assert np.array_equal(model.sample_latents(0, [1])[0], z[1])
    assert model.decode(z).shape == (2, 16, 16, 3)


# -- diffusers VQModel ------------------------------------------------------------
def tiny_vqmodel():
    import diffusers

    torch.manual_seed(0)
    return diffusers.VQModel(
        in_channels=3, out_channels=3, block_out_channels=(8, 16), latent_channels=4, num_vq_embeddings=12,
        vq_embed_dim=3, norm_num_groups=4, sample_size=16, layers_per_block=1,
        down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
    )


def test_diffusers_vqmodel_directory_opens_and_decodes_as_diffusers_does(tmp_path):
    vq = tiny_vqmodel().eval()
    vq.save_pretrained(tmp_path / "vq", safe_serialization=True)
    model = load_latent_model(tmp_path / "vq")
    assert isinstance(model, VQVAEModel) and model.info.family == "vqvae"
    assert model.latent_shape == (3, 8, 8) and model.codebook_size == 12 and model.code_grid_shape == (8, 8)
    assert model.info.provenance["detected"] == "diffusers VQModel (12 codes of 3, grid 8×8), 16×16 RGB"
    x = images(3)
    z = model.encode(x)
    with torch.inference_mode():
        from models.imaging import to_tensor, to_uint8

        h = vq.encode(to_tensor(x)).latents
        reference = to_uint8(vq.decode(h).sample.clamp(-1, 1))  # diffusers quantises inside decode
        _, _, (_, _, indices) = vq.quantize(h)
    assert np.allclose(z, h.numpy(), atol=1e-5)
    assert np.array_equal(model.decode(z), reference)
    assert np.array_equal(model.code_indices(z).ravel(), indices.numpy().ravel())
    assert np.array_equal(model.decode_codes(model.code_indices(z)), reference)
    assert model.codebook_usage(z).sum() == 3 * 64


def test_diffusers_vqmodel_with_pickled_weights_only_is_refused(tmp_path):
    tiny_vqmodel().save_pretrained(tmp_path / "vq", safe_serialization=False)
    with pytest.raises(CheckpointError, match="only safetensors weights are read"):
        load_model(tmp_path / "vq")


# -- the bundled model -------------------------------------------------------------
@pytest.mark.skipif(not (RESOURCES / "toyfaces_vqvae.safetensors").exists(), reason="bundled model not built yet")
def test_bundled_vqvae_reconstructs_toyfaces_and_uses_its_codebook():
    from models.data import load_dataset
    from models.evaluation import HELD_OUT_SEEDS

    model = load_latent_model("toyfaces_vqvae")
    assert (RESOURCES / "toyfaces_vqvae.safetensors").stat().st_size < 2 * 1024 * 1024
    assert model.info.family == "vqvae" and model.info.dataset == "toyfaces"
    real = load_dataset("toyfaces", n=500, seed=HELD_OUT_SEEDS[0], size=32).images
    z = model.encode(real)
    assert model.reconstruction_error(real, z).mean() < 0.05  # its card: 0.043
    usage = model.codebook_usage(z)
    assert (usage == 0).sum() <= 4, f"dead codes: {np.flatnonzero(usage == 0).tolist()}"
    samples = model.decode(model.sample_latents(0, np.arange(8)))
    assert samples.std() > 20
