"""The evaluation report as one self-contained HTML file that opens offline.

Everything the page shows is inside it: the figures beside their real-vs-real
floors, the collapse verdict in words, an inline SVG bar chart of mode
frequencies (generated against reference), small SVG plots of each figure over
sample count, and sample grids as base64 PNGs — no script, no stylesheet or
image fetched from anywhere, so it can be mailed or archived as it is.

The report dict is the one :func:`models.fidelity_report.evaluate_images`
returns (plus the classifier figures of ``latent-explorer evaluate`` when a
checkpoint was evaluated).
"""

from __future__ import annotations

import base64
import io
import math
from html import escape
from pathlib import Path

import numpy as np

FIGURE_LABELS = {"fid": "Fréchet distance (FID)", "kid": "Kernel inception distance (KID)",
                 "inception_score": "Inception score", "precision": "Precision", "recall": "Recall",
                 "density": "Density", "coverage": "Coverage"}
GRID_IMAGES = 64  # generated images shown; enough to see diversity at a glance
EXAMPLES_PER_MODE = 8
# Colours of the two sets, the same in every chart so the legend is learnt once.
GENERATED_COLOUR, REFERENCE_COLOUR = "#d9622b", "#3b7dd8"

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:60em;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:.25em .8em;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.meta{color:#555}
.verdict{padding:.8em 1em;border-radius:6px;font-size:1.1em}
.collapsed{background:#fde2dd;border:1px solid #d9622b}.healthy{background:#e2f3e2;border:1px solid #5a5}
img.grid{image-rendering:pixelated;border:1px solid #ccc;max-width:100%}
.curves{display:flex;flex-wrap:wrap;gap:1em}.missing{color:#b3261e;font-weight:600}
"""


def png_data_uri(image: np.ndarray, scale: int = 1) -> str:
    """A uint8 (h, w, c) image as a ``data:image/png;base64,...`` URI, enlarged ``scale`` times."""
    from PIL import Image

    arr = np.ascontiguousarray(image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image)
    if scale > 1:  # repeat pixels: small generated images stay crisp in any browser
        arr = np.repeat(np.repeat(arr, scale, axis=0), scale, axis=1)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _grid(images: np.ndarray, cols: int = 16) -> np.ndarray:
    n, h, w, c = images.shape
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    grid = np.full((rows * (h + 1) + 1, cols * (w + 1) + 1, c), 255, np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        grid[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + q * (w + 1):1 + q * (w + 1) + w] = images[i]
    return grid


def _grid_img(images: np.ndarray, alt: str, cols: int = 16) -> str:
    scale = max(1, 64 // max(1, images.shape[1]))  # show tiny images at about 64 px
    return f'<img class="grid" alt="{escape(alt)}" src="{png_data_uri(_grid(images, cols), scale)}">'


def _number(v, digits: int = 4) -> str:
    if v is None:
        return "—"
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    return f"{v:.{digits}g}"


def figures_table(figures: dict) -> str:
    """The figures, each with its spread, its real-vs-real floor and which direction is better."""
    rows = ["<tr><th>figure</th><th>value</th><th>real-vs-real floor</th><th>better</th></tr>"]
    for key, fig in figures.items():
        spread = fig.get("std_error", fig.get("std"))
        value = _number(fig.get("value")) + (f" ± {_number(spread, 2)}" if spread is not None else "")
        rows.append(f"<tr><td>{escape(FIGURE_LABELS.get(key, key))}</td><td>{value}</td>"
                    f"<td>{_number(fig.get('floor'))}</td><td>{escape(str(fig.get('better', '')))}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def modes_svg(modes: dict, missing: set[str] = frozenset()) -> str:
    """A horizontal bar chart: one pair of bars (generated, reference) per mode."""
    names = list(modes.get("names", []))
    gen, ref = modes.get("generated", []), modes.get("reference", [])
    top = max([*gen, *ref, 1e-9])
    label_w, bar_w, row_h = 240, 400, 22
    height = 30 + row_h * len(names)
    parts = [f'<svg width="{label_w + bar_w + 110}" height="{height}" '
             f'role="img" aria-label="mode frequencies, generated against reference" font-size="12">',
             f'<rect x="{label_w}" y="4" width="10" height="10" fill="{GENERATED_COLOUR}"/>'
             f'<text x="{label_w + 14}" y="13">generated</text>'
             f'<rect x="{label_w + 100}" y="4" width="10" height="10" fill="{REFERENCE_COLOUR}"/>'
             f'<text x="{label_w + 114}" y="13">reference</text>']
    for i, name in enumerate(names):
        y = 24 + i * row_h
        cls = ' fill="#b3261e" font-weight="bold"' if name in missing else ""
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end"{cls}>{escape(name)}</text>')
        for j, (values, colour) in enumerate(((gen, GENERATED_COLOUR), (ref, REFERENCE_COLOUR))):
            v = float(values[i]) if i < len(values) else 0.0
            w = bar_w * v / top
            parts.append(f'<rect x="{label_w}" y="{y + 2 + 9 * j}" width="{w:.1f}" height="8" fill="{colour}">'
                         f'<title>{escape(name)}: {"generated" if j == 0 else "reference"} {v:.1%}</title></rect>')
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 14}" fill="#555">'
                     f'{float(gen[i]) if i < len(gen) else 0:.1%} / {float(ref[i]) if i < len(ref) else 0:.1%}</text>')
    parts.append("</svg>")
    return "".join(parts)


def curve_svg(ns: list, values: list, floor, label: str) -> str:
    """One figure over sample count, its floor dashed, so a reader sees whether it has settled."""
    w, h, m = 280, 150, 52
    points = [(n, v) for n, v in zip(ns, values) if v is not None and math.isfinite(float(v))]
    parts = [f'<svg width="{w}" height="{h}" font-size="11" role="img" '
             f'aria-label="{escape(label)} over sample count"><text x="{m}" y="12">{escape(label)}</text>']
    if points:
        has_floor = floor is not None and math.isfinite(float(floor))
        ys = [float(v) for _, v in points] + ([float(floor)] if has_floor else [])
        lo, hi = min(ys), max(ys)
        hi = hi if hi > lo else lo + 1.0
        n_lo, n_hi = min(n for n, _ in points), max(n for n, _ in points)
        n_hi = n_hi if n_hi > n_lo else n_lo + 1

        def xy(n, v):
            return m + (w - m - 8) * (n - n_lo) / (n_hi - n_lo), h - 20 - (h - 44) * (float(v) - lo) / (hi - lo)

        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(n, v) for n, v in points))
        parts.append(f'<polyline fill="none" stroke="{GENERATED_COLOUR}" stroke-width="2" points="{path}"/>')
        if has_floor:
            _, fy = xy(n_lo, floor)
            parts.append(f'<line x1="{m}" x2="{w - 8}" y1="{fy:.1f}" y2="{fy:.1f}" stroke="{REFERENCE_COLOUR}" '
                         f'stroke-dasharray="4 3"><title>real-vs-real floor {_number(floor)}</title></line>')
        parts.append(f'<text x="{m - 3}" y="{h - 20}" text-anchor="end">{_number(lo, 3)}</text>'
                     f'<text x="{m - 3}" y="{20 + 8}" text-anchor="end">{_number(hi, 3)}</text>'
                     f'<text x="{m}" y="{h - 4}">n = {n_lo}</text>'
                     f'<text x="{w - 8}" y="{h - 4}" text-anchor="end">{n_hi}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _classifier_section(report: dict) -> str:
    """The classifier figures of a checkpoint evaluation (realism, arithmetic), when present."""
    rows = []
    if "realism" in report:
        r = report["realism"]
        rows.append(f"<li>realism: the classifier is decisive on {r['decisive_fraction']:.1%} of samples "
                    f"(bar {r['threshold']:.0%}): {'pass' if r['pass'] else 'FAIL'}</li>")
    a = report.get("arithmetic")
    if a and "error" not in a:
        rows.append(f"<li>arithmetic {escape(a['expression'])}: {a['success_rate']:.0%} of {a['draws']} draws "
                    f"(bar {a['threshold']:.0%}): {'pass' if a['pass'] else 'FAIL'}</li>")
    return f"<h2>Classifier figures</h2><ul>{''.join(rows)}</ul>" if rows else ""


def render_report(report: dict, generated: np.ndarray | None = None, reference: np.ndarray | None = None,
                  title: str | None = None) -> str:
    """The whole HTML page for ``report``.

    Parameters
    ----------
    report : dict
        An evaluation report (see :mod:`models.fidelity_report`).
    generated, reference : ndarray of uint8 (n, h, w, c), optional
        The images that were evaluated; a grid of the first generated ones is
        shown, and ``report["examples"]["missing"]`` indexes ``reference`` for
        the real examples of each missing mode.
    title : str, optional
        What was evaluated (default: the report's model name or "images").
    """
    title = title or report.get("model") or "images"
    verdict = report.get("verdict", {})
    missing = list(verdict.get("missing_modes", []))
    collapsed = bool(report.get("collapse"))
    truncate = report.get("truncate")
    meta = (f"{report.get('n_generated', '?')} generated images against {report.get('n_reference', '?')} reference "
            f"images; features: {report.get('features', '?')}; k = {report.get('k', '?')}; "
            f"seed {report.get('seed', '?')}"
            + (f"; truncation S = {truncate}" if truncate is not None else ""))
    if report.get("checkpoint"):
        meta += f"; checkpoint {report['checkpoint']}"
    head = "Mode collapse" if collapsed else "No mode collapse detected"
    reasons = "".join(f"<li>{escape(r)}</li>" for r in verdict.get("reasons", []))
    body = [f"<h1>Evaluation of {escape(str(title))}</h1>", f'<p class="meta">{escape(meta)}</p>',
            f'<div class="verdict {"collapsed" if collapsed else "healthy"}"><strong>{head}</strong>'
            + (f"<ul>{reasons}</ul>" if reasons else "") + "</div>",
            "<h2>Figures</h2>", figures_table(report.get("figures", {})),
            "<p class=\"meta\">The floor is the same figure between two sets of real images: "
            "no generator can be expected to do better.</p>"]
    modes = report.get("modes") or {}
    if modes.get("names"):
        body += ["<h2>Modes: generated against reference</h2>", modes_svg(modes, set(missing))]
    curves = report.get("curves") or {}
    if curves.get("n"):
        figs = report.get("figures", {})
        plots = "".join(curve_svg(curves["n"], curves[k], figs.get(k, {}).get("floor"), FIGURE_LABELS.get(k, k))
                        for k in curves if k != "n" and curves.get(k))
        body += ["<h2>Each figure over sample count</h2>", f'<div class="curves">{plots}</div>']
    if generated is not None and len(generated):
        body += [f"<h2>Generated samples (first {min(GRID_IMAGES, len(generated))})</h2>",
                 _grid_img(generated[:GRID_IMAGES], "generated samples")]
    examples = (report.get("examples") or {}).get("missing") or {}
    if missing:
        body.append("<h2>Missing modes, with real examples</h2>")
        for name in missing:
            idx = [int(i) for i in examples.get(name, [])][:EXAMPLES_PER_MODE]
            body.append(f'<h3 class="missing">{escape(name)}</h3>')
            if reference is not None and idx:
                body.append(_grid_img(reference[idx], f"real examples of {name}", cols=EXAMPLES_PER_MODE))
    body.append(_classifier_section(report))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Evaluation of {escape(str(title))}</title><style>{_STYLE}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def write_report(path: str | Path, report: dict, generated: np.ndarray | None = None,
                 reference: np.ndarray | None = None, title: str | None = None) -> Path:
    """Write :func:`render_report`'s page to ``path`` atomically; returns the path.

    Raises ``OSError`` naming ``path`` when it cannot be written (the old file,
    if any, is left as it was).
    """
    from explorer.core.atomic_file import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path, render_report(report, generated, reference, title).encode("utf-8"))
    return path
