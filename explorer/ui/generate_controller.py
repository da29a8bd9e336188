"""Generate…: new prior samples join the bank and the scatter, in the background."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QDialog, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QSpinBox

from explorer.ui.dialog_parts import accept_buttons

MAX_GENERATE = 100_000


class GenerateDialog(QDialog):
    """How many samples, from which seed."""

    def __init__(self, parent, seed: int, start: int, vectors: list[str]):
        super().__init__(parent)
        self.setWindowTitle("Generate samples")
        self.n = QSpinBox()
        self.n.setRange(1, MAX_GENERATE)
        self.n.setValue(1000)
        self.n.setSingleStep(1000)
        self.n.setToolTip(f"How many prior samples to add (at most {MAX_GENERATE:,})")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2 ** 31 - 1)
        self.seed.setValue(seed)
        self.seed.setToolTip("Sample i of a seed is always the same code: the bank records both")
        self.where = QLineEdit()
        self.where.setPlaceholderText("optional, e.g. glasses & !male")
        self.where.setToolTip("Keep only samples the bundled classifier judges to match, drawing until there are "
                              "enough; the acceptance rate is reported")
        self.confidence = QDoubleSpinBox()
        self.confidence.setRange(0.5, 0.999)
        self.confidence.setDecimals(3)
        self.confidence.setSingleStep(0.05)
        self.confidence.setValue(0.9)
        self.confidence.setToolTip("How sure the classifier must be that the query holds")
        self.direction = QComboBox()
        self.direction.addItem("(none)")
        self.direction.addItems(vectors)
        self.direction.setToolTip("Move every sample along a named vector (Arithmetic tab) before decoding it; "
                                  "each sample records the edit")
        self.strength = QDoubleSpinBox()
        self.strength.setRange(-20.0, 20.0)
        self.strength.setSingleStep(0.5)
        self.strength.setValue(1.0)
        note = QLabel(f"Samples {start:,} onwards of the seed join the bank and the scatter, labelled by the "
                      "bundled classifier where the model has one.")
        note.setProperty("role", "muted")
        note.setWordWrap(True)
        buttons = accept_buttons(self)
        form = QFormLayout(self)
        form.addRow("Samples", self.n)
        form.addRow("Seed", self.seed)
        form.addRow("Only where", self.where)
        form.addRow("with p ≥", self.confidence)
        form.addRow("Along", self.direction)
        form.addRow("× strength", self.strength)
        form.addRow(note)
        form.addRow(buttons)


class GenerateController(QObject):
    """Asks the worker for samples and adds them to the session when they come."""

    def __init__(self, ctx):
        super().__init__(ctx.window)
        self.ctx = ctx
        self.request = None
        self.dialog: GenerateDialog | None = None
        self.last_message = ""

    def choose(self) -> None:
        """Model ▸ Generate samples…: ask how many, then generate."""
        s = self.ctx.session
        if s.bank is None:
            self.ctx.message_bar.show_error("Open a model first: samples join its bank")
            return
        seed = int(s.bank.seeds[s.bank.seeds >= 0][0]) if (s.bank.seeds >= 0).any() else 0
        # Window-modal, without a nested event loop of its own: the app keeps running.
        self.dialog = GenerateDialog(self.ctx.window, seed, s.bank.next_sample_index(seed), s.vectors.names())
        self.dialog.accepted.connect(lambda d=self.dialog: self.generate(
            d.n.value(), d.seed.value(), d.where.text(), d.confidence.value(),
            d.direction.currentText() if d.direction.currentIndex() > 0 else "", d.strength.value()))
        self.dialog.finished.connect(self.dialog.deleteLater)
        self.dialog.open()

    def generate(self, n: int, seed: int = 0, where: str = "", min_confidence: float = 0.9, direction: str = "",
                 strength: float = 1.0):
        """Add ``n`` samples of ``seed`` (the next indices the bank lacks), or with ``where`` the
        next ``n`` that pass it with confidence ≥ ``min_confidence``; with ``direction`` (a named
        vector) each moved by ``strength`` × it first. Returns the request."""
        s = self.ctx.session
        if s.bank is None:
            return None
        if not 1 <= n <= MAX_GENERATE:
            self.ctx.message_bar.show_error(f"Generate: 1 to {MAX_GENERATE:,} samples at a time, not {n:,}")
            return None
        from explorer.inference.requests import GenerateSamples

        start = s.bank.next_sample_index(seed)
        vector, recipe = None, None
        if direction:
            if direction not in s.vectors.names():
                self.ctx.message_bar.show_error(f"Generate: no vector named {direction!r} (define it in Arithmetic)")
                return None
            v = s.vectors[direction]
            vector = v.vector
            recipe = {"kind": "direction", "vector": direction, "strength": float(strength),
                      "definition": {"source": v.source, "query": v.query, "kind": v.kind, "origin": v.origin}}
        if where.strip():
            recipe = {**(recipe or {"kind": "prior"}), "where": where.strip(), "min_confidence": float(min_confidence)}
        req = self.ctx.client.submit(GenerateSamples(n, seed, start, where.strip(), min_confidence, vector,
                                                     float(strength) if vector is not None else 0.0), owner=self)
        self.request = (req, s.bank, recipe if vector is not None else None)
        what = f"{n:,} samples where {where.strip()}" if where.strip() else f"{n:,} samples"
        self.ctx.jobs.begin(req, f"Generating {what}…", lambda: self.ctx.client.cancel(req))
        return req

    def on_progress(self, request, done: int, total: int) -> None:
        self.ctx.jobs.progress(request, done, total)

    def on_response(self, request, answer) -> None:
        samples, stats = answer
        self.ctx.jobs.end(request)
        s = self.ctx.session
        if self.request is None or self.request[1] is not s.bank:
            self.ctx.message_bar.show_error("Generated samples were dropped: the bank changed meanwhile")
            return
        added = s.add_generated(samples, self.request[2])
        rate = f"; {stats['kept']:,} of {stats['drawn']:,} drawn passed ({100 * stats['acceptance']:.1f} %)" \
            if stats else ""
        self.last_message = f"{len(added):,} samples added; the bank holds {len(s.bank):,}{rate}"
        self.ctx.window.statusBar().showMessage(self.last_message, 10000)

    def on_failed(self, request, message: str) -> None:
        self.ctx.jobs.end(request)
        self.ctx.message_bar.show_error(message)

    def on_cancelled(self, request) -> None:
        self.ctx.jobs.end(request, "Generating cancelled: nothing was added")
