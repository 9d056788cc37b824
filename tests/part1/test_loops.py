"""The step-by-step loops compute exactly what the fast ops compute."""

import numpy as np
import pytest

from cnnlib import data, numpy_ops as N
from cnnlib.part1 import edges, loops as teaching


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), ((1, 2), (2, 0), 2),
                                                     (1, "same", 1)])
def test_conv_loops_match_numpy_ops(stride, padding, dilation, rng):
    x = rng.standard_normal((2, 3, 8, 7))
    w = rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    np.testing.assert_allclose(teaching.conv2d_loops(x, w, b, stride, padding, dilation),
                               N.conv2d(x, w, b, stride, padding, dilation), atol=1e-12)


@pytest.mark.parametrize("f,stride", [(2, None), (3, 1), (3, 2)])
def test_pool_loops_match_numpy_ops(f, stride, rng):
    x = rng.standard_normal((2, 3, 7, 8)).astype(np.float32)
    np.testing.assert_allclose(teaching.pool2d_loops(x, f, stride, "max"),
                               N.max_pool2d(x, f, stride))
    np.testing.assert_allclose(teaching.pool2d_loops(x, f, stride, "avg"),
                               N.avg_pool2d(x, f, stride), rtol=1e-5, atol=1e-6)


def test_teaching_rejects_bad_input():
    with pytest.raises(ValueError, match="batch"):
        teaching.conv2d_loops(np.zeros((3, 5, 5)), np.zeros((1, 3, 3, 3)))
    with pytest.raises(ValueError, match="mode"):
        teaching.pool2d_loops(np.zeros((1, 1, 4, 4)), 2, mode="min")


def test_course_vertical_edge_example():
    img = edges.step_edge(6)
    w = np.array([[1.0, 0, -1]] * 3)[None, None]
    out = N.conv2d(img[None, None], w)[0, 0]
    np.testing.assert_array_equal(out, np.tile([0.0, 30, 30, 0], (4, 1)))


def test_data_is_offline_and_well_formed():
    (x_tr, y_tr), _, (x_te, y_te) = data.digits(size=16, val_fraction=0)
    assert x_tr.shape[1:] == (1, 16, 16) and x_tr.dtype == np.float32
    assert len(x_tr) + len(x_te) == 1797 and set(np.unique(y_te)) == set(range(10))
    assert 0.0 <= x_tr.min() and x_tr.max() <= 1.0
    img = data.photo("camera", size=64)
    assert img.shape == (64, 64) and img.dtype == np.float32
    assert data.photo("astronaut", size=32, gray=False).shape == (32, 32, 3)
    with pytest.raises(ValueError, match="photo: name"):
        data.photo("lena")
