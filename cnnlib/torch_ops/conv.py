"""PyTorch twins of :mod:`cnnlib.numpy_ops.conv`.

The forward builds the patch matrix with ``Tensor.unfold`` (one strided view per
spatial axis, no Python loop over pixels) and contracts it with the weights in
one ``einsum``, so it runs as a few large kernels on a GPU. The transposed
convolution is, as in the NumPy reference, the zero-stuffed input correlated
with the flipped filter. Backward twins differentiate these forwards with
autograd.
"""

from __future__ import annotations

import math

import torch

from .. import _checks as V
from .._index import adjoint_padding
from ..numpy_ops import conv as reference
from ._twin import autograd_backward, check_grad_output, twin_doc
from .basic import pad as _pad

__all__ = list(reference.__all__)
_LETTERS = "hwd"


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


def _flip_transpose_weight(weight, groups):
    cin, cog = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    w = weight.reshape(groups, cin // groups, cog, *kernel).transpose(1, 2)
    w = w.reshape(groups * cog, cin // groups, *kernel)
    return torch.flip(w, dims=tuple(range(2, 2 + len(kernel))))


def _adjoint(grad, weight, stride, pad_left, dilation, groups, in_spatial):
    n, c = grad.shape[:2]
    out_spatial = tuple(grad.shape[2:])
    kernel = tuple(weight.shape[2:])
    stuffed = grad.new_zeros((n, c) + tuple((m - 1) * s + 1 for m, s in zip(out_spatial, stride)))
    stuffed[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)] = grad
    pads = [adjoint_padding(m, ni, k, s, p, d) for m, ni, k, s, p, d in
            zip(out_spatial, in_spatial, kernel, stride, pad_left, dilation)]
    zp = _pad_or_crop(stuffed, [lo for lo, _ in pads], [hi for _, hi in pads])
    return _conv_core(zp, _flip_transpose_weight(weight, groups), (1,) * len(kernel), dilation,
                      groups, in_spatial)


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
    out = _adjoint(x, weight, a.stride, a.padding, a.dilation, a.groups, a.spatial_out)
    if bias is not None:
        out = out + _bias(bias, nd)
    return out if a.batched else out[0]


def _make(nd):
    def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        return _conv_forward(f"conv{nd}d", nd, input, weight, bias, stride, padding, dilation,
                             groups)

    def conv_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1,
                      groups=1):
        op = f"conv{nd}d_backward"
        a = V.conv_args(op, nd, input, weight, bias, stride, padding, dilation, groups, "torch")
        lead = tuple(input.shape[:1]) if a.batched else ()
        check_grad_output(op, grad_output, lead + (weight.shape[0],) + a.spatial_out, input)
        return tuple(autograd_backward(conv, grad_output, (input, weight, bias), stride=stride,
                                       padding=padding, dilation=dilation, groups=groups))

    def conv_transpose(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                       groups=1, dilation=1):
        return _conv_transpose_forward(f"conv_transpose{nd}d", nd, input, weight, bias, stride,
                                       padding, output_padding, groups, dilation)

    def conv_transpose_backward(grad_output, input, weight, bias=None, stride=1, padding=0,
                                output_padding=0, groups=1, dilation=1):
        op = f"conv_transpose{nd}d_backward"
        a = V.conv_transpose_args(op, nd, input, weight, bias, stride, padding, output_padding,
                                  groups, dilation, "torch")
        lead = tuple(input.shape[:1]) if a.batched else ()
        check_grad_output(op, grad_output, lead + (a.c_out,) + a.spatial_out, input)
        return tuple(autograd_backward(conv_transpose, grad_output, (input, weight, bias),
                                       stride=stride, padding=padding,
                                       output_padding=output_padding, groups=groups,
                                       dilation=dilation))

    return conv, conv_backward, conv_transpose, conv_transpose_backward


for _nd in (1, 2, 3):
    for _fn, _name in zip(_make(_nd), (f"conv{_nd}d", f"conv{_nd}d_backward",
                                        f"conv_transpose{_nd}d", f"conv_transpose{_nd}d_backward")):
        _fn.__name__ = _fn.__qualname__ = _name
        _fn.__module__ = __name__
        globals()[_name] = twin_doc(_fn, getattr(reference, _name))
