"""Padding, activations, the fully connected layer and the classification loss, in NumPy.

With these and the convolution and pooling ops, a whole CNN trains in NumPy
alone (section 1.8, "step by step").
"""

from __future__ import annotations

import math

import numpy as np

from .. import _checks as V
from .._index import constant_pad_slices, pad_index

__all__ = ["pad", "relu", "relu_backward", "softmax", "log_softmax", "linear",
           "linear_backward", "cross_entropy", "cross_entropy_backward"]


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative amounts, crop) the last axes, as ``torch.nn.functional.pad``.

    The zero padding of section 1.3 is ``pad(x, (p, p, p, p))``.

    Parameters
    ----------
    input : array
        Any shape and dtype (``mode='reflect'`` and ``'replicate'`` take no bool input).
    pad : tuple of ints
        (left, right) amounts, starting from the last axis:
        ``(left_W, right_W, top_H, bottom_H, ...)``. Negative amounts crop
        (``mode='constant'`` only).
    mode : {'constant', 'reflect', 'replicate', 'circular'}
        Fill with ``value``; mirror without repeating the edge; repeat the edge; wrap
        around. The last three pad the last 1, 2 or 3 axes of a (batched) input.
    value : number or None
        The fill of ``mode='constant'`` (default 0).

    Returns
    -------
    array
        ``input``'s dtype, each padded axis ``left + n + right`` long.
    """
    pairs = V.pad_args("pad", input, pad, mode, "numpy", value)
    if mode == "constant":
        out_shape, src, dst = constant_pad_slices(tuple(input.shape), pairs)
        out = np.full(out_shape, 0 if value is None else value, dtype=input.dtype)
        out[dst] = input[src]
        return out
    out = input
    for i, (lo, hi) in enumerate(pairs):
        axis = input.ndim - 1 - i
        out = np.take(out, pad_index(input.shape[axis], lo, hi, mode), axis=axis)
    return out


def relu(input, inplace=False):
    """Rectified linear unit, ``max(x, 0)`` elementwise, as ``torch.nn.functional.relu``.

    Any shape, float32 or float64; NaN stays NaN. ``inplace=True`` overwrites ``input``
    and returns it. Section 1.6.
    """
    V.check_array("relu", "input", input, "numpy")
    V.check_bool("relu", "inplace", inplace)
    if inplace:
        np.maximum(input, 0, out=input)
        return input
    return np.maximum(input, input.dtype.type(0))


def relu_backward(grad_output, input):
    """Gradient of :func:`relu`: 0 where ``input <= 0``, ``grad_output`` elsewhere.

    A NaN input passes its gradient on, as in torch (``NaN <= 0`` is false).
    """
    V.check_array("relu_backward", "input", input, "numpy")
    V.check_grad_output("relu_backward", grad_output, input.shape, input, "numpy")
    return np.where(input <= 0, grad_output.dtype.type(0), grad_output)


def _cast(op, input, dtype):
    V.check_array(op, "input", input, "numpy")
    if dtype is None:
        return input
    return input.astype(V.check_float_dtype(op, "dtype", dtype, "numpy"))


def log_softmax(input, dim, dtype=None):
    """``x - log(sum(exp(x)))`` along ``dim``, as ``torch.nn.functional.log_softmax``.

    Computed stably: the maximum along ``dim`` is subtracted first, which changes
    nothing mathematically and keeps ``exp`` from overflowing. Any shape (a 0-D input
    gives 0; an empty one, an empty result); ``dtype`` casts the input first. Unlike
    torch, ``dim`` has no implicit default.
    """
    return _log_softmax("log_softmax", input, dim, dtype)


def _log_softmax(op, input, dim, dtype):
    x = _cast(op, input, dtype)
    dim = V.check_dim(op, dim, x.ndim)
    if x.ndim == 0:
        return x - x            # 0, or NaN for NaN and infinities, as in torch
    if x.size == 0:
        return x.copy()
    shifted = x - np.max(x, axis=dim, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))


def softmax(input, dim, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``, as ``torch.nn.functional.softmax``.

    Turns a vector of scores into probabilities (the course's softmax output
    layer): ``exp`` of :func:`log_softmax`. ``dtype`` casts the input first. Unlike
    torch, ``dim`` has no implicit default.
    """
    return np.exp(_log_softmax("softmax", input, dim, dtype))


def _linear_shape(input, weight):
    return tuple(input.shape[:-1]) + tuple(weight.shape[:-1])


def linear(input, weight, bias=None):
    """Fully connected layer ``x W^T + b``, as ``torch.nn.functional.linear``.

    input: (*, in_features); weight: (out_features, in_features), or (in_features,) for
    a single output without its axis; bias: (out_features,), a scalar, or None. Returns
    (*, out_features). Section 1.8.
    """
    V.linear_args("linear", input, weight, bias, "numpy")
    out = input @ weight.T
    if bias is not None:
        out = out + bias
    return out


def _sum_to(grad, shape):
    """Sum the broadcast axes of ``grad`` away, down to ``shape`` (the adjoint of broadcasting)."""
    lead = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(lead))) if lead else grad
    keep = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=keep, keepdims=True) if keep else grad


def linear_backward(grad_output, input, weight, bias=None):
    """Gradients of :func:`linear`: ``(grad_input, grad_weight, grad_bias)``.

    ``grad_input = grad_output W``, ``grad_weight = grad_output^T x`` summed over all
    leading axes, ``grad_bias`` the sum of ``grad_output`` over those axes (None
    without bias).
    """
    V.linear_args("linear_backward", input, weight, bias, "numpy")
    V.check_grad_output("linear_backward", grad_output, _linear_shape(input, weight), input,
                        "numpy")
    g = grad_output[..., None] if weight.ndim == 1 else grad_output
    w = weight[None] if weight.ndim == 1 else weight
    grad_input = g @ w
    rows = math.prod(g.shape[:-1])             # every leading axis, flattened
    g2 = g.reshape(rows, g.shape[-1])
    x2 = input.reshape(rows, input.shape[-1])
    grad_weight = (g2.T @ x2).reshape(weight.shape)
    grad_bias = None if bias is None else _sum_to(grad_output, bias.shape).reshape(bias.shape)
    return grad_input, grad_weight, grad_bias


def cross_entropy(input, target, reduction="mean"):
    """Softmax cross-entropy of logits ``input`` (N, C) against class indices ``target`` (N,).

    ``-log softmax(input)[n, target[n]]``, averaged (``'mean'``), summed (``'sum'``)
    or per example (``'none'``), as ``torch.nn.functional.cross_entropy`` with
    class-index targets (int64, or uint8). One example without its batch axis, (C,)
    with a 0-D target, works too; the mean of no examples is NaN, as in torch. Section
    1.8.
    """
    V.cross_entropy_args("cross_entropy", input, target, reduction, "numpy")
    logp = _log_softmax("cross_entropy", input, -1, None)
    losses = -np.take_along_axis(logp, target.astype(np.int64)[..., None], axis=-1)[..., 0]
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore"):
        return total / input.dtype.type(losses.size)


def cross_entropy_backward(grad_output, input, target, reduction="mean"):
    """Gradient of :func:`cross_entropy` with respect to the logits: ``softmax - one_hot``.

    ``grad_output`` is 0-D for ``'mean'``/``'sum'`` and (N,) for ``'none'``, in the
    input's dtype. With ``'mean'`` the gradient is divided by the number of examples.
    """
    op = "cross_entropy_backward"
    V.cross_entropy_args(op, input, target, reduction, "numpy")
    V.check_grad_output(op, grad_output, target.shape if reduction == "none" else (), input,
                        "numpy")
    idx = target.astype(np.int64)[..., None]
    grad = np.exp(_log_softmax(op, input, -1, None))
    np.put_along_axis(grad, idx, np.take_along_axis(grad, idx, axis=-1) - 1, axis=-1)
    if reduction == "none":
        return grad * grad_output[..., None]
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return grad * (grad_output / input.dtype.type(target.size))
    return grad * grad_output
