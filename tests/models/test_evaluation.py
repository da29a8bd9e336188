import numpy as np

from models.evaluation import decisive, frechet_distance


def test_frechet_distance_is_zero_for_same_set_and_grows_with_shift():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 4))
    assert abs(frechet_distance(a, a)) < 1e-6
    near = frechet_distance(a, rng.normal(size=(500, 4)))
    far = frechet_distance(a, rng.normal(size=(500, 4)) + 2.0)
    assert 0 <= near < 0.2 < 15 < far < 17  # shift of 2 in 4 dims: |Δμ|² = 16


def test_decisive_rule():
    p = np.array([[0.05, 0.95], [0.5, 0.99], [0.1, 0.9]])
    assert list(decisive(p, multilabel=True)) == [True, False, True]
    assert list(decisive(np.array([[0.95, 0.05], [0.6, 0.4]]), multilabel=False)) == [True, False]


def test_half_space_ceiling_grows_with_the_number_of_exemplars():
    from models.evaluation import half_space_arithmetic_ceiling

    three = half_space_arithmetic_ceiling(0.5, 0.4, dim=16, exemplars=3, banks=4)
    thirty = half_space_arithmetic_ceiling(0.5, 0.4, dim=16, exemplars=30, banks=4)
    assert 0.6 < three < 0.9 < thirty <= 1.0
