"""A checkpoint is hashed once per version: cached by path, size and mtime."""

from __future__ import annotations

import hashlib
import os

from explorer.core import file_hash


def test_a_file_is_read_once_until_it_changes(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"weights" * 1000)
    opened = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda p, *a, **k: (opened.append(p), real_open(p, *a, **k))[1])
    first = file_hash.file_sha256(path)
    assert first == hashlib.sha256(b"weights" * 1000).hexdigest()
    assert file_hash.file_sha256(path) == first and len(opened) == 1
    path.write_bytes(b"other weights")
    os.utime(path, ns=(1, 1))
    assert file_hash.file_sha256(path) == hashlib.sha256(b"other weights").hexdigest() and len(opened) == 2


def test_a_folder_hash_changes_with_a_file_name_or_content(tmp_path):
    (tmp_path / "unet").mkdir()
    (tmp_path / "unet" / "config.json").write_text("{}")
    first = file_hash.file_sha256(tmp_path)
    (tmp_path / "unet" / "config.json").write_text('{"a": 1}')
    second = file_hash.file_sha256(tmp_path)
    (tmp_path / "unet" / "config.json").rename(tmp_path / "unet" / "other.json")
    assert len({first, second, file_hash.file_sha256(tmp_path)}) == 3
