"""Text-to-image pipeline directories: a tiny random StableDiffusionPipeline saved by
diffusers' own save_pretrained, opened through models.loading like any checkpoint."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

pytest.importorskip("transformers")

from models.errors import CheckpointError  # noqa: E402
from models.loading import load_latent_model  # noqa: E402
from tests.text_to_image_fixture import IMAGE, LATENT, make_text_to_image_pipeline  # noqa: E402

STEPS = 3  # a few DDIM steps keep each decode well under a second


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory):
    return make_text_to_image_pipeline(tmp_path_factory.mktemp("t2i") / "pipe")


@pytest.fixture(scope="module")
def model(pipeline_dir):
    return load_latent_model(pipeline_dir)


@pytest.fixture
def fresh(model):
    model.set_prompt("", steps=STEPS)
    yield model
    model.set_prompt("", steps=STEPS)


def _copy(pipeline_dir, tmp_path):
    return shutil.copytree(pipeline_dir, tmp_path / "copy")


def test_opens_as_a_text_to_image_model(model):
    assert model.family == model.info.family == "text2image"
    assert model.latent_shape == LATENT and model.info.image_size == IMAGE and model.info.channels == 3
    assert "StableDiffusionPipeline" in model.info.provenance["detected"]
    assert model.steps == 25 and model.guidance == 7.5 and model.prompt == "" and model.negative_prompt == ""


def test_decode_is_deterministic_with_progress_per_step(fresh):
    z = fresh.sample_latents(0, [0, 1])
    assert np.array_equal(z, fresh.sample_latents(0, [0, 1]))
    fresh.set_prompt("a man with glasses", steps=STEPS)
    seen = []
    a = fresh.decode(z, progress=lambda done, total: seen.append((done, total)))
    assert a.shape == (2, IMAGE, IMAGE, 3) and a.dtype == np.uint8
    assert seen[-1] == (STEPS, STEPS) and len(seen) == STEPS  # one batch of two, a report per step
    assert np.array_equal(a, fresh.decode(z))
    assert not np.array_equal(a[0], a[1])


def test_prompt_and_guidance_change_the_image(fresh):
    z = fresh.sample_latents(1, [0])
    fresh.set_prompt("a man", steps=STEPS)
    man = fresh.decode(z)
    fresh.set_prompt("a woman smiling", steps=STEPS)
    woman = fresh.decode(z)
    fresh.set_prompt("a woman smiling", guidance=1.0, steps=STEPS)
    unguided = fresh.decode(z)
    fresh.set_prompt("a woman smiling", negative="glasses", steps=STEPS)
    negative = fresh.decode(z)
    assert not np.array_equal(man, woman)
    assert not np.array_equal(woman, unguided)
    assert not np.array_equal(woman, negative)
    assert fresh.guidance == 7.5 and fresh.negative_prompt == "glasses"


def test_prompt_arithmetic_decodes_the_sum_of_embeddings(fresh):
    a, b, c = (fresh.embed_prompt(t) for t in ("a man with glasses", "a man", "a woman"))
    assert a.dtype == np.float32 and a.shape == (fresh.embedding_size,) and not np.array_equal(a, b)
    z = fresh.sample_latents(2, [0])
    fresh.set_prompt("a woman", steps=STEPS)
    woman = fresh.decode(z)
    fresh.set_prompt_embedding(a - b + c, '"a man with glasses" - "a man" + "a woman"')
    glasses = fresh.decode(z)
    assert not np.array_equal(glasses, woman)
    # The embedding of a prompt, set as an embedding, is that prompt.
    fresh.set_prompt_embedding(c, "a woman")
    assert np.array_equal(fresh.decode(z), woman)
    fresh.set_prompt_embedding(None)
    assert fresh.recipe()["embedding"] is None and np.array_equal(fresh.decode(z), woman)
    with pytest.raises(ValueError, match="embedding of 3 values"):
        fresh.set_prompt_embedding(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="NaN"):
        fresh.set_prompt_embedding(np.full(fresh.embedding_size, np.nan, np.float32))


def test_recipe_carries_everything_and_restores(fresh):
    fresh.set_prompt("a man", negative="blurry", guidance=5.0, steps=4)
    fresh.set_prompt_embedding(fresh.embed_prompt("a man"), '"a man" + "x"')
    recipe = fresh.recipe()
    assert json.loads(json.dumps(recipe)) == recipe
    assert recipe["prompt"] == "a man" and recipe["negative_prompt"] == "blurry"
    assert recipe["guidance"] == 5.0 and recipe["steps"] == 4 and recipe["embedding"] == '"a man" + "x"'
    assert len(recipe["embedding_sha256"]) == 64
    fresh.set_prompt_embedding(fresh.embed_prompt("a woman"), '"a man" + "x"')
    assert fresh.recipe()["embedding_sha256"] != recipe["embedding_sha256"]
    assert recipe["sampler"] == "DDIM" and recipe["eta"] == 0.0 and "DDIMScheduler" in recipe["scheduler"]
    fresh.set_prompt("", steps=STEPS)
    fresh.apply_recipe(recipe)
    assert (fresh.prompt, fresh.negative_prompt, fresh.guidance, fresh.steps) == ("a man", "blurry", 5.0, 4)


def test_bad_settings_are_refused(fresh):
    for kwargs, words in (({"guidance": float("nan")}, "guidance"), ({"guidance": -1}, "guidance"),
                          ({"steps": 0}, "steps"), ({"steps": 10**6}, "steps")):
        with pytest.raises(ValueError, match=words):
            fresh.set_prompt("a man", **kwargs)
    assert fresh.prompt == "" and fresh.steps == STEPS  # nothing half-set


def test_steps_hint_from_the_loader(pipeline_dir):
    assert load_latent_model(pipeline_dir, steps=7).steps == 7


def test_pickled_unet_weights_are_refused(pipeline_dir, tmp_path):
    from diffusers import UNet2DConditionModel

    folder = _copy(pipeline_dir, tmp_path)
    unet = UNet2DConditionModel.from_pretrained(folder / "unet")
    (folder / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    unet.save_pretrained(folder / "unet", safe_serialization=False)
    with pytest.raises(CheckpointError, match=r"unet: has only diffusion_pytorch_model\.bin weights.*unpickling"):
        load_latent_model(folder)


def test_pickled_text_encoder_weights_are_refused(pipeline_dir, tmp_path):
    import torch
    from safetensors.torch import load_file

    folder = _copy(pipeline_dir, tmp_path)
    weights = folder / "text_encoder" / "model.safetensors"
    # What transformers writes with safe_serialization=False: the state dict, pickled.
    torch.save(load_file(weights), folder / "text_encoder" / "pytorch_model.bin")
    weights.unlink()
    with pytest.raises(CheckpointError, match=r"text_encoder: has only pytorch_model\.bin weights"):
        load_latent_model(folder)


def test_missing_tokenizer_is_refused(pipeline_dir, tmp_path):
    folder = _copy(pipeline_dir, tmp_path)
    shutil.rmtree(folder / "tokenizer")
    with pytest.raises(CheckpointError, match=r"has no tokenizer/ folder"):
        load_latent_model(folder)
    (folder / "tokenizer").mkdir()
    with pytest.raises(CheckpointError, match=r"tokenizer: no tokenizer\.json or vocab\.json"):
        load_latent_model(folder)


def test_text_encoder_that_does_not_fit_its_weights_is_refused(pipeline_dir, tmp_path):
    folder = _copy(pipeline_dir, tmp_path)
    config_file = folder / "text_encoder" / "config.json"
    config = json.loads(config_file.read_text())
    config["hidden_size"] = 64
    config_file.write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"text_encoder: config\.json does not match the weights"):
        load_latent_model(folder)
    config["hidden_size"] = 10**7
    config_file.write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"hidden_size 10000000 is beyond"):
        load_latent_model(folder)


def test_inpainting_unet_is_refused(pipeline_dir, tmp_path):
    from diffusers import UNet2DConditionModel

    folder = _copy(pipeline_dir, tmp_path)
    config = UNet2DConditionModel.load_config(folder / "unet")
    config["in_channels"] = 9  # image + mask + masked-image latents
    UNet2DConditionModel.from_config(config).save_pretrained(folder / "unet", safe_serialization=True)
    with pytest.raises(CheckpointError, match=r"takes 9 channels \(an inpainting"):
        load_latent_model(folder)


def test_without_transformers_the_message_says_what_to_install(pipeline_dir, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "transformers", None)  # as if it were not installed: import fails
    with pytest.raises(CheckpointError, match=r"needs the transformers package \(pip install"):
        load_latent_model(pipeline_dir)


def test_fp16_weight_variants_are_read(pipeline_dir, model, tmp_path):
    import torch
    from diffusers import StableDiffusionPipeline

    folder = tmp_path / "fp16"
    pipe = StableDiffusionPipeline.from_pretrained(pipeline_dir).to(torch.float16)
    pipe.save_pretrained(folder, safe_serialization=True, variant="fp16")
    assert (folder / "text_encoder" / "model.fp16.safetensors").is_file()
    assert not (folder / "text_encoder" / "model.safetensors").exists()
    half = load_latent_model(folder, steps=STEPS)
    half.set_prompt("a man", steps=STEPS)
    model.set_prompt("a man", steps=STEPS)
    z = model.sample_latents(3, [0])
    # The same network at half precision: close to the full-precision images, not equal.
    diff = np.abs(half.decode(z).astype(int) - model.decode(z).astype(int))
    assert diff.mean() < 3
    model.set_prompt("", steps=STEPS)
