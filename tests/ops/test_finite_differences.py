"""The NumPy backward passes agree with central finite differences on small float64 inputs.

Every op of the registry (``registry.py``) with ``fd_examples`` is checked, plus two claims
about the convolution's backward that the book makes.
"""

import numpy as np
import pytest
from hypothesis import given, settings

from cnnlib import numpy_ops as N
from compare import numeric_grad
from registry import OPS
from strategies import conv_problems


def _float64(v):
    return v.astype(np.float64) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v


@pytest.mark.parametrize("op", [op for op in OPS if op.fd_examples], ids=repr)
def test_numpy_backward_matches_finite_differences(op):
    """``<op>_backward`` against central differences, on the registry's problems in float64.

    Random normal inputs have no ties, so max pooling is differentiable there.
    """
    @settings(max_examples=op.fd_examples)
    @given(op.samples)
    def check(sample):
        args = [_float64(a) for a in sample.args]
        kwargs = {k: (np.float64 if k == "dtype" else v) for k, v in sample.kwargs.items()}
        bkw = op.backward_kwargs(kwargs)

        def forward():
            out = op.numpy(*args, **kwargs)
            return np.asarray(out[0] if isinstance(out, tuple) else out)

        g = np.random.default_rng(0).standard_normal(forward().shape)
        want = numeric_grad(forward, [args[i] for i in op.grads], g)
        got = op.numpy_backward(g, *args, **bkw)
        got = got if isinstance(got, tuple) else (got,)
        for a, b in zip(got, want):
            assert (a is None) == (b is None)
            if b is not None:
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

    check()


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
