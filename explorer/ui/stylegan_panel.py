"""The StyleGAN tab: truncation ψ, the latent space (Z or W) and style mixing.

A view only: it shows what :class:`~explorer.ui.stylegan_controller.StyleGANController`
tells it and says what the user asked for by signals.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QRadioButton, QSlider, QVBoxLayout, QWidget)

from explorer.ui.images import to_pixmap

PSI_MAX = 1.5
PSI_STEPS = 100  # slider steps per unit of ψ
MIX_SIDE = 80
UNAVAILABLE = ("For StyleGAN2 models: open a generator's weights (a rosinality g_ema file) to set the truncation ψ, "
               "explore Z or W and mix styles.")
PSI_TIP = ("The truncation trick: every W is pulled toward the mean W, w' = w̄ + ψ (w − w̄). "
           "ψ < 1 trades variety for typical, cleaner images; ψ = 0 gives the mean image for every code.")
SPACE_NOTE = {"w": "The bank, walks and arithmetic are in W (Z mapped: more disentangled).",
              "z": "The bank, walks and arithmetic are in Z (the prior); codes are mapped to W to decode."}
SPACE_TIP = "Switching rebuilds the bank with codes of the other space (the same images: W = mapping(Z))."
MIX_NOTE = "The mix is a W+ code: shown here, not a point of the bank."
MIX_TIP = ("A's styles, with B's in the chosen layers. The mix is a W+ code (one style per layer), which the "
           "bank's codes (one style for every layer) cannot hold, so it cannot become the current point.")


class StyleGANPanel(QWidget):
    """``truncationChanged(ψ)`` as the slider moves, ``spaceChosen("z"|"w")``,
    ``sourceRequested("a"|"b")`` (use the current point), ``mixRequested(group)``."""

    truncationChanged = Signal(float)
    spaceChosen = Signal(str)
    sourceRequested = Signal(str)
    mixRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.hint = QLabel(UNAVAILABLE)
        self.hint.setProperty("role", "empty")
        self.hint.setWordWrap(True)
        outer = QVBoxLayout(self)
        outer.addWidget(self.hint)
        outer.addWidget(self._truncation_box())
        outer.addWidget(self._space_box())
        outer.addWidget(self._mixing_box())
        outer.addStretch(1)
        self.reset()

    # -- construction -----------------------------------------------------------------
    def _truncation_box(self) -> QGroupBox:
        box = QGroupBox("Truncation")
        self.psi_slider = QSlider(Qt.Orientation.Horizontal)
        self.psi_slider.setRange(0, int(PSI_MAX * PSI_STEPS))
        self.psi_slider.setPageStep(10)
        self.psi_slider.setToolTip(PSI_TIP)
        self.psi_value = QLabel()
        self.psi_value.setMinimumWidth(60)
        self.psi_note = _muted("")
        row = QHBoxLayout()
        row.addWidget(self.psi_slider, 1)
        row.addWidget(self.psi_value)
        v = QVBoxLayout(box)
        v.addLayout(row)
        v.addWidget(self.psi_note)
        self.psi_slider.valueChanged.connect(self._on_slider)
        return box

    def _space_box(self) -> QGroupBox:
        box = QGroupBox("Latent space")
        self.space_w = QRadioButton("W — mapped (default)")
        self.space_z = QRadioButton("Z — the prior, N(0, I)")
        self.space_group = QButtonGroup(self)
        self.space_group.addButton(self.space_w)
        self.space_group.addButton(self.space_z)
        self.space_note = _muted("")
        box.setToolTip(SPACE_TIP)
        row = QHBoxLayout()
        row.addWidget(self.space_w)
        row.addWidget(self.space_z)
        row.addStretch(1)
        v = QVBoxLayout(box)
        v.addLayout(row)
        v.addWidget(self.space_note)
        self.space_w.toggled.connect(self._on_space)
        return box

    def _mixing_box(self) -> QGroupBox:
        box = QGroupBox("Style mixing")
        use_a, use_b = QPushButton("Use current as A"), QPushButton("Use current as B")
        use_a.setToolTip("A gives the styles outside the chosen layers (the point in the preview)")
        use_b.setToolTip("B gives the styles of the chosen layers (the point in the preview)")
        self.source_labels = {"a": QLabel(), "b": QLabel()}
        self.layer_combo = QComboBox()
        self.mix_button = QPushButton("Mix")
        self.mix_button.setToolTip(MIX_TIP)
        form = QFormLayout()
        form.addRow(use_a, self.source_labels["a"])
        form.addRow(use_b, self.source_labels["b"])
        form.addRow("B's styles in", self.layer_combo)
        slots = QHBoxLayout()
        self.mix_images: list[QLabel] = []
        self.mix_captions: list[QLabel] = []
        for _ in range(3):
            image, caption = QLabel(), _muted("")
            image.setProperty("role", "image")
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            image.setFixedSize(MIX_SIDE, MIX_SIDE)
            caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            caption.setMaximumWidth(MIX_SIDE + 24)
            slot = QVBoxLayout()
            slot.addWidget(image, 0, Qt.AlignmentFlag.AlignHCenter)
            slot.addWidget(caption)
            slots.addLayout(slot)
            self.mix_images.append(image)
            self.mix_captions.append(caption)
        slots.addStretch(1)
        v = QVBoxLayout(box)
        v.addLayout(form)
        v.addWidget(self.mix_button)
        v.addLayout(slots)
        note = _muted(MIX_NOTE)
        note.setToolTip(MIX_TIP)
        v.addWidget(note)
        use_a.clicked.connect(lambda: self.sourceRequested.emit("a"))
        use_b.clicked.connect(lambda: self.sourceRequested.emit("b"))
        self.mix_button.clicked.connect(lambda: self.mixRequested.emit(self.layer_group()))
        return box

    # -- what the controller shows ----------------------------------------------------------
    def set_available(self, available: bool) -> None:
        """Usable only for a StyleGAN2 model; otherwise disabled with a hint saying why."""
        self.setEnabled(available)
        self.hint.setVisible(not available)

    def reset(self) -> None:
        """A freshly opened model: ψ = 1, W, no sources, no mix."""
        self.show_psi(1.0)
        self.show_space("w")
        self.psi_note.setText("")
        for which in ("a", "b"):
            self.show_source(which, "")
        self.clear_mix()

    def show_psi(self, psi: float) -> None:
        """Put the slider at ``psi`` (without asking for it again)."""
        self.psi_slider.blockSignals(True)
        self.psi_slider.setValue(round(psi * PSI_STEPS))
        self.psi_slider.blockSignals(False)
        self.psi_value.setText(f"ψ = {psi:.2f}")

    def show_space(self, space: str) -> None:
        """Check ``space``'s button (without asking for it again) and say what it means."""
        button = self.space_z if space == "z" else self.space_w
        self.space_w.blockSignals(True)  # space_w's toggled is the one connected
        button.setChecked(True)
        self.space_w.blockSignals(False)
        self.space_note.setText(SPACE_NOTE["z" if space == "z" else "w"])

    def set_layer_groups(self, labels: dict[str, str]) -> None:
        """The groups to mix (name → label with its layers and resolutions)."""
        current = self.layer_group()
        self.layer_combo.clear()
        for name, label in labels.items():
            self.layer_combo.addItem(label, name)
        index = self.layer_combo.findData(current)
        self.layer_combo.setCurrentIndex(max(0, index))

    def layer_group(self) -> str:
        """The group chosen (``coarse`` when there is no list yet)."""
        return self.layer_combo.currentData() or "coarse"

    def show_source(self, which: str, label: str) -> None:
        self.source_labels[which].setText(label or "— none yet")

    def show_mix(self, images: list[np.ndarray], captions: list[str]) -> None:
        """A, B and the mix side by side, each with its caption."""
        for slot, caption, image, text in zip(self.mix_images, self.mix_captions, images, captions):
            slot.setPixmap(to_pixmap(image, MIX_SIDE))
            caption.setText(text)

    def clear_mix(self) -> None:
        for slot, caption, text in zip(self.mix_images, self.mix_captions, ("A", "B", "mix")):
            slot.clear()
            slot.setText(text)
            caption.setText("")

    # -- user input ----------------------------------------------------------------------------
    def _on_slider(self, value: int) -> None:
        psi = value / PSI_STEPS
        self.psi_value.setText(f"ψ = {psi:.2f}")
        self.truncationChanged.emit(psi)

    def _on_space(self, w_checked: bool) -> None:
        self.spaceChosen.emit("w" if w_checked else "z")


def _muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "muted")
    label.setWordWrap(True)
    return label
