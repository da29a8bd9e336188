"""The two evaluations of ``latent-explorer evaluate``: a checkpoint, or a folder of images.

Each returns ``(report, generated, reference)``: the JSON-ready report of
:mod:`models.fidelity_report` (for a checkpoint merged with the classifier
figures of :func:`explorer.commands.evaluate.evaluate_checkpoint`) and the
images the HTML report shows — generated samples, and the reference that the
report's ``examples`` index.
"""

from __future__ import annotations

import sys

from explorer.commands.progress import progress_bar

DEFAULT_N = 1000
GRID_KEEP = 64  # decoded images kept for the HTML report's sample grid


def evaluate_folder(images_dir, *, classifier=None, n=None, k=5, seed=0, features="classifier",
                    features_path=None, reference_dir=None, device="cpu", progress=True):
    """Evaluate the images of ``images_dir`` against ``reference_dir`` or the classifier's own data set."""
    from models.fidelity_report import evaluate_images

    from explorer.commands.evaluate_inputs import bundled_reference, load_classifier, load_folder

    clf, clf_path = load_classifier(classifier, device)
    size, channels = clf.image_size, clf.channels
    with progress_bar("reading images", 0, progress) as update:
        generated = load_folder(images_dir, size, channels, "--images", limit=n, progress=update)
    reference_b = None
    if reference_dir is not None:
        with progress_bar("reading the reference", 0, progress) as update:
            reference = load_folder(reference_dir, size, channels, "--reference", progress=update)
        described = f"the images of {reference_dir}"
    else:
        # The floor is measured at the size of the generated set, as the figure is.
        reference, reference_b, described = bundled_reference(clf, max(len(generated), 2 * k + 1))
    with progress_bar("evaluating", 1, progress) as update:
        report = evaluate_images(generated, reference, clf, features=features, features_path=features_path,
                                 reference_b=reference_b, k=k, seed=seed, progress=update)
    report.update(images=str(images_dir), reference=described, classifier=str(clf_path))
    return report, generated, reference


class SamplesOnce:
    """The model seen through the evaluation: optionally truncated, its samples decoded once.

    The classifier figures (:func:`models.evaluation.evaluate`) and the
    fidelity report (:func:`models.fidelity_report.evaluate_model`) both decode
    the same ``n`` latents; the first decode is kept and handed out again when
    the same latents come back, so a checkpoint is sampled once, and the HTML
    report shows exactly the images that were measured.

    With ``truncate`` S, ``sample_latents`` multiplies the model's prior draws
    by S (the truncation trick, N(0, S²·I) for an N(0, I) prior, as
    :func:`models.fidelity_report.sampled_latents` draws them), so every figure
    of the document describes the same truncated generator.
    """

    def __init__(self, model, truncate: float | None = None):
        self._model = model
        self._truncate = truncate
        self._kept: tuple | None = None  # (latents, images) of the first decode
        if truncate is not None:
            # The fitted-prior comparison contrasts two untruncated priors: not what is measured here.
            self.fitted_prior = None

    def __getattr__(self, name):
        return getattr(self._model, name)

    def sample_latents(self, seed, indices):
        """The model's prior draws, times S when truncated."""
        latents = self._model.sample_latents(seed, indices)
        if self._truncate is None:
            return latents
        import numpy as np

        return latents * np.float32(self._truncate)

    def decode(self, latents, *args, progress=None, **kwargs):
        """Decode ``latents``; the first batch decoded is remembered and reused."""
        import numpy as np

        if self._kept is not None and np.array_equal(self._kept[0], latents):
            if progress is not None:
                progress(len(latents), len(latents))
            return self._kept[1]
        images = self._model.decode(latents, *args, progress=progress, **kwargs)
        if self._kept is None:
            self._kept = (np.array(latents, copy=True), images)
        return images

    @property
    def samples(self):
        """The images of the first decode (the evaluated samples), or None."""
        return None if self._kept is None else self._kept[1]


def evaluate_checkpoint_fully(checkpoint, *, classifier=None, n=None, truncate=None, seed=0,
                              features="classifier", features_path=None, reference_dir=None, draws=100,
                              exemplars=3, device="cpu", hints=None, progress=True):
    """The classifier figures and the fidelity report of a checkpoint, as one document.

    Returns ``(report, samples, reference)``; ``reference`` is the real set
    that ``report["examples"]`` indexes, built only when a mode is missing.
    """
    from models.evaluation import evaluate
    from models.fidelity_report import reference_sets, evaluate_model, truncation_words
    from models.loading import resolve_checkpoint

    from explorer.commands.evaluate_inputs import load_model_and_classifier

    n = n or DEFAULT_N
    loaded, clf, clf_path = load_model_and_classifier(checkpoint, classifier, device, hints)
    model = SamplesOnce(loaded, truncate)
    say = (lambda s: print(s, file=sys.stderr, flush=True)) if progress else (lambda s: None)
    classic = evaluate(model, clf, n=n, draws=draws, exemplars=exemplars, seed=seed, progress=say)
    say("fidelity figures")
    with progress_bar("evaluating", n, progress) as update:
        # The proxy already is the truncated generator: evaluate it as it is, then say how it was drawn.
        report = evaluate_model(model, clf, n, seed=seed, features=features, features_path=features_path,
                                reference_dir=reference_dir, progress=update)
    report.update(truncate=None if truncate is None else float(truncate), sampling=truncation_words(loaded, truncate))
    doc = {**classic, **report, "checkpoint": str(resolve_checkpoint(checkpoint)), "classifier": str(clf_path),
           # The classifier figures' own "sampling" (read by model cards) stays; the report's words join it.
           "sampling": {**classic["sampling"], "latents": report.get("sampling")}}
    reference = None
    if doc["verdict"]["missing_modes"]:
        # The same deterministic real set evaluate_model compared with, for the real examples of missing modes.
        reference = reference_sets(loaded, n, reference_dir)[0]
    return doc, model.samples, reference
