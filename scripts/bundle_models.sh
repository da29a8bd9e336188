#!/usr/bin/env bash
# Re-create every bundled model in resources/ the way the shipped ones were
# made: train, slim to fp16, evaluate, write the model card. On the 2-core CPU
# of this project's machines it takes several hours; CUDA is used when present.
# Usage: bash scripts/bundle_models.sh [RUNS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-runs}
mkdir -p "$runs"
le() { .venv/bin/latent-explorer "$@"; }

# Classifiers first: evaluation needs them.
le train classifier --data toyfaces --n 20000 --epochs 5 --out "$runs/toyfaces_classifier.safetensors" --name toyfaces-classifier
le train classifier --data digits --epochs 30 --out "$runs/digits_classifier.safetensors" --name digits-classifier
# The toyfaces VAE: 16-d latent, β = 1, 100 epochs against N(0, I) (shipped run: 30, then --resume to 60,
# then to 100), then fine-tuned with male, glasses, smiling and hat coded in its first four dimensions.
le train vae --data toyfaces --n 20000 --epochs 100 --latent-dim 16 --beta 1.0 --out "$runs/toyfaces_vae_plain.safetensors" --name toyfaces-vae
le train vae --data toyfaces --n 20000 --epochs 20 --latent-dim 16 --codes male,glasses,smiling,hat \
    --init "$runs/toyfaces_vae_plain.safetensors" --out "$runs/toyfaces_vae.safetensors" --name toyfaces-vae
# DCGAN, 100 epochs (shipped run: 20, then --resume to 45 and 70 with raw weights, then --resume to 100
# saving the EMA of generator weights; the instance noise fades over the first 19 either way), then
# fine-tuned as an AC-GAN with the same four attributes coded in its latent (shipped run: 20, then --resume to 35).
le train gan --data toyfaces --n 20000 --epochs 100 --out "$runs/toyfaces_dcgan_plain.safetensors" --name toyfaces-dcgan
le train gan --data toyfaces --n 20000 --epochs 35 --codes male,glasses,smiling,hat \
    --init "$runs/toyfaces_dcgan_plain.safetensors" --out "$runs/toyfaces_dcgan.safetensors" --name toyfaces-dcgan
# Latent diffusion in the latent space of a sharper 32-d, β = 0.5 VAE (30 epochs), which it carries inside.
le train vae --data toyfaces --n 20000 --epochs 30 --latent-dim 32 --beta 0.5 --out "$runs/toyfaces_vae32.safetensors" --name toyfaces-vae32
le train ldm --data toyfaces --n 20000 --vae "$runs/toyfaces_vae32.safetensors" --epochs 150 --batch-size 256 --out "$runs/toyfaces_ldm.safetensors" --name toyfaces-ldm
# A small VQ-VAE (128 codes of 16 on an 8×8 grid), 8 epochs, about 15 CPU minutes (shipped run: 5, then --resume to 8).
le train vqvae --data toyfaces --n 6000 --epochs 8 --batch-size 32 --lr 0.002 --latent-dim 16 --codebook 128 \
    --out "$runs/toyfaces_vqvae.safetensors" --name toyfaces-vqvae
le train vae --data digits --epochs 200 --latent-dim 8 --out "$runs/digits_vae.safetensors" --name digits-vae

.venv/bin/python scripts/publish_models.py "$runs"
