"""The headline, end to end on the bundled toyfaces VAE: define glasses_man,
man and woman from attribute queries, evaluate glasses_man − man + woman,
and see a woman with glasses — in the CLI and in the window."""

from __future__ import annotations

import json

import numpy as np

from explorer.cli import main
from models.loading import load_model

QUERIES = (("glasses_man", "male & glasses"), ("man", "male & !glasses"), ("woman", "!male & !glasses"))


def test_cli_arithmetic_makes_a_woman_with_glasses(tmp_path, capsys):
    args = ["arithmetic", "toyfaces_vae", "--expr", "glasses_man - man + woman", "--out", str(tmp_path / "r.png"), "--json"]
    for name, query in QUERIES:
        args += ["--define", f"{name}={query}"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["attributes"]["glasses"] >= 0.9 and doc["attributes"]["male"] <= 0.1


def test_window_arithmetic_makes_a_woman_with_glasses(qtbot, config_dir):
    from explorer.ui.main_window import MainWindow

    w = MainWindow("toyfaces_vae", threads=1)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=60000)
    try:
        for name, query in QUERIES:
            assert w.arith.define_vector(name, "query", query, "mean") is not None
        w.arithmetic.expr_edit.setText("glasses_man - man + woman")
        w.preview.shown_image = None
        w.arithmetic.expr_edit.returnPressed.emit()
        qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=20000)
        probs = load_model("toyfaces_classifier").predict(w.preview.shown_image[None])[0]
        names = load_model("toyfaces_classifier").names
        p = dict(zip(names, probs))
        assert p["glasses"] >= 0.9 and p["male"] <= 0.1
        assert "result" in w.scatter.overlays
    finally:
        w.close()
