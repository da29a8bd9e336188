"""Curating a set of bank points (Qt-free): diversity, near-duplicates, orders.

A curated set should not be fifty copies of one face (the mode-collapse
problem as a curator meets it). :func:`most_diverse` picks the K points of a
set that cover it best (greedy k-centre, Gonzalez 1985: each pick is the point
farthest from those already picked, a 2-approximation of the optimal cover);
:func:`near_duplicates` lists the pairs closer than a distance. Both work in
whatever space the caller passes: latents, or classifier features.
"""

from __future__ import annotations

import numpy as np

#: Near-duplicate search compares every pair: past this many points it is refused
#: (50k × 50k distances is minutes on a laptop; select a subset first).
MAX_DUPLICATE_SEARCH = 50_000
SORT_ORDERS = ("bank order", "attribute confidence", "distance to current point", "uniqueness", "random")


def most_diverse(vectors: np.ndarray, k: int, among: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """Indices of the ``k`` points of ``among`` (default: all) that cover the set best.

    Greedy k-centre: start from the point nearest the set's mean (a stable,
    typical first pick; ``seed`` breaks exact ties only), then repeatedly add the
    point farthest from every pick so far. Returns indices into ``vectors``, in
    pick order; fewer than ``k`` when the set is smaller.
    """
    vectors = np.asarray(vectors, np.float32).reshape(len(vectors), -1)
    idx = np.arange(len(vectors)) if among is None else np.asarray(among, np.intp)
    if k <= 0 or not len(idx):
        return np.zeros(0, np.intp)
    x = vectors[idx].astype(np.float64)
    k = min(int(k), len(idx))
    d_mean = ((x - x.mean(0)) ** 2).sum(1)
    rng = np.random.default_rng(seed)
    first = int(rng.choice(np.flatnonzero(d_mean == d_mean.min())))
    picks = [first]
    dist = ((x - x[first]) ** 2).sum(1)
    for _ in range(k - 1):
        nxt = int(np.argmax(dist))
        if dist[nxt] <= 0:  # every remaining point coincides with a pick
            break
        picks.append(nxt)
        np.minimum(dist, ((x - x[nxt]) ** 2).sum(1), out=dist)
    return idx[np.asarray(picks, np.intp)]


def near_duplicates(vectors: np.ndarray, threshold: float, among: np.ndarray | None = None,
                    block: int = 2048) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, distance)`` with ``i < j`` of ``among`` closer than ``threshold``, nearest first.

    Raises ValueError for a set larger than :data:`MAX_DUPLICATE_SEARCH` or a
    negative threshold.
    """
    if threshold < 0:
        raise ValueError(f"a duplicate distance must be ≥ 0, not {threshold}")
    vectors = np.asarray(vectors, np.float32).reshape(len(vectors), -1)
    idx = np.arange(len(vectors)) if among is None else np.asarray(among, np.intp)
    if len(idx) > MAX_DUPLICATE_SEARCH:
        raise ValueError(f"near-duplicates among {len(idx):,} points: at most {MAX_DUPLICATE_SEARCH:,} "
                         "(select or tag a subset first)")
    x = vectors[idx].astype(np.float64)
    sq = (x ** 2).sum(1)
    pairs: list[tuple[int, int, float]] = []
    t2 = float(threshold) ** 2
    for start in range(0, len(x), block):
        stop = min(start + block, len(x))
        # Squared distances of this block to every later point, by the Gram trick.
        d2 = sq[start:stop, None] + sq[None, start:] - 2.0 * (x[start:stop] @ x[start:].T)
        rows, cols = np.nonzero(d2 < t2)
        for r, c in zip(rows.tolist(), cols.tolist()):
            i, j = start + r, start + c
            if j > i:
                pairs.append((int(idx[i]), int(idx[j]), float(np.sqrt(max(d2[r, c], 0.0)))))
    pairs.sort(key=lambda p: p[2])
    return pairs


def uniqueness(vectors: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Each point of ``among``'s distance to its nearest other point of ``among`` (larger: more unique)."""
    from sklearn.neighbors import NearestNeighbors

    among = np.asarray(among, np.intp)
    x = np.asarray(vectors, np.float32).reshape(len(vectors), -1)[among]
    if len(among) < 2:
        return np.full(len(among), np.inf)
    dist, _ = NearestNeighbors(n_neighbors=2).fit(x).kneighbors(x)
    return dist[:, 1]


def order(indices: np.ndarray, how: str, latents: np.ndarray, attributes: dict | None = None,
          attribute: str = "", current: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """``indices`` sorted for review: one of :data:`SORT_ORDERS`.

    ``attribute confidence``: most confident about ``attribute`` first (|p − 0.5|
    largest); ``distance to current point``: nearest ``current`` latent first;
    ``uniqueness``: the points farthest from their nearest neighbour first;
    ``random``: a seeded shuffle.
    """
    indices = np.asarray(indices, np.intp)
    if how == "bank order":
        return np.sort(indices)
    if how == "attribute confidence":
        if not attributes or attribute not in attributes:
            raise ValueError(f"sort by confidence needs an attribute (have: {', '.join(attributes or {}) or 'none'})")
        p = np.asarray(attributes[attribute], np.float64)[indices]
        return indices[np.argsort(-np.abs(p - 0.5), kind="stable")]
    if how == "distance to current point":
        if current is None:
            raise ValueError("sort by distance needs a current point: click one first")
        d = ((np.asarray(latents, np.float32)[indices] - np.asarray(current, np.float32).ravel()) ** 2).sum(1)
        return indices[np.argsort(d, kind="stable")]
    if how == "uniqueness":
        return indices[np.argsort(-uniqueness(latents, indices), kind="stable")]
    if how == "random":
        return np.random.default_rng(seed).permutation(indices)
    raise ValueError(f"unknown order {how!r} (one of: {', '.join(SORT_ORDERS)})")
