"""Prompt arithmetic parsing: quoted prompts, signs, weights, and errors that point."""

import numpy as np
import pytest

from explorer.core.expressions import ExpressionError
from explorer.core.prompt_expression import combine, describe, parse, prompts_in


def test_the_issue_example_parses_to_signed_prompts():
    terms = parse('"a man with glasses" - "a man" + "a woman"')
    assert [(t.weight, t.prompt) for t in terms] == [(1.0, "a man with glasses"), (-1.0, "a man"), (1.0, "a woman")]
    assert terms[1].position == 23


def test_weights_with_or_without_star_and_single_quotes_and_escapes():
    terms = parse("0.5 * 'a smile' - 2 \"say \\\"hi\\\"\" + .25'x'")
    assert [(t.weight, t.prompt) for t in terms] == [(0.5, "a smile"), (-2.0, 'say "hi"'), (0.25, "x")]
    assert parse('-"a"')[0].weight == -1.0


def test_combine_sums_weighted_embeddings_and_each_prompt_is_embedded_once():
    terms = parse('"a" - "b" + 0.5 * "a"')
    assert prompts_in(terms) == ["a", "b"]
    e = {"a": np.array([1.0, 2.0], np.float32), "b": np.array([4.0, 0.0], np.float32)}
    out = combine(terms, e)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [1.5 - 4.0, 3.0])


def test_describe_writes_the_expression_back():
    assert describe(parse('"a man with glasses"-"a man"+ 0.5*"a woman"')) == \
        '"a man with glasses" - "a man" + 0.5 × "a woman"'


@pytest.mark.parametrize("text, position, words", [
    ("", 0, "empty"),
    ('"a man" "a woman"', 8, "expected + or -"),
    ('"a man" - a woman', 10, "must be in quotes"),
    ('"a man" - 2 * woman', 14, "must weigh a quoted prompt"),
    ('"a man" + "a woman', 10, "no closing"),
    ('"a man" -', 9, "ends too soon"),
    ('"a" + "  "', 6, "empty prompt"),
])
def test_errors_point_at_the_character(text, position, words):
    with pytest.raises(ExpressionError) as err:
        parse(text)
    assert err.value.position == position
    assert words in str(err.value)
    assert err.value.pointer().splitlines()[1] == " " * position + "^"


def test_embeddings_of_different_sizes_are_refused():
    with pytest.raises(ExpressionError, match="different sizes"):
        combine(parse('"a" + "b"'), {"a": np.zeros(2), "b": np.zeros(3)})
