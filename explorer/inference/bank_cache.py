"""A disk cache of latent banks, so a model reopens with its scatter at once.

Building a bank draws and encodes (or samples and decodes) a few thousand
images: seconds on a CPU, every start. The result depends only on the
checkpoint file, the bank's size and seed, and this code, so it is cached
under a key made of those. A damaged or unreadable cache entry is ignored
(and replaced); a cache folder that cannot be written just means no cache.

A small bank is one compressed-free ``KEY.npz``. A large one (over
``MMAP_THRESHOLD`` codes) is a folder ``KEY/`` of ``.npy`` files and a
``meta.json``, loaded with ``mmap_mode="r"``: a 1M-code bank opens at once and
its pages are read only when touched.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from explorer.core.latent_bank import LatentBank

log = logging.getLogger(__name__)
BANK_FORMAT = 1  # bump when build_bank's output changes
MMAP_THRESHOLD = 50_000  # codes; larger banks are cached as memory-mappable .npy files


def is_large(n: int) -> bool:
    """Whether a bank of ``n`` codes is cached (and loaded) memory-mapped."""
    return n > MMAP_THRESHOLD


def cache_dir() -> Path:
    env = os.environ.get("LATENT_EXPLORER_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "latent-explorer" / "banks"


def cache_key(model, n: int, seed: int) -> str:
    """The checkpoint's path, size and modification time (a folder: of every file in it), what the model
    is (latent shape, image size, family, sampler steps: hints can change them; a StyleGAN2's space and ψ),
    n, seed and format."""
    p = Path(model.info.path).resolve()
    files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    i = model.info
    what = f"{i.family}|{i.latent_shape}|{i.image_size}|{i.channels}|{getattr(model, 'steps', '')}"
    if hasattr(model, "recipe"):  # a text-to-image bank is decoded for one prompt: another prompt, another bank
        what += "|" + json.dumps(model.recipe(), sort_keys=True, default=str)
    # A StyleGAN2 model's bank holds Z or W codes and thumbnails decoded at its ψ: both set in the window.
    what += "".join(f"|{name}={getattr(model, name)}" for name in ("space", "truncation") if hasattr(model, name))
    h = hashlib.sha256(f"{BANK_FORMAT}|{n}|{seed}|{p}|{what}".encode("utf-8", "surrogateescape"))
    for f in files:
        st = f.stat()
        h.update(f"|{f}|{st.st_size}|{st.st_mtime_ns}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:32]


def _bank(meta: dict, arrays) -> LatentBank:
    """A bank from its metadata and a mapping of its arrays (an open .npz, or loaded .npy files)."""
    n = len(arrays["latents"])
    for name in ("seeds", "indices", "labels", "thumbnails"):
        if name in arrays and len(arrays[name]) != n:  # a half-written folder must not pass
            raise ValueError(f"{name}: {len(arrays[name])} rows for {n} latents")
    return LatentBank(
        latents=arrays["latents"], latent_shape=tuple(meta["latent_shape"]), source=meta["source"],
        seeds=arrays["seeds"], indices=arrays["indices"],
        attributes={name: arrays[f"attr_{i}"] for i, name in enumerate(meta["attributes"])},
        labels=arrays["labels"] if "labels" in arrays else None, label_names=tuple(meta["label_names"]),
        thumbnails=arrays["thumbnails"] if "thumbnails" in arrays else None,
    )


def load(key: str) -> LatentBank | None:
    """The cached bank for ``key``, memory-mapped if it is large; None if there is none (or it is damaged)."""
    folder = cache_dir() / key
    if folder.is_dir():
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                      for name in meta["arrays"]}
            return _bank(meta, arrays)
        except Exception as exc:  # a damaged entry is rebuilt, never trusted
            log.warning("ignoring damaged bank cache %s: %s", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)
            return None
    path = cache_dir() / f"{key}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as d:
            return _bank(json.loads(str(d["meta"])), {name: d[name] for name in d.files})
    except Exception as exc:  # a damaged entry is rebuilt, never trusted
        log.warning("ignoring damaged bank cache %s: %s", path, exc)
        path.unlink(missing_ok=True)
        return None


def _meta(bank: LatentBank) -> dict:
    return {"latent_shape": list(bank.latent_shape), "source": bank.source, "attributes": list(bank.attributes),
            "label_names": list(bank.label_names)}


def _arrays(bank: LatentBank) -> dict:
    arrays = {"latents": bank.latents, "seeds": bank.seeds, "indices": bank.indices}
    arrays.update({f"attr_{i}": v for i, v in enumerate(bank.attributes.values())})
    if bank.labels is not None:
        arrays["labels"] = bank.labels
    if bank.thumbnails is not None:
        arrays["thumbnails"] = bank.thumbnails
    return arrays


def save(key: str, bank: LatentBank) -> None:
    """Cache ``bank`` under ``key``; a large bank as a folder of .npy files (see the module's docstring)."""
    try:
        if is_large(len(bank)):
            _save_folder(cache_dir() / key, _meta(bank), _arrays(bank))
        else:
            _save_npz(cache_dir() / f"{key}.npz", _meta(bank), _arrays(bank))
    except OSError as exc:  # no cache is fine
        log.info("bank cache not written (%s)", exc)


class Scratch:
    """The temporary folder a large bank is built into, for arrays too big to hold in memory.

    :meth:`allocate` hands out memory-mapped ``.npy`` files inside it (the
    bank builder fills them a chunk at a time); :meth:`commit` writes the rest
    of the bank beside them and renames the folder into the cache, without
    copying what is already there. :meth:`discard` removes an uncommitted one.
    """

    def __init__(self, key: str):
        self.folder = cache_dir() / key
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", suffix=".tmp", dir=self.folder.parent))
        self.filled: dict[str, np.memmap] = {}

    @classmethod
    def open(cls, key: str) -> "Scratch | None":
        """A scratch folder for ``key``, or None where the cache cannot be written."""
        try:
            return cls(key)
        except OSError as exc:
            log.info("no scratch folder for a large bank (%s): building it in memory", exc)
            return None

    def allocate(self, name: str, shape: tuple, dtype) -> np.ndarray:
        """A writable memory-mapped array that becomes ``name`` of the cached bank
        (an ordinary array where the disk has no room for it)."""
        path = self.tmp / f"{name}.npy"
        try:
            array = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
            if hasattr(os, "posix_fallocate"):
                # Reserve the blocks now: writing into a sparse mapping on a full
                # disk kills the process (SIGBUS) instead of raising.
                with open(path, "r+b") as f:
                    os.posix_fallocate(f.fileno(), 0, path.stat().st_size)
        except OSError as exc:
            log.info("no room to cache %s on disk (%s): kept in memory", name, exc)
            path.unlink(missing_ok=True)
            return np.empty(shape, dtype)
        self.filled[name] = array
        return array

    def commit(self, bank: LatentBank) -> None:
        """Write what the bank holds beyond the allocated arrays and move it into the cache."""
        arrays = _arrays(bank)
        try:
            for array in self.filled.values():
                array.flush()
            rest = {k: v for k, v in arrays.items() if k not in self.filled or v is not self.filled[k]}
            _save_folder(self.folder, _meta(bank), rest, tmp=self.tmp, listed=list(arrays))
        except OSError as exc:  # no cache is fine; the bank in hand still shows
            log.info("bank cache not written (%s)", exc)

    def discard(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _save_npz(path: Path, meta: dict, arrays: dict) -> None:
    from models.checkpoint import atomic_write_bytes

    buf = io.BytesIO()
    np.savez(buf, meta=np.array(json.dumps(meta)), **arrays)
    atomic_write_bytes(path, lambda tmp: Path(tmp).write_bytes(buf.getvalue()))


def _save_folder(folder: Path, meta: dict, arrays: dict, tmp: Path | None = None, listed=None) -> None:
    """Write into a temporary sibling folder, then rename it into place: a reader
    sees the whole entry or none of it (a crash leaves only a ``.tmp`` folder).
    ``tmp`` may already hold some of the entry's arrays (``listed`` names them all)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp or Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        for name, value in arrays.items():
            np.save(tmp / f"{name}.npy", np.asarray(value), allow_pickle=False)
        (tmp / "meta.json").write_text(json.dumps({**meta, "arrays": listed or list(arrays)}), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)  # an older entry for the same key
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
