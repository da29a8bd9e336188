"""Each measure of models.fidelity against values worked out by hand on a few points."""

from __future__ import annotations

import numpy as np
import pytest

from models.fidelity import (collapse_verdict, combination_posteriors, density_coverage, inception_score, kid,
                             kth_neighbour_radii, mmd2_unbiased, mode_frequencies, modes, polynomial_kernel,
                             precision_recall)

REAL3 = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])


# -- KID ---------------------------------------------------------------------------

def test_polynomial_kernel_by_hand():
    # k(x, y) = (x·y / d + 1)³ with d = 2: x·y = 2 → (1 + 1)³ = 8; x·y = 1 → 1.5³ = 3.375; x·y = 0 → 1.
    k = polynomial_kernel(np.array([[1.0, 1.0], [1.0, 0.0]]), np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
    assert k == pytest.approx(np.array([[8.0, 3.375, 1.0], [8.0, 1.0, 1.0]]))


def test_unbiased_mmd2_by_hand():
    # Real x1=(0,0), x2=(1,0), x3=(0,1): every x·x' = 0, so each off-diagonal k = 1 → mean 6/6 = 1.
    # Fake y1=(1,1), y2=(2,0): y1·y2 = 2 → k = 8 both ways → mean 16/2 = 8.
    # Cross: x1·y = 0, 0 → 1, 1; x2·y1 = 1 → 3.375, x2·y2 = 2 → 8; x3·y1 = 1 → 3.375, x3·y2 = 0 → 1.
    # Sum 17.75 over 6 pairs.  MMD² = 1 + 8 − 2 · 17.75/6 = 37/12.
    fake = np.array([[1.0, 1.0], [2.0, 0.0]])
    value = mmd2_unbiased(polynomial_kernel(REAL3, REAL3), polynomial_kernel(fake, fake), polynomial_kernel(REAL3, fake))
    assert value == pytest.approx(37 / 12)


def test_kid_on_whole_sets_is_the_full_estimate_and_can_be_negative():
    # Fake y1=(1,1), y2=(2,0), y3=(0,0): off-diagonal k(y, y') = 8, 1, 1 each way → 20/6 = 10/3.
    # Cross sum: 17.75 as above + three 1s for y3 = 20.75 over 9 pairs.
    # MMD² = 1 + 10/3 − 2 · 20.75/9 = −5/18: unbiased, so a little below zero for close sets.
    fake = np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 0.0]])
    value, std_error = kid(REAL3, fake, subsets=100, subset_size=1000)
    assert value == pytest.approx(-5 / 18)
    assert std_error == 0.0  # three rows cannot be halved into sets of two


def test_kid_subsets_average_the_subset_estimates():
    # Subsets of 2 of 3 rows: with subset_size=2 every subset estimate is one of C(3,2)² pairs; the mean over
    # many random subsets must approach the mean over all 9 pairs of subsets, which (U-statistics) equals the
    # full-set estimate −5/18.
    fake = np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 0.0]])
    value, _ = kid(REAL3, fake, subsets=4000, subset_size=2, seed=1)
    assert value == pytest.approx(-5 / 18, abs=0.1)


def test_kid_standard_error_matches_the_spread_of_independent_estimates():
    rng = np.random.default_rng(0)
    estimates, errors = [], []
    for _ in range(30):
        real, fake = rng.normal(size=(150, 4)), rng.normal(0.3, 1.0, size=(150, 4))
        value, se = kid(real, fake, subsets=40, seed=int(rng.integers(1 << 30)))
        estimates.append(value)
        errors.append(se)
    assert np.mean(estimates) > 0.05  # a shift of 0.3 in every dimension is seen
    assert 0.5 < np.mean(errors) / np.std(estimates, ddof=1) < 2.0


def test_kid_needs_two_rows():
    with pytest.raises(ValueError, match="at least 2"):
        kid(REAL3[:1], REAL3)


# -- Inception Score -----------------------------------------------------------------

def test_inception_score_by_hand():
    # Two sure, different posteriors: p(y) = (½, ½), each KL = log 2 → IS = 2.
    assert inception_score(np.array([[1.0, 0.0], [0.0, 1.0]]), splits=1) == pytest.approx((2.0, 0.0))
    # One class only: KL = 0 → IS = 1.
    assert inception_score(np.array([[1.0, 0.0], [1.0, 0.0]]), splits=1) == pytest.approx((1.0, 0.0))
    # (½, ½) and (1, 0): p(y) = (¾, ¼); KL₁ = ½ log(⅔) + ½ log 2 = ½ log(4/3), KL₂ = log(4/3);
    # mean ¾ log(4/3) → IS = (4/3)^¾.
    assert inception_score(np.array([[0.5, 0.5], [1.0, 0.0]]), splits=1)[0] == pytest.approx((4 / 3) ** 0.75)


def test_inception_score_splits():
    # Split 1 = {(1,0), (0,1)} → 2; split 2 = {(1,0), (1,0)} → 1: mean 1.5, standard deviation 0.5.
    probs = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    assert inception_score(probs, splits=2) == pytest.approx((1.5, 0.5))


def test_combination_posteriors_by_hand():
    # p(male) = 0.8, p(glasses) = 0.3: none 0.2·0.7, male 0.8·0.7, glasses 0.2·0.3, both 0.8·0.3.
    post = combination_posteriors(np.array([[0.8, 0.3]]))
    assert post[0] == pytest.approx([0.14, 0.56, 0.06, 0.24])
    assert post.sum() == pytest.approx(1.0)


# -- k-NN manifolds ----------------------------------------------------------------

def line(*xs):
    """Points on the x axis of the plane, so the balls can be counted on a ruler."""
    return np.array([[x, 0.0] for x in xs])


REAL_LINE = line(0, 1, 2, 10)  # k = 1 radii: 1, 1, 1 and 8 (10's nearest real point is 2)


def test_radii_by_hand():
    assert kth_neighbour_radii(REAL_LINE, 1) == pytest.approx([1, 1, 1, 8])
    assert kth_neighbour_radii(REAL_LINE, 2) == pytest.approx([2, 1, 2, 9])


def test_manifold_figures_on_a_line():
    fake = line(0.5, 5, 5.5, 6)  # fake radii (k = 1): 4.5, 0.5, 0.5, 0.5
    # Precision: 0.5 ∈ B(0, 1); 5, 5.5, 6 are within 8 of 10 → 4/4.
    # Recall: 0, 1, 2 ∈ B(0.5, 4.5); 10 is 4 from 6 (> 0.5) and 9.5 from 0.5 (> 4.5) → 3/4.
    assert precision_recall(REAL_LINE, fake, k=1) == pytest.approx((1.0, 0.75))
    # Density: 0.5 lies in B(0, 1) and B(1, 1) → 2; 5, 5.5, 6 each in B(10, 8) → 1 each; 5 / (k · 4) = 1.25.
    # Coverage: B(0, 1), B(1, 1), B(10, 8) hold a fake point, B(2, 1) does not (0.5 is 1.5 away) → 3/4.
    assert density_coverage(REAL_LINE, fake, k=1) == pytest.approx((1.25, 0.75))


def test_manifold_figures_with_far_fakes():
    fake = line(0.5, 30, 31)  # fake radii: 29.5, 1, 1
    # Precision: only 0.5 is in a real ball → 1/3.  Recall: every real point is within 29.5 of 0.5 → 1.
    assert precision_recall(REAL_LINE, fake, k=1) == pytest.approx((1 / 3, 1.0))
    # Density: 0.5 in two balls → 2 / (1 · 3).  Coverage: B(0, 1) and B(1, 1) only → 2/4.
    assert density_coverage(REAL_LINE, fake, k=1) == pytest.approx((2 / 3, 0.5))


def test_manifold_figures_in_the_plane():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # k = 1 radii: all 1
    fake = np.array([[0.5, 0.5], [3.0, 3.0]])  # fake radii: 2.5·√2 ≈ 3.54 each
    # (0.5, 0.5) is √½ ≈ 0.71 from every corner: inside all 4 balls; (3, 3) is 2√2 from (1, 1): in none.
    assert precision_recall(square, fake, k=1) == pytest.approx((0.5, 1.0))
    assert density_coverage(square, fake, k=1) == pytest.approx((4 / 2, 1.0))


def test_balls_are_closed():
    # Fake 3 is exactly 1 (= the radius) from real 2: on the sphere counts as inside, as the papers write ≤.
    p, _ = precision_recall(line(0, 1, 2), line(3, 30), k=1)
    assert p == pytest.approx(0.5)


def test_radii_need_k_plus_one_points():
    with pytest.raises(ValueError, match="at least 6"):
        precision_recall(REAL_LINE, REAL_LINE, k=5)


# -- modes --------------------------------------------------------------------------

NAMES = ("male", "glasses", "smiling")


def test_multilabel_modes_are_combinations():
    probs = np.array([[0.9, 0.8, 0.1], [0.1, 0.2, 0.3], [0.6, 0.1, 0.1], [0.2, 0.95, 0.7], [0.9, 0.9, 0.1],
                      [0.5, 0.0, 0.0]])  # 0.5 counts as present
    names, index = modes(probs, NAMES, multilabel=True)
    # Sorted by how many attributes, then by their positions: (), (0,), (0, 1), (1, 2).
    assert names == ["none", "male", "male+glasses", "glasses+smiling"]
    assert index.tolist() == [2, 0, 1, 3, 2, 1]


def test_single_label_modes_are_classes_in_name_order():
    probs = np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1], [0.2, 0.1, 0.7]])
    names, index = modes(probs, ("0", "1", "2"), multilabel=False)
    assert names == ["0", "2"]  # class 1 is never the most probable
    assert index.tolist() == [1, 0, 1]


def test_mode_frequencies_cover_both_sets():
    gen = np.array([[0.9, 0.1, 0.1], [0.9, 0.1, 0.1], [0.9, 0.1, 0.1], [0.1, 0.1, 0.1]])  # male ×3, none ×1
    ref = np.array([[0.9, 0.1, 0.1], [0.1, 0.9, 0.1], [0.1, 0.1, 0.1], [0.1, 0.9, 0.1], [0.1, 0.9, 0.1]])
    table = mode_frequencies(gen, ref, NAMES, multilabel=True)
    assert table == {
        "names": ["none", "male", "glasses"],
        "generated": pytest.approx([0.25, 0.75, 0.0]),
        "reference": pytest.approx([0.2, 0.2, 0.6]),
        "generated_counts": [1, 3, 0],
        "reference_counts": [1, 1, 3],
    }


# -- the verdict --------------------------------------------------------------------

def table(gen, ref, ref_counts):
    names = [f"m{i}" for i in range(len(gen))]
    return {"names": names, "generated": gen, "reference": ref, "generated_counts": [0] * len(gen),
            "reference_counts": ref_counts}


HEALTHY_FIGURES = {"coverage": {"value": 0.9, "floor": 0.95}, "recall": {"value": 0.9, "floor": 0.95}}


def test_healthy_tables_are_not_collapsed():
    v = collapse_verdict(HEALTHY_FIGURES, table([0.3, 0.3, 0.4], [0.33, 0.33, 0.34], [33, 33, 34]))
    assert v == {"collapse": False, "reasons": [], "missing_modes": [], "dominant_mode": None}


def test_a_missing_mode_is_named():
    # m2: 2 % of the reference (3 of 150 images), generated 0.1 % < a tenth of 2 % → missing.
    # m3: generated exactly a tenth of its reference frequency → not missing (strictly under).
    # m4: 2 % of the reference but only 2 images → too few to call.
    v = collapse_verdict(HEALTHY_FIGURES, table([0.497, 0.4, 0.001, 0.002, 0.0], [0.5, 0.42, 0.02, 0.02, 0.02],
                                                [75, 63, 3, 3, 2]))
    assert v["collapse"] and v["missing_modes"] == ["m2"] and v["dominant_mode"] is None
    assert len(v["reasons"]) == 1 and "'m2'" in v["reasons"][0] and "missing" in v["reasons"][0]


def test_a_dominant_mode_is_named():
    # 60 % of generated images in a mode holding 20 % of the reference → dominant.
    v = collapse_verdict(HEALTHY_FIGURES, table([0.6, 0.2, 0.2], [0.2, 0.4, 0.4], [20, 40, 40]))
    assert v["collapse"] and v["dominant_mode"] == "m0" and v["missing_modes"] == []
    assert "'m0' dominates" in v["reasons"][0]
    # The same share in a mode that is common in the reference (30 % ≥ 25 %) is not domination.
    v = collapse_verdict(HEALTHY_FIGURES, table([0.6, 0.2, 0.2], [0.3, 0.35, 0.35], [30, 35, 35]))
    assert not v["collapse"]


@pytest.mark.parametrize("key", ["coverage", "recall"])
def test_coverage_or_recall_far_below_the_floor(key):
    healthy_modes = table([0.5, 0.5], [0.5, 0.5], [50, 50])
    figures = {**HEALTHY_FIGURES, key: {"value": 0.44, "floor": 0.9}}  # under 0.5 × 0.9 = 0.45
    v = collapse_verdict(figures, healthy_modes)
    assert v["collapse"] and key in v["reasons"][0] and "floor" in v["reasons"][0]
    figures[key] = {"value": 0.46, "floor": 0.9}
    assert not collapse_verdict(figures, healthy_modes)["collapse"]


def test_reasons_are_sentences_naming_every_missing_mode():
    v = collapse_verdict(HEALTHY_FIGURES, table([0.9, 0.1, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25], [25, 25, 25, 25]))
    assert v["missing_modes"] == ["m2", "m3"]
    assert "'m2'" in v["reasons"][0] and "'m3'" in v["reasons"][0] and "2 modes are missing" in v["reasons"][0]
    # m0 holds 90 % of the generated images, but a quarter of the reference is not under 25 %: no domination.
    assert v["dominant_mode"] is None and len(v["reasons"]) == 1
