"""The project's error types for the model side.

Every problem with a file a user hands us becomes one of these, with a message
that names the file and says what is wrong, so the CLI and the window can show
it as one line instead of a traceback from deep inside torch.
"""


class LatentExplorerError(Exception):
    """Base class of the errors a user can cause and fix."""


class CheckpointError(LatentExplorerError):
    """A checkpoint cannot be read: missing, malformed, unsafe or inconsistent."""


class DatasetError(LatentExplorerError):
    """A dataset cannot be loaded or written."""


class MissingHyperParameters(CheckpointError):
    """The file cannot tell its own architecture; ``missing`` names what to ask for."""

    def __init__(self, message: str, missing: list[str]):
        super().__init__(message)
        self.missing = list(missing)
