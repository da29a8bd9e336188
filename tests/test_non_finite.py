"""NaN and infinity are said, not drawn: non-finite latents or images are
caught before they are written or shown (issue 11)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.cli import main
from models.contract import NonFiniteError
from models.loading import load_latent_model
from models.nets.vae import ConvVAE


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def nan_encoder(monkeypatch):
    """A VAE encoder that gives NaN (as damaged weights would), for every model built afterwards."""
    real = ConvVAE.encode

    def encode(self, x):
        mu, logvar = real(self, x)
        return torch.full_like(mu, float("nan")), logvar

    monkeypatch.setattr(ConvVAE, "encode", encode)


def _png(path, seed=0):
    from PIL import Image

    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(path)
    return path


def test_encode_refuses_nan_latents_and_writes_nothing(tiny_checkpoints, tmp_path, capsys, nan_encoder):
    images = [_png(tmp_path / "one.png"), _png(tmp_path / "two.png", 1)]
    out = tmp_path / "latents.npz"
    code = main(["encode", str(tiny_checkpoints["vae"]), *map(str, images), "--out", str(out)])
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and not out.exists()
    assert "NaN or infinite latents" in line and "one.png" in line and "two.png" in line


def test_arithmetic_with_an_infinite_result_says_so_and_writes_nothing(tiny_checkpoints, tmp_path, capsys):
    out = tmp_path / "result.png"
    code = main(["arithmetic", str(tiny_checkpoints["vae"]), "--define", "a=male", "--bank", "50",
                 "--expr", "a * 1e308 * 1e308", "--out", str(out)])
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and not out.exists()
    assert "--expr" in line and "the result is not finite" in line


def test_a_decoder_giving_nan_is_an_error_naming_the_model(tiny_checkpoints, monkeypatch):
    model = load_latent_model(tiny_checkpoints["vae"])
    monkeypatch.setattr(ConvVAE, "decode", lambda self, z: torch.full((len(z), 3, 16, 16), float("nan")))
    with pytest.raises(NonFiniteError) as info:
        model.decode(model.sample_latents(0, [0, 1]))
    assert model.info.name in str(info.value) and "NaN or infinite pixel values" in str(info.value)
    assert info.value.rows == [0, 1]


def test_infinite_latents_are_not_decoded(tiny_checkpoints):
    model = load_latent_model(tiny_checkpoints["gan"])
    z = model.sample_latents(0, [0, 1, 2])
    z[1, 0] = np.inf
    with pytest.raises(NonFiniteError) as info:
        model.decode(z)
    assert "1 of 3 latent(s)" in str(info.value) and info.value.rows == [1]


def test_nan_weights_set_after_loading_are_caught_at_encode(tiny_checkpoints):
    model = load_latent_model(tiny_checkpoints["vae"])
    with torch.no_grad():
        next(model.net.parameters()).fill_(float("nan"))
    with pytest.raises(NonFiniteError) as info:
        model.encode(np.zeros((2, 16, 16, 3), np.uint8))
    assert "the encoder gave NaN or infinite latents for 2 of 2" in str(info.value)


# -- the window ---------------------------------------------------------------

@pytest.fixture
def window(qtbot, config_dir, tiny_checkpoints):
    from explorer.ui.main_window import MainWindow

    w = MainWindow(str(tiny_checkpoints["vae"]), bank_size=100, threads=1)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    yield w
    w.close()


def test_window_infinite_expression_is_a_message_and_nothing_is_decoded(window):
    window.arith.define_vector("a", "query", "male", "mean")
    current = window.session.current
    assert window.arith.evaluate_expression("a * 1e308 * 1e308") is None
    assert "the result is not finite" in window.arithmetic.expr_error.text()
    assert window.session.current is current and "result" not in window.scatter.overlays


def test_window_nan_encoder_is_a_message_naming_the_file(qtbot, window, tmp_path, nan_encoder):
    image = _png(tmp_path / "mine.png")
    before = len(window.session.bank)
    with qtbot.waitSignal(window.client.failed, timeout=20000):
        window.encoder.encode_images([str(image)])
    text = window.message_bar.text()
    assert "NaN or infinite latents" in text and "mine.png" in text
    assert len(window.session.bank) == before
