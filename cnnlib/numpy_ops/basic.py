"""Padding, activations, the fully connected layer and the classification loss, in NumPy.

With these and the convolution and pooling ops, a whole CNN trains in NumPy
alone (section 1.8, "step by step").
"""

from __future__ import annotations

import numpy as np

from .. import _checks as V
from .._index import constant_pad_slices, pad_index

__all__ = ["pad", "relu", "relu_backward", "softmax", "log_softmax", "linear",
           "linear_backward", "cross_entropy", "cross_entropy_backward"]


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative amounts, crop) the last axes, as ``torch.nn.functional.pad``.

    ``pad`` lists (left, right) amounts starting from the last axis:
    ``(left_W, right_W, top_H, bottom_H, ...)``. ``mode`` is ``'constant'`` (fill
    with ``value``, default 0), ``'reflect'`` (mirror without repeating the edge),
    ``'replicate'`` (repeat the edge) or ``'circular'`` (wrap around). The zero
    padding of section 1.3 is ``pad(x, (p, p, p, p))``.
    """
    pairs = V.pad_args("pad", input, pad, mode, "numpy")
    nd = input.ndim
    if mode == "constant":
        fill = 0 if value is None else value
        out_shape, src, dst = constant_pad_slices(tuple(input.shape), pairs)
        out = np.full(out_shape, fill, dtype=input.dtype)
        out[dst] = input[src]
        return out
    if value not in (None, 0):
        raise ValueError(f"pad: value is only used with mode='constant', got mode={mode!r}")
    out = input
    for i, (lo, hi) in enumerate(pairs):
        axis = nd - 1 - i
        out = np.take(out, pad_index(input.shape[axis], lo, hi, mode), axis=axis)
    return out


def relu(input, inplace=False):
    """Rectified linear unit, ``max(x, 0)`` elementwise, as ``torch.nn.functional.relu``.

    Any shape; NaN stays NaN. ``inplace=True`` overwrites ``input``. Section 1.6.
    """
    V.check_array("relu", "input", input, "numpy")
    if inplace:
        np.maximum(input, 0, out=input)
        return input
    return np.maximum(input, input.dtype.type(0))


def relu_backward(grad_output, input):
    """Gradient of :func:`relu`: ``grad_output`` where ``input > 0``, else 0."""
    V.check_array("relu_backward", "input", input, "numpy")
    V.check_array("relu_backward", "grad_output", grad_output, "numpy")
    if grad_output.shape != input.shape:
        raise ValueError(f"relu_backward: grad_output has shape {grad_output.shape}, input has "
                         f"shape {input.shape}")
    return np.where(input > 0, grad_output, grad_output.dtype.type(0))


def _cast(op, input, dtype):
    V.check_array(op, "input", input, "numpy")
    if dtype is None:
        return input
    if np.dtype(dtype).name not in V.NUMPY_FLOAT_DTYPES:
        raise TypeError(f"{op}: dtype must be float32 or float64, got {dtype!r}")
    return input.astype(dtype)


def log_softmax(input, dim, dtype=None):
    """``x - log(sum(exp(x)))`` along ``dim``, computed stably, as ``torch.nn.functional.log_softmax``.

    ``dtype`` casts the input first. Unlike torch, ``dim`` has no implicit default.
    """
    x = _cast("log_softmax", input, dtype)
    dim = V.check_dim("log_softmax", dim, x.ndim)
    if x.ndim == 0:
        return np.zeros_like(x)
    shifted = x - np.max(x, axis=dim, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))


def softmax(input, dim, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``, as ``torch.nn.functional.softmax``.

    Turns a vector of scores into probabilities (the course's softmax output
    layer). ``dtype`` casts the input first. Unlike torch, ``dim`` has no implicit
    default.
    """
    return np.exp(log_softmax(input, dim, dtype))


def linear(input, weight, bias=None):
    """Fully connected layer ``x W^T + b``, as ``torch.nn.functional.linear``.

    input: (*, in_features); weight: (out_features, in_features); bias:
    (out_features,) or None. Returns (*, out_features). Section 1.8.
    """
    V.linear_args("linear", input, weight, bias, "numpy")
    out = input @ weight.T
    if bias is not None:
        out = out + bias
    return out


def linear_backward(grad_output, input, weight, bias=None):
    """Gradients of :func:`linear`: ``(grad_input, grad_weight, grad_bias)``.

    ``grad_input = grad_output W``, ``grad_weight = grad_output^T x`` summed over all
    leading axes, ``grad_bias`` the sum of ``grad_output`` (None without bias).
    """
    out = linear(input, weight, bias)
    V.check_array("linear_backward", "grad_output", grad_output, "numpy")
    if grad_output.shape != out.shape:
        raise ValueError(f"linear_backward: grad_output has shape {grad_output.shape}, the "
                         f"forward output has shape {out.shape}")
    if weight.ndim == 1:
        g = grad_output[..., None]
        w = weight[None]
    else:
        g, w = grad_output, weight
    grad_input = g @ w
    g2 = g.reshape(-1, g.shape[-1])
    x2 = input.reshape(-1, input.shape[-1])
    grad_weight = (g2.T @ x2).reshape(weight.shape)
    grad_bias = None if bias is None else g2.sum(axis=0).reshape(bias.shape)
    return grad_input, grad_weight, grad_bias


def _ce_args(op, input, target, reduction):
    V.check_array(op, "input", input, "numpy", ndims=(1, 2))
    if not isinstance(target, np.ndarray) or not np.issubdtype(target.dtype, np.integer):
        raise TypeError(f"{op}: target must be an integer numpy.ndarray of class indices, "
                        f"got {getattr(target, 'dtype', type(target).__name__)}")
    if target.shape != input.shape[:-1]:
        raise ValueError(f"{op}: target has shape {target.shape}, expected "
                         f"{input.shape[:-1]} for input of shape {input.shape}")
    classes = input.shape[-1]
    if target.size and (target.min() < 0 or target.max() >= classes):
        raise ValueError(f"{op}: target holds class indices outside [0, {classes - 1}]")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def cross_entropy(input, target, reduction="mean"):
    """Softmax cross-entropy of logits ``input`` (N, C) against class indices ``target`` (N,).

    ``-log softmax(input)[n, target[n]]``, averaged (``'mean'``), summed (``'sum'``)
    or per example (``'none'``), as ``torch.nn.functional.cross_entropy`` with
    class-index targets. Section 1.8.
    """
    _ce_args("cross_entropy", input, target, reduction)
    logp = log_softmax(input, -1)
    losses = -np.take_along_axis(logp, target[..., None], axis=-1)[..., 0]
    if reduction == "none":
        return losses
    total = losses.sum()
    return total / max(losses.size, 1) if reduction == "mean" else total


def cross_entropy_backward(grad_output, input, target, reduction="mean"):
    """Gradient of :func:`cross_entropy` with respect to the logits: ``softmax - one_hot``.

    ``grad_output`` is a scalar for ``'mean'``/``'sum'`` and (N,) for ``'none'``.
    """
    _ce_args("cross_entropy_backward", input, target, reduction)
    g = np.asarray(grad_output, dtype=input.dtype)
    grad = softmax(input, -1)
    np.put_along_axis(grad, target[..., None],
                      np.take_along_axis(grad, target[..., None], axis=-1) - 1, axis=-1)
    if reduction == "none":
        return grad * g[..., None]
    scale = g / max(target.size, 1) if reduction == "mean" else g
    return grad * scale
