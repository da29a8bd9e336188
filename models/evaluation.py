"""Classifier-based quality figures for a generative model.

* realism — how often the classifier is decisive about every attribute;
* mode coverage — attribute frequencies among samples against training data;
* Fréchet distance of classifier features, samples vs held-out real images,
  reported beside the same distance between two real sets (the floor);
* the headline arithmetic — ``glasses_man − man + woman`` with exemplar
  triples averaged as in the DCGAN paper, judged by the classifier.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from models.contract import LatentModel
from models.data import ImageDataset, load_dataset

DECISIVE_LOW, DECISIVE_HIGH = 0.1, 0.9
REALISM_BAR, COVERAGE_TOLERANCE, ARITHMETIC_BAR = 0.80, 0.10, 0.90
# Seeds of the held-out real sets; training uses small seeds, these never.
HELD_OUT_SEEDS = (1_000_001, 1_000_002, 1_000_003)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (as in FID)."""
    from scipy import linalg

    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():
        # Near-singular covariances (few samples, dead features) are handled just below.
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(cov_a @ cov_b)
    if not np.isfinite(covmean).all():
        eps = np.eye(len(cov_a)) * 1e-6
        covmean = linalg.sqrtm((cov_a + eps) @ (cov_b + eps))
    covmean = covmean.real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * covmean))


def decisive(probs: np.ndarray, multilabel: bool) -> np.ndarray:
    """Per sample: is the classifier sure of every attribute (or of the label)?"""
    if multilabel:
        return ((probs <= DECISIVE_LOW) | (probs >= DECISIVE_HIGH)).all(axis=1)
    return probs.max(axis=1) >= DECISIVE_HIGH


def held_out_sets(model: LatentModel, n: int) -> tuple[ImageDataset, ImageDataset, ImageDataset]:
    """Two real sets of ``n`` images the model never saw, plus one to build a bank.

    Toyfaces has unlimited fresh data; a fixed set (digits, a folder) is split
    in three instead, so its sets are smaller.
    """
    spec = model.info.provenance.get("dataset_spec", {})
    if model.info.dataset == "toyfaces":
        size = int(spec.get("size", model.info.image_size))
        return tuple(load_dataset("toyfaces", n=n, seed=s, size=size) for s in HELD_OUT_SEEDS)  # type: ignore[return-value]
    ds = load_dataset(spec.get("path") if spec.get("dataset") == "folder" else model.info.dataset, size=model.info.image_size)
    order = np.random.default_rng(0).permutation(len(ds))
    parts = np.array_split(order, 3)

    def subset(idx):
        return ImageDataset(ds.name, ds.images[idx], ds.attribute_names,
                            None if ds.attributes is None else ds.attributes[idx],
                            ds.label_names, None if ds.labels is None else ds.labels[idx], ds.spec)

    return subset(parts[0]), subset(parts[1]), subset(parts[2])


def concept_bank(model: LatentModel, classifier, bank_set: ImageDataset, seed: int, n: int,
                 progress: Callable[[str], None]) -> tuple[np.ndarray, dict[str, np.ndarray], str]:
    """Latents with boolean attribute columns, for drawing exemplars.

    A model with a fast encoder (a VAE) encodes real held-out images and uses
    their true attributes; any other model decodes seeded prior samples and
    lets the classifier label them, keeping only decisive calls.
    """
    if model.can_encode and not model.encode_is_slow and bank_set.attributes is not None:
        progress("encoding the bank")
        latents = model.encode(bank_set.images)
        labels = {name: bank_set.attributes[:, j] > 0.5 for j, name in enumerate(bank_set.attribute_names)}
        return latents, {k: v for k, v in labels.items()}, "encoded held-out real images, true attributes"
    progress("decoding and labelling the bank")
    latents = model.sample_latents(seed + 10_000, np.arange(n))
    probs = classifier.predict(model.decode(latents))
    labels = {}
    for j, name in enumerate(classifier.names):
        labels[name] = probs[:, j] >= DECISIVE_HIGH
        labels["!" + name] = probs[:, j] <= DECISIVE_LOW
    return latents, labels, "prior samples labelled by the classifier (decisive calls only)"


def _members(labels: dict[str, np.ndarray], positive: list[str], negative: list[str]) -> np.ndarray:
    n = len(next(iter(labels.values())))
    mask = np.ones(n, bool)
    for p in positive:
        mask &= labels[p]
    for q in negative:
        mask &= labels["!" + q] if "!" + q in labels else ~labels[q]
    return np.flatnonzero(mask)


def headline_arithmetic(model: LatentModel, classifier, latents: np.ndarray, labels: dict[str, np.ndarray],
                        draws: int, exemplars: int, seed: int) -> dict[str, Any]:
    """``glasses_man − man + woman`` over ``draws`` random exemplar draws."""
    concepts = {
        "glasses_man": _members(labels, ["male", "glasses"], []),
        "man": _members(labels, ["male"], ["glasses"]),
        "woman": _members(labels, [], ["male", "glasses"]),
    }
    for name, idx in concepts.items():
        if len(idx) < exemplars:
            return {"expression": "glasses_man - man + woman", "error": f"only {len(idx)} bank entries for {name}"}
    results = np.empty((draws, *model.latent_shape), np.float32)
    for d in range(draws):
        rng = np.random.default_rng([seed, d])
        means = {k: latents[rng.choice(idx, exemplars, replace=False)].mean(0) for k, idx in concepts.items()}
        results[d] = means["glasses_man"] - means["man"] + means["woman"]
    probs = classifier.predict(model.decode(results))
    g, m = classifier.names.index("glasses"), classifier.names.index("male")
    success = (probs[:, g] >= 0.5) & (probs[:, m] < 0.5)
    return {
        "expression": "glasses_man - man + woman",
        "concepts": {"glasses_man": "male & glasses", "man": "male & !glasses", "woman": "!male & !glasses"},
        "bank_sizes": {k: int(len(v)) for k, v in concepts.items()},
        "draws": draws,
        "exemplars": exemplars,
        "success_rate": float(success.mean()),
        "mean_p_glasses": float(probs[:, g].mean()),
        "mean_p_male": float(probs[:, m].mean()),
        "threshold": ARITHMETIC_BAR,
        "pass": bool(success.mean() >= ARITHMETIC_BAR),
    }


def evaluate(model: LatentModel, classifier, n: int = 1000, draws: int = 100, exemplars: int = 3, seed: int = 0,
             progress: Callable[[str], None] = lambda s: None, decode_progress=None) -> dict[str, Any]:
    """All quality figures of ``model`` as one JSON-ready dict."""
    multilabel = classifier.multilabel
    progress(f"decoding {n} samples")
    samples = model.decode(model.sample_latents(seed, np.arange(n)), progress=decode_progress)
    probs = classifier.predict(samples)
    dec = decisive(probs, multilabel)

    sampling = {"prior": model.info.prior}
    if getattr(model, "fitted_prior", None) is not None:
        # Said beside the headline figure, so the fitted prior's gain is never hidden.
        plain = classifier.predict(model.decode(model.trained_prior_latents(seed, np.arange(n))))
        sampling["trained_prior"] = model.codes.describe() if model.codes is not None else "N(0, I)"
        sampling["trained_prior_decisive_fraction"] = float(decisive(plain, multilabel).mean())

    train_freq = model.info.provenance.get("attribute_frequencies", {})
    if multilabel:
        freq = {name: float((probs[:, j] >= 0.5).mean()) for j, name in enumerate(classifier.names)}
    else:
        hist = np.bincount(probs.argmax(1), minlength=len(classifier.names)) / max(1, len(probs))
        freq = {name: float(hist[j]) for j, name in enumerate(classifier.names)}
    diffs = {k: abs(freq[k] - train_freq[k]) for k in freq if k in train_freq}
    max_diff = max(diffs.values()) if diffs else None

    progress("features of real sets")
    real_a, real_b, bank_set = held_out_sets(model, n)
    f_samples, f_a, f_b = classifier.features(samples), classifier.features(real_a.images), classifier.features(real_b.images)

    report: dict[str, Any] = {
        "model": model.info.name,
        "family": model.info.family,
        "dataset": model.info.dataset,
        "n": n,
        "seed": seed,
        "sampling": sampling,
        "realism": {
            "decisive_fraction": float(dec.mean()),
            "rule": f"every probability <= {DECISIVE_LOW} or >= {DECISIVE_HIGH}" if multilabel else f"max probability >= {DECISIVE_HIGH}",
            "threshold": REALISM_BAR,
            "pass": bool(dec.mean() >= REALISM_BAR),
        },
        "mode_coverage": {
            "sample_frequencies": freq,
            "training_frequencies": {k: train_freq[k] for k in diffs},
            "max_abs_difference": max_diff,
            "tolerance": COVERAGE_TOLERANCE,
            "pass": bool(max_diff is not None and max_diff <= COVERAGE_TOLERANCE),
        },
        "frechet": {
            "samples_vs_real": frechet_distance(f_samples, f_a),
            "real_vs_real": frechet_distance(f_a, f_b),
            "n_samples": n,
            "n_real": int(len(real_a)),
            "real_set": ("held-out toyfaces (seeds never used in training)" if model.info.dataset == "toyfaces"
                         else "thirds of the model's fixed data set (it has no held-out part)"),
            "features": f"classifier pooled features ({f_a.shape[1]}-d)",
        },
        "arithmetic": None,
    }
    if multilabel and {"male", "glasses"} <= set(classifier.names):
        latents, labels, how = concept_bank(model, classifier, bank_set, seed, max(n, 2000), progress)
        progress("arithmetic")
        arith = headline_arithmetic(model, classifier, latents, labels, draws, exemplars, seed)
        arith["bank"] = how
        report["arithmetic"] = arith
    return report


def half_space_arithmetic_ceiling(p_male: float, p_glasses: float, dim: int, exemplars: int = 3,
                                  draws: int = 100, banks: int = 20, bank_size: int = 2000, seed: int = 0) -> float:
    """The headline arithmetic's success rate for an *ideal* N(0, I) generator.

    In it, ``male`` and ``glasses`` are exact half-spaces of the latent with the
    given frequencies, so arithmetic is as linear as it can be; only the spread
    of the exemplars' means limits it. A real generator with a Gaussian latent
    scores about this or less, which makes the figure a yardstick for a GAN's.
    """
    from scipy.stats import norm

    t_male, t_glasses = norm.ppf(1 - p_male), norm.ppf(1 - p_glasses)
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(banks):
        z = rng.standard_normal((bank_size, dim)).astype(np.float32)
        male, glasses = z[:, 0] > t_male, z[:, 1] > t_glasses
        sets = [np.flatnonzero(male & glasses), np.flatnonzero(male & ~glasses), np.flatnonzero(~male & ~glasses)]
        for _ in range(draws):
            gm, m, w = (z[rng.choice(s, exemplars, replace=False)].mean(0) for s in sets)
            r = gm - m + w
            hits += bool(r[1] > t_glasses and r[0] <= t_male)
    return hits / (banks * draws)
