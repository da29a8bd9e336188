"""Shared fixtures. Qt runs offscreen; models are tiny and made here."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never read or write the user's bank cache; each test session gets its own.
os.environ["LATENT_EXPLORER_CACHE_DIR"] = __import__("tempfile").mkdtemp(prefix="le-bank-cache-")
# Nor the user's autosaves and last session.
os.environ["LATENT_EXPLORER_STATE_DIR"] = __import__("tempfile").mkdtemp(prefix="le-state-")

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _few_threads():
    import torch

    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _collect_garbage_in_the_main_thread():
    """As the app does (``run_gui``): no automatic cyclic GC, which could run in the
    inference worker's thread and destroy a closed window's Qt objects there (a
    segfault); collect between tests, in the main thread, instead."""
    import gc

    gc.disable()
    yield
    gc.collect()
    gc.enable()


@pytest.fixture
def tiny_checkpoints(tmp_path_factory):
    """Random-weight native checkpoints of every family (16×16 toyfaces)."""
    from tests.models.factories import make_all

    return make_all(tmp_path_factory.mktemp("ckpt"))


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    """Settings (recent files, device) go to a temporary folder, not the user's."""
    folder = tmp_path / "config"
    monkeypatch.setenv("LATENT_EXPLORER_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    """Autosaves and the last session go to this test's own folder."""
    folder = tmp_path / "state"
    monkeypatch.setenv("LATENT_EXPLORER_STATE_DIR", str(folder))
    return folder


@pytest.fixture
def disk_full_after_first_array(monkeypatch):
    """A function that makes ``np.save`` write one array, then fail as a full disk
    would; it returns the list of calls (``monkeypatch.undo()`` ends it)."""
    import numpy as np

    def arm() -> list:
        real_save, calls = np.save, []

        def failing_save(*args, **kwargs):
            calls.append(1)
            if len(calls) > 1:
                raise OSError(28, "No space left on device")
            real_save(*args, **kwargs)

        monkeypatch.setattr(np, "save", failing_save)
        return calls

    return arm


@pytest.fixture
def client(qtbot):
    """An inference client with its worker thread; closed (and joined) afterwards."""
    from explorer.inference.client import InferenceClient

    c = InferenceClient(threads=1)
    yield c
    c.close()
