"""PyTorch ``.pt/.pth/.ckpt`` state dicts of architectures we recognise.

Loading goes only through ``torch.load(weights_only=True)``: a file that
needs arbitrary unpickling (a whole pickled ``nn.Module``, custom classes)
could run any code while loading, so it is refused, and no option loosens
that. The state dict found inside is matched against the recognised
architectures in :data:`ARCHITECTURES`.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import torch

from models.errors import CheckpointError
from models.readers import examples_dcgan, examples_vae, first_line

# Each architecture module offers NAME, matches(state) and read(state, path).
ARCHITECTURES = (examples_dcgan, examples_vae)
WRAPPER_KEYS = ("state_dict", "model", "netG", "generator", "g_ema", "ema")


def read_torch_file(path: str | Path, device: str = "cpu"):
    """Read a PyTorch state dict of a recognised architecture as a LatentModel.

    Parameters
    ----------
    path
        A file written by ``torch.save(state_dict, path)``, the state dict
        bare or wrapped under one of :data:`WRAPPER_KEYS`, its keys perhaps
        prefixed by ``module.`` (``nn.DataParallel``).
    device
        Where the model's modules go.

    Raises
    ------
    CheckpointError
        Naming the file: unreadable, unsafe to unpickle, or of an
        architecture not recognised, or whose tensors do not fit it.
    """
    from models.readers.limits import check_finite

    path = Path(path)
    state = load_state_dict(path)
    check_finite(path, state)
    for arch in ARCHITECTURES:
        if arch.matches(state):
            return arch.read(state, path).to(device)
    raise CheckpointError(_unrecognised(path, state))


def load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a ``torch.save`` file, unwrapped and without ``module.``."""
    return _unwrap(_safe_load(path), path)


def _safe_load(path: Path) -> Any:
    from models.readers.limits import check_readable

    st = check_readable(path)  # the OS's reason (permission denied, a symlink loop), not torch's guess
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a PyTorch checkpoint file")
    if st.st_size == 0:
        raise CheckpointError(f"{path}: the file is empty")
    try:
        # map_location: a state dict saved on a GPU must open on a CPU-only machine.
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(_unpickling_message(path, str(exc))) from exc
    except Exception as exc:  # torch raises EOFError, RuntimeError, KeyError… for damaged files
        raise CheckpointError(f"{path}: not a PyTorch checkpoint, or damaged or truncated ({first_line(exc)})") from exc


def _unpickling_message(path: Path, text: str) -> str:
    # The weights-only unpickler says "GLOBAL <name>" or "allowlist" when the
    # file asks for a Python object; anything else means the bytes are garbage.
    if "GLOBAL" not in text and "allowlist" not in text:
        return f"{path}: not a PyTorch checkpoint, or damaged ({first_line(text.split('error:')[-1])})"
    found = re.search(r"GLOBAL (\S+)", text)
    what = f" ({found.group(1)})" if found else ""
    return (
        f"{path}: the file stores Python objects{what} that would have to run code to load; "
        "this is refused for safety. Re-save only the weights with "
        "torch.save(model.state_dict(), path) and open that file instead"
    )


def _unwrap(obj: Any, path: Path) -> dict[str, torch.Tensor]:
    if isinstance(obj, dict):
        for key in WRAPPER_KEYS:
            inner = obj.get(key)
            if isinstance(inner, dict) and any(isinstance(v, torch.Tensor) for v in inner.values()):
                obj = inner
                break
        else:
            # One state dict under a key of its own naming ({"g_ema": sd}) is as clear as a known wrapper.
            nested = [v for v in obj.values() if isinstance(v, dict) and any(isinstance(t, torch.Tensor) for t in v.values())]
            if len(nested) == 1 and not any(isinstance(v, torch.Tensor) for v in obj.values()):
                obj = nested[0]
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: holds a {type(obj).__name__}, not a state dict of tensors")
    state = {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}
    if not state:
        # Say where the tensors are when they sit one level down under a key
        # we do not unwrap ({"G": ..., "D": ...}): "holds no tensors" would be false.
        nested = [str(k) for k, v in obj.items() if isinstance(v, dict) and any(isinstance(t, torch.Tensor) for t in v.values())]
        if nested:
            raise CheckpointError(f"{path}: holds no tensors at the top level but state dicts under "
                                  f"{', '.join(repr(k) for k in nested[:5])}; re-save the generator's state dict "
                                  f"alone with torch.save(sd[{nested[0]!r}], path)")
        keys = ", ".join(map(str, list(obj)[:5]))
        raise CheckpointError(f"{path}: holds no tensors (keys: {keys or 'none'})")
    if all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return state


def _unrecognised(path: Path, state: dict[str, torch.Tensor]) -> str:
    keys = list(state)
    more = f", … ({len(keys)} tensors)" if len(keys) > 4 else ""
    hints = [h for h in (examples_dcgan.hint(state),) if h]
    return (
        f"{path}: not a recognised architecture (tensors {', '.join(keys[:4])}{more}). "
        f"Recognised: {'; '.join(a.NAME for a in ARCHITECTURES)}"
        + "".join(f". {h}" for h in hints)
    )
