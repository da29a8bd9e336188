"""Undo and redo of session edits, Qt-free.

An edit is recorded after it is done, as the state before and after it (any
objects with which ``restore`` can put the session back). Later capabilities
(tags, slides) push their edits onto the same stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from explorer.core.events import Event

UNDO_LIMIT = 200  # edits kept; a snapshot shares unchanged arrays, so this costs little


@dataclass(frozen=True)
class Edit:
    """One undoable step: its label (``"Define vector man"``) and the states around it."""

    label: str
    before: Any
    after: Any


class History:
    """A linear undo stack with a clean mark (the state last saved)."""

    def __init__(self, restore: Callable[[Any], None], limit: int = UNDO_LIMIT) -> None:
        self._restore = restore
        self._limit = limit
        self._edits: list[Edit] = []
        self._index = 0  # edits[:index] are done
        self._clean: int | None = 0
        self.changed = Event()

    def push(self, edit: Edit) -> None:
        """Record an edit that has just been done; it drops any redo tail."""
        if self._clean is not None and self._clean > self._index:
            self._clean = None  # the saved state is in the tail being dropped: unreachable now
        del self._edits[self._index:]
        self._edits.append(edit)
        if len(self._edits) > self._limit:
            del self._edits[0]
            self._clean = None if self._clean in (None, 0) else self._clean - 1
        self._index = len(self._edits)
        self.changed.emit()

    def undo(self) -> str | None:
        """Undo the last edit; returns its label, or None when there is nothing to undo."""
        if not self.can_undo():
            return None
        self._index -= 1
        edit = self._edits[self._index]
        self._restore(edit.before)
        self.changed.emit()
        return edit.label

    def redo(self) -> str | None:
        """Redo the next edit; returns its label, or None when there is nothing to redo."""
        if not self.can_redo():
            return None
        edit = self._edits[self._index]
        self._index += 1
        self._restore(edit.after)
        self.changed.emit()
        return edit.label

    def can_undo(self) -> bool:
        return self._index > 0

    def can_redo(self) -> bool:
        return self._index < len(self._edits)

    def undo_label(self) -> str:
        return self._edits[self._index - 1].label if self.can_undo() else ""

    def redo_label(self) -> str:
        return self._edits[self._index].label if self.can_redo() else ""

    def clear(self) -> None:
        self._edits.clear()
        self._index = 0
        self._clean = 0
        self.changed.emit()

    def mark_clean(self) -> None:
        """The current state is saved."""
        self._clean = self._index
        self.changed.emit()

    def is_clean(self) -> bool:
        return self._clean == self._index

    def __len__(self) -> int:
        return len(self._edits)
