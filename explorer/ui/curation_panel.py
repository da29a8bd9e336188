"""The Curate tab: selection tools and operations, tags with their counts,
diversity and near-duplicates, and the way into the gallery and review mode."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QSpinBox, QToolButton, QVBoxLayout,
                               QWidget)

TOOLS = (("pan", "Pan", "H", "Drag pans the view (Ctrl+drag still lassoes, Shift+drag draws a box)"),
         ("lasso", "Lasso", "L", "Drag draws a lasso: alone it replaces the selection, with Shift it adds, "
                                 "with Ctrl or Alt it removes"),
         ("box", "Box", "B", "Drag draws a box: alone it replaces the selection, with Shift it adds, "
                             "with Ctrl or Alt it removes"))


def _button(text: str, tip: str) -> QPushButton:
    b = QPushButton(text)
    b.setToolTip(tip)
    return b


class CurationPanel(QWidget):
    """Widgets only; :class:`~explorer.ui.curation_controller.CurationController` does the work."""

    toolChosen = Signal(str)
    selectAll = Signal()
    invert = Signal()
    clear = Signal()
    queryEntered = Signal(str)
    tagRequested = Signal(str, bool)  # tag name, on
    newTagRequested = Signal()
    diverseRequested = Signal(int)
    duplicatesRequested = Signal(float)
    galleryRequested = Signal()
    filterChosen = Signal(str)  # "" all points, a tag name, or "untagged"
    reviewRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        tools = QHBoxLayout()
        self.tool_group = QButtonGroup(self)
        self.tool_buttons: dict[str, QToolButton] = {}
        for name, text, key, tip in TOOLS:
            b = QToolButton()
            b.setText(f"{text} ({key})")
            b.setToolTip(tip)
            b.setCheckable(True)
            b.clicked.connect(lambda _=False, n=name: self.toolChosen.emit(n))
            self.tool_group.addButton(b)
            self.tool_buttons[name] = b
            tools.addWidget(b)
        self.tool_buttons["pan"].setChecked(True)
        self.count = QLabel("Nothing selected")
        sel = QHBoxLayout()
        for text, tip, signal in (("All", "Select every point (Ctrl+A)", self.selectAll),
                                  ("Invert", "Select what is not selected (Ctrl+I)", self.invert),
                                  ("Clear", "Select nothing (Esc)", self.clear)):
            b = _button(text, tip)
            b.clicked.connect(signal.emit)
            sel.addWidget(b)
        self.query = QLineEdit()
        self.query.setPlaceholderText("Select where… e.g. glasses & !male, or tag: keep")
        self.query.setToolTip("Select the points whose attributes match (an attribute is true where p ≥ 0.5); "
                              "Enter selects")
        self.query.returnPressed.connect(lambda: self.queryEntered.emit(self.query.text()))
        self.filter_combo = QComboBox()
        self.filter_combo.setToolTip("Show only the points carrying a tag in the scatter (or those without one)")
        self.filter_combo.currentIndexChanged.connect(
            lambda _i: self.filterChosen.emit(self.filter_combo.currentData() or ""))
        self.tags = QListWidget()
        self.tags.setMaximumHeight(110)
        self.tags.setToolTip("Tags and how many points carry each; the number is the key that tags with it")
        tag_buttons = QGridLayout()
        for i, (text, tip, name, on) in enumerate((
                ("Keep (K)", "Tag the selection (or the current point) keep", "keep", True),
                ("Reject (R)", "Tag the selection (or the current point) reject", "reject", True),
                ("Untag", "Remove the tag chosen in the list from the selection (or the current point)", "", False))):
            b = _button(text, tip)
            b.clicked.connect(lambda _=False, n=name, o=on: self.tagRequested.emit(n or self.chosen_tag(), o))
            tag_buttons.addWidget(b, 0, i)
        new_tag = _button("New tag…", "Make a tag of your own; the first nine get the keys 1–9")
        new_tag.clicked.connect(self.newTagRequested.emit)
        tag_buttons.addWidget(new_tag, 1, 0)
        self.diverse_k = QSpinBox()
        self.diverse_k.setRange(1, 100_000)
        self.diverse_k.setValue(20)
        self.space = QComboBox()
        self.space.addItems(["latent space", "classifier features"])
        self.space.setToolTip("Where distances are measured: between latent codes, or between the bundled "
                              "classifier's features of the images (closer to how different they look)")
        diverse = _button("Most diverse", "Select the K points of the selection (or of everything) that cover it "
                                          "best in latent space (greedy k-centre)")
        diverse.clicked.connect(lambda: self.diverseRequested.emit(self.diverse_k.value()))
        self.duplicate_distance = QDoubleSpinBox()
        self.duplicate_distance.setRange(0.0, 1000.0)
        self.duplicate_distance.setDecimals(2)
        self.duplicate_distance.setValue(1.0)
        dupes = _button("Near-duplicates", "Select the later point of every pair closer than this latent distance, "
                                           "within the selection (or everything)")
        dupes.clicked.connect(lambda: self.duplicatesRequested.emit(self.duplicate_distance.value()))
        grid = QGridLayout()
        grid.addWidget(QLabel("K"), 0, 0)
        grid.addWidget(self.diverse_k, 0, 1)
        grid.addWidget(diverse, 0, 2)
        grid.addWidget(QLabel("Distance"), 1, 0)
        grid.addWidget(self.duplicate_distance, 1, 1)
        grid.addWidget(dupes, 1, 2)
        grid.addWidget(QLabel("In"), 2, 0)
        grid.addWidget(self.space, 2, 1, 1, 2)
        browse = QHBoxLayout()
        for text, tip, signal in (("Gallery…", "Thumbnails of the selection, a tag or everything (G)",
                                   self.galleryRequested),
                                  ("Review…", "One large image at a time; K/R/1–9 tag, arrows move (Ctrl+R)",
                                   self.reviewRequested)):
            b = _button(text, tip)
            b.clicked.connect(signal.emit)
            browse.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(self.count)
        layout.addLayout(sel)
        layout.addWidget(self.query)
        layout.addWidget(QLabel("Tags:"))
        layout.addWidget(self.tags)
        layout.addLayout(tag_buttons)
        shown = QHBoxLayout()
        shown.addWidget(QLabel("Show in the scatter:"))
        shown.addWidget(self.filter_combo, 1)
        layout.addLayout(shown)
        layout.addWidget(QLabel("Diversity and duplicates:"))
        layout.addLayout(grid)
        layout.addLayout(browse)
        layout.addStretch(1)

    def show_tool(self, tool: str) -> None:
        self.tool_buttons[tool].setChecked(True)

    def show_count(self, selected: int, total: int) -> None:
        self.count.setText(f"{selected:,} of {total:,} selected" if selected else f"Nothing selected ({total:,} points)")

    def show_tags(self, counts: dict[str, int], keys: dict[str, str]) -> None:
        """``counts`` per tag; ``keys`` the key that tags with each."""
        chosen = self.chosen_tag()
        self.tags.clear()
        for name, n in counts.items():
            item = QListWidgetItem(f"{name} ({keys[name]}) — {n:,}" if name in keys else f"{name} — {n:,}")
            item.setData(256, name)
            self.tags.addItem(item)
            if name == chosen:
                self.tags.setCurrentItem(item)

    def show_filters(self, tags: list[str], current: str) -> None:
        """The scatter filter's choices: all points, each tag, untagged."""
        self.filter_combo.blockSignals(True)
        self.filter_combo.clear()
        self.filter_combo.addItem("all points", "")
        for name in tags + ["untagged"]:
            self.filter_combo.addItem(f"only {name}", name)
        self.filter_combo.setCurrentIndex(max(self.filter_combo.findData(current), 0))
        self.filter_combo.blockSignals(False)

    def chosen_tag(self) -> str:
        item = self.tags.currentItem()
        return item.data(256) if item is not None else ""
