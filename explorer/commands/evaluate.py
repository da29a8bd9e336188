"""``latent-explorer evaluate``: quality, diversity, coverage and mode collapse.

Two kinds of input:

* ``evaluate CHECKPOINT`` samples the model (``--truncate S``: latents from
  N(0, S²·I), the truncation trick) and reports the classifier figures
  (realism, attribute frequencies, the headline arithmetic) plus the fidelity
  figures of :mod:`models.fidelity_report`: FID, KID, an Inception-style score,
  precision, recall, density and coverage, each beside its real-vs-real floor,
  the mode frequencies and a collapse verdict naming the missing modes;
* ``evaluate --images DIR`` measures a folder of images (a curated export, a
  ``dataset`` folder, another tool's output) the same way, against the
  classifier's own data set or ``--reference DIR``.

A collapsed generator is a finding, not an error: the exit status is 0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FEATURES_HELP = ("features the distances are measured in: classifier (the bundled classifier's penultimate layer, "
                 "default), inception (Inception-v3, needs --inception PATH), or the path of any TorchScript "
                 "feature extractor")


def add_parser(sub) -> None:
    """The ``evaluate`` sub-command's options (cheap: imports neither torch nor Qt)."""
    from explorer.commands.options import hint_options
    from explorer.commands.options import bounded, device, positive, seed

    e = sub.add_parser("evaluate", parents=[hint_options()],
                       help="quality, diversity and mode collapse of a checkpoint or a folder of images",
                       description="Fidelity figures (FID, KID, Inception-style score, precision, recall, density, "
                                   "coverage) beside their real-vs-real floors, mode frequencies against the "
                                   "reference and a mode-collapse verdict; for a checkpoint also the classifier's "
                                   "realism and the headline arithmetic. Exit status 0 even when collapsed.")
    e.add_argument("checkpoint", nargs="?", default=None, help="the model to sample (or --images DIR)")
    e.add_argument("--images", type=Path, default=None, metavar="DIR",
                   help="evaluate this folder of images instead of a checkpoint")
    e.add_argument("--reference", type=Path, default=None, metavar="DIR",
                   help="real images to compare with (default: held-out data of the model's or classifier's data set)")
    e.add_argument("--classifier", default=None, help="classifier checkpoint (default: the bundled one for the dataset)")
    e.add_argument("--n", type=positive(int), default=None,
                   help="samples to score (default 1000); with --images, at most this many of the folder's images")
    e.add_argument("--truncate", type=positive(float), default=None, metavar="S",
                   help="sample latents from N(0, S²·I) (the truncation trick): diversity falls as S shrinks")
    e.add_argument("--features", default="classifier", metavar="classifier|inception|PATH", help=FEATURES_HELP)
    e.add_argument("--inception", type=Path, default=None, metavar="PATH",
                   help="TorchScript Inception-v3 weights (e.g. inception-2015-12-05.pt); implies --features "
                        "inception; never downloaded")
    e.add_argument("--k", type=bounded(int, most=100), default=None,
                   help="--images: nearest neighbours of the precision/recall/density/coverage manifolds (default 5)")
    e.add_argument("--draws", type=positive(int), default=100, help="arithmetic draws (default 100)")
    e.add_argument("--exemplars", type=positive(int), default=3, help="exemplars per concept (default 3)")
    e.add_argument("--seed", type=seed, default=0)
    e.add_argument("--device", type=device, default="cpu", help="auto, cpu, cuda, cuda:N or mps (default cpu)")
    e.add_argument("--json", action="store_true", help="print one JSON document: every figure, its floor, collapse")
    e.add_argument("--out", type=Path, default=None, help="also write the JSON report here")
    e.add_argument("--report", type=Path, default=None, metavar="HTML",
                   help="write a self-contained HTML report (figures, mode histogram, sample grids, missing modes "
                        "with real examples) that opens offline")
    e.add_argument("--card", type=Path, default=None, help="write a Markdown model card with the figures here")


def evaluate_checkpoint(checkpoint, classifier=None, n=1000, draws=100, exemplars=3, seed=0, device="cpu",
                        progress=True, hints=None) -> dict:
    """Load the model and its classifier and compute the classifier figures (realism, modes, arithmetic)."""
    from models.evaluation import evaluate
    from models.loading import resolve_checkpoint

    from explorer.commands.evaluate_inputs import load_model_and_classifier

    model, clf, clf_path = load_model_and_classifier(checkpoint, classifier, device, hints)
    say = (lambda s: print(s, file=sys.stderr, flush=True)) if progress else (lambda s: None)
    report = evaluate(model, clf, n=n, draws=draws, exemplars=exemplars, seed=seed, progress=say)
    report["checkpoint"] = str(resolve_checkpoint(checkpoint))
    report["classifier"] = str(clf_path)
    return report


def format_report(r: dict) -> str:
    """The classifier figures of a checkpoint as a few human-readable lines."""
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


FIGURE_NAMES = {"fid": "FID", "kid": "KID", "inception_score": "Inception score", "precision": "precision",
                "recall": "recall", "density": "density", "coverage": "coverage"}


def format_fidelity(r: dict) -> str:
    """The fidelity figures beside their floors, then the verdict naming the missing modes."""
    truncate = f", truncation S = {r['truncate']:g}" if r.get("truncate") is not None else ""
    lines = [f"{r['n_generated']} generated against {r['n_reference']} reference images; features: "
             f"{r['features']}; k = {r['k']}{truncate}"]
    for key, fig in r["figures"].items():
        spread = fig.get("std_error", fig.get("std"))
        value = f"{fig['value']:.4g}" + (f" ± {spread:.2g}" if spread is not None else "")
        lines.append(f"  {FIGURE_NAMES.get(key, key):>15}: {value:<18} real-vs-real floor {fig['floor']:.4g} "
                     f"({fig['better']} is better)")
    verdict = r["verdict"]
    if r["collapse"]:
        missing = verdict.get("missing_modes") or []
        lines.append("verdict: MODE COLLAPSE" + (f"; missing modes: {', '.join(missing)}" if missing else ""))
        # The sentences on missing modes (their frequencies) are in --json and the HTML report;
        # here the names above say it, so the output stays a few lines.
        lines += [f"  - {reason}" for reason in verdict.get("reasons", []) if not (missing and "missing" in reason)]
    else:
        lines.append("verdict: no mode collapse detected")
    return "\n".join(lines)


def _write_json(path: Path, report: dict) -> None:
    from models.checkpoint import atomic_write_bytes

    atomic_write_bytes(path, lambda tmp: Path(tmp).write_text(json.dumps(report, indent=2)))


def check_writable(path: Path) -> None:
    """Refuse a report path that cannot be written now, before minutes of evaluation rather than after."""
    import errno
    import os

    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file to write the report to", str(path))
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is not a folder, so the report cannot be written under it",
                                 str(folder))
    if not os.access(folder, os.W_OK):
        raise PermissionError(errno.EACCES, "cannot write the report in this folder", str(folder))


def run(args, argv) -> int:
    """``latent-explorer evaluate``: prints the report (``--json``: as one JSON document), writes what was asked."""
    from explorer.commands.options import UsageError, model_hints
    from explorer.commands.evaluate_inputs import check_feature_file
    from explorer.commands.evaluate_runs import evaluate_checkpoint_fully, evaluate_folder

    if (args.checkpoint is None) == (args.images is None):
        both = args.checkpoint is not None
        raise UsageError("give a CHECKPOINT or --images DIR" + (", not both" if both else " to evaluate"))
    features = "inception" if args.inception is not None and args.features == "classifier" else args.features
    check_feature_file(features, args.inception)
    if args.report is not None:
        check_writable(args.report)
    options = dict(classifier=args.classifier, n=args.n, seed=args.seed, features=features,
                   features_path=None if args.inception is None else str(args.inception),
                   reference_dir=args.reference, device=args.device, progress=not args.json)
    if args.images is not None:
        if args.card is not None:
            raise UsageError("--card: model cards are written for checkpoints, not folders of images")
        if args.truncate is not None:
            raise UsageError("--truncate: samples a checkpoint's latents; a folder of images has none")
        report, generated, reference = evaluate_folder(args.images, k=args.k or 5, **options)
        title = str(args.images)
        human = format_fidelity(report)
    else:
        if args.k is not None:
            # models.fidelity_report.evaluate_model takes no k (yet): refuse rather than ignore it.
            raise UsageError("--k: only with --images; a checkpoint is evaluated with k = 5")
        report, generated, reference = evaluate_checkpoint_fully(
            args.checkpoint, truncate=args.truncate, draws=args.draws, exemplars=args.exemplars,
            hints=model_hints(args), **options)
        title = report["model"]
        human = format_report(report) + "\n" + format_fidelity(report)
    if args.out:
        _write_json(args.out, report)
    if args.card:
        from models.checkpoint import atomic_write_bytes, read_config
        from models.model_card import render_card

        ckpt = Path(report["checkpoint"])
        if ckpt.suffix != ".safetensors":
            raise UsageError(f"--card: model cards are written for native .safetensors checkpoints, not {ckpt.name}")
        card = render_card(read_config(ckpt), report, ckpt)
        atomic_write_bytes(args.card, lambda tmp: Path(tmp).write_text(card))
    if args.report:
        from explorer.commands.evaluation_html import write_report

        write_report(args.report, report, generated, reference, title=title)
        human += f"\nwrote {args.report}"
    print(json.dumps(report, indent=2) if args.json else human)
    return 0
