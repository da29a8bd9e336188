"""The animation writer: MP4 (H.264, yuv420p, even sizes), GIF (looping), PNG folders; atomic; clear errors."""

from __future__ import annotations

import os

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from explorer.core.animation_writer import OutputSpec, animation_format, write_animation

FRAMES = np.stack([np.full((9, 9, 3), 20 * i, np.uint8) for i in range(10)])


def _mp4(path) -> tuple[dict, list[np.ndarray]]:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    frames = [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]
    return meta, frames


def _leftovers(folder) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.startswith("."))


def test_mp4_is_h264_yuv420p_with_every_frame_at_an_even_size(tmp_path):
    out = tmp_path / "walk.mp4"
    summary = write_animation(out, FRAMES, OutputSpec(fps=10, size=63))  # odd: made even
    meta, frames = _mp4(out)
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
    assert meta["size"] == (64, 64) and summary["size"] == [64, 64]
    assert len(frames) == 10 == summary["frames"] and meta["fps"] == 10
    assert summary["seconds"] == 1.0
    # Nearest enlargement of flat frames: the grey levels survive the codec (within its rounding).
    assert abs(int(frames[5].mean()) - 100) <= 3
    assert _leftovers(tmp_path) == []


def test_mp4_index_is_at_the_front_for_slide_software(tmp_path):
    out = tmp_path / "walk.mp4"
    write_animation(out, FRAMES, OutputSpec(fps=10, size=32))
    head = out.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and head.find(b"moov") < max(head.find(b"mdat"), 4096)


def test_a_caption_band_goes_below_the_image_and_keeps_the_size_even(tmp_path):
    out = tmp_path / "captioned.mp4"
    summary = write_animation(out, FRAMES, OutputSpec(fps=5, size=101),
                              captions=[f"toyfaces · frame {i + 1}/10" for i in range(10)])
    w, h = summary["size"]
    assert w == 102 and h > w and h % 2 == 0
    meta, frames = _mp4(out)
    assert meta["size"] == (w, h) and len(frames) == 10
    band = frames[0][w + 2:]
    assert band.max() > 128  # white text on the band


def test_gif_loops_forever_with_the_right_size_frames_and_timing(tmp_path):
    out = tmp_path / "walk.gif"
    summary = write_animation(out, FRAMES, OutputSpec(fps=20, size=40, smooth=True))
    with Image.open(out) as im:
        assert im.format == "GIF" and im.size == (40, 40) and im.info["loop"] == 0
        assert im.n_frames == 10 == summary["frames"]
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
    assert durations == [50] * 10


def test_gif_holds_play_for_as_long_as_asked(tmp_path):
    out = tmp_path / "held.gif"
    held = FRAMES[[0, 0, 0, 1, 2, 2]]
    write_animation(out, held, OutputSpec(fps=10, loop=False))
    with Image.open(out) as im:
        assert "loop" not in im.info  # plays once when not asked to loop
        total = 0
        for i in range(im.n_frames):
            im.seek(i)
            total += im.info["duration"]
    assert total == 600  # six frames at 10 fps, whether Pillow folds repeats or not


def test_a_folder_of_numbered_pngs(tmp_path):
    out = tmp_path / "frames"
    summary = write_animation(out, FRAMES[:4], OutputSpec(size=18))
    assert sorted(os.listdir(out)) == [f"frame_{i:05d}.png" for i in range(4)]
    with Image.open(out / "frame_00002.png") as im:
        assert im.size == (18, 18) and im.getpixel((3, 3)) == (40, 40, 40)
    assert summary["format"] == "frames" and _leftovers(tmp_path) == []
    write_animation(out, FRAMES[:2], OutputSpec())  # earlier frames are replaced as a whole
    assert sorted(os.listdir(out)) == ["frame_00000.png", "frame_00001.png"]


def test_a_folder_holding_other_files_is_not_replaced(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="notes.txt"):
        write_animation(out, FRAMES[:2], OutputSpec())
    assert (out / "notes.txt").read_text() == "keep me" and _leftovers(tmp_path) == []


class Stop(Exception):
    pass


def _cancel_at(n):
    def progress(done, total):
        if done >= n:
            raise Stop
    return progress


@pytest.mark.parametrize("name", ["walk.mp4", "walk.gif", "frames"])
def test_cancel_leaves_the_old_target_untouched_and_no_temporary_files(tmp_path, name):
    out = tmp_path / name
    write_animation(out, FRAMES[:3], OutputSpec(fps=3, size=16))
    before = {p: p.read_bytes() for p in ([out] if out.is_file() else sorted(out.iterdir()))}
    with pytest.raises(Stop):
        write_animation(out, FRAMES, OutputSpec(fps=7, size=32), progress=_cancel_at(5))
    after = {p: p.read_bytes() for p in ([out] if out.is_file() else sorted(out.iterdir()))}
    assert after == before
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("name", ["new.mp4", "new.gif", "new_frames"])
def test_cancel_of_a_new_animation_leaves_nothing(tmp_path, name):
    with pytest.raises(Stop):
        write_animation(tmp_path / name, FRAMES, OutputSpec(), progress=_cancel_at(2))
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")
@pytest.mark.parametrize("name", ["walk.mp4", "walk.gif", "frames"])
def test_an_unwritable_folder_gives_an_error_naming_the_target(tmp_path, name):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(PermissionError) as caught:
            write_animation(locked / name, FRAMES[:2], OutputSpec())
        assert str(locked / name) in str(caught.value)
    finally:
        locked.chmod(0o700)
    assert os.listdir(locked) == []


def test_formats_follow_the_path():
    assert animation_format("a/walk.MP4") == "mp4" and animation_format("walk.gif") == "gif"
    assert animation_format("frames") == "frames" and animation_format("out/frames.v2/") == "frames"
    with pytest.raises(ValueError, match=r"walk\.avi.*\.mp4, \.gif"):
        animation_format("walk.avi")


def test_no_frames_or_a_bad_rate_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least one frame"):
        write_animation(tmp_path / "x.gif", FRAMES[:0], OutputSpec())
    with pytest.raises(ValueError, match="per second"):
        write_animation(tmp_path / "x.gif", FRAMES, OutputSpec(fps=0))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", ["walk.mp4", "walk.gif", "frames"])
def test_a_path_inside_a_file_gives_an_error_naming_the_target(tmp_path, name):
    """Unwritable for root too: the 'folder' is a regular file."""
    blocker = tmp_path / "notes.txt"
    blocker.write_text("keep me")
    with pytest.raises(OSError) as caught:
        write_animation(blocker / name, FRAMES[:2], OutputSpec())
    assert str(blocker / name) in str(caught.value)
    assert blocker.read_text() == "keep me" and os.listdir(tmp_path) == ["notes.txt"]


def test_a_folder_where_a_file_should_go_is_refused(tmp_path):
    (tmp_path / "walk.gif").mkdir()
    with pytest.raises(OSError, match="walk.gif.*folder"):
        write_animation(tmp_path / "walk.gif", FRAMES[:2], OutputSpec())
