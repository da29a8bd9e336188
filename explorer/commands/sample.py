"""``latent-explorer sample``: decode prior samples into PNGs plus metadata.jsonl."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from explorer.commands.progress import progress_bar


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_dir():
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(f.relative_to(path).as_posix().encode())
            h.update(f.read_bytes())
    else:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def shard_indices(n: int, shard: tuple[int, int], batch_size: int) -> np.ndarray:
    """Indices of shard K of N: whole batches of the full run, dealt round-robin.

    Keeping the full run's batch grid means every image is decoded in a batch
    of exactly the same composition in a shard as in the single run, so the
    bytes agree even where a backend's results depend on batch contents.
    """
    k, parts = shard
    idx = np.arange(n)
    return idx[(idx // batch_size) % parts == k]


def sample_to_folder(checkpoint, out: Path, n: int, seed: int = 0, shard=(0, 1), batch_size: int = 64,
                     steps: int | None = None, device: str = "cpu", progress: bool = True, hints=None) -> dict:
    """Decode ``n`` prior samples (or one shard of them) into ``out``."""
    from models.imaging import save_png
    from models.loading import bundled_classifier_for, load_latent_model, resolve_checkpoint
    from models.checkpoint import atomic_write_bytes

    path = resolve_checkpoint(checkpoint)
    model = load_latent_model(path, device, **(hints or {}))
    if steps is not None and hasattr(model, "steps"):
        model.steps = steps
    classifier = bundled_classifier_for(model)
    digest = file_sha256(path)
    out.mkdir(parents=True, exist_ok=True)
    indices = shard_indices(n, shard, batch_size)
    lines = []
    with progress_bar("sampling", len(indices), progress) as update:
        for start in range(0, len(indices), batch_size):
            batch = indices[start:start + batch_size]
            latents = model.sample_latents(seed, batch)
            images = model.decode(latents, batch_size=batch_size)
            probs = classifier.predict(images) if classifier is not None else None
            for j, i in enumerate(batch):
                name = f"{i:06d}.png"
                save_png(out / name, images[j])
                attrs = {} if probs is None else {k: round(float(p), 4) for k, p in zip(classifier.names, probs[j])}
                lines.append(json.dumps({
                    "file": name, "index": int(i), "seed": seed, "latent": latents[j].ravel().tolist(),
                    "latent_shape": list(model.latent_shape), "attributes": attrs,
                    "model": model.info.name, "sha256": digest,
                }))
            update(start + len(batch), len(indices))
    text = "".join(line + "\n" for line in lines)
    atomic_write_bytes(out / "metadata.jsonl", lambda tmp: Path(tmp).write_text(text))
    return {"out": str(out), "count": len(indices), "model": model.info.name, "family": model.info.family,
            "sha256": digest, "seed": seed, "shard": list(shard), "files": [json.loads(l)["file"] for l in lines]}
