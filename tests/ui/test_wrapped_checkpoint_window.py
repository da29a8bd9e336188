"""A Lightning checkpoint holding a generator and a discriminator, opened in the window: it says which it opened."""

from __future__ import annotations

import torch

from explorer.ui.main_window import MainWindow
from tests.models.test_readers import small_netg_state
from tests.models.test_wrappers import LIGHTNING_GAN_NOTE, discriminator_state, lightning, prefixed


def test_the_window_opens_the_generator_and_says_so(qtbot, config_dir, tmp_path):
    path = tmp_path / "epoch=24-step=1200.ckpt"
    torch.save(lightning({**prefixed("generator.", small_netg_state()),
                          **prefixed("discriminator.", discriminator_state())}), path)
    w = MainWindow(str(path), bank_size=50, threads=1)
    qtbot.addWidget(w)
    with qtbot.waitExposed(w):
        w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=60000)
    expected = f"Opened {path.name}: pytorch/examples DCGAN generator (nz=8, ngf=4, 16×16 RGB); {LIGHTNING_GAN_NOTE}"
    # Shown for 8 s once the window is idle after opening: polled, not slept for.
    qtbot.waitUntil(lambda: w.statusBar().currentMessage() == expected, timeout=60000)

    assert LIGHTNING_GAN_NOTE in w.models.model_label.toolTip()
    pixmap = w.statusBar().grab()
    assert not pixmap.isNull() and pixmap.width() > 100
    w.close()
