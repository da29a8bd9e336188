"""Kept images are reproducible byte for byte: ``decode_for_keeps`` and ``latent-explorer reproduce``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from explorer.cli import main
from models.loading import load_latent_model
from models.reproducible import decode_for_keeps, keep_batch_size

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def threads():
    """Lets a test change torch's thread count; the session's count is restored afterwards."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


def _model(name, tiny_checkpoints=None):
    model = load_latent_model(tiny_checkpoints[name] if tiny_checkpoints else name)
    if hasattr(model, "steps"):
        model.steps = 3
    return model


@pytest.mark.parametrize("name", ["toyfaces_vae", "toyfaces_dcgan", "ddpm"])
def test_an_image_is_the_same_whatever_batch_position_or_thread_count(name, tiny_checkpoints, threads):
    model = _model(name, tiny_checkpoints if name == "ddpm" else None)
    latents = model.sample_latents(3, np.arange(64 if name != "ddpm" else 20))
    reference = decode_for_keeps(model, latents)
    alone = np.stack([decode_for_keeps(model, z[None])[0] for z in latents[:3]])
    assert np.array_equal(alone, reference[:3])  # alone as among the others
    shuffled = np.random.default_rng(0).permutation(len(latents))
    for count in (1, 3, 2):
        threads(count)  # the caller's count does not matter, and is left as it was
        assert np.array_equal(decode_for_keeps(model, latents[shuffled]), reference[shuffled])
        assert np.array_equal(decode_for_keeps(model, latents[5:12]), reference[5:12])
        assert torch.get_num_threads() == count


def test_the_batch_grid_depends_on_the_image_size_alone():
    model = _model("toyfaces_vae")
    assert keep_batch_size(model) == 16


def test_non_finite_latents_are_named_and_nothing_is_decoded():
    from models.contract import NonFiniteError

    model = _model("toyfaces_vae")
    latents = model.sample_latents(0, np.arange(20))
    latents[17, 2] = np.nan
    with pytest.raises(NonFiniteError) as caught:
        decode_for_keeps(model, latents)
    assert caught.value.rows == [17] and "toyfaces-vae" in str(caught.value)


def _sample(out: Path, *extra: str, checkpoint="toyfaces_vae", n="20") -> None:
    assert main(["sample", str(checkpoint), "--n", n, "--seed", "3", "--out", str(out), "--json", *extra]) == 0


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.png"))}


def test_sample_then_reproduce_is_identical(tmp_path, capsys):
    _sample(tmp_path / "s", "--batch-size", "7")  # the user's batch size does not decide the bytes
    capsys.readouterr()
    assert main(["reproduce", str(tmp_path / "s" / "metadata.jsonl"), "--out", str(tmp_path / "r"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] and doc["count"] == 20 and doc["counts"]["identical"] == 20 and doc["problems"] == []
    assert _folder_bytes(tmp_path / "r") == _folder_bytes(tmp_path / "s")
    verdicts = [json.loads(line) for line in (tmp_path / "r" / "reproduce.jsonl").read_text().splitlines()]
    assert [v["verdict"] for v in verdicts] == ["identical"] * 20
    # Run again into the same folder: an earlier reproduce output is replaced, not refused.
    assert main(["reproduce", str(tmp_path / "s"), "--out", str(tmp_path / "r")]) == 0
    assert "20 identical" in capsys.readouterr().out


def _shift(path: Path, amount: int) -> None:
    """Change one pixel value of the PNG at ``path`` by ``amount`` grey levels."""
    pixels = np.asarray(Image.open(path)).copy()
    value = int(pixels[3, 4, 0])
    pixels[3, 4, 0] = value + amount if value + amount <= 255 else value - amount
    Image.fromarray(pixels).save(path)


def test_tampered_and_missing_images_are_reported_and_fail(tmp_path, capsys):
    _sample(tmp_path / "s", n="8")
    _shift(tmp_path / "s" / "000002.png", 1)
    _shift(tmp_path / "s" / "000005.png", 40)
    (tmp_path / "s" / "000007.png").unlink()
    capsys.readouterr()
    assert main(["reproduce", str(tmp_path / "s"), "--out", str(tmp_path / "r")]) == 1
    out = capsys.readouterr().out
    assert "000002.png: within one grey level (largest difference 1, 1 pixel values)" in out
    assert "000005.png: different (largest difference 40, 1 pixel values)" in out
    assert "000007.png: missing" in out
    assert "5 identical, 1 within one grey level, 1 different, 1 missing; largest difference 40" in out
    assert (tmp_path / "r" / "000007.png").is_file()  # regenerated all the same, for the user to diff


def test_a_pixel_diffusion_run_is_reproduced_with_its_steps(tmp_path, tiny_checkpoints, capsys):
    _sample(tmp_path / "s", "--steps", "3", checkpoint=tiny_checkpoints["ddpm"], n="5")
    assert main(["reproduce", str(tmp_path / "s"), "--out", str(tmp_path / "r"), "--json"]) == 0
    assert _folder_bytes(tmp_path / "r") == _folder_bytes(tmp_path / "s")


def test_an_export_with_enlarged_images_is_reproduced(tmp_path, capsys):
    from explorer.core.export_folder import ExportItem, ModelProvenance, write_export
    from explorer.core.file_hash import file_sha256
    from models.loading import resolve_checkpoint

    model = _model("toyfaces_dcgan")
    path = resolve_checkpoint("toyfaces_dcgan")
    latents = model.sample_latents(9, np.arange(6))
    items = [ExportItem(z, "keep" if i % 2 else "reject", seed=9, index=i) for i, z in enumerate(latents)]
    provenance = ModelProvenance(model.info.name, file_sha256(path), str(path), tuple(model.latent_shape),
                                 model.info.image_size, model.info.channels)
    write_export(tmp_path / "x", items, provenance, lambda z: decode_for_keeps(model, z), scale=3, smooth=True)
    assert main(["reproduce", str(tmp_path / "x" / "metadata.jsonl"), "--out", str(tmp_path / "r"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["identical"] == 6
    assert _folder_bytes(tmp_path / "r") == _folder_bytes(tmp_path / "x")
    assert "keep/000001.png" in _folder_bytes(tmp_path / "r")


def test_another_checkpoint_is_refused(tmp_path, capsys):
    _sample(tmp_path / "s", n="2")
    capsys.readouterr()
    assert main(["reproduce", str(tmp_path / "s"), "--out", str(tmp_path / "r"), "--checkpoint", "toyfaces_dcgan"]) == 2
    err = capsys.readouterr().err
    assert "toyfaces_dcgan.safetensors: its SHA-256 is" in err and "were made by toyfaces-vae" in err
    assert not (tmp_path / "r").exists()


def test_a_folder_of_other_files_is_refused(tmp_path, capsys):
    _sample(tmp_path / "s", n="2")
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "notes.txt").write_text("mine")
    assert main(["reproduce", str(tmp_path / "s"), "--out", str(tmp_path / "r")]) == 2
    assert "holds files that no earlier 'reproduce' run wrote (notes.txt)" in capsys.readouterr().err
    assert (tmp_path / "r" / "notes.txt").read_text() == "mine"
    assert main(["reproduce", str(tmp_path / "s"), "--out", str(tmp_path / "s")]) == 2  # never over the originals


def test_a_record_naming_a_file_outside_the_folder_is_refused(tmp_path, capsys):
    _sample(tmp_path / "s", n="2")
    meta = tmp_path / "s" / "metadata.jsonl"
    records = [json.loads(line) for line in meta.read_text().splitlines()]
    records[1]["file_name"] = "../../elsewhere.png"
    meta.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert main(["reproduce", str(meta), "--out", str(tmp_path / "r")]) == 2
    assert "line 2: '../../elsewhere.png' is not a PNG inside the folder" in capsys.readouterr().err


def test_concurrent_runs_agree_byte_for_byte(tmp_path):
    """Three processes regenerate the same folder at once, as shards or several users would."""
    _sample(tmp_path / "s", n="40")
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}  # torch's default thread count
    runs = [subprocess.Popen([sys.executable, str(ROOT / "main.py"), "reproduce", str(tmp_path / "s"),
                              "--out", str(tmp_path / f"r{k}"), "--json"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(3)]
    results = [(p.communicate(timeout=120), p.returncode) for p in runs]
    for (out, err), code in results:
        assert code == 0, err
        assert json.loads(out)["counts"]["identical"] == 40
    original = _folder_bytes(tmp_path / "s")
    for k in range(3):
        assert _folder_bytes(tmp_path / f"r{k}") == original


def test_the_windows_saved_grid_is_decoded_as_a_keep(threads):
    """The analogy grid the window can save comes from the same decode as sample's images."""
    from explorer.inference.requests import Decode
    from explorer.inference.worker import InferenceWorker

    worker = InferenceWorker()
    worker.model = _model("toyfaces_vae")
    latents = worker.model.sample_latents(4, np.arange(9))
    threads(3)  # a 4-core machine's worker thread count
    grid = worker._run(Decode(latents, "grid"))
    assert np.array_equal(grid, decode_for_keeps(worker.model, latents))
