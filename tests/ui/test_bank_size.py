"""Model ▸ Bank size and ``--bank N``: the user chooses how many codes the bank holds."""

from __future__ import annotations

import pytest

from explorer.app import GuiArgs, main, parse_gui_args
from explorer.ui.settings import Settings


def _bank_size_menu(window):
    model_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Model")
    return next(a.menu() for a in model_menu.actions() if a.text() == "Bank &size")


def test_the_menu_offers_sizes_and_a_choice_rebuilds_and_is_remembered(qtbot, config_dir, tiny_checkpoints,
                                                                      monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from explorer.ui.main_window import MainWindow

    w = MainWindow(str(tiny_checkpoints["vae"]), bank_size=50, threads=1)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    menu = _bank_size_menu(w)
    labels = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert labels[:4] == ["2k codes", "10k codes", "100k codes", "1M codes"] and labels[4].startswith("Other…")
    assert w.models.bank_size_actions["other"].isChecked()  # 50 is none of the presets

    rebuilt = []
    w.models.rebuild_bank = lambda: rebuilt.append(w.models.bank_size)  # no 10k bank built here
    w.models.bank_size_actions["10k"].trigger()
    assert rebuilt == [10_000] and Settings().bank_size() == 10_000
    assert w.models.bank_size_actions["10k"].isChecked()
    del w.models.rebuild_bank  # the real rebuild from here on

    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (60, True)))
    w.models.bank_size_actions["other"].trigger()
    qtbot.waitUntil(lambda: w.session.bank is not None and len(w.session.bank) == 60, timeout=30000)
    assert Settings().bank_size() == 60 and "60" in w.models.bank_size_actions["other"].text()
    w.close()

    again = MainWindow(str(tiny_checkpoints["vae"]), threads=1)  # no size given: the remembered one
    qtbot.addWidget(again)
    assert again.models.bank_size == 60
    qtbot.waitUntil(lambda: again.session.bank is not None, timeout=30000)
    assert len(again.session.bank) == 60
    again.close()


def test_other_cancelled_keeps_the_size(qtbot, config_dir, tiny_checkpoints, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from explorer.ui.main_window import MainWindow

    w = MainWindow(None, bank_size=2000, threads=1)
    qtbot.addWidget(w)
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (0, False)))
    w.models.bank_size_actions["other"].trigger()
    assert w.models.bank_size == 2000 and w.models.bank_size_actions["2k"].isChecked()
    w.close()


def test_bank_on_the_command_line():
    assert parse_gui_args(["--bank", "5000"]) == GuiArgs(None, False, 5000)
    assert parse_gui_args(["--bank=100000", "m.safetensors", "--debug"]) == GuiArgs("m.safetensors", True, 100_000)
    assert parse_gui_args(["m.safetensors"]).bank is None


@pytest.mark.parametrize("bad", [["--bank", "-3"], ["--bank", "10**9"], ["--bank", str(10**9)], ["--bank"],
                                 ["--bank", "lots"]])
def test_a_bad_bank_size_is_a_usage_error(capsys, bad):
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert "--bank" in err and "usage: latent-explorer" in err and "Traceback" not in err
