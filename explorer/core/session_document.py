"""The content of a session file, as one plain record (see ``session_file``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from explorer.core.latent_bank import LatentBank
from explorer.core.vector_library import NamedVector


@dataclass
class SessionDocument:
    """Everything a session file holds.

    Attributes
    ----------
    model_path : str
        The checkpoint the session was made with.
    model_sha256 : str
        `file_sha256` of that checkpoint, to warn when it has changed.
    bank : LatentBank
        The latent codes laid out, with what is known about each.
    layout_method : str
        ``"PCA"``, ``"t-SNE"``, ``"UMAP"`` or ``"attribute axes"``.
    layout_axes : (str, str) or None
        The named vectors on x and y, for ``"attribute axes"``.
    points : ndarray of float32, shape (n, 2), or None
        The coordinates shown.
    embeddings : dict of str → ndarray of float32 (n, 2)
        Computed t-SNE/UMAP coordinates by method, so reopening needs no recomputation.
    colour_field : str
    vectors : list of NamedVector
        Each vector is stored flat, float32, of the bank's latent size.
    waypoints : list of (str, ndarray of float32 (d,))
        Label and flat latent of each walk waypoint.
    current : (str, ndarray of float32 (d,)) or None
        The latent shown in the preview.
    selected : int or None
        Bank index of the clicked point.
    selection : ndarray of bool, shape (n,), or None
        The lasso/box selection mask.
    view_range : ((float, float), (float, float)) or None
        ``((x0, x1), (y0, y1))`` of the scatter view.
    sections : dict of str → dict
        JSON that later capabilities add (tags, slides), kept verbatim. A
        section may list names from ``arrays`` under its ``"arrays"`` key.
    arrays : dict of str → ndarray
        Extra named arrays those sections use.
    """

    model_path: str
    model_sha256: str
    bank: LatentBank
    layout_method: str = "PCA"
    layout_axes: tuple[str, str] | None = None
    points: np.ndarray | None = None
    embeddings: dict[str, np.ndarray] = field(default_factory=dict)
    colour_field: str = ""
    vectors: list[NamedVector] = field(default_factory=list)
    waypoints: list[tuple[str, np.ndarray]] = field(default_factory=list)
    current: tuple[str, np.ndarray] | None = None
    selected: int | None = None
    selection: np.ndarray | None = None
    view_range: tuple[tuple[float, float], tuple[float, float]] | None = None
    sections: dict[str, dict] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


# ----------------------------------------------------------------------------- saving
