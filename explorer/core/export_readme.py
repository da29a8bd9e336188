"""The README.md an export folder and a ``sample`` folder carry: what they hold and how to use it.

Its text depends only on what the folder holds (no dates, no absolute paths),
so the same export or sample run writes the same bytes every time.
"""

from __future__ import annotations

#: The first line of a ``sample`` folder's README.md (an export's is export_folder.README_TITLE).
SAMPLE_README_TITLE = "# Latent Explorer samples"

_COMMON = [
    ("file_name", "the image, relative to this folder (Hugging Face `datasets` reads it as the `image` column)"),
    ("index", "the latent's index within its seed (prior samples) or data set (encoded images)"),
    ("seed", "the prior seed the latent was drawn with; -1: an encoded data-set image, -2: a user's image"),
    ("latent_row", "the row of `latents.npy` holding this latent"),
    ("latent", "the latent, flattened, as exact float32 values (the same as its row of `latents.npy`)"),
    ("latent_shape", "the model's latent shape: reshape `latent` to it"),
    ("model", "the model's name"),
    ("sha256", "the checkpoint's SHA-256 (of its files, for a folder checkpoint)"),
    ("checkpoint", "the checkpoint as it was named when the folder was written (a path, or a bundled model's name)"),
    ("steps", "diffusion sampling steps the image was decoded with (null for other families)"),
    ("recipe", "how the latent was made: {kind: prior, seed, index}, {kind: interpolation, from, to, t}, "
               "{kind: expression, expression}, {kind: direction, vector, strength, base}, {kind: encoded, file}"),
    ("attributes", "the classifier's probability of each attribute, where known (null where not)"),
]
_EXPORT_ONLY = [
    ("label", "the class folder the image is in (what the export was split by)"),
    ("scale", "how many times the image was enlarged from the model's size"),
    ("resample", "how it was enlarged: nearest (pixels repeated) or lanczos (smoothed)"),
    ("tags", "the point's tags (keep, reject, the user's own)"),
    ("category", "the point's categorical label in the bank (e.g. a digit), or null"),
]
_SAMPLE_ONLY = [
    ("file", "the image's file name (the same as file_name)"),
    ("where", "conditional runs (--where): the query and how confident the classifier was that it holds"),
]


def _table(rows) -> list[str]:
    return ["| column | meaning |", "| --- | --- |", *(f"| `{name}` | {text} |" for name, text in rows)]


def _loading(tv_note: str) -> list[str]:
    return ["## Loading it", "", "```python", "from datasets import load_dataset",
            'ds = load_dataset("imagefolder", data_dir="THIS_FOLDER")  # the columns above, image first',
            "import numpy as np", 'latents = np.load("THIS_FOLDER/latents.npy")  # float32 (n, d)', "```", "",
            tv_note, "",
            "## Regenerating and checking it", "",
            "Every image decodes again from its latent, byte for byte, with the same checkpoint:", "",
            "```", "latent-explorer reproduce THIS_FOLDER/metadata.jsonl --out CHECK/", "```", ""]


def export_readme(count: int, model, classes: dict[str, int], split_by: str, scale: int, smooth: bool) -> str:
    """The README.md of an export of ``count`` images (``classes``: images per class folder)."""
    from explorer.core.export_destination import README_TITLE

    size = model.image_size * scale
    how = f", enlarged {scale}× ({'smoothed' if smooth else 'nearest-neighbour'})" if scale > 1 else ""
    split = {"tag": "by tag", "label": "by label", "none": "not split"}.get(split_by, split_by or "by class")
    folders = ", ".join(f"`{name}/` ({n})" for name, n in classes.items())
    lines = [README_TITLE, "",
             f"{count} images of {size}×{size} pixels{how}, decoded by the model `{model.name}` "
             f"(checkpoint SHA-256 `{model.sha256}`), exported by Latent Explorer.", "",
             "## Files", "",
             "- `metadata.jsonl`: one JSON record per image (columns below).",
             "- `latents.npy`: float32 array (n, d) of the latents, one row per image in the order of metadata.jsonl.",
             f"- class folders ({split}): {folders}.", "",
             "## Columns", "", *_table(_COMMON[:2] + _EXPORT_ONLY[:1] + _COMMON[2:] + _EXPORT_ONLY[1:]), "",
             *_loading("torchvision reads the class folders: `torchvision.datasets.ImageFolder(\"THIS_FOLDER\")`."),
             "Open this folder in Latent Explorer (File ▸ Open) to bring its points back with their tags and exact "
             "latents; `latent-explorer open-export THIS_FOLDER` checks it and says what it holds.", ""]
    return "\n".join(lines)


def sample_readme(count: int, model_name: str, sha256: str) -> str:
    """The README.md of a finished ``sample`` run (or merge) of ``count`` images.

    It depends on nothing a shard or a merge could see differently, so a merged
    run's README is the single run's, byte for byte.
    """
    lines = [SAMPLE_README_TITLE, "",
             f"{count} images decoded by the model `{model_name}` (checkpoint SHA-256 `{sha256}`), written by "
             "`latent-explorer sample`.", "",
             "## Files", "",
             "- `NNNNNN.png`: the images; NNNNNN is the record's `index`.",
             "- `metadata.jsonl`: one JSON record per image (columns below).",
             "- `latents.npy`: float32 array (n, d) of the latents, one row per image in the order of metadata.jsonl.",
             "",
             "## Columns", "", *_table(_SAMPLE_ONLY[:1] + _COMMON + _SAMPLE_ONLY[1:]), "",
             *_loading("The images lie in this folder itself, not in class folders, so torchvision's "
                       "`ImageFolder` does not read it: open it in Latent Explorer and export the points you "
                       "keep for that."),
             "Open this folder in Latent Explorer (File ▸ Open) to bring its points back with their exact latents; "
             "`latent-explorer open-export THIS_FOLDER` checks it and says what it holds.", ""]
    return "\n".join(lines)
