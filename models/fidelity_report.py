"""The fidelity report: every quality, diversity and coverage figure of a set of
generated images against real ones, with its real-vs-real floor, the mode
histogram, a collapse verdict and each figure's curve over sample count.

:func:`evaluate_images` judges any set of images (a folder, a curated export);
:func:`evaluate_model` samples a checkpoint first (optionally truncated) and
takes held-out real data as the reference. Both return one JSON-ready dict:
``features`` (what was compared), the set sizes, ``figures`` (each with its
value, its real-vs-real floor and which way is better), ``modes`` (the mode
histogram of both sets), ``collapse`` and its ``verdict``, ``curves`` (each
figure over sample count) and ``examples`` (reference images of missing modes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from models.errors import LatentExplorerError
from models.evaluation import frechet_distance
from models.fidelity import (collapse_verdict, combination_posteriors, inception_score, kid,
                             kth_neighbour_radii, manifold_figures, mode_frequencies, modes)

Progress = Callable[[int, int], None]
Extractor = Callable[[np.ndarray], np.ndarray]

#: Where each curve is sampled, as fractions of the generated set.
CURVE_FRACTIONS = (0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
#: Fewer KID subsets for curve points: the curve shows a trend, the headline figure the estimate.
CURVE_KID_SUBSETS = 20
MAX_EXAMPLES = 8
INCEPTION_SIZE = 299
BATCH = 64


# -- features -------------------------------------------------------------------

def _load_torchscript(path: str | Path, what: str):
    import torch

    from models.paths import display_path
    from models.readers import first_line

    p = Path(path)
    if not p.is_file():
        raise LatentExplorerError(f"{display_path(p)}: no such file ({what}); nothing is downloaded, "
                                  "give the path of the file on disk")
    try:
        return torch.jit.load(str(p), map_location="cpu").eval()
    except Exception as exc:  # torch raises RuntimeError, ValueError or its own types for a bad archive
        raise LatentExplorerError(f"{display_path(p)}: not a TorchScript module ({first_line(exc)})") from None


def _batched(fn: Callable, images: np.ndarray) -> np.ndarray:
    import torch

    outs = []
    with torch.inference_mode():
        for start in range(0, len(images), BATCH):
            x = torch.from_numpy(np.ascontiguousarray(images[start:start + BATCH])).permute(0, 3, 1, 2).float()
            outs.append(fn(x).float().flatten(1).cpu().numpy())
    return np.concatenate(outs).astype(np.float64)


def feature_extractor(kind: str, classifier=None, path: str | None = None) -> tuple[Extractor, str]:
    """A function uint8 images (n, h, w, c) → features (n, d), and words saying what it computes.

    ``kind``:

    * ``"classifier"`` — the bundled classifier's pooled penultimate layer;
    * ``"inception"`` — a TorchScript Inception-v3 at ``path`` (NVIDIA's
      ``inception-2015-12-05.pt``, as stylegan2-ada and clean-fid use), called
      as ``module(x, return_features=True)`` on images resized to 299×299
      with values 0–255; grey images are repeated to three channels;
    * anything else — the path of a TorchScript feature extractor, called as
      ``module(x)`` on float NCHW images in [0, 1]; its output is flattened.

    Raises :class:`LatentExplorerError` naming the file when it is absent or
    not TorchScript. Nothing is ever downloaded.
    """
    if kind == "classifier":
        if classifier is None:
            raise LatentExplorerError("classifier features need a classifier; none is bundled for this data set")
        dim = getattr(classifier.net, "feature_dim", None)
        return classifier.features, "bundled classifier penultimate features" + (f" ({dim}-d)" if dim else "")
    if kind == "inception":
        if not path:
            raise LatentExplorerError("Inception features need the Inception-v3 TorchScript file on disk "
                                      "(e.g. inception-2015-12-05.pt); give its path")
        module = _load_torchscript(path, "the Inception-v3 TorchScript weights")

        def inception(images: np.ndarray) -> np.ndarray:
            import torch.nn.functional as F

            def run(x):
                x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
                x = F.interpolate(x, size=(INCEPTION_SIZE, INCEPTION_SIZE), mode="bilinear", align_corners=False)
                return module(x, return_features=True)
            return _batched(run, images)
        return inception, f"Inception-v3 pool features from {Path(path).name}"
    module = _load_torchscript(kind, "the TorchScript feature extractor")
    return (lambda images: _batched(lambda x: module(x / 255.0), images)), f"TorchScript features from {Path(kind).name}"


def _posteriors(classifier, feats: np.ndarray) -> np.ndarray:
    """The classifier's outputs from its own features: its head is one linear layer, so this
    equals ``classifier.predict`` without running the convolutions a second time."""
    import torch

    with torch.inference_mode():
        logits = classifier.net.head(torch.from_numpy(feats.astype(np.float32)).to(classifier.device))
        p = torch.sigmoid(logits) if classifier.multilabel else torch.softmax(logits, 1)
    return p.float().cpu().numpy()


# -- checks ---------------------------------------------------------------------

def _check_images(images, what: str, classifier, minimum: int, why: str) -> np.ndarray:
    images = np.asarray(images)
    if images.size == 0 or len(images) == 0:
        raise LatentExplorerError(f"the {what} set is empty: no images to evaluate")
    if images.ndim != 4 or images.dtype != np.uint8:
        raise LatentExplorerError(f"the {what} images must be uint8 (n, height, width, channels), "
                                  f"got {images.dtype} of shape {images.shape}")
    if classifier is not None and images.shape[1:] != (classifier.image_size, classifier.image_size, classifier.channels):
        h, w, c = images.shape[1:]
        raise LatentExplorerError(f"the {what} images are {h}×{w}×{c}; the classifier takes "
                                  f"{classifier.image_size}×{classifier.image_size}×{classifier.channels}")
    if len(images) < minimum:
        raise LatentExplorerError(f"the {what} set holds {len(images)} image(s); at least {minimum} are needed ({why})")
    return images


# -- the report -----------------------------------------------------------------

def _figure(value: float, floor: float, better: str, **extra: float) -> dict[str, Any]:
    return {"value": float(value), **{k: float(v) for k, v in extra.items()}, "floor": float(floor), "better": better}


def _curve_sizes(n: int, k: int, fractions: Sequence[float]) -> list[int]:
    return sorted({min(n, max(k + 1, int(round(f * n)))) for f in fractions} | {n})


def evaluate_images(generated: np.ndarray, reference: np.ndarray, classifier, *, features: str = "classifier",
                    features_path: str | None = None, reference_b: np.ndarray | None = None, k: int = 5,
                    seed: int = 0, curve_points: Sequence[float] = CURVE_FRACTIONS,
                    progress: Progress | None = None) -> dict[str, Any]:
    """Every figure of ``generated`` against ``reference`` (uint8 (n, h, w, c) arrays), as one dict.

    The real-vs-real *floor* beside each figure compares ``reference`` with
    ``reference_b`` when given, else two random halves of ``reference``: what
    the figure reads for real data at about this sample size. Modes come from
    the classifier (attribute combinations or classes); ``curves`` gives each
    figure on the first n generated images for growing n (``curve_points``:
    fractions of the set), so a reader sees whether the estimate has settled.

    ``progress(done, total)`` is called after each stage and may raise to
    cancel. Raises :class:`LatentExplorerError` for empty sets, images the
    classifier cannot take, or sets too small for k-NN balls.
    """
    if classifier is None:
        raise LatentExplorerError("evaluation needs a classifier to tell the modes; none is bundled for these images")
    generated = _check_images(generated, "generated", classifier, k + 1, f"k={k} nearest neighbours need k+1")
    if reference_b is None:
        reference = _check_images(reference, "reference", classifier, 2 * (k + 1),
                                  f"two halves of k+1 = {k + 1} for the real-vs-real floor with k={k}")
    else:
        reference = _check_images(reference, "reference", classifier, k + 1, f"k={k} nearest neighbours need k+1")
        reference_b = _check_images(reference_b, "second reference", classifier, k + 1, f"k={k} nearest neighbours need k+1")
    extract, description = feature_extractor(features, classifier, features_path)
    sizes = _curve_sizes(len(generated), k, curve_points)
    total, done = 5 + len(sizes), 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    f_gen = np.asarray(extract(generated), np.float64)
    step()
    f_ref = np.asarray(extract(reference), np.float64)
    if reference_b is not None:
        floor_real, floor_fake = f_ref, np.asarray(extract(reference_b), np.float64)
    else:
        order = np.random.default_rng(seed).permutation(len(f_ref))
        half = len(order) // 2
        floor_real, floor_fake = f_ref[order[:half]], f_ref[order[half:]]
    step()
    if features == "classifier":
        p_gen, p_ref = _posteriors(classifier, f_gen), _posteriors(classifier, f_ref)
    else:
        p_gen, p_ref = classifier.predict(generated), classifier.predict(reference)
    post_gen, post_ref = ((combination_posteriors(p_gen), combination_posteriors(p_ref)) if classifier.multilabel
                          else (p_gen, p_ref))
    step()

    real_radii = kth_neighbour_radii(f_ref, k)
    manifold = manifold_figures(f_ref, f_gen, k, real_radii=real_radii)
    kid_value, kid_se = kid(f_ref, f_gen, seed=seed)
    is_value, is_std = inception_score(post_gen)
    step()
    floor_manifold = manifold_figures(floor_real, floor_fake, k)
    figures = {
        "fid": _figure(frechet_distance(f_gen, f_ref), frechet_distance(floor_fake, floor_real), "lower"),
        "kid": _figure(kid_value, kid(floor_real, floor_fake, seed=seed)[0], "lower", std_error=kid_se),
        "inception_score": _figure(is_value, inception_score(post_ref)[0], "higher", std=is_std),
        **{name: _figure(manifold[name], floor_manifold[name], "higher")
           for name in ("precision", "recall", "density", "coverage")},
    }
    step()

    mode_table = mode_frequencies(p_gen, p_ref, classifier.names, classifier.multilabel)
    verdict = collapse_verdict(figures, mode_table)
    _, index = modes(np.concatenate([p_gen, p_ref]), classifier.names, classifier.multilabel)
    ref_index = index[len(p_gen):]
    examples = {name: [int(i) for i in np.flatnonzero(ref_index == mode_table["names"].index(name))[:MAX_EXAMPLES]]
                for name in verdict["missing_modes"]}

    curves: dict[str, list] = {"n": [], "fid": [], "kid": [], "precision": [], "recall": [], "density": [], "coverage": []}
    for n in sizes:
        part = f_gen[:n]
        m = manifold_figures(f_ref, part, k, real_radii=real_radii) if n < len(f_gen) else manifold
        curves["n"].append(int(n))
        curves["fid"].append(float(frechet_distance(part, f_ref)))
        curves["kid"].append(float(kid(f_ref, part, subsets=CURVE_KID_SUBSETS, seed=seed)[0]) if n < len(f_gen) else kid_value)
        for name in ("precision", "recall", "density", "coverage"):
            curves[name].append(float(m[name]))
        step()

    return {
        "features": description,
        "n_generated": int(len(generated)),
        "n_reference": int(len(reference)),
        "k": int(k),
        "seed": int(seed),
        "truncate": None,
        "figures": figures,
        "modes": mode_table,
        "collapse": verdict["collapse"],
        "verdict": {key: verdict[key] for key in ("reasons", "missing_modes", "dominant_mode")},
        "curves": curves,
        "examples": {"missing": examples},
    }


# -- a model ---------------------------------------------------------------------

def truncation_words(model, truncate: float | None) -> str:
    """How :func:`sampled_latents` draws latents for ``model`` at ``truncate``, in words.

    Raises :class:`LatentExplorerError` for a truncation that is not a positive number.
    """
    prior = model.info.prior
    if truncate is None:
        return f"the model's prior: {prior}"
    s = float(truncate)
    if not np.isfinite(s) or s <= 0:
        raise LatentExplorerError(f"truncation {truncate!r}: must be a positive number (1 = the model's own prior)")
    if prior == "N(0, I)":
        return f"N(0, {s:g}²·I): the standard-normal draw times {s:g} (the truncation trick)"
    return (f"the model's prior ({prior}) is not N(0, I): its draws were multiplied by {s:g} "
            "(the truncation trick; below 1 this shrinks them towards 0)")


def sampled_latents(model, n: int, truncate: float | None, seed: int) -> tuple[np.ndarray, str]:
    """``n`` latents for ``model`` and words saying how they were drawn.

    The draws are ``model.sample_latents(seed, range(n))``; with ``truncate``
    S they are multiplied by S (the truncation trick): for an N(0, I) prior
    that is N(0, S²·I). Any other prior (attribute codes, a fitted mixture) is
    scaled towards 0 the same way, so S = 1 is always the model's own prior
    (for attribute codes, N(0, I) in every dimension would not be).
    """
    words = truncation_words(model, truncate)
    latents = model.sample_latents(seed, np.arange(n))
    return (latents if truncate is None else latents * np.float32(truncate)), words


def reference_sets(model, n: int, reference_dir) -> tuple[np.ndarray, np.ndarray | None, str]:
    """The real images a model is measured against: ``(reference, reference_b or None, words)``
    — two held-out sets of its data set, or the images of ``reference_dir``."""
    from models.data import load_image_folder
    from models.errors import DatasetError
    from models.evaluation import held_out_sets
    from models.paths import display_path

    if reference_dir is not None:
        ds = load_image_folder(reference_dir, size=model.info.image_size, channels=model.info.channels)
        return ds.images, None, f"the images of {display_path(reference_dir)}"
    try:
        real_a, real_b, _ = held_out_sets(model, n)
    except DatasetError as exc:
        raise LatentExplorerError(f"{model.info.name}: no held-out real data for this model ({exc}); "
                                  "give a folder of reference images") from None
    words = ("held-out toyfaces (seeds never used in training)" if model.info.dataset == "toyfaces"
             else f"a third of the model's fixed data set ({model.info.dataset}; it has no held-out part)")
    return real_a.images, real_b.images, words


def evaluate_model(model, classifier, n: int = 1000, *, truncate: float | None = None, seed: int = 0,
                   features: str = "classifier", features_path: str | None = None, reference_dir=None,
                   progress: Progress | None = None) -> dict[str, Any]:
    """Sample ``n`` images from ``model`` and evaluate them (see :func:`evaluate_images`).

    Latents come from ``model.sample_latents(seed, range(n))`` or, with
    ``truncate`` S, from N(0, S²·I) (see :func:`sampled_latents`). The
    reference is held-out real data of the model's data set (two sets, the
    second giving the floors), or the images of ``reference_dir``.
    ``progress(done, total)`` counts decoded images, then evaluation stages.
    The report adds ``model``, ``checkpoint``, ``sampling`` (how latents were
    drawn) and ``reference`` (what the real images are).
    """
    latents, sampling = sampled_latents(model, int(n), truncate, seed)
    reference, reference_b, reference_words = reference_sets(model, int(n), reference_dir)
    n_stages = 5 + len(_curve_sizes(int(n), 5, CURVE_FRACTIONS))
    total = int(n) + n_stages

    def decoded(done: int, of: int) -> None:
        # A diffusion model counts sampler steps rather than images: scale to images.
        if progress is not None:
            progress(done * int(n) // max(1, of), total)

    def evaluated(done: int, stages: int) -> None:
        if progress is not None:
            progress(int(n) + done * n_stages // max(1, stages), total)

    images = model.decode(latents, progress=decoded)
    report = evaluate_images(images, reference, classifier, features=features, features_path=features_path,
                             reference_b=reference_b, seed=seed, progress=evaluated)
    report["truncate"] = None if truncate is None else float(truncate)
    report.update(model=model.info.name, checkpoint=str(model.info.path), sampling=sampling,
                  reference=reference_words)
    return report
