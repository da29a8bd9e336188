"""The disk cache of t-SNE/UMAP coordinates: a layout is computed once per bank."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.inference import layout_cache


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_EXPLORER_CACHE_DIR", str(tmp_path))


def test_coordinates_come_back_for_the_same_codes_and_method_only():
    z = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
    coords = np.random.default_rng(1).standard_normal((50, 2)).astype(np.float32)
    assert layout_cache.load(z, "t-SNE") is None
    layout_cache.save(z, "t-SNE", coords)
    assert np.array_equal(layout_cache.load(z, "t-SNE"), coords)
    assert layout_cache.load(z, "UMAP") is None
    other = z.copy()
    other[0, 0] += 1e-3
    assert layout_cache.load(other, "t-SNE") is None


def test_a_damaged_entry_is_ignored_and_removed(tmp_path):
    z = np.ones((4, 3), np.float32)
    path = tmp_path / f"layout-{layout_cache.layout_key(z, 't-SNE')}.npy"
    path.write_bytes(b"not numpy")
    assert layout_cache.load(z, "t-SNE") is None and not path.exists()
    np.save(path, np.zeros((3, 2), np.float32))  # the wrong number of points
    assert layout_cache.load(z, "t-SNE") is None and not path.exists()


def test_an_unwritable_cache_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("LATENT_EXPLORER_CACHE_DIR", str(blocker / "sub"))
    layout_cache.save(np.ones((2, 2), np.float32), "t-SNE", np.zeros((2, 2), np.float32))
