"""Any file name, any image (issue 11): names that are not valid UTF-8 are
bytes-safe end to end, and images of any mode, bit depth or size are read
correctly or refused in one line naming the file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.cli import main
from models.data import load_image_file
from models.errors import DatasetError
from models.paths import display_path, open_safetensors, utf8_path

BAD_NAME = os.fsdecode(b"caf\xe9")  # Latin-1 bytes: not valid UTF-8


def test_display_path_replaces_undecodable_bytes():
    assert display_path(f"/tmp/{BAD_NAME}.pth") == "/tmp/caf\ufffd.pth"
    assert display_path("/tmp/ok.pth") == "/tmp/ok.pth"


def test_safetensors_and_folders_open_by_a_utf8_name(tiny_checkpoints, tmp_path):
    path = tmp_path / f"{BAD_NAME}.safetensors"
    shutil.copy(tiny_checkpoints["vae"], path)
    with open_safetensors(path) as f:
        assert len(list(f.keys())) > 0
    folder = tmp_path / f"{BAD_NAME}_folder"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    with utf8_path(folder) as name:
        name.encode("utf-8")
        assert (Path(name) / "config.json").read_text() == "{}"
    assert not Path(name).exists()  # the link is gone afterwards


def test_settings_keep_a_non_utf8_path(config_dir, tmp_path):
    from explorer.ui.settings import Settings

    path = tmp_path / f"{BAD_NAME}.pth"
    path.write_bytes(b"")
    Settings().add_recent(str(path))
    Settings().set_last_model(str(path))
    again = Settings()
    assert again.recent_files()[0] == str(path.resolve()) and again.last_model() == str(path.resolve())


def test_native_checkpoint_with_a_non_utf8_name_decodes(tiny_checkpoints, tmp_path, capsys):
    path = tmp_path / f"{BAD_NAME}.safetensors"
    shutil.copy(tiny_checkpoints["gan"], path)
    assert main(["sample", str(path), "--n", "2", "--out", str(tmp_path / "out")]) == 0


def test_window_opens_a_pth_with_a_non_utf8_name(qtbot, config_dir, tiny_checkpoints, tmp_path):
    from explorer.ui.main_window import MainWindow
    from tests.models.test_readers import save_small_netg

    path = save_small_netg(tmp_path / f"netG_{BAD_NAME}.pth")
    w = MainWindow(str(tiny_checkpoints["vae"]), bank_size=60, threads=1)
    qtbot.addWidget(w)
    ended = []
    w.client.failed.connect(lambda *a: ended.append("failed"))
    w.client.bankReady.connect(lambda *a: ended.append("bank"))
    try:
        w.show()
        qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
        ended.clear()
        w.models.open_checkpoint(str(path))
        qtbot.waitUntil(lambda: bool(ended), timeout=30000)
        recent = [a.text() for a in w.models.recent_menu.actions()]
        bank = w.session.bank
    finally:
        w.close()
    assert ended == ["bank"] and len(bank) == 60
    assert recent[0] == display_path(path.resolve()) and "\ufffd" in recent[0]


# -- images ---------------------------------------------------------------------

def _grey16(path, value=128 * 257):
    Image.fromarray(np.full((8, 8), value, np.uint16)).save(path)
    return path


def test_16_bit_greyscale_png_keeps_its_grey(tmp_path):
    path = _grey16(tmp_path / "grey16.png")
    assert Image.open(path).mode.startswith("I")
    assert load_image_file(path, 8, 1).mean() == 128 and load_image_file(path, 8, 3).mean() == 128


def _save_mode(path, mode):
    if mode == "I;16B":
        im = Image.new(mode, (8, 8))
        im.frombytes(np.full((8, 8), 128 * 257, ">u2").tobytes())
    elif mode == "I":
        im = Image.fromarray(np.full((8, 8), 128 * 257, np.int32), "I")
    elif mode == "F":
        im = Image.fromarray(np.full((8, 8), 128 / 255, np.float32), "F")
    elif mode == "P":
        im = Image.new("P", (8, 8), 1)
        im.putpalette([0, 0, 0, 128, 128, 128])
    elif mode == "LA":
        im = Image.new("LA", (8, 8), (128, 255))
    elif mode == "RGBA":
        im = Image.new("RGBA", (8, 8), (128, 128, 128, 255))
    else:  # CMYK: 127 of black ink on white paper
        im = Image.new("CMYK", (8, 8), (0, 0, 0, 127))
    im.save(path)
    return path


@pytest.mark.parametrize("mode, suffix", [("I;16B", "tif"), ("I", "tif"), ("F", "tif"), ("P", "png"),
                                          ("LA", "png"), ("RGBA", "png"), ("CMYK", "tif")])
def test_every_mode_reads_as_mid_grey(tmp_path, mode, suffix):
    path = _save_mode(tmp_path / f"image.{suffix}", mode)
    assert abs(float(load_image_file(path, 8, 3).mean()) - 128) <= 1


def test_transparent_pixels_are_composited_over_white(tmp_path):
    path = tmp_path / "clear.png"
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(path)
    assert load_image_file(path, 8, 3).min() == 255


@pytest.mark.parametrize("mode", ["1", "P"])
def test_a_decompression_bomb_is_refused_naming_the_file(tiny_checkpoints, tmp_path, capsys, mode):
    bomb = tmp_path / "huge.png"
    Image.new(mode, (20000, 20000)).save(bomb)
    assert bomb.stat().st_size < 2_000_000
    with pytest.raises(DatasetError) as info:
        load_image_file(bomb, 16)
    assert str(bomb) in str(info.value) and "too many pixels" in str(info.value)
    out = tmp_path / "l.npz"
    assert main(["encode", str(tiny_checkpoints["vae"]), str(bomb), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and str(bomb) in err and "Traceback" not in err
    assert not out.exists()


def test_an_image_with_a_non_utf8_name_is_named_readably(tmp_path):
    path = tmp_path / f"{BAD_NAME}.png"
    path.write_bytes(b"not a png")
    with pytest.raises(DatasetError) as info:
        load_image_file(path, 8)
    assert "caf\ufffd.png" in str(info.value)
    _grey16(path)
    assert load_image_file(path, 8).mean() == 128
