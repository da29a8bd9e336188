"""Colouring points by an attribute or label: categories, a palette, a legend."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core.latent_bank import LatentBank

# A colour-blind-friendly qualitative palette (Okabe & Ito), then Tableau's.
PALETTE = [
    (0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233),
    (213, 94, 0), (240, 228, 66), (148, 103, 189), (140, 86, 75), (127, 127, 127),
    (23, 190, 207), (188, 189, 34),
]
NEUTRAL = (120, 160, 220)


@dataclass(frozen=True)
class Colouring:
    """Per-point category index into ``colours``, and the legend's names."""

    field: str
    categories: np.ndarray  # (n,) int
    names: tuple[str, ...]
    colours: tuple[tuple[int, int, int], ...]


def colour_by(bank: LatentBank, field: str | None) -> Colouring:
    """Categories for ``field``: a label, or an attribute split at 0.5."""
    n = len(bank)
    if not field:
        return Colouring("", np.zeros(n, np.int64), ("all",), (NEUTRAL,))
    if field == "label" and bank.labels is not None:
        k = len(bank.label_names)
        return Colouring(field, np.maximum(bank.labels, 0).astype(np.int64), tuple(bank.label_names),
                         tuple(PALETTE[i % len(PALETTE)] for i in range(k)))
    if field not in bank.attributes:
        raise KeyError(f"no attribute {field!r} (have: {', '.join(bank.colour_fields()) or 'none'})")
    on = (np.asarray(bank.attributes[field]) >= 0.5).astype(np.int64)
    return Colouring(field, on, (f"not {field}", field), ((150, 150, 150), (230, 159, 0)))


#: The colour field that colours points by their tags.
TAGS_FIELD = "tags"
_TAG_COLOURS = {"keep": (0, 158, 115), "reject": (213, 94, 0)}


def colour_by_tags(tags) -> Colouring:
    """Untagged points grey; *keep* green, *reject* vermilion, other tags by their
    first tag (in the tags' order), each a palette colour."""
    names = tags.names()
    categories = np.zeros(tags.n, np.int64)
    for k, name in reversed(list(enumerate(names))):  # the first tag wins: paint it last
        categories[tags.mask(name)] = k + 1
    custom = iter(c for c in PALETTE if c not in _TAG_COLOURS.values())
    colours = [(110, 110, 110)] + [_TAG_COLOURS.get(name) or next(custom) for name in names]
    return Colouring(TAGS_FIELD, categories, ("untagged", *names), tuple(colours))
