"""``latent-explorer sample --engine ray``: one Ray task per shard, then one merge.

The run is split into S shards (whole batches dealt round-robin, as
``--shard K/S`` does), each written by a Ray task to ``OUT/shards/part-K/``
with ``resume=True``: a shard is deterministic and resumable on its own. Then
the parts are merged into ``OUT`` (:mod:`explorer.commands.sample_merge`),
byte-identical to a single-machine ``sample`` run with the same settings, and
``OUT/shards`` is removed.

``OUT/shards/run.json`` records the settings of the sharded run, so running
the same command again continues it: finished shards are skipped without
loading the model, interrupted ones resume, and a rerun with other settings is
refused. On a cluster every node needs latent-explorer installed and the
checkpoint and ``OUT`` on a shared file system.

Ray is an optional dependency, imported only here and only when asked for.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import re
import sys
from pathlib import Path

from explorer.commands import sample_folder as folder
from explorer.commands.progress import progress_bar
from explorer.commands.sample import earlier_output, shard_indices
from explorer.commands.sample_merge import merge_parts
from models.errors import LatentExplorerError

SHARDS = "shards"
PLAN = "run.json"
RAY_MISSING = "--engine ray needs Ray: pip install 'latent-explorer[ray]'"
_STOP_WAIT_S = 30  # how long stopped shards get to end their current batch
# The start of every metadata line ``sample`` writes (json.dumps keeps the key
# order): enough to check a finished shard's indices without parsing latents.
_RECORD_START = re.compile(rb'\{"file": "(\d+)\.png", "index": (\d+),')


class RayNotInstalled(LatentExplorerError):
    """``--engine ray`` was asked for, but Ray is not installed."""


class ShardFailed(LatentExplorerError):
    """A shard's task failed for a reason the user can fix; the message names the shard."""


def _import_ray():
    try:
        import ray
    except ImportError:
        raise RayNotInstalled(RAY_MISSING) from None
    return ray


def part_folder(out: Path, k: int) -> Path:
    """Where shard ``k`` of a Ray run into ``out`` is written."""
    return out / SHARDS / f"part-{k}"


def shard_is_complete(part: Path, indices, seed: int, digest: str) -> bool:
    """Whether ``part`` holds a finished run of exactly these images of this run.

    Finished: no run record, and metadata.jsonl lists every index in order,
    each with its PNG present; the first record has this seed and checkpoint.
    """
    if not part.is_dir() or (part / folder.RUN_RECORD).exists():
        return False
    try:
        with open(part / folder.METADATA, "rb") as f:
            first, count = None, 0
            for index, line in zip(indices, f):  # indices first: zip must not swallow a surplus line
                index, start = int(index), _RECORD_START.match(line)
                if not start or int(start[2]) != index or start[1] != b"%06d" % index or not line.endswith(b"\n"):
                    return False
                first, count = first or line, count + 1
            if count != len(indices) or f.readline():
                return False
        rec = json.loads(first) if first else {}
    except (OSError, ValueError):
        return False
    if rec.get("seed") != seed or rec.get("sha256") != digest:
        return False
    return all((part / f"{int(i):06d}.png").is_file() for i in indices)


def _sample_shard(checkpoint, part: str, n: int, seed: int, shard, batch_size: int, steps, device: str, hints,
                  label: bool, recorded_as: str) -> dict:
    """The body of one Ray task: write (or finish) one shard into ``part``.

    ``checkpoint`` is what the task loads (an absolute path on a cluster);
    ``recorded_as`` what the records name, as a single run with the user's command would.
    """
    from explorer.commands.sample import sample_to_folder

    doc = sample_to_folder(checkpoint, Path(part), n=n, seed=seed, shard=tuple(shard), batch_size=batch_size,
                           steps=steps, device=device, progress=False, hints=hints, resume=True, label=label,
                           recorded_as=recorded_as)
    return {"count": doc["count"], "resumed_from": doc["resumed_from"]}


def _device_kind(device: str, resources: dict) -> str:
    """The device each task uses; ``cuda:N`` is ``cuda`` there (Ray gives a task its own GPU)."""
    if device == "auto":
        return "cuda" if resources.get("GPU", 0) >= 1 else "cpu"
    kind = device.split(":")[0]
    if kind == "cuda" and resources.get("GPU", 0) < 1:
        raise ValueError(f"--device {device}: the Ray cluster has no GPUs")
    return kind


def _shard_error(k: int, shards: int, part: Path, exc: BaseException) -> Exception:
    """The error to raise for shard ``k``'s failure: its cause, named by shard."""
    from ray.exceptions import RayTaskError

    cause = exc.cause if isinstance(exc, RayTaskError) and exc.cause is not None else exc
    lines = str(cause).strip().splitlines()
    where = f"shard {k}/{shards} ({part})"
    if isinstance(cause, (LatentExplorerError, ValueError, OSError)):
        return ShardFailed(f"{where}: {lines[0] if lines else type(cause).__name__}")
    return RuntimeError(f"{where}: {type(cause).__name__}: {lines[0] if lines else ''}")


def _stop(ray, refs: list) -> None:
    """Stop these shards' tasks (after a failure or Ctrl-C) and let them end.

    What they wrote stays, and the same command continues from there.
    Collecting their outcomes keeps Ray from reporting them as lost errors.
    """
    if not refs:
        return
    for ref in refs:
        with contextlib.suppress(Exception):
            ray.cancel(ref)
    with contextlib.suppress(Exception):
        ended, _ = ray.wait(refs, num_returns=len(refs), timeout=_STOP_WAIT_S)
        for ref in ended:
            with contextlib.suppress(Exception):
                ray.get(ref)


def _read_plan(path: Path) -> dict | None:
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: is damaged ({exc}); remove {path.parent} to start afresh") from None
    return plan if isinstance(plan, dict) else None


def _write_plan(path: Path, plan: dict) -> None:
    from models.checkpoint import atomic_write_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(plan, indent=1)
    atomic_write_bytes(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def sample_with_ray(checkpoint, out: Path, n: int, seed: int = 0, shards: int | None = None, batch_size: int = 64,
                    steps: int | None = None, device: str = "cpu", hints=None, label: bool = False,
                    address: str | None = None, progress: bool = True, note=None) -> dict:
    """Sample ``n`` images into ``out`` with one Ray task per shard, then merge the shards.

    The result is byte-identical to ``sample_to_folder`` with the same
    checkpoint, ``n``, ``seed``, ``batch_size``, ``steps`` and ``label``.
    Connects to the Ray cluster at ``address`` (default: ``RAY_ADDRESS`` if
    set, else a Ray started here, stopped again at the end). ``shards``
    defaults to the cluster's GPUs (CUDA) or CPUs, and to what an earlier,
    unfinished run into ``out`` used; there are never more shards than batches.
    Each task asks for one GPU when ``device`` is CUDA, else for one CPU.

    Returns
    -------
    dict
        The merge's summary (``out``, ``count``, ``model``, ``sha256``, ``seed``)
        plus ``engine``, ``shards``, ``sampled`` and ``skipped`` (shard numbers).

    Raises
    ------
    RayNotInstalled
        Ray is not installed.
    ShardFailed
        A shard failed (named); the other shards are stopped, and running the
        same command again continues where they were.
    """
    from explorer.core.file_hash import file_sha256
    from models.loading import resolve_checkpoint

    note = note or (lambda s: print(s, file=sys.stderr, flush=True))
    ray = _import_ray()
    folder.check_count(n)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is not a folder (sample writes a folder of PNGs)", str(out))
    earlier_output(out, allow={SHARDS})  # refuse a folder of someone else's files before starting Ray
    path = resolve_checkpoint(checkpoint)
    digest = file_sha256(path)
    # Tasks may run on other machines: give them absolute paths (a bundled
    # model by its name, which every installation resolves for itself).
    target = str(path.absolute()) if Path(checkpoint).exists() else str(checkpoint)
    out = out.absolute()
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, logging_level=logging.WARNING)
    try:
        resources = ray.cluster_resources()
        kind = _device_kind(device, resources)
        plan_path = out / SHARDS / PLAN
        recorded = _read_plan(plan_path)
        batches = -(-n // batch_size)
        asked = shards
        if shards is None:
            shards = recorded.get("shards") if recorded else int(resources.get("GPU" if kind == "cuda" else "CPU", 1))
        if asked is not None and asked > batches:
            note(f"latent-explorer sample: --shards {shards} lowered to {batches} (one batch of {batch_size} "
                 f"or fewer per shard)")
        shards = max(1, min(int(shards), batches))
        plan = {"sha256": digest, "seed": seed, "n": n, "shards": shards, "batch_size": batch_size, "steps": steps,
                "label": label, "device": kind, "hints": hints or {}}
        differ = folder.settings_differences(recorded, plan) if recorded is not None else []
        if differ and any(p.name != PLAN for p in plan_path.parent.iterdir()):
            raise ValueError(f"{out / SHARDS}: holds an unfinished run with other settings ({'; '.join(differ)}); "
                             f"run it again with those, or remove {out / SHARDS} to start afresh")
        if recorded is None or differ:  # no run yet, or one that never wrote an image: this run's settings
            _write_plan(plan_path, plan)
        # A shard's indices are made and dropped one shard at a time: all of
        # them at once would be 800 MB at the largest N. (Where a task clamps
        # --batch-size to the memory budget its indices differ from these: its
        # shard is never skipped here, and the task finds it done on resume.)
        sizes, skipped = {}, []
        for k in range(shards):
            indices = shard_indices(n, (k, shards), batch_size)
            sizes[k] = len(indices)
            if shard_is_complete(part_folder(out, k), indices, seed, digest):
                skipped.append(k)
        todo = [k for k in range(shards) if k not in skipped]
        resources_per_task = {"num_gpus": 1} if kind == "cuda" else {"num_cpus": 1}
        task = ray.remote(_sample_shard).options(**resources_per_task)
        pending = {task.remote(target, str(part_folder(out, k)), n, seed, (k, shards), batch_size, steps, kind,
                               hints, label, str(checkpoint)): k for k in todo}
        done = sum(sizes[k] for k in skipped)
        try:
            with progress_bar(f"sampling ({shards} shards on Ray)", n, progress) as update:
                update(done, n)
                while pending:
                    ready, _ = ray.wait(list(pending), num_returns=1)
                    k = pending.pop(ready[0])
                    try:
                        ray.get(ready[0])
                    except Exception as exc:
                        raise _shard_error(k, shards, part_folder(out, k), exc) from exc
                    done += sizes[k]
                    update(done, n)
        finally:
            _stop(ray, list(pending))
        merged = merge_parts(out, [part_folder(out, k) for k in range(shards)], n=n, progress=progress)
        plan_path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            (out / SHARDS).rmdir()
    finally:
        if started:
            ray.shutdown()
    merged.pop("parts")  # removed by now
    return {**merged, "engine": "ray", "shards": shards, "sampled": todo, "skipped": skipped}
