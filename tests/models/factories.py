"""Builders of tiny random-weight checkpoints for tests (nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

import torch

from models.checkpoint import module_tensors, save_checkpoint
from models.data.toyfaces import ATTRIBUTES
from models.nets import build_net

SIZE = 16
BASE = {
    "image_size": SIZE,
    "channels": 3,
    "dataset": "toyfaces",
    "dataset_spec": {"dataset": "toyfaces", "n": 64, "seed": 0, "size": SIZE},
    "attributes": list(ATTRIBUTES),
    "attribute_frequencies": {"male": 0.5, "glasses": 0.4, "smiling": 0.5, "hat": 0.3, "beard": 0.25},
}

VAE_ARCH = {"type": "ConvVAE", "channels": 3, "image_size": SIZE, "latent_dim": 8, "width": 8}
GAN_ARCH = {"generator": {"type": "Generator", "nz": 8, "ngf": 8, "channels": 3, "image_size": SIZE}}
DDPM_ARCH = {"denoiser": {"type": "UNet", "channels": 3, "width": 8, "mults": [1, 2]}, "timesteps": 1000, "sampling_steps": 5}
CLS_ARCH = {"type": "AttributeCNN", "channels": 3, "outputs": len(ATTRIBUTES), "width": 8}


def _save(path: Path, family: str, arch: dict, modules: dict) -> Path:
    tensors = {}
    for prefix, m in modules.items():
        tensors.update(module_tensors(m, prefix + "."))
    save_checkpoint(path, tensors, {"family": family, "name": path.stem, "architecture": arch, **BASE})
    return path


def make_vae(path: Path) -> Path:
    torch.manual_seed(1)
    return _save(path, "vae", VAE_ARCH, {"vae": build_net(VAE_ARCH)})


def make_gan(path: Path) -> Path:
    torch.manual_seed(2)
    return _save(path, "gan", GAN_ARCH, {"generator": build_net(GAN_ARCH["generator"])})


def make_ddpm(path: Path) -> Path:
    torch.manual_seed(3)
    return _save(path, "diffusion", DDPM_ARCH, {"denoiser": build_net(DDPM_ARCH["denoiser"])})


def make_ldm(path: Path) -> Path:
    torch.manual_seed(4)
    arch = {"denoiser": {"type": "LatentDenoiser", "latent_dim": 8, "hidden": 32, "depth": 2},
            "vae": VAE_ARCH, "latent_scale": 1.0, "timesteps": 1000, "sampling_steps": 5}
    return _save(path, "diffusion", arch, {"denoiser": build_net(arch["denoiser"]), "vae": build_net(VAE_ARCH)})


def make_classifier(path: Path) -> Path:
    torch.manual_seed(5)
    return _save(path, "classifier", CLS_ARCH, {"classifier": build_net(CLS_ARCH)})


def make_all(folder: Path) -> dict[str, Path]:
    return {
        "vae": make_vae(folder / "vae.safetensors"),
        "gan": make_gan(folder / "gan.safetensors"),
        "ddpm": make_ddpm(folder / "ddpm.safetensors"),
        "ldm": make_ldm(folder / "ldm.safetensors"),
        "classifier": make_classifier(folder / "classifier.safetensors"),
    }
