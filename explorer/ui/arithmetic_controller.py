"""Attribute arithmetic: named vectors (undoable), expressions with their
result and noisy neighbours, moving along a direction, analogy grids."""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import QObject, Qt
from superqt.utils import qthrottled

from explorer.core.edits import analogy_plane, move_along, noisy_neighbours, vector_from_mask
from explorer.core.expressions import ExpressionError, evaluate
from explorer.core.preview import latent_preview
from explorer.core.queries import query_mask
from explorer.core.vector_library import NamedVector
from explorer.ui.arithmetic_panel import ArithmeticPanel

RESULT_NOISE = 0.2  # neighbours of an arithmetic result: result + this × N(0, I), as in the DCGAN figure
RESULT_STYLE = dict(symbol="star", size=22, colour=(230, 159, 0))
CURSOR_STYLE = dict(symbol="o", size=14, colour=None, filled=False)  # None: the plot's foreground


class ArithmeticController(QObject):
    """Owns the result, edit and grid decode requests of the Arithmetic panel."""

    def __init__(self, ctx, panel: ArithmeticPanel):
        super().__init__(ctx.window)
        self.ctx, self.panel = ctx, panel
        self.grid_image: np.ndarray | None = None
        # What the figures are made of (the panel only keeps pixmaps): decoded cells and their words.
        self.grid_cells: tuple[np.ndarray, tuple[str, str, str]] | None = None  # (n·n images, names A B C)
        self.result_cells: tuple[np.ndarray, str] | None = None  # (9 images, result first; expression)
        self._edit_base: np.ndarray | None = None  # where the direction slider moves from
        self._moving = False
        s = ctx.session
        s.events.bank.connect(self._on_bank)
        s.events.vectors.connect(self._show_vectors)
        s.events.current.connect(self._on_current)
        panel.defineRequested.connect(self.define_vector)
        panel.removeRequested.connect(self.remove_vector)
        panel.evaluateRequested.connect(self.evaluate_expression)
        panel.directionChanged.connect(self._on_direction)
        panel.analogyRequested.connect(self.analogy_grid)
        self._throttled_edit = qthrottled(self._decode_edit, timeout=40, parent=self)

    def _on_bank(self) -> None:
        self.grid_image, self._edit_base = None, None
        self.grid_cells = self.result_cells = None
        self.panel.reset()
        self.panel.setEnabled(self.ctx.session.bank is not None)

    def _on_current(self) -> None:
        current = self.ctx.session.current
        if not self._moving:  # a new point to move from, unless the move itself made it current
            self._edit_base = None if current is None else np.array(current[1], np.float32)

    # -- named vectors -------------------------------------------------------------
    def define_vector(self, name: str, source: str, query: str, kind: str) -> NamedVector | None:
        """Make a named vector from the current point, the lasso selection or a query."""
        s = self.ctx.session
        bank = s.bank
        try:
            if bank is None:
                raise ValueError("no latent bank yet")
            if source == "current point":
                if s.current is None:
                    raise ValueError("no current point: click one first")
                label, z = s.current
                item = NamedVector(name, np.asarray(z, np.float32).copy(), f"point {label}")
            else:
                if source == "selection":
                    if s.selection is None or not s.selection.any():
                        raise ValueError("nothing is selected: Ctrl+drag a lasso (or Shift+drag a box) around some points")
                    mask, what = s.selection, f"selection of {int(s.selection.sum())}"
                else:
                    mask, what = query_mask(bank, query), f"'{query}'"
                if not mask.any():
                    raise ValueError(f"no point matches {what}")
                item = vector_from_mask(name, bank, mask, what, kind, query if source == "query" else "")
            item = dataclasses.replace(item, source=source, query=query if source == "query" else "",
                                       kind=kind if source != "current point" else "")
            s.edit(f"Define vector {name}", lambda: s.vectors.add(item))
        except ExpressionError as exc:
            self.panel.show_define_error(f"{exc}\n{exc.pointer()}")
            return None
        except ValueError as exc:
            self.panel.show_define_error(str(exc))
            return None
        self.panel.show_define_error("")
        return item

    def remove_vector(self, name: str) -> None:
        s = self.ctx.session
        if name in s.vectors:
            s.edit(f"Remove vector {name}", lambda: s.vectors.remove(name))

    def _show_vectors(self) -> None:
        v = self.ctx.session.vectors
        self.panel.set_vectors([v[n] for n in v.names()])

    # -- expressions -----------------------------------------------------------------
    def evaluate_expression(self, text: str) -> np.ndarray | None:
        """Evaluate, place the result on the scatter, decode it with 8 noisy neighbours."""
        try:
            result = evaluate(text, self.ctx.session.vectors.vectors())
        except ExpressionError as exc:
            self.panel.show_expression_error(f"{exc.pointer()}\n{exc}")
            return None
        self.panel.show_expression_error("")
        self.ctx.session.set_current(f"= {text}", result)
        self.ctx.overlays.set("result", result[None], **RESULT_STYLE)
        state = latent_preview(f"Result of {text}", result, (("expression", text),),
                               "the centre of the 3×3 grid in the Expression tab")
        self.ctx.client.decode(noisy_neighbours(result, 8, RESULT_NOISE), "result", tag=state, owner=self)
        return result

    # -- direction slider --------------------------------------------------------------
    def _on_direction(self, name: str, amount: float, keep: list) -> None:
        s = self.ctx.session
        if self._edit_base is None or name not in s.vectors:
            return
        try:
            latent = move_along(self._edit_base, s.vectors[name].vector, amount, [s.vectors[k].vector for k in keep])
        except ValueError as exc:
            self.ctx.message_bar.show_error(f"{name}: {exc}")
            return
        self._moving = True
        try:
            s.set_current(f"{name} {amount:+.1f}", latent)
        finally:
            self._moving = False
        self.ctx.overlays.set("cursor", latent[None], **CURSOR_STYLE)
        kept = ", ".join(keep) or "nothing"
        self._throttled_edit(latent, latent_preview(f"Moved {amount:+.1f} along {name}", latent,
                                                    (("direction", name), ("amount", f"{amount:+.1f}"),
                                                     ("kept fixed", kept))))

    def direction_sweep(self, amount: float) -> tuple[np.ndarray, np.ndarray, str] | None:
        """The ends of a sweep along the Direction tab's vector, −amount … +amount from the point
        the slider moves from (its kept attributes held fixed), and words for it; None if there
        is no direction or no point (the message bar says which)."""
        s = self.ctx.session
        name = self.panel.direction.currentText()
        if not name or name not in s.vectors:
            self.ctx.message_bar.show_error("A direction sweep needs a direction: define a vector and choose it "
                                            "under Arithmetic ▸ Direction")
            return None
        if self._edit_base is None:
            self.ctx.message_bar.show_error("A direction sweep starts from a point: click one first")
            return None
        ticks = [self.panel.keep.item(i) for i in range(self.panel.keep.count())]
        keep = [s.vectors[t.text()].vector for t in ticks if t.checkState() == Qt.CheckState.Checked
                and t.text() != name and t.text() in s.vectors]
        start, end = (move_along(self._edit_base, s.vectors[name].vector, a, keep) for a in (-amount, amount))
        return start, end, f"{name} {-amount:+.1f} … {amount:+.1f}"

    def _decode_edit(self, latent: np.ndarray, state) -> None:
        self.ctx.client.decode(latent[None], "edit", tag=state, owner=self)

    # -- analogy grid ----------------------------------------------------------------
    def analogy_grid(self, a: str, b: str, c: str, size: int) -> None:
        """A : B :: C : ? — the plane through A, B and C, sampled on a size × size grid."""
        vecs = self.ctx.session.vectors
        if not all(n in vecs for n in (a, b, c)):
            self.ctx.message_bar.show_error("Define the three vectors A, B and C first")
            return
        self.ctx.client.decode(analogy_plane(*(vecs[n].vector for n in (a, b, c)), size), "grid",
                               tag=(size, (a, b, c)), owner=self)

    # -- figures (explorer.ui.figure_controller saves and copies them) -----------------------
    def figure_sources(self) -> list:
        """``(name, widget, make_figure)`` for the analogy grid and the result with its neighbours."""
        return [("Analogy grid", self.panel.grid_image, self.analogy_figure),
                ("Arithmetic result", self.panel.result_box, self.result_figure)]

    def analogy_figure(self):
        """The last analogy grid as a labelled figure (None before one is drawn)."""
        from explorer.core.figure_layout import Figure

        if self.grid_cells is None:
            return None
        images, (a, b, c) = self.grid_cells
        n = int(round(len(images) ** 0.5))
        blanks = ("",) * (n - 2)
        return Figure.grid(list(images), n, title=f"{a} : {b} :: {c} : ?   = {b} − {a} + {c}",
                           col_labels=(a, *blanks, b), row_labels=(a, *blanks, c))

    def result_figure(self):
        """The arithmetic result framed among its 8 noisy neighbours (None before one is decoded)."""
        from explorer.core.figure_layout import Figure

        if self.result_cells is None:
            return None
        images, expression = self.result_cells
        order = [1, 2, 3, 4, 0, 5, 6, 7, 8]  # as the panel shows them: the result in the middle
        return Figure.grid([images[k] for k in order], 3, title=f"= {expression}", highlight=4)

    # -- responses -------------------------------------------------------------------
    def on_response(self, request, images) -> None:
        if request.purpose == "result":
            self.panel.show_result(images)
            self.result_cells = (np.asarray(images), dict(request.tag.rows).get("expression", ""))
            self.ctx.preview.show_state(request.tag.with_image(images[0]))
        elif request.purpose == "edit":
            self.ctx.preview.show_state(request.tag.with_image(images[0]))
        elif request.purpose == "grid":
            from models.imaging import image_grid

            size, names = request.tag
            self.grid_image = image_grid(images, cols=size)
            self.grid_cells = (np.asarray(images), names)
            self.panel.show_grid(self.grid_image)

    def on_failed(self, request, message: str) -> None:
        self.ctx.message_bar.show_error(message)
