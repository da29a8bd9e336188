"""A tiny Qt-free event: the core announces changes, views subscribe.

Views render from the core models and write user actions into them; the core
says what changed through these events (napari's ``EventedModel`` idea, kept
small). Callbacks run synchronously in the caller's thread — the GUI thread,
the only one that touches a session.
"""

from __future__ import annotations

from typing import Callable


class Event:
    """Callbacks called with the event's arguments, in connection order."""

    def __init__(self) -> None:
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> Callable:
        """Call ``callback(*args)`` on every :meth:`emit`; returns it (usable as a decorator)."""
        self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):
            callback(*args)


class Events:
    """A named group of events: ``Events("bank", "layout").layout.connect(cb)``."""

    def __init__(self, *names: str) -> None:
        self.names = names
        for name in names:
            setattr(self, name, Event())
