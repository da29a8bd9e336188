"""How confidently a classifier says a query holds: ``glasses & !male`` → a value in [0, 1] per image.

The language is the one of :func:`explorer.core.queries.query_mask` (same
tokens, same precedence: ``!`` binds tighter than ``&``, which binds tighter
than ``|``), evaluated over probabilities instead of 0/1 values:

* an attribute is its probability; ``attr == 1`` the same, ``attr == 0`` one minus it;
* ``label == X`` is the probability of label X (single-label classifiers);
* ``!q`` is 1 − q, ``a & b`` the smaller of a and b, ``a | b`` the larger.

So a confidence of at least 0.5 is where ``query_mask`` (which thresholds
every attribute at 0.5) says the query holds (but for probabilities of exactly
0.5 under a ``!``), ``a & a`` means the
same as ``a``, and ``--min-confidence 0.9`` asks every part of a conjunction
to be at least 90 % sure.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from explorer.core.expressions import MAX_NESTING, ExpressionError
# The same tokenizer as query_mask, so a query reads the same in both places.
from explorer.core.queries import _tokens


def query_confidence(text: str, attributes: Mapping[str, np.ndarray], label_names: Sequence[str] = (),
                     label_probs: np.ndarray | None = None) -> np.ndarray:
    """The confidence (n,) that ``text`` holds for each of n classified images.

    Parameters
    ----------
    text : str
        A query such as ``glasses & !male`` or ``label == 7``.
    attributes : mapping of str → ndarray (n,)
        Per-attribute probabilities (a multi-label classifier's outputs).
    label_names, label_probs : sequence of str, ndarray (n, len(label_names))
        A single-label classifier's class probabilities, for ``label == X``.

    Raises
    ------
    ExpressionError
        The query is malformed or names an unknown attribute or label; the
        message points at the character.
    """
    if not text.strip():
        raise ExpressionError("the query is empty", 0, text)
    toks = _tokens(text)
    pos = 0
    depth = 0

    def peek():
        return toks[pos]

    def take():
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def field(name: str, where: int) -> np.ndarray:
        if name in attributes:
            return np.asarray(attributes[name], np.float64)
        known = ", ".join((["label"] if label_probs is not None else []) + list(attributes)) or "none"
        raise ExpressionError(f"unknown attribute {name!r} (known: {known})", where, text)

    def compare(name: str, value: str, where: int, vwhere: int) -> np.ndarray:
        if name == "label":
            if label_probs is None:
                raise ExpressionError("this classifier gives attributes, not labels", where, text)
            if value not in label_names:
                raise ExpressionError(f"no label {value!r} (labels: {', '.join(label_names)})", vwhere, text)
            return np.asarray(label_probs, np.float64)[:, list(label_names).index(value)]
        p = field(name, where)
        try:
            target = float(value)
        except ValueError:
            raise ExpressionError(f"{name} compares with a number, not {value!r}", vwhere, text) from None
        return p if target >= 0.5 else 1.0 - p

    def atom():
        kind, val, where = take()
        if kind == "op" and val == "(":
            c = either()
            if take()[1] != ")":
                raise ExpressionError("missing ')'", toks[pos - 1][2], text)
            return c
        if kind == "word":
            if peek()[1] in ("==", "!="):
                op = take()[1]
                k2, v2, p2 = take()
                if k2 != "word":
                    raise ExpressionError("expected a value after " + op, p2, text)
                c = compare(val, v2, where, p2)
                return c if op == "==" else 1.0 - c
            return field(val, where)
        if kind == "end":
            raise ExpressionError("the query ends too soon", where, text)
        raise ExpressionError(f"unexpected {val!r}", where, text)

    def negation():
        nonlocal depth
        depth += 1  # bounded, as in query_mask: a hostile query is refused, not a RecursionError
        try:
            if depth > MAX_NESTING:
                raise ExpressionError(f"the query is nested too deeply (more than {MAX_NESTING} levels)",
                                      peek()[2], text)
            if peek()[1] == "!":
                take()
                return 1.0 - negation()
            return atom()
        finally:
            depth -= 1

    def both():
        c = negation()
        while peek()[1] == "&":
            take()
            c = np.minimum(c, negation())
        return c

    def either():
        c = both()
        while peek()[1] == "|":
            take()
            c = np.maximum(c, both())
        return c

    result = either()
    if peek()[0] != "end":
        raise ExpressionError(f"unexpected {peek()[1]!r}", peek()[2], text)
    return np.asarray(result, np.float64)
