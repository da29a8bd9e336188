"""Asks for the few hyper-parameters a checkpoint cannot tell about itself."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLabel, QLineEdit, QSpinBox

from explorer.ui.dialog_parts import accept_buttons

LABELS = {"latent_shape": "Latent shape", "image_size": "Image size (px)", "channels": "Channels"}


class HintsDialog(QDialog):
    """Non-modal: ``accepted`` then :meth:`hints` gives the values."""

    def __init__(self, path: str, missing: list[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Describe this model")
        form = QFormLayout(self)
        form.addRow(QLabel(f"{path}\ndoes not say everything needed to explore it. "
                           "(A JSON file beside it, FILE.json, can say it once and for all.)"))
        self.latent = QLineEdit("16")
        self.latent.setToolTip("e.g. 100 for a DCGAN, 4,8,8 for a C×h×w latent")
        self.size = QSpinBox()
        self.size.setRange(4, 4096)
        self.size.setValue(32)
        self.channels = QSpinBox()
        self.channels.setRange(1, 4)
        self.channels.setValue(3)
        self.range = QComboBox()
        self.range.addItems(["-1,1", "0,1"])
        self.range.setToolTip("The range of the decoder's output pixels")
        self.fields = {"latent_shape": self.latent, "image_size": self.size, "channels": self.channels}
        for key, widget in self.fields.items():
            form.addRow(LABELS[key] + (" *" if key in missing else ""), widget)
        form.addRow("Output range", self.range)
        self.error = QLabel("")
        self.error.setProperty("role", "error")
        form.addRow(self.error)
        buttons = accept_buttons(self, on_accept=self._check)
        form.addRow(buttons)

    def _check(self) -> None:
        try:
            self.hints()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.accept()

    def hints(self) -> dict:
        try:
            shape = [int(v) for v in self.latent.text().replace("x", ",").split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"latent shape {self.latent.text()!r}: use numbers such as 100 or 4,8,8") from None
        if not shape or min(shape) <= 0:
            raise ValueError("the latent shape needs positive sizes")
        lo, hi = (float(v) for v in self.range.currentText().split(","))
        return {"latent_shape": shape, "image_size": self.size.value(), "channels": self.channels.value(),
                "output_range": [lo, hi]}
