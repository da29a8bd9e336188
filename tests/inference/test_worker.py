"""The inference worker through its client: real models, real thread, offscreen Qt."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QElapsedTimer, QTimer

from explorer.inference.requests import Decode
from models.loading import load_latent_model


def _load(qtbot, client, path):
    with qtbot.waitSignal(client.modelLoaded, timeout=20000) as blocker:
        client.load(str(path), "cpu")
    return blocker.args[0]


def test_requests_must_be_immutable():
    req = Decode(np.zeros((1, 4)), "click")
    assert not req.latents.flags.writeable
    try:
        req.purpose = "hover"
    except Exception as exc:
        assert "frozen" in type(exc).__name__.lower() or "cannot assign" in str(exc)
    else:
        raise AssertionError("a request could be changed after it was made")


def test_every_response_arrives_with_the_right_images(qtbot, client, tiny_checkpoints):
    info = _load(qtbot, client, tiny_checkpoints["vae"])["info"]
    assert info.family == "vae"
    model = load_latent_model(tiny_checkpoints["vae"])
    latents = model.sample_latents(0, np.arange(12))
    got = []
    client.decoded.connect(lambda req, imgs: got.append((req.tag, imgs)))
    for i in range(12):  # "batch" decodes are not interactive: none may be dropped
        client.decode(latents[i:i + 1], purpose="batch", tag=i)
    qtbot.waitUntil(lambda: len(got) == 12, timeout=20000)
    assert [t for t, _ in got] == list(range(12))
    expected = model.decode(latents)
    for i, imgs in got:
        assert imgs.dtype == np.uint8 and np.array_equal(imgs[0], expected[i])


def test_interactive_requests_supersede_and_stale_responses_are_dropped(qtbot, client, tiny_checkpoints):
    _load(qtbot, client, tiny_checkpoints["ddpm"])
    model = load_latent_model(tiny_checkpoints["ddpm"])
    got = []
    client.decoded.connect(lambda req, imgs: got.append(req))
    # Keep the worker busy, then fire a burst of hovers at it.
    client.decode(model.sample_latents(0, np.arange(64)), purpose="batch", tag="busy")
    hovers = [client.decode(model.sample_latents(1, [i]), purpose="hover", tag=i) for i in range(15)]
    qtbot.waitUntil(lambda: any(r.tag == hovers[-1].tag for r in got), timeout=30000)
    qtbot.wait(200)
    hover_answers = [r for r in got if r.purpose == "hover"]
    assert hover_answers == [hovers[-1]]  # every earlier hover was superseded or dropped
    assert [r.tag for r in got if r.purpose == "batch"] == ["busy"]


def test_a_failure_is_reported_and_the_worker_keeps_serving(qtbot, client, tiny_checkpoints, tmp_path):
    _load(qtbot, client, tiny_checkpoints["vae"])
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"garbage")
    with qtbot.waitSignal(client.failed, timeout=10000) as blocker:
        client.load(str(bad), "cpu")
    assert str(bad) in blocker.args[1]
    with qtbot.waitSignal(client.failed, timeout=10000) as blocker:
        client.decode(np.zeros((1, 3), np.float32), purpose="batch")  # wrong latent size for this model
    assert "latents of shape" in blocker.args[1]
    # The previously loaded model still answers.
    with qtbot.waitSignal(client.decoded, timeout=10000) as blocker:
        client.decode(np.zeros((1, 8), np.float32), purpose="click")
    assert blocker.args[1].shape == (1, 16, 16, 3)


def test_long_jobs_report_progress_and_can_be_cancelled(qtbot, client, tiny_checkpoints):
    _load(qtbot, client, tiny_checkpoints["ddpm"])
    seen = []
    req = client.build_bank(n=4000)

    def on_progress(r, done, total):
        seen.append(done)
        if len(seen) == 2:
            client.cancel(req)

    client.progress.connect(on_progress)
    with qtbot.waitSignal(client.cancelled, timeout=60000) as blocker:
        pass
    assert blocker.args[0].id == req.id
    assert len(seen) >= 2 and seen[-1] < 1000


def test_the_ui_thread_keeps_turning_while_the_worker_decodes(qtbot, client, tiny_checkpoints):
    """A 5 ms timer keeps firing while the worker runs a long decode.

    The bound is deliberately loose (this VM stalls for tens of ms even when
    idle); the real figure is measured by ``latent-explorer bench``.
    """
    _load(qtbot, client, tiny_checkpoints["ddpm"])
    model = load_latent_model(tiny_checkpoints["ddpm"])
    gaps, clock, last = [], QElapsedTimer(), [0]
    clock.start()

    def tick():
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    done = []
    client.decoded.connect(lambda req, imgs: done.append(imgs))
    t0 = time.perf_counter()
    timer.start()
    client.decode(model.sample_latents(0, np.arange(256)), purpose="batch")
    qtbot.waitUntil(lambda: bool(done), timeout=60000)
    timer.stop()
    busy_ms = (time.perf_counter() - t0) * 1000
    assert busy_ms > 100, "the job was too short to say anything"
    assert len(gaps) > busy_ms / 5 / 4  # at least a quarter of the ticks a free thread gets
    assert max(gaps[1:]) < 500


def test_closing_cancels_a_long_running_job(qtbot, tiny_checkpoints):
    """Closing the window must not wait for a job that could run for minutes."""
    from explorer.inference.client import InferenceClient

    c = InferenceClient(threads=1)
    with qtbot.waitSignal(c.modelLoaded, timeout=20000):
        c.load(str(tiny_checkpoints["ddpm"]), "cpu")
    started = []
    c.progress.connect(lambda req, done, total: started.append(done))
    c.build_bank(n=200000)  # minutes of work
    qtbot.waitUntil(lambda: bool(started), timeout=20000)
    t0 = time.perf_counter()
    c.close()
    assert time.perf_counter() - t0 < 20
