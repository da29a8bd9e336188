"""The bank cache: a second opening is served from disk; damage and read-only folders are harmless."""

from __future__ import annotations

import numpy as np

from explorer.inference import bank_cache
from explorer.inference.bank_builder import build_bank
from models.loading import load_latent_model


def test_round_trip_and_key(tmp_path, monkeypatch, tiny_checkpoints):
    monkeypatch.setenv("LATENT_EXPLORER_CACHE_DIR", str(tmp_path / "cache"))
    model = load_latent_model(tiny_checkpoints["vae"])
    bank = build_bank(model, 30, 0)
    key = bank_cache.cache_key(model, 30, 0)
    assert bank_cache.load(key) is None
    bank_cache.save(key, bank)
    again = bank_cache.load(key)
    assert np.array_equal(again.latents, bank.latents) and np.array_equal(again.thumbnails, bank.thumbnails)
    assert again.source == bank.source and list(again.attributes) == list(bank.attributes)
    assert np.array_equal(again.attributes["male"], bank.attributes["male"])
    assert bank_cache.cache_key(model, 31, 0) != key and bank_cache.cache_key(model, 30, 1) != key
    import os

    st = tiny_checkpoints["vae"].stat()
    os.utime(tiny_checkpoints["vae"], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert bank_cache.cache_key(model, 30, 0) != key


def test_damaged_entry_is_ignored_and_removed(tmp_path, monkeypatch, tiny_checkpoints):
    monkeypatch.setenv("LATENT_EXPLORER_CACHE_DIR", str(tmp_path))
    model = load_latent_model(tiny_checkpoints["gan"])
    key = bank_cache.cache_key(model, 10, 0)
    (tmp_path / f"{key}.npz").write_bytes(b"not an npz")
    assert bank_cache.load(key) is None
    assert not (tmp_path / f"{key}.npz").exists()


def test_an_unwritable_cache_folder_is_not_an_error(tmp_path, monkeypatch, tiny_checkpoints):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("LATENT_EXPLORER_CACHE_DIR", str(blocker / "cache"))
    model = load_latent_model(tiny_checkpoints["gan"])
    bank_cache.save(bank_cache.cache_key(model, 10, 0), build_bank(model, 10, 0))  # no exception


def test_the_window_reopens_from_the_cache(qtbot, config_dir, tiny_checkpoints, tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_EXPLORER_CACHE_DIR", str(tmp_path / "cache"))
    from explorer.ui.main_window import MainWindow

    banks = []
    for _ in range(2):
        w = MainWindow(str(tiny_checkpoints["vae"]), bank_size=50, threads=1)
        qtbot.addWidget(w)
        qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
        banks.append(w.session.bank)
        w.close()
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    assert np.array_equal(banks[0].latents, banks[1].latents)
