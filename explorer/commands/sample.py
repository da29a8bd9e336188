"""``latent-explorer sample``: decode prior samples into PNGs plus metadata.jsonl.

The folder a finished run leaves (see :mod:`explorer.commands.sample_folder`)::

    000000.png …          the images, named by index, in the folder itself
    metadata.jsonl        one record per image: {"file": "000000.png", "index": 0, "file_name": "000000.png",
                          "latent_row": 0, "seed", "latent", "latent_shape", "attributes", "model", "sha256",
                          "checkpoint", "steps", "recipe"} (+ "where" in a --where run)
    latents.npy           float32 (n, d), row latent_row = the record's latent
    README.md

Hugging Face's ``load_dataset("imagefolder", data_dir=OUT)`` reads it (the
``file_name`` column names each image). The PNGs stay at the top of the
folder, where every earlier run put them (scripts, shards and merges rely on
``OUT/NNNNNN.png``), so torchvision's ``ImageFolder``, which needs class
sub-folders, reads an export (``latent-explorer export``) rather than this.
"""

from __future__ import annotations

import errno
import json
import re
import sys
from pathlib import Path

import numpy as np

from explorer.commands.progress import progress_bar
from explorer.commands.sample_folder import METADATA
from explorer.core.file_hash import file_sha256


def shard_indices(n: int, shard: tuple[int, int], batch_size: int) -> np.ndarray:
    """Indices of shard K of N: whole batches of the full run, dealt round-robin.

    Keeping the full run's batch grid means every image is decoded in a batch
    of exactly the same composition in a shard as in the single run, so the
    bytes agree even where a backend's results depend on batch contents.
    """
    k, parts = shard
    idx = np.arange(n)
    return idx[(idx // batch_size) % parts == k]


# What ``sample`` writes: NNNNNN.png (more digits past a million), metadata.jsonl,
# the record of an unfinished run, and the temporary files of an atomic write
# that an interrupted run may leave.
_OUR_NAME = re.compile(r"\d{6,}\.png|metadata\.jsonl|\.sample-run\.json|latents\.npy|README\.md"
                       r"|\.(\d{6,}\.png|metadata\.jsonl|sample-run\.json|latents\.npy|README\.md)\..+\.tmp")
# Files an operating system drops into any folder a person opened; neither ours
# nor the user's work, so they neither block a run nor get removed.
_SYSTEM_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}


def _earlier_records(out: Path) -> list[dict]:
    """The records of the metadata.jsonl an earlier run left in ``out`` (none if unreadable)."""
    try:
        lines = (out / METADATA).read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines if line.strip()]
    except (OSError, UnicodeDecodeError, ValueError):
        return []
    return [r for r in records if isinstance(r, dict)]


def _ours(entry: Path) -> bool:
    if not (entry.is_file() and not entry.is_symlink() and _OUR_NAME.fullmatch(entry.name)):
        return False
    if entry.name != "README.md":
        return True
    from explorer.core.export_readme import SAMPLE_README_TITLE

    try:  # a README.md is ours only if sample wrote it: a user's own is never replaced
        with open(entry, encoding="utf-8") as f:
            return f.readline(len(SAMPLE_README_TITLE) + 2).rstrip("\n") == SAMPLE_README_TITLE
    except (OSError, UnicodeDecodeError):
        return False


def sample_files(folder: Path, allow=()) -> tuple[list[Path], list[str]]:
    """What ``folder`` holds: (the files ``sample`` writes, the names of anything else).

    A file counts as ``sample``'s by its name (``NNNNNN.png``, metadata.jsonl,
    latents.npy, the run record, an interrupted atomic write's temporary file;
    README.md when its title is the one ``sample`` writes). Files an
    operating system drops into any folder, and entries named in ``allow``,
    are in neither list.
    """
    ours, foreign = [], []
    for entry in sorted(folder.iterdir()):
        if entry.name in _SYSTEM_FILES or entry.name in allow:
            continue
        if _ours(entry):
            ours.append(entry)
        else:
            foreign.append(entry.name)
    return ours, foreign


def earlier_output(out: Path, allow=()) -> list[Path]:
    """The files an earlier ``sample`` run left in ``out``, to be replaced by this run.

    Entries named in ``allow`` (the parts of a sharded run that are being
    merged into ``out``) are neither listed nor refused.

    Raises
    ------
    FileExistsError
        ``out`` holds anything else (a folder, a file ``sample`` would not
        write): a run never deletes what is not its own.
    """
    if not out.is_dir():
        return []
    ours, others = sample_files(out, allow)
    listed = {r.get("file") for r in _earlier_records(out)} if others else set()
    foreign = []
    for name in others:
        entry = out / name
        if name in listed and entry.is_file() and not entry.is_symlink():
            ours.append(entry)
        else:
            foreign.append(name)
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise FileExistsError(f"{out}: holds files that no earlier 'sample' run wrote ({', '.join(foreign[:3])}{more}); "
                              "choose an empty or new folder")
    return sorted(ours)


def _refuse_another_shard(out: Path, indices: np.ndarray, seed: int, digest: str, shard) -> None:
    """Refuse to replace a sibling shard of the same run: shards go to folders of their own."""
    records = _earlier_records(out)
    if shard[1] == 1 or not records:
        return
    same_run = all(r.get("seed") == seed and r.get("sha256") == digest for r in records)
    if same_run and not {r.get("index") for r in records} & set(indices.tolist()):
        raise FileExistsError(f"{out}: holds another shard of this run; write each --shard to a folder of its own "
                              "(e.g. --out part{K}/)")


def _refuse_a_non_folder(out: Path) -> None:
    # ``--out /dev/null`` or a file: say so up front rather than fail on the first PNG.
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is not a folder (sample writes a folder of PNGs)", str(out))


def sample_to_folder(checkpoint, out: Path, n: int, seed: int = 0, shard=(0, 1), batch_size: int = 64,
                     steps: int | None = None, device: str = "cpu", progress: bool = True, hints=None,
                     resume: bool = False, note=None, label: bool = False, conditions=None,
                     recorded_as: str | None = None, prompt: dict | None = None) -> dict:
    """Decode ``n`` prior samples (or one shard of them) into ``out``.

    ``out`` ends up holding exactly this run's PNGs, metadata.jsonl, latents.npy
    and README.md: the output of an earlier run there is replaced, and a folder
    holding anything else is refused (:class:`FileExistsError`) before anything is written.
    metadata.jsonl grows as images are written, so an interrupted run leaves a
    consistent folder that ``resume=True`` completes byte for byte (see
    :mod:`explorer.commands.sample_folder`). ``batch_size`` is clamped to a
    memory budget (said through ``note``, default: stderr); a run that would
    not fit on the disk, or an absurd ``n``, is refused before anything is written.
    With ``label``, each record's ``attributes`` holds the bundled classifier's
    probabilities (when one fits the model's images); otherwise it is ``{}``
    and no classifier is loaded or run (it costs a forward pass per batch).
    ``conditions`` (:class:`~explorer.commands.sample_conditions.Conditions`)
    keep only images matching a query and/or move every sample along a direction.
    Each record's ``checkpoint`` is ``recorded_as`` (default: ``checkpoint`` as
    given, a path or a bundled model's name), which ``reproduce`` finds it by.
    """
    from models.imaging import save_png
    from models.loading import bundled_classifier_for, load_latent_model, resolve_checkpoint
    from models.reproducible import decode_for_keeps

    from explorer.commands import sample_conditions
    from explorer.commands import sample_folder as folder
    from explorer.commands.prompt_options import apply_prompt

    note = note or (lambda s: print(s, file=sys.stderr, flush=True))
    conditions = conditions or sample_conditions.Conditions()
    # As the user named it, not resolved: shards and merges of one command then write the same bytes.
    recorded = str(checkpoint) if recorded_as is None else recorded_as
    folder.check_count(n)
    _refuse_a_non_folder(out)
    earlier_output(out)  # refuse a folder of someone else's files before the slow part
    path = resolve_checkpoint(checkpoint)
    model = load_latent_model(path, device, **(hints or {}))
    if wrapper := model.info.provenance.get("wrapper"):  # which sub-model of a Lightning/EMA file was used
        note(f"latent-explorer sample: {path}: {wrapper}")
    if steps is not None and hasattr(model, "steps"):
        model.steps = steps
    model_recipe = apply_prompt(model, prompt)  # a text-to-image model's prompt, guidance, steps and sampler
    info, latent_size = model.info, int(np.prod(model.latent_shape))
    bounded = folder.bounded_batch_size(batch_size, info.image_size, info.channels, latent_size)
    if bounded < batch_size:
        note(f"latent-explorer sample: --batch-size {batch_size} clamped to {bounded} "
             f"(what {info.image_size}px images fit in {folder.BATCH_MEMORY_BUDGET >> 20} MB)")
        batch_size = bounded
    classifier = bundled_classifier_for(model) if label or conditions.where else None
    if label and classifier is None:
        note(f"latent-explorer sample: --label: no bundled classifier fits {info.name} "
             f"({info.dataset or 'no data set'}, {info.image_size}px images); attributes stay empty")
    plan = sample_conditions.prepare(conditions, model, classifier, seed, progress)
    digest = file_sha256(path)
    # A --where run's images are not known in advance: candidates 0, 1, 2, … in the batch grid.
    indices = None if plan.conditional else shard_indices(n, shard, batch_size)
    total = n if indices is None else len(indices)
    settings = folder.run_settings(digest, info.name, seed, n, shard, batch_size, getattr(model, "steps", None),
                                   model.latent_shape, label, {**conditions.settings(),
                                                               **({"model_recipe": model_recipe} if model_recipe else {})})
    if resume and out.is_dir():
        done, kept = folder.resume_point(out, settings, indices)
    else:
        _refuse_another_shard(out, np.arange(0) if indices is None else indices, seed, digest, shard)
        done, kept = 0, []
    folder.check_disk_space(out, total - done, folder.bytes_per_image(info.image_size, info.channels, latent_size))
    if not resume:
        # The model loaded, so this run will write: clear the earlier run's
        # output first, so the folder ends up holding exactly this run's files.
        for old in earlier_output(out):
            old.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    folder.write_run_record(out, settings)
    files = [json.loads(line)["file"] for line in kept] if indices is None else []
    last = -1 if done == 0 else json.loads(kept[-1])["index"]  # the last image already written
    row, draws = done, last + 1
    with folder.MetadataStream(out, kept) as metadata, progress_bar("sampling", total, progress) as update:
        # Restart at the batch the resume point falls in: an image's bytes may
        # depend on the batch it is decoded with.
        for batch in _batches(indices, done, last, batch_size) if done < total else ():
            latents = plan.move(model.sample_latents(seed, batch))
            images = decode_for_keeps(model, latents)  # the same bytes whatever the batch or load
            probs = classifier.predict(images) if classifier is not None else None
            confidence = plan.confidence(probs) if plan.conditional else None
            for j, i in enumerate(batch):
                if i <= last or (confidence is not None and not confidence[j] >= conditions.min_confidence):
                    continue
                name = f"{i:06d}.png"
                save_png(out / name, images[j])
                attrs = {} if probs is None else {k: round(float(p), 4) for k, p in zip(classifier.names, probs[j])}
                # latent_row: the row in the finished run's latents.npy (a shard's images keep the full run's).
                record = {"file": name, "index": int(i), "file_name": name,
                          "latent_row": int(i) if indices is not None else row, "seed": seed,
                          "latent": latents[j].ravel().tolist(), "latent_shape": list(model.latent_shape),
                          "attributes": attrs, "model": info.name, "sha256": digest, "checkpoint": recorded,
                          "steps": getattr(model, "steps", None), "recipe": {**plan.recipe(i), **model_recipe}}
                if confidence is not None:
                    record["where"] = {"query": conditions.where, "confidence": round(float(confidence[j]), 4)}
                    files.append(name)
                metadata.append(json.dumps(record))
                row, draws = row + 1, int(i) + 1
                if row >= total:
                    break
            update(row, total)
            if row >= total:
                break
            if plan.conditional:
                plan.check_bound(row, int(batch[-1]) + 1, n, out)
    folder.finish_run(out, complete=shard[1] == 1)
    doc = {"out": str(out), "count": total, "model": info.name, "family": info.family,
           "sha256": digest, "seed": seed, "shard": list(shard),
           "files": files if indices is None else [f"{i:06d}.png" for i in indices],
           **({"resumed_from": done} if resume else {})}
    if plan.conditional:
        doc["acceptance"] = {"query": conditions.where, "min_confidence": conditions.min_confidence, "kept": row,
                             "draws": draws, "rate": round(row / draws, 6)}
        note(f"latent-explorer sample: --where {conditions.where!r}: kept {row} of {draws:,} draws "
             f"({row / draws:.1%}) at confidence ≥ {conditions.min_confidence}")
    return doc


def _batches(indices, done: int, last: int, batch_size: int):
    """The batches of the run from the one its resume point falls in.

    A plain run: its (shard's) indices in the full run's batch grid. A ``--where``
    run: candidates 0, 1, 2, … in the same grid, for as long as the caller asks.
    """
    if indices is not None:
        for start in range(done - done % batch_size, len(indices), batch_size):
            yield indices[start:start + batch_size]
        return
    b = (last + 1) // batch_size
    while True:
        yield np.arange(b * batch_size, (b + 1) * batch_size, dtype=np.int64)
        b += 1
