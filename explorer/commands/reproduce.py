"""``latent-explorer reproduce METADATA.jsonl --out DIR``: regenerate a folder's images and compare.

It reads the metadata.jsonl of a ``sample`` folder or an export, decodes every
record's latent again with the checkpoint that made it (found by
``--checkpoint``, the record's ``checkpoint`` path, or a bundled model's name,
and refused unless its SHA-256 is the record's), writes the regenerated PNGs
into ``DIR`` under the same relative names, and compares each with the
folder's file. On the machine and torch build that made them the files are
byte-identical (see :mod:`models.reproducible`); elsewhere each image is
reported as identical, within one grey level, or different (with its largest
difference). ``DIR/reproduce.jsonl`` holds one verdict per image. Records are
streamed a chunk at a time, so memory stays bounded however large the folder.
"""

from __future__ import annotations

import io
import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

METADATA, LATENTS, RUN_RECORD = "metadata.jsonl", "latents.npy", ".sample-run.json"
REPORT = "reproduce.jsonl"
PARTIAL = REPORT + ".partial"  # the report while a run is under way: marks DIR as ours
IDENTICAL, WITHIN_ONE, DIFFERENT, MISSING = "identical", "within one grey level", "different", "missing"
VERDICTS = (IDENTICAL, WITHIN_ONE, DIFFERENT, MISSING)
_CHUNK = 256  # records decoded and compared at a time (a multiple of every canonical batch)
_SYSTEM_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}


def add_parser(sub) -> None:
    """The ``reproduce`` sub-command's options (cheap: imports neither torch nor Qt)."""
    from explorer.commands.options import device_name, positive

    r = sub.add_parser("reproduce", help="regenerate a sample or export folder's images and compare them",
                       description="Decode every image listed in a sample or export folder's metadata.jsonl again, "
                                   "write the results to --out and compare them with the folder's files: on the "
                                   "machine that made them they are byte-identical. Exits 1 if any image differs "
                                   "or is missing.")
    r.add_argument("metadata", type=Path, metavar="METADATA.jsonl", help="the folder's metadata.jsonl (or the folder)")
    r.add_argument("--out", type=Path, required=True, help="new or empty folder for the regenerated PNGs")
    r.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="the checkpoint that made the images (default: the path or bundled model the records name)")
    r.add_argument("--steps", type=positive(int), default=None,
                   help="diffusion: DDIM steps, for folders whose records do not say (default: the records', "
                        "else the checkpoint's)")
    r.add_argument("--device", type=device_name, default="cpu", help="auto, cpu, cuda, cuda:N or mps (default cpu)")
    r.add_argument("--json", action="store_true")


def run(args, argv) -> int:
    """``latent-explorer reproduce``: 0 when every image is identical, 1 when any differs or is missing."""
    import argparse

    from explorer.commands.options import device

    try:
        name = device(args.device)
    except argparse.ArgumentTypeError as exc:
        raise ValueError(f"--device {args.device}: {exc}") from None
    doc = reproduce_folder(args.metadata, args.out, checkpoint=args.checkpoint, steps=args.steps, device=name,
                           progress=not args.json)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(summary(doc))
    return 0 if doc["ok"] else 1


@dataclass
class _Tally:
    counts: dict = field(default_factory=lambda: dict.fromkeys(map(count_key, VERDICTS), 0))
    largest: int = 0
    problems: list = field(default_factory=list)  # the first non-identical images, for the summary

    def add(self, verdict: dict) -> None:
        self.counts[count_key(verdict["verdict"])] += 1
        self.largest = max(self.largest, verdict.get("largest_difference") or 0)
        if verdict["verdict"] != IDENTICAL and len(self.problems) < 20:
            self.problems.append(verdict)


def reproduce_folder(metadata, out, *, checkpoint=None, steps: int | None = None, device: str = "cpu",
                     progress: bool = True) -> dict:
    """Regenerate every image ``metadata`` lists into ``out`` and compare each with the folder's file.

    Returns
    -------
    dict
        ``folder``, ``out``, ``model``, ``sha256``, ``checkpoint``, ``count``,
        ``counts`` (per verdict), ``largest_difference`` (grey levels),
        ``problems`` (the first 20 non-identical images) and ``ok`` (all identical).

    Raises
    ------
    ValueError
        The metadata cannot be read, a record lacks what regenerating needs, or
        the checkpoint found is not the one that made the images.
    FileExistsError
        ``out`` holds files that an earlier ``reproduce`` did not write.
    """
    from explorer.commands.progress import progress_bar
    from models.loading import load_latent_model

    metadata = Path(metadata)
    if metadata.is_dir():
        metadata = metadata / METADATA
    folder, out = metadata.parent, Path(out)
    first, count = _survey(metadata)
    path = _find_checkpoint(first, folder, checkpoint)
    digest = first["sha256"]
    model = load_latent_model(path, device)
    steps = steps or first.get("steps") or _run_record_steps(folder)
    if steps is not None and hasattr(model, "steps"):
        model.steps = int(steps)
    _clear_out(out, folder)
    out.mkdir(parents=True, exist_ok=True)
    tally = _Tally()
    latents_file = folder / LATENTS
    try:
        latents = np.load(latents_file, mmap_mode="r") if latents_file.is_file() else None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{latents_file}: cannot be read as a .npy array ({exc})") from None
    with open(out / PARTIAL, "w", encoding="utf-8") as report, \
            progress_bar("reproducing", count, progress) as update:
        done, records = 0, _records(metadata)
        while chunk := list(itertools.islice(records, _CHUNK)):
            def within(d: int, t: int, done=done, k=len(chunk)) -> None:  # progress inside a chunk (diffusion steps)
                update(done + d * k // max(t, 1), count)

            for verdict in _reproduce_chunk(model, chunk, folder, out, latents, within):
                tally.add(verdict)
                report.write(json.dumps(verdict) + "\n")
            done += len(chunk)
            update(done, count)
        report.flush()
        os.fsync(report.fileno())
    os.replace(out / PARTIAL, out / REPORT)  # the complete report appears at once
    return {"folder": str(folder), "out": str(out), "model": model.info.name, "sha256": digest,
            "checkpoint": str(path), "device": device, "count": count, "counts": tally.counts,
            "largest_difference": tally.largest, "problems": tally.problems, "ok": tally.counts[IDENTICAL] == count}


def count_key(verdict: str) -> str:
    """A verdict as a key of the ``counts`` of the JSON document: ``within one grey level`` → ``within_one_grey_level``."""
    return verdict.replace(" ", "_")


def summary(doc: dict) -> str:
    """What ``reproduce`` prints: the images that are not identical, then one line of counts."""
    lines = []
    for p in doc["problems"]:
        detail = "" if p["verdict"] == MISSING else f" (largest difference {p['largest_difference']}, " \
                                                     f"{p['pixels']} pixel values)"
        lines.append(f"{p['file']}: {p['verdict']}{detail}")
    c, n = doc["counts"], doc["count"]
    shown = n - c[IDENTICAL]
    if shown > len(doc["problems"]):
        lines.append(f"… and {shown - len(doc['problems'])} more (every verdict is in {Path(doc['out']) / REPORT})")
    lines.append(f"{n} image(s) of {doc['model']} regenerated into {doc['out']}: {c[IDENTICAL]} identical, "
                 f"{c[count_key(WITHIN_ONE)]} within one grey level, {c[DIFFERENT]} different, {c[MISSING]} missing"
                 + (f"; largest difference {doc['largest_difference']} grey levels" if doc["largest_difference"] else ""))
    return "\n".join(lines)


# -- the records -----------------------------------------------------------------
def _records(metadata: Path):
    """(line number, record) of each non-blank line; ValueError naming the line that is not a JSON object."""
    try:
        with open(metadata, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                if not isinstance(record, dict):
                    raise ValueError(f"{metadata}, line {number}: not a JSON object")
                yield number, record
    except UnicodeDecodeError:
        raise ValueError(f"{metadata}: not UTF-8 text (is it a metadata.jsonl?)") from None
    except FileNotFoundError:
        raise FileNotFoundError(2, "no such file (give a sample or export folder, or its metadata.jsonl)",
                                str(metadata)) from None


def _survey(metadata: Path) -> tuple[dict, int]:
    """The first record and the count, after checking every record names its image and one checkpoint."""
    first, count = None, 0
    for number, record in _records(metadata):
        image_name(record, f"{metadata}, line {number}")
        if first is None:
            first = record
            if not isinstance(record.get("sha256"), str):
                raise ValueError(f"{metadata}, line {number}: no 'sha256' says which checkpoint made the image")
        elif record.get("sha256") != first["sha256"] or record.get("steps") != first.get("steps"):
            raise ValueError(f"{metadata}, line {number}: made with another checkpoint or step count than the "
                             "first record; reproduce one model's images at a time")
        count += 1
    if first is None:
        raise ValueError(f"{metadata}: lists no images")
    return first, count


def image_name(record: dict, where: str = "a record") -> str:
    """The image's path relative to the folder: ``file_name`` (exports), else ``file`` (sample).

    Refuses a name that could reach outside the folder (absolute, ``..``) or is not a PNG.
    """
    name = record.get("file_name") or record.get("file")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}: names no image ('file_name' or 'file')")
    parts = PurePosixPath(name).parts
    if name.startswith(("/", "\\")) or ":" in name or "\\" in name or ".." in parts or not name.endswith(".png"):
        raise ValueError(f"{where}: {name!r} is not a PNG inside the folder")
    return name


def _latent(record: dict, number: int, latents, shape) -> np.ndarray:
    """The record's latent: its ``latent`` list (exact float32 values), else row ``latent_row`` of latents.npy."""
    size = int(np.prod(shape))
    if isinstance(record.get("latent"), list):
        z = np.asarray(record["latent"], np.float32)
    elif isinstance(record.get("latent_row"), int) and latents is not None and 0 <= record["latent_row"] < len(latents):
        z = np.asarray(latents[record["latent_row"]], np.float32)
    else:
        raise ValueError(f"line {number}: neither a 'latent' nor a 'latent_row' within {LATENTS}")
    if z.size != size:
        raise ValueError(f"line {number}: a latent of {z.size} values; the model's has {size}")
    return z.reshape(shape)


# -- the checkpoint ------------------------------------------------------------
def _find_checkpoint(record: dict, folder: Path, given) -> Path:
    """The checkpoint that made the images: ``given``, else the record's checkpoint (as written, beside the
    folder, or a bundled name), else the bundled model with the records' SHA-256.

    Raises ValueError naming the checkpoint found and both digests when its SHA-256 is not the records'.
    """
    from explorer.core.file_hash import file_sha256
    from models.loading import resolve_checkpoint

    wanted, name, recorded = record["sha256"], record.get("model"), record.get("checkpoint")
    if given:
        candidates = [resolve_checkpoint(given)]
        if not candidates[0].exists():
            raise FileNotFoundError(2, "no such checkpoint (file or folder)", str(given))
    elif isinstance(recorded, str) and recorded:
        candidates = [c for c in (Path(recorded), folder / recorded, resolve_checkpoint(recorded)) if c.exists()]
    else:
        candidates = []
    for path in candidates:
        if file_sha256(path) == wanted:
            return path
    bundled = None if given else _bundled_by_digest(wanted, name if isinstance(name, str) else "")
    if bundled is not None:
        return bundled
    if candidates:
        raise ValueError(f"{candidates[0]}: its SHA-256 is {file_sha256(candidates[0])[:12]}…, but the images in "
                         f"{folder} were made by {name or 'a checkpoint'} with SHA-256 {wanted[:12]}…; pass the "
                         "checkpoint that made them with --checkpoint")
    raise ValueError(f"{folder}: cannot find the checkpoint that made these images (model {name!r}"
                     + (f", recorded as {recorded}" if recorded else "") + "); pass it with --checkpoint")


def _bundled_by_digest(digest: str, name: str) -> Path | None:
    """The bundled checkpoint whose SHA-256 is ``digest`` (a model's name, ``toyfaces-vae``, is not its file's)."""
    from explorer.core.file_hash import file_sha256
    from models.loading import RESOURCES

    stem = name.replace("-", "_")
    candidates = sorted(RESOURCES.glob("*.safetensors"), key=lambda p: p.stem != stem)  # the likely one first
    for path in candidates:
        try:
            if file_sha256(path) == digest:
                return path
        except OSError:
            continue
    return None


def _run_record_steps(folder: Path):
    """The step count an unfinished ``sample`` run recorded (finished runs put it in every record)."""
    try:
        steps = json.loads((folder / RUN_RECORD).read_text(encoding="utf-8")).get("steps")
    except (OSError, ValueError, AttributeError):
        return None
    return steps if isinstance(steps, int) else None


# -- regenerating and comparing ---------------------------------------------------------------
def _reproduce_chunk(model, chunk, folder: Path, out: Path, latents, progress=None) -> list[dict]:
    from explorer.core.atomic_file import atomic_write_bytes
    from models.reproducible import decode_for_keeps

    shape = tuple(model.latent_shape)
    z = np.stack([_latent(record, number, latents, shape) for number, record in chunk])
    images = decode_for_keeps(model, z, progress)
    verdicts = []
    for (number, record), image in zip(chunk, images):
        name = image_name(record)
        data, pixels = encode_png(image, int(record.get("scale") or 1), record.get("resample") or "nearest")
        atomic_write_bytes(out / name, data)
        verdicts.append({"file": name, **compare(folder / name, data, pixels)})
    return verdicts


def encode_png(image: np.ndarray, scale: int = 1, resample: str = "nearest") -> tuple[bytes, np.ndarray]:
    """The PNG bytes ``sample`` or an export writes for ``image`` (enlarged as the record says), and its pixels."""
    from PIL import Image

    pil = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
    if scale > 1:
        method = Image.Resampling.LANCZOS if resample == "lanczos" else Image.Resampling.NEAREST
        pil = pil.resize((pil.width * scale, pil.height * scale), method)
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return buf.getvalue(), np.asarray(pil)


def compare(existing: Path, data: bytes, pixels: np.ndarray) -> dict:
    """The verdict on the folder's file against the regenerated PNG (its bytes and pixels)."""
    from PIL import Image, UnidentifiedImageError

    try:
        old = existing.read_bytes()
    except FileNotFoundError:
        return {"verdict": MISSING, "largest_difference": None, "pixels": None}
    if old == data:
        return {"verdict": IDENTICAL, "largest_difference": 0, "pixels": 0}
    try:
        with Image.open(io.BytesIO(old)) as im:
            old_pixels = np.asarray(im.convert(Image.fromarray(pixels).mode))
    except (OSError, UnidentifiedImageError, ValueError):
        return {"verdict": DIFFERENT, "largest_difference": 255, "pixels": int(pixels.size), "note": "unreadable"}
    if old_pixels.shape != pixels.shape:
        return {"verdict": DIFFERENT, "largest_difference": 255, "pixels": int(pixels.size),
                "note": f"{old_pixels.shape[1]}×{old_pixels.shape[0]} pixels, regenerated "
                        f"{pixels.shape[1]}×{pixels.shape[0]}"}
    diff = np.abs(old_pixels.astype(np.int16) - pixels.astype(np.int16))
    largest = int(diff.max())
    verdict = IDENTICAL if largest == 0 else WITHIN_ONE if largest == 1 else DIFFERENT
    found = {"verdict": verdict, "largest_difference": largest, "pixels": int(np.count_nonzero(diff))}
    # The same pixels in other bytes: another PNG encoder (Pillow, zlib) wrote the folder's file.
    return {**found, "note": "same pixels, other PNG bytes"} if largest == 0 else found


# -- the output folder ------------------------------------------------------------
def _clear_out(out: Path, folder: Path) -> None:
    """Make ``out`` ready: new, empty, or an earlier ``reproduce`` output (whose files are removed).

    Anything else is refused before work starts: a run never deletes what is not its own.
    """
    if not os.path.lexists(out):
        return
    if out.is_symlink() or not out.is_dir():
        raise NotADirectoryError(20, "is not a folder (reproduce writes a folder of PNGs)", str(out))
    if out.resolve() == folder.resolve():
        raise ValueError(f"{out}: is the folder being reproduced; choose another --out")
    entries = [e for e in out.iterdir() if e.name not in _SYSTEM_FILES]
    ours = any(e.name in (REPORT, PARTIAL) for e in entries)
    files, foreign = [], []
    for entry in entries:
        _collect(entry, files, foreign, top=True)
    if foreign or (files and not ours):
        names = sorted(foreign) or sorted(str(f.relative_to(out)) for f in files)
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        raise FileExistsError(f"{out}: holds files that no earlier 'reproduce' run wrote ({', '.join(names[:3])}"
                              f"{more}); choose an empty or new folder")
    for f in files:
        f.unlink()
    for d in sorted((e for e in out.rglob("*") if e.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()


def _collect(entry: Path, files: list, foreign: list, top: bool = False) -> None:
    """Sort ``entry`` (recursively) into what reproduce writes (PNGs, its report) and anything else."""
    if entry.name in _SYSTEM_FILES:
        return
    if entry.is_symlink():
        foreign.append(entry.name)
    elif entry.is_dir():
        for child in entry.iterdir():
            _collect(child, files, foreign)
    elif entry.suffix == ".png" or (top and entry.name in (REPORT, PARTIAL)) or _atomic_leftover(entry.name):
        files.append(entry)
    else:
        foreign.append(entry.name)


def _atomic_leftover(name: str) -> bool:
    # An interrupted atomic write leaves ".NAME.XXXX.tmp" beside NAME (see explorer.core.atomic_file).
    return name.startswith(".") and name.endswith(".tmp") and (".png." in name or f".{REPORT}." in name)
