"""Conditional ``sample`` runs: ``--where QUERY --min-confidence P`` and ``--direction``.

``--where`` draws prior samples in the run's batch grid (candidates 0, 1, 2, …
of the seed), labels each batch with the bundled classifier, and keeps the
images whose query holds with at least the asked confidence (see
:mod:`explorer.core.query_confidence`) until N are kept. Each kept image is
named by its candidate index (``000017.png``), so the same command writes the
same bytes, and ``--resume`` continues after the last kept image's batch. A
query the model rarely satisfies stops the run with a message: after
``10 × N`` draws if under 1 % of them were kept, and in any case after
``100 × N`` draws. A ``--where`` run is not sharded (which images are kept
depends on every earlier draw).

``--define NAME=QUERY`` names vectors as ``arithmetic`` does (the mean latent
of the bank entries matching the query; the bank is built with the run's
seed and ``--bank`` codes); ``--direction EXPR`` (a name, or an expression
over names such as ``smile - frown``) moves every sample by ``--strength`` ×
that vector before it is decoded (and before ``--where`` judges it). Each
record's ``recipe`` says so: ``{"kind": "direction", "vector", "strength",
"definitions", "bank", "base": {"kind": "prior", "seed", "index"}}``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from explorer.commands.progress import progress_bar

if TYPE_CHECKING:
    import numpy as np

#: Draws after which a run that kept under 1 % of them is stopped, and after which any run is: × N.
EARLY_STOP_DRAWS, MAX_DRAWS = 10, 100


@dataclass(frozen=True)
class Conditions:
    """What makes a ``sample`` run conditional (all empty: a plain run)."""

    where: str | None = None
    min_confidence: float = 0.5
    definitions: tuple[tuple[str, str], ...] = ()
    direction: str | None = None
    strength: float = 1.0
    bank_size: int = 2000

    def settings(self) -> dict:
        """What these conditions add to a run's settings (a resume must match them)."""
        return {"where": self.where, "min_confidence": self.min_confidence if self.where else None,
                "direction": self.direction, "strength": self.strength if self.direction else None,
                "definitions": dict(self.definitions) if self.direction else None,
                "bank": self.bank_size if self.direction else None}


def _probability(text: str) -> float:
    from explorer.commands.options import non_negative_float

    value = non_negative_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"a confidence is from 0 to 1, got {text}")
    return value


def _finite(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def add_condition_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``sample`` that make a run conditional."""
    from explorer.commands.options import bounded

    g = parser.add_argument_group("conditional generation")
    g.add_argument("--where", default=None, metavar="QUERY",
                   help="keep only images the bundled classifier says match, e.g. 'glasses & !male' or "
                        "'label == 7', until N are kept (not with --shard or --engine ray)")
    g.add_argument("--min-confidence", type=_probability, default=None, metavar="P",
                   help="--where: how sure the classifier must be, 0 to 1 (default 0.5; '&' takes the smaller "
                        "confidence, '|' the larger, '!' one minus)")
    g.add_argument("--define", action="append", default=[], metavar="NAME=QUERY",
                   help="a named vector for --direction: the mean latent of the bank entries matching QUERY "
                        "(as arithmetic defines them; repeatable)")
    g.add_argument("--direction", default=None, metavar="EXPR",
                   help="move every sample by --strength × this vector (a --define'd name or an expression "
                        "over them, e.g. 'smile - frown')")
    g.add_argument("--strength", type=_finite, default=None, metavar="S", help="--direction: how far (default 1)")
    g.add_argument("--bank", type=bounded(int, most=100_000), default=None, metavar="N",
                   help="--direction: codes in the bank the vectors are defined on (default 2000)")


def conditions_from_args(args) -> Conditions | None:
    """The conditions the options ask for (None for a plain run); ValueError for a combination that cannot run."""
    from explorer.commands.arithmetic import parse_definition

    plain = args.where is None and args.direction is None
    if args.min_confidence is not None and args.where is None:
        raise ValueError("--min-confidence: only with --where QUERY")
    for option, given in (("--define", args.define), ("--strength", args.strength is not None),
                          ("--bank", args.bank is not None)):
        if given and args.direction is None:
            raise ValueError(f"{option}: only with --direction")
    if plain:
        return None
    if args.engine == "ray":
        raise ValueError("--where and --direction run on --engine local only")
    if args.where is not None and args.shard is not None:
        raise ValueError("--where: a conditional run is not sharded (which images are kept depends on every "
                         "earlier draw); drop --shard")
    if args.where is not None and not args.where.strip():
        raise ValueError("--where: the query is empty")
    if args.direction is not None and not args.define:
        raise ValueError("--direction: define its vectors with --define NAME=QUERY")
    definitions = tuple(parse_definition(d) for d in args.define)
    return Conditions(where=args.where, min_confidence=0.5 if args.min_confidence is None else args.min_confidence,
                      definitions=definitions, direction=args.direction,
                      strength=1.0 if args.strength is None else args.strength,
                      bank_size=2000 if args.bank is None else args.bank)


class Plan:
    """The conditions made concrete for one model: the vector to move by, the query to keep by."""

    def __init__(self, conditions: Conditions, classifier, seed: int):
        self.conditions, self.classifier, self.seed = conditions, classifier, seed
        self.vector: np.ndarray | None = None
        self.definitions: dict = {}

    @property
    def conditional(self) -> bool:
        return self.conditions.where is not None

    def move(self, latents: np.ndarray) -> np.ndarray:
        """The batch's prior latents moved along the direction (unchanged without one)."""
        import numpy as np

        if self.vector is None:
            return latents
        step = (np.float32(self.conditions.strength) * self.vector).reshape(latents.shape[1:])
        return (latents + step).astype(np.float32)

    def confidence(self, probs: np.ndarray) -> np.ndarray:
        """How sure the classifier is that the query holds, per image of a batch."""
        from explorer.core.query_confidence import query_confidence

        clf = self.classifier
        if clf.multilabel:
            return query_confidence(self.conditions.where, {k: probs[:, j] for j, k in enumerate(clf.names)})
        return query_confidence(self.conditions.where, {}, clf.names, probs)

    def recipe(self, index: int) -> dict:
        base = {"kind": "prior", "seed": self.seed, "index": int(index)}
        if self.vector is None:
            return base
        c = self.conditions
        return {"kind": "direction", "vector": c.direction, "strength": c.strength, "definitions": self.definitions,
                "bank": {"size": c.bank_size, "seed": self.seed}, "base": base}

    def check_bound(self, kept: int, draws: int, n: int, out) -> None:
        """Stop a ``--where`` run whose acceptance rate makes N out of reach."""
        hopeless = draws >= EARLY_STOP_DRAWS * n and kept * 100 < draws
        if kept >= n or not (hopeless or draws >= MAX_DRAWS * n):
            return
        c = self.conditions
        raise ValueError(f"--where {c.where!r} --min-confidence {c.min_confidence}: kept {kept} of {draws:,} draws "
                         f"({kept / draws:.2%}), so --n {n} would take more than {MAX_DRAWS * n:,} draws; loosen "
                         f"the query, lower --min-confidence or --n ({out} holds the {kept} kept so far, unfinished)")


def prepare(conditions: Conditions, model, classifier, seed: int, progress: bool) -> Plan:
    """Check the conditions against ``model`` and build the direction's vector.

    Raises ValueError (naming the option) for a query the classifier cannot
    answer, a model without a classifier for ``--where``, or a definition no
    bank entry matches.
    """
    import numpy as np

    from explorer.core.expressions import ExpressionError

    plan = Plan(conditions, classifier, seed)
    if conditions.where is not None:
        if classifier is None:
            info = model.info
            raise ValueError(f"--where: no bundled classifier fits {info.name} ({info.dataset or 'no data set'}, "
                             f"{info.image_size}px images), so there is nothing to judge the query with")
        try:
            plan.confidence(np.full((1, len(classifier.names)), 0.5, np.float32))
        except ExpressionError as exc:
            raise ValueError(f"--where {conditions.where!r}: {exc}") from None
    if conditions.direction is not None:
        plan.vector, plan.definitions = _direction(conditions, model, seed, progress)
    return plan


def _direction(conditions: Conditions, model, seed: int, progress: bool) -> tuple[np.ndarray, dict]:
    """The --direction vector, defined on a bank built as ``arithmetic`` builds it, and its definitions."""
    import numpy as np

    from explorer.core.attribute_vectors import mean_vector
    from explorer.core.expressions import ExpressionError, evaluate
    from explorer.core.queries import query_mask
    from explorer.inference.bank_builder import build_bank

    with progress_bar("building the latent bank for --direction", 1000, progress) as update:
        bank = build_bank(model, conditions.bank_size, seed, update)
    names, definitions = {}, {}
    for name, query in conditions.definitions:
        try:
            mask = query_mask(bank, query)
        except ValueError as exc:
            raise ValueError(f"--define {name}={query}: {exc}") from None
        if not mask.any():
            raise ValueError(f"--define {name}={query}: no entry of the bank ({bank.source}) matches")
        names[name] = mean_vector(bank.latents, mask)
        definitions[name] = {"query": query, "matches": int(mask.sum())}
    try:
        vector = evaluate(conditions.direction, names)
    except (ExpressionError, ValueError) as exc:
        raise ValueError(f"--direction {conditions.direction!r}: {exc}") from None
    return np.asarray(vector, np.float32).ravel(), definitions
