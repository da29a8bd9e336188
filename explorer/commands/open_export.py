"""``latent-explorer open-export DIR``: what an export (or ``sample``) folder holds, checked by reading it back.

It reads the folder as the window does (:func:`explorer.core.export_bank.open_export`:
every record, latents.npy bit for bit against the records, the images' files),
opens each image's header, and reports the count, the model (and whether its
recorded checkpoint is still there, unchanged), the tags, the classes and the
columns.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


def add_parser(sub) -> None:
    """The ``open-export`` sub-command's options (cheap: imports neither torch nor Qt)."""
    o = sub.add_parser("open-export", help="check an export (or sample) folder and say what it holds",
                       description="Read an export folder (or a sample folder) back as the window opens it, "
                                   "check every record, latents.npy and the images, and say what it holds.")
    o.add_argument("folder", type=Path, metavar="DIR")
    o.add_argument("--json", action="store_true")


def _image_sizes(folder: Path, files: list[str]) -> list[list[int]]:
    """The distinct (width, height) of the images; ValueError naming one that is not a readable image."""
    from PIL import Image, UnidentifiedImageError

    sizes = set()
    for name in files:
        try:
            with Image.open(folder / name) as image:
                sizes.add(image.size)
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            raise ValueError(f"{folder / name}: not a readable image ({exc})") from None
    return [list(s) for s in sorted(sizes)]


def describe_export(folder) -> dict:
    """What the folder at ``folder`` holds, after reading all of it back (ExportError / ValueError if it cannot be)."""
    from explorer.core.export_bank import open_export
    from explorer.core.file_hash import model_problem
    from models.loading import resolve_checkpoint

    opened = open_export(folder)
    c = opened.contents
    if c.checkpoint:  # a path, or a bundled model's name (sample records the checkpoint as it was named)
        problem = model_problem(resolve_checkpoint(c.checkpoint), c.model_sha256)
    else:
        problem = "not recorded in the folder"
    classes = Counter(label for label in c.labels if label is not None)
    return {"folder": str(c.folder), "kind": c.kind, "count": len(c), "model": c.model_name, "sha256": c.model_sha256,
            "checkpoint": c.checkpoint, "checkpoint_status": problem or "present, checksum matches",
            "steps": c.steps, "latent_shape": list(c.latent_shape), "tags": opened.tags.counts(),
            "classes": dict(sorted(classes.items())), "attributes": list(c.attributes),
            "labels": list(opened.bank.label_names), "columns": c.columns,
            "image_sizes": _image_sizes(c.folder, c.files), "bank_source": opened.bank.source}


def run(args, argv) -> int:
    """``latent-explorer open-export``: prints the description (``--json``: as JSON)."""
    doc = describe_export(args.folder)
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    tags = ", ".join(f"{name} {n}" for name, n in doc["tags"].items()) or "none"
    classes = ", ".join(f"{name}/ {n}" for name, n in doc["classes"].items()) or "none (images at the top)"
    sizes = ", ".join(f"{w}×{h}" for w, h in doc["image_sizes"])
    print(f"{doc['folder']}: {doc['kind']} folder of {doc['count']} images ({sizes}) of {doc['model']} "
          f"(sha256 {doc['sha256'][:12]}…), read back completely\n"
          f"  checkpoint: {doc['checkpoint'] or '-'} ({doc['checkpoint_status']})\n"
          f"  tags: {tags}\n  classes: {classes}\n"
          f"  columns: {', '.join(doc['columns'])}")
    return 0
