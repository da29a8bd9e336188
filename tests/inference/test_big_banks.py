"""Large banks: memory-mapped cache entries, PCA fitted in the worker, t-SNE on a subsample."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.core import projection
from explorer.core.projection import PCAProjection, embed, subsample_note
from explorer.core.session import ExplorerSession
from explorer.inference import bank_cache
from explorer.inference.bank_builder import build_bank
from explorer.inference.requests import BankResult
from models.loading import load_latent_model


def _same_up_to_sign(a: np.ndarray, b: np.ndarray, atol: float) -> bool:
    return all(np.allclose(a[:, j], s * b[:, j], atol=atol) for j in range(a.shape[1])
               for s in [np.sign(a[:, j] @ b[:, j]) or 1.0])


def test_a_large_bank_is_cached_memory_mapped(tmp_path, monkeypatch, tiny_checkpoints):
    monkeypatch.setenv("LATENT_EXPLORER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(bank_cache, "MMAP_THRESHOLD", 20)
    model = load_latent_model(tiny_checkpoints["vae"])
    bank = build_bank(model, 30, 0)
    key = bank_cache.cache_key(model, 30, 0)
    bank_cache.save(key, bank)
    assert (tmp_path / key).is_dir() and not (tmp_path / f"{key}.npz").exists()
    again = bank_cache.load(key)
    assert isinstance(again.latents, np.memmap) and isinstance(again.thumbnails, np.memmap)
    assert np.array_equal(again.latents, bank.latents) and np.array_equal(again.thumbnails, bank.thumbnails)
    assert again.source == bank.source and np.array_equal(again.attributes["male"], bank.attributes["male"])
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())  # nothing left half-written


def test_a_small_bank_stays_one_npz(tmp_path, monkeypatch, tiny_checkpoints):
    monkeypatch.setenv("LATENT_EXPLORER_CACHE_DIR", str(tmp_path))
    model = load_latent_model(tiny_checkpoints["gan"])
    key = bank_cache.cache_key(model, 12, 0)
    bank_cache.save(key, build_bank(model, 12, 0))
    assert (tmp_path / f"{key}.npz").exists()
    assert not isinstance(bank_cache.load(key).latents, np.memmap)


def test_a_damaged_large_entry_is_ignored_and_removed(tmp_path, monkeypatch, tiny_checkpoints):
    monkeypatch.setenv("LATENT_EXPLORER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(bank_cache, "MMAP_THRESHOLD", 5)
    model = load_latent_model(tiny_checkpoints["gan"])
    key = bank_cache.cache_key(model, 12, 0)
    bank_cache.save(key, build_bank(model, 12, 0))
    latents = tmp_path / key / "latents.npy"
    latents.write_bytes(latents.read_bytes()[:-40])  # truncated: the map would run past the end
    assert bank_cache.load(key) is None
    assert not (tmp_path / key).exists()


def test_the_worker_sends_the_pca_the_session_would_fit(qtbot, client, tiny_checkpoints):
    with qtbot.waitSignal(client.modelLoaded, timeout=20000):
        client.load(str(tiny_checkpoints["vae"]), "cpu")
    with qtbot.waitSignal(client.bankReady, timeout=30000) as blocker:
        client.build_bank(n=40)
    result = blocker.args[0]
    assert isinstance(result, BankResult) and result.points.shape == (40, 2)
    own = ExplorerSession()
    own.set_bank(result.bank)  # no projection given: fitted here, as before
    assert _same_up_to_sign(result.points, own.points, atol=1e-4)
    given = ExplorerSession()
    given.set_bank(result.bank, "", (result.projection, result.points))
    assert given.points is result.points and given.layout_title()[2].startswith("PCA")


def test_pca_on_a_large_bank_matches_the_exact_fit(monkeypatch):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((3000, 16)) * np.r_[6.0, 3.0, np.full(14, 0.5)]).astype(np.float32)
    exact = PCAProjection(2).fit(x)
    monkeypatch.setattr(projection, "EXACT_SVD_ROWS", 100)
    monkeypatch.setattr(projection, "CHUNK", 512)  # several chunks
    chunked = PCAProjection(2).fit(x)
    assert _same_up_to_sign(exact.transform(x), chunked.transform(x), atol=1e-3)
    assert np.allclose(exact.explained_variance_ratio_, chunked.explained_variance_ratio_, atol=1e-6)
    monkeypatch.setattr(projection, "COVARIANCE_MAX_DIMS", 4)  # wide codes: randomised SVD of a subsample
    monkeypatch.setattr(projection, "RANDOMISED_ROWS", 2000)
    randomised = PCAProjection(2).fit(x)
    assert _same_up_to_sign(exact.transform(x), randomised.transform(x), atol=0.3)
    assert np.allclose(exact.explained_variance_ratio_, randomised.explained_variance_ratio_, atol=0.02)


def test_tsne_on_a_large_bank_runs_on_a_subsample_and_places_the_rest(monkeypatch):
    pytest.importorskip("sklearn")
    monkeypatch.setattr(projection, "SUBSAMPLE_THRESHOLD", 300)
    monkeypatch.setattr(projection, "SUBSAMPLE", 300)
    seen = []
    real = projection._embed
    monkeypatch.setattr(projection, "_embed", lambda m, x, s: seen.append(len(x)) or real(m, x, s))
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 8)) * 10
    x = (centres[np.arange(600) % 3] + rng.standard_normal((600, 8))).astype(np.float32)
    coords = embed("t-SNE", x)
    assert seen == [300]
    assert coords.shape == (600, 2) and np.isfinite(coords).all()
    assert "300 of 600" in subsample_note("t-SNE", 600) and subsample_note("PCA", 600) == ""
    # Placed points land among the embedded points of their own cluster.
    label = np.arange(600) % 3
    for c in range(3):
        mine = coords[label == c]
        assert np.linalg.norm(mine - mine.mean(0), axis=1).mean() < np.linalg.norm(coords - coords.mean(0), axis=1).mean()


def test_a_large_bank_is_built_straight_into_its_cache_folder(tmp_path, monkeypatch):
    """Thumbnails stream into a memory-mapped file chunk by chunk (labelled chunk by
    chunk too) and the entry equals the bank built in memory, byte for byte."""
    from explorer.inference import bank_builder

    monkeypatch.setenv("LATENT_EXPLORER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(bank_builder, "CHUNK", 256)  # several chunks for a small bank
    from models.loading import RESOURCES

    model = load_latent_model(RESOURCES / "toyfaces_dcgan.safetensors")  # has a classifier to label with
    in_memory = build_bank(model, 700, 3)
    assert "labelled by the bundled classifier" in in_memory.source
    key = bank_cache.cache_key(model, 700, 3)
    scratch = bank_cache.Scratch(key)
    allocated = []
    built = build_bank(model, 700, 3, allocate=lambda *a: allocated.append(a[0]) or scratch.allocate(*a))
    assert allocated == ["thumbnails"] and isinstance(built.thumbnails, np.memmap)
    scratch.commit(built)
    scratch.discard()
    cached = bank_cache.load(key)
    assert isinstance(cached.thumbnails, np.memmap)
    assert np.array_equal(cached.thumbnails, in_memory.thumbnails)
    assert np.array_equal(cached.latents, in_memory.latents)
    for name in in_memory.attributes:
        assert np.array_equal(cached.attributes[name], in_memory.attributes[name])
    if in_memory.labels is not None:
        assert np.array_equal(cached.labels, in_memory.labels)
    assert sorted(p.name for p in tmp_path.iterdir()) == [key]  # no scratch folder left behind


def test_a_scratch_folder_on_a_full_disk_falls_back_to_memory(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("LATENT_EXPLORER_CACHE_DIR", str(tmp_path))

    def no_room(*_a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", no_room, raising=False)
    scratch = bank_cache.Scratch("k")
    array = scratch.allocate("thumbnails", (4, 2, 2, 3), np.uint8)
    assert not isinstance(array, np.memmap) and array.shape == (4, 2, 2, 3)
    assert not any(scratch.tmp.iterdir())
    scratch.discard()


def test_building_a_bank_decodes_in_batches(tiny_checkpoints):
    """A bank is decoded 256 codes per forward pass, never one by one (the real decoder, counted)."""
    model = load_latent_model(tiny_checkpoints["gan"])
    real, sizes = model._decode_batch, []
    model._decode_batch = lambda z: sizes.append(len(z)) or real(z)
    build_bank(model, 700, 0)
    assert sizes == [256, 256, 188]
