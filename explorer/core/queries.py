"""Boolean queries over a bank's attributes and labels.

``male & glasses``, ``!male & !glasses``, ``label == 7``, ``hat | (beard & !smiling)``.
An attribute is true where its value is ≥ 0.5; ``label == X`` compares with the
label's name. Errors carry the character position they point at; nesting
(parentheses, ``!``) deeper than :data:`MAX_NESTING` is refused with its position.
"""

from __future__ import annotations

import re

import numpy as np

from explorer.core.expressions import MAX_NESTING, ExpressionError
from explorer.core.latent_bank import LatentBank

_TOKEN = re.compile(r"\s*(?:(?P<op>==|!=|[&|!()])|(?P<word>[A-Za-z0-9_.\-]+))")


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOKEN.match(text, pos)
        if not m:
            bad = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise ExpressionError(f"unexpected character {text[bad]!r}", bad, text)
        kind = m.lastgroup
        out.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    out.append(("end", "", len(text)))
    return out


def query_mask(bank: LatentBank, text: str) -> np.ndarray:
    """Boolean mask (n,) of the bank entries that match ``text``."""
    if not text.strip():
        raise ExpressionError("the query is empty", 0, text)
    toks = _tokens(text)
    i = 0
    depth = 0

    def peek():
        return toks[i]

    def take():
        nonlocal i
        i += 1
        return toks[i - 1]

    def atom():
        kind, val, pos = take()
        if kind == "op" and val == "(":
            m = either()
            k2, v2, p2 = take()
            if v2 != ")":
                raise ExpressionError("missing ')'", p2, text)
            return m
        if kind == "word":
            if peek()[1] in ("==", "!="):
                op = take()[1]
                k3, v3, p3 = take()
                if k3 != "word":
                    raise ExpressionError("expected a value after " + op, p3, text)
                m = _compare(bank, val, v3, pos, p3, text)
                return m if op == "==" else ~m
            if val in bank.attributes:
                return np.asarray(bank.attributes[val]) >= 0.5
            known = ", ".join(bank.colour_fields()) or "none"
            raise ExpressionError(f"unknown attribute {val!r} (known: {known})", pos, text)
        if kind == "end":
            raise ExpressionError("the query ends too soon", pos, text)
        raise ExpressionError(f"unexpected {val!r}", pos, text)

    def negation():
        # Every level of '(' and '!' passes here: count them, so a 5,000-deep
        # query is refused by position instead of by Python's recursion limit.
        nonlocal depth
        depth += 1
        try:
            if depth > MAX_NESTING:
                raise ExpressionError(f"the query is nested too deeply (more than {MAX_NESTING} levels)", peek()[2], text)
            if peek()[1] == "!":
                take()
                return ~negation()
            return atom()
        finally:
            depth -= 1

    def both():
        m = negation()
        while peek()[1] == "&":
            take()
            m = m & negation()
        return m

    def either():
        m = both()
        while peek()[1] == "|":
            take()
            m = m | both()
        return m

    try:
        mask = either()
    except RecursionError:
        raise ExpressionError(f"the query is nested too deeply (more than {MAX_NESTING} levels)", 0, text) from None
    if peek()[0] != "end":
        raise ExpressionError(f"unexpected {peek()[1]!r}", peek()[2], text)
    return mask


def _compare(bank: LatentBank, field: str, value: str, pos: int, vpos: int, text: str) -> np.ndarray:
    if field == "label":
        if bank.labels is None:
            raise ExpressionError("this bank has no labels", pos, text)
        if value not in bank.label_names:
            raise ExpressionError(f"no label {value!r} (labels: {', '.join(bank.label_names)})", vpos, text)
        return bank.labels == bank.label_names.index(value)
    if field in bank.attributes:
        try:
            target = float(value)
        except ValueError:
            raise ExpressionError(f"{field} compares with a number, not {value!r}", vpos, text) from None
        return (np.asarray(bank.attributes[field]) >= 0.5) == (target >= 0.5)
    raise ExpressionError(f"unknown field {field!r}", pos, text)
