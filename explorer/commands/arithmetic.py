"""``latent-explorer arithmetic``: named vectors from attribute queries, an
expression over them, and the decoded result."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from explorer.commands.progress import progress_bar


def parse_definition(text: str) -> tuple[str, str]:
    """``NAME=QUERY`` → (name, query)."""
    import re

    name, sep, query = text.partition("=")
    name = name.strip()
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or not query.strip():
        raise ValueError(f"--define {text!r}: expected NAME=QUERY, e.g. glasses_man='male & glasses'")
    return name, query.strip()


def run_arithmetic(checkpoint, definitions: list[str], expr: str, out: Path, exemplars: int | None = None,
                   seed: int = 0, bank_size: int = 2000, scale: int = 8, device: str = "cpu",
                   progress: bool = True, hints=None) -> dict:
    from explorer.core.attribute_vectors import mean_vector
    from explorer.core.expressions import evaluate
    from explorer.core.queries import query_mask
    from explorer.inference.bank_builder import build_bank
    from models.imaging import save_png
    from models.loading import bundled_classifier_for, load_latent_model, resolve_checkpoint
    from models.reproducible import decode_for_keeps

    defs = [parse_definition(d) for d in definitions]
    path = resolve_checkpoint(checkpoint)
    model = load_latent_model(path, device, **(hints or {}))
    with progress_bar("building the latent bank", 1000, progress) as update:
        bank = build_bank(model, bank_size, seed, update)
    names, record = {}, {}
    for i, (name, query) in enumerate(defs):
        try:
            mask = query_mask(bank, query)
        except ValueError as exc:
            raise ValueError(f"--define {name}={query}: {exc}") from None
        matches = np.flatnonzero(mask)
        if len(matches) == 0:
            raise ValueError(f"--define {name}={query}: no entry of the bank ({bank.source}) matches")
        chosen = matches
        if exemplars:
            if len(matches) < exemplars:
                raise ValueError(f"--define {name}={query}: {len(matches)} matches, fewer than --exemplars {exemplars}")
            chosen = np.sort(np.random.default_rng([seed, i]).choice(matches, exemplars, replace=False))
        names[name] = mean_vector(bank.latents, np.isin(np.arange(len(bank)), chosen))
        record[name] = {"query": query, "matches": int(len(matches)), "used": [int(c) for c in chosen[:50]],
                        "used_count": int(len(chosen))}
    try:
        result = evaluate(expr, names)
    except ValueError as exc:
        raise ValueError(f"--expr: {exc}") from None
    latent = result.reshape(model.latent_shape)
    image = decode_for_keeps(model, latent[None])[0]  # a kept image: the same bytes as sample's
    save_png(out, image.repeat(scale, 0).repeat(scale, 1))
    doc = {"checkpoint": str(path), "model": model.info.name, "expression": expr, "definitions": record,
           "bank": {"size": len(bank), "source": bank.source}, "seed": seed, "exemplars": exemplars,
           "out": str(out), "latent": result.ravel().tolist(), "latent_norm": float(np.linalg.norm(result))}
    clf = bundled_classifier_for(model)
    if clf is not None:
        probs = clf.predict(image[None])[0]
        doc["attributes"] = {k: round(float(p), 4) for k, p in zip(clf.names, probs)}
    return doc
