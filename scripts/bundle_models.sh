#!/usr/bin/env bash
# Re-create every bundled model in resources/: train, slim to fp16, evaluate,
# write the model card. CPU-only takes a few hours on 2 cores; CUDA is used
# when present. Usage: bash scripts/bundle_models.sh [RUNS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-runs}
mkdir -p "$runs"
le() { .venv/bin/latent-explorer "$@"; }

le train classifier --data toyfaces --n 20000 --epochs 4 --out "$runs/toyfaces_classifier.safetensors" --name toyfaces-classifier
le train classifier --data digits --epochs 30 --out "$runs/digits_classifier.safetensors" --name digits-classifier
le train vae --data toyfaces --n 20000 --epochs 30 --latent-dim 16 --beta 1.0 --out "$runs/toyfaces_vae.safetensors" --name toyfaces-vae
le train gan --data toyfaces --n 20000 --epochs 20 --out "$runs/toyfaces_dcgan.safetensors" --name toyfaces-dcgan
le train ldm --data toyfaces --n 20000 --vae "$runs/toyfaces_vae.safetensors" --epochs 40 --batch-size 256 --out "$runs/toyfaces_ldm.safetensors" --name toyfaces-ldm
le train vae --data digits --epochs 150 --latent-dim 16 --out "$runs/digits_vae.safetensors" --name digits-vae

.venv/bin/python scripts/publish_models.py "$runs"
