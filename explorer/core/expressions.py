"""Latent arithmetic expressions: ``glasses_man - man + woman``, ``0.5*smile + face3``.

Grammar (usual precedence, left to right)::

    expr   := term (('+' | '-') term)*
    term   := factor (('*' | '/') factor)*
    factor := ('+' | '-') factor | NUMBER | NAME | '(' expr ')'

A product needs at least one side to be a number (a vector times a vector is
refused). Errors carry the character position they point at. Nesting
(parentheses, signs) deeper than :data:`MAX_NESTING` is refused with its
position, before Python's own recursion limit could end the parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

import numpy as np

MAX_NESTING = 100
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*/()]))")


class ExpressionError(ValueError):
    """A parse or evaluation error; ``position`` is the offending character's index."""

    def __init__(self, message: str, position: int, text: str = ""):
        self.position, self.text = position, text
        super().__init__(f"{message} (at character {position + 1})")

    def pointer(self) -> str:
        """The expression with a caret under the offending character."""
        return f"{self.text}\n{' ' * self.position}^"


@dataclass(frozen=True)
class _Tok:
    kind: str
    value: str
    pos: int


def tokenize(text: str) -> list[_Tok]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            bad = pos + (len(text[pos:]) - len(text[pos:].lstrip()))
            raise ExpressionError(f"unexpected character {text[bad]!r}", bad, text)
        kind = m.lastgroup
        start = m.start(kind)
        tokens.append(_Tok(kind, m.group(kind), start))
        pos = m.end()
    tokens.append(_Tok("end", "", len(text)))
    return tokens


def names_in(text: str) -> list[str]:
    """Names the expression uses, in order of first appearance."""
    seen = []
    for t in tokenize(text):
        if t.kind == "name" and t.value not in seen:
            seen.append(t.value)
    return seen


def evaluate(text: str, names: Mapping[str, np.ndarray]) -> np.ndarray:
    """Evaluate ``text`` with ``names`` bound to vectors; returns a float32 vector."""
    if not text.strip():
        raise ExpressionError("the expression is empty", 0, text)
    parser = _Parser(tokenize(text), names, text)
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported by _check_finite, in words
            value = parser.expr()
    except RecursionError:  # MAX_NESTING stays below the limit; this guards a caller already deep in its stack
        raise ExpressionError(f"the expression is nested too deeply (more than {MAX_NESTING} levels)", 0, text) from None
    if parser.peek().kind != "end":
        t = parser.peek()
        raise ExpressionError(f"unexpected {t.value!r}", t.pos, text)
    if np.isscalar(value) or np.ndim(value) == 0:
        raise ExpressionError("the expression is a number, not a latent vector", 0, text)
    return np.asarray(value, np.float32)


class _Parser:
    def __init__(self, tokens, names, text):
        self.tokens, self.names, self.text, self.i = tokens, names, text, 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def expr(self):
        value = self.term()
        while self.peek().value in ("+", "-") and self.peek().kind == "op":
            op = self.take()
            rhs = self.term()
            self._check_same_kind(value, rhs, op)
            value = value + rhs if op.value == "+" else value - rhs
            self._check_finite(value, op)
        return value

    def term(self):
        value = self.factor()
        while self.peek().value in ("*", "/") and self.peek().kind == "op":
            op = self.take()
            rhs = self.factor()
            if op.value == "*":
                if np.ndim(value) and np.ndim(rhs):
                    raise ExpressionError("cannot multiply two vectors (scale one by a number)", op.pos, self.text)
                value = value * rhs
            else:
                if np.ndim(rhs):
                    raise ExpressionError("cannot divide by a vector", op.pos, self.text)
                if rhs == 0:
                    raise ExpressionError("division by zero", op.pos, self.text)
                value = value / rhs
            self._check_finite(value, op)
        return value

    def factor(self):
        # Every '(' and sign nests through here: count the levels, so a
        # 5,000-deep expression is refused by position, not by RecursionError.
        t = self.take()
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                raise ExpressionError(f"the expression is nested too deeply (more than {MAX_NESTING} levels)",
                                      t.pos, self.text)
            return self._factor(t)
        finally:
            self.depth -= 1

    def _factor(self, t: _Tok):
        if t.kind == "op" and t.value in ("+", "-"):
            v = self.factor()
            return -v if t.value == "-" else v
        if t.kind == "num":
            return float(t.value)
        if t.kind == "name":
            if t.value not in self.names:
                known = ", ".join(sorted(self.names)) or "none defined"
                raise ExpressionError(f"unknown name {t.value!r} (known: {known})", t.pos, self.text)
            return np.asarray(self.names[t.value], np.float64)
        if t.kind == "op" and t.value == "(":
            v = self.expr()
            close = self.take()
            if close.value != ")":
                raise ExpressionError("missing ')'", close.pos, self.text)
            return v
        if t.kind == "end":
            raise ExpressionError("the expression ends too soon", t.pos, self.text)
        raise ExpressionError(f"unexpected {t.value!r}", t.pos, self.text)

    def _check_finite(self, value, op) -> None:
        # Latents are float32: a vector beyond its range (or NaN) would decode to garbage.
        if np.ndim(value) and not np.all(np.abs(value) <= np.finfo(np.float32).max):
            raise ExpressionError("the result is not finite (it overflows the range of a latent)", op.pos, self.text)

    def _check_same_kind(self, a, b, op):
        if bool(np.ndim(a)) != bool(np.ndim(b)):
            raise ExpressionError("cannot add a number to a vector", op.pos, self.text)
        if np.ndim(a) and np.shape(a) != np.shape(b):
            raise ExpressionError(f"vectors of different sizes ({np.shape(a)} and {np.shape(b)})", op.pos, self.text)
