"""PyTorch twins of :mod:`cnnlib.numpy_ops.roi`: RoI pooling and RoI align with tensor ops.

The same bins and the same separable weights as the NumPy reference, built with tensor
operations (``index_put_`` with accumulation, ``amax`` over slices), so they run on any device
and autograd differentiates them; the ``_backward`` functions ask autograd.
"""

from __future__ import annotations

import math

import torch

from .. import _checks as V
from .. import _detection as D
from ..numpy_ops import roi as reference
from ..numpy_ops.roi import _nonempty_map
from ._twin import autograd_backward, check_grad_output, twin_of

__all__ = list(reference.__all__)


def _empty(input, size):
    """(0, C, PH, PW), still attached to ``input``'s autograd graph."""
    return input[:0, :, :1, :1].expand(0, input.shape[1], *size).clone()


def _pool_args(op, input, boxes, output_size, spatial_scale):
    rois = D.rois(op, input, boxes, "torch")
    _nonempty_map(op, input)
    if rois.device != input.device:
        raise ValueError(f"{op}: boxes is on {rois.device} but input is on {input.device}")
    size = D.roi_output_size(op, output_size)
    scale = V.check_number(op, "spatial_scale", spatial_scale, minimum=0.0, strict=True)
    return rois, size, scale


def _roi_pool(input, rois, size, scale):
    _, c, height, width = input.shape
    rows = []
    for roi in rois.detach().cpu().tolist():
        x = input[int(roi[0])]
        out = input.new_zeros((c,) + size)
        for ph, pw, h0, h1, w0, w1 in D.roi_pool_bins(roi, size, scale, height, width):
            if h1 > h0 and w1 > w0:
                out[:, ph, pw] = x[:, h0:h1, w0:w1].amax(dim=(1, 2))
        rows.append(out)
    return torch.stack(rows) if rows else _empty(input, size)


@twin_of(reference.roi_pool)
def roi_pool(input, boxes, output_size, spatial_scale=1.0):
    rois, size, scale = _pool_args("roi_pool", input, boxes, output_size, spatial_scale)
    return _roi_pool(input, rois, size, scale)


@twin_of(reference.roi_pool_backward)
def roi_pool_backward(grad_output, input, boxes, output_size, spatial_scale=1.0):
    op = "roi_pool_backward"
    rois, size, scale = _pool_args(op, input, boxes, output_size, spatial_scale)
    check_grad_output(op, grad_output, (len(rois), input.shape[1]) + size, input)
    # amax spreads a tie's gradient evenly; RoI pooling (like torchvision) gives it all to the
    # first maximum. Route it explicitly through that maximum instead.
    _, c, height, width = input.shape
    flat = input.detach().reshape(input.shape[0], c, height * width)
    grad = torch.zeros_like(flat)
    for k, roi in enumerate(rois.detach().cpu().tolist()):
        b = int(roi[0])
        for ph, pw, h0, h1, w0, w1 in D.roi_pool_bins(roi, size, scale, height, width):
            if h1 <= h0 or w1 <= w0:
                continue
            window = input.detach()[b, :, h0:h1, w0:w1].reshape(c, (h1 - h0) * (w1 - w0))
            best = window.argmax(dim=1)       # first maximum in row-major order
            bw = w1 - w0
            index = (h0 + best // bw) * width + (w0 + best % bw)
            grad[b].index_put_((torch.arange(c, device=input.device), index),
                               grad_output[k, :, ph, pw], accumulate=True)
    return grad.reshape(input.shape)


def _axis_weights(start, bin_size, bins, grid, size, like):
    """(bins, size) averaged interpolation weights along one axis, as tensors."""
    m = like.new_zeros((bins, size))
    if grid <= 0:
        return m
    dev = like.device
    p = torch.arange(bins, device=dev, dtype=torch.float64).repeat_interleave(grid)
    i = torch.arange(grid, device=dev, dtype=torch.float64).repeat(bins)
    v = start + p * bin_size + (i + 0.5) * bin_size / grid
    inside = (v >= -1.0) & (v <= size)
    v = v.clamp(min=0.0)
    low = v.floor().long()
    edge = low >= size - 1
    low = torch.where(edge, torch.full_like(low, size - 1), low)
    high = torch.where(edge, low, low + 1)
    v = torch.where(edge, low.double(), v)
    frac = v - low.double()
    zero = torch.zeros_like(frac)
    w_low = torch.where(inside, (1.0 - frac) / grid, zero)
    w_high = torch.where(inside, frac / grid, zero)
    rows = p.long()
    m64 = torch.zeros((bins, size), dtype=torch.float64, device=dev)
    m64.index_put_((rows, low), w_low, accumulate=True)
    m64.index_put_((rows, high), w_high, accumulate=True)
    return m64.to(like.dtype)


def _align_weights(box, size, height, width, scale, ratio, aligned, like):
    ph_n, pw_n = size
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (float(v) * scale - offset for v in box)
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:
        roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
    grid_h = ratio if ratio > 0 else math.ceil(roi_h / ph_n)
    grid_w = ratio if ratio > 0 else math.ceil(roi_w / pw_n)
    return (_axis_weights(y1, roi_h / ph_n, ph_n, grid_h, height, like),
            _axis_weights(x1, roi_w / pw_n, pw_n, grid_w, width, like))


@twin_of(reference.roi_align_weights)
def roi_align_weights(box, output_size, height, width, spatial_scale=1.0, sampling_ratio=-1,
                      aligned=False):
    size, height, width, scale, ratio = D.roi_align_weights_args(
        box, output_size, height, width, spatial_scale, sampling_ratio, aligned, "torch")
    return _align_weights(box.detach().cpu().tolist(), size, height, width, scale, ratio,
                          aligned, box)


def _align_args(op, input, boxes, output_size, spatial_scale, sampling_ratio, aligned):
    rois, size, scale = _pool_args(op, input, boxes, output_size, spatial_scale)
    ratio = V.check_int(op, "sampling_ratio", sampling_ratio)
    V.check_bool(op, "aligned", aligned)
    return rois, size, scale, ratio


@twin_of(reference.roi_align)
def roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    rois, size, scale, ratio = _align_args("roi_align", input, boxes, output_size,
                                           spatial_scale, sampling_ratio, aligned)
    _, c, height, width = input.shape
    rows = []
    for roi in rois.detach().cpu().tolist():
        a, b = _align_weights(roi[1:], size, height, width, scale, ratio, aligned, input)
        rows.append(a @ input[int(roi[0])] @ b.T)
    return torch.stack(rows) if rows else _empty(input, size)


@twin_of(reference.roi_align_backward)
def roi_align_backward(grad_output, input, boxes, output_size, spatial_scale=1.0,
                       sampling_ratio=-1, aligned=False):
    op = "roi_align_backward"
    rois, size, scale, ratio = _align_args(op, input, boxes, output_size, spatial_scale,
                                           sampling_ratio, aligned)
    check_grad_output(op, grad_output, (len(rois), input.shape[1]) + size, input)
    (grad,) = autograd_backward(
        lambda x: roi_align(x, rois.detach(), size, scale, ratio, aligned), grad_output, (input,))
    return grad
