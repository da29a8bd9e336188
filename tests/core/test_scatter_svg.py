"""The hand-written SVG scatter, read back with a parser."""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from explorer.core.scatter_svg import ScatterFigure, nice_ticks, scatter_svg, spread_points, write_scatter_svg

NS = {"svg": "http://www.w3.org/2000/svg"}
COLOURS = ((0, 114, 178), (230, 159, 0))


def _figure(n: int = 300, **kw) -> ScatterFigure:
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(n, 2))
    cats = (pts[:, 0] > 0).astype(int)
    base = dict(points=pts, categories=cats, colours=COLOURS, names=("not male", "male"),
                x_range=(-5.0, 5.0), y_range=(-5.0, 5.0), x_label="PCA 1", y_label="PCA 2", title="toyfaces VAE")
    base.update(kw)
    return ScatterFigure(**base)


def _parse(text: str) -> ET.Element:
    return ET.fromstring(text)


def _group(root, name):
    return root.find(f".//svg:g[@id='{name}']", NS)


def test_every_point_is_a_circle_in_its_category_colour():
    fig = _figure()
    root = _parse(scatter_svg(fig))
    circles = _group(root, "points").findall("svg:circle", NS)
    assert len(circles) == 300
    fills = [c.get("fill") for c in circles]
    expected = ["#0072b2", "#e69f00"]
    assert fills == [expected[c] for c in fig.categories]
    # Positions follow the data: larger x is further right, larger y further up (smaller SVG y).
    cx = np.array([float(c.get("cx")) for c in circles])
    cy = np.array([float(c.get("cy")) for c in circles])
    assert np.corrcoef(cx, fig.points[:, 0])[0, 1] > 0.999
    assert np.corrcoef(cy, fig.points[:, 1])[0, 1] < -0.999


def test_points_outside_the_view_are_left_out():
    fig = _figure(x_range=(0.0, 5.0), y_range=(-5.0, 5.0))
    circles = _group(_parse(scatter_svg(fig)), "points").findall("svg:circle", NS)
    assert len(circles) == int((fig.points[:, 0] >= 0).sum())


def test_legend_title_and_axis_labels_are_text():
    root = _parse(scatter_svg(_figure(), background="dark"))
    legend = [t.text for t in _group(root, "legend").findall("svg:text", NS)]
    n_male = int((_figure().points[:, 0] > 0).sum())
    assert legend == [f"not male ({300 - n_male})", f"male ({n_male})"]
    assert root.find(".//svg:text[@id='x-label']", NS).text == "PCA 1"
    assert root.find(".//svg:text[@id='y-label']", NS).text == "PCA 2"
    assert root.find(".//svg:text[@id='title']", NS).text == "toyfaces VAE"
    ticks = [t.text for t in _group(root, "tick-labels").findall("svg:text", NS)]
    assert "0" in ticks and "−4" in ticks
    assert root.find(".//svg:rect[@id='background']", NS).get("fill") == "#16161a"
    light = _parse(scatter_svg(_figure(), background="light"))
    assert light.find(".//svg:rect[@id='background']", NS).get("fill") == "#ffffff"


def test_no_legend_when_nothing_colours_the_points():
    root = _parse(scatter_svg(_figure(legend=False)))
    assert _group(root, "legend") is None


def test_thumbnails_are_embedded_pngs():
    rng = np.random.default_rng(1)
    thumbs = tuple((float(x), float(y), rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
                   for x, y in ((0, 0), (1, 1), (-2, 1)))
    root = _parse(scatter_svg(_figure(thumbnails=thumbs), thumbnail_side=64))
    images = _group(root, "thumbnails").findall("svg:image", NS)
    assert len(images) == 3
    for el, (_x, _y, source) in zip(images, thumbs):
        href = el.get("href")
        assert href.startswith("data:image/png;base64,")
        with Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1]))) as im:
            assert im.format == "PNG" and im.size == (64, 64)
            assert np.array_equal(np.asarray(im.convert("RGB"))[::4, ::4], source)  # crisp 4× enlargement


def test_a_huge_cloud_is_capped_evenly_and_says_so():
    n = 200_000
    rng = np.random.default_rng(2)
    fig = _figure(points=rng.uniform(-4, 4, (n, 2)), categories=np.arange(n) % 2)
    text = scatter_svg(fig, cap=5000)
    circles = _group(_parse(text), "points").findall("svg:circle", NS)
    assert len(circles) == 5000
    assert "200,000 points in view; 5,000 drawn" in text
    fills = [c.get("fill") for c in circles]
    assert 0.4 < fills.count("#0072b2") / len(fills) < 0.6  # an even choice keeps the mix


def test_nice_ticks_and_spread_points():
    assert nice_ticks(-5, 5) == [-4, -2, 0, 2, 4]
    assert nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(3, 3) == []
    pts = np.array([[0, 0], [0.01, 0], [10, 10], [10, 0], [0, 10], [5, 5], [50, 50]], float)
    chosen = spread_points(pts, 4, (0, 10), (0, 10))
    assert len(chosen) == 4 and 6 not in chosen  # outside the view
    assert chosen[0] == 5 and 1 not in chosen  # the centre first, then corners; never two crowded ones
    assert len(set(chosen.tolist()) & {0, 2, 3, 4}) == 3
    assert len(spread_points(pts, 0)) == 0


def test_written_atomically_and_an_unwritable_path_is_named(tmp_path):
    out = tmp_path / "scatter.svg"
    write_scatter_svg(out, _figure())
    assert _parse(out.read_text("utf-8")).tag == "{http://www.w3.org/2000/svg}svg"
    assert [p.name for p in tmp_path.iterdir()] == ["scatter.svg"]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError, match="file"):
        write_scatter_svg(blocker / "s.svg", _figure())
    with pytest.raises(ValueError, match="range"):
        scatter_svg(_figure(x_range=(1.0, 1.0)))
