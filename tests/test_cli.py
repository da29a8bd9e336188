"""The headless commands, driven as a user or a script would."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """The real command in a fresh process, as a script would call it."""
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})


def test_dataset_writes_pngs_and_labels_csv(tmp_path, capsys):
    assert main(["dataset", "toyfaces", "--n", "12", "--seed", "5", "--size", "32", "--out", str(tmp_path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["count"] == 12
    rows = list(csv.reader((tmp_path / "labels.csv").open()))
    assert rows[0] == ["file", "male", "glasses", "smiling", "hat", "beard"]
    assert len(rows) == 13 and all(v in ("0", "1") for r in rows[1:] for v in r[1:])
    from models.data.toyfaces import make_toyfaces

    images, attrs = make_toyfaces(12, seed=5, size=32)
    assert np.array_equal(np.asarray(Image.open(tmp_path / rows[3][0])), images[2])
    assert [int(v) for v in rows[3][1:]] == list(attrs[2].astype(int))


def test_dataset_digits_labels(tmp_path, capsys):
    assert main(["dataset", "digits", "--out", str(tmp_path), "--json"]) == 0
    rows = list(csv.reader((tmp_path / "labels.csv").open()))
    assert rows[0] == ["file", "label"] and len(rows) == 1798
    assert np.asarray(Image.open(tmp_path / "000000.png")).shape == (32, 32)


@pytest.mark.parametrize("family", ["vae", "gan", "ldm", "ddpm"])
def test_sample_is_byte_identical_and_shards_add_up(tiny_checkpoints, tmp_path, family, capsys):
    ckpt = str(tiny_checkpoints[family])
    full, again = tmp_path / "full", tmp_path / "again"
    assert main(["sample", ckpt, "--n", "7", "--seed", "3", "--batch-size", "2", "--out", str(full), "--json"]) == 0
    assert main(["sample", ckpt, "--n", "7", "--seed", "3", "--batch-size", "2", "--out", str(again), "--json"]) == 0
    files = sorted(p.name for p in full.iterdir())
    assert files == sorted(p.name for p in again.iterdir()) and len(files) == 10  # + metadata, latents, README
    for name in files:
        assert (full / name).read_bytes() == (again / name).read_bytes()
    shard_lines = []
    for k in range(3):
        part = tmp_path / f"part{k}"
        assert main(["sample", ckpt, "--n", "7", "--seed", "3", "--batch-size", "2", "--shard", f"{k}/3", "--out", str(part), "--json"]) == 0
        for png in part.glob("*.png"):
            assert png.read_bytes() == (full / png.name).read_bytes()
        shard_lines += (part / "metadata.jsonl").read_text().splitlines()
    full_lines = (full / "metadata.jsonl").read_text().splitlines()
    assert sorted(shard_lines, key=lambda l: json.loads(l)["index"]) == full_lines
    rec = json.loads(full_lines[4])
    assert rec["file"] == "000004.png" and rec["seed"] == 3 and rec["index"] == 4
    assert len(rec["sha256"]) == 64 and rec["model"] == family
    from models.contract import prior_latents

    shape = tuple(rec["latent_shape"])
    assert np.allclose(np.asarray(rec["latent"], np.float32).reshape(shape), prior_latents(shape, 3, [4])[0])


def test_bad_checkpoint_gives_one_line_and_nonzero_exit(tmp_path):
    bad = tmp_path / "junk.safetensors"
    bad.write_bytes(b"\x00" * 100)
    res = run_cli("sample", str(bad), "--n", "2", "--out", str(tmp_path / "o"))
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in res.stderr
    assert res.stdout == ""


def test_absurd_parameters_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["sample", "x", "--n", "-3", "--out", str(tmp_path)])
    assert info.value.code == 2
    assert "--n" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sample", "x", "--n", "3", "--shard", "4/2", "--out", str(tmp_path)])


def test_sample_refuses_a_classifier(tiny_checkpoints, tmp_path, capsys):
    assert main(["sample", str(tiny_checkpoints["classifier"]), "--out", str(tmp_path)]) == 2
    assert "no latent space" in capsys.readouterr().err


def test_unwritable_output_is_reported(tiny_checkpoints, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["sample", str(tiny_checkpoints["vae"]), "--n", "1", "--out", str(blocker / "sub")]) == 2
    assert str(blocker) in capsys.readouterr().err


@pytest.mark.parametrize("family", ["vae", "gan"])
def test_evaluate_reports_every_figure(tiny_checkpoints, tmp_path, family, capsys):
    card = tmp_path / "card.md"
    assert main(["evaluate", str(tiny_checkpoints[family]), "--classifier", str(tiny_checkpoints["classifier"]),
                 "--n", "40", "--draws", "4", "--json", "--card", str(card)]) == 0
    r = json.loads(capsys.readouterr().out)
    assert 0 <= r["realism"]["decisive_fraction"] <= 1
    assert set(r["mode_coverage"]["sample_frequencies"]) == {"male", "glasses", "smiling", "hat", "beard"}
    assert r["frechet"]["samples_vs_real"] >= 0 and r["frechet"]["n_real"] == 40
    assert r["arithmetic"]["expression"] == "glasses_man - man + woman"
    if family == "vae":  # encoded real images with true labels: every concept is populated
        assert r["arithmetic"]["draws"] == 4 and 0 <= r["arithmetic"]["success_rate"] <= 1
    text = card.read_text()
    assert "## Quality" in text and "realism" in text


def test_evaluate_needs_a_matching_classifier(tiny_checkpoints, tmp_path, capsys):
    assert main(["evaluate", str(tiny_checkpoints["vae"]), "--classifier", str(tiny_checkpoints["gan"]), "--n", "4"]) == 2
    assert "not a classifier" in capsys.readouterr().err


def test_arithmetic_defines_names_by_query_and_decodes_the_expression(tiny_checkpoints, tmp_path, capsys):
    out = tmp_path / "result.png"
    args = ["arithmetic", str(tiny_checkpoints["vae"]), "--define", "glasses_man=male & glasses",
            "--define", "man=male & !glasses", "--define", "woman=!male & !glasses",
            "--expr", "glasses_man - man + woman", "--bank", "200", "--scale", "2", "--out", str(out), "--json"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    from models.data.toyfaces import make_toyfaces
    from models.loading import load_latent_model

    model = load_latent_model(tiny_checkpoints["vae"])
    images, attrs = make_toyfaces(200, seed=0, size=16)
    z = model.encode(images)
    male, glasses = attrs[:, 0] > 0.5, attrs[:, 1] > 0.5
    expected = z[male & glasses].mean(0) - z[male & ~glasses].mean(0) + z[~male & ~glasses].mean(0)
    assert np.allclose(doc["latent"], expected, atol=1e-5)
    assert doc["definitions"]["man"]["matches"] == int((male & ~glasses).sum())
    assert np.asarray(Image.open(out)).shape == (32, 32, 3)
    # With exemplars the draw is seeded: the same seed, the same result.
    assert main([*args, "--exemplars", "3", "--seed", "4"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main([*args, "--exemplars", "3", "--seed", "4"]) == 0
    assert json.loads(capsys.readouterr().out)["latent"] == first["latent"]
    assert first["definitions"]["woman"]["used_count"] == 3


@pytest.mark.parametrize("extra, message", [
    (["--define", "x=male & kitten", "--expr", "x"], "unknown attribute 'kitten'"),
    (["--define", "x=male", "--expr", "x - y"], "unknown name 'y'"),
    (["--define", "bad name=male", "--expr", "x"], "expected NAME=QUERY"),
    (["--define", "x=male & !male", "--expr", "x"], "no entry of the bank"),
])
def test_arithmetic_errors_are_one_line(tiny_checkpoints, tmp_path, capsys, extra, message):
    assert main(["arithmetic", str(tiny_checkpoints["vae"]), "--bank", "100", "--out", str(tmp_path / "o.png"), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


@pytest.mark.parametrize("family", ["vae", "gan", "ldm"])
def test_encode_images_and_folders(tiny_checkpoints, tmp_path, family, capsys):
    from models.data.toyfaces import make_toyfaces

    images, _ = make_toyfaces(3, seed=2, size=24)  # resized to the model's 16 px on the way in
    (tmp_path / "imgs" / "sub").mkdir(parents=True)
    Image.fromarray(images[0]).save(tmp_path / "one.png")
    for i in (1, 2):
        Image.fromarray(images[i]).save(tmp_path / "imgs" / "sub" / f"{i}.png")
    out = tmp_path / "latents.npz"
    args = ["encode", str(tiny_checkpoints[family]), str(tmp_path / "one.png"), str(tmp_path / "imgs"), "--out", str(out), "--json"]
    if family == "gan":
        args += ["--steps", "20"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    data = np.load(out)
    assert data["latents"].shape[0] == 3 and doc["count"] == 3
    assert list(data["files"]) == [str(tmp_path / "one.png"), str(tmp_path / "imgs" / "sub" / "1.png"),
                                   str(tmp_path / "imgs" / "sub" / "2.png")]
    assert (data["reconstruction_error"] >= 0).all() and (data["reconstruction_error"] <= 1).all()


def test_encode_reports_a_bad_image(tiny_checkpoints, tmp_path, capsys):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    assert main(["encode", str(tiny_checkpoints["vae"]), str(bad), "--out", str(tmp_path / "x.npz")]) == 2
    assert "broken.png" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()


def test_hints_on_the_command_line_open_a_torchscript_decoder(tmp_path, capsys):
    from tests.models.test_readers import save_scripted

    path = save_scripted(tmp_path / "dec.pt")
    assert main(["sample", str(path), "--n", "2", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "latent_shape" in err and "--latent-shape" in err
    assert main(["sample", str(path), "--n", "2", "--latent-shape", "16", "--image-size", "8", "--channels", "3",
                 "--out", str(tmp_path / "b")]) == 0
    assert len(list((tmp_path / "b").glob("*.png"))) == 2


def test_sample_replaces_an_earlier_runs_output(tiny_checkpoints, tmp_path, capsys):
    """A second run into the same folder leaves exactly its own files, none of the first run's."""
    ckpt, out = str(tiny_checkpoints["vae"]), tmp_path / "samples"
    assert main(["sample", ckpt, "--n", "8", "--seed", "1", "--out", str(out), "--json"]) == 0
    bad = tmp_path / "junk.safetensors"
    bad.write_bytes(b"junk")
    assert main(["sample", str(bad), "--n", "4", "--out", str(out)]) == 2
    assert len(list(out.glob("*.png"))) == 8  # a run that cannot start leaves the earlier output alone
    capsys.readouterr()
    (out / ".000009.png.x1y2.tmp").write_bytes(b"left by an interrupted run")
    (out / ".DS_Store").write_bytes(b"Finder")  # the system's, not the user's: tolerated, left alone
    assert main(["sample", ckpt, "--n", "4", "--seed", "2", "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    names = sorted(p.name for p in out.iterdir())
    assert names == [".DS_Store", "000000.png", "000001.png", "000002.png", "000003.png", "README.md", "latents.npy",
                     "metadata.jsonl"]
    assert doc["files"] == names[1:5]
    records = [json.loads(line) for line in (out / "metadata.jsonl").read_text().splitlines()]
    assert [r["file"] for r in records] == names[1:5] and {r["seed"] for r in records} == {2}
    # The bytes are those of a run into an empty folder.
    fresh = tmp_path / "fresh"
    assert main(["sample", ckpt, "--n", "4", "--seed", "2", "--out", str(fresh), "--json"]) == 0
    for name in names[1:]:
        assert (out / name).read_bytes() == (fresh / name).read_bytes()


def test_sample_refuses_a_folder_of_other_files(tiny_checkpoints, tmp_path):
    out = tmp_path / "photos"
    out.mkdir()
    (out / "holiday.jpg").write_bytes(b"precious")
    (out / "000001.png").write_bytes(b"png-like, ours by its name")
    res = run_cli("sample", str(tiny_checkpoints["vae"]), "--n", "2", "--out", str(out))
    assert res.returncode != 0 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and str(out) in lines[0] and "holiday.jpg" in lines[0] and "Traceback" not in res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["000001.png", "holiday.jpg"]  # nothing touched
    assert (out / "000001.png").read_bytes() == b"png-like, ours by its name"


def test_sample_shards_keep_to_folders_of_their_own(tiny_checkpoints, tmp_path, capsys):
    """A shard re-run replaces its own output; it never replaces a sibling shard of the same run."""
    ckpt, out = str(tiny_checkpoints["gan"]), tmp_path / "part"
    args = ["sample", ckpt, "--n", "6", "--seed", "3", "--batch-size", "2", "--json"]
    assert main([*args, "--shard", "0/2", "--out", str(out)]) == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main([*args, "--shard", "0/2", "--out", str(out)]) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # byte-identical again
    capsys.readouterr()
    assert main([*args, "--shard", "1/2", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "another shard" in err[0] and str(out) in err[0]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_sample_labels_only_when_asked(tmp_path, monkeypatch, capsys):
    """Without --label no classifier is loaded and attributes are empty; with it they hold its probabilities."""
    import models.loading

    real, loaded = models.loading.bundled_classifier_for, []
    monkeypatch.setattr(models.loading, "bundled_classifier_for", lambda model: loaded.append(model) or real(model))
    args = ["sample", "toyfaces_dcgan", "--n", "3", "--seed", "4", "--json"]
    assert main([*args, "--out", str(tmp_path / "plain")]) == 0
    plain = [json.loads(line) for line in (tmp_path / "plain" / "metadata.jsonl").read_text().splitlines()]
    assert len(plain) == 3 and all(r["attributes"] == {} for r in plain) and loaded == []
    assert main([*args, "--label", "--out", str(tmp_path / "labelled")]) == 0
    labelled = [json.loads(line) for line in (tmp_path / "labelled" / "metadata.jsonl").read_text().splitlines()]
    assert len(loaded) == 1
    for r in labelled:
        assert set(r["attributes"]) == {"male", "glasses", "smiling", "hat", "beard"}
        assert all(0 <= p <= 1 for p in r["attributes"].values())
    # Labels change the metadata only: the images and the rest of each record are the same.
    for a, b in zip(plain, labelled):
        assert (tmp_path / "plain" / a["file"]).read_bytes() == (tmp_path / "labelled" / b["file"]).read_bytes()
        assert {**a, "attributes": None} == {**b, "attributes": None}


def test_label_without_a_fitting_classifier_says_so(tiny_checkpoints, tmp_path, capsys):
    assert main(["sample", str(tiny_checkpoints["vae"]), "--n", "2", "--label", "--out", str(tmp_path / "s")]) == 0
    assert "--label: no bundled classifier fits" in capsys.readouterr().err
    records = [json.loads(line) for line in (tmp_path / "s" / "metadata.jsonl").read_text().splitlines()]
    assert [r["attributes"] for r in records] == [{}, {}]


def test_engine_ray_without_ray_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    assert main(["sample", "toyfaces_dcgan", "--n", "2", "--engine", "ray", "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["latent-explorer sample: --engine ray needs Ray: pip install 'latent-explorer[ray]'"]
    assert not (tmp_path / "s").exists()


def test_ray_only_options_are_refused_without_it(tmp_path, capsys):
    for extra, option in ((["--shards", "4"], "--shards"), (["--address", "auto"], "--address"),
                          (["--engine", "ray", "--shard", "0/2"], "--shard")):
        with pytest.raises(SystemExit) as info:
            main(["sample", "toyfaces_dcgan", *extra, "--out", str(tmp_path / "s")])
        err = capsys.readouterr().err.strip().splitlines()
        assert info.value.code == 2 and len(err) == 1 and f"argument {option}:" in err[0]
