"""PyTorch twins of :mod:`cnnlib.numpy_ops.conv`.

The forward builds the patch matrix with ``Tensor.unfold`` (one strided view per
spatial axis, no Python loop over pixels) and contracts it with the weights in
one ``einsum``, so it runs as a few large kernels on a GPU. The transposed
convolution is the adjoint of that: the weights transposed times the input, each
kernel tap's share added back where that tap reads (the scatter form, which computes
the sums of the NumPy reference's zero-stuffed gather form). Backward twins
differentiate these forwards with autograd.
"""

from __future__ import annotations

import math

import torch

from .. import _checks as V
from .._index import kernel_offsets, tap_slices
from ..numpy_ops import conv as reference
from ._twin import autograd_backward, twin_of
from .basic import pad as _pad

__all__ = list(reference.__all__)


def _pad_or_crop(x, left, right):
    widths = []
    for lo, hi in zip(reversed(left), reversed(right)):
        widths += [lo, hi]
    return _pad(x, widths) if any(widths) else x


def _conv_core(xp, weight, stride, dilation, groups, out_spatial):
    """Cross-correlate a padded ``xp`` (N, C, *P) with ``weight`` (O, C/g, *K) -> (N, O, *out)."""
    n, c = xp.shape[:2]
    o, cg = weight.shape[:2]
    g, og = groups, o // groups
    kernel = tuple(weight.shape[2:])
    nd = len(kernel)
    cols = xp
    for axis in range(nd):
        span = dilation[axis] * (kernel[axis] - 1) + 1
        cols = cols.unfold(2 + axis, span, stride[axis])
    # cols: (N, C, *windows, *spans); keep out_spatial windows and every d-th tap.
    keep = (slice(None), slice(None)) + tuple(slice(0, m) for m in out_spatial) + tuple(
        slice(None, None, d) for d in dilation)
    cols = cols[keep].reshape(n, g, cg, math.prod(out_spatial), math.prod(kernel))
    w = weight.reshape(g, og, cg, math.prod(kernel))
    out = torch.einsum("ngclk,gock->ngol", cols, w)
    return out.reshape(n, o, *out_spatial)


def _scatter(x, weight, stride, padding, dilation, groups, out_spatial):
    """The transposed convolution of ``x`` (N, C_in, *n) with ``weight`` (C_in, C_out/g, *K).

    Each input value adds a copy of the filter, scaled by it, into the output: the weights
    transposed times the input give every tap's contribution at once, and each tap's share
    lands ``i*d`` positions further on, on a grid ``s`` apart. Then ``padding`` is cropped
    away. (The gather form of section 1.6 computes the same sums; this form multiplies
    nothing by the zeros it would stuff in, so a NaN or infinite weight spreads exactly as in
    torch.)
    """
    n, c_in = x.shape[:2]
    spatial = tuple(x.shape[2:])
    c_out_g = weight.shape[1]
    kernel = tuple(weight.shape[2:])
    xg = x.reshape(n, groups, c_in // groups, math.prod(spatial))
    w = weight.reshape(groups, c_in // groups, c_out_g, math.prod(kernel))
    taps = torch.einsum("ngcl,gcok->ngokl", xg, w).reshape(
        n, groups * c_out_g, math.prod(kernel), *spatial)
    full = tuple(max((m - 1) * s + d * (k - 1) + 1, p + o) for m, s, d, k, p, o in
                 zip(spatial, stride, dilation, kernel, padding, out_spatial))
    out = x.new_zeros((n, groups * c_out_g) + full)
    for t, offset in enumerate(kernel_offsets(kernel)):
        out[(slice(None), slice(None)) + tap_slices(offset, stride, dilation, spatial)] += \
            taps[:, :, t]
    return out[(slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in
                                                  zip(padding, out_spatial))]


def _bias(bias, nd):
    return bias.reshape((1, -1) + (1,) * nd)


def _conv_forward(op, nd, input, weight, bias, stride, padding, dilation, groups):
    a = V.conv_args(op, nd, input, weight, bias, stride, padding, dilation, groups, "torch")
    x = input if a.batched else input[None]
    out = _conv_core(_pad_or_crop(x, a.pad_left, a.pad_right), weight, a.stride, a.dilation,
                     a.groups, a.spatial_out)
    if bias is not None:
        out = out + _bias(bias, nd)
    return out if a.batched else out[0]


def _conv_transpose_forward(op, nd, input, weight, bias, stride, padding, output_padding,
                            groups, dilation):
    a = V.conv_transpose_args(op, nd, input, weight, bias, stride, padding, output_padding,
                              groups, dilation, "torch")
    x = input if a.batched else input[None]
    out = _scatter(x, weight, a.stride, a.padding, a.dilation, a.groups, a.spatial_out)
    if bias is not None:
        out = out + _bias(bias, nd)
    return out if a.batched else out[0]


def _conv_backward(op, nd, grad_output, input, weight, bias, stride, padding, dilation, groups):
    a = V.conv_args(op, nd, input, weight, bias, stride, padding, dilation, groups, "torch")
    lead = tuple(input.shape[:1]) if a.batched else ()
    V.check_grad_output(op, grad_output, lead + (weight.shape[0],) + a.spatial_out, input,
                        "torch")
    forward = (conv1d, conv2d, conv3d)[nd - 1]
    return tuple(autograd_backward(forward, grad_output, (input, weight, bias), stride=stride,
                                   padding=padding, dilation=dilation, groups=groups))


def _conv_transpose_backward(op, nd, grad_output, input, weight, bias, stride, padding,
                             output_padding, groups, dilation):
    a = V.conv_transpose_args(op, nd, input, weight, bias, stride, padding, output_padding,
                              groups, dilation, "torch")
    lead = tuple(input.shape[:1]) if a.batched else ()
    V.check_grad_output(op, grad_output, lead + (a.c_out,) + a.spatial_out, input, "torch")
    forward = (conv_transpose1d, conv_transpose2d, conv_transpose3d)[nd - 1]
    return tuple(autograd_backward(forward, grad_output, (input, weight, bias), stride=stride,
                                   padding=padding, output_padding=output_padding,
                                   groups=groups, dilation=dilation))


# --- the public twins, written out ---------------------------------------------------------------

@twin_of(reference.conv1d)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_forward("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@twin_of(reference.conv2d)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_forward("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@twin_of(reference.conv3d)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_forward("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


@twin_of(reference.conv1d_backward)
def conv1d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1,
                    groups=1):
    return _conv_backward("conv1d_backward", 1, grad_output, input, weight, bias, stride,
                          padding, dilation, groups)


@twin_of(reference.conv2d_backward)
def conv2d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1,
                    groups=1):
    return _conv_backward("conv2d_backward", 2, grad_output, input, weight, bias, stride,
                          padding, dilation, groups)


@twin_of(reference.conv3d_backward)
def conv3d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1,
                    groups=1):
    return _conv_backward("conv3d_backward", 3, grad_output, input, weight, bias, stride,
                          padding, dilation, groups)


@twin_of(reference.conv_transpose1d)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose_forward("conv_transpose1d", 1, input, weight, bias, stride, padding,
                                   output_padding, groups, dilation)


@twin_of(reference.conv_transpose2d)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose_forward("conv_transpose2d", 2, input, weight, bias, stride, padding,
                                   output_padding, groups, dilation)


@twin_of(reference.conv_transpose3d)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose_forward("conv_transpose3d", 3, input, weight, bias, stride, padding,
                                   output_padding, groups, dilation)


@twin_of(reference.conv_transpose1d_backward)
def conv_transpose1d_backward(grad_output, input, weight, bias=None, stride=1, padding=0,
                              output_padding=0, groups=1, dilation=1):
    return _conv_transpose_backward("conv_transpose1d_backward", 1, grad_output, input, weight,
                                    bias, stride, padding, output_padding, groups, dilation)


@twin_of(reference.conv_transpose2d_backward)
def conv_transpose2d_backward(grad_output, input, weight, bias=None, stride=1, padding=0,
                              output_padding=0, groups=1, dilation=1):
    return _conv_transpose_backward("conv_transpose2d_backward", 2, grad_output, input, weight,
                                    bias, stride, padding, output_padding, groups, dilation)


@twin_of(reference.conv_transpose3d_backward)
def conv_transpose3d_backward(grad_output, input, weight, bias=None, stride=1, padding=0,
                              output_padding=0, groups=1, dilation=1):
    return _conv_transpose_backward("conv_transpose3d_backward", 3, grad_output, input, weight,
                                    bias, stride, padding, output_padding, groups, dilation)
