"""Export folders: what other tools read, what comes back, and that nothing half-written is ever left.

The core tests use a numpy "decoder" (no model); the command tests use tiny
random-weight checkpoints.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.cli import main
from explorer.core.export_bank import items_from_bank, open_export
from explorer.core.export_folder import (PARTIAL_MARKER, ExportError, ModelProvenance, temporary_folder,
                                         write_export)
from explorer.core.export_reader import read_export
from explorer.core.latent_bank import LatentBank
from explorer.core.tags import Tags

MODEL = ModelProvenance(name="toy", sha256="ab" * 32, checkpoint="/models/toy.safetensors", latent_shape=(2, 2),
                        image_size=8, channels=3, steps=None)
COLUMNS = {"file_name", "label", "index", "seed", "latent_row", "latent", "latent_shape", "model", "sha256",
           "checkpoint", "steps", "recipe", "tags", "attributes", "category", "scale", "resample"}


def decode(z: np.ndarray) -> np.ndarray:
    """A stand-in decoder: uint8 (b, 8, 8, 3), a pure function of each latent, with texture."""
    flat = np.asarray(z, np.float32).reshape(len(z), -1)
    colour = ((np.tanh(flat[:, :3]) + 1) * 127.5).astype(np.uint8)
    images = np.broadcast_to(colour[:, None, None, :], (len(z), 8, 8, 3)).copy()
    images[:, ::2, ::2] = 255 - images[:, ::2, ::2]
    return images


def _bank(n: int = 9) -> tuple[LatentBank, Tags]:
    rng = np.random.default_rng(0)
    male = rng.random(n).astype(np.float32)
    male[3] = np.nan  # unknown for this point
    bank = LatentBank(latents=rng.standard_normal((n, 4)).astype(np.float32), latent_shape=(2, 2), source="test",
                      seeds=np.full(n, 5, np.int64), indices=np.arange(n, dtype=np.int64), attributes={"male": male},
                      labels=np.arange(n) % 3, label_names=("zero", "one", "two"))
    bank = bank.extended(rng.standard_normal((1, 4)).astype(np.float32), None, ["me.png"], np.array([0.25]))
    tags = Tags(len(bank)).tagged("keep", [0, 2, 4, 9]).tagged("reject", [1]).tagged("smiling", [2, 3])
    return bank, tags


def _export(out: Path, split_by: str = "tag", **kwargs) -> tuple[LatentBank, Tags, dict]:
    bank, tags = _bank()
    items = items_from_bank(bank, tags, np.arange(len(bank)), split_by)
    return bank, tags, write_export(out, items, MODEL, decode, split_by=split_by, batch_size=4, **kwargs)


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metadata.jsonl").read_text().splitlines()]


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# The layout others read.

def test_the_folder_loads_with_hugging_face_imagefolder(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # nothing written to the user's ~/.cache
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "export"
    bank, tags, summary = _export(out)
    assert summary["classes"] == {"keep": 4, "reject": 1, "smiling": 1, "untagged": 4}
    ds = datasets.load_dataset("imagefolder", data_dir=str(out), cache_dir=str(tmp_path / "hf-cache"), split="train")
    assert len(ds) == len(bank)
    assert {"image"} | COLUMNS - {"file_name"} <= set(ds.column_names)
    records = _records(out)
    for row in (0, 3, 9):
        example = ds[row]
        assert example["label"] == records[row]["label"] and example["tags"] == records[row]["tags"]
        assert np.array_equal(np.asarray(example["image"]), np.asarray(Image.open(out / records[row]["file_name"])))
        assert np.array_equal(np.asarray(example["latent"], np.float32), bank.latents[row])
    assert ds[9]["recipe"]["kind"] == "encoded" and ds[9]["recipe"]["file"] == "me.png"


def _imagefolder(root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """(classes, [(file, class)]) as torchvision's ImageFolder finds them.

    torchvision is used when it imports; otherwise its rules (read from
    torchvision/datasets/folder.py: find_classes, make_dataset) are applied:
    every first-level folder is a class, there is at least one, and each holds
    at least one file with an image extension (else FileNotFoundError).
    """
    try:
        from torchvision.datasets import ImageFolder
    except Exception:  # not installed, or a build that does not match this torch
        classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
        if not classes:
            raise FileNotFoundError(f"Couldn't find any class folder in {root}.")
        samples = []
        for cls in classes:
            found = [(Path(r, f).relative_to(root).as_posix(), cls) for r, _, files in sorted(os.walk(root / cls))
                     for f in sorted(files) if f.lower().endswith((".png", ".jpg", ".jpeg", ".bmp", ".webp"))]
            if not found:
                raise FileNotFoundError(f"Found no valid file for the classes {cls}.")
            samples += found
        return classes, samples
    ds = ImageFolder(str(root))
    return ds.classes, [(Path(p).relative_to(root).as_posix(), ds.classes[c]) for p, c in ds.samples]


@pytest.mark.parametrize("split_by, classes", [("tag", ["keep", "reject", "smiling", "untagged"]),
                                               ("label", ["one", "two", "unlabelled", "zero"]),
                                               ("none", ["images"])])
def test_the_class_folders_are_what_torchvision_imagefolder_reads(tmp_path, split_by, classes):
    out = tmp_path / "export"
    _export(out, split_by)
    found, samples = _imagefolder(out)
    assert found == classes
    by_file = {r["file_name"]: r["label"] for r in _records(out)}
    assert dict(samples) == by_file  # every image, in the class its record names


def test_latents_npy_rows_are_the_metadata_latents_bit_for_bit(tmp_path):
    out = tmp_path / "export"
    bank, _, _ = _export(out)
    latents = np.load(out / "latents.npy", allow_pickle=False)
    assert latents.dtype == np.float32 and latents.shape == (len(bank), 4)
    records = _records(out)
    assert all(set(r) == COLUMNS for r in records)
    for r in records:
        assert np.asarray(r["latent"], np.float32).tobytes() == latents[r["latent_row"]].tobytes()
    assert latents.tobytes() == bank.latents.tobytes()
    assert records[3]["attributes"] == {"male": None} and records[0]["recipe"] == {"kind": "prior", "seed": 5,
                                                                                   "index": 0}
    readme = (out / "README.md").read_text()
    assert readme.startswith("# Latent Explorer export") and "latent-explorer reproduce" in readme
    assert all(f"`{column}`" in readme for column in COLUMNS)


def test_opening_an_export_brings_the_points_back(tmp_path):
    out = tmp_path / "export"
    bank, tags, _ = _export(out)
    opened = open_export(out)
    back = opened.bank
    assert back.latents.tobytes() == bank.latents.tobytes() and back.latent_shape == bank.latent_shape
    assert str(out) in back.source and "export folder" in back.source
    assert np.array_equal(back.seeds, bank.seeds) and np.array_equal(back.indices, bank.indices)
    for name in ("keep", "reject", "smiling"):
        assert np.array_equal(opened.tags.mask(name), tags.mask(name))
    assert np.array_equal(back.attributes["male"], bank.attributes["male"], equal_nan=True)
    assert [back.label_names[k] if k >= 0 else None for k in back.labels] == \
        [bank.label_names[k] if k >= 0 else None for k in bank.labels]
    assert back.user_files == {9: "me.png"} and back.user_errors == {9: 0.25}
    assert opened.contents.model_sha256 == MODEL.sha256 and opened.contents.checkpoint == MODEL.checkpoint


def test_images_are_enlarged_by_whole_factors(tmp_path):
    _export(tmp_path / "sharp", scale=3)
    _export(tmp_path / "smooth", scale=3, smooth=True)
    bank, _ = _bank()
    native = decode(bank.latents[:1].reshape(1, 2, 2))[0]
    sharp = np.asarray(Image.open(tmp_path / "sharp" / "keep" / "000000.png"))
    assert np.array_equal(sharp, native.repeat(3, 0).repeat(3, 1))
    smooth = np.asarray(Image.open(tmp_path / "smooth" / "keep" / "000000.png"))
    assert smooth.shape == (24, 24, 3) and not np.array_equal(smooth, sharp)
    assert {r["resample"] for r in _records(tmp_path / "smooth")} == {"lanczos"}


# Never half-written.

class _Cancelled(Exception):
    pass


def _cancel_after(images: int):
    def progress(done, total):
        if done >= images:
            raise _Cancelled
    return progress


def test_an_interrupted_export_leaves_nothing(tmp_path):
    out = tmp_path / "export"
    with pytest.raises(_Cancelled):  # the caller's exception comes back unchanged (the worker's Cancelled)
        _export(out, progress=_cancel_after(8))  # after 2 of 3 batches
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    # Over a previous export, which stays exactly as it was.
    _export(out)
    before = _tree(out)
    with pytest.raises(_Cancelled):
        _export(out, progress=_cancel_after(4))
    assert _tree(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["export"]


def test_a_crashed_exports_temporary_folder_is_cleaned_by_the_next(tmp_path):
    out = tmp_path / "export"
    leftover = temporary_folder(out)
    (leftover / "keep").mkdir(parents=True)
    (leftover / PARTIAL_MARKER).write_bytes(b"")
    (leftover / "keep" / "000000.png").write_bytes(b"half")
    _export(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
    # A folder by that name that no export made is not removed.
    foreign = temporary_folder(out)
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="was not written by one"):
        _export(out)
    assert (foreign / "notes.txt").read_text() == "mine"


def test_an_earlier_export_is_replaced(tmp_path):
    out = tmp_path / "export"
    _export(out, "none")
    _export(out, "tag")
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "keep", "latents.npy", "metadata.jsonl", "reject",
                                                     "smiling", "untagged"]


def test_a_foreign_or_unusable_destination_gets_one_clear_message(tmp_path, monkeypatch):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "holiday.jpg").write_bytes(b"precious")
    with pytest.raises(ExportError) as info:
        _export(photos)
    assert str(photos) in str(info.value) and "holiday.jpg" in str(info.value) and "not an export" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(ExportError, match="is a file, not a folder"):
        _export(tmp_path / "file")
    with pytest.raises(ExportError, match="could not be written .Not a directory"):
        _export(tmp_path / "file" / "export")  # its parent is a file
    with monkeypatch.context() as m:  # as root, permissions cannot be tested with chmod
        m.setattr(Path, "mkdir", lambda *a, **k: (_ for _ in ()).throw(PermissionError(errno.EACCES, "Permission denied")))
        with pytest.raises(ExportError, match=r"export: cannot be written there \(Permission denied\); nothing"):
            _export(tmp_path / "export")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "photos"]


def test_a_full_disk_is_refused_up_front_or_cleaned_up(tmp_path, monkeypatch):
    import collections
    import shutil

    out = tmp_path / "export"
    usage = collections.namedtuple("usage", "total used free")
    with monkeypatch.context() as m:
        m.setattr(shutil, "disk_usage", lambda path: usage(10 ** 9, 10 ** 9 - 10_000, 10_000))
        with pytest.raises(ExportError, match=r"10 images need up to .* only 10.0 KB free there"):
            _export(out)
    real, saved = Image.Image.save, []

    def fills_up(self, *args, **kwargs):
        if saved:
            raise OSError(errno.ENOSPC, "No space left on device")
        saved.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", fills_up)
    with pytest.raises(ExportError, match="the disk is full; nothing was exported"):
        _export(out)
    assert list(tmp_path.iterdir()) == []


# A damaged or hostile folder.

def _damage(out: Path, how: str) -> None:
    meta = out / "metadata.jsonl"
    lines = meta.read_text().splitlines()
    if how == "bad json":
        lines[2] = lines[2][:40]
    elif how == "a row too many":
        np.save(out / "latents.npy", np.zeros((11, 4), np.float32))
    elif how == "a changed latent":
        latents = np.load(out / "latents.npy")
        latents[4, 1] = np.nextafter(latents[4, 1], np.float32(9))  # one bit
        np.save(out / "latents.npy", latents)
    elif how == "a pickle":
        np.save(out / "latents.npy", np.array([{"x": 1}] * 10, dtype=object), allow_pickle=True)
    elif how == "a huge header":
        header = {"descr": "<f4", "fortran_order": False, "shape": (10, 4 * 10 ** 12)}
        with open(out / "latents.npy", "wb") as f:
            np.lib.format.write_array_header_1_0(f, header)
    elif how == "escaping file name":
        rec = json.loads(lines[1])
        rec["file_name"] = "../../etc/passwd"
        lines[1] = json.dumps(rec)
    elif how == "a missing image":
        (out / json.loads(lines[5])["file_name"]).unlink()
    elif how == "a linked latents.npy":
        (out / "latents.npy").unlink()
        (out / "latents.npy").symlink_to("/dev/zero")
    elif how in ("tags not a list", "another model"):
        row, key, value = (0, "tags", "keep") if how == "tags not a list" else (6, "sha256", "cd" * 32)
        lines[row] = json.dumps({**json.loads(lines[row]), key: value})
    elif how == "rows out of order":
        lines[0], lines[1] = lines[1], lines[0]
    meta.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("how, message", [
    ("bad json", "metadata.jsonl: line 3 is not JSON"),
    ("a row too many", "latents.npy: not the latents of this folder (holds a float32 array of shape (11, 4)"),
    ("a changed latent", "latents.npy: row 4 differs from the latent of line 5"),
    ("a pickle", "latents.npy: not the latents of this folder (holds a object array"),
    ("a huge header", "latents.npy: not the latents of this folder"),
    ("escaping file name", "line 2: file_name '../../etc/passwd' should be NNNNNN.png or CLASS/NNNNNN.png"),
    ("a missing image", "line 6: file_name 'untagged/000005.png': no such image"),
    ("a linked latents.npy", "latents.npy: is not a plain file"),
    ("tags not a list", "line 1: tags should be a list of names"),
    ("another model", "line 7: sha256 differs from line 1's"),
    ("rows out of order", "line 1: latent_row is 1, but this is record 0"),
])
def test_a_damaged_folder_gives_a_clear_message(tmp_path, how, message):
    out = tmp_path / "export"
    _export(out)
    _damage(out, how)
    with pytest.raises(ExportError) as info:
        open_export(out)
    assert message in str(info.value)
    assert main(["open-export", str(out)]) == 2


def test_read_export_refuses_what_is_not_a_folder_of_images(tmp_path):
    for folder, message in ((tmp_path / "missing", "no such folder"), (tmp_path, "no metadata.jsonl")):
        with pytest.raises(ExportError, match=message):
            read_export(folder)


# The commands.

@pytest.fixture
def session_file(tiny_checkpoints, tmp_path):
    """A saved session of the tiny GAN: 10 prior samples, 3 kept, 2 rejected, 2 'smiling', 4 selected."""
    from explorer.core import tags as tags_module
    from explorer.core.file_hash import file_sha256
    from explorer.core.session_file import SessionDocument, save_session
    from explorer.inference.bank_builder import build_bank
    from models.loading import load_latent_model

    ckpt = tiny_checkpoints["gan"]
    bank = build_bank(load_latent_model(ckpt), 10, seed=4)
    tags = Tags(10).tagged("keep", [1, 4, 7]).tagged("reject", [2, 3]).tagged("smiling", [4, 5])
    sections, arrays = tags_module.to_document(tags)
    selection = np.zeros(10, bool)
    selection[[0, 2, 5, 6]] = True
    path = tmp_path / "curated.lesession"
    save_session(path, SessionDocument(model_path=str(ckpt), model_sha256=file_sha256(ckpt), bank=bank,
                                       selection=selection, sections=sections, arrays=arrays))
    return path, ckpt, bank


def test_export_command_writes_a_sessions_kept_points(session_file, tmp_path, capsys):
    from models.loading import load_latent_model
    from models.reproducible import decode_for_keeps

    path, ckpt, bank = session_file
    out = tmp_path / "kept"
    assert main(["export", str(path), "--out", str(out), "--json"]) == 0  # default: --tag keep
    doc = json.loads(capsys.readouterr().out)
    assert doc["count"] == 3 and doc["classes"] == {"keep": 3} and doc["chosen"] == "tag keep"
    records = _records(out)
    assert [r["index"] for r in records] == [1, 4, 7] and records[1]["tags"] == ["keep", "smiling"]
    assert records[0]["recipe"] == {"kind": "prior", "seed": 4, "index": 1} and records[0]["checkpoint"] == str(ckpt)
    images = decode_for_keeps(load_latent_model(ckpt), bank.latents[[1, 4, 7]].reshape(3, *bank.latent_shape))
    for r, image in zip(records, images):
        assert np.array_equal(np.asarray(Image.open(out / r["file_name"])), image)
    # Every point, split by tag, enlarged; then read back as the window opens it.
    assert main(["export", str(path), "--all", "--scale", "2", "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["classes"] == {"keep": 3, "reject": 2, "smiling": 1, "untagged": 4}
    assert main(["open-export", str(out), "--json"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["count"] == 10 and described["tags"] == {"keep": 3, "reject": 2, "smiling": 2}
    assert described["checkpoint_status"] == "present, checksum matches" and described["image_sizes"] == [[32, 32]]
    assert set(described["columns"]) == COLUMNS
    assert open_export(out).bank.latents.tobytes() == bank.latents.tobytes()
    assert main(["export", str(path), "--selection", "--split-by", "none", "--out", str(tmp_path / "sel")]) == 0
    assert "exported 4 images (the selection)" in capsys.readouterr().out


def test_export_command_errors_are_one_line(session_file, tmp_path, capsys):
    path, ckpt, _ = session_file
    out = str(tmp_path / "x")
    cases = [(["--tag", "blue"], "no point is tagged 'blue' (its tags: keep (3), reject (2), smiling (2))"),
             (["--split-by", "label"], "split by label: this bank has no labels"),
             (["--model", str(tmp_path / "elsewhere.safetensors")], "elsewhere.safetensors is missing")]
    for extra, message in cases:
        assert main(["export", str(path), "--out", out, *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err
    ckpt.write_bytes(ckpt.read_bytes() + b" ")  # the model changed since the session was saved
    assert main(["export", str(path), "--out", out]) == 2
    assert "has changed since (its checksum differs) (--model CHECKPOINT" in capsys.readouterr().err
    (tmp_path / "junk.lesession").write_bytes(b"junk")
    assert main(["export", str(tmp_path / "junk.lesession"), "--out", out]) == 2
    assert "junk.lesession: not a session file" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
