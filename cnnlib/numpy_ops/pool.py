"""Max and average pooling in NumPy, forward and backward.

Like the convolution core, pooling loops over the taps of the window, not over
output pixels: each tap contributes one strided slice of the padded input, and
the output is the running maximum (or sum) of those slices. Pooling acts on each
channel separately and has no parameters (section 1.7).
"""

from __future__ import annotations

import numpy as np

from .. import _checks as V
from .._index import (kernel_offsets, pool_divisor_1d, pool_flat_indices, pool_right_padding,
                      pool_start_taps, tap_slices)

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "max_pool1d_backward", "max_pool2d_backward", "max_pool3d_backward",
    "avg_pool1d_backward", "avg_pool2d_backward", "avg_pool3d_backward",
]


# --- the algorithm, one N-d version for every public op ------------------------------------------

def _padded(x: np.ndarray, a: V.PoolArgs, fill: float) -> np.ndarray:
    """Pad the spatial axes (the last ones) with ``fill``, on the right enough for ceil_mode."""
    nd = len(a.kernel)
    widths = [(0, 0)] * (x.ndim - nd) + [
        (p, pool_right_padding(n, k, p, s, d, o)) for n, k, p, s, d, o in
        zip(a.spatial_in, a.kernel, a.padding, a.stride, a.dilation, a.spatial_out)]
    return np.pad(x, widths, constant_values=fill)


def _taps(a: V.PoolArgs):
    """``(index, slices)`` of every tap: the slices pick that tap's input under each output."""
    for idx, offset in enumerate(kernel_offsets(a.kernel)):
        yield idx, (Ellipsis,) + tap_slices(offset, a.stride, a.dilation, a.spatial_out)


def _output_shape(input: np.ndarray, a: V.PoolArgs) -> tuple[int, ...]:
    return tuple(input.shape[:input.ndim - len(a.kernel)]) + a.spatial_out


def _max_and_argmax(x: np.ndarray, a: V.PoolArgs):
    """Window maximum and the index of the tap that holds it, by PyTorch's rules.

    The first maximum wins, and so does any NaN (the last one, if several); a window whose
    values are all ``-inf`` points at its first tap inside the input, never at the padding.
    """
    xp = _padded(x, a, -np.inf)
    best = np.full(_output_shape(x, a), -np.inf, dtype=x.dtype)
    arg = np.zeros(best.shape, dtype=np.int64)
    arg[...] = pool_start_taps(a.kernel, a.stride, a.padding, a.dilation, a.spatial_in,
                               a.spatial_out, np.asarray)
    for idx, sl in _taps(a):
        v = xp[sl]
        better = (v > best) | np.isnan(v)
        best = np.where(better, v, best)
        arg[better] = idx
    return best, arg


def _avg_divisor(a: V.PoolArgs, count_include_pad: bool, divisor_override, dtype):
    """Each output's divisor: the outer product of the per-axis window sizes, or the override."""
    if divisor_override is not None:
        return np.asarray(divisor_override, dtype=dtype)
    div = np.ones((), dtype=dtype)
    for n, k, p, s, o in zip(a.spatial_in, a.kernel, a.padding, a.stride, a.spatial_out):
        div = np.multiply.outer(div, np.asarray(pool_divisor_1d(n, k, p, s, o, count_include_pad),
                                                dtype=dtype))
    return div


def _scatter_taps(grad_per_tap, input: np.ndarray, a: V.PoolArgs) -> np.ndarray:
    """Add each tap's share of the gradient back onto the input positions it read."""
    gxp = _padded(np.zeros_like(input), a, 0.0)
    for idx, sl in _taps(a):
        gxp[sl] += grad_per_tap(idx)
    crop = (Ellipsis,) + tuple(slice(p, p + n) for p, n in zip(a.padding, a.spatial_in))
    return np.ascontiguousarray(gxp[crop])


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    a = V.max_pool_args(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
                        "numpy")
    V.check_bool(op, "return_indices", return_indices)
    best, arg = _max_and_argmax(input, a)
    if not return_indices:
        return best
    return best, pool_flat_indices(arg, a.kernel, a.stride, a.padding, a.dilation, a.spatial_in,
                                   a.spatial_out, np.arange)


def _max_pool_backward(op, nd, grad_output, input, kernel_size, stride, padding, dilation,
                       ceil_mode):
    a = V.max_pool_args(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
                        "numpy")
    V.check_grad_output(op, grad_output, _output_shape(input, a), input, "numpy")
    _, arg = _max_and_argmax(input, a)
    # The gradient flows only to the position that won the max (the "mask").
    return _scatter_taps(lambda idx: np.where(arg == idx, grad_output, 0), input, a)


def _avg_pool(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    a = V.avg_pool_args(op, nd, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override, "numpy")
    xp = _padded(input, a, 0.0)
    total = np.zeros(_output_shape(input, a), dtype=input.dtype)
    for _, sl in _taps(a):
        total += xp[sl]
    return total / _avg_divisor(a, count_include_pad, divisor_override, input.dtype)


def _avg_pool_backward(op, nd, grad_output, input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override):
    a = V.avg_pool_args(op, nd, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override, "numpy")
    V.check_grad_output(op, grad_output, _output_shape(input, a), input, "numpy")
    # Every input in a window gets an equal share of that window's gradient.
    share = grad_output / _avg_divisor(a, count_include_pad, divisor_override, input.dtype)
    return _scatter_taps(lambda idx: share, input, a)


# --- the public ops: one docstring template per kind, filled in per dimension ---------------------

_DIMS = {
    1: dict(x="(N, C, L)", x1="(C, L)", z="(N, C, L_out)", axes="L", plane="L"),
    2: dict(x="(N, C, H, W)", x1="(C, H, W)", z="(N, C, H_out, W_out)", axes="H, W",
            plane="H*W"),
    3: dict(x="(N, C, D, H, W)", x1="(C, D, H, W)", z="(N, C, D_out, H_out, W_out)",
            axes="D, H, W", plane="D*H*W"),
}

_DOCS = {
    "max": """{nd}-D max pooling, as ``torch.nn.functional.max_pool{nd}d``.

    Each channel is pooled separately: every output is the maximum of a
    ``kernel_size`` window (taps ``dilation`` apart) that moves ``stride`` positions
    at a time over the input padded with ``-inf``. A NaN in a window wins, as in
    torch. Taught in section 1.7.

    Parameters
    ----------
    input : array {x} or {x1}
        float32 or float64; only the batch axis may be empty.
    kernel_size, stride, padding, dilation : int or tuple of {nd} ints
        One value, or one per spatial axis ({axes}). ``stride`` defaults to
        ``kernel_size``; ``padding`` is at most half the kernel.
    ceil_mode : bool
        Round the output size up instead of down (:func:`cnnlib.shapes.output_size`).
    return_indices : bool
        Also return, for every output, the flat index into the input's ``{plane}``
        values of the value that won (the first one, on ties).

    Returns
    -------
    array {z}
        Without the batch axis if the input had none, in the input's dtype; with
        ``return_indices``, a pair ``(values, indices)``, the indices int64.
    """,
    "avg": """{nd}-D average pooling, as ``torch.nn.functional.avg_pool{nd}d``.

    Every output is the mean of its ``kernel_size`` window, which moves ``stride``
    positions at a time over the zero-padded input. Taught in section 1.7.

    Parameters
    ----------
    input : array {x} or {x1}
        float32 or float64; only the batch axis may be empty.
    kernel_size, stride, padding : int or tuple of {nd} ints
        One value, or one per spatial axis ({axes}). ``stride`` defaults to
        ``kernel_size``; ``padding`` is at most half the kernel.
    ceil_mode : bool
        Round the output size up instead of down (:func:`cnnlib.shapes.output_size`); a
        window that runs past the padding never counts those extra positions.
    count_include_pad : bool
        Divide by the whole window, padded zeros included, or only by the real inputs it
        covers.{override_doc}

    Returns
    -------
    array {z}
        Without the batch axis if the input had none, in the input's dtype.
    """,
    "max_backward": """Gradient of :func:`max_pool{nd}d` with respect to ``input``.

    Each output's gradient goes to the one input that was its window's maximum (the
    first one, on ties) and nowhere else; inputs in several windows add up their
    shares. Taught in section 1.7.

    Parameters
    ----------
    grad_output : array {z}
        Gradient of a loss with respect to the forward's result (same shape and dtype).
    input, kernel_size, stride, padding, dilation, ceil_mode
        The forward's own arguments (see :func:`max_pool{nd}d`).

    Returns
    -------
    array
        ``grad_input``, shaped like ``input``.
    """,
    "avg_backward": """Gradient of :func:`avg_pool{nd}d` with respect to ``input``.

    Each output's gradient is spread evenly, divided by that window's divisor, over
    the inputs of its window. Taught in section 1.7.

    Parameters
    ----------
    grad_output : array {z}
        Gradient of a loss with respect to the forward's result (same shape and dtype).
    input, kernel_size, stride, padding, ceil_mode, count_include_pad{override_arg}
        The forward's own arguments (see :func:`avg_pool{nd}d`).

    Returns
    -------
    array
        ``grad_input``, shaped like ``input``.
    """,
}

_OVERRIDE = dict(
    override_doc="""
    divisor_override : int or None
        Divide every window by this number instead.""",
    override_arg=", divisor_override")
_NO_OVERRIDE = dict(override_doc="", override_arg="")


def _doc(kind: str, nd: int):
    """Give the decorated op the ``kind`` docstring, filled in for ``nd`` spatial axes."""
    def attach(fn):
        fn.__doc__ = _DOCS[kind].format(nd=nd, **_DIMS[nd],
                                        **(_NO_OVERRIDE if nd == 1 else _OVERRIDE))
        return fn
    return attach


@_doc("max", 1)
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@_doc("max", 2)
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@_doc("max", 3)
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@_doc("avg", 1)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


@_doc("avg", 2)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


@_doc("avg", 3)
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


@_doc("max_backward", 1)
def max_pool1d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    return _max_pool_backward("max_pool1d_backward", 1, grad_output, input, kernel_size, stride,
                              padding, dilation, ceil_mode)


@_doc("max_backward", 2)
def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    return _max_pool_backward("max_pool2d_backward", 2, grad_output, input, kernel_size, stride,
                              padding, dilation, ceil_mode)


@_doc("max_backward", 3)
def max_pool3d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    return _max_pool_backward("max_pool3d_backward", 3, grad_output, input, kernel_size, stride,
                              padding, dilation, ceil_mode)


@_doc("avg_backward", 1)
def avg_pool1d_backward(grad_output, input, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True):
    return _avg_pool_backward("avg_pool1d_backward", 1, grad_output, input, kernel_size, stride,
                              padding, ceil_mode, count_include_pad, None)


@_doc("avg_backward", 2)
def avg_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True, divisor_override=None):
    return _avg_pool_backward("avg_pool2d_backward", 2, grad_output, input, kernel_size, stride,
                              padding, ceil_mode, count_include_pad, divisor_override)


@_doc("avg_backward", 3)
def avg_pool3d_backward(grad_output, input, kernel_size, stride=None, padding=0,
                        ceil_mode=False, count_include_pad=True, divisor_override=None):
    return _avg_pool_backward("avg_pool3d_backward", 3, grad_output, input, kernel_size, stride,
                              padding, ceil_mode, count_include_pad, divisor_override)
