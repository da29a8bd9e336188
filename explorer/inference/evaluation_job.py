"""Evaluate the open model for the window's Evaluate tab (an
:class:`~explorer.inference.requests.EvaluateModel` request), in the worker.

The measuring is ``models.fidelity_report.evaluate_model``'s, the same as
``latent-explorer evaluate``; this only finds the classifier it needs and says
clearly when there is none. No Qt.
"""

from __future__ import annotations

from collections.abc import Callable


def evaluate_open_model(model, request, progress: Callable[[int, int], None]) -> dict:
    """The report of ``request.n`` samples of ``model``; ``progress`` may raise to cancel."""
    from models.errors import LatentExplorerError
    from models.fidelity_report import evaluate_model
    from models.loading import bundled_classifier_for

    classifier = bundled_classifier_for(model)
    if classifier is None:
        info = model.info
        raise LatentExplorerError(
            f"{info.name}: no bundled classifier fits its images ({info.dataset or 'unknown data set'}, "
            f"{info.image_size}×{info.image_size}×{info.channels}), and the evaluation needs one: its "
            "features and its modes (attribute combinations or classes) come from it")
    return evaluate_model(model, classifier, request.n, truncate=request.truncate, seed=request.seed,
                          features=request.features, progress=progress)
