"""Refresh the figures table in README.md from resources/*.eval.json."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = (("toyfaces_vae", "VAE (16-d)"), ("toyfaces_dcgan", "GAN (DCGAN)"), ("toyfaces_ldm", "latent diffusion"),
          ("digits_vae", "VAE (8-d)"), ("toyfaces_vqvae", "VQ-VAE (128 codes)"))


def table() -> str:
    rows = ["| model | family | realism (bar ≥ 80 %) | coverage, max Δ (bar ≤ 0.10) | Fréchet, samples / real floor "
            "| arithmetic (bar ≥ 90 %, VAE and GAN) |", "|---|---|---|---|---|---|"]
    for name, family in MODELS:
        r = json.loads((ROOT / "resources" / f"{name}.eval.json").read_text())
        a = r.get("arithmetic")
        arith = f"{a['success_rate']:.0%}" if a and "success_rate" in a else "—"
        rows.append(f"| `{name}` | {family} | {r['realism']['decisive_fraction']:.1%} | "
                    f"{r['mode_coverage']['max_abs_difference']:.3f} | {r['frechet']['samples_vs_real']:.2f} / "
                    f"{r['frechet']['real_vs_real']:.2f} | {arith} |")
    return "\n".join(rows)


if __name__ == "__main__":
    readme = ROOT / "README.md"
    text = readme.read_text()
    text = re.sub(r"<!-- figures -->.*?<!-- /figures -->", f"<!-- figures -->\n{table()}\n<!-- /figures -->", text,
                  flags=re.S)
    readme.write_text(text)
