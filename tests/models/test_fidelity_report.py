"""The fidelity report on real data: healthy sets pass, collapsed ones are caught and explained."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from models.contract import prior_latents
from models.data import load_dataset
from models.errors import LatentExplorerError
from models.evaluation import HELD_OUT_SEEDS
from models.fidelity_report import evaluate_images, evaluate_model, feature_extractor, sampled_latents
from models.loading import bundled_classifier_for, load_latent_model, load_model

N = 300
FIGURES = {"fid", "kid", "inception_score", "precision", "recall", "density", "coverage"}


@pytest.fixture(scope="module")
def classifier():
    return load_model("toyfaces_classifier")


@pytest.fixture(scope="module")
def real():
    """Two held-out toyfaces sets (reference and its second half for floors) and a fresh third one."""
    return tuple(load_dataset("toyfaces", n=N, seed=s, size=32) for s in (*HELD_OUT_SEEDS[:2], 4242))


@pytest.fixture(scope="module")
def dcgan():
    model = load_latent_model("toyfaces_dcgan")
    return model, bundled_classifier_for(model)


@pytest.fixture(scope="module")
def dcgan_report(dcgan):
    return evaluate_model(*dcgan, n=N, seed=0)


def test_fresh_toyfaces_are_not_collapsed(real, classifier):
    ref, ref_b, fresh = real
    report = evaluate_images(fresh.images, ref.images, classifier, reference_b=ref_b.images)
    assert not report["collapse"], report["verdict"]["reasons"]
    assert report["verdict"] == {"reasons": [], "missing_modes": [], "dominant_mode": None}
    figures = report["figures"]
    # Real against real reads about its own floor.
    for name in ("precision", "recall", "coverage"):
        assert figures[name]["value"] > 0.8 * figures[name]["floor"]
    assert figures["fid"]["value"] < 3 * figures["fid"]["floor"] + 1.0


def test_one_attribute_combination_is_collapsed_and_the_missing_modes_named(real, classifier):
    ref, ref_b, _ = real
    many = load_dataset("toyfaces", n=2000, seed=77, size=32)
    smiling_only = (many.attributes > 0.5) == np.array([name == "smiling" for name in many.attribute_names])
    generated = many.images[smiling_only.all(1)]
    assert len(generated) > 100
    report = evaluate_images(generated, ref.images, classifier, reference_b=ref_b.images)
    assert report["collapse"]
    missing = report["verdict"]["missing_modes"]
    assert "smiling" not in missing and {"none", "male", "glasses"} <= set(missing)
    assert any("'glasses'" in reason and "missing" in reason for reason in report["verdict"]["reasons"])
    assert report["verdict"]["dominant_mode"] == "smiling"
    # Real examples of each missing mode: reference images that do show that combination.
    names = list(ref.attribute_names)
    shown = 0
    for mode, indices in report["examples"]["missing"].items():
        assert mode in missing and 0 < len(indices) <= 8
        wanted = set() if mode == "none" else set(mode.split("+"))
        shown += sum({names[j] for j in np.flatnonzero(ref.attributes[i] > 0.5)} == wanted for i in indices)
        total = sum(len(v) for v in report["examples"]["missing"].values())
    assert shown >= 0.9 * total


def test_truncated_dcgan_is_collapsed_and_untruncated_is_not(dcgan, dcgan_report):
    assert not dcgan_report["collapse"], dcgan_report["verdict"]["reasons"]
    truncated = evaluate_model(*dcgan, n=N, truncate=0.05, seed=0)
    assert truncated["collapse"]
    assert len(truncated["verdict"]["missing_modes"]) >= 5
    assert truncated["figures"]["coverage"]["value"] < 0.5 * truncated["figures"]["coverage"]["floor"]
    assert truncated["figures"]["inception_score"]["value"] < dcgan_report["figures"]["inception_score"]["value"] / 3
    # The DCGAN's prior is attribute codes, not N(0, I): the report says what truncation did instead.
    assert truncated["truncate"] == 0.05 and "not N(0, I)" in truncated["sampling"] and "0.05" in truncated["sampling"]


def test_report_layout_is_json_ready(dcgan_report):
    report = json.loads(json.dumps(dcgan_report))  # plain types only
    assert set(report) == {"features", "n_generated", "n_reference", "k", "seed", "truncate", "figures", "modes",
                           "collapse", "verdict", "curves", "examples", "model", "checkpoint", "sampling", "reference"}
    assert report["features"] == "bundled classifier penultimate features (128-d)"
    assert (report["n_generated"], report["n_reference"], report["k"], report["truncate"]) == (N, N, 5, None)
    assert set(report["figures"]) == FIGURES
    for name, fig in report["figures"].items():
        assert fig["better"] == ("lower" if name in ("fid", "kid") else "higher")
        assert np.isfinite([fig["value"], fig["floor"]]).all()
    assert "std_error" in report["figures"]["kid"] and "std" in report["figures"]["inception_score"]
    modes = report["modes"]
    assert sum(modes["generated_counts"]) == N and sum(modes["reference_counts"]) == N
    assert len(set(map(len, modes.values()))) == 1
    curves = report["curves"]
    assert len(curves["n"]) >= 4 and curves["n"] == sorted(set(curves["n"])) and curves["n"][-1] == N
    assert all(len(curves[key]) == len(curves["n"]) for key in curves)
    assert curves["coverage"][-1] == report["figures"]["coverage"]["value"]
    assert report["model"] == "toyfaces-dcgan" and report["checkpoint"].endswith("toyfaces_dcgan.safetensors")


def test_truncation_scales_the_prior_draw(dcgan):
    ldm = load_latent_model("toyfaces_ldm")  # an N(0, I) prior: truncation is N(0, S²·I)
    latents, words = sampled_latents(ldm, 5, 0.5, seed=3)
    assert np.array_equal(latents, 0.5 * prior_latents(ldm.latent_shape, 3, np.arange(5)))
    assert "N(0, 0.5²·I)" in words
    plain, words = sampled_latents(dcgan[0], 5, None, seed=3)
    assert np.array_equal(plain, dcgan[0].sample_latents(3, np.arange(5))) and "prior" in words
    halved, _ = sampled_latents(dcgan[0], 5, 0.5, seed=3)
    assert np.array_equal(halved, 0.5 * plain)
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(LatentExplorerError, match="positive"):
            sampled_latents(dcgan[0], 5, bad, seed=3)


def test_progress_counts_up_to_its_total_and_can_cancel(dcgan):
    calls = []
    evaluate_model(*dcgan, n=40, seed=0, progress=lambda done, total: calls.append((done, total)))
    totals = {t for _, t in calls}
    assert len(totals) == 1 and calls[-1][0] == calls[-1][1]
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)

    class Cancelled(Exception):
        pass

    def cancel(done, total):
        raise Cancelled

    with pytest.raises(Cancelled):
        evaluate_model(*dcgan, n=40, seed=0, progress=cancel)


# -- bad input ----------------------------------------------------------------------

def test_empty_sets_are_refused(real, classifier):
    empty = np.zeros((0, 32, 32, 3), np.uint8)
    with pytest.raises(LatentExplorerError, match="generated set is empty"):
        evaluate_images(empty, real[0].images, classifier)
    with pytest.raises(LatentExplorerError, match="reference set is empty"):
        evaluate_images(real[0].images, empty, classifier)


def test_images_of_the_wrong_size_are_refused(real, classifier):
    small = np.zeros((20, 16, 16, 3), np.uint8)
    with pytest.raises(LatentExplorerError, match="16×16×3; the classifier takes 32×32×3"):
        evaluate_images(small, real[0].images, classifier)
    grey = np.zeros((20, 32, 32, 1), np.uint8)
    with pytest.raises(LatentExplorerError, match="reference images are 32×32×1"):
        evaluate_images(real[0].images, grey, classifier)


def test_a_reference_of_one_image_is_refused(real, classifier):
    with pytest.raises(LatentExplorerError, match=r"reference set holds 1 image\(s\); at least 12 are needed"):
        evaluate_images(real[0].images, real[1].images[:1], classifier)


def test_a_reference_folder_of_one_image_is_refused(dcgan, real, tmp_path):
    from PIL import Image

    Image.fromarray(real[0].images[0]).save(tmp_path / "only.png")
    with pytest.raises(LatentExplorerError, match="holds 1 image"):
        evaluate_model(*dcgan, n=20, reference_dir=tmp_path)


# -- feature extractors ---------------------------------------------------------------

def test_missing_inception_weights_give_a_clear_message(tmp_path):
    absent = tmp_path / "inception-2015-12-05.pt"
    with pytest.raises(LatentExplorerError, match="inception-2015-12-05.pt: no such file .*nothing is downloaded"):
        feature_extractor("inception", path=str(absent))
    with pytest.raises(LatentExplorerError, match="Inception-v3 TorchScript file"):
        feature_extractor("inception", path=None)


def test_a_file_that_is_not_torchscript_is_refused(tmp_path):
    bogus = tmp_path / "features.pt"
    bogus.write_text("not a model")
    with pytest.raises(LatentExplorerError, match="features.pt: not a TorchScript module"):
        feature_extractor(str(bogus))


class InceptionLike(torch.nn.Module):
    """Stands in for NVIDIA's Inception TorchScript: reports what it was fed."""

    def forward(self, x: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        assert return_features
        n = x.shape[0]
        shape = torch.tensor([x.shape[1], x.shape[2], x.shape[3]], dtype=torch.float32).expand(n, 3)
        return torch.cat([shape, x.amax(dim=(1, 2, 3)).unsqueeze(1)], 1)


def test_inception_features_get_299_pixel_rgb_images_in_0_255(tmp_path):
    path = tmp_path / "inception.pt"
    torch.jit.save(torch.jit.script(InceptionLike()), str(path))
    extract, words = feature_extractor("inception", path=str(path))
    grey = np.full((3, 32, 32, 1), 255, np.uint8)
    assert extract(grey) == pytest.approx(np.array([[3, 299, 299, 255]] * 3))
    assert "Inception-v3" in words and "inception.pt" in words


class Pool(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.adaptive_avg_pool2d(x, 4)


def test_any_torchscript_feature_extractor_by_path(tmp_path, real, classifier):
    path = tmp_path / "pool.pt"
    torch.jit.save(torch.jit.script(Pool()), str(path))
    extract, _ = feature_extractor(str(path))
    images = real[0].images[:5]
    # Floats in [0, 1]: the 4×4 average of the first pixel block is the image's block mean / 255.
    expected = images[:, :8, :8, :].reshape(5, -1, 3).mean(1) / 255.0
    assert extract(images).reshape(5, 3, 16)[:, :, 0] == pytest.approx(expected, rel=1e-5)
    ref, ref_b, fresh = real
    report = evaluate_images(fresh.images, ref.images, classifier, features=str(path), reference_b=ref_b.images)
    assert report["features"] == "TorchScript features from pool.pt"
    assert not report["collapse"]
    assert np.isfinite([f["value"] for f in report["figures"].values()]).all()
