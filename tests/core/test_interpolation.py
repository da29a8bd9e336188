import numpy as np
import pytest

from explorer.core.interpolation import lerp, path, slerp


def test_slerp_hits_endpoints_and_stays_on_the_shell():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(512), rng.standard_normal(512)
    b *= np.linalg.norm(a) / np.linalg.norm(b)
    t = np.linspace(0, 1, 11)
    frames = slerp(a, b, t)
    assert np.allclose(frames[0], a, atol=1e-5) and np.allclose(frames[-1], b, atol=1e-5)
    assert np.allclose(np.linalg.norm(frames, axis=1), np.linalg.norm(a), rtol=1e-4)
    mid_lerp = np.linalg.norm(lerp(a, b, 0.5))
    assert mid_lerp < 0.8 * np.linalg.norm(a)  # the straight line cuts inside the shell


def test_slerp_interpolates_norms_and_handles_parallel_codes():
    a = np.array([3.0, 0.0])
    assert np.allclose(slerp(a, 2 * a, 0.5), [4.5, 0.0])
    b = np.array([0.0, 1.0])
    quarter = slerp(np.array([1.0, 0.0]), b, 0.5)
    assert np.allclose(quarter, [np.sqrt(0.5), np.sqrt(0.5)], atol=1e-6)


def test_path_passes_through_every_waypoint():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((3, 2, 4))  # latents may have any shape
    frames = path(w, 9, "slerp")
    assert frames.shape == (9, 2, 4)
    hits = [int(np.argmin(np.abs(frames - p).reshape(9, -1).sum(1))) for p in w]
    assert hits[0] == 0 and hits[-1] == 8 and 0 < hits[1] < 8
    for i, p in zip(hits, w):
        assert np.allclose(frames[i], p, atol=1e-5)


def test_path_refuses_bad_arguments():
    w = np.zeros((3, 2))
    with pytest.raises(ValueError, match="two waypoints"):
        path(w[:1], 5)
    with pytest.raises(ValueError, match="cannot pass"):
        path(w, 2)
    with pytest.raises(ValueError, match="unknown interpolation"):
        path(w, 5, "cubic")


def test_keep_norm_holds_lerp_frames_on_the_shell():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(256), rng.standard_normal(256)
    plain = path(np.stack([a, b]), 9, "lerp")
    kept = path(np.stack([a, b]), 9, "lerp", keep_norm=True)
    norms = np.linalg.norm(kept, axis=1)
    expected = np.linspace(np.linalg.norm(a), np.linalg.norm(b), 9)
    assert np.allclose(norms, expected, rtol=1e-4)
    assert np.linalg.norm(plain[4]) < 0.85 * expected[4]  # lerp alone sinks inside the shell
    assert np.allclose(kept[0], a, atol=1e-5) and np.allclose(kept[-1], b, atol=1e-5)
