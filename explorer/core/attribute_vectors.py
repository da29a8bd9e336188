"""Attribute directions in latent space.

* :func:`mean_vector` — the mean of some codes (a point, a selection, a query);
* :func:`balanced_vector` — the attribute's difference of means taken within
  each stratum of the other attributes and averaged, which removes the bias a
  correlated attribute adds (White, *Sampling Generative Networks*, 2016);
* :func:`boundary_direction` — the unit normal of a linear classifier's
  decision boundary, with its held-out accuracy (InterFaceGAN, Shen et al.);
* :func:`orthogonalize` — project other directions out, so moving along one
  attribute keeps the others ("conditional manipulation" in InterFaceGAN).
"""

from __future__ import annotations

import itertools

import numpy as np


def mean_vector(latents: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    sel = latents if mask is None else latents[np.asarray(mask, bool)]
    if len(sel) == 0:
        raise ValueError("no codes match, so there is nothing to average")
    return sel.mean(axis=0).astype(np.float32)


def difference_vector(latents: np.ndarray, positive: np.ndarray, negative: np.ndarray) -> np.ndarray:
    """mean(positive) − mean(negative)."""
    return mean_vector(latents, positive) - mean_vector(latents, negative)


def balanced_vector(latents: np.ndarray, target: np.ndarray, others: dict[str, np.ndarray],
                    min_count: int = 3) -> np.ndarray:
    """Bias-corrected attribute vector.

    For every combination of the ``others`` attributes (a stratum) with at
    least ``min_count`` codes on each side of ``target``, take mean(target) −
    mean(not target) inside it; average those differences, each stratum
    weighted by its size. A correlated attribute is then equally present on
    both sides and cancels out.
    """
    target = np.asarray(target, bool)
    if not others:
        return difference_vector(latents, target, ~target)
    cols = [np.asarray(v) >= 0.5 for v in others.values()]
    diffs, weights = [], []
    for combo in itertools.product([False, True], repeat=len(cols)):
        stratum = np.ones(len(latents), bool)
        for c, want in zip(cols, combo):
            stratum &= c == want
        pos, neg = stratum & target, stratum & ~target
        if pos.sum() >= min_count and neg.sum() >= min_count:
            diffs.append(latents[pos].mean(0) - latents[neg].mean(0))
            weights.append(stratum.sum())
    if not diffs:
        raise ValueError("no stratum has enough codes on both sides to balance the vector")
    w = np.asarray(weights, np.float64)
    return (np.asarray(diffs) * (w / w.sum())[:, None]).sum(0).astype(np.float32)


def boundary_direction(latents: np.ndarray, target: np.ndarray, seed: int = 0) -> tuple[np.ndarray, float]:
    """Unit normal of a logistic-regression boundary and its held-out accuracy (20 %)."""
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(target, bool)
    if y.all() or not y.any():
        raise ValueError("the attribute needs codes on both sides to find a boundary")
    order = np.random.default_rng(seed).permutation(len(latents))
    cut = max(1, len(order) // 5)
    test, train = order[:cut], order[cut:]
    clf = LogisticRegression(max_iter=2000, C=1.0)
    clf.fit(latents[train], y[train])
    accuracy = float(clf.score(latents[test], y[test]))
    normal = clf.coef_[0]
    return (normal / np.linalg.norm(normal)).astype(np.float32), accuracy


def orthogonalize(direction: np.ndarray, others: list[np.ndarray]) -> np.ndarray:
    """``direction`` with every component along ``others`` removed (Gram–Schmidt).

    The result is unit length; moving along it changes the others' projections
    by nothing.
    """
    basis: list[np.ndarray] = []
    for o in others:
        v = np.asarray(o, np.float64).copy()
        for b in basis:
            v -= (v @ b) * b
        n = np.linalg.norm(v)
        if n > 1e-9:
            basis.append(v / n)
    d = np.asarray(direction, np.float64).copy()
    for b in basis:
        d -= (d @ b) * b
    n = np.linalg.norm(d)
    if n < 1e-9:
        raise ValueError("the direction lies entirely within the ones to keep")
    return (d / n).astype(np.float32)
