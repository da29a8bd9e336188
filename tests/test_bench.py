"""``latent-explorer bench`` on tiny inputs: every figure is there, with the right
type and shape. No wall-clock assertion: the figures themselves are noise here."""

from __future__ import annotations

import json
import math

import pytest

from explorer.cli import main
from explorer.commands.bench import Plan, format_table, run_bench

TINY = Plan(frames=2, pick_steps=2, clicks=2, batches=2, batch_size=4, stall_s=0.1, sample_n=4, pca_n=200,
            cold_starts=1)
SIZED = ("scatter_frame_p95_ms", "scatter_frame_median_ms", "plain_scatter_frame_p95_ms")
PER_MODEL = ("click_to_image_p95_ms", "forward_ms")
NUMBERS = ("load_1m_s", "pick_1m_ms", "pick_1m_while_indexing_ms", "rss_1m_gb", "worker_throughput_ratio", "ui_stall_max_ms",
           "ui_stall_idle_max_ms", "sample_throughput_ratio", "pca_100k_s", "cold_start_s")
TEXTS = ("device", "torch", "machine")


def _check(doc: dict, sizes: list[str], models: list[str]) -> None:
    assert set(doc) == set(SIZED) | set(PER_MODEL) | set(NUMBERS) | set(TEXTS) | {"threads"}
    for key in SIZED:
        assert list(doc[key]) == sizes, key
    for key in PER_MODEL:
        assert sorted(doc[key]) == sorted(models), key
    for key in SIZED + PER_MODEL:
        assert all(isinstance(v, float) and math.isfinite(v) and v >= 0 for v in doc[key].values()), key
    for key in NUMBERS:
        assert isinstance(doc[key], float) and math.isfinite(doc[key]) and doc[key] >= 0, key
    for key in TEXTS:
        assert isinstance(doc[key], str) and doc[key], key
    assert isinstance(doc["threads"], int) and doc["threads"] >= 1


def test_run_bench_has_every_figure(qapp):
    doc = run_bench(sizes=[500, 1000], models=["toyfaces_dcgan"], plan=TINY, say=lambda s: None)
    _check(doc, ["500", "1000"], ["toyfaces_dcgan"])
    json.dumps(doc, allow_nan=False)
    table = format_table(doc)
    assert "scatter_frame_p95_ms[1000]" in table and "cold_start_s" in table


def test_cli_json_is_one_document(qapp, capsys, monkeypatch):
    import explorer.commands.bench as bench

    monkeypatch.setattr(bench, "QUICK", TINY)
    assert main(["bench", "--quick", "--json", "--sizes", "300,600", "--models", "digits_vae"]) == 0
    out = capsys.readouterr().out
    _check(json.loads(out), ["300", "600"], ["digits_vae"])


def test_bench_refuses_bad_sizes(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--sizes", "0"])
    assert exc.value.code == 2
