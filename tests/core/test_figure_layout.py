"""Labelled figure grids: exact width, labels drawn, background colours, atomic PNG writes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from explorer.core.figure_layout import BACKGROUNDS, Figure, FigureOptions, compose, write_png


def _images(n: int, side: int = 16, channels: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(n)
    return [rng.integers(0, 256, (side, side, channels), dtype=np.uint8) for _ in range(n)]


def _analogy(labels: bool = True) -> Figure:
    return Figure.grid(_images(25), 5, title="A : B :: C : ?", col_labels=("man", "", "", "", "glasses_man"),
                       row_labels=("man", "", "", "", "woman"))


@pytest.mark.parametrize("width", [2048, 777, 64])
def test_the_figure_is_exactly_as_wide_as_asked(width):
    image = compose(_analogy(), FigureOptions(width=width))
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[1] == width and image.shape[2] == 3


def test_labels_are_drawn_in_their_bands_and_can_be_left_out():
    bg = np.array(BACKGROUNDS["light"][0])
    ims = _images(6)
    plain = compose(Figure.grid(ims, 3), FigureOptions(width=1024))
    off = compose(Figure.grid(ims, 3, title="T", col_labels=("a", "b", "c")), FigureOptions(width=1024, labels=False))
    assert np.array_equal(off, plain)  # labels off: no trace of them
    top = compose(Figure.grid(ims, 3, title="A : B :: C : ?", col_labels=("man", "glasses", "woman")),
                  FigureOptions(width=1024))
    band = top.shape[0] - plain.shape[0]
    assert band > 20  # title and column labels get a band above the grid
    assert np.array_equal(top[-600:], plain[-600:])  # the grid itself is the same
    assert (top[:band] != bg).any(axis=2).sum() > 200  # with ink in it
    grey = [np.full((16, 16, 3), 128, np.uint8)] * 6  # text is whatever is neither background nor this grey
    left = compose(Figure.grid(grey, 3, row_labels=("first row", "second")), FigureOptions(width=1024))
    bare = compose(Figure.grid(grey, 3), FigureOptions(width=1024))
    assert left.shape[1] == 1024

    def ink(image):
        return ((image != bg).any(axis=2) & (image != 128).any(axis=2)).sum()

    assert ink(bare) == 0 and ink(left) > 100  # row labels drawn
    assert left.shape[0] < bare.shape[0]  # their band narrows the cells


def test_grey_images_and_captions_and_a_highlighted_cell():
    fig = Figure.grid(_images(9, channels=1), 3, captions=tuple(f"#{i}\n0.{i}" for i in range(9)), highlight=4)
    image = compose(fig, FigureOptions(width=600, background="dark"))
    assert image.shape[1] == 600
    mark = np.array(BACKGROUNDS["dark"][3])
    assert (image == mark).all(axis=2).sum() > 100  # the frame around the result


@pytest.mark.parametrize("background", ["light", "dark"])
def test_light_and_dark_backgrounds_have_matching_text(background):
    image = compose(_analogy(), FigureOptions(width=800, background=background))
    bg, fg = (np.array(c) for c in BACKGROUNDS[background][:2])
    assert (image[0, 0] == bg).all() and (image[-1, -1] == bg).all()
    # The title's darkest/lightest text pixels are the text colour (antialiased edges lie between).
    title = image[:40].reshape(-1, 3).astype(int)
    assert np.abs(title - fg).sum(axis=1).min() < 10
    light, dark = BACKGROUNDS["light"][0], BACKGROUNDS["dark"][0]
    assert sum(light) > 600 and sum(dark) < 150


def test_nearest_keeps_pixels_crisp_and_smooth_blends_them():
    checker = np.kron([[0, 255], [255, 0]], np.ones((4, 4))).astype(np.uint8)
    crisp = compose(Figure.grid([checker]), FigureOptions(width=256, labels=False))
    smooth = compose(Figure.grid([checker]), FigureOptions(width=256, labels=False, smooth=True))
    inner = slice(20, 230)
    assert set(np.unique(crisp[inner, inner])) <= {0, 255}
    assert len(np.unique(smooth[inner, inner])) > 2


def test_bad_input_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="width"):
        compose(_analogy(), FigureOptions(width=10))
    with pytest.raises(ValueError, match="background"):
        compose(_analogy(), FigureOptions(background="purple"))
    with pytest.raises(ValueError, match="uint8"):
        compose(Figure.grid([np.zeros((4, 4, 3), np.float32)]))


def test_write_png_is_atomic_and_names_an_unwritable_path(tmp_path, monkeypatch):
    image = compose(_analogy(), FigureOptions(width=512))
    out = tmp_path / "fig.png"
    write_png(out, image)
    with Image.open(out) as im:
        assert im.size == (512, image.shape[0]) and im.format == "PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]  # no temporary file left

    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(OSError) as err:
        write_png(blocker / "fig.png", image)
    assert str(blocker / "fig.png") in str(err.value)
    assert blocker.read_text() == "x"

    class Boom(Exception):
        pass

    before = out.read_bytes()
    real_save = Image.Image.save

    def failing_save(self, fp, *args, **kwargs):  # writes half a file, then fails
        real_save(self, fp, *args, **kwargs)
        raise Boom("disk gone")

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(Boom):
        write_png(out, np.zeros((4, 4, 3), np.uint8))
    monkeypatch.undo()
    assert out.read_bytes() == before  # the old figure is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "fig.png"]
