"""Curation helpers: k-centre diversity, near-duplicates, review orders."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.core.curation import MAX_DUPLICATE_SEARCH, most_diverse, near_duplicates, order


def test_most_diverse_covers_every_cluster_before_repeating_one():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((5, 16)) * 20
    x = np.vstack([c + rng.standard_normal((200, 16)) * 0.1 for c in centres])  # 5 tight clusters
    picks = most_diverse(x, 5)
    assert len(set(picks.tolist())) == 5 and sorted(set((picks // 200).tolist())) == [0, 1, 2, 3, 4]
    among = np.arange(0, 400)  # only clusters 0 and 1
    assert set((most_diverse(x, 2, among) // 200).tolist()) == {0, 1}
    assert len(most_diverse(x, 10_000, among)) == 400 and len(most_diverse(x, 0)) == 0


def test_near_duplicates_agree_with_brute_force():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 8)).astype(np.float32)
    x[10] = x[20] + 1e-3
    x[30] = x[40]
    got = near_duplicates(x, 0.5, block=64)
    d = np.sqrt(((x[:, None, :].astype(np.float64) - x[None]) ** 2).sum(-1))
    expected = {(i, j) for i in range(300) for j in range(i + 1, 300) if d[i, j] < 0.5}
    assert {(i, j) for i, j, _ in got} == expected and {(10, 20), (30, 40)} <= expected
    assert got[0][2] <= got[-1][2] and got[0][:2] == (30, 40)
    among = np.array([10, 20, 40])
    assert [(i, j) for i, j, _ in near_duplicates(x, 0.5, among)] == [(10, 20)]
    with pytest.raises(ValueError, match="at most"):
        near_duplicates(np.zeros((MAX_DUPLICATE_SEARCH + 1, 1)), 0.1)


def test_review_orders():
    latents = np.arange(10, dtype=np.float32)[:, None]
    idx = np.array([7, 2, 5, 9])
    attrs = {"smile": np.array([0.5, 0, 0.9, 0, 0, 0.45, 0, 0.99, 0, 0.6])}
    assert order(idx, "bank order", latents).tolist() == [2, 5, 7, 9]
    assert order(idx, "attribute confidence", latents, attrs, "smile").tolist() == [7, 2, 9, 5]
    assert order(idx, "distance to current point", latents, current=np.array([6.0])).tolist() == [7, 5, 9, 2]
    assert sorted(order(idx, "random", latents).tolist()) == [2, 5, 7, 9]
    assert order(idx, "uniqueness", latents)[0] == 2  # 2 is 3 from its nearest (5); the others 2 apart
    with pytest.raises(ValueError, match="current point"):
        order(idx, "distance to current point", latents)
