"""``sample --where`` and ``--direction``, and the sample folder as a data set others read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.cli import main

WHERE = ["sample", "toyfaces_dcgan", "--n", "5", "--seed", "1", "--batch-size", "8", "--where", "glasses & !male",
         "--min-confidence", "0.8", "--json"]


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metadata.jsonl").read_text().splitlines()]


def _folder(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_where_keeps_only_matching_samples_and_reports_the_acceptance_rate(tmp_path, capsys):
    from explorer.core.query_confidence import query_confidence
    from models.loading import bundled_classifier_for, load_latent_model

    out = tmp_path / "glasses"
    assert main([*WHERE, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    acceptance = doc["acceptance"]
    assert acceptance["kept"] == 5 and acceptance["draws"] > 5 and acceptance["query"] == "glasses & !male"
    assert acceptance["rate"] == round(5 / acceptance["draws"], 6)
    assert f"kept 5 of {acceptance['draws']} draws" in captured.err
    records = _records(out)
    assert [r["file"] for r in records] == doc["files"] and [r["latent_row"] for r in records] == list(range(5))
    assert all(r["where"]["confidence"] >= 0.8 for r in records) and records[-1]["index"] == acceptance["draws"] - 1
    # The classifier, run again on the written images, agrees that the query holds.
    clf = bundled_classifier_for(load_latent_model("toyfaces_dcgan"))
    images = np.stack([np.asarray(Image.open(out / r["file"])) for r in records])
    probs = clf.predict(images)
    confidence = query_confidence("glasses & !male", {k: probs[:, j] for j, k in enumerate(clf.names)})
    assert (confidence >= 0.8 - 1e-3).all()
    # The candidates it skipped did not match: every one of them is below the bar.
    model = load_latent_model("toyfaces_dcgan")
    skipped = sorted(set(range(acceptance["draws"])) - {r["index"] for r in records})
    probs = clf.predict(model.decode(model.sample_latents(1, np.arange(acceptance["draws"]))[skipped], batch_size=8))
    assert (query_confidence("glasses & !male", {k: probs[:, j] for j, k in enumerate(clf.names)}) < 0.8 + 1e-3).all()


class _Interrupted(BaseException):
    pass


def test_a_where_run_is_deterministic_and_resumes_byte_identically(tmp_path, monkeypatch, capsys):
    import models.imaging

    assert main([*WHERE, "--out", str(tmp_path / "a")]) == 0
    assert main([*WHERE, "--out", str(tmp_path / "b")]) == 0
    whole = _folder(tmp_path / "a")
    assert _folder(tmp_path / "b") == whole and {"latents.npy", "README.md"} <= set(whole)
    real, calls = models.imaging.save_png, []

    def dies_after_two(path, image):
        if len(calls) == 2:
            raise _Interrupted
        calls.append(path)
        real(path, image)

    out = tmp_path / "c"
    with monkeypatch.context() as m:
        m.setattr(models.imaging, "save_png", dies_after_two)
        with pytest.raises(_Interrupted):
            main([*WHERE, "--out", str(out)])
    capsys.readouterr()
    assert main([*WHERE, "--out", str(out), "--resume"]) == 0
    assert json.loads(capsys.readouterr().out)["resumed_from"] == 2
    assert _folder(out) == whole
    # Another query is another run: a resume with it is refused, naming the option.
    assert main([*WHERE[:9], "hat", *WHERE[10:], "--out", str(out), "--resume"]) == 2
    assert "--where was glasses & !male, now hat" in capsys.readouterr().err


def test_where_errors_are_one_line(tiny_checkpoints, tmp_path, capsys):
    vae = str(tiny_checkpoints["vae"])
    cases = [
        (["sample", vae, "--where", "glasses"], "--where: no bundled classifier fits vae"),
        (["sample", "toyfaces_dcgan", "--where", "glasses & wings"], "unknown attribute 'wings'"),
        (["sample", "toyfaces_dcgan", "--where", "glasses & !glasses", "--min-confidence", "0.9", "--n", "2"],
         "kept 0 of 24 draws (0.00%), so --n 2 would take more than 200 draws"),
        (["sample", "toyfaces_dcgan", "--where", "hat", "--shard", "0/2"], "a conditional run is not sharded"),
        (["sample", "toyfaces_dcgan", "--min-confidence", "0.9"], "--min-confidence: only with --where"),
        (["sample", "toyfaces_dcgan", "--direction", "x"], "--direction: define its vectors with --define"),
        (["sample", "toyfaces_dcgan", "--where", "hat", "--engine", "ray"], "run on --engine local only"),
    ]
    for argv, message in cases:
        assert main([*argv, "--batch-size", "8", "--out", str(tmp_path / "s")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err


DIRECTION = ["--define", "g=glasses", "--define", "plain=!glasses", "--direction", "g - plain", "--strength", "1.5",
             "--bank", "64"]


def test_direction_moves_every_sample_and_records_its_recipe(tiny_checkpoints, tmp_path, capsys):
    from explorer.core.attribute_vectors import mean_vector
    from explorer.core.queries import query_mask
    from explorer.inference.bank_builder import build_bank
    from models.loading import load_latent_model

    vae = str(tiny_checkpoints["vae"])  # its bank encodes toyfaces, so the queries have attributes
    run = ["sample", vae, "--n", "6", "--seed", "2", "--batch-size", "4", "--json"]
    assert main([*run, "--out", str(tmp_path / "plain")]) == 0
    assert main([*run, *DIRECTION, "--out", str(tmp_path / "moved")]) == 0
    model = load_latent_model(vae)
    bank = build_bank(model, 64, 2)
    glasses = query_mask(bank, "glasses")
    vector = mean_vector(bank.latents, glasses) - mean_vector(bank.latents, ~glasses)
    plain, moved = _records(tmp_path / "plain"), _records(tmp_path / "moved")
    for a, b in zip(plain, moved):
        assert np.array_equal(np.asarray(b["latent"], np.float32),
                              np.asarray(a["latent"], np.float32) + np.float32(1.5) * vector)
        assert b["recipe"] == {"kind": "direction", "vector": "g - plain", "strength": 1.5,
                               "definitions": {"g": {"query": "glasses", "matches": int(glasses.sum())},
                                               "plain": {"query": "!glasses", "matches": int((~glasses).sum())}},
                               "bank": {"size": 64, "seed": 2}, "base": a["recipe"]}
        assert a["recipe"] == {"kind": "prior", "seed": 2, "index": a["index"]}
    from models.reproducible import decode_for_keeps

    latents = np.asarray([r["latent"] for r in moved], np.float32)
    images = np.concatenate([decode_for_keeps(model, latents[:4]), decode_for_keeps(model, latents[4:])])  # its batches
    assert all(np.array_equal(np.asarray(Image.open(tmp_path / "moved" / r["file"])), im)
               for r, im in zip(moved, images))
    # Shards of a --direction run merge into the single run, byte for byte.
    parts = [tmp_path / f"part{k}" for k in range(2)]
    for k, part in enumerate(parts):
        assert main([*run, *DIRECTION, "--shard", f"{k}/2", "--out", str(part)]) == 0
    assert main(["sample-merge", *map(str, parts), "--out", str(tmp_path / "merged"), "--n", "6", "--json"]) == 0
    assert _folder(tmp_path / "merged") == _folder(tmp_path / "moved")


def test_a_sample_folder_is_a_data_set_and_opens_as_a_bank(tiny_checkpoints, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # nothing written to the user's ~/.cache
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    from explorer.core.export_bank import open_export

    out = tmp_path / "s"
    assert main(["sample", str(tiny_checkpoints["gan"]), "--n", "5", "--seed", "7", "--out", str(out), "--json"]) == 0
    records = _records(out)
    assert {r["checkpoint"] for r in records} == {str(tiny_checkpoints["gan"])}  # what reproduce finds it by
    latents = np.load(out / "latents.npy", allow_pickle=False)
    assert latents.tobytes() == np.asarray([r["latent"] for r in records], np.float32).tobytes()
    assert (out / "README.md").read_text().startswith("# Latent Explorer samples")
    ds = datasets.load_dataset("imagefolder", data_dir=str(out), cache_dir=str(tmp_path / "hf"), split="train")
    assert len(ds) == 5 and ds[3]["index"] == 3 and ds[3]["latent_row"] == 3
    assert np.array_equal(np.asarray(ds[3]["image"]), np.asarray(Image.open(out / "000003.png")))
    opened = open_export(out)
    assert opened.contents.kind == "sample" and opened.bank.latents.tobytes() == latents.tobytes()
    assert list(opened.bank.seeds) == [7] * 5 and list(opened.bank.indices) == list(range(5))
    # A user's own README.md is not sample's to replace: the folder is refused.
    (out / "README.md").write_text("# My notes\n")
    assert main(["sample", str(tiny_checkpoints["gan"]), "--n", "5", "--out", str(out)]) == 2
    assert "README.md" in capsys.readouterr().err and (out / "README.md").read_text() == "# My notes\n"


def test_query_confidence_agrees_with_query_mask_at_one_half():
    from explorer.core.expressions import ExpressionError
    from explorer.core.latent_bank import LatentBank
    from explorer.core.queries import query_mask
    from explorer.core.query_confidence import query_confidence

    rng = np.random.default_rng(3)
    probs = {"male": rng.random(200), "glasses": rng.random(200), "hat": rng.random(200)}
    bank = LatentBank(latents=np.zeros((200, 2), np.float32), latent_shape=(2,), source="t", seeds=np.zeros(200),
                      indices=np.arange(200), attributes=probs)
    for query in ("glasses & !male", "male | (hat & !glasses)", "!(male & glasses)", "hat == 0 & male != 0"):
        assert np.array_equal(query_confidence(query, probs) >= 0.5, query_mask(bank, query)), query
    assert np.allclose(query_confidence("glasses & !male", probs), np.minimum(probs["glasses"], 1 - probs["male"]))
    assert np.allclose(query_confidence("male & male", probs), probs["male"])
    digits = rng.dirichlet(np.ones(10), 5)
    names = [str(d) for d in range(10)]
    assert np.allclose(query_confidence("label == 7 | label == 1", {}, names, digits),
                       np.maximum(digits[:, 7], digits[:, 1]))
    with pytest.raises(ExpressionError, match="unknown attribute 'wings'"):
        query_confidence("wings", probs)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        query_confidence("!" * 500 + "male", probs)
