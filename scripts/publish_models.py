"""Copy trained checkpoints into resources/ (fp16, no optimizer state), with
their sample grids, evaluation reports and model cards.

Usage: python scripts/publish_models.py RUNS_DIR [NAME ...]
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from explorer.commands.evaluate import evaluate_checkpoint  # noqa: E402
from models.checkpoint import atomic_write_bytes, read_config, slim_copy  # noqa: E402
from models.model_card import render_card  # noqa: E402
from models.training.common import write_sample_grid  # noqa: E402

NAMES = ["toyfaces_classifier", "digits_classifier", "toyfaces_vae", "toyfaces_dcgan", "toyfaces_ldm", "digits_vae",
         "toyfaces_vqvae"]


def publish(runs: Path, name: str) -> None:
    src, dst = runs / f"{name}.safetensors", ROOT / "resources" / f"{name}.safetensors"
    slim_copy(src, dst)
    config = read_config(dst)
    if config["family"] != "classifier":
        write_sample_grid(dst)  # from the shipped (fp16) weights
    elif src.with_suffix(".png").exists():
        shutil.copyfile(src.with_suffix(".png"), dst.with_suffix(".png"))
    report, extra = None, ""
    if config["family"] != "classifier":
        report = evaluate_checkpoint(dst, progress=False)
        report["checkpoint"], report["classifier"] = dst.name, report["classifier"].split("/")[-1]
        atomic_write_bytes(dst.with_suffix(".eval.json"), lambda t: Path(t).write_text(json.dumps(report, indent=2)))
        extra = timing_note(dst)
        if report.get("arithmetic") and "error" not in report["arithmetic"] and config["family"] in ("vae", "gan"):
            extra += "\n\n" + arithmetic_note(config, report)
    if config["family"] == "vqvae":
        extra += "\n\n" + codebook_note(dst, config)
    if config["family"] == "classifier":
        extra = classifier_note(dst, config)
    card = render_card(config, report, dst, extra)
    atomic_write_bytes(dst.with_suffix(".md"), lambda t: Path(t).write_text(card))
    print(f"published {dst.name}")


def classifier_note(path: Path, config: dict) -> str:
    """How decisive the classifier is on real data: the ceiling of the realism figure."""
    import numpy as np

    from models.data import load_dataset
    from models.evaluation import HELD_OUT_SEEDS, decisive
    from models.loading import load_model

    clf = load_model(path)
    if config["dataset"] == "toyfaces":
        real = load_dataset("toyfaces", n=1000, seed=HELD_OUT_SEEDS[0], size=config["image_size"])
        what = "1,000 held-out real images"
    else:
        real = load_dataset(config["dataset"])
        what = f"its {len(real)} real images"
    probs = clf.predict(real.images)
    rate = decisive(probs, clf.multilabel).mean()
    if clf.multilabel:
        acc = ((probs >= 0.5) == (real.attributes >= 0.5)).mean()
    else:
        acc = (probs.argmax(1) == real.labels).mean()
    return ("## Notes\n\nTrained with augmentation (±2 px shifts, Gaussian blur σ 0.3–1 px, pixel noise, contrast) "
            "so that it labels what generative models make, which is never as crisp as the rendered data. "
            f"On {what} it is right on {acc:.2%} of the labels and decisive on {rate:.1%} of the images "
            "(every probability ≤ 0.1 or ≥ 0.9 for attributes; top probability ≥ 0.9 for labels): the "
            "ceiling for the realism figure of the generative models.")


def arithmetic_note(config: dict, report: dict) -> str:
    """What an ideal generator with an N(0, I) latent would score on the headline
    arithmetic, and so why the shipped latents carry attribute codes."""
    from models.evaluation import half_space_arithmetic_ceiling

    freq, arch = config["attribute_frequencies"], config["architecture"]
    dim = arch["generator"]["nz"] if "generator" in arch else arch["latent_dim"]
    a = report["arithmetic"]
    ideal = half_space_arithmetic_ceiling(freq["male"], freq["glasses"], dim, exemplars=a["exemplars"], draws=a["draws"])
    ideal10 = half_space_arithmetic_ceiling(freq["male"], freq["glasses"], dim, exemplars=10, draws=a["draws"])
    text = ("## Arithmetic and the latent\n\n"
            f"An ideal generator whose `male` and `glasses` are exact half-spaces of an N(0, I) latent (the most "
            f"linear a Gaussian latent's attributes can be) scores {ideal:.1%} on the same protocol ({a['exemplars']} "
            f"exemplars, {a['draws']} draws, training frequencies; `models.evaluation.half_space_arithmetic_ceiling`), "
            f"and {ideal10:.1%} with 10 exemplars per concept: every direction of N(0, I) is N(0, 1), so no gap "
            "separates the halves and the spread of a 3-exemplar mean crosses the boundary too often for a 90% bar.")
    if config.get("attribute_codes"):
        text += (" This model's latent therefore carries attribute codes, learnt from the training labels: the "
                 "coded attributes sit at ±scale with a small spread, so a 3-exemplar mean stays far from the "
                 f"boundary. It scores {a['success_rate']:.0%}.")
    else:
        text += f" This model scores {a['success_rate']:.0%}."
    return text


def codebook_note(path: Path, config: dict) -> str:
    """How a VQ-VAE uses its codebook and how well it reconstructs held-out images, for its card."""
    import numpy as np

    from models.data import load_dataset
    from models.evaluation import HELD_OUT_SEEDS
    from models.loading import load_latent_model

    model = load_latent_model(path)
    real = load_dataset(config["dataset"], n=1000, seed=HELD_OUT_SEEDS[0], size=config["image_size"]).images
    z = model.encode(real)
    usage = model.codebook_usage(z)
    p = usage[usage > 0] / usage.sum()
    h, w = model.code_grid_shape
    return ("## Codebook\n\n"
            f"{model.codebook_size} codes of {model.latent_shape[0]} numbers on a {h}×{w} grid. On 1,000 held-out "
            f"images {int((usage > 0).sum())} codes are used ({int((usage == 0).sum())} dead), perplexity "
            f"{float(np.exp(-(p * np.log(p)).sum())):.1f}; the mean absolute reconstruction error is "
            f"{float(model.reconstruction_error(real, z).mean()):.3f} (0–1 scale). The codebook was kept alive by "
            "EMA updates and restarts of unused codes (`models/nets/vqvae.py`). Samples come from "
            f"{model.info.prior}; the scatter's bank is encoded training images, and walks interpolate the "
            "continuous map, re-quantising every frame. The realism, coverage and arithmetic figures above "
            "measure those samples and this latent, not the reconstructions: a VQ-VAE's own prior would be an "
            "autoregressive model over code maps (a PixelCNN, as in the paper), which this small bundle does "
            "not ship, so its samples fall short of the bars that the VAE, GAN and diffusion models meet.")


def timing_note(path: Path) -> str:
    """Decode time on this machine's CPU, for the card."""
    import time

    import numpy as np
    import torch

    from models.loading import load_latent_model

    torch.set_num_threads(2)
    model = load_latent_model(path)
    z = model.sample_latents(0, np.arange(16))
    model.decode(z[:1])
    t0 = time.perf_counter()
    model.decode(z[:1])
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.decode(z)
    sixteen = time.perf_counter() - t0
    return (f"## Speed\n\nDecoding on a 2-core CPU (torch {torch.__version__}, 2 threads): one image {one * 1000:.1f} ms, "
            f"a batch of 16 {sixteen * 1000:.1f} ms.")


if __name__ == "__main__":
    runs = Path(sys.argv[1])
    for name in sys.argv[2:] or NAMES:
        publish(runs, name)
