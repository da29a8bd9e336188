"""Between a latent bank and an export folder: the points to export, and the points an export brings back.

* :func:`items_from_bank` — chosen bank points (with their tags) as export items, split into class folders;
* :func:`with_model_recipe` — items whose recipes also hold the model's (a text-to-image prompt);
* :func:`open_export` — an export (or ``sample``) folder as a :class:`LatentBank` and its
  :class:`Tags`, latents bit-exact, ready for the window to show;
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from explorer.core.export_folder import UNLABELLED, UNSPLIT, UNTAGGED, ExportItem, check_class_name
from explorer.core.export_reader import ExportContents, read_export
from explorer.core.latent_bank import LatentBank
from explorer.core.tags import Tags

SPLITS = ("tag", "label", "none")


def default_recipe(bank: LatentBank, i: int) -> dict:
    """How bank point ``i`` was made, as far as the bank knows: a prior sample or an encoded image."""
    seed, index = int(bank.seeds[i]), int(bank.indices[i])
    if seed >= 0:
        return {"kind": "prior", "seed": seed, "index": index}
    if i in bank.user_files:
        recipe = {"kind": "encoded", "file": bank.user_files[i]}
        error = bank.user_errors.get(i)
        if error is not None and np.isfinite(error):
            recipe["reconstruction_error"] = float(error)
        return recipe
    return {"kind": "encoded", "source": bank.source, "index": index}


def with_model_recipe(items: Sequence[ExportItem], recipe: Mapping) -> list[ExportItem]:
    """``items`` with the model-wide ``recipe`` (a text-to-image prompt, negative prompt, guidance,
    steps) added to each one's own: such an image is remade from its seed and index only with them.
    What an item's recipe says already is kept."""
    from dataclasses import replace

    out = []
    for item in items:
        own = item.recipe if item.recipe is not None else {"kind": "prior", "seed": int(item.seed),
                                                            "index": int(item.index)}
        out.append(replace(item, recipe={**own, **{k: v for k, v in recipe.items() if k not in own}}))
    return out


def _class_of(bank: LatentBank, tags: Tags, i: int, split_by: str) -> str:
    if split_by == "none":
        return UNSPLIT
    if split_by == "tag":
        mine = tags.of(i)
        return mine[0] if mine else UNTAGGED
    if bank.labels is None or bank.labels[i] < 0:
        return UNLABELLED
    return bank.label_names[bank.labels[i]]


def items_from_bank(bank: LatentBank, tags: Tags, rows: Sequence[int] | np.ndarray, split_by: str = "tag",
                    recipes: Mapping[int, dict] | None = None) -> list[ExportItem]:
    """The bank points ``rows`` as export items, in that order.

    Parameters
    ----------
    split_by : {"tag", "label", "none"}
        The class folder of a point: its first tag in :meth:`Tags.names` order
        (``keep``, ``reject``, then the user's; ``untagged`` without one), its
        label (``unlabelled`` without one), or ``images`` for all.
    recipes : mapping of int → dict, optional
        How a point was made, where the caller knows better than the bank
        (an interpolation, an expression); others get :func:`default_recipe`.

    Raises
    ------
    ValueError
        ``split_by`` is unknown, the bank has no labels to split by, a row is
        out of range, or a label cannot name a folder.
    """
    if split_by not in SPLITS:
        raise ValueError(f"split by {split_by!r}: choose one of {', '.join(SPLITS)}")
    if split_by == "label" and bank.labels is None:
        raise ValueError("split by label: this bank has no labels (split by tag, or not at all)")
    rows = np.asarray(rows, np.int64).ravel()
    if len(rows) and (rows.min() < 0 or rows.max() >= len(bank)):
        raise ValueError(f"point {int(rows.max() if rows.max() >= len(bank) else rows.min())} is not in the bank "
                         f"({len(bank)} points)")
    recipes = recipes or {}
    items = []
    for i in rows.tolist():
        category = None
        if bank.labels is not None and bank.labels[i] >= 0:
            category = bank.label_names[bank.labels[i]]
        label = _class_of(bank, tags, i, split_by)
        try:
            check_class_name(label)
        except ValueError as exc:
            raise ValueError(f"split by {split_by}: {exc}") from None
        items.append(ExportItem(
            latent=bank.latents[i], label=label, seed=int(bank.seeds[i]), index=int(bank.indices[i]),
            recipe=recipes.get(i) or default_recipe(bank, i), tags=tuple(tags.of(i)),
            attributes={k: float(v[i]) for k, v in bank.attributes.items()}, category=category))
    return items


@dataclass
class OpenedExport:
    """An export folder brought back: the bank to show, its tags, and everything the folder said."""

    bank: LatentBank
    tags: Tags
    contents: ExportContents


def bank_from_export(contents: ExportContents) -> tuple[LatentBank, Tags]:
    """The :class:`LatentBank` and :class:`Tags` of a read folder; latents are its latents.npy, bit for bit.

    The bank's ``source`` names the folder; labels come from the ``category``
    column; a user's encoded image keeps its file name. There are no
    thumbnails (the window decodes what it shows).
    """
    n = len(contents)
    names = sorted({c for c in contents.categories if c is not None})
    labels = None
    if names:
        lookup = {name: k for k, name in enumerate(names)}
        labels = np.array([lookup.get(c, -1) if c is not None else -1 for c in contents.categories], np.int64)
    user_files, user_errors = {}, {}
    for row, recipe in enumerate(contents.recipes):
        if recipe and recipe.get("kind") == "encoded" and isinstance(recipe.get("file"), str):
            user_files[row] = recipe["file"]
            error = recipe.get("reconstruction_error")
            if isinstance(error, (int, float)) and not isinstance(error, bool):
                user_errors[row] = float(error)
    what = "export folder" if contents.kind == "export" else "sample folder"
    bank = LatentBank(
        latents=contents.latents, latent_shape=contents.latent_shape,
        source=f"{what} {contents.folder} ({n} images of {contents.model_name})",
        seeds=contents.seeds, indices=contents.indices, attributes=dict(contents.attributes),
        labels=labels, label_names=tuple(names), thumbnails=None, user_files=user_files, user_errors=user_errors)
    masks = {}
    for name in contents.tag_names():
        masks[name] = np.array([name in row for row in contents.tags], np.bool_)
    return bank, Tags(n, masks)


def open_export(folder: str | os.PathLike) -> OpenedExport:
    """Read an export (or ``sample``) folder and build what the window shows from it.

    The window calls this from File ▸ Open when the chosen path is a folder
    (:func:`explorer.core.export_folder.is_export_folder` tells an export), checks the model with
    :func:`explorer.core.file_hash.model_problem` (``contents.checkpoint``, ``contents.model_sha256``), then shows
    ``bank`` and sets ``tags``.

    Raises
    ------
    ExportError
        The folder is not a complete, consistent export; the message names the file and the cause.
    """
    contents = read_export(folder)
    bank, tags = bank_from_export(contents)
    return OpenedExport(bank=bank, tags=tags, contents=contents)
