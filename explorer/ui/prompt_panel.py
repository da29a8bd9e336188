"""The Prompt tab of a text-to-image model: the prompt and its settings, prompt
arithmetic, and a walk between two prompts for one starting noise x_T."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QSizePolicy, QSpinBox, QVBoxLayout, QWidget)

from explorer.ui.filmstrip import Filmstrip

DISABLED_HINT = "Prompts apply to text-to-image models (a diffusers Stable-Diffusion-style pipeline folder)."
EXPRESSION_TIP = ('Quoted prompts joined by + and -, each with an optional weight: '
                  '"a man with glasses" - "a man" + "a woman",  0.5 * "smiling" + "a face". '
                  "The sum is taken in the text encoder's embedding space.")


class PromptPanel(QWidget):
    """Widgets only; :class:`~explorer.ui.prompt_controller.PromptController` does the work."""

    applyRequested = Signal(str, str, float, int)  # prompt, negative prompt, guidance, steps
    evaluateRequested = Signal(str)  # the expression
    resetRequested = Signal()  # back to the prompt's own embedding
    walkRequested = Signal(str, str, str, int)  # from prompt, to prompt, method, frames

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.hint = QLabel(DISABLED_HINT)
        self.hint.setProperty("role", "empty")
        self.hint.setWordWrap(True)
        self.prompt_edit = QLineEdit()
        self.prompt_edit.setPlaceholderText("a photo of a face")
        self.negative_edit = QLineEdit()
        self.negative_edit.setPlaceholderText("what the image should not show (optional)")
        self.guidance_box = QDoubleSpinBox()
        self.guidance_box.setRange(0.0, 30.0)
        self.guidance_box.setSingleStep(0.5)
        self.guidance_box.setValue(7.5)
        self.guidance_box.setToolTip("Classifier-free guidance: how strongly the image follows the prompt (1: not at all)")
        self.steps_box = QSpinBox()
        self.steps_box.setRange(1, 1000)
        self.steps_box.setValue(25)
        self.steps_box.setToolTip("Sampler steps per image: more is slower and finer")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Use this prompt from now on: the bank is rebuilt for it, in the background")
        form = QFormLayout()
        form.addRow("Prompt", self.prompt_edit)
        form.addRow("Negative", self.negative_edit)
        form.addRow("Guidance", self.guidance_box)
        form.addRow("Steps", self.steps_box)
        form.addRow("", self.apply_button)
        prompt_box = QGroupBox("Prompt")
        prompt_box.setLayout(form)

        self.expression_edit = QLineEdit()
        self.expression_edit.setPlaceholderText('"a man with glasses" - "a man" + "a woman"')
        self.expression_edit.setToolTip(EXPRESSION_TIP)
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.setToolTip("Decode the current point's x_T with this embedding (it stays set until Back to the prompt)")
        self.reset_button = QPushButton("Back to the prompt")
        self.reset_button.setToolTip("Decode with the prompt's own embedding again")
        self.expression_error = QLabel("")
        self.expression_error.setProperty("role", "error")
        self.expression_error.setTextFormat(Qt.TextFormat.PlainText)
        self.expression_error.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)  # the caret under the expression lines up
        self.expression_error.setFont(mono)
        self.expression_error.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.evaluate_button)
        buttons.addWidget(self.reset_button)
        arithmetic = QVBoxLayout()
        arithmetic.addWidget(self.expression_edit)
        arithmetic.addLayout(buttons)
        arithmetic.addWidget(self.expression_error)
        arithmetic_box = QGroupBox("Prompt arithmetic")
        arithmetic_box.setLayout(arithmetic)

        self.walk_from = QLineEdit()
        self.walk_from.setPlaceholderText("a man")
        self.walk_to = QLineEdit()
        self.walk_to.setPlaceholderText("a woman")
        self.walk_method = QComboBox()
        self.walk_method.addItems(["slerp", "lerp"])
        self.walk_frames = QSpinBox()
        self.walk_frames.setRange(2, 64)
        self.walk_frames.setValue(6)
        self.walk_button = QPushButton("Walk")
        self.walk_button.setToolTip("Decode the current point's x_T for embeddings between the two prompts")
        self.filmstrip = Filmstrip()
        walk_form = QFormLayout()
        walk_form.addRow("From", self.walk_from)
        walk_form.addRow("To", self.walk_to)
        row = QHBoxLayout()
        row.addWidget(self.walk_method)
        row.addWidget(QLabel("frames"))
        row.addWidget(self.walk_frames)
        row.addWidget(self.walk_button)
        walk_form.addRow(row)
        walk_form.addRow(self.filmstrip)
        walk_box = QGroupBox("Walk between prompts")
        walk_box.setLayout(walk_form)

        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(prompt_box)
        layout.addWidget(arithmetic_box)
        layout.addWidget(walk_box)
        layout.addStretch(1)
        self.sections = (prompt_box, arithmetic_box, walk_box)

        self.apply_button.clicked.connect(self._apply)
        self.prompt_edit.returnPressed.connect(self._apply)
        self.evaluate_button.clicked.connect(self._evaluate)
        self.expression_edit.returnPressed.connect(self._evaluate)
        self.reset_button.clicked.connect(self.resetRequested)
        self.walk_button.clicked.connect(self._walk)
        self.set_available(False)

    def set_available(self, available: bool, why: str = DISABLED_HINT) -> None:
        """Enabled for a text-to-image model; otherwise greyed out with ``why`` above."""
        for box in self.sections:
            box.setEnabled(available)
        self.hint.setText(why)
        self.hint.setVisible(not available)

    def show_recipe(self, recipe: dict) -> None:
        """Fill the prompt fields from the model's recipe (keys as ``model.recipe()`` names them)."""
        self.prompt_edit.setText(str(recipe.get("prompt") or ""))
        self.negative_edit.setText(str(recipe.get("negative_prompt") or ""))
        if recipe.get("guidance") is not None:
            self.guidance_box.setValue(float(recipe["guidance"]))
        if recipe.get("steps"):
            self.steps_box.setValue(int(recipe["steps"]))
        if not self.walk_from.text():
            self.walk_from.setText(self.prompt_edit.text())

    def show_error(self, message: str) -> None:
        """An error under the expression ("" hides it); monospaced so a caret points at its character."""
        self.expression_error.setText(message)
        self.expression_error.setVisible(bool(message))

    def _apply(self) -> None:
        self.applyRequested.emit(self.prompt_edit.text(), self.negative_edit.text(), self.guidance_box.value(),
                                 self.steps_box.value())

    def _evaluate(self) -> None:
        self.evaluateRequested.emit(self.expression_edit.text())

    def _walk(self) -> None:
        self.walkRequested.emit(self.walk_from.text(), self.walk_to.text(), self.walk_method.currentText(),
                                self.walk_frames.value())
