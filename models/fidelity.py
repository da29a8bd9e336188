"""Sample-quality measures on feature vectors and classifier posteriors.

Pure numpy functions (scipy for distances), each pinned in
``tests/models/test_fidelity.py`` against values worked out by hand:

* :func:`kid` — Kernel Inception Distance (Bińkowski et al. 2018), the
  unbiased MMD² under a cubic polynomial kernel, averaged over subsets;
* :func:`inception_score` — exp(E KL(p(y|x) ‖ p(y))) on class posteriors
  (Salimans et al. 2016);
* :func:`precision_recall` (Kynkäänniemi et al. 2019) and
  :func:`density_coverage` (Naeem et al. 2020) from k-NN balls;
* :func:`modes`, :func:`mode_frequencies`, :func:`collapse_verdict` — which
  attribute combination (or class) each image shows, and whether the
  generated set lost or over-weights any of them.

The Fréchet distance lives in :mod:`models.evaluation` (``frechet_distance``).

The k-NN figures are computed here rather than with the ``prdc`` package: it
prints to stdout (which would break ``evaluate --json``), asks for 8 jobs and
recomputes every distance matrix per call; the definitions are a few lines of
scipy (``cdist``), which also spares the window scikit-learn's slow import.
On data without tied distances they agree with ``prdc`` 0.2 to the last digit.
Balls are closed (``≤``), as written in both papers, so an exact copy of a real
image with a zero radius still counts as inside it.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

# The verdict's thresholds (see collapse_verdict).
MISSING_MIN_REFERENCE_FREQ = 0.02
MISSING_MIN_REFERENCE_COUNT = 3
MISSING_RATIO = 0.10
DOMINANT_GENERATED_FREQ = 0.50
DOMINANT_MAX_REFERENCE_FREQ = 0.25
FLOOR_FRACTION = 0.5


# -- KID -----------------------------------------------------------------------

def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The KID kernel k(x, y) = (x·y / d + 1)³ between the rows of ``x`` and ``y``."""
    d = x.shape[1]
    return (x @ y.T / d + 1.0) ** 3


def mmd2_unbiased(kxx: np.ndarray, kyy: np.ndarray, kxy: np.ndarray) -> float:
    """Unbiased MMD² from kernel matrices: mean off-diagonal k(x, x') + k(y, y') − 2 mean k(x, y)."""
    m, n = len(kxx), len(kyy)
    xx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(xx + yy - 2.0 * kxy.mean())


def kid(real: np.ndarray, fake: np.ndarray, subsets: int = 100, subset_size: int = 1000,
        seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance between two feature sets: (mean, standard error).

    The value is the unbiased MMD² averaged over ``subsets`` random subsets of
    ``m = min(subset_size, len(real), len(fake))`` rows of each set, as in the
    paper; when ``m`` covers both sets it is the full-set estimate.

    The standard error is a delete-d jackknife (half-sampling): the spread of
    the estimate over random halves of the sets, scaled by √(h / (n − h)) for
    halves of ``h`` of ``n`` rows, estimates the spread of the full estimate.
    It is 0.0 when the sets are too small to halve (fewer than 4 rows).
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    nr, nf = len(real), len(fake)
    m = min(int(subset_size), nr, nf)
    if m < 2:
        raise ValueError(f"KID needs at least 2 feature vectors in each set, got {nr} and {nf}")
    # One kernel matrix over both sets; every subset's terms are index look-ups into it.
    k = polynomial_kernel(np.vstack([real, fake]), np.vstack([real, fake]))
    rng = np.random.default_rng(seed)

    def estimate(size: int) -> float:
        a = rng.choice(nr, size, replace=False)
        b = nr + rng.choice(nf, size, replace=False)
        return mmd2_unbiased(k[np.ix_(a, a)], k[np.ix_(b, b)], k[np.ix_(a, b)])

    if m == nr == nf:
        value = mmd2_unbiased(k[:nr, :nr], k[nr:, nr:], k[:nr, nr:])  # every subset is the whole set
    else:
        value = float(np.mean([estimate(m) for _ in range(subsets)]))
    n_min, h = min(nr, nf), min(nr, nf) // 2
    if h < 2 or subsets < 2:
        return value, 0.0
    halves = np.array([estimate(h) for _ in range(subsets)])
    return value, float(halves.std(ddof=1) * np.sqrt(h / (n_min - h)))


# -- Inception Score -----------------------------------------------------------

def combination_posteriors(probs: np.ndarray) -> np.ndarray:
    """Independent attribute probabilities (n, a) → a distribution over the 2^a combinations.

    Column ``c`` is the combination whose attribute ``j`` is present when bit
    ``j`` of ``c`` is set: P(c) = Π p_j^bit · (1 − p_j)^(1 − bit).
    """
    probs = np.asarray(probs, np.float64)
    a = probs.shape[1]
    bits = (np.arange(2 ** a)[:, None] >> np.arange(a)[None, :]) & 1  # (2^a, a)
    out = np.ones((len(probs), 2 ** a))
    for j in range(a):
        out *= np.where(bits[:, j][None, :] == 1, probs[:, j:j + 1], 1.0 - probs[:, j:j + 1])
    return out


def inception_score(probs: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """exp(E_x KL(p(y|x) ‖ p(y))) on class posteriors (rows summing to 1): (mean, std over splits).

    The rows are cut into ``splits`` consecutive parts (at most one per row),
    p(y) is each part's mean posterior, and the score is computed per part.
    For a multilabel classifier pass :func:`combination_posteriors` of its
    outputs, so the classes are the attribute combinations.
    """
    probs = np.asarray(probs, np.float64)
    if len(probs) == 0:
        raise ValueError("the Inception Score needs at least one posterior")
    scores = []
    for part in np.array_split(probs, max(1, min(int(splits), len(probs)))):
        py = part.mean(0, keepdims=True)
        # 0·log 0 = 0: a class an image certainly is not contributes nothing.
        terms = np.where(part > 0, part * (np.log(np.where(part > 0, part, 1.0)) - np.log(np.where(py > 0, py, 1.0))), 0.0)
        scores.append(np.exp(terms.sum(1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


# -- k-NN manifolds -------------------------------------------------------------

def kth_neighbour_radii(x: np.ndarray, k: int, chunk: int = 1024) -> np.ndarray:
    """Distance from each row of ``x`` to its k-th nearest other row."""
    from scipy.spatial.distance import cdist

    x = np.asarray(x, np.float64)
    if len(x) < k + 1:
        raise ValueError(f"k-NN radii with k={k} need at least {k + 1} feature vectors, got {len(x)}")
    radii = np.empty(len(x))
    for s in range(0, len(x), chunk):
        # Each row's distance to itself (0) is the smallest, so the k-th other row is at position k.
        radii[s:s + chunk] = np.partition(cdist(x[s:s + chunk], x), k, axis=1)[:, k]
    return radii


def _inside(points: np.ndarray, centres: np.ndarray, radii: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """(How many balls hold each point, whether each ball holds any point), in chunks of points.

    The full centres × points matrix of distances is never held at once.
    """
    from scipy.spatial.distance import cdist

    counts = np.zeros(len(points), np.int64)
    hit = np.zeros(len(centres), bool)
    for s in range(0, len(points), chunk):
        inside = cdist(centres, points[s:s + chunk]) <= radii[:, None]
        counts[s:s + chunk] = inside.sum(0)
        hit |= inside.any(1)
    return counts, hit


def manifold_figures(real: np.ndarray, fake: np.ndarray, k: int = 5,
                     real_radii: np.ndarray | None = None) -> dict[str, float]:
    """Precision, recall, density and coverage in one pass (``real_radii`` may be reused)."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real_radii is None:
        real_radii = kth_neighbour_radii(real, k)
    fake_radii = kth_neighbour_radii(fake, k)
    counts, covered = _inside(fake, real, real_radii)
    real_in_fake, _ = _inside(real, fake, fake_radii)
    return {
        "precision": float((counts > 0).mean()),
        "recall": float((real_in_fake > 0).mean()),
        "density": float(counts.sum() / (k * len(fake))),
        "coverage": float(covered.mean()),
    }


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 5) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    Precision: the fraction of fake rows inside at least one real ball (a ball
    around each real row reaching its k-th nearest real neighbour); recall: the
    fraction of real rows inside at least one fake ball.
    """
    f = manifold_figures(real, fake, k)
    return f["precision"], f["recall"]


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = 5) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020).

    Density: the number of real balls holding each fake row, summed, over
    k × (number of fake rows) — 1 on average for matching distributions;
    coverage: the fraction of real balls holding at least one fake row.
    """
    f = manifold_figures(real, fake, k)
    return f["density"], f["coverage"]


# -- modes ----------------------------------------------------------------------

def modes(probs: np.ndarray, names: Sequence[str], multilabel: bool) -> tuple[list[str], np.ndarray]:
    """The mode of each image and the sorted list of modes seen.

    For a multilabel classifier a mode is the combination of attributes with
    probability ≥ 0.5, named ``"male+glasses"`` in ``names`` order (``"none"``
    when no attribute is present); modes are sorted by how many attributes
    they hold, then by their attributes' positions in ``names``. For a
    single-label classifier a mode is the most probable class, sorted in
    ``names`` order. Returns (mode names, index into them per image).
    """
    probs = np.asarray(probs)
    if multilabel:
        present = probs >= 0.5
        keys = [tuple(np.flatnonzero(row)) for row in present]
        order = sorted(set(keys), key=lambda key: (len(key), key))
        labels = ["+".join(names[j] for j in key) or "none" for key in order]
    else:
        keys = [int(c) for c in probs.argmax(1)] if len(probs) else []
        order = sorted(set(keys))
        labels = [str(names[c]) for c in order]
    position = {key: i for i, key in enumerate(order)}
    return labels, np.array([position[key] for key in keys], np.int64)


def mode_frequencies(gen_probs: np.ndarray, ref_probs: np.ndarray, names: Sequence[str],
                     multilabel: bool) -> dict[str, list]:
    """Each mode's frequency among generated and reference images, over the modes of both."""
    gen_probs, ref_probs = np.asarray(gen_probs), np.asarray(ref_probs)
    labels, index = modes(np.concatenate([gen_probs, ref_probs]), names, multilabel)
    gen_counts = np.bincount(index[:len(gen_probs)], minlength=len(labels))
    ref_counts = np.bincount(index[len(gen_probs):], minlength=len(labels))
    return {
        "names": labels,
        "generated": [float(c) / max(1, len(gen_probs)) for c in gen_counts],
        "reference": [float(c) / max(1, len(ref_probs)) for c in ref_counts],
        "generated_counts": [int(c) for c in gen_counts],
        "reference_counts": [int(c) for c in ref_counts],
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def collapse_verdict(figures: dict[str, Any], modes: dict[str, list]) -> dict[str, Any]:
    """Is the generated set mode-collapsed, and why?

    A mode is *missing* when it holds ≥ 2 % (and ≥ 3) of the reference images
    but under a tenth of that frequency among generated ones; a mode is
    *dominant* when it holds over half of the generated images but under a
    quarter of the reference. Coverage or recall below half its real-vs-real
    floor also counts. Any of these makes ``collapse`` true; ``reasons`` says
    which, in sentences naming the modes.
    """
    names, gen, ref = modes["names"], modes["generated"], modes["reference"]
    ref_counts = modes["reference_counts"]
    reasons: list[str] = []
    missing = [name for name, g, r, c in zip(names, gen, ref, ref_counts)
               if r >= MISSING_MIN_REFERENCE_FREQ and c >= MISSING_MIN_REFERENCE_COUNT and g < MISSING_RATIO * r]
    if missing:
        listed = ", ".join(f"{name!r} ({_pct(ref[names.index(name)])} of the reference, "
                           f"{_pct(gen[names.index(name)])} generated)" for name in missing)
        reasons.append(f"{len(missing)} mode{'s are' if len(missing) > 1 else ' is'} missing "
                       f"from the generated images: {listed}")
    dominant = None
    if gen:
        top = int(np.argmax(gen))
        if gen[top] > DOMINANT_GENERATED_FREQ and ref[top] < DOMINANT_MAX_REFERENCE_FREQ:
            dominant = names[top]
            reasons.append(f"mode {dominant!r} dominates: {_pct(gen[top])} of the generated images "
                           f"but {_pct(ref[top])} of the reference ones")
    for key in ("coverage", "recall"):
        fig = figures.get(key)
        if fig is not None and fig["value"] < FLOOR_FRACTION * fig["floor"]:
            reasons.append(f"{key} {fig['value']:.3f} is far below its real-vs-real floor {fig['floor']:.3f} "
                           f"(under {FLOOR_FRACTION:g} × the floor)")
    return {"collapse": bool(reasons), "reasons": reasons, "missing_modes": missing, "dominant_mode": dominant}
