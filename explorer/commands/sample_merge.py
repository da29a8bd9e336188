"""``latent-explorer sample-merge``: join the parts of a sharded ``sample`` run into one folder.

The parts come from ``sample --shard K/N`` runs (a SLURM array, several
machines) or from ``sample --engine ray``. Each part is a finished ``sample``
folder whose metadata.jsonl lists its images in index order, and a shard's
line and PNG for image *i* are byte-identical to a single run's. So the merged
metadata.jsonl is a streaming k-way merge of the parts' lines, kept verbatim,
and the result is byte-identical to a single-machine run. Nothing is held in
memory per image, so a merge of 10^7 images needs no more memory than one of 10.

PNGs are hard-linked into the output (moved where the file system has no hard
links), never copied, so output and parts must be on one file system. Until
the merged metadata.jsonl is written, the parts stay intact (linking leaves
them whole), so an interrupted merge is simply run again. latents.npy and
README.md are made from the merged records just before the merged
metadata.jsonl appears, as a single run makes them at its end.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import json
import os
import re
from pathlib import Path

from explorer.commands.progress import progress_bar
from explorer.commands.sample import earlier_output, sample_files
from explorer.commands.sample_folder import LATENTS, METADATA, RUN_RECORD, write_latents, write_readme

_PNG = re.compile(r"(\d{6,})\.png")
# Where a file system cannot hard-link (some network and FAT file systems),
# os.link fails with one of these; a move (rename) still works there.
_NO_LINKS = {errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}
_PROGRESS_EVERY = 4096


def _check_part(part: Path) -> None:
    """Refuse a part that is not the folder of a finished ``sample`` run."""
    if not part.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such folder (a part is the --out of a 'sample --shard' run)",
                                str(part))
    if (part / RUN_RECORD).exists():
        raise ValueError(f"{part}: an unfinished run; finish it first (run its 'sample --shard K/N' again "
                         "with --resume)")
    if not (part / METADATA).is_file():
        raise ValueError(f"{part}: no {METADATA}; a part is the --out of a 'sample --shard' run")
    _, foreign = sample_files(part)
    if foreign:
        raise FileExistsError(f"{part}: holds files that 'sample' does not write ({', '.join(foreign[:3])}); "
                              "a part is the --out of a 'sample --shard' run")


def _existing_ancestor(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _allowed_in_out(out: Path, parts: list[Path]) -> set[str]:
    """The names of ``out``'s entries that are parts, or hold parts (``out/shards/part-0``).

    Raises ValueError when ``out`` is a part or lies inside one.
    """
    target = out.resolve()
    allow = set()
    for part in parts:
        where = part.resolve()
        if target == where or target.is_relative_to(where):
            raise ValueError(f"{out}: is (inside) the part {part}; merge into another folder")
        if where.is_relative_to(target):
            allow.add(where.relative_to(target).parts[0])
    return allow


def _check_same_file_system(out: Path, parts: list[Path]) -> None:
    # A hard link or a rename cannot cross file systems, and copying is what
    # this merge exists to avoid: say so before anything is touched.
    device = os.stat(_existing_ancestor(out)).st_dev
    for part in parts:
        if os.stat(part).st_dev != device:
            raise OSError(f"{part}: is on another file system than {out} (images are linked, not copied); "
                          "merge into a folder on the parts' file system")


def _lines(part: Path):
    """(index, line, record, part) for each image of ``part``, checking that indices ascend."""
    path, previous = part / METADATA, -1
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            try:
                rec = json.loads(line) if line.endswith("\n") else None
            except ValueError:
                rec = None
            index = rec.get("index") if isinstance(rec, dict) else None
            if not isinstance(index, int) or rec.get("file") != f"{index:06d}.png" or index <= previous:
                raise ValueError(f"{path}: line {number} is not an image record of a 'sample' run in index order")
            previous = index
            yield index, line, rec, part


def _place(src: Path, dst: Path) -> None:
    """Put ``src`` at ``dst`` without copying: a hard link, or a move where links are not supported."""
    try:
        os.link(src, dst)
        return
    except FileExistsError:
        if os.path.samefile(src, dst):
            return  # linked by an earlier, interrupted merge
        dst.unlink()
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "listed in its part's metadata.jsonl but missing", str(src)) from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        os.replace(src, dst)
        return
    try:
        os.link(src, dst)
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        os.replace(src, dst)


def _in_run(name: str, count: int) -> bool:
    """Whether ``name`` is the PNG of one of images 0 … count-1."""
    match = _PNG.fullmatch(name)
    return bool(match) and int(match[1]) < count and name == f"{int(match[1]):06d}.png"


def _missing(first: int, last: int) -> str:
    said = f"image {first} is" if first == last else f"images {first}–{last} are"
    return f"{said} in none of the parts (a part is missing)"


def _remove_part(part: Path) -> None:
    """Delete a merged part: only ``sample``'s files and a system file or two, then the folder."""
    ours, _ = sample_files(part)
    for path in ours:
        path.unlink(missing_ok=True)
    for entry in part.iterdir():
        if entry.is_file():  # only system files are left: sample_files listed everything else
            entry.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        part.rmdir()


def merge_parts(out: Path, parts, n: int | None = None, keep_parts: bool = False, progress: bool = True) -> dict:
    """Merge the part folders of a sharded ``sample`` run into ``out``.

    ``out`` ends up holding every part's PNGs (hard-linked or moved, never
    copied) and one metadata.jsonl in index order: byte for byte what a single
    ``sample`` run with the same checkpoint, N, seed and batch size writes.
    ``out`` may be new, hold an earlier ``sample`` run (replaced), or hold the
    parts themselves; anything else is refused, as ``sample`` refuses it.
    The parts are removed afterwards unless ``keep_parts``.

    Parameters
    ----------
    out : Path
        The folder to write.
    parts : iterable of Path
        The ``--out`` folders of ``sample --shard K/N`` runs, in any order.
    n : int, optional
        The run's N: refuse unless the parts hold exactly images 0 … N-1
        (without it, a missing last part would go unnoticed).

    Returns
    -------
    dict
        ``out``, ``count``, ``parts``, ``model``, ``seed``, ``sha256``.

    Raises
    ------
    ValueError
        A part is unfinished or not a ``sample`` folder, parts overlap, belong
        to different runs, or leave images out — before the merged
        metadata.jsonl is written.
    """
    parts = [Path(p) for p in parts]
    if not parts:
        raise ValueError("name the part folders to merge")
    seen: dict[Path, Path] = {}
    for part in parts:
        if part.resolve() in seen:
            raise ValueError(f"{part}: named twice (also as {seen[part.resolve()]})")
        seen[part.resolve()] = part
    for part in parts:
        _check_part(part)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is not a folder (the merge writes a folder of PNGs)", str(out))
    earlier = earlier_output(out, allow=_allowed_in_out(out, parts))
    _check_same_file_system(out, parts)
    out.mkdir(parents=True, exist_ok=True)
    # The folder stops claiming to hold a finished run before the new run's files arrive.
    for path in earlier:
        if path.name in (METADATA, RUN_RECORD):
            path.unlink(missing_ok=True)
    summary = {}

    def write(tmp: str) -> None:
        first, first_part, expected, previous_part = None, None, 0, None
        streams = [_lines(part) for part in parts]
        with open(tmp, "w", encoding="utf-8") as f, progress_bar("merging", n or 0, progress) as update:
            for index, line, rec, part in heapq.merge(*streams, key=lambda item: item[0]):
                if index < expected:
                    raise ValueError(f"image {index} is in two parts ({previous_part} and {part}); "
                                     "were they written with the same --shard N and --batch-size?")
                if index > expected:
                    raise ValueError(_missing(expected, index - 1))
                if first is None:
                    first, first_part = rec, part
                elif (rec.get("seed"), rec.get("sha256")) != (first.get("seed"), first.get("sha256")):
                    raise ValueError(f"{part} and {first_part} hold different runs (another --seed or checkpoint)")
                _place(part / rec["file"], out / rec["file"])
                f.write(line)
                expected, previous_part = expected + 1, part
                if expected % _PROGRESS_EVERY == 0:
                    update(expected, n or expected)
        if n is not None and expected < n:
            raise ValueError(_missing(expected, n - 1))
        if n is not None and expected > n:
            raise ValueError(f"the parts hold {expected:,} images, more than --n {n:,}")
        if first is None:
            raise ValueError("the parts hold no images")
        # What an earlier run left beyond this one's images goes before this
        # run's metadata.jsonl appears: the folder then holds exactly this run.
        for path in earlier:
            if path.name != METADATA and not _in_run(path.name, expected):
                path.unlink(missing_ok=True)
        write_latents(Path(tmp), out / LATENTS)
        write_readme(out, Path(tmp), expected)
        summary.update(out=str(out), count=expected, parts=[str(p) for p in parts], model=first.get("model"),
                       seed=first.get("seed"), sha256=first.get("sha256"))

    from models.checkpoint import atomic_write_bytes

    atomic_write_bytes(out / METADATA, write)
    if not keep_parts:
        for part in parts:
            _remove_part(part)
    return summary
