"""``latent-explorer evaluate`` (issue 15): fidelity figures beside their floors,
a collapse verdict naming the missing modes, for a checkpoint and for a folder
of images; ``--json``, the self-contained ``--report`` HTML, and bad input
refused in one line."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import numpy as np
import pytest

from explorer.cli import main

N = 300  # samples per run: enough for stable mode frequencies, seconds on a CPU


# -- the HTML report -----------------------------------------------------------------

class _Page(HTMLParser):
    """Collects what a browser would fetch (src/href), the embedded images and the text."""

    def __init__(self):
        super().__init__()
        self.links, self.images, self.text, self.svgs, self.open = [], [], [], 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.links += [v for k, v in attrs.items() if k in ("src", "href") and v]
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        self.svgs += tag == "svg"
        if tag not in ("meta", "img", "rect", "line", "polyline", "br"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in ("meta", "img", "rect", "line", "polyline", "br"):
            return
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_page(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    assert page.open == [], f"unclosed tags: {page.open}"
    return page


def report_fixture() -> dict:
    """A report of the contract's shape: a collapsed generator with two missing modes."""
    figs = {"fid": {"value": 41.5, "floor": 0.8, "better": "lower"},
            "kid": {"value": 0.12, "std_error": 0.004, "floor": 0.0002, "better": "lower"},
            "inception_score": {"value": 1.3, "std": 0.05, "floor": 9.7, "better": "higher"},
            "precision": {"value": 0.9, "floor": 0.75, "better": "higher"},
            "recall": {"value": 0.02, "floor": 0.74, "better": "higher"},
            "density": {"value": 1.4, "floor": 1.0, "better": "higher"},
            "coverage": {"value": 0.05, "floor": 0.9, "better": "higher"}}
    return {"features": "bundled classifier penultimate features (64-d)", "n_generated": 40, "n_reference": 40,
            "k": 5, "seed": 0, "truncate": 0.05, "figures": figs,
            "modes": {"names": ["glasses", "male", "none"], "generated": [0.0, 0.0, 1.0],
                      "reference": [0.3, 0.3, 0.4], "generated_counts": [0, 0, 40], "reference_counts": [12, 12, 16]},
            "collapse": True,
            "verdict": {"reasons": ["missing modes: glasses, male", "coverage 0.05 is far below its floor 0.9"],
                        "missing_modes": ["glasses", "male"], "dominant_mode": "none"},
            "curves": {"n": [10, 20, 30, 40], **{k: [v["value"]] * 4 for k, v in figs.items()
                                                if k in ("fid", "kid", "precision", "recall", "density", "coverage")}},
            "examples": {"missing": {"glasses": [0, 1, 2], "male": [3, 4]}}}


def test_the_html_report_is_one_self_contained_page(tmp_path):
    from explorer.commands.evaluation_html import write_report

    rng = np.random.default_rng(0)
    generated = rng.integers(0, 256, (40, 16, 16, 3), dtype=np.uint8)
    reference = rng.integers(0, 256, (40, 16, 16, 3), dtype=np.uint8)
    out = tmp_path / "report.html"
    write_report(out, report_fixture(), generated, reference, title="toyfaces-dcgan")
    page = parse_page(out.read_text(encoding="utf-8"))
    text = " ".join(page.text)
    assert not [u for u in page.links if not u.startswith("data:")], "a link that needs the network"
    assert "http" not in out.read_text(encoding="utf-8")
    # The sample grid and one grid of real examples per missing mode, all embedded PNGs.
    assert len(page.images) == 3 and all(src.startswith("data:image/png;base64,") for src in page.images)
    from base64 import b64decode
    from io import BytesIO

    from PIL import Image

    grid = Image.open(BytesIO(b64decode(page.images[0].split(",", 1)[1])))
    assert grid.format == "PNG" and grid.size[0] > 16 * 16
    assert "Mode collapse" in text and "glasses" in text and "male" in text
    for label, value, floor in (("FID", "41.5", "0.8"), ("Coverage", "0.05", "0.9"), ("KID", "0.12", "0.0002")):
        assert any(label in t for t in page.text) and value in text and floor in text
    assert page.svgs >= 2  # the mode histogram and the curves, drawn inline


def test_a_healthy_report_says_so_and_needs_no_images(tmp_path):
    from explorer.commands.evaluation_html import render_report

    r = report_fixture()
    r.update(collapse=False, verdict={"reasons": [], "missing_modes": [], "dominant_mode": None})
    page = parse_page(render_report(r))
    assert "No mode collapse detected" in " ".join(page.text) and page.images == []


def test_an_unwritable_report_names_the_file_and_leaves_nothing(tmp_path):
    from explorer.commands.evaluation_html import write_report

    blocker = tmp_path / "file"
    blocker.write_text("old")
    with pytest.raises(OSError) as info:
        write_report(blocker / "report.html", report_fixture())
    assert str(blocker) in str(info.value)
    folder = tmp_path / "report.html"
    folder.mkdir()
    with pytest.raises(OSError) as info:
        write_report(folder, report_fixture())
    assert str(folder) in str(info.value) and "folder" in str(info.value)
    assert folder.is_dir() and sorted(p.name for p in tmp_path.iterdir()) == ["file", "report.html"]
    assert blocker.read_text() == "old"


def assert_report_page(path, missing: list[str]) -> _Page:
    """The written report parses, needs no network, embeds its images and names the missing modes."""
    page = parse_page(path.read_text(encoding="utf-8"))
    text = " ".join(page.text)
    assert not [u for u in page.links if not u.startswith("data:")], "a link that needs the network"
    assert page.images and all(src.startswith("data:image/png;base64,") for src in page.images)
    assert "Mode collapse" in text if missing else "No mode collapse detected" in text
    assert all(name in text for name in missing)
    assert "FID" in text and "real-vs-real floor" in text
    return page


# -- a checkpoint -------------------------------------------------------------------

def _json_run(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)  # --json: one document on stdout, nothing else


def _assert_figures_with_floors(r: dict) -> None:
    assert set(r["figures"]) == {"fid", "kid", "inception_score", "precision", "recall", "density", "coverage"}
    for fig in r["figures"].values():
        assert {"value", "floor", "better"} <= set(fig) and fig["better"] in ("lower", "higher")
    assert isinstance(r["collapse"], bool)


def test_truncated_dcgan_is_called_collapsed_and_its_missing_modes_named(capsys, tmp_path):
    html = tmp_path / "report.html"
    r = _json_run(capsys, ["evaluate", "toyfaces_dcgan", "--truncate", "0.05", "--n", str(N), "--draws", "2",
                           "--json", "--report", str(html)])
    _assert_figures_with_floors(r)
    assert r["collapse"] is True and r["truncate"] == 0.05
    missing = r["verdict"]["missing_modes"]
    assert missing and set(missing) <= set(r["modes"]["names"])
    assert any(name in " ".join(r["verdict"]["reasons"]) for name in missing)
    assert r["figures"]["coverage"]["value"] < 0.5 * r["figures"]["coverage"]["floor"]
    # The classifier figures stay in the same document, measured on the same truncated samples.
    assert r["realism"]["decisive_fraction"] < 0.8 and r["arithmetic"]["expression"] == "glasses_man - man + woman"
    assert "0.05" in r["sampling"]["latents"]
    page = assert_report_page(html, missing)
    # The sample grid plus one grid of real examples for each missing mode.
    assert len(page.images) == 1 + len(missing)


def test_a_truncated_checkpoint_is_sampled_once_as_the_fidelity_report_defines_truncation(tiny_checkpoints):
    """Classifier figures and fidelity figures describe the same samples: the model's draws times S, once."""
    from models.fidelity_report import sampled_latents
    from models.loading import load_latent_model

    from explorer.commands.evaluate_runs import evaluate_checkpoint_fully

    doc, samples, _ = evaluate_checkpoint_fully(tiny_checkpoints["gan"], classifier=tiny_checkpoints["classifier"],
                                                n=24, truncate=0.5, draws=2, progress=False)
    model = load_latent_model(tiny_checkpoints["gan"])
    expected = model.decode(sampled_latents(model, 24, 0.5, 0)[0])
    assert np.array_equal(samples, expected[:len(samples)]) and len(samples) == 24
    assert doc["truncate"] == 0.5 and doc["n_generated"] == doc["n"] == 24 and "0.5" in doc["sampling"]["latents"]
    # Both halves measured those images against the same held-out set in the same features.
    assert doc["figures"]["fid"]["value"] == pytest.approx(doc["frechet"]["samples_vs_real"], rel=1e-6)


def test_the_bundled_dcgan_is_not_collapsed_and_says_so(capsys):
    assert main(["evaluate", "toyfaces_dcgan", "--n", str(N), "--draws", "2"]) == 0
    out = capsys.readouterr().out
    assert "verdict: no mode collapse detected" in out
    for line in ("FID", "coverage", "recall", "realism:"):
        assert line in out
    assert "real-vs-real floor" in out.split("FID:")[1].splitlines()[0]


# -- a folder of images -------------------------------------------------------------

@pytest.fixture
def one_mode_folder(tmp_path):
    """Toyfaces of a single attribute combination (no attribute at all: 'none')."""
    from models.data.toyfaces import make_toyfaces
    from models.imaging import save_png

    images, attributes = make_toyfaces(2000, seed=5, size=32)
    folder = tmp_path / "one_mode"
    folder.mkdir()
    for i in np.flatnonzero((attributes == 0).all(axis=1))[:150]:
        save_png(folder / f"{i:05d}.png", images[i])
    return folder


def test_a_folder_of_one_attribute_combination_is_collapsed(capsys, tmp_path, one_mode_folder):
    html, doc = tmp_path / "folder.html", tmp_path / "folder.json"
    r = _json_run(capsys, ["evaluate", "--images", str(one_mode_folder), "--json", "--report", str(html),
                           "--out", str(doc)])
    assert json.loads(doc.read_text()) == r
    _assert_figures_with_floors(r)
    assert r["collapse"] is True and r["n_generated"] == 150
    counts = dict(zip(r["modes"]["names"], r["modes"]["generated_counts"]))
    assert counts["none"] >= 140  # the classifier sees the one mode the folder holds
    missing = r["verdict"]["missing_modes"]
    assert {"male", "glasses", "smiling"} <= set(missing) and "none" not in missing
    assert r["verdict"]["dominant_mode"] == "none"
    assert_report_page(html, missing)


def test_a_fresh_toyfaces_dataset_folder_is_not_collapsed(capsys, tmp_path):
    folder = tmp_path / "fresh"
    assert main(["dataset", "toyfaces", "--n", str(N), "--out", str(folder), "--json"]) == 0  # 64 px: scaled down
    capsys.readouterr()
    r = _json_run(capsys, ["evaluate", "--images", str(folder), "--n", str(N - 50), "--json"])
    _assert_figures_with_floors(r)
    assert r["collapse"] is False and r["verdict"]["missing_modes"] == [] and r["n_generated"] == N - 50
    assert r["figures"]["coverage"]["value"] > 0.5 * r["figures"]["coverage"]["floor"]


def _scripted(path, inception: bool):
    """A small TorchScript feature extractor; ``inception`` gives it Inception-v3's call signature."""
    import torch
    import torch.nn.functional as F

    class Pooled(torch.nn.Module):
        def forward(self, x):
            return F.adaptive_avg_pool2d(x, 4)

    class InceptionLike(torch.nn.Module):
        def forward(self, x, return_features: bool = False):
            assert x.shape[-1] == 299  # images are resized as for the real Inception-v3
            return F.adaptive_avg_pool2d(x, 4).flatten(1)

    torch.jit.script(InceptionLike() if inception else Pooled()).save(str(path))
    return path


@pytest.mark.parametrize("option, words", [("--features", "TorchScript features from extractor.pt"),
                                           ("--inception", "Inception-v3 pool features from extractor.pt")])
def test_other_feature_spaces_are_used_and_named(capsys, tmp_path, one_mode_folder, option, words):
    extractor = _scripted(tmp_path / "extractor.pt", inception=option == "--inception")
    r = _json_run(capsys, ["evaluate", "--images", str(one_mode_folder), option, str(extractor), "--json"])
    assert r["features"] == words
    # Modes still come from the classifier: the verdict does not depend on the feature space.
    assert r["collapse"] is True and "male" in r["verdict"]["missing_modes"]


# -- bad input: one line on stderr, non-zero status ---------------------------------

def _save(folder, images):
    from PIL import Image

    folder.mkdir(exist_ok=True)
    for i, im in enumerate(images):
        Image.fromarray(im).save(folder / f"{i:03d}.png")
    return folder


def _one_line_error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


def test_an_empty_folder_is_refused(capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    line = _one_line_error(capsys, ["evaluate", "--images", str(empty)])
    assert str(empty) in line and "holds no images" in line


def test_a_missing_folder_is_refused(capsys, tmp_path):
    line = _one_line_error(capsys, ["evaluate", "--images", str(tmp_path / "nowhere")])
    assert "nowhere" in line and "no such folder" in line


@pytest.mark.parametrize("shape", [(8, 8, 3), (32, 48, 3)], ids=["too small", "not square"])
def test_images_of_the_wrong_size_are_refused(capsys, tmp_path, shape):
    folder = _save(tmp_path / "small", np.zeros((12, *shape), np.uint8))
    line = _one_line_error(capsys, ["evaluate", "--images", str(folder)])
    assert "000.png" in line and f"{shape[1]}×{shape[0]} pixels" in line and "32×32" in line


def test_a_reference_of_one_image_is_refused(capsys, tmp_path):
    from models.data.toyfaces import make_toyfaces

    images = make_toyfaces(20, seed=3, size=32)[0]
    folder, reference = _save(tmp_path / "gen", images), _save(tmp_path / "ref", images[:1])
    line = _one_line_error(capsys, ["evaluate", "--images", str(folder), "--reference", str(reference)])
    assert "reference" in line and "1 image" in line and "at least 12" in line


@pytest.mark.parametrize("argv, words", [
    (["--inception", "{tmp}/nowhere/pt_inception.pt"], ["--inception", "pt_inception.pt", "no such file",
                                                        "nothing is downloaded"]),
    (["--features", "inception"], ["--features inception needs --inception PATH"]),
    (["--features", "{tmp}/extractor.pt"], ["--features", "extractor.pt", "no such file"]),
], ids=["missing inception file", "inception without a file", "missing extractor"])
def test_feature_files_that_are_not_there_are_refused_before_any_work(capsys, tmp_path, argv, words):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    line = _one_line_error(capsys, ["evaluate", "toyfaces_dcgan", "--n", "20", *argv])
    assert all(w in line for w in words), line


def test_a_checkpoint_or_a_folder_not_both_nor_neither(capsys, tmp_path):
    assert "CHECKPOINT or --images" in _one_line_error(capsys, ["evaluate"])
    assert "not both" in _one_line_error(capsys, ["evaluate", "toyfaces_dcgan", "--images", str(tmp_path)])
    assert "--k: only with --images" in _one_line_error(capsys, ["evaluate", "toyfaces_dcgan", "--k", "3"])
    assert "--truncate" in _one_line_error(capsys, ["evaluate", "--images", str(tmp_path), "--truncate", "0.5"])


def test_an_unwritable_report_is_refused_before_any_work(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    empty = tmp_path / "empty"  # were the folder read first, this would be the error
    empty.mkdir()
    line = _one_line_error(capsys, ["evaluate", "--images", str(empty), "--report", str(blocker / "r.html")])
    assert str(blocker) in line and "not a folder" in line
    line = _one_line_error(capsys, ["evaluate", "--images", str(empty), "--report", str(empty)])
    assert str(empty) in line and "is a folder" in line
    assert blocker.read_text() == "x" and sorted(p.name for p in tmp_path.iterdir()) == ["empty", "file"]
