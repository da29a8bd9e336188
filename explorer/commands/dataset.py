"""``latent-explorer dataset``: write a dataset as PNGs plus labels.csv."""

from __future__ import annotations

import csv
import errno
import io
from pathlib import Path

from explorer.commands.progress import progress_bar


def write_dataset(name: str, out: Path, n: int = 1000, seed: int = 0, size: int = 64, progress: bool = True) -> dict:
    """Write ``name`` (toyfaces or digits) to ``out``; returns a summary."""
    from models.checkpoint import atomic_write_bytes
    from models.data import load_dataset
    from models.imaging import save_png

    if out.exists() and not out.is_dir():  # ``--out /dev/null`` or a file: refused, never replaced
        raise NotADirectoryError(errno.ENOTDIR, "is not a folder (dataset writes a folder of PNGs)", str(out))
    ds = load_dataset(name, n=n, seed=seed, size=size)
    out.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    columns = list(ds.attribute_names) if ds.attribute_names else ["label"]
    writer.writerow(["file", *columns])
    with progress_bar(f"writing {name}", len(ds), progress) as update:
        for i, image in enumerate(ds.images):
            fname = f"{i:06d}.png"
            save_png(out / fname, image)
            if ds.attributes is not None:
                writer.writerow([fname, *(int(v) for v in ds.attributes[i])])
            else:
                writer.writerow([fname, ds.label_names[ds.labels[i]]])
            if i % 64 == 0 or i == len(ds) - 1:
                update(i + 1, len(ds))
    text = buf.getvalue()
    atomic_write_bytes(out / "labels.csv", lambda tmp: Path(tmp).write_text(text))
    return {"out": str(out), "count": len(ds), "labels": "labels.csv", "columns": columns,
            "dataset": name, "seed": seed, "size": ds.image_size}
