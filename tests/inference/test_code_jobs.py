"""The worker's code-map requests on a real (tiny) VQ-VAE file: decode edited grids,
code maps and usage of continuous maps over several chunks, and the refusals."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.inference.code_jobs import CHUNK, serve_codes
from explorer.inference.requests import CodeInfo, DecodeCodes
from models.loading import load_latent_model
from tests.ui.vqvae_checkpoint import save_tiny_vqvae


@pytest.fixture
def model(tmp_path):
    return load_latent_model(save_tiny_vqvae(tmp_path))


def test_decoding_grids_gives_their_images_and_code_vectors(model):
    grids = np.random.default_rng(0).integers(0, model.codebook_size, (3, 8, 8))
    out = serve_codes(model, DecodeCodes(grids, "use"), lambda d, t: None)
    assert np.array_equal(out["images"], model.decode_codes(grids))
    assert np.array_equal(out["latents"], model.code_vectors(grids))
    swatches = serve_codes(model, DecodeCodes(grids, "swatches"), lambda d, t: None)
    assert "latents" not in swatches and len(swatches["images"]) == 3


def test_code_info_counts_usage_over_chunks_with_progress(model):
    latents = model.sample_latents(0, np.arange(CHUNK + 20)).reshape(CHUNK + 20, -1)  # flat, as the bank holds them
    seen = []
    out = serve_codes(model, CodeInfo(latents, purpose="usage"), lambda d, t: seen.append((d, t)))
    assert np.array_equal(out["usage"], model.codebook_usage(latents)) and out["maps"] == CHUNK + 20
    assert seen == [(CHUNK, CHUNK + 20), (CHUNK + 20, CHUNK + 20)]
    assert "codes" not in out and out["codebook_size"] == 16 and out["grid_shape"] == (8, 8)
    one = serve_codes(model, CodeInfo(latents[:2], with_images=True), lambda d, t: None)
    assert np.array_equal(one["codes"], model.code_indices(latents[:2]))
    # decode re-quantises: the continuous maps draw as their codes do
    assert np.array_equal(one["images"], model.decode(latents[:2].reshape(2, *model.latent_shape)))


def test_codes_outside_the_book_and_grids_of_another_shape_are_refused(model):
    with pytest.raises(ValueError, match="0–15"):
        serve_codes(model, DecodeCodes(np.full((1, 8, 8), 16)), lambda d, t: None)
    with pytest.raises(ValueError, match=r"the model's are \(8, 8\)"):
        serve_codes(model, DecodeCodes(np.zeros((1, 4, 4))), lambda d, t: None)


def test_a_model_without_a_codebook_is_refused_in_one_line(qtbot, client, tiny_checkpoints):
    with qtbot.waitSignal(client.modelLoaded, timeout=20000):
        client.load(str(tiny_checkpoints["vae"]), "cpu")
    with qtbot.waitSignal(client.failed, timeout=10000) as failed:
        client.submit(DecodeCodes(np.zeros((1, 2, 2))))
    assert failed.args[1].endswith("has no codebook; code maps are a VQ-VAE's") and "\n" not in failed.args[1]
