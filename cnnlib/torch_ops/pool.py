"""PyTorch twins of :mod:`cnnlib.numpy_ops.pool`.

Windows come from ``Tensor.unfold`` on the padded input. Max pooling runs through
their taps as the NumPy reference does, keeping the winner and its tap (for
``return_indices``, and for autograd); average pooling sums them and divides by the
same divisor as the reference.
"""

from __future__ import annotations

import math

import torch

from .. import _checks as V
from .._index import pool_divisor_1d, pool_flat_indices, pool_right_padding, pool_start_taps
from ..numpy_ops import pool as reference
from ._twin import autograd_backward, twin_of
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


def _max_and_argmax(x, a: V.PoolArgs):
    """Window maximum and winning tap, by the NumPy reference's (and PyTorch's) rules: the first
    maximum wins, so does any NaN (the last one), and an all ``-inf`` window points at its first
    tap inside the input. The ``where`` chain routes autograd's gradient to the winner."""
    windows = _windows(x, a, float("-inf"))
    arg = pool_start_taps(a.kernel, a.stride, a.padding, a.dilation, a.spatial_in, a.spatial_out,
                          lambda v: torch.tensor(v, device=x.device)).expand(windows.shape[:-1])
    best = windows.gather(-1, arg[..., None])[..., 0]
    for idx in range(windows.shape[-1]):
        v = windows[..., idx]
        better = (v > best) | v.isnan()
        best = torch.where(better, v, best)
        arg = torch.where(better, idx, arg)
    return best, arg


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    a = V.max_pool_args(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
                        "torch")
    V.check_bool(op, "return_indices", return_indices)
    best, arg = _max_and_argmax(input, a)
    if not return_indices:
        return best
    return best, pool_flat_indices(arg, a.kernel, a.stride, a.padding, a.dilation, a.spatial_in,
                                   a.spatial_out, lambda n: torch.arange(n, device=arg.device))


def _avg_pool(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    a = V.avg_pool_args(op, nd, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override, "torch")
    total = _windows(input, a, 0.0).sum(dim=-1)
    if divisor_override is not None:
        return total / divisor_override
    div = torch.ones((), dtype=input.dtype, device=input.device)
    for n, k, p, s, o in zip(a.spatial_in, a.kernel, a.padding, a.stride, a.spatial_out):
        sizes = torch.tensor(pool_divisor_1d(n, k, p, s, o, count_include_pad),
                             dtype=input.dtype, device=input.device)
        div = div[..., None] * sizes
    return total / div



def _output_shape(input, a: V.PoolArgs):
    return tuple(input.shape[:input.ndim - len(a.kernel)]) + a.spatial_out


def _max_pool_backward(op, nd, grad_output, input, kernel_size, stride, padding, dilation,
                       ceil_mode):
    a = V.max_pool_args(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
                        "torch")
    V.check_grad_output(op, grad_output, _output_shape(input, a), input, "torch")
    (grad,) = autograd_backward(
        lambda x: _max_pool(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode, False),
        grad_output, (input,))
    return grad


def _avg_pool_backward(op, nd, grad_output, input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override):
    a = V.avg_pool_args(op, nd, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override, "torch")
    V.check_grad_output(op, grad_output, _output_shape(input, a), input, "torch")
    (grad,) = autograd_backward(
        lambda x: _avg_pool(op, nd, x, kernel_size, stride, padding, ceil_mode,
                            count_include_pad, divisor_override),
        grad_output, (input,))
    return grad


# --- the public twins, written out ---------------------------------------------------------------

@twin_of(reference.max_pool1d)
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@twin_of(reference.max_pool2d)
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@twin_of(reference.max_pool3d)
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@twin_of(reference.avg_pool1d)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


@twin_of(reference.avg_pool2d)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


@twin_of(reference.avg_pool3d)
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


@twin_of(reference.max_pool1d_backward)
def max_pool1d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    return _max_pool_backward("max_pool1d_backward", 1, grad_output, input, kernel_size, stride,
                              padding, dilation, ceil_mode)


@twin_of(reference.max_pool2d_backward)
def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    return _max_pool_backward("max_pool2d_backward", 2, grad_output, input, kernel_size, stride,
                              padding, dilation, ceil_mode)


@twin_of(reference.max_pool3d_backward)
def max_pool3d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    return _max_pool_backward("max_pool3d_backward", 3, grad_output, input, kernel_size, stride,
                              padding, dilation, ceil_mode)


@twin_of(reference.avg_pool1d_backward)
def avg_pool1d_backward(grad_output, input, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True):
    return _avg_pool_backward("avg_pool1d_backward", 1, grad_output, input, kernel_size, stride,
                              padding, ceil_mode, count_include_pad, None)


@twin_of(reference.avg_pool2d_backward)
def avg_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True, divisor_override=None):
    return _avg_pool_backward("avg_pool2d_backward", 2, grad_output, input, kernel_size, stride,
                              padding, ceil_mode, count_include_pad, divisor_override)


@twin_of(reference.avg_pool3d_backward)
def avg_pool3d_backward(grad_output, input, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True, divisor_override=None):
    return _avg_pool_backward("avg_pool3d_backward", 3, grad_output, input, kernel_size, stride,
                              padding, ceil_mode, count_include_pad, divisor_override)
