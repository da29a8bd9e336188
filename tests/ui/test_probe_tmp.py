import shutil, numpy as np
from pathlib import Path
from tests.ui.test_sessions import *  # noqa

def test_probe_failed_model_then_other(qtbot, windows, tiny_checkpoints, tmp_path):
    w = windows(tiny_checkpoints["vae"])
    w.arith.define_vector("man", "query", "male", "mean")
    path = tmp_path / "s.lesession"
    assert w.sessions.save_as(path)
    junk = tmp_path / "junk.safetensors"; junk.write_bytes(b"junk")
    w.sessions.open_session(path, model_path=str(junk), check=False)
    qtbot.waitUntil(lambda: bool(w.message_bar.text()), timeout=10000)
    print("MSG", w.message_bar.text(), w.sessions._pending is not None)
    with qtbot.waitSignal(w.client.bankReady, timeout=30000):
        w.models.open_checkpoint(str(tiny_checkpoints["gan"]))
    qtbot.wait(50)
    print("after gan:", w.models.info.family, w.session.bank.source, w.sessions.path, w.session.vectors.names())

def test_probe_ddpm_anyway(qtbot, windows, tiny_checkpoints, tmp_path):
    model = tmp_path / "m.safetensors"; shutil.copy(tiny_checkpoints["vae"], model)
    w = windows(model)
    path = tmp_path / "s.lesession"
    assert w.sessions.save_as(path)
    shutil.copy(tiny_checkpoints["ddpm"], model)
    w.sessions.open_session(path, check=False)
    qtbot.wait(3000)
    print("ddpm:", w.models.info.family, w.models.info.latent_shape, w.session.bank.latents.shape, w.sessions.path, w.message_bar.text())
    w.points.select_point(3)
    qtbot.wait(2000)
    print("click:", w.message_bar.text())
