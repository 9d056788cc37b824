"""The NumPy backward passes agree with central finite differences on small float64 inputs."""

import numpy as np
import pytest
from hypothesis import given, settings

from cnnlib import numpy_ops as N
from strategies import conv_problems, conv_transpose_problems, pool_problems


def numeric_grad(f, arrays, g, eps=1e-6):
    """d<f(arrays), g>/d arrays by central differences, one array at a time."""
    grads = []
    for a in arrays:
        if a is None:
            grads.append(None)
            continue
        grad = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + eps
            up = np.sum(f() * g)
            a[idx] = old - eps
            down = np.sum(f() * g)
            a[idx] = old
            grad[idx] = (up - down) / (2 * eps)
        grads.append(grad)
    return grads


def _check(forward, backward, arrays, seed):
    out = forward()
    g = np.random.default_rng(seed).standard_normal(out.shape)
    want = numeric_grad(forward, arrays, g)
    got = backward(g)
    got = got if isinstance(got, tuple) else (got,)
    for a, b in zip(got, want):
        if b is not None:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@settings(max_examples=25)
@given(conv_problems(nds=(1, 2)))
def test_conv_backward_matches_finite_differences(p):
    p.dtype = np.float64
    x, w, b = p.arrays(p.w_shape[0])
    name = f"conv{p.nd}d"
    _check(lambda: getattr(N, name)(x, w, b, **p.kwargs),
           lambda g: getattr(N, name + "_backward")(g, x, w, b, **p.kwargs), (x, w, b), p.seed)


@settings(max_examples=25)
@given(conv_transpose_problems(nds=(1, 2)))
def test_conv_transpose_backward_matches_finite_differences(p):
    p.dtype = np.float64
    x, w, b = p.arrays(p.extra["cout"])
    name = f"conv_transpose{p.nd}d"
    _check(lambda: getattr(N, name)(x, w, b, **p.kwargs),
           lambda g: getattr(N, name + "_backward")(g, x, w, b, **p.kwargs), (x, w, b), p.seed)


@pytest.mark.parametrize("kind", ["avg", "max"])
def test_pool_backward_matches_finite_differences(kind):
    # Random normal inputs have no ties, so the max is differentiable there.
    @settings(max_examples=25)
    @given(pool_problems(kind, nds=(1, 2)))
    def check(p):
        p.dtype = np.float64
        x, _, _ = p.arrays(0)
        name = f"{kind}_pool{p.nd}d"
        _check(lambda: getattr(N, name)(x, **p.kwargs),
               lambda g: getattr(N, name + "_backward")(g, x, **p.kwargs), (x,), p.seed)

    check()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_dense_backwards_match_finite_differences(reduction, rng):
    x = rng.standard_normal((3, 5))
    w = rng.standard_normal((4, 5))
    b = rng.standard_normal(4)
    _check(lambda: N.linear(x, w, b), lambda g: N.linear_backward(g, x, w, b), (x, w, b), 1)
    _check(lambda: N.relu(x), lambda g: N.relu_backward(g, x), (x,), 2)
    t = rng.integers(0, 5, 3)
    _check(lambda: np.asarray(N.cross_entropy(x, t, reduction)),
           lambda g: N.cross_entropy_backward(g, x, t, reduction), (x,), 3)


def test_input_gradient_is_a_convolution_with_the_flipped_filter(rng):
    """Section 1.6's claim, for stride 1: grad_input = conv(pad(g, f-1-p), rot180(W) with channels swapped)."""
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    g = rng.standard_normal((2, 4, 7, 6))
    grad_input, _, _ = N.conv2d_backward(g, x, w, None, padding=1)
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).copy()
    np.testing.assert_allclose(N.conv2d(g, flipped, padding=1), grad_input, atol=1e-12)
    np.testing.assert_allclose(N.conv_transpose2d(g, w, padding=1), grad_input, atol=1e-12)


@settings(max_examples=40)
@given(conv_problems(nds=(1, 2, 3)))
def test_both_forms_of_the_transposed_convolution_agree_with_autograd(p):
    """The gather form (zero-stuff, flip, correlate) and the scatter form (col2im) are one map."""
    import torch

    from cnnlib import _checks as V
    from cnnlib.numpy_ops import _fast_conv

    p.dtype = np.float64
    x, w, _ = p.arrays(p.w_shape[0])
    name = f"conv{p.nd}d"
    a = V.conv_args(name, p.nd, x, w, None, **p.kwargs, kind="numpy")
    xb = x if a.batched else x[None]
    g = np.random.default_rng(p.seed).standard_normal(
        (xb.shape[0], w.shape[0]) + a.spatial_out)
    xt = torch.tensor(xb, requires_grad=True)
    out = getattr(torch.nn.functional, name)(xt, torch.tensor(w), **p.kwargs)
    (want,) = torch.autograd.grad(out, xt, torch.tensor(g))
    for method in ("gather", "scatter"):
        got = _fast_conv.adjoint(g, w, a.stride, a.pad_left, a.dilation, a.groups, a.spatial_in,
                                 method=method)
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-9, atol=1e-9)
