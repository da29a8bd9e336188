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
from models.readers import examples_dcgan, examples_vae, first_line, rosinality_stylegan2, with_detected
from models.readers.wrappers import describe_source, unwrap_state_dict

# Each architecture module offers NAME, matches(state) and read(state, path).
ARCHITECTURES = (examples_dcgan, examples_vae, rosinality_stylegan2)


def read_torch_file(path: str | Path, device: str = "cpu"):
    """Read a PyTorch state dict of a recognised architecture as a LatentModel.

    Parameters
    ----------
    path
        A file written by ``torch.save(state_dict, path)``, the state dict
        bare or in any wrapper :func:`models.readers.wrappers.unwrap_state_dict`
        understands (Lightning, ``{"g_ema": …}``, ``module.`` prefixes…);
        ``info.provenance["detected"]`` then ends with which part was opened.
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
    state, note = load_state_dict(path)
    check_finite(path, state)
    for arch in ARCHITECTURES:
        if arch.matches(state):
            model = arch.read(state, path)
            if note:
                model.info.provenance["wrapper"] = note
                with_detected(model, f"{model.info.provenance['detected']}; {note}")
            return model.to(device)
    raise CheckpointError(_unrecognised(path, state, note))


def load_state_dict(path: Path) -> tuple[dict[str, torch.Tensor], str]:
    """The tensors of a ``torch.save`` file, unwrapped, and a note saying from where (see unwrap_state_dict)."""
    return unwrap_state_dict(_safe_load(path), path)


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
        # Rosinality's training checkpoint gets its own words: which command saves the weights alone.
        message = rosinality_stylegan2.training_checkpoint_message(path) or _unpickling_message(path, str(exc))
        raise CheckpointError(message) from exc
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


def _unrecognised(path: Path, state: dict[str, torch.Tensor], note: str = "") -> str:
    keys = list(state)
    more = f", … ({len(keys)} tensors)" if len(keys) > 4 else ""
    hints = [h for h in (examples_dcgan.hint(state),) if h]
    # Say where the tensors were found: a nested state dict is not "no tensors".
    where = f"holds {describe_source(note)} with {len(keys)} tensors, " if note else ""
    return (
        f"{path}: {where}not a recognised architecture (tensors {', '.join(keys[:4])}{more}). "
        f"Recognised: {'; '.join(a.NAME for a in ARCHITECTURES)}"
        + "".join(f". {h}" for h in hints)
        + ". Another architecture opens as a TorchScript decoder with a sidecar JSON (see README)"
    )

