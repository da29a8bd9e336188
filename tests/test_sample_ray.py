"""``sample --engine ray`` and ``sample-merge``: a sharded run, merged, is byte for byte a single run.

The merge tests need no Ray; the others share one local Ray (2 CPUs).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from explorer.cli import main

CHECKPOINT = "toyfaces_dcgan"
RUN = ["--n", "96", "--seed", "5", "--batch-size", "16"]  # 6 batches


def _folder(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def _ray_run(out: Path, *extra: str) -> list[str]:
    return ["sample", CHECKPOINT, *RUN, "--out", str(out), "--engine", "ray", "--json", *extra]


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module (starting one takes seconds); the commands use it instead of their own."""
    ray = pytest.importorskip("ray")  # a guard only: the test extra installs Ray
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def single_run(tmp_path_factory) -> dict[str, bytes]:
    """What one machine writes for the run: every PNG and metadata.jsonl."""
    out = tmp_path_factory.mktemp("single") / "run"
    assert main(["sample", CHECKPOINT, *RUN, "--out", str(out), "--json"]) == 0
    files = _folder(out)
    assert len(files) == 99  # 96 PNGs, metadata.jsonl, latents.npy, README.md
    return files


def test_a_ray_run_equals_a_single_run(local_ray, single_run, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(_ray_run(out, "--shards", "3")) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["count"] == 96 and doc["shards"] == 3 and doc["sampled"] == [0, 1, 2] and doc["skipped"] == []
    assert _folder(out) == single_run  # and no shards folder is left
    # Run again: the folder is replaced by the same bytes.
    assert main(_ray_run(out, "--shards", "3")) == 0
    assert _folder(out) == single_run


class _Interrupted(BaseException):  # as a kill would, it escapes main()'s handlers
    pass


def test_a_rerun_redoes_only_the_shard_whose_output_is_gone(local_ray, single_run, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"

    def killed(*args, **kwargs):
        raise _Interrupted

    with monkeypatch.context() as m:
        m.setattr("explorer.commands.sample_ray.merge_parts", killed)  # the driver dies before merging
        with pytest.raises(_Interrupted):
            main(_ray_run(out, "--shards", "3"))
    parts = sorted(p.name for p in (out / "shards").iterdir() if p.is_dir())
    assert parts == ["part-0", "part-1", "part-2"]
    shutil.rmtree(out / "shards" / "part-1")
    kept = {p.name: p.stat().st_ino for k in (0, 2) for p in (out / "shards" / f"part-{k}").glob("*.png")}
    capsys.readouterr()
    # Without --shards the count recorded by the interrupted run is used.
    assert main(_ray_run(out)) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sampled"] == [1] and doc["skipped"] == [0, 2]
    assert _folder(out) == single_run
    # The skipped shards' PNGs were linked into place, not written again.
    assert {name: (out / name).stat().st_ino for name in kept} == kept


def test_a_rerun_with_other_settings_is_refused(local_ray, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        m.setattr("explorer.commands.sample_ray.merge_parts", lambda *a, **k: (_ for _ in ()).throw(_Interrupted))
        with pytest.raises(_Interrupted):
            main(_ray_run(out, "--shards", "2"))
    capsys.readouterr()
    assert main([*_ray_run(out), "--seed", "6"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--seed was 5, now 6" in err[0] and str(out / "shards") in err[0]


def test_a_failing_shard_is_named(local_ray, tmp_path, capsys):
    out = tmp_path / "run"
    argv = _ray_run(out, "--shards", "2")
    argv[1] = "toyfaces_classifier"  # every shard fails to load it as a generative model
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "shard " in err[0] and "/2 (" in err[0] and "no latent space" in err[0]


def test_slurm_style_shards_merge_into_a_single_run(single_run, tmp_path, capsys):
    run = tmp_path / "run"
    parts = [run / f"part{k}" for k in range(4)]
    for k, part in enumerate(parts):
        assert main(["sample", CHECKPOINT, *RUN, "--shard", f"{k}/4", "--out", str(part), "--json"]) == 0
    capsys.readouterr()
    # A missing part is refused before the merged metadata.jsonl is written; the parts stay whole.
    elsewhere = tmp_path / "merged"
    assert main(["sample-merge", *map(str, parts[:3]), "--out", str(elsewhere), "--n", "96"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "images 48–63 are in none of the parts" in err[0]
    assert not (elsewhere / "metadata.jsonl").exists() and all((p / "metadata.jsonl").exists() for p in parts)
    # The folder holding the parts holds nothing else: a part not named is not merged over.
    assert main(["sample-merge", *map(str, parts[:3]), "--out", str(run)]) == 2
    assert "part3" in capsys.readouterr().err
    assert main(["sample-merge", *map(str, reversed(parts)), "--out", str(run), "--n", "96", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["count"] == 96 and doc["seed"] == 5
    assert _folder(run) == single_run  # the parts are gone too


def test_merge_refuses_parts_of_different_runs(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["sample", CHECKPOINT, *RUN, "--shard", "0/2", "--out", str(a), "--json"]) == 0
    other = ["--n", "96", "--seed", "6", "--batch-size", "16"]
    assert main(["sample", CHECKPOINT, *other, "--shard", "1/2", "--out", str(b), "--json"]) == 0
    capsys.readouterr()
    assert main(["sample-merge", str(a), str(b), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "hold different runs" in err[0]
    assert (a / "metadata.jsonl").exists() and (b / "metadata.jsonl").exists()
