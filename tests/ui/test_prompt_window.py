"""The Prompt tab on a tiny random text-to-image pipeline (diffusers ``save_pretrained``):
Apply rebuilds the bank for the new prompt, prompt arithmetic decodes the current
x_T with the summed embedding, a walk between prompts fills the filmstrip, an
export records the recipe; the tab is off for a DCGAN. Everything checked is
shown and grabbed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.ui.main_window import MainWindow
from tests.text_to_image_fixture import make_text_to_image_pipeline

BANK = 20
EXPRESSION = '"a man with glasses" - "a man" + "a woman"'


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    return make_text_to_image_pipeline(tmp_path_factory.mktemp("t2i") / "tiny_sd")


def _open(qtbot, path) -> MainWindow:
    w = MainWindow(str(path), bank_size=BANK, threads=1)
    qtbot.addWidget(w)
    with qtbot.waitExposed(w):
        w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=60000)
    w.docks["Prompt"].show()
    w.docks["Prompt"].raise_()
    return w


def _grab(widget) -> None:
    image = widget.grab().toImage()
    assert not image.isNull() and image.width() > 0


def _click(qtbot, w: MainWindow, index: int) -> np.ndarray:
    w.preview.shown_image = None
    w.points.select_point(index)
    qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=30000)
    return w.preview.shown_image.copy()


def _model(path, prompt="", embedding=None):
    from models.loading import load_latent_model

    model = load_latent_model(path)
    model.set_prompt(prompt)
    if embedding is not None:
        model.set_prompt_embedding(embedding, "test")
    return model


def test_apply_a_prompt_rebuilds_the_bank_and_the_preview_and_an_export_records_it(qtbot, config_dir, pipeline,
                                                                                     tmp_path):
    w = _open(qtbot, pipeline)
    panel = w.prompt_panel
    assert all(box.isEnabled() for box in panel.sections) and not panel.hint.isVisible()
    assert w.session.bank.recipe["prompt"] == ""
    before_thumbs = np.array(w.session.bank.thumbnails)
    before = _click(qtbot, w, 3)
    panel.prompt_edit.setText("a man")
    panel.negative_edit.setText("glasses")
    panel.guidance_box.setValue(5.0)
    with qtbot.waitSignal(w.models.bankShown, timeout=60000):
        panel.apply_button.click()
    recipe = w.session.bank.recipe
    assert (recipe["prompt"], recipe["negative_prompt"], recipe["guidance"]) == ("a man", "glasses", 5.0)
    assert not np.array_equal(w.session.bank.thumbnails, before_thumbs)
    after = _click(qtbot, w, 3)
    assert not np.array_equal(after, before)
    rows = dict(w.preview.state.rows)
    assert rows["prompt"] == "a man" and rows["negative prompt"] == "glasses" and rows["guidance"] == "5.0"
    assert rows["seed"] == "0" and rows["steps"] == str(recipe["steps"])
    _grab(w.docks["Prompt"])
    _grab(w.preview)

    out = tmp_path / "export"
    w.exporter.export("everything", str(out))
    qtbot.waitUntil(lambda: (out / "metadata.jsonl").is_file(), timeout=60000)
    first = json.loads((out / "metadata.jsonl").read_text().splitlines()[0])["recipe"]
    assert (first["kind"], first["prompt"], first["negative_prompt"], first["guidance"]) == \
        ("prior", "a man", "glasses", 5.0)
    assert first["seed"] == 0 and first["steps"] == recipe["steps"]


def test_prompt_arithmetic_and_a_walk_between_prompts(qtbot, config_dir, pipeline):
    from explorer.core.prompt_expression import combine, parse, prompts_in

    w = _open(qtbot, pipeline)
    panel = w.prompt_panel
    _click(qtbot, w, 5)
    x_t = w.session.bank.latent(5)[None]

    panel.expression_edit.setText('"a man" - a woman')
    panel.evaluate_button.click()
    assert panel.expression_error.isVisible() and "^" in panel.expression_error.text()
    assert panel.expression_error.text().splitlines()[1] == " " * 10 + "^"
    _grab(panel)

    panel.expression_edit.setText(EXPRESSION)
    w.preview.shown_image = None
    panel.evaluate_button.click()
    assert not panel.expression_error.isVisible()
    qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=60000)
    state = w.preview.state
    rows = dict(state.rows)
    assert state.title == "Prompt arithmetic" and rows["embedding"] == EXPRESSION
    assert rows["x_T"].startswith("point #5") and "prompt" not in rows
    reference = _model(pipeline)
    terms = parse(EXPRESSION)
    vector = combine(terms, {p: reference.embed_prompt(p) for p in prompts_in(terms)})
    reference.set_prompt_embedding(vector, "expr")
    expected = reference.decode(x_t)[0]
    assert np.abs(state.image.astype(int) - expected.astype(int)).max() <= 1
    assert not np.array_equal(state.image, w.session.bank.thumbnails[5])
    _grab(w.preview)
    # A clicked point now says which embedding decodes it.
    _click(qtbot, w, 2)
    assert dict(w.preview.state.rows)["embedding"] == EXPRESSION

    panel.walk_from.setText("a man")
    panel.walk_to.setText("a woman")
    panel.walk_frames.setValue(4)
    panel.walk_method.setCurrentText("lerp")
    w.points.select_point(5)
    panel.walk_button.click()
    qtbot.waitUntil(lambda: panel.filmstrip.count() == 4, timeout=60000)
    frames = panel.filmstrip.images
    reference.set_prompt("a man")
    assert np.abs(frames[0].astype(int) - reference.decode(x_t)[0].astype(int)).max() <= 1
    assert not np.array_equal(frames[0], frames[-1])
    panel.filmstrip.setCurrentRow(2)
    assert w.preview.state.title == "Prompt walk" and np.array_equal(w.preview.shown_image, frames[2])
    _grab(panel.filmstrip)
    # The walk put the arithmetic embedding back: point 5 decodes as the expression did.
    assert np.abs(_click(qtbot, w, 5).astype(int) - expected.astype(int)).max() <= 1

    w.preview.shown_image = None
    panel.reset_button.click()
    qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=60000)
    assert w.preview.state.title == "The prompt" and "embedding" not in dict(w.preview.state.rows)
    assert np.abs(w.preview.shown_image.astype(int) - w.session.bank.thumbnails[5].astype(int)).max() <= 2


def test_a_long_prompt_walk_shows_progress_and_cancels(qtbot, config_dir, pipeline):
    w = _open(qtbot, pipeline)
    before = _click(qtbot, w, 1)
    w.prompts.walk("a man", "a woman", "slerp", 64)
    qtbot.waitUntil(lambda: w.jobs.progress_bar.maximum() == 64, timeout=60000)
    assert w.jobs.cancel_button.isVisible()
    _grab(w.statusBar())
    w.jobs.cancel()
    qtbot.waitUntil(lambda: not w.jobs.busy(), timeout=60000)
    assert w.prompt_panel.filmstrip.count() == 0
    assert np.array_equal(_click(qtbot, w, 1), before)  # the prompt's own embedding is back


def test_the_prompt_tab_is_off_for_a_dcgan(qtbot, config_dir, tiny_checkpoints):
    w = _open(qtbot, tiny_checkpoints["gan"])
    panel = w.prompt_panel
    assert not any(box.isEnabled() for box in panel.sections)
    assert panel.hint.isVisible() and "text-to-image" in panel.hint.text()
    panel.prompt_edit.setText("a man")
    panel.apply_button.click()  # disabled: nothing happens, nothing is sent
    w.prompts.apply_prompt("a man")
    assert not w.jobs.busy()
    _grab(w.docks["Prompt"])


def test_walks_over_x_t_keep_each_frame_on_the_prior_shell(qtbot, config_dir, pipeline):
    """x_T of a text-to-image model is diffusion noise, as a DDIM model's is: a lerp walk is
    rescaled to the interpolated norm (a plain lerp midpoint of two independent draws is
    about 1/√2 as long, where the sampler never starts)."""
    w = _open(qtbot, pipeline)
    for i in (1, 2):
        w.points.select_point(i)
        w.walks.add_waypoint()
    w.walks.walk_path("lerp", 5)
    frames = w.walks.frames
    a, b = (np.linalg.norm(w.session.bank.latents[i]) for i in (1, 2))
    assert np.isclose(np.linalg.norm(frames[2]), (a + b) / 2, rtol=1e-4)
    w.close()


def test_a_saved_session_reopens_with_its_prompt(qtbot, config_dir, state_dir, pipeline, tmp_path):
    """The thumbnails of a session were decoded with its prompt; the freshly loaded model must
    decode clicks with the same prompt (it would decode with "" and disagree with them)."""
    w = _open(qtbot, pipeline)
    with qtbot.waitSignal(w.models.bankShown, timeout=60000):
        w.prompts.apply_prompt("a woman", "hat", 4.0)
    path = tmp_path / "prompted.lesession"
    assert w.sessions.save_as(str(path))
    thumb = np.array(w.session.bank.thumbnails[2])
    w.close()
    again = MainWindow(str(path), threads=1)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.session.bank is not None, timeout=60000)
    assert again.session.bank.recipe["prompt"] == "a woman"
    qtbot.wait(300)  # the prompt request goes before the click's decode in the worker's queue
    image = _click(qtbot, again, 2)
    assert np.abs(image.astype(int) - thumb.astype(int)).max() <= 1
    assert dict(again.preview.state.rows)["prompt"] == "a woman"
    again.close()
    # The export command (no window) decodes with the session's prompt too, and records it.
    from explorer.cli import main

    out = tmp_path / "exported"
    assert main(["export", str(path), "--all", "--split-by", "none", "--out", str(out)]) == 0
    record = json.loads((out / "metadata.jsonl").read_text().splitlines()[2])
    assert (record["recipe"]["prompt"], record["recipe"]["negative_prompt"], record["recipe"]["guidance"]) == \
        ("a woman", "hat", 4.0)
    from PIL import Image

    exported = np.asarray(Image.open(out / record["file_name"]).convert("RGB"))
    assert np.abs(exported.astype(int) - thumb.astype(int)).max() <= 2


def test_the_prompt_tab_is_there_only_for_a_text_to_image_model(qtbot, config_dir, pipeline, tiny_checkpoints):
    """Eight tabs elided every title: the family tabs show only for their models."""
    w = _open(qtbot, pipeline)
    assert w.docks["Prompt"].isVisible() and not w.docks["StyleGAN"].isVisible()
    w.models.open_checkpoint(str(tiny_checkpoints["vae"]))
    qtbot.waitUntil(lambda: w.models.info is not None and w.models.info.family == "vae", timeout=60000)
    assert not w.docks["Prompt"].isVisible()
    w.close()
