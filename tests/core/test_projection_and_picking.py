import numpy as np

from explorer.core.colouring import colour_by
from explorer.core.picking import PointPicker
from explorer.core.projection import PCAProjection
from tests.core.test_queries_and_vectors import _bank


def test_pca_places_new_points_consistently():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 10)) * np.array([5, 3] + [0.1] * 8)
    p = PCAProjection().fit(x)
    assert p.explained_variance_ratio_.sum() > 0.95
    new = x[:3] + 0.0
    assert np.allclose(p.transform(new), p.transform(x)[:3], atol=1e-5)
    assert abs(p.transform(x.mean(0, keepdims=True))).max() < 1e-5
    # The same data fit twice gives the same layout (signs pinned).
    assert np.allclose(PCAProjection().fit(x).transform(x), p.transform(x))


def test_picker_respects_per_axis_tolerance():
    pts = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 1.0]])
    picker = PointPicker(pts)
    assert picker.nearest(9.5, 0.0, 1.0, 1.0) == 1
    assert picker.nearest(5.0, 0.0, 1.0, 1.0) is None
    assert picker.nearest(0.0, 0.6, 100.0, 0.5) == 2  # y is what matters at this aspect ratio


def test_colouring_by_attribute_and_label():
    b = _bank(labels=True)
    c = colour_by(b, "male")
    assert c.names == ("not male", "male") and set(np.unique(c.categories)) == {0, 1}
    c = colour_by(b, "label")
    assert len(c.names) == 10 and c.categories.max() == 9
    assert colour_by(b, "").names == ("all",)


def test_attribute_axes_measure_along_named_vectors():
    from explorer.core.projection import AttributeAxes

    x = np.array([[1.0, 0, 0], [3.0, 2, 0], [2.0, 1, 5]])
    ax = AttributeAxes(np.array([2.0, 0, 0]), np.array([0, 0, 1.0])).fit(x)
    out = ax.transform(x)
    assert np.allclose(out[:, 0], x[:, 0] - 2.0) and np.allclose(out[:, 1], x[:, 2] - 5 / 3)


def test_neighbour_placement_puts_known_codes_on_their_points_and_new_ones_between():
    from explorer.core.projection import NeighbourPlacement

    latents = np.array([[0.0, 0], [10.0, 0], [0.0, 10]])
    coords = np.array([[0.0, 0], [1.0, 0], [0.0, 1]])
    place = NeighbourPlacement(latents, coords, k=2)
    assert np.allclose(place.transform(latents), coords)
    mid = place.transform(np.array([[5.0, 0]]))[0]
    assert 0.3 < mid[0] < 0.7 and abs(mid[1]) < 0.01


def test_tsne_embeds_clusters_apart():
    from explorer.core.projection import embed

    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 1, (40, 6)), rng.normal(12, 1, (40, 6))])
    y = embed("t-SNE", x)
    d = np.linalg.norm(y[:, None] - y[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    same = (np.argmin(d, axis=1) < 40) == (np.arange(80) < 40)
    assert same.all()  # every point's nearest neighbour in the layout is from its own cluster
