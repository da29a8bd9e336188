"""A report of the shape ``models.fidelity_report.evaluate_model`` returns (the
issue-15 contract), for tests of the Evaluate tab as a view: it paints any
report without running a model."""

from __future__ import annotations

NAMES = ["glasses", "glasses+male", "male", "none", "smiling", "male+smiling"]


def sample_report(collapsed: bool = True) -> dict:
    """A collapsed generator's report (two modes missing, one dominating), or a healthy one's."""
    reference = [0.15, 0.12, 0.25, 0.28, 0.12, 0.08]
    generated = [0.0, 0.004, 0.62, 0.3, 0.06, 0.016] if collapsed else [0.16, 0.11, 0.24, 0.27, 0.13, 0.09]
    n = 1000
    far = 1.0 if collapsed else 0.0
    figures = {
        "fid": {"value": 2.4 + 30 * far, "floor": 2.1, "better": "lower"},
        "kid": {"value": 0.0012 + 0.05 * far, "std_error": 0.0004, "floor": 0.0003, "better": "lower"},
        "inception_score": {"value": 4.1 - 1.5 * far, "std": 0.12, "floor": 4.3, "better": "higher"},
        "precision": {"value": 0.78, "floor": 0.74, "better": "higher"},
        "recall": {"value": 0.7 - 0.6 * far, "floor": 0.73, "better": "higher"},
        "density": {"value": 0.95, "floor": 1.0, "better": "higher"},
        "coverage": {"value": 0.88 - 0.7 * far, "floor": 0.91, "better": "higher"},
    }
    steps = [125, 250, 500, 1000]
    curves = {"n": steps}
    for key in ("fid", "kid", "precision", "recall", "density", "coverage"):
        final = figures[key]["value"]
        curves[key] = [final * (1 + 0.4 / (i + 1)) for i in range(len(steps))]
    missing = ["glasses", "glasses+male"] if collapsed else []
    reasons = (["glasses and glasses+male are missing: 15.0 % and 12.0 % of the real images, 0.0 % and 0.4 % of the "
                "samples.", "male holds 62.0 % of the samples but 25.0 % of the real images.",
                "Coverage 0.18 is far below its real-vs-real floor 0.91."] if collapsed else [])
    return {
        "features": "bundled classifier penultimate features (64-d)",
        "n_generated": n, "n_reference": n, "k": 5, "seed": 0, "truncate": 0.05 if collapsed else None,
        "figures": figures,
        "modes": {"names": NAMES, "generated": generated, "reference": reference,
                  "generated_counts": [round(n * g) for g in generated],
                  "reference_counts": [round(n * r) for r in reference]},
        "collapse": collapsed,
        "verdict": {"reasons": reasons, "missing_modes": missing, "dominant_mode": "male" if collapsed else None},
        "curves": curves,
        "examples": {"missing": {m: [1, 5, 9] for m in missing}},
        "model": "toyfaces-dcgan", "checkpoint": "/somewhere/toyfaces_dcgan.safetensors",
    }
