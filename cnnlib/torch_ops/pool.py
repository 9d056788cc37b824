"""PyTorch twins of :mod:`cnnlib.numpy_ops.pool`.

Windows come from ``Tensor.unfold`` on the padded input; max pooling reduces them
with ``max`` (keeping the winning tap for ``return_indices``), average pooling with
``sum`` and a divisor computed by the same rule as the NumPy reference.
"""

from __future__ import annotations

import math

import torch

from .. import _checks as V
from .._index import pool_divisor_1d, pool_right_padding
from ..numpy_ops import pool as reference
from ._twin import autograd_backward, check_grad_output, twin_doc
from .basic import pad as _pad

__all__ = list(reference.__all__)


def _windows(x, a: V.PoolArgs, fill):
    """(..., *out, prod(kernel)): every window of the padded input, taps flattened."""
    nd = len(a.kernel)
    widths = []
    for n, k, p, s, d, o in reversed(list(zip(a.spatial_in, a.kernel, a.padding, a.stride,
                                              a.dilation, a.spatial_out))):
        widths += [p, pool_right_padding(n, k, p, s, d, o)]
    xp = _pad(x, widths, value=fill)
    lead = x.ndim - nd
    for axis in range(nd):
        span = a.dilation[axis] * (a.kernel[axis] - 1) + 1
        xp = xp.unfold(lead + axis, span, a.stride[axis])
    keep = (Ellipsis,) + tuple(slice(0, o) for o in a.spatial_out) + tuple(
        slice(None, None, d) for d in a.dilation)
    w = xp[keep]
    return w.reshape(*w.shape[:lead + nd], math.prod(a.kernel))


def _flat_indices(arg, a: V.PoolArgs):
    nd = len(a.kernel)
    flat = torch.zeros_like(arg)
    rest = arg
    taps = []
    for k in reversed(a.kernel):
        taps.append(rest % k)
        rest = rest // k
    taps.reverse()
    for axis in range(nd):
        shape = [1] * arg.ndim
        shape[arg.ndim - nd + axis] = a.spatial_out[axis]
        start = (torch.arange(a.spatial_out[axis], device=arg.device) * a.stride[axis]
                 - a.padding[axis]).reshape(shape)
        flat = flat * a.spatial_in[axis] + start + taps[axis] * a.dilation[axis]
    return flat


def _max_args(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode):
    return V.max_pool_args(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
                           "torch")


def _avg_args(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    return V.avg_pool_args(op, nd, input, kernel_size, stride, padding, ceil_mode,
                           count_include_pad, divisor_override, "torch")


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    a = _max_args(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode)
    best, arg = _windows(input, a, float("-inf")).max(dim=-1)
    return (best, _flat_indices(arg, a)) if return_indices else best


def _avg_pool(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    a = _avg_args(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                  divisor_override)
    total = _windows(input, a, 0.0).sum(dim=-1)
    if divisor_override is not None:
        return total / divisor_override
    div = torch.ones((), dtype=input.dtype, device=input.device)
    for n, k, p, s, o in zip(a.spatial_in, a.kernel, a.padding, a.stride, a.spatial_out):
        sizes = torch.tensor(pool_divisor_1d(n, k, p, s, o, count_include_pad),
                             dtype=input.dtype, device=input.device)
        div = div[..., None] * sizes
    return total / div


def _pool_backward(op, forward, a, grad_output, input, **kwargs):
    expected = tuple(input.shape[:-len(a.kernel)]) + a.spatial_out
    check_grad_output(op, grad_output, expected, input)
    (grad,) = autograd_backward(forward, grad_output, (input,), **kwargs)
    return grad


def _make(nd):
    def max_pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
        return _max_pool(f"max_pool{nd}d", nd, input, kernel_size, stride, padding, dilation,
                         ceil_mode, return_indices)

    def max_pool_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                          ceil_mode=False):
        op = f"max_pool{nd}d_backward"
        a = _max_args(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode)
        return _pool_backward(op, max_pool, a, grad_output, input, kernel_size=kernel_size,
                              stride=stride, padding=padding, dilation=dilation,
                              ceil_mode=ceil_mode)

    if nd == 1:
        def avg_pool(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                     count_include_pad=True):
            return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                             count_include_pad, None)

        def avg_pool_backward(grad_output, input, kernel_size, stride=None, padding=0,
                              ceil_mode=False, count_include_pad=True):
            op = "avg_pool1d_backward"
            a = _avg_args(op, 1, input, kernel_size, stride, padding, ceil_mode,
                          count_include_pad, None)
            return _pool_backward(op, avg_pool, a, grad_output, input, kernel_size=kernel_size,
                                  stride=stride, padding=padding, ceil_mode=ceil_mode,
                                  count_include_pad=count_include_pad)
    else:
        def avg_pool(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                     count_include_pad=True, divisor_override=None):
            return _avg_pool(f"avg_pool{nd}d", nd, input, kernel_size, stride, padding,
                             ceil_mode, count_include_pad, divisor_override)

        def avg_pool_backward(grad_output, input, kernel_size, stride=None, padding=0,
                              ceil_mode=False, count_include_pad=True, divisor_override=None):
            op = f"avg_pool{nd}d_backward"
            a = _avg_args(op, nd, input, kernel_size, stride, padding, ceil_mode,
                          count_include_pad, divisor_override)
            return _pool_backward(op, avg_pool, a, grad_output, input, kernel_size=kernel_size,
                                  stride=stride, padding=padding, ceil_mode=ceil_mode,
                                  count_include_pad=count_include_pad,
                                  divisor_override=divisor_override)

    return max_pool, max_pool_backward, avg_pool, avg_pool_backward


for _nd in (1, 2, 3):
    for _fn, _name in zip(_make(_nd), (f"max_pool{_nd}d", f"max_pool{_nd}d_backward",
                                        f"avg_pool{_nd}d", f"avg_pool{_nd}d_backward")):
        _fn.__name__ = _fn.__qualname__ = _name
        _fn.__module__ = __name__
        globals()[_name] = twin_doc(_fn, getattr(reference, _name))
