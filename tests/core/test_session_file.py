"""The session file: bit-exact round trips, a clear error for every bad file, atomic saves."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest

from explorer.core import session_file
from explorer.core.atomic_file import NotARegularFileError, atomic_write, atomic_write_bytes
from explorer.core.latent_bank import LatentBank
from explorer.core.session_file import (SESSION_VERSION, SUFFIX, SessionDocument, SessionFileError, file_sha256,
                                        load_session, save_session)
from explorer.core.vector_library import NamedVector

N, SHAPE, D = 12, (2, 3, 3), 18


def full_doc(seed: int = 0) -> SessionDocument:
    """A document using every field, with awkward values (NaN attributes, unlabelled codes)."""
    rng = np.random.default_rng(seed)
    smile = rng.random(N).astype(np.float32)
    smile[-2:] = np.nan  # user images have no known attributes
    bank = LatentBank(
        latents=rng.normal(size=(N, D)).astype(np.float32), latent_shape=SHAPE, source="prior samples, seed 0",
        seeds=np.r_[np.zeros(N - 2), [-2, -2]].astype(np.int64), indices=np.arange(N, dtype=np.int64),
        attributes={"smile": smile, "male": rng.integers(0, 2, N).astype(np.int64)},
        labels=np.r_[rng.integers(0, 3, N - 2), [-1, -1]].astype(np.int64), label_names=("a", "b", "c"),
        thumbnails=rng.integers(0, 256, (N, 4, 4, 3), dtype=np.uint8),
        user_files={N - 2: "me.png", N - 1: "ünïcode.png"}, user_errors={N - 2: 0.25, N - 1: 1 / 3})
    vectors = [
        NamedVector("smile_dir", rng.normal(size=D).astype(np.float32), "boundary on smile", accuracy=0.875,
                    count=40, source="attribute", query="smile > 0.5", kind="boundary"),
        NamedVector("glasses", rng.normal(size=D).astype(np.float32), "mean of 3 codes", accuracy=None, count=3,
                    source="query", query="male & glasses", kind="mean"),
    ]
    return SessionDocument(
        model_path="/models/toyfaces-vae.safetensors", model_sha256="ab" * 32, bank=bank,
        layout_method="attribute axes", layout_axes=("smile_dir", "glasses"),
        points=rng.normal(size=(N, 2)).astype(np.float32),
        embeddings={"t-SNE": rng.normal(size=(N, 2)).astype(np.float32)}, colour_field="smile", vectors=vectors,
        waypoints=[("#1", bank.latents[1].copy()), ("= a + b", rng.normal(size=D).astype(np.float32))],
        current=("#3", bank.latents[3].copy()), selected=3, selection=rng.random(N) < 0.5,
        view_range=((-1.5, 2.25), (-3.0, 0.1)),
        sections={"tags": {"names": ["keep", "drop"], "arrays": ["tag_mask"], "nested": {"x": [1, 2.5, None]}}},
        arrays={"tag_mask": rng.integers(0, 3, N).astype(np.uint8)})


def same(a: np.ndarray, b: np.ndarray) -> None:
    assert isinstance(b, np.ndarray)
    assert (a.dtype, a.shape) == (b.dtype, b.shape)
    assert a.tobytes() == b.tobytes()


def test_full_document_round_trips_bit_exactly(tmp_path):
    doc = full_doc()
    path = tmp_path / f"s{SUFFIX}"
    save_session(path, doc)
    got = load_session(path)
    b, g = doc.bank, got.bank
    for name in ("latents", "seeds", "indices", "labels", "thumbnails"):
        same(getattr(b, name), getattr(g, name))
    assert list(g.attributes) == list(b.attributes)
    for name in b.attributes:
        same(b.attributes[name], g.attributes[name])
    assert (g.latent_shape, g.source, g.label_names) == (SHAPE, b.source, b.label_names)
    assert g.user_files == b.user_files and g.user_errors == b.user_errors
    assert all(type(k) is int for k in [*g.user_files, *g.user_errors])
    assert (got.model_path, got.model_sha256) == (doc.model_path, doc.model_sha256)
    assert (got.layout_method, got.layout_axes, got.colour_field) == ("attribute axes", ("smile_dir", "glasses"), "smile")
    same(doc.points, got.points)
    assert list(got.embeddings) == ["t-SNE"]
    same(doc.embeddings["t-SNE"], got.embeddings["t-SNE"])
    assert len(got.vectors) == 2
    for v, w in zip(doc.vectors, got.vectors):
        same(v.vector, w.vector)
        assert (v.name, v.origin, v.accuracy, v.count, v.source, v.query, v.kind) == \
               (w.name, w.origin, w.accuracy, w.count, w.source, w.query, w.kind)
    assert [label for label, _ in got.waypoints] == ["#1", "= a + b"]
    for (_, z), (_, y) in zip(doc.waypoints, got.waypoints):
        same(z, y)
    assert got.current[0] == "#3"
    same(doc.current[1], got.current[1])
    assert got.selected == 3 and type(got.selected) is int
    same(doc.selection, got.selection)
    assert got.view_range == ((-1.5, 2.25), (-3.0, 0.1))
    assert got.sections == doc.sections
    same(doc.arrays["tag_mask"], got.arrays["tag_mask"])


def test_minimal_document_round_trips(tmp_path):
    bank = LatentBank(np.zeros((0, 4), np.float32), (4,), "", np.zeros(0, np.int64), np.zeros(0, np.int64))
    save_session(tmp_path / "empty.lesession", SessionDocument("m", "", bank))
    got = load_session(tmp_path / "empty.lesession")
    assert len(got.bank) == 0 and got.points is None and got.current is None and got.selection is None
    assert got.vectors == [] and got.waypoints == [] and got.sections == {} and got.arrays == {}


def test_json_document_has_the_documented_shape(tmp_path):
    save_session(tmp_path / "s.lesession", full_doc())
    with zipfile.ZipFile(tmp_path / "s.lesession") as zf:
        root = json.loads(zf.read("session.json"))
        names = set(zf.namelist())
    assert root["format"] == "latent-explorer-session" and root["version"] == SESSION_VERSION == 1
    assert {"model", "bank", "layout", "colour_field", "vectors", "waypoints", "current", "selected", "selection",
            "view_range", "sections"} <= set(root)
    assert root["bank"]["latents"] == "arrays/latents.npy" and "arrays/latents.npy" in names
    assert all(n == "session.json" or n.endswith(".npy") for n in names)


def test_save_refuses_an_inconsistent_document_and_writes_nothing(tmp_path):
    doc = full_doc()
    doc.waypoints.append(("short", np.zeros(3, np.float32)))
    with pytest.raises(ValueError, match="waypoint 2"):
        save_session(tmp_path / "s.lesession", doc)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- bad files

def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    path.unlink(missing_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=True)
    return buf.getvalue()


def tamper(edit_json=None, members: dict | None = None, drop: tuple = ()):
    """A maker that saves a good session, then edits its JSON and members."""
    def make(path: Path) -> None:
        save_session(path, full_doc())
        m = members_of(path)
        root = json.loads(m["session.json"])
        if edit_json:
            edit_json(root)
        m["session.json"] = json.dumps(root).encode()
        m.update(members or {})
        for name in drop:
            del m[name]
        write_zip(path, m)
    return make


def raw(data: bytes):
    return lambda path: path.write_bytes(data)


def truncated(path: Path) -> None:
    save_session(path, full_doc())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def corrupted(path: Path) -> None:
    save_session(path, full_doc())
    data = bytearray(path.read_bytes())
    # latents are stored uncompressed: flipping a byte of them breaks only the CRC
    at = data.index(b"arrays/latents.npy") + 300
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def zip_bomb(path: Path) -> None:
    """Three tiny members whose central directory claims ~4 GiB each."""
    write_zip(path, {"session.json": b"{}", "a.npy": b"0", "b.npy": b"0"})
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        data[at + 24: at + 28] = (0xFFFFFFF0).to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def set_in(*keys_and_value):
    *keys, value = keys_and_value

    def edit(root):
        node = root
        for k in keys[:-1]:
            node = node[k]
        if value is DELETE:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return edit


DELETE = object()
rng = np.random.default_rng(1)
OBJECT_ARRAY = npy(np.array([{"evil": 1}, None], dtype=object))

BAD_FILES = [
    ("missing", lambda p: None, "no such file"),
    ("directory", lambda p: p.mkdir(), "folder"),
    ("fifo", lambda p: os.mkfifo(p), "regular file"),
    ("empty", raw(b""), "empty"),
    ("truncated zip", truncated, "zip"),
    ("random bytes", raw(rng.bytes(5000)), "not a zip"),
    ("crc damaged", corrupted, "damaged"),
    ("no session.json", lambda p: write_zip(p, {"arrays/latents.npy": npy(np.zeros((2, 2), np.float32))}),
     "no session.json"),
    ("not json", lambda p: write_zip(p, {"session.json": b"{not json"}), "not valid json"),
    ("not utf-8", lambda p: write_zip(p, {"session.json": b'{"format": "\xff\xfe"}'}), "utf-8"),
    ("not an object", lambda p: write_zip(p, {"session.json": b"[1, 2]"}), "not a json object"),
    ("wrong format", tamper(set_in("format", "something-else")), "format"),
    ("future version", tamper(set_in("version", 7)), "newer latent explorer (version 7); this one reads version 1"),
    ("version not int", tamper(set_in("version", "1")), "version"),
    ("version zero", tamper(set_in("version", 0)), "version 0"),
    ("missing bank", tamper(set_in("bank", DELETE)), "'bank'"),
    ("missing seeds", tamper(set_in("bank", "seeds", DELETE)), "'seeds'"),
    ("missing layout", tamper(set_in("layout", DELETE)), "'layout'"),
    ("missing vector kind", tamper(lambda r: r["vectors"][0].pop("kind")), "'kind'"),
    ("missing selection", tamper(set_in("selection", DELETE)), "'selection'"),
    ("selected not int", tamper(set_in("selected", "3")), "selected"),
    ("selected bool", tamper(set_in("selected", True)), "selected"),
    ("latent_shape not list", tamper(set_in("bank", "latent_shape", "18")), "latent_shape"),
    ("latent_shape mismatch", tamper(set_in("bank", "latent_shape", [5])), "shape"),
    ("vectors not list", tamper(set_in("vectors", {"a": 1})), "vectors"),
    ("user_files bad key", tamper(set_in("bank", "user_files", {"abc": "x.png"})), "user_files"),
    ("user_files out of range", tamper(set_in("bank", "user_files", {"99": "x.png"})), "user_files"),
    ("view_range malformed", tamper(set_in("view_range", [1, 2])), "view_range"),
    ("view_range non-finite", tamper(set_in("view_range", [[0, float("inf")], [0, 1]])), "view_range"),
    ("section not object", tamper(set_in("sections", "tags", [1])), "section"),
    ("section array missing", tamper(set_in("arrays", {})), "tag_mask"),
    ("array missing", tamper(drop=("arrays/latents.npy",)), "missing"),
    ("array ref not npy", tamper(set_in("bank", "latents", "arrays/latents.pkl")), "not a .npy"),
    ("npy garbage", tamper(members={"arrays/seeds.npy": b"garbage garbage"}), "npy"),
    ("npy truncated", tamper(members={"arrays/latents.npy": npy(np.zeros((N, D), np.float32))[:200]}), "truncated"),
    ("pickled latents", tamper(members={"arrays/latents.npy": OBJECT_ARRAY}),
     "holds a pickled object, which is never loaded"),
    ("pickled extra array", tamper(members={"arrays/extra/000.npy": OBJECT_ARRAY}), "pickled"),
    ("latents float64", tamper(members={"arrays/latents.npy": npy(np.zeros((N, D)))}), "float32"),
    ("latents nan", tamper(members={"arrays/latents.npy": npy(np.full((N, D), np.nan, np.float32))}), "non-finite"),
    ("points inf", tamper(members={"arrays/points.npy": npy(np.full((N, 2), np.inf, np.float32))}), "non-finite"),
    ("points not (n, 2)", tamper(members={"arrays/points.npy": npy(np.zeros((N, 3), np.float32))}), "shape"),
    ("embedding short", tamper(members={"arrays/embeddings/000.npy": npy(np.zeros((3, 2), np.float32))}), "t-sne"),
    ("seeds wrong length", tamper(members={"arrays/seeds.npy": npy(np.zeros(3, np.int64))}), "seeds"),
    ("selection not bool", tamper(members={"arrays/selection.npy": npy(np.zeros(N, np.int64))}), "selection"),
    ("selection wrong length", tamper(members={"arrays/selection.npy": npy(np.zeros(N + 1, bool))}), "selection"),
    ("waypoint wrong length", tamper(members={"arrays/waypoints/001.npy": npy(np.zeros(D - 1, np.float32))}),
     "waypoint 1"),
    ("current wrong dtype", tamper(members={"arrays/current.npy": npy(np.zeros(D, np.float16))}), "current"),
    ("thumbnails float", tamper(members={"arrays/thumbnails.npy": npy(np.zeros((N, 4, 4, 3), np.float32))}),
     "thumbnails"),
    ("thumbnails 3-d", tamper(members={"arrays/thumbnails.npy": npy(np.zeros((N, 4, 4), np.uint8))}), "thumbnails"),
    ("labels out of range", tamper(members={"arrays/labels.npy": npy(np.full(N, 7, np.int64))}), "labels"),
    ("attribute wrong length", tamper(members={"arrays/attributes/000.npy": npy(np.zeros(2, np.float32))}),
     "smile"),
    ("selected out of range", tamper(set_in("selected", N)), "out of range"),
    ("selected negative", tamper(set_in("selected", -1)), "out of range"),
    ("duplicated vector names", tamper(lambda r: r["vectors"][1].update(name=r["vectors"][0]["name"])),
     "more than once"),
    ("unknown layout axis", tamper(set_in("layout", "axes", ["smile_dir", "nope"])), "nope"),
    ("zip bomb", zip_bomb, "zip bomb"),
]


@pytest.mark.parametrize("make, cause", [pytest.param(m, c, id=i) for i, m, c in BAD_FILES])
def test_bad_file_raises_one_clear_error(tmp_path, make, cause):
    path = tmp_path / "broken.lesession"
    make(path)
    with pytest.raises(SessionFileError) as info:
        load_session(path)
    message = str(info.value)
    assert "broken.lesession" in message
    assert cause.lower() in message.lower(), message
    assert info.value.path == str(path) and info.value.cause in message
    assert "\n" not in message


def test_too_many_members_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "many.lesession"
    save_session(path, full_doc())
    monkeypatch.setattr(session_file, "MAX_MEMBERS", 5)
    with pytest.raises(SessionFileError, match="many.lesession: holds .* members"):
        load_session(path)


def test_unexpected_members_are_ignored_and_nothing_is_unpickled(tmp_path, monkeypatch):
    path = tmp_path / "extra.lesession"
    save_session(path, full_doc())
    members = members_of(path)
    members["evil.pkl"] = pickle.dumps({"would": "run"})
    members["arrays/unreferenced.npy"] = OBJECT_ARRAY
    write_zip(path, members)

    def refuse(*args, **kwargs):
        raise AssertionError("something was unpickled")
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    assert len(load_session(path).bank) == N


# ----------------------------------------------------------------------------- atomic saving

def test_interrupted_save_leaves_the_old_session_intact(tmp_path, disk_full_after_first_array):
    path = tmp_path / "s.lesession"
    save_session(path, full_doc(0))
    before = path.read_bytes()
    disk_full_after_first_array()
    with pytest.raises(OSError, match="No space left") as info:
        save_session(path, full_doc(1))
    assert str(path) in str(info.value) and ".tmp" not in str(info.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.lesession"]


def test_atomic_write_failure_keeps_target_and_removes_temp(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")

    def write(tmp):
        Path(tmp).write_bytes(b"half")
        raise RuntimeError("interrupted")
    with pytest.raises(RuntimeError, match="interrupted"):
        atomic_write(path, write)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_atomic_write_makes_folders_and_gives_open_permissions(tmp_path):
    path = tmp_path / "a" / "b" / "new.bin"
    atomic_write_bytes(path, b"data")
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.read_bytes() == b"data"
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    path.chmod(0o640)
    atomic_write_bytes(path, b"more")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # as open(path, "w") would keep it


def test_atomic_write_refuses_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFileError, match="pipe.*FIFO") as info:
        atomic_write_bytes(fifo, b"data")
    assert isinstance(info.value, OSError)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_atomic_write_refuses_a_device_without_touching_it():
    called = []
    with pytest.raises(OSError, match="/dev/null.*character device"):
        atomic_write("/dev/null", called.append)
    assert called == []
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_atomic_write_refuses_a_folder(tmp_path):
    with pytest.raises(NotARegularFileError, match="folder"):
        atomic_write_bytes(tmp_path, b"data")
    assert tmp_path.is_dir()


def test_atomic_write_follows_a_symlink(tmp_path):
    real = tmp_path / "real" / "file.bin"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "link.bin"
    link.symlink_to(real)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == b"new"
    assert sorted(p.name for p in real.parent.iterdir()) == ["file.bin"]


def test_atomic_write_errors_name_the_target(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"")
    with pytest.raises(OSError) as info:
        atomic_write_bytes(blocker / "out.bin", b"data")
    assert str(blocker / "out.bin") in str(info.value) and ".tmp" not in str(info.value)


# ----------------------------------------------------------------------------- hashing

def test_file_sha256_of_a_file_and_a_folder(tmp_path):
    f = tmp_path / "model.safetensors"
    f.write_bytes(b"weights")
    assert file_sha256(f) == hashlib.sha256(b"weights").hexdigest()
    folder = tmp_path / "diffusers"
    (folder / "unet").mkdir(parents=True)
    (folder / "model_index.json").write_text("{}")
    (folder / "unet" / "w.bin").write_bytes(b"abc")
    first = file_sha256(folder)
    assert first == file_sha256(str(folder)) and len(first) == 64
    (folder / "unet" / "w.bin").write_bytes(b"abd")
    changed = file_sha256(folder)
    assert changed != first
    (folder / "unet" / "w.bin").rename(folder / "unet" / "v.bin")
    assert file_sha256(folder) not in (first, changed)
