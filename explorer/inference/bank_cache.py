"""A disk cache of latent banks, so a model reopens with its scatter at once.

Building a bank draws and encodes (or samples and decodes) a few thousand
images: seconds on a CPU, every start. The result depends only on the
checkpoint file, the bank's size and seed, and this code, so it is cached
under a key made of those. A damaged or unreadable cache entry is ignored
(and replaced); a cache folder that cannot be written just means no cache.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from pathlib import Path

import numpy as np

from explorer.core.latent_bank import LatentBank

log = logging.getLogger(__name__)
BANK_FORMAT = 1  # bump when build_bank's output changes


def cache_dir() -> Path:
    env = os.environ.get("LATENT_EXPLORER_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "latent-explorer" / "banks"


def cache_key(model, n: int, seed: int) -> str:
    """The checkpoint's path, size and modification time (a folder: of every file in it), what the model
    is (latent shape, image size, family, sampler steps: hints can change them), n, seed and format."""
    p = Path(model.info.path).resolve()
    files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    i = model.info
    what = f"{i.family}|{i.latent_shape}|{i.image_size}|{i.channels}|{getattr(model, 'steps', '')}"
    h = hashlib.sha256(f"{BANK_FORMAT}|{n}|{seed}|{p}|{what}".encode("utf-8", "surrogateescape"))
    for f in files:
        st = f.stat()
        h.update(f"|{f}|{st.st_size}|{st.st_mtime_ns}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:32]


def load(key: str) -> LatentBank | None:
    path = cache_dir() / f"{key}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as d:
            meta = json.loads(str(d["meta"]))
            attributes = {name: d[f"attr_{i}"] for i, name in enumerate(meta["attributes"])}
            return LatentBank(
                latents=d["latents"], latent_shape=tuple(meta["latent_shape"]), source=meta["source"],
                seeds=d["seeds"], indices=d["indices"], attributes=attributes,
                labels=d["labels"] if "labels" in d else None, label_names=tuple(meta["label_names"]),
                thumbnails=d["thumbnails"] if "thumbnails" in d else None,
            )
    except Exception as exc:  # a damaged entry is rebuilt, never trusted
        log.warning("ignoring damaged bank cache %s: %s", path, exc)
        path.unlink(missing_ok=True)
        return None


def save(key: str, bank: LatentBank) -> None:
    from models.checkpoint import atomic_write_bytes

    meta = {"latent_shape": list(bank.latent_shape), "source": bank.source, "attributes": list(bank.attributes),
            "label_names": list(bank.label_names)}
    arrays = {"meta": np.array(json.dumps(meta)), "latents": bank.latents, "seeds": bank.seeds,
              "indices": bank.indices}
    arrays.update({f"attr_{i}": v for i, v in enumerate(bank.attributes.values())})
    if bank.labels is not None:
        arrays["labels"] = bank.labels
    if bank.thumbnails is not None:
        arrays["thumbnails"] = bank.thumbnails
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    try:
        atomic_write_bytes(cache_dir() / f"{key}.npz", lambda tmp: Path(tmp).write_bytes(buf.getvalue()))
    except OSError as exc:  # no cache is fine
        log.info("bank cache not written (%s)", exc)
