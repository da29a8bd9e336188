import numpy as np
import pytest

from explorer.core.attribute_vectors import balanced_vector, boundary_direction, difference_vector, orthogonalize
from explorer.core.expressions import ExpressionError
from explorer.core.latent_bank import LatentBank
from explorer.core.neighbours import nearest
from explorer.core.queries import query_mask


def _bank(n=400, seed=0, labels=False):
    rng = np.random.default_rng(seed)
    male = rng.random(n) < 0.5
    glasses = rng.random(n) < 0.4
    return LatentBank(
        latents=rng.standard_normal((n, 8)).astype(np.float32), latent_shape=(8,), source="test",
        seeds=np.zeros(n, np.int64), indices=np.arange(n),
        attributes={"male": male.astype(np.float32), "glasses": glasses.astype(np.float32)},
        labels=(np.arange(n) % 10) if labels else None, label_names=tuple(str(i) for i in range(10)) if labels else (),
    )


def test_queries_combine_attributes_and_labels():
    b = _bank(labels=True)
    male, glasses = b.attributes["male"] > 0.5, b.attributes["glasses"] > 0.5
    assert np.array_equal(query_mask(b, "male & glasses"), male & glasses)
    assert np.array_equal(query_mask(b, "!male & !glasses"), ~male & ~glasses)
    assert np.array_equal(query_mask(b, "male | (glasses & !male)"), male | (glasses & ~male))
    assert np.array_equal(query_mask(b, "label == 7"), np.arange(400) % 10 == 7)
    assert np.array_equal(query_mask(b, "label != 7 & glasses"), (np.arange(400) % 10 != 7) & glasses)


@pytest.mark.parametrize("text, message", [("male & hat", "unknown attribute 'hat'"), ("male &", "ends too soon"),
                                           ("label == 11", "no label '11'"), ("(male", "missing ')'"), ("male # x", "unexpected character")])
def test_query_errors(text, message):
    with pytest.raises(ExpressionError) as info:
        query_mask(_bank(labels=True), text)
    assert message in str(info.value)


def test_balanced_vector_removes_a_correlated_attribute():
    """Smiling correlates with female here; the naive smile vector carries gender, the balanced one does not."""
    rng = np.random.default_rng(3)
    n = 4000
    male = rng.random(n) < 0.5
    smile = np.where(male, rng.random(n) < 0.2, rng.random(n) < 0.8)
    z = rng.standard_normal((n, 6)) * 0.1
    z[:, 0] += 2.0 * smile   # the true smile axis
    z[:, 1] += 2.0 * male    # the gender axis
    naive = difference_vector(z, smile, ~smile)
    balanced = balanced_vector(z, smile, {"male": male})
    assert abs(naive[1]) > 0.8  # biased towards "not male"
    assert abs(balanced[1]) < 0.05 and abs(balanced[0] - 2.0) < 0.05


def test_boundary_direction_finds_the_axis_with_its_accuracy():
    rng = np.random.default_rng(4)
    z = rng.standard_normal((1000, 5))
    y = z[:, 2] > 0
    normal, acc = boundary_direction(z, y)
    assert abs(normal[2]) > 0.95 and acc > 0.9
    assert abs(np.linalg.norm(normal) - 1) < 1e-5


def test_orthogonalize_keeps_other_attributes_fixed():
    d = np.array([1.0, 1.0, 0.0])
    keep = [np.array([0.0, 2.0, 0.0])]
    o = orthogonalize(d, keep)
    assert np.allclose(o, [1, 0, 0], atol=1e-6)
    assert abs(o @ keep[0]) < 1e-6
    with pytest.raises(ValueError):
        orthogonalize(np.array([0.0, 1.0, 0.0]), keep)


def test_nearest_neighbours_both_metrics():
    x = np.array([[0.0, 1.0], [0.0, 2.0], [1.0, 0.0], [5.0, 5.0]])
    idx, d = nearest(x, np.array([0.0, 1.1]), k=2)
    assert list(idx) == [0, 1] and d[0] < d[1]
    idx, _ = nearest(x, np.array([0.0, 10.0]), k=2, metric="cosine")
    assert set(idx) == {0, 1}  # same direction, whatever the length
    idx, _ = nearest(x, x[0], k=1, exclude=0)
    assert idx[0] == 1
