"""Checkers for Part 2's practice: a batch-norm forward pass and a residual block's forward pass.

Section 2.2 asks the reader to write both in NumPy. Each checker runs the reader's function on
cases of growing difficulty, compares with the right answer and, when they differ, names the
typical mistake the answer matches:

- :func:`check_batch_norm_forward`: statistics over the wrong axes (per example, per
  position, over the whole batch), the unbiased variance, ``eps`` outside the square root or
  left out, dividing by the variance, ``gamma`` and ``beta`` swapped or missing;
- :func:`check_residual_block`: the skip connection added after the activation, left out,
  taken from the wrong place, the last or the middle ReLU missing.
"""

from __future__ import annotations

import numpy as np

from ..numpy_ops import conv2d, relu
from . import Case, run_cases

__all__ = ["batch_norm_forward_reference", "check_batch_norm_forward",
           "residual_block_reference", "check_residual_block"]


def _axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _shape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _bn(x, gamma, beta, eps, axes, ddof=0, where_eps="inside", power=0.5):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    if where_eps == "inside":
        x_hat = (x - mean) / (var + eps) ** power
    elif where_eps == "outside":
        x_hat = (x - mean) / (var ** power + eps)
    else:
        x_hat = (x - mean) / var ** power
    out = x_hat
    if gamma is not None:
        out = out * gamma.reshape(_shape(x))
    if beta is not None:
        out = out + beta.reshape(_shape(x))
    return out.astype(x.dtype)


def batch_norm_forward_reference(x, gamma, beta, eps=1e-5):
    """The right answer: training-mode batch norm of ``x`` (N, C, ...) per channel.

    ``(x - mean) / sqrt(var + eps) * gamma + beta`` with the mean and the biased variance of
    each channel over the batch and every spatial position.
    """
    return _bn(x, gamma, beta, eps, _axes(x))


def _bn_mistakes(x, gamma, beta, eps):
    every = tuple(range(x.ndim))
    mistakes = [
        ("you normalised each example separately (statistics over its channels and positions); "
         "batch norm takes each channel's statistics over the batch: axes (0, 2, 3) for "
         "(N, C, H, W)", lambda: _bn(x, gamma, beta, eps, tuple(range(1, x.ndim)))),
        ("you normalised over the batch axis only, position by position; a channel's mean "
         "and variance are taken over the batch *and* every spatial position, axes (0, 2, 3)",
         lambda: _bn(x, gamma, beta, eps, (0,))),
        ("you normalised each example's channel over its positions only (that is instance "
         "norm); include the batch axis: axes (0, 2, 3)",
         lambda: _bn(x, gamma, beta, eps, tuple(range(2, x.ndim)))),
        ("you used one mean and variance for everything; batch norm has one per channel: "
         "reduce over every axis but 1", lambda: _bn(x, gamma, beta, eps, every)),
        ("you used the unbiased variance (dividing by m - 1); batch norm normalises with the "
         "biased one, np.var(..., ddof=0)",
         lambda: _bn(x, gamma, beta, eps, _axes(x), ddof=1)),
        ("eps belongs inside the square root: (x - mean) / sqrt(var + eps)",
         lambda: _bn(x, gamma, beta, eps, _axes(x), where_eps="outside")),
        ("you left out eps: (x - mean) / sqrt(var + eps) keeps a channel of constant values "
         "from dividing by zero", lambda: _bn(x, gamma, beta, eps, _axes(x), where_eps="none")),
        ("you divided by the variance; divide by the standard deviation sqrt(var + eps)",
         lambda: _bn(x, gamma, beta, eps, _axes(x), power=1.0)),
        ("gamma and beta are swapped: y = gamma * x_hat + beta",
         lambda: _bn(x, beta, gamma, eps, _axes(x))),
        ("you left out gamma and beta: y = gamma * x_hat + beta",
         lambda: _bn(x, None, None, eps, _axes(x))),
        ("you left out beta: y = gamma * x_hat + beta",
         lambda: _bn(x, gamma, None, eps, _axes(x))),
        ("you left out gamma: y = gamma * x_hat + beta",
         lambda: _bn(x, None, beta, eps, _axes(x))),
    ]
    return mistakes


def _bn_cases(seed=0):
    rng = np.random.default_rng(seed)
    cases = []

    def add(label, x, gamma, beta, eps):
        cases.append(Case(label, (x, gamma, beta), batch_norm_forward_reference(x, gamma, beta,
                                                                                 eps),
                          _bn_mistakes(x, gamma, beta, eps), kwargs={"eps": eps}))

    x = (rng.standard_normal((6, 3)) * [1.0, 4.0, 0.5] + [0.0, 3.0, -2.0]).astype(np.float64)
    add("fully connected, (N, C)", x, np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, -1.0]),
        1e-5)
    x = (rng.standard_normal((4, 2, 3, 3)) * [[[[2.0]], [[0.8]]]] + 5).astype(np.float64)
    add("convolution output, (N, C, H, W)", x, np.array([1.5, -0.7]), np.array([0.2, 0.4]),
        1e-5)
    x = rng.standard_normal((3, 4, 2, 5)).astype(np.float32) * 3
    x[:, 2] = 0.01 * rng.standard_normal((3, 2, 5)).astype(np.float32)   # a quiet channel
    add("a quiet channel and eps = 0.01, float32", x,
        rng.uniform(0.5, 2, 4).astype(np.float32), rng.standard_normal(4).astype(np.float32),
        1e-2)
    return cases


def check_batch_norm_forward(fn) -> int:
    """Check ``fn(x, gamma, beta, eps=1e-5)``, a training-mode batch norm, against
    :func:`batch_norm_forward_reference`; raise :class:`cnnlib.practice.Mistake` naming the
    mistake, or print that every case passes. Section 2.2."""
    return run_cases("batch_norm_forward", fn, _bn_cases(), rtol=1e-4, atol=1e-5)


def _block(x, w1, b1, w2, b2, skip="input", where="before", relu_mid=True, relu_end=True):
    a1 = conv2d(x, w1, b1, padding=1)
    if relu_mid:
        a1 = relu(a1)
    z2 = conv2d(a1, w2, b2, padding=1)
    shortcut = {"input": x, "first": a1, "none": 0}[skip]
    if where == "after":
        return (relu(z2) if relu_end else z2) + shortcut
    out = z2 + shortcut
    return relu(out) if relu_end else out


def residual_block_reference(x, w1, b1, w2, b2):
    """The right answer: ``relu(conv(relu(conv(x, w1, b1)), w2, b2) + x)``, 3x3 "same"
    convolutions (padding 1), the course's :math:`a^{[l+2]} = g(z^{[l+2]} + a^{[l]})`."""
    return _block(x, w1, b1, w2, b2)


def _block_mistakes(x, w1, b1, w2, b2):
    return [
        ("you added the skip after the activation, relu(z2) + x; the course adds it before: "
         "a[l+2] = g(z[l+2] + a[l])", lambda: _block(x, w1, b1, w2, b2, where="after")),
        ("the skip connection is missing: add the block's input x to z2 before the last ReLU",
         lambda: _block(x, w1, b1, w2, b2, skip="none")),
        ("you added the first layer's activation a1; the skip carries the block's *input* x "
         "past both layers", lambda: _block(x, w1, b1, w2, b2, skip="first")),
        ("the last ReLU is missing: a[l+2] = g(z[l+2] + a[l]), with g = ReLU",
         lambda: _block(x, w1, b1, w2, b2, relu_end=False)),
        ("the ReLU between the two convolutions is missing: a1 = relu(conv(x, w1, b1))",
         lambda: _block(x, w1, b1, w2, b2, relu_mid=False)),
        ("you added x after the activation and left out the last ReLU",
         lambda: _block(x, w1, b1, w2, b2, where="after", relu_end=False)),
    ]


def _block_cases(seed=0):
    rng = np.random.default_rng(seed)
    cases = []
    for label, n, c, size, dtype in (("one example, 2 channels, 4x4", 1, 2, 4, np.float64),
                                     ("a batch of 3, 4 channels, 5x6", 3, 4, (5, 6), np.float64),
                                     ("float32", 2, 3, 5, np.float32)):
        h, w = (size, size) if np.isscalar(size) else size
        x = rng.standard_normal((n, c, h, w)).astype(dtype)
        w1 = (rng.standard_normal((c, c, 3, 3)) / 3).astype(dtype)
        w2 = (rng.standard_normal((c, c, 3, 3)) / 3).astype(dtype)
        b1 = rng.standard_normal(c).astype(dtype) * 0.1
        b2 = rng.standard_normal(c).astype(dtype) * 0.1
        cases.append(Case(label, (x, w1, b1, w2, b2), residual_block_reference(x, w1, b1, w2, b2),
                          _block_mistakes(x, w1, b1, w2, b2)))
    return cases


def check_residual_block(fn) -> int:
    """Check ``fn(x, w1, b1, w2, b2)``, a basic residual block without batch norm (two 3x3
    "same" convolutions), against :func:`residual_block_reference`; raise
    :class:`cnnlib.practice.Mistake` naming the mistake, or print that every case passes.
    Section 2.2."""
    return run_cases("residual_block", fn, _block_cases(), rtol=1e-4, atol=1e-5)
