"""Messages that name the right cause: bad option values name the option in one
line, and a hostile pickle in the window is one warning line on the terminal
with its traceback only in the log (issue 11)."""

from __future__ import annotations

import logging
import os

import pytest
import torch

from explorer.cli import main


def _refused(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert info.value.code == 2 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_negative_seed_names_the_option(capsys, tmp_path):
    line = _refused(capsys, ["sample", "toyfaces_vae", "--seed", "-1", "--out", str(tmp_path)])
    assert "--seed" in line and "must be >= 0, got -1" in line


def test_an_unknown_device_names_the_option_and_the_choices(capsys, tmp_path):
    line = _refused(capsys, ["sample", "toyfaces_vae", "--device", "banana", "--out", str(tmp_path)])
    assert "--device" in line and "'banana'" in line and "cuda:N" in line


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("command", ["sample", "encode", "arithmetic", "evaluate"])
def test_cuda_without_cuda_is_one_line(capsys, tmp_path, command):
    extra = {"encode": ["x.png"], "arithmetic": ["--expr", "a"]}.get(command, [])
    line = _refused(capsys, [command, "toyfaces_vae", *extra, "--device", "cuda", "--out", str(tmp_path / "o")])
    assert "--device" in line and "CUDA was asked for, but torch sees no CUDA device" in line


def test_a_huge_scale_is_refused_before_any_work(capsys, tmp_path):
    line = _refused(capsys, ["arithmetic", "toyfaces_vae", "--expr", "a", "--scale", "100000",
                             "--out", str(tmp_path / "r.png")])
    assert "--scale" in line and "at most 32" in line and "100000" in line


def test_usage_errors_are_one_line_too(capsys):
    line = _refused(capsys, ["sample", "--n", "3"])
    assert "required" in line and "--out" in line


# -- a hostile pickle opened in the window -------------------------------------------

class _Payload:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ['LE_PWNED']}",))


def test_hostile_pickle_in_the_window_is_one_warning_line(qtbot, config_dir, tiny_checkpoints, tmp_path,
                                                           monkeypatch, capfd):
    from explorer import app
    from explorer.ui.main_window import MainWindow

    marker = tmp_path / "pwned"
    monkeypatch.setenv("LE_PWNED", str(marker))
    hostile = tmp_path / "netG_epoch_9.pth"
    torch.save({"main.0.weight": torch.zeros(2), "x": _Payload()}, hostile)
    logfile = tmp_path / "app.log"
    monkeypatch.setenv("LATENT_EXPLORER_LOG", str(logfile))
    root = logging.getLogger()
    level = root.level
    app.setup_logging(debug=False)
    w = MainWindow(str(tiny_checkpoints["vae"]), bank_size=100, threads=1)
    qtbot.addWidget(w)
    try:
        w.show()
        qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
        capfd.readouterr()
        with qtbot.waitSignal(w.client.failed, timeout=20000):
            w.models.open_checkpoint(str(hostile))
        qtbot.wait(50)  # let the GUI thread log its side too
        err = capfd.readouterr().err
        shown = w.message_bar.text()
    finally:
        w.close()
        for handler in [h for h in root.handlers if getattr(h, app._OURS, False)]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
    assert not marker.exists()
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("latent-explorer: warning:") and str(hostile) in lines[0]
    assert "Traceback" not in err and "weights_only=False" not in err
    log_text = logfile.read_text()
    assert "Traceback" in log_text and str(hostile) in log_text
    assert str(hostile) in shown and "refused for safety" in shown
