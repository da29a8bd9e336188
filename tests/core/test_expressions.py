import numpy as np
import pytest

from explorer.core.expressions import ExpressionError, evaluate, names_in


NAMES = {"glasses_man": np.array([1.0, 2.0]), "man": np.array([1.0, 0.0]), "woman": np.array([0.0, 1.0]),
         "smile": np.array([2.0, 2.0]), "face3": np.array([0.5, 0.5])}


def test_arithmetic_follows_precedence():
    assert np.allclose(evaluate("glasses_man - man + woman", NAMES), [0.0, 3.0])
    assert np.allclose(evaluate("0.5*smile + face3", NAMES), [1.5, 1.5])
    assert np.allclose(evaluate("-(man - woman) / 2", NAMES), [-0.5, 0.5])
    assert np.allclose(evaluate("2 * 3 * man", NAMES), [6.0, 0.0])
    assert names_in("a - b + a") == ["a", "b"]


@pytest.mark.parametrize("text, message, position", [
    ("glasses_man - ", "ends too soon", 14),
    ("man + kitten", "unknown name 'kitten'", 6),
    ("man * woman", "cannot multiply two vectors", 4),
    ("man + 2", "cannot add a number", 4),
    ("man $ woman", "unexpected character '$'", 4),
    ("(man + woman", "missing ')'", 12),
    ("man / 0", "division by zero", 4),
    ("3 + 4", "is a number", 0),
    ("man woman", "unexpected 'woman'", 4),
    ("", "empty", 0),
])
def test_errors_point_at_the_character(text, message, position):
    with pytest.raises(ExpressionError) as info:
        evaluate(text, NAMES)
    assert message in str(info.value)
    assert info.value.position == position
    assert info.value.pointer().splitlines()[-1] == " " * position + "^"
