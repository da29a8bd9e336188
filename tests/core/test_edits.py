import numpy as np
import pytest

from explorer.core.edits import analogy_plane, move_along, noisy_neighbours, vector_from_mask
from tests.core.test_queries_and_vectors import _bank


def test_vector_from_mask_kinds():
    b = _bank()
    glasses = b.attributes["glasses"] >= 0.5
    mean = vector_from_mask("g", b, glasses, "'glasses'", "mean")
    assert np.allclose(mean.vector, b.latents[glasses].mean(0)) and mean.count == glasses.sum()
    attr = vector_from_mask("g", b, glasses, "'glasses'", "attribute")
    assert np.allclose(attr.vector, b.latents[glasses].mean(0) - b.latents[~glasses].mean(0))
    bal = vector_from_mask("g", b, glasses, "'glasses'", "balanced", query="glasses")
    assert "balanced over male" in bal.origin
    bound = vector_from_mask("g", b, glasses, "'glasses'", "boundary")
    assert bound.accuracy is not None and bound.vector.shape == (8,)
    with pytest.raises(ValueError, match="unknown kind"):
        vector_from_mask("g", b, glasses, "x", "median")


def test_move_along_keeps_chosen_directions():
    base = np.zeros(3)
    moved = move_along(base, np.array([1.0, 1.0, 0.0]), 2.0, [np.array([0.0, 1.0, 0.0])])
    assert np.allclose(moved, [2 * np.sqrt(2), 0, 0], atol=1e-6)
    assert np.allclose(move_along(base, np.array([1.0, 2.0, 3.0]), -1.0), [-1, -2, -3])


def test_noisy_neighbours_and_analogy_plane():
    r = np.arange(4.0)
    batch = noisy_neighbours(r, 8, 0.1, seed=1)
    assert batch.shape == (9, 4) and np.array_equal(batch[0], r)
    assert 0 < np.abs(batch[1:] - r).max() < 1.0
    a, b, c = np.array([0.0, 0]), np.array([1.0, 0]), np.array([0.0, 1])
    grid = analogy_plane(a, b, c, 3)
    assert np.allclose(grid[0], a) and np.allclose(grid[2], b) and np.allclose(grid[6], c)
    assert np.allclose(grid[8], b - a + c)
