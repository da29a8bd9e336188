"""What every controller shares: the session, the inference client, and the
few views that belong to no one capability (scatter, preview, message bar,
hover tip, job status, overlays, settings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class WindowContext:
    """Built by the main window and handed to each controller."""

    window: Any  # the QMainWindow: parent of dialogs, owner of the status bar
    session: Any  # ExplorerSession
    client: Any  # InferenceClient
    settings: Any  # Settings
    scatter: Any  # ScatterView
    preview: Any  # PreviewPanel
    message_bar: Any  # MessageBar
    tip: Any  # ThumbnailTip
    jobs: Any  # JobStatus
    overlays: Any  # OverlayLayers
    models: Any = None  # ModelController, once built: which model is open
