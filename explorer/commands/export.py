"""``latent-explorer export``: a saved session's points as an image data set.

``latent-explorer export SESSION.lesession --out DIR [--tag keep | --selection | --all]
[--split-by tag|label|none] [--scale K] [--smooth]`` decodes the chosen points
with the session's model (checked by its SHA-256, as the window checks it)
through :func:`models.reproducible.decode_for_keeps`, and writes the folder
described in :mod:`explorer.core.export_folder`: class sub-folders, metadata.jsonl,
latents.npy and a README, atomically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from explorer.commands.options import bounded, device, positive
from explorer.commands.progress import progress_bar

if TYPE_CHECKING:
    import numpy as np


def add_parser(sub) -> None:
    """The ``export`` sub-command's options (cheap: imports neither torch nor Qt)."""
    x = sub.add_parser("export", help="export a saved session's points as an image data set",
                       description="Decode the chosen points of a saved session into class folders of PNGs, "
                                   "metadata.jsonl and latents.npy: a folder Hugging Face datasets ('imagefolder') "
                                   "and torchvision's ImageFolder read as it is, and open-export brings back.")
    x.add_argument("session", type=Path, metavar="SESSION", help="a .lesession file saved by the window")
    which = x.add_mutually_exclusive_group()
    which.add_argument("--tag", default=None, metavar="TAG", help="the points carrying this tag (default: keep)")
    which.add_argument("--selection", action="store_true", help="the points selected when the session was saved")
    which.add_argument("--all", action="store_true", help="every point of the bank")
    x.add_argument("--split-by", choices=["tag", "label", "none"], default="tag",
                   help="class folders: each point's first tag (keep, reject, then yours; default), its label, "
                        "or none (one folder, images/)")
    x.add_argument("--scale", type=bounded(int, most=32, why=" (images are enlarged this many times)"), default=1,
                   help="enlarge every image by this whole factor, 1 to 32 (default 1: the model's size)")
    x.add_argument("--smooth", action="store_true", help="--scale: smooth (Lanczos) instead of repeating pixels")
    x.add_argument("--model", type=Path, default=None, metavar="CHECKPOINT",
                   help="where the session's model is now, if it moved (its checksum must still match)")
    x.add_argument("--device", type=device, default="cpu", help="auto, cpu, cuda, cuda:N or mps (default cpu)")
    x.add_argument("--batch-size", type=positive(int), default=64, help="images decoded at once (default 64)")
    x.add_argument("--out", type=Path, required=True, help="folder to write (new, empty, or an earlier export)")
    x.add_argument("--json", action="store_true")


def _rows(session: Path, doc, tags, tag: str | None, selection: bool, all_points: bool) -> tuple[np.ndarray, str]:
    """The bank rows to export and how they were chosen."""
    import numpy as np

    n = len(doc.bank)
    if all_points:
        return np.arange(n), "all points"
    if selection:
        if doc.selection is None or not np.any(doc.selection):
            raise ValueError(f"{session}: no points were selected when it was saved (use --tag or --all)")
        return np.flatnonzero(doc.selection), "the selection"
    tag = tag or "keep"
    rows = np.flatnonzero(tags.mask(tag))
    if len(rows) == 0:
        counts = ", ".join(f"{name} ({c})" for name, c in tags.counts().items()) or "none"
        raise ValueError(f"{session}: no point is tagged {tag!r} (its tags: {counts}); choose --tag, "
                         "--selection or --all")
    return rows, f"tag {tag}"


def export_session(session, out, *, tag: str | None = None, selection: bool = False, all_points: bool = False,
                   split_by: str = "tag", scale: int = 1, smooth: bool = False, model_path=None,
                   device_name: str = "cpu", batch_size: int = 64, progress: bool = True) -> dict:
    """Export the chosen points of the session file ``session`` to the folder ``out``.

    Returns the export's summary (:func:`~explorer.core.export_folder.write_export`)
    plus ``session`` and ``chosen`` (how the points were chosen).

    Raises
    ------
    ValueError
        The session cannot be read, names no such points, or its model is
        missing or changed (the message names it; ``model_path`` points at a
        moved model); :class:`~explorer.core.export_folder.ExportError` when
        ``out`` cannot take the export.
    """
    from models.loading import load_latent_model
    from models.reproducible import decode_for_keeps

    from explorer.core import tags as tags_module
    from explorer.core.export_bank import items_from_bank
    from explorer.core.export_folder import ModelProvenance, write_export
    from explorer.core.file_hash import model_problem
    from explorer.core.session_file import SessionFileError, load_session

    session = Path(session)
    try:
        doc = load_session(session)
        tags = tags_module.from_document(doc.sections, doc.arrays, len(doc.bank))
    except SessionFileError as exc:
        raise ValueError(str(exc)) from None
    except ValueError as exc:
        raise ValueError(f"{session}: {exc}") from None
    rows, chosen = _rows(session, doc, tags, tag, selection, all_points)
    points = (doc.sections.get("recipes") or {}).get("points") or {}
    recipes = {int(i): r for i, r in points.items() if str(i).isdigit() and isinstance(r, dict)}
    items = items_from_bank(doc.bank, tags, rows, split_by, recipes)  # refuses a bad split before the model loads
    checkpoint = Path(model_path) if model_path else Path(doc.model_path)
    problem = model_problem(checkpoint, doc.model_sha256)
    if problem:
        hint = "" if model_path else " (--model CHECKPOINT says where it is now)"
        raise ValueError(f"{session}: {problem}{hint}")
    model = load_latent_model(checkpoint, device_name)
    info = model.info
    if tuple(model.latent_shape) != tuple(doc.bank.latent_shape):
        raise ValueError(f"{session}: its latents have shape {tuple(doc.bank.latent_shape)}, the model {checkpoint} "
                         f"takes {tuple(model.latent_shape)}")
    items = _with_session_recipe(session, doc, model, items)
    provenance = ModelProvenance(name=info.name, sha256=doc.model_sha256, checkpoint=str(checkpoint),
                                 latent_shape=tuple(model.latent_shape), image_size=info.image_size,
                                 channels=info.channels, steps=getattr(model, "steps", None))
    with progress_bar("exporting", len(items), progress) as update:
        summary = write_export(out, items, provenance, lambda z: decode_for_keeps(model, z), scale=scale,
                               smooth=smooth, progress=update, batch_size=batch_size, split_by=split_by)
    return {**summary, "session": str(session), "chosen": chosen}


def _with_session_recipe(session, doc, model, items):
    """Give ``model`` what the session's bank was decoded with (a text-to-image prompt, a StyleGAN2
    space and ψ) and add it to each item's recipe; a prompt-arithmetic embedding, known here only
    by its label, cannot be remade and is refused."""
    from explorer.core.export_bank import with_model_recipe

    recipe = (doc.sections.get("model") or {}).get("recipe") or {}
    if not recipe or not hasattr(model, "apply_recipe"):
        return items
    if recipe.get("embedding"):
        raise ValueError(f"{session}: its images were decoded with the prompt-arithmetic embedding "
                         f"{recipe['embedding']!r}, which the file names but does not hold: export from the window")
    model.apply_recipe(recipe)
    return with_model_recipe(items, model.recipe())


def run(args, argv) -> int:
    """``latent-explorer export``: prints the summary (``--json``: as JSON)."""
    doc = export_session(args.session, args.out, tag=args.tag, selection=args.selection, all_points=args.all,
                         split_by=args.split_by, scale=args.scale, smooth=args.smooth, model_path=args.model,
                         device_name=args.device, batch_size=args.batch_size, progress=not args.json)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        classes = ", ".join(f"{name}/ {count}" for name, count in doc["classes"].items())
        print(f"exported {doc['count']} images ({doc['chosen']}) to {doc['out']}: {classes}")
    return 0
