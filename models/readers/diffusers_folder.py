"""Which reader opens a diffusers folder: a text-to-image pipeline, a ``VQModel``, or the
DDPM/DDIM pipelines, UNets and ``AutoencoderKL`` of :mod:`models.readers.diffusers_dirs`.

Deciding here, above the three readers, lets the specialised ones use diffusers_dirs'
helpers without diffusers_dirs importing them back.
"""

from __future__ import annotations

import json
from pathlib import Path


def read_folder(path: str | Path, steps: int | None = None):
    """Open the diffusers folder ``path`` with the reader made for it (see the module's docstring)."""
    path = Path(path)
    from models.readers.text_to_image_dirs import is_text_to_image_pipeline

    if is_text_to_image_pipeline(path):  # its own default step count, and prompts
        from models.readers.text_to_image_dirs import read_text_to_image_dir

        return read_text_to_image_dir(path, steps)
    if not (path / "model_index.json").is_file() and _class_name(path / "config.json") == "VQModel":
        from models.readers.diffusers_vq import read_vq_dir

        return read_vq_dir(path)
    from models.readers.diffusers_dirs import read_diffusers_dir

    return read_diffusers_dir(path, steps)


def _class_name(config: Path) -> str | None:
    """The ``_class_name`` of a model folder's config (None when unreadable: the reader says why)."""
    try:
        return json.loads(config.read_text(encoding="utf-8")).get("_class_name")
    except (OSError, ValueError, AttributeError):
        return None
