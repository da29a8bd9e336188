"""Prompt arithmetic: ``"a man with glasses" - "a man" + "a woman"``, ``0.5 * "a smile" + "a face"``.

An expression is a signed sum of quoted prompts, each with an optional
numeric weight before it (``0.5 * "x"`` or ``0.5 "x"``)::

    expr := term (('+' | '-') term)*
    term := ('+' | '-')? (NUMBER '*'?)? STRING

A prompt is quoted with ``"`` or ``'``; a backslash escapes the quote or
itself. Parsing is Qt- and torch-free: :func:`parse` gives the weighted
prompts, the worker embeds each one, and :func:`combine` sums their
embeddings. Errors are :class:`~explorer.core.expressions.ExpressionError`,
pointing at the character (as latent expressions do).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from explorer.core.expressions import ExpressionError

MAX_TERMS = 32  # each prompt costs a text-encoder pass
_NUMBER = re.compile(r"\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class PromptTerm:
    """One ``weight × "prompt"`` of an expression; ``position`` is where its prompt starts."""

    weight: float
    prompt: str
    position: int


def parse(text: str) -> tuple[PromptTerm, ...]:
    """The weighted prompts of ``text``, in order; ExpressionError says what is wrong and where."""
    if not text.strip():
        raise ExpressionError("the expression is empty: write quoted prompts joined by + and -, "
                              "e.g. \"a man with glasses\" - \"a man\" + \"a woman\"", 0, text)
    terms: list[PromptTerm] = []
    pos = _skip(text, 0)
    first = True
    while pos < len(text):
        sign = 1.0
        if text[pos] in "+-":
            sign = -1.0 if text[pos] == "-" else 1.0
            pos = _skip(text, pos + 1)
        elif not first:
            raise ExpressionError(f"expected + or - before {text[pos]!r}", pos, text)
        weight = 1.0
        number = _NUMBER.match(text, pos)
        if number:
            weight = float(number.group())
            pos = _skip(text, number.end())
            if pos < len(text) and text[pos] == "*":
                pos = _skip(text, pos + 1)
        if pos >= len(text):
            raise ExpressionError("the expression ends too soon: a quoted prompt is missing", len(text), text)
        if text[pos] not in "\"'":
            what = "a number must weigh a quoted prompt" if number else "a prompt must be in quotes"
            raise ExpressionError(f"{what}, found {text[pos]!r}", pos, text)
        prompt, end = _quoted(text, pos)
        if not prompt.strip():
            raise ExpressionError("an empty prompt", pos, text)
        terms.append(PromptTerm(sign * weight, prompt, pos))
        if len(terms) > MAX_TERMS:
            raise ExpressionError(f"more than {MAX_TERMS} prompts", pos, text)
        pos, first = _skip(text, end), False
    if not terms:
        raise ExpressionError("no prompt in the expression", 0, text)
    return tuple(terms)


def prompts_in(terms: tuple[PromptTerm, ...]) -> list[str]:
    """The distinct prompts of ``terms``, in order of first appearance (each embedded once)."""
    return list(dict.fromkeys(t.prompt for t in terms))


def combine(terms: tuple[PromptTerm, ...], embeddings: Mapping[str, np.ndarray]) -> np.ndarray:
    """Σ weight × embedding(prompt), float32; refuses embeddings of different sizes."""
    total = None
    for term in terms:
        e = np.asarray(embeddings[term.prompt], np.float64).reshape(-1)
        if total is not None and e.shape != total.shape:
            raise ExpressionError(f"embeddings of different sizes ({total.shape} and {e.shape})", term.position)
        total = term.weight * e if total is None else total + term.weight * e
    if not np.all(np.isfinite(total)):
        raise ExpressionError("the result is not finite", 0)
    return total.astype(np.float32)


def describe(terms: tuple[PromptTerm, ...]) -> str:
    """The expression written back tidily (for the preview's rows and file names)."""
    out = []
    for i, t in enumerate(terms):
        body = ("" if abs(t.weight) == 1 else f"{abs(t.weight):g} × ") + f'"{t.prompt}"'
        sign = ("-" if t.weight < 0 else "") if i == 0 else ("- " if t.weight < 0 else "+ ")
        out.append(sign + body)
    return " ".join(out)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The prompt quoted at ``start`` and the index after its closing quote."""
    quote, out, pos = text[start], [], start + 1
    while pos < len(text):
        c = text[pos]
        if c == "\\" and pos + 1 < len(text) and text[pos + 1] in (quote, "\\"):
            out.append(text[pos + 1])
            pos += 2
            continue
        if c == quote:
            return "".join(out), pos + 1
        out.append(c)
        pos += 1
    raise ExpressionError(f"the prompt opened here has no closing {quote}", start, text)
