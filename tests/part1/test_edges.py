"""cnnlib.edges: named edge filters, correlation vs convolution, and learn_filter (section 1.2)."""

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F

from cnnlib import data
from cnnlib.part1 import edges

KERNELS = {
    "vertical_edge": (edges.vertical_edge, [[1, 0, -1], [1, 0, -1], [1, 0, -1]]),
    "horizontal_edge": (edges.horizontal_edge, [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]),
    "sobel_x": (lambda dtype=np.float64: edges.sobel("x", dtype),
                [[1, 0, -1], [2, 0, -2], [1, 0, -1]]),
    "sobel_y": (lambda dtype=np.float64: edges.sobel("y", dtype),
                [[1, 2, 1], [0, 0, 0], [-1, -2, -1]]),
    "scharr_x": (lambda dtype=np.float64: edges.scharr("x", dtype),
                 [[3, 0, -3], [10, 0, -10], [3, 0, -3]]),
    "scharr_y": (lambda dtype=np.float64: edges.scharr("y", dtype),
                 [[3, 10, 3], [0, 0, 0], [-3, -10, -3]]),
}


@pytest.mark.parametrize("name", list(KERNELS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_named_kernels(name, dtype):
    make, expected = KERNELS[name]
    k = make(dtype=dtype)
    assert k.dtype == dtype and k.shape == (3, 3)
    np.testing.assert_array_equal(k, np.array(expected, dtype=dtype))
    assert k.sum() == 0                    # flat regions give zero response


def test_kernels_return_fresh_arrays():
    a = edges.sobel("x")
    a[0, 0] = 99
    assert edges.sobel("x")[0, 0] == 1


@pytest.mark.parametrize("fn", [edges.sobel, edges.scharr])
def test_axis_validation(fn):
    with pytest.raises(ValueError, match="axis must be one of 'x', 'y'"):
        fn("z")
    with pytest.raises(ValueError, match="axis must be one of 'x', 'y'"):
        fn(0)


@pytest.mark.parametrize("dtype", [np.int64, "float16", "not a dtype"])
def test_dtype_validation(dtype):
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        edges.vertical_edge(dtype)


def test_step_edge_bright_band():
    """The course's example: 6x6 step image -> 4x4 output with a band of 30s in the middle."""
    out = edges.correlate2d(edges.step_edge(6), edges.vertical_edge())
    expected = np.tile([0.0, 30.0, 30.0, 0.0], (4, 1))
    np.testing.assert_array_equal(out, expected)
    # dark-to-bright flips the sign
    np.testing.assert_array_equal(edges.correlate2d(edges.step_edge(6)[:, ::-1].copy(),
                                                    edges.vertical_edge()), -expected)
    horiz = edges.correlate2d(edges.step_edge(6, vertical=False), edges.horizontal_edge())
    np.testing.assert_array_equal(horiz, expected.T)


def test_step_edge_validation():
    with pytest.raises(ValueError, match="step_edge: n must be >= 2"):
        edges.step_edge(1)
    with pytest.raises(TypeError, match="step_edge: n must be an int"):
        edges.step_edge(6.0)
    with pytest.raises(TypeError, match="step_edge: vertical must be a bool"):
        edges.step_edge(6, vertical="yes")
    with pytest.raises(ValueError, match="step_edge: bright must be finite"):
        edges.step_edge(6, bright=float("inf"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kshape", [(3, 3), (2, 5), (1, 1)])
def test_correlate_and_convolve_match_scipy(dtype, kshape):
    rng = np.random.default_rng(0)
    img = rng.standard_normal((9, 11)).astype(dtype)
    k = rng.standard_normal(kshape)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    s = edges.correlate2d(img, k)
    assert s.dtype == dtype and s.shape == (9 - kshape[0] + 1, 11 - kshape[1] + 1)
    np.testing.assert_allclose(s, scipy.signal.correlate2d(img, k, mode="valid"), **tol)
    c = edges.convolve2d(img, k)
    np.testing.assert_allclose(c, scipy.signal.convolve2d(img, k, mode="valid"), **tol)
    # convolution is correlation with the kernel turned by 180 degrees
    np.testing.assert_allclose(c, edges.correlate2d(img, k[::-1, ::-1].copy()), **tol)


def test_correlate_matches_torch_on_photo():
    img = data.photo("camera", size=64)
    k = edges.sobel("x", np.float32)
    ref = F.conv2d(torch.from_numpy(img)[None, None], torch.from_numpy(k)[None, None])[0, 0]
    np.testing.assert_allclose(edges.correlate2d(img, k), ref.numpy(), rtol=1e-5, atol=1e-5)


def test_correlate_validation():
    img = np.zeros((5, 5))
    with pytest.raises(TypeError, match="image must be a numpy.ndarray"):
        edges.correlate2d([[0.0]], edges.sobel())
    with pytest.raises(ValueError, match="correlate2d: kernel expects a 2-D array"):
        edges.correlate2d(img, np.zeros(3))
    with pytest.raises(TypeError, match="correlate2d: kernel must be a numpy.ndarray"):
        edges.correlate2d(img, [[1.0]])
    with pytest.raises(TypeError, match="kernel must hold real numbers"):
        edges.correlate2d(img, np.zeros((3, 3), complex))
    with pytest.raises(ValueError, match="must not be empty"):
        edges.correlate2d(np.zeros((0, 5)), edges.sobel())
    with pytest.raises(TypeError, match="image must have dtype float32 or float64"):
        edges.convolve2d(np.zeros((5, 5), dtype=int), edges.sobel())
    with pytest.raises(ValueError, match="larger than image"):
        edges.correlate2d(np.zeros((2, 5)), edges.sobel())


def _standardised(name="camera", size=64, dtype=np.float64):
    img = data.photo(name, size=size).astype(dtype)
    return (img - img.mean()) / img.std()


@pytest.mark.parametrize("name", ["camera", "coins"])
def test_learn_filter_recovers_sobel(name):
    img = _standardised(name)
    target = edges.correlate2d(img, edges.sobel("x"))
    w, losses = edges.learn_filter(img, target, steps=500)
    assert w.shape == (3, 3) and w.dtype == np.float64
    assert losses.shape == (501,) and losses.dtype == np.float64
    assert losses[-1] < 1e-4 * losses[0]
    np.testing.assert_allclose(w, edges.sobel("x"), atol=0.02)


def test_learn_filter_recovers_random_5x5_float32():
    rng = np.random.default_rng(1)
    img = rng.standard_normal((40, 40)).astype(np.float32)   # white noise: well conditioned
    true = rng.standard_normal((5, 5)).astype(np.float32)
    target = edges.correlate2d(img, true)
    w, losses = edges.learn_filter(img, target, f=5, steps=200, lr=0.1, seed=3)
    assert w.dtype == np.float32
    np.testing.assert_allclose(w, true, atol=1e-3)
    assert losses[-1] < 1e-6


def test_learn_filter_is_deterministic():
    img = _standardised(size=32)
    target = edges.correlate2d(img, edges.scharr("y"))
    a = edges.learn_filter(img, target, steps=20, seed=5)
    b = edges.learn_filter(img, target, steps=20, seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c = edges.learn_filter(img, target, steps=20, seed=6)
    assert not np.array_equal(a[0], c[0])


def test_learn_filter_gradient_matches_autograd():
    """One plain gradient step (momentum 0) equals a step along torch's autograd gradient."""
    img = _standardised(size=16)
    target = edges.correlate2d(img, edges.sobel("y"))
    w0 = (np.random.default_rng(0).standard_normal((1, 1, 3, 3)) / 3)
    w1, _ = edges.learn_filter(img, target, steps=1, lr=0.05, momentum=0.0, seed=0)
    wt = torch.tensor(w0, requires_grad=True)
    loss = ((F.conv2d(torch.tensor(img)[None, None], wt) - torch.tensor(target)) ** 2).mean()
    loss.backward()
    np.testing.assert_allclose(w1, (w0 - 0.05 * wt.grad.numpy())[0, 0], rtol=1e-10, atol=1e-12)


def test_learn_filter_diverges_loudly():
    img = data.photo("camera", size=32).astype(np.float64) * 255
    target = edges.correlate2d(img, edges.sobel())
    with pytest.raises(FloatingPointError, match="smaller lr"):
        edges.learn_filter(img, target, steps=200, lr=1.0)


def test_learn_filter_validation():
    img = np.zeros((8, 8))
    ok = np.zeros((6, 6))
    with pytest.raises(TypeError, match="image must be a numpy.ndarray"):
        edges.learn_filter(img.tolist(), ok)
    with pytest.raises(TypeError, match="target must be a numpy.ndarray"):
        edges.learn_filter(img, ok.tolist())
    with pytest.raises(ValueError, match="image expects a 2-D array"):
        edges.learn_filter(img[None], ok)
    with pytest.raises(TypeError, match="dtype float32 or float64"):
        edges.learn_filter(img.astype(int), ok)
    with pytest.raises(ValueError, match=r"target must have shape \(6, 6\)"):
        edges.learn_filter(img, np.zeros((8, 8)))
    for kw, msg in [({"f": 0}, "f must be positive"), ({"steps": 0}, "steps must be positive"),
                    ({"lr": -1}, "lr must lie in"), ({"lr": float("nan")}, "lr must be finite"),
                    ({"momentum": 1.0}, r"momentum must lie in \[0, 1\)"),
                    ({"momentum": -0.5}, "momentum must lie in"), ({"seed": -1}, "seed must be"),
                    ({"f": 9}, "f=9 is larger than the image")]:
        with pytest.raises(ValueError, match=f"learn_filter: {msg}"):
            edges.learn_filter(img, ok, **kw)
    for kw, msg in [({"f": 2.0}, "f must be an int"), ({"steps": True}, "steps must be an int"),
                    ({"lr": True}, "lr must be a number"), ({"momentum": "0.9"}, "momentum"),
                    ({"seed": 0.5}, "seed must be an int")]:
        with pytest.raises(TypeError, match=f"learn_filter: {msg}"):
            edges.learn_filter(img, ok, **kw)
