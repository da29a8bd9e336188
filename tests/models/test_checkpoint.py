"""Every malformed checkpoint gives one CheckpointError naming the file."""

import json
import os

import pytest
import torch

from models.checkpoint import META_KEY, read_checkpoint, save_checkpoint
from models.errors import CheckpointError
from models.loading import load_model
from tests.models.factories import VAE_ARCH, make_vae


def test_round_trip_keeps_config_and_weights(tmp_path):
    path = make_vae(tmp_path / "v.safetensors")
    config, tensors = read_checkpoint(path)
    assert config["family"] == "vae" and config["format_version"] == 1
    assert config["architecture"] == VAE_ARCH
    assert all(t.dtype == torch.float32 for t in tensors.values() if t.is_floating_point())


def test_half_storage_loads_as_float32(tmp_path):
    path = tmp_path / "h.safetensors"
    save_checkpoint(path, {"x": torch.ones(3)}, {"family": "vae", "architecture": {}, "image_size": 8, "channels": 1}, half=True)
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        assert f.get_tensor("x").dtype == torch.float16
    assert read_checkpoint(path)[1]["x"].dtype == torch.float32


def _write_raw(path, tensors, metadata):
    from safetensors.torch import save_file

    save_file(tensors, str(path), metadata=metadata)
    return path


@pytest.mark.parametrize(
    "maker, message",
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_bytes(os.urandom(4096)), "not a valid safetensors"),
        (lambda p: _write_raw(p, {"a": torch.zeros(2)}, None), "no 'latent_explorer'"),
        (lambda p: _write_raw(p, {"a": torch.zeros(2)}, {META_KEY: "{not json"}), "not valid JSON"),
        (lambda p: _write_raw(p, {"a": torch.zeros(2)}, {META_KEY: json.dumps({"family": "vae"})}), "lacks"),
        (lambda p: _write_raw(p, {"a": torch.zeros(2)}, {META_KEY: json.dumps(
            {"format_version": 1, "family": "flow", "architecture": {}, "image_size": 8, "channels": 3})}), "unknown family"),
        (lambda p: _write_raw(p, {"a": torch.zeros(2)}, {META_KEY: json.dumps(
            {"format_version": 99, "family": "vae", "architecture": {}, "image_size": 8, "channels": 3})}), "format version"),
        (lambda p: _write_raw(p, {"a": torch.zeros(2)}, {META_KEY: json.dumps(
            {"format_version": 1, "family": "vae", "architecture": {"type": "Nope"}, "image_size": 8, "channels": 3})}), "unknown architecture"),
        (lambda p: _write_raw(p, {"a": torch.zeros(2)}, {META_KEY: json.dumps(
            {"format_version": 1, "family": "vae", "architecture": VAE_ARCH, "image_size": 16, "channels": 3})}), "missing tensors"),
    ],
)
def test_malformed_files_raise_checkpoint_error_naming_the_file(tmp_path, maker, message):
    path = tmp_path / "bad.safetensors"
    maker(path)
    with pytest.raises(CheckpointError) as info:
        load_model(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_truncated_file(tmp_path):
    path = make_vae(tmp_path / "v.safetensors")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        load_model(path)


def test_wrong_tensor_shape_is_named(tmp_path):
    path = make_vae(tmp_path / "v.safetensors")
    config, tensors = read_checkpoint(path)
    tensors["vae.fc_mu.weight"] = torch.zeros(3, 3)
    save_checkpoint(path, tensors, config)
    with pytest.raises(CheckpointError, match=r"vae\.fc_mu\.weight has shape \(3, 3\)"):
        load_model(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_model(tmp_path / "nothing.safetensors")
    with pytest.raises(CheckpointError, match="is a folder"):
        load_model(tmp_path)


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path):
    path = make_vae(tmp_path / "v.safetensors")
    before = path.read_bytes()

    class Boom(Exception):
        pass

    def failing(_tmp):
        raise Boom

    from models.checkpoint import atomic_write_bytes

    with pytest.raises(Boom):
        atomic_write_bytes(path, failing)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["v.safetensors"]
