"""numpy_ops and torch_ops agree with torch.nn.functional, forward and backward.

Problems are drawn by hypothesis over shapes, strides, paddings, dilations, groups,
ceil_mode and both float dtypes; the oracle is torch.nn.functional for forwards and
torch autograd for backwards.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from cnnlib import numpy_ops as N
from cnnlib import torch_ops as T
from conftest import assert_close
from strategies import conv_problems, conv_transpose_problems, pool_problems


def _t(a, grad=False):
    return None if a is None else torch.tensor(a, requires_grad=grad)


def _scale(*arrays):
    return max(1.0, *(float(np.abs(a).max()) for a in arrays if a is not None and a.size))


def _check_against_torch(name, p, x, w, b, scale):
    """Forward of numpy_ops/torch_ops ``name`` against F, then its backward against autograd."""
    xt, wt, bt = _t(x, True), _t(w, True), _t(b, True)
    expected = getattr(F, name)(xt, wt, bt, **p.kwargs)
    ours = getattr(N, name)(x, w, b, **p.kwargs)
    assert ours.dtype == x.dtype
    assert_close(ours, expected, p.dtype, scale)
    assert_close(getattr(T, name)(_t(x), _t(w), _t(b), **p.kwargs), expected, p.dtype, scale)

    g = np.random.default_rng(p.seed + 1).standard_normal(ours.shape).astype(p.dtype)
    arrays = [a for a in (xt, wt, bt) if a is not None]
    want = torch.autograd.grad(expected, arrays, _t(g))
    got_np = getattr(N, name + "_backward")(g, x, w, b, **p.kwargs)
    got_t = getattr(T, name + "_backward")(_t(g), _t(x), _t(w), _t(b), **p.kwargs)
    if b is None:
        assert got_np[2] is None and got_t[2] is None
    gscale = scale * _scale(x, w, g)
    for mine, twin, ref in zip([a for a in got_np if a is not None],
                               [a for a in got_t if a is not None], want):
        assert mine.dtype == x.dtype
        assert_close(mine, ref, p.dtype, gscale)
        assert_close(twin, ref, p.dtype, gscale)


@given(conv_problems())
def test_conv_forward_and_backward(p):
    x, w, b = p.arrays(p.w_shape[0])
    _check_against_torch(f"conv{p.nd}d", p, x, w, b, float(np.prod(p.w_shape[1:])) ** 0.5)


@given(conv_transpose_problems())
def test_conv_transpose_forward_and_backward(p):
    x, w, b = p.arrays(p.extra["cout"])
    _check_against_torch(f"conv_transpose{p.nd}d", p, x, w, b, float(np.prod(p.w_shape)) ** 0.5)


@given(pool_problems("max"), st.booleans())
def test_max_pool_forward_indices_and_backward(p, with_indices):
    x, _, _ = p.arrays(0)
    name = f"max_pool{p.nd}d"
    xt = _t(x, True)
    expected, idx = getattr(F, name)(xt, return_indices=True, **p.kwargs)
    ours = getattr(N, name)(x, return_indices=with_indices, **p.kwargs)
    twin = getattr(T, name)(_t(x), return_indices=with_indices, **p.kwargs)
    if with_indices:
        (ours, ours_idx), (twin, twin_idx) = ours, twin
        np.testing.assert_array_equal(ours_idx, idx.numpy())
        np.testing.assert_array_equal(twin_idx.numpy(), idx.numpy())
        assert ours_idx.dtype == np.int64
    assert ours.dtype == x.dtype
    assert_close(ours, expected, p.dtype)
    assert_close(twin, expected, p.dtype)
    g = np.random.default_rng(p.seed).standard_normal(ours.shape).astype(p.dtype)
    (want,) = torch.autograd.grad(expected, xt, _t(g))
    assert_close(getattr(N, name + "_backward")(g, x, **p.kwargs), want, p.dtype)
    assert_close(getattr(T, name + "_backward")(_t(g), _t(x), **p.kwargs), want, p.dtype)


@given(pool_problems("avg"))
def test_avg_pool_forward_and_backward(p):
    x, _, _ = p.arrays(0)
    name = f"avg_pool{p.nd}d"
    xt = _t(x, True)
    expected = getattr(F, name)(xt, **p.kwargs)
    ours = getattr(N, name)(x, **p.kwargs)
    assert ours.dtype == x.dtype
    assert_close(ours, expected, p.dtype)
    assert_close(getattr(T, name)(_t(x), **p.kwargs), expected, p.dtype)
    g = np.random.default_rng(p.seed).standard_normal(ours.shape).astype(p.dtype)
    (want,) = torch.autograd.grad(expected, xt, _t(g))
    assert_close(getattr(N, name + "_backward")(g, x, **p.kwargs), want, p.dtype)
    assert_close(getattr(T, name + "_backward")(_t(g), _t(x), **p.kwargs), want, p.dtype)


@given(st.integers(1, 4), st.lists(st.integers(-2, 3), min_size=2, max_size=6).filter(
    lambda v: len(v) % 2 == 0), st.sampled_from(["constant", "reflect", "replicate", "circular"]),
    st.sampled_from([np.float32, np.float64]), st.integers(0, 1000))
def test_pad_matches_torch(ndim, pad, mode, dtype, seed):
    if mode != "constant":
        pad = [abs(v) for v in pad]   # cropping is a constant-mode feature (see cnnlib.pad)
    shape = tuple(np.random.default_rng(seed).integers(1, 5, size=ndim))
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    try:
        expected = F.pad(torch.tensor(x), pad, mode=mode)
    except (RuntimeError, ValueError, NotImplementedError, IndexError):
        with pytest.raises((ValueError, TypeError)):
            N.pad(x, pad, mode=mode)
        with pytest.raises((ValueError, TypeError)):
            T.pad(torch.tensor(x), pad, mode=mode)
        return
    assert_close(N.pad(x, pad, mode=mode), expected, dtype)
    assert_close(T.pad(torch.tensor(x), pad, mode=mode), expected, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_linear_and_loss(dtype, rng):
    x = (rng.standard_normal((5, 7)) * 10).astype(dtype)
    xt = torch.tensor(x)
    for dim in (0, 1, -1):
        assert_close(N.softmax(x, dim), F.softmax(xt, dim), dtype)
        assert_close(N.log_softmax(x, dim), F.log_softmax(xt, dim), dtype)
        assert_close(T.softmax(xt, dim), F.softmax(xt, dim), dtype)
        assert_close(T.log_softmax(xt, dim), F.log_softmax(xt, dim), dtype)
    assert_close(N.relu(x), F.relu(xt), dtype)
    assert_close(T.relu(xt), F.relu(xt), dtype)
    w = rng.standard_normal((3, 7)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    assert_close(N.linear(x, w, b), F.linear(xt, torch.tensor(w), torch.tensor(b)), dtype, 10)
    assert_close(T.linear(xt, torch.tensor(w), torch.tensor(b)),
                 F.linear(xt, torch.tensor(w), torch.tensor(b)), dtype, 10)
    target = rng.integers(0, 7, 5)
    for reduction in ("mean", "sum", "none"):
        expected = F.cross_entropy(xt, torch.tensor(target), reduction=reduction)
        assert_close(np.asarray(N.cross_entropy(x, target, reduction)), expected, dtype, 10)
        assert_close(T.cross_entropy(xt, torch.tensor(target), reduction), expected, dtype, 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_basic_backwards_match_autograd(dtype, rng):
    x = rng.standard_normal((4, 6)).astype(dtype)
    w = rng.standard_normal((3, 6)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    g = rng.standard_normal((4, 3)).astype(dtype)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    want = torch.autograd.grad(F.linear(xt, wt, bt), (xt, wt, bt), torch.tensor(g))
    for got in (N.linear_backward(g, x, w, b),
                T.linear_backward(torch.tensor(g), torch.tensor(x), torch.tensor(w),
                                  torch.tensor(b))):
        for a, r in zip(got, want):
            assert_close(a, r, dtype, 10)
    gx = rng.standard_normal(x.shape).astype(dtype)
    (want,) = torch.autograd.grad(F.relu(xt), xt, torch.tensor(gx))
    assert_close(N.relu_backward(gx, x), want, dtype)
    assert_close(T.relu_backward(torch.tensor(gx), torch.tensor(x)), want, dtype)
    target = rng.integers(0, 6, 4)
    for reduction, go in (("mean", np.asarray(1.5, dtype)), ("sum", np.asarray(0.5, dtype)),
                          ("none", rng.standard_normal(4).astype(dtype))):
        loss = F.cross_entropy(xt, torch.tensor(target), reduction=reduction)
        (want,) = torch.autograd.grad(loss, xt, torch.tensor(go))
        assert_close(N.cross_entropy_backward(go, x, target, reduction), want, dtype)
        assert_close(T.cross_entropy_backward(torch.tensor(go), torch.tensor(x),
                                              torch.tensor(target), reduction), want, dtype)


def test_relu_inplace_and_nan():
    x = np.array([-1.0, np.nan, 2.0])
    assert np.isnan(N.relu(x)[1]) and np.isnan(T.relu(torch.tensor(x))[1].item())
    y = x.copy()
    assert N.relu(y, inplace=True) is y and y[0] == 0
