"""Markdown model cards: data, architecture, training record, quality figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def render_card(config: dict[str, Any], report: dict[str, Any] | None, checkpoint: Path, extra: str = "") -> str:
    """A model card for ``checkpoint`` from its config and an evaluation report."""
    tr = config.get("training", {})
    lines = [f"# {config.get('name', checkpoint.stem)}", ""]
    lines += [
        f"- **File**: `{checkpoint.name}` ({checkpoint.stat().st_size / 1e6:.1f} MB, fp16 safetensors)",
        f"- **Family**: {config['family']}" + (f" ({config['variant']} diffusion)" if config.get("variant") else ""),
        f"- **Data**: {config.get('dataset')} — {json.dumps(config.get('dataset_spec', {}))}",
        f"- **Images**: {config['image_size']}×{config['image_size']}, {config['channels']} channel(s)",
    ]
    names = config.get("attributes") or config.get("labels")
    if names:
        lines.append(f"- **{'Attributes' if config.get('attributes') else 'Labels'}**: {', '.join(names)}")
    lines += [
        f"- **Training**: {tr.get('epochs')} epochs, {tr.get('steps')} steps of batch {tr.get('batch_size')}, "
        f"{tr.get('seconds', 0) / 60:.1f} min on {tr.get('device')}, seed {tr.get('seed')}",
        *_commands(tr),
        *_initialisation(config.get("initialised_from")),
        *_latent(config),
        "",
        "## Architecture",
        "",
        "```json",
        json.dumps(config["architecture"], indent=2),
        "```",
        "",
    ]
    hist = tr.get("history", [])
    if hist:
        lines += ["## Loss per epoch (last 5)", "", "| " + " | ".join(hist[-1]) + " |", "|" + "---|" * len(hist[-1])]
        lines += ["| " + " | ".join(str(v) for v in h.values()) + " |" for h in hist[-5:]]
        lines.append("")
    if "validation_accuracy" in tr:
        lines += ["## Held-out accuracy", ""]
        lines += [f"- {k}: {v:.4f}" for k, v in tr["validation_accuracy"].items()]
        lines.append("")
    if report:
        lines += _quality(report)
    if extra:
        lines += [extra, ""]
    grid = checkpoint.with_suffix(".png")
    if grid.exists():
        what = "Highest-scoring held-out images per attribute (one row each)" if config["family"] == "classifier" \
            else "Prior samples, seed 0"
        lines += ["## Samples", "", f"{what}:", "", f"![samples]({grid.name})", ""]
    return "\n".join(lines)


def _quality(r: dict[str, Any]) -> list[str]:
    ok = {True: "pass", False: "**fail**"}
    re, mc, fr = r["realism"], r["mode_coverage"], r["frechet"]
    out = [
        "## Quality",
        "",
        f"Measured with `latent-explorer evaluate {Path(r['checkpoint']).name} --json` "
        f"({r['n']} samples, seed {r['seed']}, classifier `{Path(r['classifier']).name}`).",
        "",
        "| figure | value | bar | |",
        "|---|---|---|---|",
        f"| realism: classifier decisive ({re['rule']}) | {re['decisive_fraction']:.1%} | ≥ {re['threshold']:.0%} | {ok[re['pass']]} |",
    ]
    if mc["max_abs_difference"] is not None:
        out.append(f"| mode coverage: max \\|sample − training\\| frequency | {mc['max_abs_difference']:.3f} | ≤ {mc['tolerance']} | {ok[mc['pass']]} |")
    real = fr.get("real_set", "held-out real images")
    out.append(f"| Fréchet distance, samples vs {fr['n_real']} real images | {fr['samples_vs_real']:.3f} | (floor below) | |")
    out.append(f"| Fréchet distance, real vs real (floor) | {fr['real_vs_real']:.3f} | | |")
    a = r.get("arithmetic")
    if a and "error" not in a:
        out.append(f"| arithmetic `{a['expression']}` → glasses & not male | {a['success_rate']:.0%} of {a['draws']} draws "
                   f"({a['exemplars']} exemplars each) | ≥ {a['threshold']:.0%} | {ok[a['pass']]} |")
    out += ["", f"Real images: {real}.", ""]
    plain = r.get("sampling", {}).get("trained_prior_decisive_fraction")
    if plain is not None:
        out += [f"Samples are drawn from the checkpoint's fitted prior ({r['sampling']['prior']}; see "
                f"`models/latent_prior.py`). Drawn from the prior the VAE was trained against "
                f"({r['sampling']['trained_prior']}), the same {r['n']} samples are decisive {plain:.1%} of the time.", ""]
    if mc["max_abs_difference"] is not None:
        out += ["Attribute frequencies:", "", "| attribute | samples | training |", "|---|---|---|"]
        out += [f"| {k} | {v:.3f} | {mc['training_frequencies'].get(k, float('nan')):.3f} |" for k, v in mc["sample_frequencies"].items()]
        out.append("")
    if a and "error" not in a:
        out += [f"Arithmetic bank: {a['bank']}; concepts {json.dumps(a['concepts'])}.", ""]
    return out


def _initialisation(init: dict[str, Any] | None) -> list[str]:
    """Where a fine-tuned run's weights started, and how those were trained."""
    if not init:
        return []
    minutes = f", {init['seconds'] / 60:.1f} min" if init.get("seconds") else ""
    new = f"; new layers: {', '.join(f'`{t}`' for t in init['new_tensors'])}" if init.get("new_tensors") else ""
    lines = [f"- **Started from** the weights of an earlier checkpoint, `{init.get('file')}` ({init.get('name')}: {init.get('epochs')} epochs, "
             f"{init.get('steps')} steps{minutes}{new}), trained by:"]
    return lines + [f"  - `{c}`" for c in init.get("commands", []) if c]


def _latent(config: dict[str, Any]) -> list[str]:
    codes = config.get("attribute_codes")
    if not codes:
        return []
    how = ("a conditional prior p(z | attributes) in the KL term" if config["family"] == "vae"
           else "an auxiliary attribute classifier on the discriminator (AC-GAN)")
    return [f"- **Latent**: attributes {', '.join(f'`{a}`' for a in codes['attributes'])} are coded in the first "
            f"{len(codes['attributes'])} dimensions (±{codes['scale']:g}, spread {codes['spread']:g}; learnt through "
            f"{how}); the other dimensions are N(0, 1). See `models/attribute_codes.py`."]


def _commands(training: dict[str, Any]) -> list[str]:
    """The training command, or each command of a run that was resumed."""
    commands = training.get("commands") or [training.get("command", "")]
    if len(commands) == 1:
        return [f"- **Command**: `{commands[0]}`"]
    return ["- **Commands** (a resumed run, in order):", *[f"  - `{c}`" for c in commands]]
