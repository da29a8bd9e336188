"""File names that are not valid UTF-8 (Linux names are bytes).

Python keeps such a name as a ``str`` with surrogate escapes
(``os.fsdecode(b"caf\\xe9.safetensors")``), and every ``os`` call takes it back
unchanged. Libraries that hand the path to Rust or C++ as UTF-8 (safetensors'
``safe_open``, ``torch.jit.load``, diffusers' ``from_pretrained``) refuse it.
:func:`utf8_path` gives them a name they can take for the same file or folder,
and :func:`display_path` shows the name to a person without failing on it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from typing import Iterator


def display_path(path) -> str:
    """``path`` as text for people: undecodable bytes become U+FFFD, never an error."""
    raw = os.fsencode(path) if not isinstance(path, bytes) else path
    return raw.decode("utf-8", "replace")


def is_utf8(path) -> bool:
    """Whether ``path`` can be passed as UTF-8 text to a library written in Rust or C++."""
    try:
        os.fspath(path).encode("utf-8") if not isinstance(path, bytes) else path.decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True


def storable_path(path) -> str | None:
    """``path`` as a ``str`` that survives a round trip through UTF-8 storage, or None."""
    text = os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path)
    return text if is_utf8(text) else None


@contextmanager
def utf8_path(path) -> Iterator[str]:
    """A UTF-8 name for ``path`` (a file or a folder) while the block runs.

    A name that is valid UTF-8 is yielded as it is. Any other gets a symbolic
    link with a plain name in a private temporary folder, removed afterwards;
    the file itself is neither copied nor read, so memory stays bounded and
    safetensors can still memory-map it.
    """
    text = os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path)
    if is_utf8(text):
        yield text
        return
    folder = tempfile.mkdtemp(prefix="le-path-")
    try:
        base = os.path.basename(text.rstrip(os.sep)) or "target"
        suffix = "".join(c for c in os.path.splitext(base)[1] if c.isascii() and (c.isalnum() or c == "."))
        link = os.path.join(folder, "target" + suffix)
        os.symlink(os.path.abspath(text), link)
        yield link
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def open_safetensors(path, framework: str = "pt", device: str = "cpu"):
    """``safetensors.safe_open`` that also takes a name that is not valid UTF-8."""
    from safetensors import safe_open

    with utf8_path(path) as name, safe_open(name, framework=framework, device=device) as handle:
        yield handle
