"""``latent-explorer evaluate``: quality figures of a generative checkpoint."""

from __future__ import annotations

import sys

from models.errors import CheckpointError


def evaluate_checkpoint(checkpoint, classifier=None, n=1000, draws=100, exemplars=3, seed=0, device="cpu",
                        progress=True, hints=None) -> dict:
    """Load the model and its classifier and compute every figure."""
    from models.evaluation import evaluate
    from models.loading import bundled_classifier_path, load_latent_model, load_model, resolve_checkpoint

    path = resolve_checkpoint(checkpoint)
    model = load_latent_model(path, device, **(hints or {}))
    if classifier is None:
        clf_path = bundled_classifier_path(model.info.dataset)
        if not clf_path.exists():
            raise CheckpointError(f"{path}: no bundled classifier for dataset {model.info.dataset!r}; pass --classifier")
    else:
        clf_path = resolve_checkpoint(classifier)
    clf = load_model(clf_path, device)
    if getattr(clf, "multilabel", None) is None:
        raise CheckpointError(f"{clf_path}: is not a classifier checkpoint")
    if (clf.image_size, clf.channels) != (model.info.image_size, model.info.channels):
        raise CheckpointError(f"{clf_path}: classifies {clf.image_size}px×{clf.channels} images, the model makes "
                              f"{model.info.image_size}px×{model.info.channels}")
    say = (lambda s: print(s, file=sys.stderr, flush=True)) if progress else (lambda s: None)
    report = evaluate(model, clf, n=n, draws=draws, exemplars=exemplars, seed=seed, progress=say)
    report["checkpoint"] = str(path)
    report["classifier"] = str(clf_path)
    return report


def format_report(r: dict) -> str:
    """The report as a few human-readable lines."""
    ok = {True: "pass", False: "FAIL"}
    lines = [f"{r['model']} ({r['family']}, {r['dataset']}), {r['n']} samples, seed {r['seed']}"]
    re = r["realism"]
    lines.append(f"realism: classifier decisive on {re['decisive_fraction']:.1%} (bar {re['threshold']:.0%}) {ok[re['pass']]}")
    mc = r["mode_coverage"]
    if mc["max_abs_difference"] is not None:
        lines.append(f"mode coverage: max |sample − training| frequency {mc['max_abs_difference']:.3f} "
                     f"(tolerance {mc['tolerance']}) {ok[mc['pass']]}")
        for k, v in mc["sample_frequencies"].items():
            lines.append(f"  {k:>8}: samples {v:.3f}  training {mc['training_frequencies'].get(k, float('nan')):.3f}")
    fr = r["frechet"]
    lines.append(f"Fréchet distance (classifier features): samples {fr['samples_vs_real']:.3f}, real-vs-real floor {fr['real_vs_real']:.3f}")
    a = r.get("arithmetic")
    if a and "error" not in a:
        lines.append(f"arithmetic {a['expression']}: {a['success_rate']:.0%} of {a['draws']} draws "
                     f"(bar {a['threshold']:.0%}) {ok[a['pass']]}")
    elif a:
        lines.append(f"arithmetic: {a['error']}")
    return "\n".join(lines)
