"""Convolutions in NumPy: forward, transposed, and their backward passes.

One N-dimensional core serves ``conv1d``, ``conv2d`` and ``conv3d``. In 2-D it computes
the textbook sum

.. math:: Z[n, o, h, w] = b[o] + \\sum_{c, i, j} W[o, c, i, j]\\,
          X_{pad}[n, c, h s + i d, w s + j d]

(``c`` running over the channels of output channel ``o``'s group) in four steps, each a
few lines below:

1. ``_patch_matrix``: every window of the padded input, as a view
   (``sliding_window_view``), laid out as a matrix with one row per (channel, tap) and
   one column per output position.
2. ``_correlate``: the forward pass, the weights as a (C_out, C_in/groups * taps) matrix
   times the patch matrix.
3. ``_weight_grad``: the output gradient times the same patch matrix, transposed.
4. ``_adjoint``: the input gradient, which is also the transposed convolution: stuff
   ``s - 1`` zeros between the gradient's values, pad, and correlate with the filter
   turned by 180 degrees, its input and output channels swapped (section 1.6).

The public ops run these steps on one of two kernels that compute the same numbers
(``tests/ops/test_fast_conv.py`` holds them equal): the readable core here
(``"reference"``) or the cache-blocked kernel in ``_fast_conv.py`` (``"fast"``, the
default). Choose with ``KERNEL`` below, or for a block of code with
``with use_kernel("reference"): ...``.
"""

from __future__ import annotations

import contextlib
import math
from typing import Callable, NamedTuple

import numpy as np

from .. import _checks as V
from .._index import adjoint_padding, zero_stuff
from . import _fast_conv

__all__ = [
    "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "conv1d_backward", "conv2d_backward", "conv3d_backward",
    "conv_transpose1d_backward", "conv_transpose2d_backward", "conv_transpose3d_backward",
]


# --- the readable core ---------------------------------------------------------------------------

def _pad(x: np.ndarray, left, right) -> np.ndarray:
    """Zero-pad the spatial axes of an (N, C, ...) array; negative amounts crop instead."""
    widths = [(max(lo, 0), max(hi, 0)) for lo, hi in zip(left, right)]
    if any(lo or hi for lo, hi in widths):     # np.pad copies even when it adds nothing
        x = np.pad(x, [(0, 0), (0, 0)] + widths)
    crop = tuple(slice(max(-lo, 0), size - max(-hi, 0))
                 for lo, hi, size in zip(left, right, x.shape[2:]))
    return x[(slice(None), slice(None)) + crop]


def _patch_matrix(xp: np.ndarray, kernel, stride, dilation, out_spatial, groups: int):
    """The patch matrix of a padded ``xp`` (N, C, *P): (N, groups, C/groups * prod(K), prod(out)).

    In 2-D, row ``(c, i, j)`` and column ``(h, w)`` hold ``xp[n, c, h*s + i*d, w*s + j*d]``,
    channel ``c`` counted within its group.
    """
    n, c = xp.shape[:2]
    nd = len(kernel)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    windows = np.lib.stride_tricks.sliding_window_view(xp, spans, axis=tuple(range(2, 2 + nd)))
    # windows[n, c, *start, *offset] = xp[n, c, *(start + offset)]: keep every s-th start, every
    # d-th offset. Then taps before positions, and one reshape copies the view into a matrix.
    patches = windows[(slice(None), slice(None))
                      + tuple(slice(0, (m - 1) * s + 1, s) for m, s in zip(out_spatial, stride))
                      + tuple(slice(None, None, d) for d in dilation)]
    patches = np.moveaxis(patches, tuple(range(2 + nd, 2 + 2 * nd)), tuple(range(2, 2 + nd)))
    return patches.reshape(n, groups, c // groups * math.prod(kernel), math.prod(out_spatial))


def _correlate(xp: np.ndarray, weight: np.ndarray, stride, dilation, groups: int, out_spatial,
               bias=None):
    """Cross-correlate a padded ``xp`` (N, C, *P) with ``weight`` (O, C/groups, *K): (N, O, *out).

    One matrix product per example and group: the weights as a (O/groups, C/groups * prod(K))
    matrix times the patch matrix; then ``bias`` (O,), if given, added to every position.
    """
    n, o = xp.shape[0], weight.shape[0]
    cols = _patch_matrix(xp, weight.shape[2:], stride, dilation, out_spatial, groups)
    z = weight.reshape(groups, o // groups, cols.shape[2]) @ cols     # (N, groups, O/groups, L)
    z = z.reshape((n, o) + tuple(out_spatial))
    return z if bias is None else z + bias.reshape((1, o) + (1,) * len(out_spatial))


def _weight_grad(xp: np.ndarray, grad: np.ndarray, kernel, stride, dilation, groups: int):
    """Gradient of ``_correlate`` for its weight: (O, C/groups, *K).

    ``dW[o, c, i, j] = sum over n, h, w of grad[n, o, h, w] * xp[n, c, h*s + i*d, w*s + j*d]``,
    the output gradient times the transposed patch matrix, summed over the batch.
    """
    n, o = grad.shape[:2]
    cols = _patch_matrix(xp, kernel, stride, dilation, grad.shape[2:], groups)
    dz = grad.reshape(n, groups, o // groups, cols.shape[3])
    dw = (dz @ cols.swapaxes(2, 3)).sum(axis=0)                      # (groups, O/groups, C/g * K)
    return dw.reshape((o, xp.shape[1] // groups) + tuple(kernel))


def _adjoint(grad: np.ndarray, weight: np.ndarray, stride, pad_left, dilation, groups: int,
             in_spatial):
    """The adjoint of ``_correlate`` with ``weight`` (O, C/groups, *K), applied to ``grad``.

    The transposed convolution, in its gather form: stuff ``s - 1`` zeros between the
    values of ``grad``, pad each side by ``d(f-1) - p`` (crop where that is negative),
    and correlate at stride 1 with the filter turned by 180 degrees and its input and
    output channels swapped within each group. ``grad`` (N, O, *out) -> (N, C, *in_spatial).
    """
    nd, kernel = len(in_spatial), weight.shape[2:]
    o, cg = weight.shape[:2]
    stuffed = zero_stuff(grad, stride, lambda shape: np.zeros(shape, dtype=grad.dtype))
    pads = [adjoint_padding(m, n, k, s, p, d) for m, n, k, s, p, d in
            zip(grad.shape[2:], in_spatial, kernel, stride, pad_left, dilation)]
    padded = _pad(stuffed, [lo for lo, _ in pads], [hi for _, hi in pads])
    swapped = weight.reshape(groups, o // groups, cg, *kernel).swapaxes(1, 2)
    swapped = swapped.reshape(groups * cg, o // groups, *kernel)
    flipped = swapped[(...,) + (slice(None, None, -1),) * nd]
    return _correlate(padded, flipped, (1,) * nd, dilation, groups, in_spatial)


# --- the one switch between the readable core and the fast kernel --------------------------------

class _Kernel(NamedTuple):
    correlate: Callable      # (xp, weight, stride, dilation, groups, out_spatial, bias=None)
    weight_grad: Callable    # (xp, grad, kernel, stride, dilation, groups)
    adjoint: Callable        # (grad, weight, stride, pad_left, dilation, groups, in_spatial)


_KERNELS = {
    "reference": _Kernel(_correlate, _weight_grad, _adjoint),
    "fast": _Kernel(_fast_conv.correlate, _fast_conv.weight_grad, _fast_conv.adjoint),
}

# The kernel the public ops run: "fast" (the default) or "reference" (the core above).
# Set it here, assign ``cnnlib.numpy_ops.conv.KERNEL = "reference"``, or use ``use_kernel``.
KERNEL = "fast"


@contextlib.contextmanager
def use_kernel(name: str):
    """Run the convolutions of a ``with`` block on the kernel ``name`` ("fast" or "reference").

    >>> with use_kernel("reference"):   # the readable core, as its formulas read
    ...     y = conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)))
    >>> y[0, 0]
    array([[9., 9.],
           [9., 9.]])
    """
    global KERNEL
    V.check_choice("use_kernel", "name", name, tuple(_KERNELS))
    previous, KERNEL = KERNEL, name
    try:
        yield
    finally:
        KERNEL = previous


def _kernel(x: np.ndarray) -> _Kernel:
    """The chosen kernel for the batch ``x``; an empty batch takes the readable core, which
    needs no blocks to cut it into."""
    if KERNEL not in _KERNELS:
        raise ValueError(f"cnnlib.numpy_ops.conv.KERNEL must be 'fast' or 'reference', "
                         f"got {KERNEL!r}")
    return _KERNELS["reference" if x.shape[0] == 0 else KERNEL]


# --- checks, batching and bias around the kernel, shared by every public op ----------------------

def _batch(x, batched: bool):
    return x if batched else x[None]


def _unbatch(x, batched: bool):
    return np.ascontiguousarray(x if batched else x[0])


def _add_bias(out, bias, nd: int):
    return out if bias is None else out + bias.reshape((1, -1) + (1,) * nd)


def _bias_grad(gy, bias, nd: int):
    return None if bias is None else gy.sum(axis=(0, *range(2, 2 + nd)))


def _conv(op, nd, input, weight, bias, stride, padding, dilation, groups):
    a = V.conv_args(op, nd, input, weight, bias, stride, padding, dilation, groups, "numpy")
    xp = _pad(_batch(input, a.batched), a.pad_left, a.pad_right)
    out = _kernel(xp).correlate(xp, weight, a.stride, a.dilation, a.groups, a.spatial_out, bias)
    return _unbatch(out, a.batched)


def _conv_backward(op, nd, grad_output, input, weight, bias, stride, padding, dilation, groups):
    a = V.conv_args(op, nd, input, weight, bias, stride, padding, dilation, groups, "numpy")
    lead = input.shape[:1] if a.batched else ()
    V.check_grad_output(op, grad_output, lead + (weight.shape[0],) + a.spatial_out, input,
                        "numpy")
    x, gy = _batch(input, a.batched), _batch(grad_output, a.batched)
    kernel = _kernel(x)
    grad_input = kernel.adjoint(gy, weight, a.stride, a.pad_left, a.dilation, a.groups,
                                a.spatial_in)
    grad_weight = kernel.weight_grad(_pad(x, a.pad_left, a.pad_right), gy, a.kernel, a.stride,
                                     a.dilation, a.groups)
    return _unbatch(grad_input, a.batched), grad_weight, _bias_grad(gy, bias, nd)


def _conv_transpose(op, nd, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    a = V.conv_transpose_args(op, nd, input, weight, bias, stride, padding, output_padding,
                              groups, dilation, "numpy")
    x = _batch(input, a.batched)
    out = _kernel(x).adjoint(x, weight, a.stride, a.padding, a.dilation,
                            a.groups, a.spatial_out)
    return _unbatch(_add_bias(out, bias, nd), a.batched)


def _conv_transpose_backward(op, nd, grad_output, input, weight, bias, stride, padding,
                             output_padding, groups, dilation):
    a = V.conv_transpose_args(op, nd, input, weight, bias, stride, padding, output_padding,
                              groups, dilation, "numpy")
    lead = input.shape[:1] if a.batched else ()
    V.check_grad_output(op, grad_output, lead + (a.c_out,) + a.spatial_out, input, "numpy")
    x, gy = _batch(input, a.batched), _batch(grad_output, a.batched)
    kernel = _kernel(x)
    gy_padded = _pad(gy, a.padding, a.padding)
    # conv_transpose(x, W) is the adjoint of conv(., W) (C_out -> C_in channels), so its own
    # adjoint is that very convolution, with W used as it is.
    grad_input = kernel.correlate(gy_padded, weight, a.stride, a.dilation, a.groups,
                                  a.spatial_in)
    grad_weight = kernel.weight_grad(gy_padded, x, a.kernel, a.stride, a.dilation, a.groups)
    return _unbatch(grad_input, a.batched), grad_weight, _bias_grad(gy, bias, nd)


# --- the public ops: one docstring template per kind, filled in per dimension ---------------------

_DIMS = {
    1: dict(what="signals", axes="L", x="(N, C_in, L)", x1="(C_in, L)",
            w="(C_out, C_in/groups, f)", wt="(C_in, C_out/groups, f)", z="(N, C_out, L_out)",
            formula="Z[n, o, l] = b[o] + \\sum_{c, i} W[o, c, i]\\, X_{pad}[n, c, l s + i d]"),
    2: dict(what="images", axes="H, W", x="(N, C_in, H, W)", x1="(C_in, H, W)",
            w="(C_out, C_in/groups, f_H, f_W)", wt="(C_in, C_out/groups, f_H, f_W)",
            z="(N, C_out, H_out, W_out)",
            formula="Z[n, o, h, w] = b[o] + \\sum_{c, i, j} W[o, c, i, j]\\, "
                    "X_{pad}[n, c, h s_H + i d_H, w s_W + j d_W]"),
    3: dict(what="volumes", axes="D, H, W", x="(N, C_in, D, H, W)", x1="(C_in, D, H, W)",
            w="(C_out, C_in/groups, f_D, f_H, f_W)", wt="(C_in, C_out/groups, f_D, f_H, f_W)",
            z="(N, C_out, D_out, H_out, W_out)",
            formula="Z[n, o, t, h, w] = b[o] + \\sum_{c, k, i, j} W[o, c, k, i, j]\\, "
                    "X_{pad}[n, c, t s_D + k d_D, h s_H + i d_H, w s_W + j d_W]"),
}

_DOCS = {
    "conv": """{nd}-D cross-correlation, as ``torch.nn.functional.conv{nd}d``.

    Slides each filter of a bank over a batch of {what} and sums, at every position,
    the products of the filter's weights with the values under them:

    .. math:: {formula}

    ``X_pad`` is the zero-padded input, ``s`` the stride and ``d`` the dilation, and ``c``
    runs over the ``C_in/groups`` input channels of output channel ``o``'s group. Like
    every deep-learning "convolution", the filter is not flipped. Computed as one matrix
    product: the weights as a ``(C_out, C_in/groups * prod(f))`` matrix times the patch
    matrix, which holds every window of the input as a column. Taught in sections 1.2
    to 1.5 and 1.10.

    Parameters
    ----------
    input : array {x} or {x1}
        The {what}, float32 or float64.
    weight : array {w}
        The filters, in the input's dtype.
    bias : array (C_out,) or None
        Added to every output position of its channel.
    stride : int or tuple of {nd} ints
        Step between neighbouring windows, one value or one per spatial axis ({axes}).
    padding : int, tuple of {nd} ints, 'valid' or 'same'
        Zeros added on both sides of each spatial axis; ``'valid'`` adds none and
        ``'same'`` (stride 1 only) as many as keep the input's size.
    dilation : int or tuple of {nd} ints
        Spacing between the filter's taps (1: next to each other).
    groups : int
        Splits the channels into ``groups`` independent convolutions.

    Returns
    -------
    array {z}
        Without the batch axis if the input had none, in the input's dtype. Along each
        axis ``n_out = floor((n + 2p - d(f-1) - 1) / s) + 1``
        (:func:`cnnlib.shapes.output_size`).
    """,
    "conv_backward": """Gradients of :func:`conv{nd}d` with respect to its array arguments.

    ``grad_input`` is :func:`conv_transpose{nd}d` of ``grad_output`` with the same
    weight: the output gradient, with ``s - 1`` zeros stuffed between its values,
    padded and correlated with the flipped filter. ``grad_weight`` correlates the padded
    input with ``grad_output``; ``grad_bias`` sums ``grad_output`` over every axis but
    the channels. Taught in section 1.6.

    Parameters
    ----------
    grad_output : array {z}
        Gradient of a loss with respect to the forward's result (same shape and dtype).
    input : array {x} or {x1}
        The forward's input.
    weight : array {w}
        The forward's filters.
    bias : array (C_out,) or None
        The forward's bias.
    stride, padding, dilation, groups
        As in :func:`conv{nd}d`.

    Returns
    -------
    tuple of arrays
        ``(grad_input, grad_weight, grad_bias)``, shaped like ``input``, ``weight`` and
        ``bias``; ``grad_bias`` is None when ``bias`` is None.
    """,
    "transpose": """{nd}-D transposed convolution, as ``torch.nn.functional.conv_transpose{nd}d``.

    The adjoint of :func:`conv{nd}d` with the same weight, stride, padding, dilation and
    groups: it stuffs ``s - 1`` zeros between the input's values, pads each side by
    ``d(f-1) - p`` and correlates with the filter turned by 180 degrees, its input and
    output channels swapped. Each input value thus spreads a copy of the filter, scaled
    by it, over the output. Upsampling layers of fully convolutional networks use it.
    Taught in section 1.6.

    Parameters
    ----------
    input : array {x} or {x1}
        float32 or float64.
    weight : array {wt}
        Laid out as for the :func:`conv{nd}d` it is the adjoint of, in the input's dtype.
    bias : array (C_out,) or None
        Added to every output position of its channel.
    stride : int or tuple of {nd} ints
        The stride of the convolution this is the adjoint of: ``s - 1`` zeros go between
        neighbouring input values. One value or one per spatial axis ({axes}).
    padding : int or tuple of {nd} ints
        That convolution's padding: ``p`` positions come off each side of the output.
    output_padding : int or tuple of {nd} ints
        Positions added at the end of each axis (fewer than the stride or the dilation),
        to choose among the input sizes a strided convolution maps to one output size.
    groups : int
        Splits the channels into ``groups`` independent transposed convolutions.
    dilation : int or tuple of {nd} ints
        Spacing between the filter's taps.

    Returns
    -------
    array {z}
        Without the batch axis if the input had none, in the input's dtype. Along each
        axis ``n_out = (n - 1)s - 2p + d(f-1) + output_padding + 1``
        (:func:`cnnlib.shapes.transposed_output_size`).
    """,
    "transpose_backward": """Gradients of :func:`conv_transpose{nd}d` for its array arguments.

    ``grad_input`` is :func:`conv{nd}d` of ``grad_output`` with the same weight (the
    adjoint of the adjoint); ``grad_weight`` correlates the padded ``grad_output`` with
    the input; ``grad_bias`` sums ``grad_output`` over every axis but the channels.
    Taught in section 1.6.

    Parameters
    ----------
    grad_output : array {z}
        Gradient of a loss with respect to the forward's result (same shape and dtype).
    input : array {x} or {x1}
        The forward's input.
    weight : array {wt}
        The forward's filters.
    bias : array (C_out,) or None
        The forward's bias.
    stride, padding, output_padding, groups, dilation
        As in :func:`conv_transpose{nd}d`.

    Returns
    -------
    tuple of arrays
        ``(grad_input, grad_weight, grad_bias)``, shaped like ``input``, ``weight`` and
        ``bias``; ``grad_bias`` is None when ``bias`` is None.
    """,
}


def _doc(kind: str, nd: int):
    """Give the decorated op the ``kind`` docstring, filled in for ``nd`` spatial axes."""
    def attach(fn):
        fn.__doc__ = _DOCS[kind].format(nd=nd, **_DIMS[nd])
        return fn
    return attach


@_doc("conv", 1)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@_doc("conv", 2)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@_doc("conv", 3)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


@_doc("conv_backward", 1)
def conv1d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1,
                    groups=1):
    return _conv_backward("conv1d_backward", 1, grad_output, input, weight, bias, stride,
                          padding, dilation, groups)


@_doc("conv_backward", 2)
def conv2d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1,
                    groups=1):
    return _conv_backward("conv2d_backward", 2, grad_output, input, weight, bias, stride,
                          padding, dilation, groups)


@_doc("conv_backward", 3)
def conv3d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1,
                    groups=1):
    return _conv_backward("conv3d_backward", 3, grad_output, input, weight, bias, stride,
                          padding, dilation, groups)


@_doc("transpose", 1)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


@_doc("transpose", 2)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


@_doc("transpose", 3)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


@_doc("transpose_backward", 1)
def conv_transpose1d_backward(grad_output, input, weight, bias=None, stride=1, padding=0,
                              output_padding=0, groups=1, dilation=1):
    return _conv_transpose_backward("conv_transpose1d_backward", 1, grad_output, input, weight,
                                    bias, stride, padding, output_padding, groups, dilation)


@_doc("transpose_backward", 2)
def conv_transpose2d_backward(grad_output, input, weight, bias=None, stride=1, padding=0,
                              output_padding=0, groups=1, dilation=1):
    return _conv_transpose_backward("conv_transpose2d_backward", 2, grad_output, input, weight,
                                    bias, stride, padding, output_padding, groups, dilation)


@_doc("transpose_backward", 3)
def conv_transpose3d_backward(grad_output, input, weight, bias=None, stride=1, padding=0,
                              output_padding=0, groups=1, dilation=1):
    return _conv_transpose_backward("conv_transpose3d_backward", 3, grad_output, input, weight,
                                    bias, stride, padding, output_padding, groups, dilation)
