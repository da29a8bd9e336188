"""``latent-explorer walk``: a walk through seeds' latents as MP4, GIF or PNG frames."""

from __future__ import annotations

import json
import os

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from explorer.cli import main


def _walk(capsys, *args: str) -> dict:
    assert main(["walk", *args, "--json"]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out)


def test_mp4_of_three_dcgan_faces(tmp_path, capsys):
    out = tmp_path / "walk.mp4"
    doc = _walk(capsys, "toyfaces_dcgan", "--seeds", "1,2,3", "--steps", "6", "--fps", "12", "--size", "129",
                "--out", str(out))
    assert doc["frames"] == 2 * 6 + 1 and doc["size"] == [130, 130] and doc["fps"] == 12
    assert doc["seconds"] == pytest.approx(13 / 12, abs=1e-3) and doc["out"] == str(out)
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p") and meta["size"] == (130, 130)
    assert sum(1 for _ in reader) == 13


def test_gif_loop_with_holds_and_captions(tmp_path, capsys):
    out = tmp_path / "walk.gif"
    doc = _walk(capsys, "toyfaces_dcgan", "--seeds", "4,5", "--steps", "4", "--loop", "--hold", "2",
                "--caption", "--size", "96", "--fps", "10", "--out", str(out))
    # A loop through two waypoints: two segments of 4 frames, each waypoint held 2 extra frames.
    assert doc["frames"] == 8 + 2 * 2 and doc["distinct_frames"] == 8
    with Image.open(out) as im:
        assert im.info["loop"] == 0 and im.size[0] == 96 and im.size[1] > 96  # the caption band below
        total = 0
        for i in range(im.n_frames):
            im.seek(i)
            total += im.info["duration"]
    assert total == 12 * 100


def test_frames_folder_holds_the_seeds_own_images_byte_for_byte(tmp_path, capsys):
    from models.loading import load_latent_model, resolve_checkpoint
    from models.reproducible import decode_for_keeps

    out = tmp_path / "frames"
    doc = _walk(capsys, "toyfaces_dcgan", "--seeds", "7,8", "--steps", "3", "--ping-pong", "--out", str(out))
    assert doc["frames"] == 4 + 2 and doc["format"] == "frames"
    assert sorted(os.listdir(out)) == [f"frame_{i:05d}.png" for i in range(6)]
    model = load_latent_model(resolve_checkpoint("toyfaces_dcgan"))
    ends = decode_for_keeps(model, np.stack([model.sample_latents(s, [0])[0] for s in (7, 8)]))
    assert np.array_equal(np.asarray(Image.open(out / "frame_00000.png")), ends[0])
    assert np.array_equal(np.asarray(Image.open(out / "frame_00003.png")), ends[1])
    assert np.array_equal(np.asarray(Image.open(out / "frame_00005.png")), np.asarray(Image.open(out / "frame_00001.png")))


def test_even_pacing_keeps_the_frame_count(tmp_path, capsys):
    doc = _walk(capsys, "toyfaces_dcgan", "--seeds", "1,2", "--steps", "5", "--even", "--method", "lerp",
                "--out", str(tmp_path / "even.gif"))
    assert doc["frames"] == 6 and doc["method"] == "lerp"


def test_a_diffusion_walk_is_over_its_starting_noise(tmp_path, capsys):
    out = tmp_path / "ldm"
    doc = _walk(capsys, "toyfaces_ldm", "--seeds", "1,2", "--steps", "3", "--ddim-steps", "2", "--out", str(out))
    assert doc["frames"] == 4 and len(os.listdir(out)) == 4
    first, middle = (np.asarray(Image.open(out / f"frame_{i:05d}.png"), np.int16) for i in (0, 1))
    assert np.abs(first - middle).mean() > 1  # the frames move


@pytest.mark.parametrize("args, words", [
    (["--seeds", "1"], "--seeds: a walk needs at least two seeds"),
    (["--seeds", "1,x"], "--seeds: expected seeds"),
    (["--seeds", "1,2", "--steps", "0"], "--steps: must be > 0"),
    (["--seeds", "1,2", "--loop", "--ping-pong"], "not allowed with argument"),
])
def test_bad_arguments_are_one_line_on_stderr(tmp_path, capsys, args, words):
    with pytest.raises(SystemExit) as exit_:
        main(["walk", "toyfaces_dcgan", *args, "--out", str(tmp_path / "w.gif")])
    assert exit_.value.code != 0
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and words in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("target, words", [("walk.avi", "cannot write an animation as .avi"),
                                           ("notes.txt/walk.mp4", "notes.txt/walk.mp4")])
def test_bad_outputs_are_one_line_on_stderr(tmp_path, capsys, target, words):
    (tmp_path / "notes.txt").write_text("keep me")
    assert main(["walk", "toyfaces_dcgan", "--seeds", "1,2", "--steps", "2", "--out", str(tmp_path / target)]) != 0
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == "" and "\n" not in err and err.startswith("latent-explorer walk: ") and words in err
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_a_missing_checkpoint_is_one_line(tmp_path, capsys):
    assert main(["walk", str(tmp_path / "nope.safetensors"), "--seeds", "1,2", "--out", str(tmp_path / "w.gif")]) != 0
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "nope.safetensors" in err
