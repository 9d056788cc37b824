"""Max and average pooling in NumPy, forward and backward.

Like the convolution core, pooling loops over the taps of the window, not over
output pixels: each tap contributes one strided slice of the padded input, and
the output is the running maximum (or sum) of those slices. Pooling acts on each
channel separately and has no parameters (section 1.7).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _checks as V
from .._index import kernel_offsets, pool_divisor_1d, pool_right_padding, tap_slices

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "max_pool1d_backward", "max_pool2d_backward", "max_pool3d_backward",
    "avg_pool1d_backward", "avg_pool2d_backward", "avg_pool3d_backward",
]


def _padded(x: np.ndarray, a: V.PoolArgs, fill: float) -> np.ndarray:
    """Pad the spatial axes (the last ones) with ``fill``, on the right enough for ceil_mode."""
    nd = len(a.kernel)
    widths = [(0, 0)] * (x.ndim - nd) + [
        (p, pool_right_padding(n, k, p, s, d, o)) for n, k, p, s, d, o in
        zip(a.spatial_in, a.kernel, a.padding, a.stride, a.dilation, a.spatial_out)]
    return np.pad(x, widths, constant_values=fill)


def _taps(a: V.PoolArgs):
    lead = (Ellipsis,)
    for idx, offset in enumerate(kernel_offsets(a.kernel)):
        yield idx, offset, lead + tap_slices(offset, a.stride, a.dilation, a.spatial_out)


def _max_and_argmax(x: np.ndarray, a: V.PoolArgs):
    """Window maximum and the index of the tap that holds it (first maximum wins; NaN wins)."""
    xp = _padded(x, a, -np.inf)
    best = np.full(x.shape[:-len(a.kernel)] + a.spatial_out, -np.inf, dtype=x.dtype)
    arg = np.zeros(best.shape, dtype=np.int64)
    for idx, _, sl in _taps(a):
        v = xp[sl]
        better = (v > best) | np.isnan(v)
        best = np.where(better, v, best)
        arg[better] = idx
    return best, arg


def _flat_indices(arg: np.ndarray, a: V.PoolArgs) -> np.ndarray:
    """Tap index per output -> flat index into the unpadded input's spatial axes (torch's)."""
    nd = len(a.kernel)
    taps = np.unravel_index(arg, a.kernel)
    flat = np.zeros(arg.shape, dtype=np.int64)
    for axis in range(nd):
        shape = [1] * arg.ndim
        shape[arg.ndim - nd + axis] = a.spatial_out[axis]
        start = (np.arange(a.spatial_out[axis]) * a.stride[axis] - a.padding[axis]).reshape(shape)
        coord = start + taps[axis] * a.dilation[axis]
        flat = flat * a.spatial_in[axis] + coord
    return flat


def _avg_divisor(a: V.PoolArgs, count_include_pad: bool, divisor_override, dtype):
    if divisor_override is not None:
        return np.asarray(divisor_override, dtype=dtype)
    per_axis = [pool_divisor_1d(n, k, p, s, o, count_include_pad) for n, k, p, s, o in
                zip(a.spatial_in, a.kernel, a.padding, a.stride, a.spatial_out)]
    div = np.ones((), dtype=dtype)
    for sizes in per_axis:
        div = np.multiply.outer(div, np.asarray(sizes, dtype=dtype))
    return div


def _max_args(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode):
    return V.max_pool_args(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
                           "numpy")


def _avg_args(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    return V.avg_pool_args(op, nd, input, kernel_size, stride, padding, ceil_mode,
                           count_include_pad, divisor_override, "numpy")


def _check_grad(op, grad_output, input, a: V.PoolArgs):
    V.check_array(op, "grad_output", grad_output, "numpy")
    expected = tuple(input.shape[:-len(a.kernel)]) + a.spatial_out
    if tuple(grad_output.shape) != expected:
        raise ValueError(f"{op}: grad_output has shape {tuple(grad_output.shape)}, the forward "
                         f"output has shape {expected}")
    V.check_same_dtype(op, input=input, grad_output=grad_output)


def _scatter_taps(grad_per_tap, input: np.ndarray, a: V.PoolArgs) -> np.ndarray:
    """Add each tap's share of the gradient back onto the input positions it read."""
    gxp = _padded(np.zeros_like(input), a, 0.0)
    for idx, _, sl in _taps(a):
        gxp[sl] += grad_per_tap(idx)
    crop = (Ellipsis,) + tuple(slice(p, p + n) for p, n in zip(a.padding, a.spatial_in))
    return np.ascontiguousarray(gxp[crop])


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    a = _max_args(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode)
    best, arg = _max_and_argmax(input, a)
    return (best, _flat_indices(arg, a)) if return_indices else best


def _max_pool_backward(op, nd, grad_output, input, kernel_size, stride, padding, dilation,
                       ceil_mode):
    a = _max_args(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode)
    _check_grad(op, grad_output, input, a)
    _, arg = _max_and_argmax(input, a)
    # The gradient flows only to the position that won the max (the "mask").
    return _scatter_taps(lambda idx: np.where(arg == idx, grad_output, 0), input, a)


def _avg_pool(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    a = _avg_args(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                  divisor_override)
    xp = _padded(input, a, 0.0)
    total = np.zeros(input.shape[:-nd] + a.spatial_out, dtype=input.dtype)
    for _, _, sl in _taps(a):
        total += xp[sl]
    return total / _avg_divisor(a, count_include_pad, divisor_override, input.dtype)


def _avg_pool_backward(op, nd, grad_output, input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override):
    a = _avg_args(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                  divisor_override)
    _check_grad(op, grad_output, input, a)
    # Every input in a window gets an equal share of that window's gradient.
    share = grad_output / _avg_divisor(a, count_include_pad, divisor_override, input.dtype)
    return _scatter_taps(lambda idx: share, input, a)


_SHAPES = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)",
           3: "(N, C, D, H, W) or (C, D, H, W)"}


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling, as ``torch.nn.functional.max_pool1d``. See :func:`max_pool2d`."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    input: (N, C, H, W) or (C, H, W). Each channel is pooled separately: every
    output is the maximum of a ``kernel_size`` window (taps ``dilation`` apart)
    that moves ``stride`` pixels at a time (default: ``kernel_size``) over the
    input padded with ``-inf``. Output size per axis is
    :func:`cnnlib.shapes.output_size` (``ceil_mode`` rounds up). With
    ``return_indices`` also returns, for every output, the flat index into the
    input's ``H*W`` plane of the value that won. Taught in section 1.7.
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling, as ``torch.nn.functional.max_pool3d``. See :func:`max_pool2d`."""
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling, as ``torch.nn.functional.avg_pool1d``. See :func:`avg_pool2d`."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    input: (N, C, H, W) or (C, H, W). Every output is the mean of its window over
    the zero-padded input. The divisor is the window size including padded zeros
    (``count_include_pad=True``) or only the real inputs it covers; a window that
    ``ceil_mode`` lets run past the padding never counts those extra positions.
    ``divisor_override`` replaces the divisor. Taught in section 1.7.
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling, as ``torch.nn.functional.avg_pool3d``. See :func:`avg_pool2d`."""
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def max_pool1d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    """Gradient of :func:`max_pool1d` with respect to ``input``. See :func:`max_pool2d_backward`."""
    return _max_pool_backward("max_pool1d_backward", 1, grad_output, input, kernel_size, stride,
                              padding, dilation, ceil_mode)


def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    """Gradient of :func:`max_pool2d` with respect to ``input`` (same shape as ``input``).

    Each output's gradient goes to the one input that was the window's maximum
    (the first one, on ties) and nowhere else; inputs in several windows add up
    their shares. Taught in section 1.7.
    """
    return _max_pool_backward("max_pool2d_backward", 2, grad_output, input, kernel_size, stride,
                              padding, dilation, ceil_mode)


def max_pool3d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    """Gradient of :func:`max_pool3d` with respect to ``input``. See :func:`max_pool2d_backward`."""
    return _max_pool_backward("max_pool3d_backward", 3, grad_output, input, kernel_size, stride,
                              padding, dilation, ceil_mode)


def avg_pool1d_backward(grad_output, input, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True):
    """Gradient of :func:`avg_pool1d` with respect to ``input``. See :func:`avg_pool2d_backward`."""
    return _avg_pool_backward("avg_pool1d_backward", 1, grad_output, input, kernel_size, stride,
                              padding, ceil_mode, count_include_pad, None)


def avg_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True, divisor_override=None):
    """Gradient of :func:`avg_pool2d` with respect to ``input`` (same shape as ``input``).

    Each output's gradient is spread evenly, divided by that window's divisor,
    over the inputs of its window. Taught in section 1.7.
    """
    return _avg_pool_backward("avg_pool2d_backward", 2, grad_output, input, kernel_size, stride,
                              padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool3d_backward(grad_output, input, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True, divisor_override=None):
    """Gradient of :func:`avg_pool3d` with respect to ``input``. See :func:`avg_pool2d_backward`."""
    return _avg_pool_backward("avg_pool3d_backward", 3, grad_output, input, kernel_size, stride,
                              padding, ceil_mode, count_include_pad, divisor_override)
