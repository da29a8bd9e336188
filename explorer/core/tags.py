"""Tags on bank points: *keep*, *reject* and the user's own (Qt-free).

A :class:`Tags` value maps each tag name to a boolean mask over the bank.
It is immutable: tagging returns a new value (the session keeps old ones on
its undo stack, so masks are shared, never changed in place). A session file
stores them in a section ``tags`` and one array per tag (see
:func:`to_document` / :func:`from_document`).
"""

from __future__ import annotations

import re

import numpy as np

KEEP, REJECT = "keep", "reject"
DEFAULT_TAGS = (KEEP, REJECT)
#: Tags are file and folder names in an export: letters, digits, _ - . and spaces.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_. -]{0,63}")


def check_name(name: str) -> str:
    """``name`` stripped, or ValueError saying why it cannot be a tag."""
    name = str(name).strip()
    if not _NAME.fullmatch(name) or name in (".", ".."):
        raise ValueError(f"tag {name!r}: use 1–64 letters, digits, spaces, '_', '-' or '.', "
                         "starting with a letter, digit or '_'")
    return name


class Tags:
    """Named boolean masks over ``n`` bank points; immutable."""

    def __init__(self, n: int, masks: dict[str, np.ndarray] | None = None):
        self.n = int(n)
        self._masks: dict[str, np.ndarray] = {}
        for name, mask in (masks or {}).items():
            mask = np.asarray(mask, np.bool_)
            if mask.shape != (self.n,):
                raise ValueError(f"tag {name!r}: a mask of {mask.shape} for {self.n} points")
            self._masks[check_name(name)] = mask

    def names(self) -> list[str]:
        """Tag names, *keep* and *reject* first, then the others in the order made."""
        return [t for t in DEFAULT_TAGS if t in self._masks] + [t for t in self._masks if t not in DEFAULT_TAGS]

    def mask(self, name: str) -> np.ndarray:
        """Which points carry ``name`` (all False for a tag nobody has)."""
        mask = self._masks.get(name)
        return mask if mask is not None else np.zeros(self.n, np.bool_)

    def counts(self) -> dict[str, int]:
        return {name: int(self._masks[name].sum()) for name in self.names()}

    def of(self, index: int) -> list[str]:
        """The tags of point ``index``."""
        return [name for name in self.names() if self._masks[name][index]]

    def tagged(self, name: str, indices, on: bool = True) -> "Tags":
        """A copy with ``name`` set (or, ``on=False``, cleared) on ``indices``.

        *keep* and *reject* exclude each other: keeping a point un-rejects it.
        """
        name = check_name(name)
        idx = np.asarray(indices, np.intp).ravel()
        masks = dict(self._masks)
        mask = self.mask(name).copy()
        mask[idx] = on
        masks[name] = mask
        if on and name in DEFAULT_TAGS:
            other = REJECT if name == KEEP else KEEP
            if other in masks and masks[other][idx].any():
                cleared = masks[other].copy()
                cleared[idx] = False
                masks[other] = cleared
        return Tags(self.n, masks)

    def extended(self, n: int) -> "Tags":
        """The same tags over a bank grown to ``n`` points (the new ones untagged)."""
        grown = {}
        for name, mask in self._masks.items():
            m = np.zeros(n, np.bool_)
            m[:self.n] = mask
            grown[name] = m
        return Tags(n, grown)

    def same_as(self, other: "Tags") -> bool:
        return self.n == other.n and self._masks.keys() == other._masks.keys() and \
            all(self._masks[k] is other._masks[k] for k in self._masks)


def to_document(tags: Tags) -> tuple[dict, dict]:
    """``(sections, arrays)`` entries that store ``tags`` in a session file:
    a section ``tags`` = ``{"names": [...], "arrays": {name: key}}`` and one
    boolean mask per tag under ``"tag:NAME"``."""
    names = tags.names()
    keys = {name: f"tag:{name}" for name in names}
    return {"tags": {"names": names, "arrays": keys}}, {keys[name]: tags.mask(name) for name in names}


def from_document(sections: dict, arrays: dict, n: int) -> Tags:
    """The tags a session file's ``sections`` and ``arrays`` hold (none if it holds none).

    Raises ValueError naming the tag when the section is malformed or a mask
    does not fit the bank.
    """
    section = sections.get("tags") or {}
    names, keys = section.get("names", []), section.get("arrays", {})
    if not isinstance(names, list) or not isinstance(keys, dict):
        raise ValueError("the session's tags section should hold a list of names and an object of arrays")
    masks = {}
    for name in names:
        key = keys.get(name) if isinstance(name, str) else None
        if key not in arrays:
            raise ValueError(f"tag {name!r}: its mask is missing from the session")
        masks[name] = arrays[key]
    return Tags(n, masks)
