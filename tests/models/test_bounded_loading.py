"""Hostile checkpoints are refused in one line, in bounded memory and time (issue 11).

Every load runs in a fresh process under an address-space limit
(``RLIMIT_AS``, :data:`MEMORY_LIMIT`) and a timeout, as a user's shell
would run ``latent-explorer sample FILE``: a file that made the loader
allocate gigabytes ends there in a MemoryError ("unexpected …", exit 1) and
fails the test, instead of passing quietly on a machine with memory to spare.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.models.factories import make_vae

ROOT = Path(__file__).resolve().parents[2]
# torch, safetensors and the CLI import in well under 1 GiB of address space here.
MEMORY_LIMIT = 2 << 30
SECONDS = 30

_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
sys.path.insert(0, {root!r})
{prelude}
from explorer.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_limited(*args: str, env: dict | None = None, prelude: str = "", timeout: float = SECONDS) -> tuple[int, str, float]:
    """``latent-explorer ARGS`` in a fresh process under the memory limit: (exit status, stderr, seconds)."""
    code = _CHILD.format(limit=MEMORY_LIMIT, root=str(ROOT), prelude=prelude)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})})
    return proc.returncode, proc.stderr, time.monotonic() - start


def sample(path: Path, out: Path, **kw) -> tuple[int, str, float]:
    """``latent-explorer sample PATH --n 1 --out OUT`` under the limit."""
    return run_limited("sample", str(path), "--n", "1", "--out", str(out), **kw)


def assert_refused(result: tuple[int, str, float], path: Path, *words: str) -> str:
    """Exit status 2 and one stderr line naming ``path`` and ``words``, no traceback, in time."""
    status, err, seconds = result
    lines = err.strip().splitlines()
    assert status == 2, err[-2000:]
    assert len(lines) == 1 and "Traceback" not in err, err[-2000:]
    assert str(path) in lines[0], lines[0]
    for w in words:
        assert w in lines[0], lines[0]
    assert seconds < SECONDS
    return lines[0]


# -- raw safetensors files --------------------------------------------------------
def read_raw(path: Path) -> tuple[dict, bytes]:
    """A safetensors file's header (parsed) and its data bytes."""
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def write_raw(path: Path, header: dict | bytes, data: bytes = b"", total: int | None = None) -> Path:
    """Write a header and data; ``total`` extends the file sparsely to that many data bytes."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw + data)
        if total is not None:
            fh.truncate(8 + len(raw) + total)
    return path


def edit_config(src: Path, dst: Path, edit) -> Path:
    """Copy a native checkpoint with ``edit(config)`` applied to its header configuration."""
    header, data = read_raw(src)
    config = json.loads(header["__metadata__"]["latent_explorer"])
    edit(config)
    header["__metadata__"]["latent_explorer"] = json.dumps(config)
    return write_raw(dst, header, data)


@pytest.fixture(scope="module")
def vae(tmp_path_factory) -> Path:
    return make_vae(tmp_path_factory.mktemp("bounded") / "vae.safetensors")


# -- sizes in a configuration ------------------------------------------------------
def test_a_latent_dim_the_tensors_do_not_have_is_refused_before_anything_is_built(vae, tmp_path):
    path = edit_config(vae, tmp_path / "huge.safetensors", lambda c: c["architecture"].update(latent_dim=300_000))

    assert_refused(sample(path, tmp_path / "out"), path, "300000", "the architecture needs")


def test_latent_and_image_bounds_are_refused_with_the_value_and_can_be_raised(vae, tmp_path):
    assert_refused(sample(vae, tmp_path / "a", env={"LATENT_EXPLORER_MAX_LATENT_ELEMENTS": "4"}), vae,
                   "8 elements is larger than the 4", "LATENT_EXPLORER_MAX_LATENT_ELEMENTS")
    big = edit_config(vae, tmp_path / "big.safetensors", lambda c: c.update(image_size=100_000))
    assert_refused(sample(big, tmp_path / "b"), big, "image_size 100000", "LATENT_EXPLORER_MAX_IMAGE_SIDE")
    status, err, _ = sample(vae, tmp_path / "c", env={"LATENT_EXPLORER_MAX_LATENT_ELEMENTS": "8"})
    assert status == 0, err


def test_torchscript_sidecar_latent_shape_is_bounded_before_the_probe(tmp_path):
    from tests.models.test_readers import save_scripted

    path = save_scripted(tmp_path / "dec.pt", {"latent_shape": [1_000_000_000], "image_size": 8, "channels": 3})

    assert_refused(sample(path, tmp_path / "out"), path, "1000000000 elements is larger")


@pytest.fixture(scope="module")
def ddpm_dir(tmp_path_factory) -> Path:
    diffusers = pytest.importorskip("diffusers")
    from tests.models.test_diffusers_readers import tiny_unet

    root = tmp_path_factory.mktemp("ddpm") / "ddpm"
    diffusers.DDPMPipeline(unet=tiny_unet(), scheduler=diffusers.DDPMScheduler(num_train_timesteps=100)) \
        .save_pretrained(root, safe_serialization=True)
    return root


@pytest.mark.parametrize("change, words", [
    ({"sample_size": 100_000}, "sample_size 100000 is larger than the 4096"),
    ({"sample_size": 1024}, "3×1024×1024 = 3145728 elements is larger"),
    ({"block_out_channels": [100_000, 100_000]}, "does not match the weights"),
], ids=["sample-size-100000", "sample-size-1024", "wide-blocks"])
def test_diffusers_config_sizes_are_bounded_before_diffusers_builds(ddpm_dir, tmp_path, change, words):
    import shutil

    folder = Path(shutil.copytree(ddpm_dir, tmp_path / "ddpm"))
    config_file = folder / "unet" / "config.json"
    config_file.write_text(json.dumps({**json.loads(config_file.read_text()), **change}))

    line = assert_refused(sample(folder, tmp_path / "out"), folder, words)
    assert "MemoryError" not in line


# -- headers -------------------------------------------------------------------------
def test_a_header_with_a_million_empty_tensors_is_refused_before_parsing(tmp_path):
    entry = '"t%d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}'
    many = ("{" + ",".join(entry % i for i in range(1_500_000)) + "}").encode()
    path = write_raw(tmp_path / "many.safetensors", many)
    assert_refused(sample(path, tmp_path / "a"), path, "larger than the")

    fewer = ("{" + ",".join(entry % i for i in range(100_000)) + "}").encode()  # under the byte bound
    path = write_raw(tmp_path / "fewer.safetensors", fewer)
    assert_refused(sample(path, tmp_path / "b"), path, "100000 tensors, more than the")


def test_a_100_gb_tensor_claim_is_refused_by_its_byte_count_not_by_mmap(tmp_path):
    header = {"w": {"dtype": "F32", "shape": [25 << 30], "data_offsets": [0, 100 << 30]}}
    path = write_raw(tmp_path / "claim.safetensors", header, b"\0" * 64)

    assert_refused(sample(path, tmp_path / "out"), path, f"declares {100 << 30} bytes of data but the file has 64")


def test_an_unknown_10_gb_tensor_is_refused_without_reading_it(vae, tmp_path):
    header, data = read_raw(vae)
    size = 10 << 30
    header["extra.big"] = {"dtype": "U8", "shape": [size], "data_offsets": [len(data), len(data) + size]}
    path = write_raw(tmp_path / "extra.safetensors", header, data, total=len(data) + size)  # sparse

    assert_refused(sample(path, tmp_path / "out"), path, "unknown tensors extra.big")


def test_training_state_beside_the_weights_is_not_read(vae, tmp_path):
    header, data = read_raw(vae)
    size = 10 << 30
    header["optimizer.vae.0.exp_avg"] = {"dtype": "U8", "shape": [size], "data_offsets": [len(data), len(data) + size]}
    path = write_raw(tmp_path / "training.safetensors", header, data, total=len(data) + size)
    code = (f"from models.loading import load_latent_model; m = load_latent_model({str(path)!r}); "
            "print(m.decode(m.sample_latents(0, [0])).shape)")

    status, err, seconds = run_limited(prelude=code + "; sys.exit(0)")

    assert status == 0 and seconds < SECONDS, err[-2000:]


def test_deeply_nested_json_in_a_header_or_sidecar_is_one_line(vae, tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    header, data = read_raw(vae)
    header["__metadata__"]["latent_explorer"] = header["__metadata__"]["latent_explorer"][:-1] + f', "x": {deep}}}'
    path = write_raw(tmp_path / "deep.safetensors", header, data)
    assert_refused(sample(path, tmp_path / "a"), path, "nested too deeply")

    from tests.models.test_readers import save_scripted

    scripted = save_scripted(tmp_path / "dec.pt")
    (tmp_path / "dec.pt.json").write_text('{"latent_shape": ' + deep + "}")
    assert_refused(sample(scripted, tmp_path / "b"), tmp_path / "dec.pt.json", "nested too deeply")


@pytest.mark.parametrize("module, call", [
    ("explorer.core.expressions", lambda m, t: m.evaluate(t, {"a": __import__("numpy").ones(2)})),
    ("explorer.core.queries", None),
])
def test_a_5000_deep_expression_or_query_is_refused_by_position(module, call):
    import numpy as np

    from explorer.core.expressions import ExpressionError

    text = "(" * 5000 + "a" + ")" * 5000
    with pytest.raises(ExpressionError, match="nested too deeply") as caught:
        if call is not None:
            call(__import__(module, fromlist=["x"]), text)
        else:
            from explorer.core.latent_bank import LatentBank
            from explorer.core.queries import query_mask

            bank = LatentBank(np.zeros((2, 2)), (2,), "t", np.zeros(2), np.arange(2), {"a": np.array([0.0, 1.0])})
            query_mask(bank, "!" * 5000 + text)
    assert isinstance(caught.value, ValueError)  # the CLI's exit status 2, one line


# -- messages that name the true cause ---------------------------------------------------
def test_a_permission_denied_file_says_so(vae, tmp_path):
    path = tmp_path / "locked.safetensors"
    path.write_bytes(vae.read_bytes())
    path.chmod(0)
    # root reads any file: drop to an unprivileged user once the code is imported.
    prelude = ("import os, models.loading, models.readers, models.readers.limits, explorer.commands.sample\n"
               "if os.geteuid() == 0: os.setgid(65534); os.setuid(65534)\n"
               f"from models.errors import CheckpointError\n"
               f"try: models.loading.load_latent_model({str(path)!r})\n"
               "except CheckpointError as e: print(e, file=sys.stderr); sys.exit(2)\n"
               "sys.exit(0)")
    assert_refused(run_limited(prelude=prelude), path, "permission denied")


def test_a_symlink_loop_is_not_called_missing(tmp_path):
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    a.symlink_to(b)
    b.symlink_to(a)

    line = assert_refused(sample(a, tmp_path / "out"), a, "too many levels of symbolic links")
    assert "no such file" not in line


def test_a_state_dict_under_g_ema_is_understood_and_two_are_named(tmp_path):
    from tests.models.test_readers import small_netg_state

    one = tmp_path / "ema.pth"
    torch.save({"g_ema": small_netg_state()}, one)
    status, err, _ = sample(one, tmp_path / "a")
    assert status == 0, err

    # Two state dicts, neither named as the generator: which to open is the user's call.
    two = tmp_path / "both.pth"
    torch.save({"run1": small_netg_state(), "run2": small_netg_state()}, two)
    line = assert_refused(sample(two, tmp_path / "b"), two, "state dicts under 'run1'", "'run2'")
    assert "holds no tensors (" not in line


# -- non-finite weights -----------------------------------------------------------------
def test_nan_in_native_weights_is_refused_naming_the_tensor(vae, tmp_path):
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(vae))
    tensors["vae.fc_dec.weight"][0, 0] = float("nan")
    header, _ = read_raw(vae)
    path = tmp_path / "nan.safetensors"
    save_file(tensors, str(path), metadata=header["__metadata__"])

    assert_refused(sample(path, tmp_path / "out"), path, "tensor vae.fc_dec.weight holds NaN")


def test_inf_in_a_state_dict_is_refused_naming_the_tensor(tmp_path):
    from tests.models.test_readers import small_netg_state

    state = small_netg_state()
    state["main.3.weight"][2] = float("inf")
    path = tmp_path / "netG_epoch_1.pth"
    torch.save(state, path)

    assert_refused(sample(path, tmp_path / "out"), path, "tensor main.3.weight holds infinite values")
