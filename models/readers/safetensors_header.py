"""A bounded reader of a ``.safetensors`` header: names, dtypes and shapes, no tensor data.

The format is an 8-byte little-endian header length, a JSON header of
``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
{str: str}}`` and the tensor bytes. The safetensors library parses the whole
header before saying anything (1.5 million empty entries took 27 s and
2.3 GB) and leaves a tensor that claims more bytes than the file has to fail
later as an mmap error. Here the length field is checked against the file
and a bound first, tensor entries are counted in the raw bytes before parsing,
and each entry's byte range is checked against the file, so a refusal comes
in milliseconds and says what is wrong.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import CheckpointError
from models.readers.limits import MAX_HEADER_BYTES, MAX_TENSORS, check_readable, os_cause, parse_json

DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    "U16": 2, "I16": 2, "F16": 2, "BF16": 2,
    "U32": 4, "I32": 4, "F32": 4,
    "U64": 8, "I64": 8, "F64": 8,
}


@dataclass(frozen=True)
class TensorEntry:
    """One tensor as the header describes it."""

    dtype: str
    shape: tuple[int, ...]
    nbytes: int
    offset: int  # of the first byte, from the start of the file


@dataclass(frozen=True)
class Header:
    """A checked header: the tensors by name and the string metadata."""

    tensors: dict[str, TensorEntry]
    metadata: dict[str, str]


def read_header(path: str | Path) -> Header:
    """Read and check the header of a safetensors file without reading tensor data.

    Raises
    ------
    CheckpointError
        Naming the file: unreadable (with the OS's reason), empty, a header
        length or tensor count beyond the bounds, a header that is not the
        format's JSON, or a tensor whose bytes lie outside the file.
    """
    path = Path(path)
    size = check_readable(path).st_size
    if size == 0:
        raise CheckpointError(f"{path}: the file is empty")
    if size < 8:
        raise CheckpointError(f"{path}: {size} bytes, too short for a safetensors header")
    try:
        with open(path, "rb") as fh:
            (length,) = struct.unpack("<Q", fh.read(8))
            if length > size - 8:
                raise CheckpointError(f"{path}: not a valid safetensors file, or truncated (the header declares "
                                      f"{length} bytes but the file has {size})")
            if length > MAX_HEADER_BYTES:
                raise CheckpointError(f"{path}: a header of {length} bytes is larger than the {MAX_HEADER_BYTES} "
                                      f"this app reads")
            raw = fh.read(length)
    except OSError as exc:
        raise CheckpointError(f"{path}: {os_cause(exc)}") from exc
    # Counted in the raw bytes: refusing a million entries must not cost parsing them.
    count = raw.count(b'"data_offsets"')
    if count > MAX_TENSORS:
        raise CheckpointError(f"{path}: the header lists about {count} tensors, more than the {MAX_TENSORS} "
                              f"this app reads")
    header = parse_json(raw, path, "safetensors header")
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: the safetensors header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(f"{path}: the header's __metadata__ is not a map of strings")
    data_bytes = size - 8 - length
    tensors = {name: _entry(path, name, spec, data_bytes, 8 + length) for name, spec in header.items()}
    return Header(tensors, metadata)


def _entry(path: Path, name: str, spec: Any, data_bytes: int, data_start: int) -> TensorEntry:
    if not isinstance(spec, dict):
        raise CheckpointError(f"{path}: the header entry of tensor {name} is not a JSON object")
    dtype, shape, offsets = spec.get("dtype"), spec.get("shape"), spec.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_BYTES:
        raise CheckpointError(f"{path}: tensor {name} has an unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(_natural(s) for s in shape):
        raise CheckpointError(f"{path}: tensor {name} has an invalid shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_natural(o) for o in offsets)
            and offsets[0] <= offsets[1]):
        raise CheckpointError(f"{path}: tensor {name} has invalid data_offsets {offsets!r}")
    nbytes = DTYPE_BYTES[dtype]
    for s in shape:
        nbytes *= s
    if offsets[1] - offsets[0] != nbytes:
        raise CheckpointError(f"{path}: tensor {name} of shape {tuple(shape)} needs {nbytes} bytes but its "
                              f"data_offsets span {offsets[1] - offsets[0]}")
    if offsets[1] > data_bytes:
        raise CheckpointError(f"{path}: tensor {name} declares {offsets[1]} bytes of data but the file has "
                              f"{data_bytes}; truncated or damaged")
    return TensorEntry(dtype, tuple(shape), nbytes, data_start + offsets[0])


def read_tensors(path: str | Path, header: Header, names) -> dict[str, Any]:
    """Read only the named tensors, by their checked byte ranges, as CPU tensors.

    Plain reads rather than safetensors' mmap of the whole file: a file with
    a 10 GB tensor beside the model's weights would need 10 GB of address
    space just to open, and an unused tensor is never touched here.
    """
    import torch

    dtypes = {"BOOL": torch.bool, "U8": torch.uint8, "I8": torch.int8, "U16": torch.uint16, "I16": torch.int16,
              "F16": torch.float16, "BF16": torch.bfloat16, "U32": torch.uint32, "I32": torch.int32,
              "F32": torch.float32, "U64": torch.uint64, "I64": torch.int64, "F64": torch.float64,
              "F8_E4M3": torch.float8_e4m3fn, "F8_E5M2": torch.float8_e5m2}
    out = {}
    try:
        with open(path, "rb") as fh:
            for name in names:
                entry = header.tensors[name]
                fh.seek(entry.offset)
                buf = bytearray(fh.read(entry.nbytes))
                if len(buf) != entry.nbytes:
                    raise CheckpointError(f"{path}: tensor data is damaged or truncated ({name} is cut short)")
                dtype = dtypes[entry.dtype]
                t = torch.frombuffer(buf, dtype=dtype) if buf else torch.empty(0, dtype=dtype)
                out[name] = t.reshape(entry.shape)
    except OSError as exc:
        raise CheckpointError(f"{path}: {os_cause(exc)}") from exc
    return out


def _natural(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0
