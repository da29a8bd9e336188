"""Writing never touches what is not ours, and ``sample`` stays bounded and resumable.

Only /dev/null and /dev/full are written to (both harmless); other /dev files
are only stat()ed.
"""

from __future__ import annotations

import collections
import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _device_id(path: str):
    st = os.stat(path)
    assert stat.S_ISCHR(st.st_mode)
    return st.st_mode, st.st_rdev, st.st_ino


@pytest.fixture
def image_file(tmp_path):
    from models.data.toyfaces import make_toyfaces

    path = tmp_path / "face.png"
    Image.fromarray(make_toyfaces(1, seed=1, size=16)[0][0]).save(path)
    return path


def _file_command(kind: str, ckpts, image_file, out) -> list[str]:
    """The argv of a command that writes one file to ``out``."""
    vae, clf = str(ckpts["vae"]), str(ckpts["classifier"])
    return {
        "encode": ["encode", vae, str(image_file), "--out", str(out)],
        "arithmetic": ["arithmetic", vae, "--define", "x=male", "--expr", "x", "--bank", "60", "--scale", "1",
                       "--out", str(out)],
        "evaluate-out": ["evaluate", vae, "--classifier", clf, "--n", "20", "--draws", "2", "--out", str(out)],
        "evaluate-card": ["evaluate", vae, "--classifier", clf, "--n", "20", "--draws", "2", "--card", str(out)],
    }[kind] + ["--json"]  # no progress lines on stderr


def _folder_command(kind: str, ckpts, out) -> list[str]:
    return {
        "sample": ["sample", str(ckpts["vae"]), "--n", "2", "--out", str(out)],
        "dataset": ["dataset", "toyfaces", "--n", "2", "--size", "16", "--out", str(out)],
    }[kind]


def _check_content(kind: str, data: bytes) -> None:
    if kind == "encode":
        assert np.load(BytesIO(data))["latents"].shape[0] == 1
    elif kind == "arithmetic":
        assert Image.open(BytesIO(data)).size == (16, 16)
    elif kind == "evaluate-out":
        assert "realism" in json.loads(data)
    else:
        assert b"## Quality" in data


FILE_KINDS = ["encode", "arithmetic", "evaluate-out", "evaluate-card"]


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_dev_null_stays_a_device(kind, tiny_checkpoints, image_file, capsys):
    before = _device_id("/dev/null")
    assert main(_file_command(kind, tiny_checkpoints, image_file, "/dev/null")) == 0
    assert _device_id("/dev/null") == before


@pytest.mark.parametrize("kind", ["sample", "dataset"])
def test_dev_null_as_a_folder_is_refused_and_stays_a_device(kind, tiny_checkpoints, capsys):
    before = _device_id("/dev/null")
    assert main(_folder_command(kind, tiny_checkpoints, "/dev/null")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "/dev/null" in err[0] and "not a folder" in err[0]
    assert _device_id("/dev/null") == before


def test_sample_never_writes_through_a_foreign_metadata_file(tiny_checkpoints, tmp_path, capsys):
    """A metadata.jsonl that is a link to /dev/null is not ours: the folder is refused."""
    out = tmp_path / "s"
    out.mkdir()
    (out / "metadata.jsonl").symlink_to("/dev/null")
    before = _device_id("/dev/null")
    assert main(_folder_command("sample", tiny_checkpoints, out)) == 2
    assert "metadata.jsonl" in capsys.readouterr().err
    assert (out / "metadata.jsonl").is_symlink() and _device_id("/dev/null") == before


def _read_fifo_in_background(fifo: Path):
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    return reader, got


def _release(reader: threading.Thread, fifo: Path) -> None:
    """End the reader if the command never opened the FIFO (it refused it)."""
    deadline = time.monotonic() + 10
    while reader.is_alive() and time.monotonic() < deadline:
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:  # ENXIO: the reader is not in open() yet
            time.sleep(0.01)
        reader.join(0.2)
    assert not reader.is_alive()


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_a_fifo_is_written_through_never_replaced(kind, tiny_checkpoints, image_file, tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader, got = _read_fifo_in_background(fifo)
    try:
        assert main(_file_command(kind, tiny_checkpoints, image_file, fifo)) == 0
    finally:
        _release(reader, fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    _check_content(kind, got[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["face.png", "pipe"]


@pytest.mark.parametrize("kind", ["sample", "dataset"])
def test_a_fifo_as_a_folder_is_refused(kind, tiny_checkpoints, tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert main(_folder_command(kind, tiny_checkpoints, fifo)) == 2
    assert str(fifo) in capsys.readouterr().err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_a_symlink_stays_a_link_and_its_target_gets_the_output(kind, tiny_checkpoints, image_file, tmp_path, capsys):
    target = tmp_path / "real" / "output.bin"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert main(_file_command(kind, tiny_checkpoints, image_file, link)) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    _check_content(kind, target.read_bytes())
    assert sorted(p.name for p in target.parent.iterdir()) == ["output.bin"]


@pytest.mark.parametrize("kind", ["sample", "dataset"])
def test_a_symlinked_folder_stays_a_link(kind, tiny_checkpoints, tmp_path, capsys):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    assert main(_folder_command(kind, tiny_checkpoints, link)) == 0
    assert link.is_symlink() and len(list(real.glob("*.png"))) == 2


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_dev_full_is_one_clean_line(kind, tiny_checkpoints, image_file, capsys):
    before = _device_id("/dev/full")
    assert main(_file_command(kind, tiny_checkpoints, image_file, "/dev/full")) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "/dev/full" in lines[0] and "No space left on device" in lines[0]
    assert ".tmp" not in err and "Traceback" not in err
    assert _device_id("/dev/full") == before


def test_dev_full_from_a_real_process(tiny_checkpoints, image_file):
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "encode", str(tiny_checkpoints["vae"]),
                          str(image_file), "--out", "/dev/full"], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "/dev/full" in lines[0] and "Traceback" not in res.stderr and ".tmp" not in res.stderr


# The writer itself.

def _write(path, text: str = "new") -> None:
    from models.checkpoint import atomic_write_bytes

    atomic_write_bytes(path, lambda tmp: Path(tmp).write_text(text))


def test_writer_refuses_folders_and_sockets(tmp_path):
    with pytest.raises(OSError, match="is a folder"):
        _write(tmp_path)
    sock_path = tmp_path / "s.sock"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(sock_path))
        with pytest.raises(OSError, match="is a socket") as info:
            _write(sock_path)
        assert str(sock_path) in str(info.value)
    finally:
        sock.close()
    assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)


def test_writer_creates_the_target_of_a_dangling_link(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "sub" / "new.txt")
    _write(link)
    assert link.is_symlink() and (tmp_path / "sub" / "new.txt").read_text() == "new"


def test_writer_keeps_permissions_and_names_the_users_path(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("old")
    path.chmod(0o640)
    _write(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.read_text() == "new"
    (tmp_path / "blocker").write_text("a file")
    with pytest.raises(OSError) as info:
        _write(tmp_path / "blocker" / "out.txt")
    assert str(tmp_path / "blocker") in str(info.value) and ".tmp" not in str(info.value)
    with pytest.raises(OSError) as info:
        from models.checkpoint import atomic_write_bytes

        atomic_write_bytes(path, lambda tmp: (_ for _ in ()).throw(OSError(28, "No space left on device", tmp)))
    assert str(info.value).endswith(f"'{path}'") and path.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "f.txt"]


def test_writer_writes_through_to_stdout(capfd):
    print("before", flush=True)
    _write("/dev/stdout", "through stdout\n")
    print("after", flush=True)
    assert capfd.readouterr().out == "before\nthrough stdout\nafter\n"


# sample: streamed metadata, resume, disk space, batch size.

def _sample(ckpt, out, *extra) -> list[str]:
    return ["sample", str(ckpt), "--n", "7", "--seed", "3", "--batch-size", "2", "--out", str(out), "--json", *extra]


def _folder(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


class _Interrupted(BaseException):  # as a kill would, it escapes main()'s handlers
    pass


def _interrupt_after(monkeypatch, k: int) -> None:
    """save_png writes k images, then the run dies as if killed."""
    import models.imaging

    real, calls = models.imaging.save_png, []

    def save_png(path, image):
        if len(calls) == k:
            raise _Interrupted
        calls.append(path)
        real(path, image)

    monkeypatch.setattr(models.imaging, "save_png", save_png)


@pytest.mark.parametrize("family", ["vae", "ldm"])
def test_an_interrupted_run_is_consistent_and_resumes_byte_identically(family, tiny_checkpoints, tmp_path,
                                                                      monkeypatch, capsys):
    ckpt = tiny_checkpoints[family]
    assert main(_sample(ckpt, tmp_path / "whole")) == 0
    whole = _folder(tmp_path / "whole")
    out = tmp_path / "part"
    with monkeypatch.context() as m:
        _interrupt_after(m, 3)  # mid-batch: batches are [0, 1], [2, 3], …
        with pytest.raises(_Interrupted):
            main(_sample(ckpt, out))
    listed = [json.loads(line)["file"] for line in (out / "metadata.jsonl").read_text().splitlines()]
    assert listed == ["000000.png", "000001.png", "000002.png"]
    assert sorted(out.glob("*.png")) == [out / name for name in listed]
    # A line cut off by the kill is dropped on resume.
    with open(out / "metadata.jsonl", "a") as f:
        f.write('{"file": "000003.png", "ind')
    capsys.readouterr()
    assert main(_sample(ckpt, out, "--resume")) == 0
    assert json.loads(capsys.readouterr().out)["resumed_from"] == 3
    assert _folder(out) == whole


def test_resume_with_other_settings_is_refused_naming_them(tiny_checkpoints, tmp_path, monkeypatch, capsys):
    out = tmp_path / "part"
    with monkeypatch.context() as m:
        _interrupt_after(m, 2)
        with pytest.raises(_Interrupted):
            main(_sample(tiny_checkpoints["vae"], out))
    before = _folder(out)
    capsys.readouterr()
    args = _sample(tiny_checkpoints["vae"], out, "--resume")
    args[args.index("--seed") + 1] = "4"
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--seed was 3, now 4" in err[0] and str(out) in err[0]
    assert main(_sample(tiny_checkpoints["gan"], out, "--resume")) == 2
    assert "checkpoint" in capsys.readouterr().err
    assert _folder(out) == before


def test_resume_with_another_label_setting_is_refused(tiny_checkpoints, tmp_path, monkeypatch, capsys):
    out = tmp_path / "part"
    with monkeypatch.context() as m:
        _interrupt_after(m, 2)
        with pytest.raises(_Interrupted):
            main(_sample(tiny_checkpoints["vae"], out, "--label"))
    before = _folder(out)
    capsys.readouterr()
    assert main(_sample(tiny_checkpoints["vae"], out, "--resume")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--label was on, now off" in err[0]
    assert _folder(out) == before
    assert main(_sample(tiny_checkpoints["vae"], out, "--resume", "--label")) == 0


def test_a_run_that_cannot_fit_on_the_disk_is_refused(tiny_checkpoints, tmp_path, monkeypatch, capsys):
    import shutil

    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10 ** 9, 10 ** 9 - 10 ** 6, 10 ** 6))
    out = tmp_path / "s"
    assert main(["sample", str(tiny_checkpoints["vae"]), "--n", "1000", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "1,000 images need up to" in err[0] and "only 1.0 MB free" in err[0]
    assert not out.exists()


def test_a_huge_batch_size_is_clamped_with_the_same_output(tiny_checkpoints, tmp_path, capsys):
    ckpt = tiny_checkpoints["gan"]
    args = ["sample", str(ckpt), "--n", "5", "--seed", "2", "--json"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    capsys.readouterr()
    assert main([*args, "--batch-size", "1000000000", "--out", str(tmp_path / "b")]) == 0
    assert "--batch-size 1000000000 clamped to" in capsys.readouterr().err
    assert _folder(tmp_path / "a") == _folder(tmp_path / "b")


def test_an_absurd_n_is_refused_at_once(tmp_path, capsys):
    assert main(["sample", "no-such-checkpoint", "--n", str(10 ** 8 + 1), "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--n 100000001" in err[0] and "100,000,000" in err[0]
