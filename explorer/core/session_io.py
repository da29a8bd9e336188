"""A session's state as a saveable :class:`SessionDocument`, and back.

Kept apart from the file format (``session_file``) so the format can grow
without touching the session, and from Qt so both directions are tested
without a window.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from explorer.core import slides, tags
from explorer.core.session import AXES, EMBEDDINGS, ExplorerSession
from explorer.core.session_file import SessionDocument

#: Banks with more codes than this are saved without their thumbnails (50k 32×32
#: colour thumbnails are 150 MB; a million are 3 GB).
THUMBNAILS_KEPT_UP_TO = 50_000


def document_from_session(session: ExplorerSession, model_sha256: str,
                          view_range=None, sections: dict | None = None,
                          arrays: dict | None = None) -> SessionDocument:
    """Everything the user would lose on quit, as a document ready to save."""
    if session.bank is None:
        raise ValueError("there is nothing to save yet: no latent bank is open")
    current = None if session.current is None else (session.current[0], np.asarray(session.current[1], np.float32))
    bank = session.bank
    if len(bank) > THUMBNAILS_KEPT_UP_TO and bank.thumbnails is not None:
        # A large bank's thumbnails are gigabytes, all derived from its latents:
        # the file keeps the latents, and hovering decodes the image instead.
        bank = dataclasses.replace(bank, thumbnails=None)
    tag_sections, tag_arrays = tags.to_document(session.tags)
    slide_sections, slide_arrays = slides.to_document(session.slides)
    recipes = {str(i): r for i, r in session.recipes.items()}
    recipe_section = {"recipes": {"points": recipes}} if recipes else {}
    if bank.recipe:  # the model's own settings (a text-to-image prompt) the thumbnails were decoded with
        recipe_section["model"] = {"recipe": dict(bank.recipe)}
    return SessionDocument(
        model_path=session.model_path, model_sha256=model_sha256, bank=bank,
        layout_method=session.layout_kind(), layout_axes=session.layout_axes, points=session.points,
        embeddings=_embeddings_of_this_bank(session), colour_field=session.colour_field,
        vectors=[session.vectors[n] for n in session.vectors.names()], waypoints=list(session.waypoints),
        current=current, selected=session.selected, selection=session.selection, view_range=view_range,
        sections={**(sections or {}), **tag_sections, **recipe_section, **slide_sections},
        arrays={**(arrays or {}), **tag_arrays, **slide_arrays},
    )


def _embeddings_of_this_bank(session: ExplorerSession) -> dict[str, np.ndarray]:
    # The layout cache is keyed by id(bank): once an older bank (say, the one before
    # images were encoded into it) is freed, a newer one may reuse its id, and its
    # stale coordinates would make the whole session unsaveable.
    n = len(session.bank)
    return {m: c for m, c in session.embeddings().items() if np.shape(c) == (n, 2)}


def apply_document(session: ExplorerSession, doc: SessionDocument) -> None:
    """Restore ``doc`` into ``session``: bank (unless already shown), layouts,
    vectors, waypoints, selection, colour, current point, tags, slides. The undo history
    starts empty. Coordinates come back exactly as saved."""
    if session.bank is not doc.bank:
        session.set_bank(doc.bank, doc.model_path)
    session.model_path = doc.model_path
    for method, coords in doc.embeddings.items():
        if method in EMBEDDINGS:
            session.layout_cache[(method, id(session.bank))] = np.asarray(coords, np.float32)
    for item in doc.vectors:
        session.vectors.add(item)
    session.waypoints = list(doc.waypoints)
    session.set_selection(doc.selection)
    session.tags = tags.from_document(doc.sections, doc.arrays, len(session.bank))
    session.slides = slides.from_document(doc.sections, doc.arrays, len(session.bank), session.bank.latents.shape[1])
    points = (doc.sections.get("recipes") or {}).get("points") or {}
    session.recipes = {int(i): r for i, r in points.items()
                       if str(i).isdigit() and int(i) < len(session.bank) and isinstance(r, dict)}
    model_recipe = (doc.sections.get("model") or {}).get("recipe")
    if isinstance(model_recipe, dict) and not session.bank.recipe:
        session.bank.recipe = dict(model_recipe)
    if doc.colour_field in session.colour_fields() or doc.colour_field == "":
        session.colour_field = doc.colour_field
    method = doc.layout_method
    if method in EMBEDDINGS and session.cached_embedding(method) is None and doc.points is not None:
        session.layout_cache[(method, id(session.bank))] = np.asarray(doc.points, np.float32)
    try:
        session.apply_layout(method, doc.layout_axes if method == AXES else None)
    except (KeyError, ValueError):
        session.use_pca()  # a layout the document cannot rebuild: show PCA rather than fail
    if doc.points is not None and doc.points.shape == session.points.shape and session.layout_kind() == method:
        session.points = np.asarray(doc.points, np.float32)  # bit-exact, whatever the projection recomputes
    if doc.selected is not None:
        session.select(doc.selected)
    if doc.current is not None:
        session.current = doc.current
    session.history.clear()
    for name in ("vectors", "waypoints", "selection", "colour", "layout", "current", "tags", "slides"):
        getattr(session.events, name).emit()
