"""RoI pooling and RoI align (numpy_ops.roi and torch twins): what the op registry does not check.

The registry (``registry.py``) checks roi_align, roi_pool and roi_align_weights against
brute-force references written out sample by sample (torchvision cannot be loaded here), with
finite differences for the NumPy backward, bad inputs and the edge-case sweep. Here: the torch
twins' backward against autograd and the NumPy backward, ties, the list form of the boxes, and
the separable form of roi_align_weights. An independent property pins RoI align down without
any reference: on a linear ramp, bilinear interpolation is exact and the samples of a bin are
symmetric about its centre, so every output equals the ramp at the bin's centre.
"""


import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnlib import numpy_ops as N
from cnnlib import torch_ops as T


@st.composite
def roi_problems(draw):
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    h, w = draw(st.integers(2, 9)), draw(st.integers(2, 9))
    scale = draw(st.sampled_from([1.0, 0.5, 0.25, 0.7]))
    k = draw(st.integers(0, 4))
    # boxes in image coordinates, some reaching outside the map, some tiny
    img_h, img_w = h / scale, w / scale
    p = rng.uniform(-0.2, 1.1, (k, 2)) * [img_w, img_h]
    q = p + rng.uniform(0, 1, (k, 2)) * [img_w, img_h] * rng.choice([0.05, 0.5, 1.0], (k, 1))
    rois = np.concatenate([rng.integers(0, n, (k, 1)), p, q], 1)
    size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    x = rng.standard_normal((n, c, h, w))
    return x, rois, size, scale, draw(st.sampled_from([-1, 0, 1, 2, 3])), draw(st.booleans()), \
        draw(st.sampled_from([np.float32, np.float64]))


@given(st.integers(0, 10_000), st.sampled_from([1, 2, 4]), st.sampled_from([(2, 2), (3, 1)]))
def test_roi_align_on_a_ramp_reads_the_bin_centres(seed, ratio, size):
    """On f(y, x) = a + b y + c x (aligned=True, boxes inside), each bin gives f(bin centre)."""
    rng = np.random.default_rng(seed)
    h, w = 12, 15
    a, b, c = rng.normal(size=3)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    ramp = (a + b * yy + c * xx)[None, None]
    # aligned=True samples at (coordinate - 0.5); keep every sample between cells 0 and size-1
    x1, y1 = rng.uniform(0.6, 5, 2)
    x2, y2 = x1 + rng.uniform(1, w - 1.6 - x1), y1 + rng.uniform(1, h - 1.6 - y1)
    roi = np.array([[0, x1, y1, x2, y2]])
    out = N.roi_align(ramp, roi, size, 1.0, ratio, True)[0, 0]
    ph, pw = size
    cy = y1 - 0.5 + (np.arange(ph) + 0.5) * (y2 - y1) / ph
    cx = x1 - 0.5 + (np.arange(pw) + 0.5) * (x2 - x1) / pw
    np.testing.assert_allclose(out, a + b * cy[:, None] + c * cx[None, :], atol=1e-10)


def test_roi_pool_of_the_whole_map_is_the_global_max():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 7))
    rois = np.array([[1, 0, 0, 6, 5]], np.float64)           # the "+1" convention: 7 x 6 cells
    np.testing.assert_array_equal(N.roi_pool(x, rois, 1)[0, :, 0, 0], x[1].max(axis=(1, 2)))


def test_list_of_boxes_equals_the_indexed_form():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 2, 8, 8))
    per_image = [np.array([[0.5, 1.0, 6.0, 7.5]]), np.array([[1.0, 1.0, 4.0, 3.0],
                                                            [0.0, 2.0, 7.0, 7.0]])]
    indexed = np.array([[0, 0.5, 1.0, 6.0, 7.5], [1, 1.0, 1.0, 4.0, 3.0], [1, 0.0, 2.0, 7.0, 7.0]])
    for op in ("roi_align", "roi_pool"):
        np.testing.assert_array_equal(getattr(N, op)(x, per_image, 2), getattr(N, op)(x, indexed, 2))
        np.testing.assert_allclose(
            getattr(T, op)(torch.from_numpy(x), [torch.from_numpy(b) for b in per_image], 2).numpy(),
            getattr(N, op)(x, indexed, 2), rtol=1e-12, atol=1e-12)


def _finite_differences(f, x, g, eps=1e-6):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        up = (f(x) * g).sum()
        x[i] = old - eps
        down = (f(x) * g).sum()
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


@given(roi_problems())
def test_backward_by_finite_differences_and_autograd(p):
    x, rois, size, scale, ratio, aligned, _ = p
    rng = np.random.default_rng(0)
    cases = [("roi_align", dict(spatial_scale=scale, sampling_ratio=ratio, aligned=aligned)),
             ("roi_pool", dict(spatial_scale=scale))]
    for name, kw in cases:
        fwd = getattr(N, name)
        out = fwd(x, rois, size, **kw)
        g = rng.standard_normal(out.shape)
        want = _finite_differences(lambda v: fwd(v, rois, size, **kw), x.copy(), g)
        got = getattr(N, name + "_backward")(g, x, rois, size, **kw)
        assert got.shape == x.shape and got.dtype == x.dtype
        np.testing.assert_allclose(got, want, atol=1e-6)
        twin = getattr(T, name + "_backward")(torch.from_numpy(g), torch.from_numpy(x),
                                              torch.from_numpy(rois), size, **kw)
        np.testing.assert_allclose(twin.numpy(), got, atol=1e-10)
        if name == "roi_align":            # the twin's forward is differentiable by autograd
            xt = torch.from_numpy(x).requires_grad_()
            (auto,) = torch.autograd.grad(
                T.roi_align(xt, torch.from_numpy(rois), size, **kw), xt, torch.from_numpy(g))
            np.testing.assert_allclose(auto.numpy(), got, atol=1e-10)


def test_roi_pool_sends_a_tied_bin_to_its_first_maximum():
    x = np.zeros((1, 1, 4, 4))
    rois = np.array([[0, 0, 0, 3, 3]], np.float64)
    g = np.ones((1, 1, 1, 1))
    grad = N.roi_pool_backward(g, x, rois, 1)
    assert grad[0, 0, 0, 0] == 1 and grad.sum() == 1
    np.testing.assert_array_equal(
        T.roi_pool_backward(torch.from_numpy(g), torch.from_numpy(x), torch.from_numpy(rois),
                            1).numpy(), grad)


def test_roi_align_weights_are_the_separable_form():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 2, 9, 11))
    box = np.array([1.3, 0.7, 8.2, 6.9])
    a, b = N.roi_align_weights(box, (3, 4), 9, 11, spatial_scale=1.0, sampling_ratio=2)
    assert a.shape == (3, 9) and b.shape == (4, 11)
    np.testing.assert_allclose(a.sum(1), 1) and np.testing.assert_allclose(b.sum(1), 1)
    np.testing.assert_allclose(a @ x[0] @ b.T, N.roi_align(x, np.r_[0, box][None], (3, 4), 1.0, 2)[0])
    ta, tb = T.roi_align_weights(torch.from_numpy(box), (3, 4), 9, 11, sampling_ratio=2)
    np.testing.assert_allclose(ta.numpy(), a) and np.testing.assert_allclose(tb.numpy(), b)


def test_empty_boxes_give_an_empty_batch():
    x = np.zeros((1, 3, 5, 5), np.float32)
    for op in ("roi_align", "roi_pool"):
        out = getattr(N, op)(x, np.zeros((0, 5), np.float32), (2, 3))
        assert out.shape == (0, 3, 2, 3) and out.dtype == np.float32
        tout = getattr(T, op)(torch.from_numpy(x), torch.zeros(0, 5), (2, 3))
        assert tuple(tout.shape) == (0, 3, 2, 3)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_roi_twins_on_gpu():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 16, 16))
    rois = np.array([[0, 1.5, 2.0, 12.0, 9.5], [1, 0.0, 0.0, 15.0, 15.0]])
    gx, gr = torch.from_numpy(x).cuda(), torch.from_numpy(rois).cuda()
    for op in ("roi_align", "roi_pool"):
        out = getattr(T, op)(gx, gr, (3, 3), 0.5)
        assert out.device.type == "cuda"
        np.testing.assert_allclose(out.cpu().numpy(), getattr(N, op)(x, rois, (3, 3), 0.5))
        g = np.ones(out.shape)
        np.testing.assert_allclose(
            getattr(T, op + "_backward")(torch.from_numpy(g).cuda(), gx, gr, (3, 3), 0.5).cpu().numpy(),
            getattr(N, op + "_backward")(g, x, rois, (3, 3), 0.5))
