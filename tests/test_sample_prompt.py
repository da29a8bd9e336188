"""``sample`` of a text-to-image pipeline folder: --prompt, --negative-prompt and --guidance are
what every image is decoded with, and every record's recipe says so."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from explorer.cli import main
from tests.text_to_image_fixture import make_text_to_image_pipeline


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    return make_text_to_image_pipeline(tmp_path_factory.mktemp("t2i") / "tiny_sd")


def _records(out):
    return [json.loads(line) for line in (out / "metadata.jsonl").read_text().splitlines()]


def test_the_prompt_decodes_every_sample_and_is_in_every_recipe(pipeline, tmp_path):
    plain, prompted = tmp_path / "plain", tmp_path / "prompted"
    assert main(["sample", str(pipeline), "--n", "2", "--steps", "2", "--out", str(plain)]) == 0
    assert main(["sample", str(pipeline), "--n", "2", "--steps", "2", "--prompt", "a man", "--negative-prompt", "hat",
                 "--guidance", "5", "--out", str(prompted)]) == 0
    for record in _records(prompted):
        r = record["recipe"]
        assert (r["prompt"], r["negative_prompt"], r["guidance"], r["steps"], r["seed"]) == ("a man", "hat", 5.0, 2, 0)
    assert _records(plain)[0]["recipe"]["prompt"] == ""
    a, b = (np.asarray(Image.open(d / "000000.png")) for d in (plain, prompted))
    assert not np.array_equal(a, b)  # same x_T, another prompt


def test_a_resume_with_another_prompt_is_refused(pipeline, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["sample", str(pipeline), "--n", "2", "--steps", "2", "--prompt", "a man", "--out", str(out)]) == 0
    assert main(["sample", str(pipeline), "--n", "3", "--steps", "2", "--prompt", "a woman", "--out", str(out),
                 "--resume"]) != 0
    assert [r["recipe"]["prompt"] for r in _records(out)] == ["a man", "a man"]


def test_a_prompt_for_a_model_without_one_is_one_line(tmp_path, capsys):
    assert main(["sample", "toyfaces_dcgan", "--n", "2", "--prompt", "a man", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "gan model" in err[0] and "text-to-image" in err[0]
