"""Generate until N samples pass an attribute query (runs in the inference worker).

Candidates are prior samples ``start, start + 1, …`` of the seed, decoded and
judged by the bundled classifier a batch at a time; those whose query holds
with at least the asked confidence are kept, with their true seed and index,
until N are kept. A query the model rarely satisfies stops with a message
after ``MAX_DRAWS × N`` candidates, saying the acceptance rate.
"""

from __future__ import annotations

import numpy as np

from explorer.core.expressions import ExpressionError
from explorer.core.latent_bank import LatentBank
from explorer.core.query_confidence import query_confidence
from models.errors import LatentExplorerError

MAX_DRAWS = 100  # × N candidates at most


class GenerateRefused(LatentExplorerError, ValueError):
    """A conditional generation the user asked for cannot be done (the message says why)."""
BATCH = 256


def generate_where(model, n: int, seed: int, start: int, where: str, min_confidence: float,
                   progress=None, offset: np.ndarray | None = None) -> tuple[LatentBank, dict]:
    """The first ``n`` prior samples of ``seed`` from ``start`` on that pass ``where``
    with confidence ≥ ``min_confidence``, as a bank; and ``{"drawn", "kept", "acceptance"}``.

    Raises :class:`GenerateRefused` when the model has no bundled classifier,
    the query is malformed, or too few candidates pass.
    """
    from models.loading import bundled_classifier_for

    clf = bundled_classifier_for(model)
    if clf is None:
        raise GenerateRefused(f"{model.info.name}: no bundled classifier to judge '{where}' with")
    kept: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    count, drawn, i = 0, 0, start
    while count < n:
        if drawn >= MAX_DRAWS * n:
            raise GenerateRefused(f"only {count} of {drawn:,} samples passed '{where}' with p ≥ {min_confidence:g} "
                             f"({100 * count / drawn:.2f} %); loosen the query or the confidence")
        idx = np.arange(i, i + BATCH, dtype=np.int64)
        latents = model.sample_latents(seed, idx)
        if offset is not None:  # moved along a direction first, then judged
            latents = (latents + np.asarray(offset, np.float32).reshape(model.latent_shape)).astype(np.float32)
        images = model.decode(latents, batch_size=BATCH)
        probs = clf.predict(images)
        try:
            if clf.multilabel:
                conf = query_confidence(where, {k: probs[:, j] for j, k in enumerate(clf.names)})
            else:
                conf = query_confidence(where, {}, clf.names, probs)
        except ExpressionError as exc:
            raise GenerateRefused(f"only where '{where}': {exc}") from None
        ok = np.flatnonzero(conf >= min_confidence)[: n - count]
        kept.append((idx[ok], latents[ok], images[ok], probs[ok]))
        count += len(ok)
        drawn += BATCH if count < n else int(ok[-1]) + 1 if len(ok) else BATCH
        i += BATCH
        if progress is not None:
            progress(count, n)
    idx, latents, images, probs = (np.concatenate(parts) for parts in zip(*kept))
    attributes, labels, names = {}, None, ()
    if clf.multilabel:
        attributes = {k: probs[:, j] for j, k in enumerate(clf.names)}
    else:
        labels, names = probs.argmax(1).astype(np.int64), tuple(clf.names)
    bank = LatentBank(latents=latents.reshape(len(latents), -1).astype(np.float32), latent_shape=tuple(model.latent_shape),
                      source=f"prior samples, seed {seed}, kept where {where} (p ≥ {min_confidence:g})",
                      seeds=np.full(len(idx), seed, np.int64), indices=idx, attributes=attributes, labels=labels,
                      label_names=names, thumbnails=images)
    return bank, {"drawn": drawn, "kept": count, "acceptance": count / max(drawn, 1)}
