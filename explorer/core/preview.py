"""What the preview shows: one image and the words that describe it, as one
object replaced whole, so the picture and its details cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core.latent_bank import LatentBank


@dataclass(frozen=True)
class PreviewState:
    """An image (uint8 h×w×c, or None for an empty preview), a title, rows of
    (name, value) details and a note in small print under them."""

    image: np.ndarray | None = None
    title: str = ""
    rows: tuple[tuple[str, str], ...] = ()
    note: str = ""

    def with_image(self, image: np.ndarray) -> "PreviewState":
        return PreviewState(image, self.title, self.rows, self.note)


EMPTY = PreviewState(None, "", (), "")


def _attribute_rows(attributes: dict) -> list[tuple[str, str]]:
    return [(k, f"{v:.2f}" if 0 < v < 1 else ("yes" if v >= 0.5 else "no")) for k, v in attributes.items()]


def recipe_rows(recipe: dict) -> list[tuple[str, str]]:
    """A model-wide recipe (a text-to-image prompt, negative prompt, guidance, steps) as preview rows;
    what is not set (None) is left out, an empty text shows as a dash."""
    return [(str(k).replace("_", " "), "—" if v == "" else str(v)) for k, v in recipe.items() if v is not None]


def point_preview(bank: LatentBank, index: int) -> PreviewState:
    """A bank point: its id, where it came from, latent norm, label and attributes."""
    info = bank.describe(index)
    rows: list[tuple[str, str]] = [("id", str(info["id"]))]
    if "file" in info:
        rows += [("your image", info["file"].split("/")[-1]),
                 ("reconstruction error", f"{info['reconstruction_error']:.3f}")]
    elif info["seed"] >= 0:
        rows += [("seed", str(info["seed"])), ("index", str(info["index"]))]
    elif info["seed"] == -1:
        rows.append(("image", f"#{info['index']} of the data set"))
    rows += recipe_rows(bank.recipe)
    rows.append(("latent norm", f"{info['norm']:.3f}"))
    if "label" in info:
        rows.append(("label", str(info["label"])))
    rows += _attribute_rows(info["attributes"])
    return PreviewState(None, f"Point #{index}", tuple(rows), bank.source)


def latent_preview(title: str, latent: np.ndarray, rows: tuple = (), note: str = "") -> PreviewState:
    """A latent that is not a bank point: a walk frame, an arithmetic result, an edit."""
    norm = float(np.linalg.norm(np.asarray(latent, np.float64)))
    return PreviewState(None, title, tuple(rows) + (("latent norm", f"{norm:.3f}"),), note)
