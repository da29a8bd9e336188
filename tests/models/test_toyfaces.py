import numpy as np
import pytest

from models.data.toyfaces import ATTRIBUTES, make_toyfaces


def test_same_seed_same_bytes_and_other_seed_differs():
    a, la = make_toyfaces(32, seed=3, size=32)
    b, lb = make_toyfaces(32, seed=3, size=32)
    c, _ = make_toyfaces(32, seed=4, size=32)
    assert a.dtype == np.uint8 and a.shape == (32, 32, 32, 3)
    assert np.array_equal(a, b) and np.array_equal(la, lb)
    assert not np.array_equal(a, c)


def test_default_size_is_64_and_chunking_does_not_change_result():
    a, _ = make_toyfaces(10, seed=1)
    b, _ = make_toyfaces(10, seed=1, chunk=3)
    assert a.shape == (10, 64, 64, 3)
    assert np.array_equal(a, b)


def test_attributes_are_independent_and_beard_only_on_men():
    _, attrs = make_toyfaces(4000, seed=0, size=16)
    cols = {name: attrs[:, i] for i, name in enumerate(ATTRIBUTES)}
    assert set(np.unique(attrs)) <= {0.0, 1.0}
    assert cols["beard"][cols["male"] == 0].sum() == 0
    assert 0.4 < cols["beard"][cols["male"] == 1].mean() < 0.6
    for a in ("male", "glasses", "smiling", "hat"):
        for b in ("male", "glasses", "smiling", "hat"):
            if a < b:
                assert abs(np.corrcoef(cols[a], cols[b])[0, 1]) < 0.06, (a, b)


def test_each_attribute_changes_the_picture():
    """Flipping one attribute (all else equal) changes pixels where it should."""
    from models.data.toyfaces import render, sample_factors

    f = sample_factors(1, np.random.default_rng(0))
    for name in ("male", "glasses", "smiling", "hat"):
        g = {k: v.copy() for k, v in f.items()}
        g[name] = ~g[name]
        if name == "male":
            g["beard"][:] = False
            f2 = {**f, "beard": np.zeros(1, bool)}
        else:
            f2 = f
        diff = np.abs(render(f2, 32).astype(int) - render(g, 32).astype(int)).sum(-1)
        assert (diff > 60).sum() >= 6, name


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="size"):
        make_toyfaces(1, size=4)
    with pytest.raises(ValueError, match="n must be"):
        make_toyfaces(-1)
