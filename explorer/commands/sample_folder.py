"""The folder ``sample`` writes: its limits, its run record and how an interrupted run resumes.

A run streams ``metadata.jsonl``: each image's line is appended (and flushed)
once its PNG is on disk, so at any moment every listed file exists, and at
worst the images written after the last listed one are unlisted (a resume
writes them again). While a run is unfinished the folder also holds
``.sample-run.json``, the settings that decide its bytes (checkpoint digest,
seed, N, shard, batch size, steps, whether images are labelled); a successful
run removes it, so a finished folder holds exactly the PNGs,
``metadata.jsonl``, ``latents.npy`` and ``README.md``. ``--resume`` checks those settings, keeps the longest
listed prefix of the run whose files exist, and continues from the batch it
ends in, so the result is byte-identical to an uninterrupted run.

A finished run (not a ``--shard`` part: the merge does it for those) ends by
writing ``latents.npy`` (float32, one row per record, read back from
metadata.jsonl, so it is exactly the records' latents) and ``README.md``; only
then is the run record removed. Both depend on nothing but the records, so a
merged run's are a single run's, byte for byte. With a ``file_name`` column in
the records, the folder is what Hugging Face's ``imagefolder`` loader reads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from explorer.core.disk_space import free_bytes, human_size

METADATA = "metadata.jsonl"
RUN_RECORD = ".sample-run.json"
LATENTS, README = "latents.npy", "README.md"
#: The layout of the records: 2 added file_name, latent_row, steps and recipe (a resume must not mix them).
FORMAT = 2
# More images than this in one run is a typo or an attack, not a data set.
MAX_N = 10 ** 8
# What one batch's latents, activations and images may take; a batch of the
# default size is always allowed, so normal runs keep their batch grid (and bytes).
BATCH_MEMORY_BUDGET = 512 * 2 ** 20
DEFAULT_BATCH_SIZE = 64
# Decoder activations are several times the float output; this is a generous factor.
_ACTIVATION_FACTOR = 64
_BLOCK = 4096  # a file takes at least one file-system block


def check_count(n: int) -> None:
    """Refuse absurd ``--n`` before anything is loaded."""
    if n > MAX_N:
        raise ValueError(f"--n {n}: at most {MAX_N:,} images in one run")


def bounded_batch_size(batch_size: int, image_size: int, channels: int, latent_size: int) -> int:
    """``batch_size`` clamped so one batch fits `BATCH_MEMORY_BUDGET` (never below the default)."""
    per_image = image_size * image_size * channels * 4 * _ACTIVATION_FACTOR + latent_size * 4 * 4
    limit = max(DEFAULT_BATCH_SIZE, BATCH_MEMORY_BUDGET // max(per_image, 1))
    return min(batch_size, limit)


def bytes_per_image(image_size: int, channels: int, latent_size: int) -> int:
    """A generous bound on the disk one image takes: its PNG plus its metadata line.

    A PNG of incompressible pixels is the raw pixels, a filter byte per row and
    a little zlib and chunk overhead; a file takes whole blocks. The metadata
    line holds the latent as JSON floats (at most ~25 characters each).
    """
    raw = image_size * (image_size * channels + 1)
    png = raw + raw // 1000 + 1024
    png = -(-png // _BLOCK) * _BLOCK
    return png + latent_size * (25 + 4) + 1024  # and its row of latents.npy


def check_disk_space(out: Path, count: int, per_image: int) -> None:
    """Refuse a run whose estimated output does not fit in the free space where ``out`` is."""
    if count == 0:
        return
    needed = count * per_image
    free = free_bytes(out)
    if needed > free:
        raise OSError(f"{out}: {count:,} images need up to {human_size(needed)} (about {human_size(per_image)} "
                      f"each), only {human_size(free)} free there")


def run_settings(digest: str, model_name: str, seed: int, n: int, shard, batch_size: int, steps,
                 latent_shape, label: bool = False, conditions: dict | None = None) -> dict:
    """What decides the bytes of a run; a resume must match it exactly.

    ``conditions``: what :meth:`~explorer.commands.sample_conditions.Conditions.settings` adds.
    """
    return {"sha256": digest, "model": model_name, "seed": seed, "n": n, "shard": list(shard),
            "batch_size": batch_size, "steps": steps, "latent_shape": list(latent_shape), "label": label,
            "format": FORMAT, **(conditions or {})}


# The option a user changes to change each setting (of a run, or of a sharded
# run as a whole: see explorer.commands.sample_ray).
_OPTION = {"sha256": "checkpoint", "model": "checkpoint", "seed": "--seed", "n": "--n", "shard": "--shard",
           "batch_size": "--batch-size", "steps": "--steps", "latent_shape": "--latent-shape", "label": "--label",
           "shards": "--shards", "device": "--device", "hints": "model hints", "where": "--where",
           "min_confidence": "--min-confidence", "direction": "--direction", "strength": "--strength",
           "definitions": "--define", "bank": "--bank", "format": "the record layout (an older latent-explorer)"}
# Settings that records written before they existed lack: every run labelled
# its images before --label made that optional; no run was conditional, and
# the records had the first layout.
_UNRECORDED = {"label": True, "format": 1}


def settings_differences(recorded: dict, settings: dict) -> list[str]:
    """How ``settings`` differ from ``recorded``, one phrase per setting (``--seed was 3, now 4``)."""
    differ = [k for k in settings if recorded.get(k, _UNRECORDED.get(k)) != settings[k]]
    return [f"{_OPTION.get(k, k)} was {_show(k, recorded.get(k, _UNRECORDED.get(k)))}, now {_show(k, settings[k])}"
            for k in differ]


def write_run_record(out: Path, settings: dict) -> None:
    """Mark ``out`` as holding an unfinished run with these settings."""
    from models.checkpoint import atomic_write_bytes

    text = json.dumps(settings, indent=1)
    atomic_write_bytes(out / RUN_RECORD, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def finish_run(out: Path, complete: bool = True) -> None:
    """The run completed: write latents.npy and README.md (unless ``complete`` is False:
    a shard's part, which the merge completes), then drop the run record."""
    if complete:
        count = write_latents(out / METADATA, out / LATENTS)
        write_readme(out, out / METADATA, count)
    (out / RUN_RECORD).unlink(missing_ok=True)


def _first_record(metadata: Path) -> dict:
    with open(metadata, encoding="utf-8") as f:
        line = f.readline()
    return json.loads(line) if line.strip() else {}


def write_latents(metadata: Path, path: Path) -> int:
    """Write ``path`` (latents.npy) from the latents of ``metadata``'s records, atomically; returns the count.

    Streamed (a few thousand rows at a time) so a run of any size fits in
    memory. The float32 values survive JSON exactly, so the array is
    bit-identical to the latents the run decoded.
    """
    from models.checkpoint import atomic_write_bytes

    with open(metadata, "rb") as f:
        count = sum(1 for line in f if line.strip())
    size = len(_first_record(metadata).get("latent", [])) if count else 0
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False,
              "shape": (count, size)}

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f, open(metadata, "rb") as lines:
            np.lib.format.write_array_header_1_0(f, header)  # as np.save writes it
            rows = []
            for line in lines:
                if line.strip():
                    rows.append(json.loads(line)["latent"])
                if len(rows) == 4096:
                    f.write(np.asarray(rows, np.float32).tobytes())
                    rows = []
            if rows:
                f.write(np.asarray(rows, np.float32).reshape(len(rows), size).tobytes())

    atomic_write_bytes(path, write)
    return count


def write_readme(out: Path, metadata: Path, count: int) -> None:
    """README.md of a finished run: what it holds, its columns, how to load and regenerate it."""
    from explorer.core.export_readme import sample_readme
    from models.checkpoint import atomic_write_bytes

    first = _first_record(metadata) if count else {}
    text = sample_readme(count, str(first.get("model", "")), str(first.get("sha256", "")))
    atomic_write_bytes(out / README, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _read_lines(out: Path) -> list[str]:
    """The complete lines of ``out``'s metadata.jsonl; a line cut off by an interruption is dropped."""
    try:
        text = (out / METADATA).read_bytes().decode("utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise OSError(f"{out / METADATA}: cannot be read to resume ({exc})") from None
    lines = text.split("\n")
    return lines[:-1]  # the last piece is "" after a complete line, or a cut-off line


def resume_point(out: Path, settings: dict, indices) -> tuple[int, list[str]]:
    """How much of this run ``out`` already holds: (images done, their metadata lines).

    ``indices``: the images of the run in order, or None for a ``--where`` run,
    whose images are any ascending indices (``settings["n"]`` of them).

    Raises
    ------
    ValueError
        The folder holds a run with other settings (named), or a finished run
        whose settings cannot be checked and that lacks some of these images.
    """
    record_path = out / RUN_RECORD
    recorded = None
    if record_path.is_file():
        try:
            recorded = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"--resume: {record_path} is damaged ({exc}); start afresh without --resume") from None
    if isinstance(recorded, dict):
        differ = settings_differences(recorded, settings)
        if differ:
            raise ValueError(f"--resume: {out} holds a run with other settings ({'; '.join(differ)})")
    kept, previous = [], -1
    total = settings["n"] if indices is None else len(indices)
    for line, i in zip(_read_lines(out), range(total) if indices is None else indices):
        try:
            rec = json.loads(line)
        except ValueError:
            break
        if indices is None:  # a --where run: any ascending indices
            i = rec.get("index") if isinstance(rec, dict) and isinstance(rec.get("index"), int) else -1
            if i <= previous:
                break
            previous = i
        name = f"{int(i):06d}.png"
        if not isinstance(rec, dict) or rec.get("index") != int(i) or rec.get("file") != name:
            break
        seen = {"seed": rec.get("seed"), "sha256": rec.get("sha256")}
        if indices is None:  # a finished --where run has no run record: its records say what they matched
            seen["where"] = rec["where"].get("query") if isinstance(rec.get("where"), dict) else None
        for key, value in seen.items():
            if value != settings[key]:
                raise ValueError(f"--resume: {out} holds a run with other settings "
                                 f"({_OPTION[key]} was {_show(key, value)}, now {_show(key, settings[key])})")
        if not (out / name).is_file():
            break
        kept.append(line)
    if recorded is None and (kept or (out / METADATA).exists()) and len(kept) < total:
        raise ValueError(f"--resume: {out} holds a finished run with no record of its settings; "
                         "start afresh without --resume")
    return len(kept), kept


def _show(key: str, value) -> str:
    if key == "sha256" and isinstance(value, str):
        return f"a checkpoint with sha256 {value[:12]}…"
    if key == "shard" and isinstance(value, list) and len(value) == 2:
        return f"{value[0]}/{value[1]}"
    if key == "label" and isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


class MetadataStream:
    """metadata.jsonl, appended one flushed line per image written.

    Parameters
    ----------
    out : Path
        The run's folder.
    kept : list of str
        Lines of an earlier, interrupted part of this run to keep; the file is
        rewritten (atomically) to hold exactly these before appending.
    """

    def __init__(self, out: Path, kept: list[str]) -> None:
        from models.checkpoint import atomic_write_bytes

        self.path = out / METADATA
        text = "".join(line + "\n" for line in kept)
        atomic_write_bytes(self.path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        try:
            self._file = open(self.path, "a", encoding="utf-8")
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None

    def append(self, line: str) -> None:
        """List one image whose PNG is on disk."""
        try:
            self._file.write(line + "\n")
            self._file.flush()
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None

    def close(self) -> None:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError:
            pass
        finally:
            self._file.close()

    def __enter__(self) -> MetadataStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
