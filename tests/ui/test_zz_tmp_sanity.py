import pytest
from PySide6.QtWidgets import QComboBox
from tests.ui.painting import PaintError, Painter
from tests.ui import test_paint_everything as t
from explorer.ui.neighbours_panel import NeighboursPanel


def test_control_without_bug_does_not_raise(qtbot, config_dir, tiny_checkpoints):
    w = t._open(qtbot, str(tiny_checkpoints["vae"]), 60)
    with qtbot.capture_exceptions() as exceptions:
        p = Painter(qtbot, exceptions)
        p.paint_dock(w, "Walk")
        p.paint_dock(w, "Neighbours")
    assert exceptions == []
    w.close()


class Shadowed(NeighboursPanel):
    def __init__(self, *a):
        super().__init__(*a)
        self.metric = QComboBox()


def test_main_flow_fails_cleanly_on_the_bug(qtbot, config_dir, tmp_path, monkeypatch):
    monkeypatch.setattr("explorer.ui.main_window.NeighboursPanel", Shadowed)
    with pytest.raises(PaintError, match="not callable") as info:
        t.test_every_tab_menu_action_and_dialog_paints_without_errors(qtbot, config_dir, tmp_path, monkeypatch, "toyfaces_vae")
    print(str(info.value)[:600])
    for w in qtbot._widgets if hasattr(qtbot, "_widgets") else []:
        pass
