"""Reading and checking a session file: JSON field types, ``.npy`` headers, consistency.

Everything here raises `SchemaError` with a cause a person can act on;
`explorer.core.session_file` adds the file's name. The same consistency check
runs before saving and after loading, so a file this module accepts is one the
application could have written.
"""

from __future__ import annotations

import json
import math
import zipfile
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib import format as npy_format

from explorer.core import slides
from explorer.core.latent_bank import LatentBank
from explorer.core.vector_library import NamedVector

if TYPE_CHECKING:
    from explorer.core.session_document import SessionDocument

SESSION_VERSION = 1
FORMAT = "latent-explorer-session"
DOCUMENT = "session.json"
MAX_DOCUMENT_BYTES = 256 << 20

_TYPE_WORDS = {str: "text", int: "an integer", float: "a number", list: "a list", dict: "an object", bool: "true or false"}


class SchemaError(ValueError):
    """A session document (or a part of it) is malformed; the message is the cause."""


def _word(value: Any) -> str:
    if value is None:
        return "null"
    for kind, word in _TYPE_WORDS.items():
        if type(value) is kind:
            return word
    return type(value).__name__


def expect(value: Any, kind: type, where: str, nullable: bool = False) -> Any:
    """``value`` if it is of JSON type ``kind`` (``float`` accepts integers, ``int`` refuses booleans)."""
    if value is None and nullable:
        return None
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise SchemaError(f"{where} should be {_TYPE_WORDS[kind]}, not {_word(value)}")
    return value


def get(obj: dict, key: str, kind: type, where: str, nullable: bool = False) -> Any:
    """``obj[key]`` checked by `expect`; a missing key is an error."""
    if key not in obj:
        raise SchemaError(f"{where} has no {key!r}")
    return expect(obj[key], kind, f"{where}.{key}" if where != "session.json" else key, nullable)


def str_dict(value: Any, kind: type, where: str) -> dict:
    """A JSON object whose values are all of ``kind``."""
    expect(value, dict, where)
    return {k: expect(v, kind, f"{where}[{k!r}]") for k, v in value.items()}


def str_list(value: Any, where: str) -> list[str]:
    """A JSON list of text."""
    expect(value, list, where)
    return [expect(v, str, f"{where}[{i}]") for i, v in enumerate(value)]


def int_keys(value: dict, where: str) -> dict:
    """JSON keeps object keys as text; user_files/user_errors are keyed by bank index."""
    out = {}
    for k, v in value.items():
        try:
            out[int(k)] = v
        except ValueError:
            raise SchemaError(f"{where} has key {k!r}, which is not an integer index") from None
    return out


def read_npy(fp, member: str, declared_size: int) -> np.ndarray:
    """One ``.npy`` array from a zip member stream, never unpickling anything.

    The header is read first so an object (pickled) array is refused by name,
    and a header promising more data than the member holds is refused before
    numpy allocates room for it.
    """
    try:
        version = npy_format.read_magic(fp)
        if version == (1, 0):
            shape, _, dtype = npy_format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, _, dtype = npy_format.read_array_header_2_0(fp)
        else:
            raise SchemaError(f"{member} is a .npy array of unsupported version {version[0]}.{version[1]}")
    except ValueError as e:
        if isinstance(e, SchemaError):
            raise
        raise SchemaError(f"{member} is not a valid .npy array ({e})") from None
    if dtype.hasobject:
        raise SchemaError(f"{member} holds a pickled object, which is never loaded")
    if math.prod(shape) * dtype.itemsize > declared_size:
        raise SchemaError(f"{member} is truncated (its header promises more data than it holds)")
    fp.seek(0)
    try:
        return npy_format.read_array(fp, allow_pickle=False)
    except ValueError as e:
        raise SchemaError(f"{member} is damaged ({e})") from None


def _check_array(a: np.ndarray, where: str, dtypes: tuple, shape: tuple, finite: bool = False) -> None:
    """``a`` has one of ``dtypes`` (numpy types, or kind letters) and ``shape`` (None: any length)."""
    if not isinstance(a, np.ndarray):
        raise SchemaError(f"{where} should be an array, not {type(a).__name__}")
    if not any(a.dtype == d if not isinstance(d, str) else a.dtype.kind == d for d in dtypes):
        names = " or ".join(np.dtype(d).name if not isinstance(d, str) else {"i": "int", "u": "uint", "f": "float",
                                                                              "b": "bool"}[d] for d in dtypes)
        raise SchemaError(f"{where} should be {names}, not {a.dtype}")
    if a.ndim != len(shape) or any(s is not None and s != t for s, t in zip(shape, a.shape)):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise SchemaError(f"{where} has shape {a.shape}, expected {want}")
    if finite and a.dtype.kind == "f" and not np.isfinite(a).all():
        raise SchemaError(f"{where} holds non-finite values (NaN or infinity)")


def check_document(doc: SessionDocument) -> None:
    """Raise `SchemaError` unless every part of ``doc`` agrees with the bank."""
    bank = doc.bank
    shape = tuple(bank.latent_shape)
    if not shape or any(not isinstance(s, (int, np.integer)) or s <= 0 for s in shape):
        raise SchemaError(f"bank.latent_shape {list(shape)} is not a list of positive sizes")
    d = math.prod(shape)
    _check_array(bank.latents, "bank.latents", (np.float32,), (None, d), finite=True)
    n = len(bank.latents)
    _check_array(bank.seeds, "bank.seeds", (np.int64,), (n,))
    _check_array(bank.indices, "bank.indices", (np.int64,), (n,))
    for name, col in bank.attributes.items():
        _check_array(col, f"bank attribute {name!r}", ("f", "i", "u", "b"), (n,))
    if bank.labels is not None:
        _check_array(bank.labels, "bank.labels", (np.int64,), (n,))
        if n and (bank.labels.min() < -1 or bank.labels.max() >= len(bank.label_names)):
            raise SchemaError(f"bank.labels holds values outside -1..{len(bank.label_names) - 1}")
    if bank.thumbnails is not None:
        _check_array(bank.thumbnails, "bank.thumbnails", (np.uint8,), (n, None, None, None))
        if not 1 <= bank.thumbnails.shape[3] <= 4:
            raise SchemaError(f"bank.thumbnails has {bank.thumbnails.shape[3]} channels, expected 1 to 4")
    for what, table in (("bank.user_files", bank.user_files), ("bank.user_errors", bank.user_errors)):
        bad = [i for i in table if not 0 <= i < n]
        if bad:
            raise SchemaError(f"{what} names code {bad[0]}, but the bank has {n} codes")

    if doc.points is not None:
        _check_array(doc.points, "layout.points", (np.float32,), (n, 2), finite=True)
    for method, coords in doc.embeddings.items():
        _check_array(coords, f"layout embedding {method!r}", (np.float32,), (n, 2), finite=True)

    names = [v.name for v in doc.vectors]
    for i, v in enumerate(doc.vectors):
        if names.index(v.name) != i:
            raise SchemaError(f"vector name {v.name!r} appears more than once")
        _check_array(v.vector, f"vector {v.name!r}", (np.float32,), (d,), finite=True)
        if v.accuracy is not None and not isinstance(v.accuracy, float):
            raise SchemaError(f"vector {v.name!r} has accuracy {v.accuracy!r}, not a number")
        if not isinstance(v.count, int) or isinstance(v.count, bool) or v.count < 0:
            raise SchemaError(f"vector {v.name!r} has count {v.count!r}, not a count")
    if doc.layout_axes is not None:
        for axis in doc.layout_axes:
            if axis not in names:
                raise SchemaError(f"layout axis {axis!r} is not one of the session's vectors")
    elif doc.layout_method == "attribute axes":
        raise SchemaError("layout method 'attribute axes' without axes")

    latents = [(f"waypoint {i} ({label!r})", z) for i, (label, z) in enumerate(doc.waypoints)]
    latents += [("current latent", doc.current[1])] if doc.current is not None else []
    for where, z in latents:
        _check_array(z, where, (np.float32,), (d,), finite=True)
    if doc.selected is not None and not 0 <= doc.selected < n:
        raise SchemaError(f"selected point {doc.selected} is out of range (the bank has {n} codes)")
    if doc.selection is not None:
        _check_array(doc.selection, "selection", (np.bool_,), (n,))
    if doc.view_range is not None:
        if not all(math.isfinite(v) for pair in doc.view_range for v in pair):
            raise SchemaError("view_range holds non-finite values")
    for key, a in doc.arrays.items():
        if not isinstance(a, np.ndarray) or a.dtype.hasobject:
            raise SchemaError(f"array {key!r} should be a numeric array")
    for name, section in doc.sections.items():
        _check_section(name, section, doc.arrays)
    try:  # slides name bank points and hold latents: they must fit this bank, as the rest does
        slides.from_document(doc.sections, doc.arrays, n, d)
    except slides.SlidesError as e:
        raise SchemaError(str(e)) from None


def _check_section(name: str, section: dict, arrays: dict) -> None:
    """A section is free-form JSON; only its ``arrays`` references are checked."""
    if not isinstance(section, dict):
        raise SchemaError(f"section {name!r} should be an object, not {_word(section)}")
    refs = section.get("arrays", [])
    refs = list(refs.values()) if isinstance(refs, dict) else refs
    if not isinstance(refs, list):
        raise SchemaError(f"section {name!r}: 'arrays' should be a list or an object of array names")
    for ref in refs:
        if not isinstance(ref, str) or ref not in arrays:
            raise SchemaError(f"section {name!r} references array {ref!r}, which the session does not hold")


# ----------------------------------------------------------------------------- decoding

def _array(zf: zipfile.ZipFile, ref, where: str, nullable: bool = False) -> np.ndarray | None:
    member = expect(ref, str, where, nullable)
    if member is None:
        return None
    if not member.endswith(".npy"):
        raise SchemaError(f"{where} names {member!r}, which is not a .npy array")
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise SchemaError(f"{where}: the array {member} is missing from the file") from None
    with zf.open(info) as fp:
        return read_npy(fp, member, info.file_size)


def _labelled(zf: zipfile.ZipFile, item, where: str, key: str) -> tuple[str, np.ndarray]:
    expect(item, dict, where)
    return get(item, "label", str, where), _array(zf, get(item, key, str, where), f"{where}.{key}")


def decode_document(zf: zipfile.ZipFile, root: dict) -> dict:
    """The keyword arguments of a SessionDocument, from ``session.json`` and the arrays it names."""
    model = get(root, "model", dict, DOCUMENT)
    b = get(root, "bank", dict, DOCUMENT)
    try:
        bank = LatentBank(
            latents=_array(zf, get(b, "latents", str, "bank"), "bank.latents"),
            latent_shape=tuple(expect(s, int, "bank.latent_shape") for s in get(b, "latent_shape", list, "bank")),
            source=get(b, "source", str, "bank"),
            seeds=_array(zf, get(b, "seeds", str, "bank"), "bank.seeds"),
            indices=_array(zf, get(b, "indices", str, "bank"), "bank.indices"),
            attributes={k: _array(zf, v, f"bank attribute {k!r}")
                        for k, v in str_dict(get(b, "attributes", dict, "bank"), str, "bank.attributes").items()},
            labels=_array(zf, get(b, "labels", str, "bank", nullable=True), "bank.labels", nullable=True),
            label_names=tuple(str_list(get(b, "label_names", list, "bank"), "bank.label_names")),
            thumbnails=_array(zf, get(b, "thumbnails", str, "bank", True), "bank.thumbnails", nullable=True),
            user_files=int_keys(str_dict(get(b, "user_files", dict, "bank"), str, "bank.user_files"),
                                "bank.user_files"),
            user_errors=int_keys(str_dict(get(b, "user_errors", dict, "bank"), float, "bank.user_errors"),
                                 "bank.user_errors"))
    except SchemaError:
        raise
    except (TypeError, ValueError) as e:  # LatentBank's own length checks
        raise SchemaError(f"bank: {e}") from None
    layout = get(root, "layout", dict, DOCUMENT)
    axes = get(layout, "axes", list, "layout", nullable=True)
    if axes is not None and (len(axes) != 2 or not all(isinstance(a, str) for a in axes)):
        raise SchemaError("layout.axes should name two vectors")
    vectors = []
    for i, v in enumerate(get(root, "vectors", list, DOCUMENT)):
        where = f"vectors[{i}]"
        expect(v, dict, where)
        vectors.append(NamedVector(
            name=get(v, "name", str, where), vector=_array(zf, get(v, "vector", str, where), f"{where}.vector"),
            origin=get(v, "origin", str, where), accuracy=get(v, "accuracy", float, where, nullable=True),
            count=get(v, "count", int, where), source=get(v, "source", str, where),
            query=get(v, "query", str, where), kind=get(v, "kind", str, where)))
    current = get(root, "current", dict, DOCUMENT, nullable=True)
    view = get(root, "view_range", list, DOCUMENT, nullable=True)
    if view is not None:
        if len(view) != 2 or not all(isinstance(p, list) and len(p) == 2 for p in view):
            raise SchemaError("view_range should be [[x0, x1], [y0, y1]]")
        view = tuple(tuple(expect(v, float, "view_range") for v in p) for p in view)
    sections = get(root, "sections", dict, DOCUMENT)
    return dict(
        model_path=get(model, "path", str, "model"), model_sha256=get(model, "sha256", str, "model"), bank=bank,
        layout_method=get(layout, "method", str, "layout"), layout_axes=None if axes is None else tuple(axes),
        points=_array(zf, get(layout, "points", str, "layout", nullable=True), "layout.points", nullable=True),
        embeddings={k: _array(zf, v, f"layout embedding {k!r}")
                    for k, v in str_dict(get(layout, "embeddings", dict, "layout"), str, "layout.embeddings").items()},
        colour_field=get(root, "colour_field", str, DOCUMENT), vectors=vectors,
        waypoints=[_labelled(zf, w, f"waypoints[{i}]", "latent")
                   for i, w in enumerate(get(root, "waypoints", list, DOCUMENT))],
        current=None if current is None else _labelled(zf, current, "current", "latent"),
        selected=get(root, "selected", int, DOCUMENT, nullable=True),
        selection=_array(zf, get(root, "selection", str, DOCUMENT, True), "selection", nullable=True),
        view_range=view, sections=sections,
        # "arrays" may be absent: a section-less writer has nothing to put there.
        arrays={k: _array(zf, v, f"array {k!r}") for k, v in str_dict(root.get("arrays", {}), str, "arrays").items()})


def read_root(zf: zipfile.ZipFile) -> dict:
    """``session.json`` parsed, after its format and version are checked."""
    try:
        info = zf.getinfo(DOCUMENT)
    except KeyError:
        raise SchemaError(f"not a session file (no {DOCUMENT} inside)") from None
    if info.file_size > MAX_DOCUMENT_BYTES:
        raise SchemaError(f"{DOCUMENT} is {info.file_size >> 20} MiB, too large to be a session")
    try:
        root = json.loads(zf.read(info).decode("utf-8"))
    except UnicodeDecodeError:
        raise SchemaError(f"{DOCUMENT} is not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise SchemaError(f"{DOCUMENT} is not valid JSON ({e})") from None
    if not isinstance(root, dict):
        raise SchemaError(f"{DOCUMENT} is not a JSON object")
    if root.get("format") != FORMAT:
        raise SchemaError(f"not a Latent Explorer session (format is {root.get('format')!r})")
    version = expect(root.get("version"), int, "version")
    if version > SESSION_VERSION:
        raise SchemaError(f"written by a newer Latent Explorer (version {version}); "
                          f"this one reads version {SESSION_VERSION}")
    if version < 1:
        raise SchemaError(f"unknown session version {version}")
    return root


