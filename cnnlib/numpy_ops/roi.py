"""Region-of-interest pooling in NumPy: RoI pooling (Fast R-CNN) and RoI align (Mask R-CNN).

A two-stage detector proposes regions, boxes of any size, and needs a fixed-size feature for
each, to feed the same classifier head. Both ops cut the region of a feature map into a
``PH x PW`` grid of bins and reduce each bin to one number per channel:

- :func:`roi_pool` rounds the box to whole feature-map cells and takes each bin's maximum;
- :func:`roi_align` keeps the box's exact coordinates and averages bilinearly interpolated
  samples, so a box that moves by a fraction of a cell changes the output smoothly.

Boxes are given as in ``torchvision.ops``: a (K, 5) array of ``(batch_index, x1, y1, x2, y2)``
or a list of (L, 4) arrays, one per image, in input-image coordinates; ``spatial_scale`` maps
them onto the feature map (1/16 for a feature map 16 times smaller). The numbers are those of
torchvision's kernels, including their conventions (RoI pooling's rounding and "+1" size,
RoI align's ``aligned`` half-pixel shift). Section 3.10.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _checks as V
from .. import _detection as D

__all__ = ["roi_pool", "roi_pool_backward", "roi_align", "roi_align_backward", "roi_align_weights"]


def _nonempty_map(op, input):
    """A region needs feature-map cells to read: no empty height or width."""
    if 0 in tuple(input.shape[2:]):
        raise ValueError(f"{op}: input has shape {tuple(input.shape)}; a feature map needs at "
                         f"least one row and one column")


def _pool_args(op, input, boxes, output_size, spatial_scale):
    rois = D.rois(op, input, boxes, "numpy")
    _nonempty_map(op, input)
    size = D.roi_output_size(op, output_size)
    scale = V.check_number(op, "spatial_scale", spatial_scale, minimum=0.0, strict=True)
    return rois, size, scale


def _roi_pool(input, rois, size, scale):
    """Output (K, C, PH, PW) and the flat index (h W + w) of each maximum, -1 for empty bins."""
    n, c, height, width = input.shape
    out = np.zeros((len(rois), c) + size, dtype=input.dtype)
    argmax = np.full(out.shape, -1, dtype=np.int64)
    for k, roi in enumerate(rois):
        x = input[int(roi[0])]
        for ph, pw, h0, h1, w0, w1 in D.roi_pool_bins(roi, size, scale, height, width):
            if h1 <= h0 or w1 <= w0:
                continue                                # an empty bin gives 0
            window = x[:, h0:h1, w0:w1].reshape(c, (h1 - h0) * (w1 - w0))   # c may be 0
            best = window.argmax(axis=1)                # the first maximum in row-major order
            out[k, :, ph, pw] = window[np.arange(c), best]
            bw = w1 - w0
            argmax[k, :, ph, pw] = (h0 + best // bw) * width + (w0 + best % bw)
    return out, argmax


def roi_pool(input, boxes, output_size, spatial_scale=1.0):
    """RoI max pooling (Fast R-CNN): a ``PH x PW`` max-pooled grid of every region.

    Each region is rounded to whole cells of the feature map, cut into ``PH x PW`` bins of
    (nearly) equal size, and each bin keeps its largest value per channel:

    .. math:: y[k, c, p_h, p_w] = \\max_{(h, w) \\in \\mathrm{bin}_k(p_h, p_w)} x[b_k, c, h, w]

    (an empty bin gives 0).

    Parameters
    ----------
    input : ndarray (N, C, H, W), float32 or float64
        Feature maps of a batch.
    boxes : ndarray (K, 5) ``(batch_index, x1, y1, x2, y2)``, or a list of N (L, 4) arrays
        Regions in input-image coordinates, in the dtype of ``input``.
    output_size : int or (int, int)
        ``(PH, PW)``.
    spatial_scale : float
        Factor from image to feature-map coordinates.

    Returns
    -------
    ndarray (K, C, PH, PW) in the dtype of ``input``. Section 3.10.
    """
    rois, size, scale = _pool_args("roi_pool", input, boxes, output_size, spatial_scale)
    return _roi_pool(input, rois, size, scale)[0]


def roi_pool_backward(grad_output, input, boxes, output_size, spatial_scale=1.0):
    """Gradient of :func:`roi_pool` with respect to ``input``, (N, C, H, W).

    As in max pooling, each bin passes its gradient to the one input that won it (and an empty
    bin to none); inputs that win several bins, of one region or of overlapping regions,
    collect them all. The regions are constants (their rounding makes the output piecewise
    constant in the coordinates), so only ``input`` gets a gradient. Section 3.10.
    """
    op = "roi_pool_backward"
    rois, size, scale = _pool_args(op, input, boxes, output_size, spatial_scale)
    V.check_grad_output(op, grad_output, (len(rois), input.shape[1]) + size, input, "numpy")
    _, argmax = _roi_pool(input, rois, size, scale)
    n, c, height, width = input.shape
    grad = np.zeros((n, c, height * width), dtype=input.dtype)
    for k, roi in enumerate(rois):
        b = int(roi[0])
        for ch in range(c):
            where = argmax[k, ch].reshape(-1)
            hit = where >= 0
            np.add.at(grad[b, ch], where[hit], grad_output[k, ch].reshape(-1)[hit])
    return grad.reshape(input.shape)


def roi_align_weights(box, output_size, height, width, spatial_scale=1.0, sampling_ratio=-1,
                      aligned=False):
    """RoI align of one region as two matrices ``A`` (PH, H) and ``B`` (PW, W): ``y[c] = A x[c] B^T``.

    Bin ``(p_h, p_w)`` averages ``g_h x g_w`` bilinear samples placed evenly inside it
    (``g = sampling_ratio``, or ``ceil(region size / output size)`` when ``sampling_ratio <= 0``).
    A bilinear sample at ``(y, x)`` weighs the four cells around it by a weight along y times a
    weight along x, so the whole operation is separable: row ``p_h`` of ``A`` holds the average,
    over the bin's sample rows, of their interpolation weights on the feature map's rows, and
    ``B`` the same for columns. That is why RoI align is linear in the features, and why its
    backward is ``A^T dy[c] B``. Samples more than one cell outside the map weigh 0; samples
    just outside are clamped to the border, as in torchvision.

    Parameters
    ----------
    box : ndarray (4,), floating
        ``(x1, y1, x2, y2)`` in image coordinates.
    output_size : int or (int, int)
        ``(PH, PW)``.
    height, width : int
        Size of the feature map.
    spatial_scale, sampling_ratio, aligned
        As in :func:`roi_align`.

    Returns
    -------
    (A, B): ndarrays (PH, height) and (PW, width) in the dtype of ``box``. Section 3.10.
    """
    size, height, width, scale, ratio = D.roi_align_weights_args(
        box, output_size, height, width, spatial_scale, sampling_ratio, aligned, "numpy")
    return _align_weights(box, size, height, width, scale, ratio, aligned)


def _align_weights(box, size, height, width, scale, ratio, aligned):
    ph_n, pw_n = size
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (float(v) * scale - offset for v in box)
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:
        roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
    grid_h = ratio if ratio > 0 else math.ceil(roi_h / ph_n)
    grid_w = ratio if ratio > 0 else math.ceil(roi_w / pw_n)
    a = _axis_weights(y1, roi_h / ph_n, ph_n, grid_h, height)
    b = _axis_weights(x1, roi_w / pw_n, pw_n, grid_w, width)
    return a.astype(box.dtype), b.astype(box.dtype)


def _axis_weights(start: float, bin_size: float, bins: int, grid: int, size: int) -> np.ndarray:
    """(bins, size) averaged interpolation weights of the samples of each bin along one axis."""
    m = np.zeros((bins, size))
    if grid <= 0:
        return m
    for p in range(bins):
        for i in range(grid):
            v = start + p * bin_size + (i + 0.5) * bin_size / grid
            if v < -1.0 or v > size:
                continue                                 # too far outside: weight 0
            v = max(v, 0.0)
            low = int(v)
            if low >= size - 1:
                low = high = size - 1
                v = float(low)
            else:
                high = low + 1
            frac = v - low
            m[p, low] += (1.0 - frac) / grid
            m[p, high] += frac / grid
    return m


def _align_args(op, input, boxes, output_size, spatial_scale, sampling_ratio, aligned):
    rois, size, scale = _pool_args(op, input, boxes, output_size, spatial_scale)
    ratio = V.check_int(op, "sampling_ratio", sampling_ratio)
    V.check_bool(op, "aligned", aligned)
    return rois, size, scale, ratio


def roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """RoI align (Mask R-CNN): a ``PH x PW`` grid of bilinearly sampled averages of every region.

    No rounding: bin ``(p_h, p_w)`` of region ``k`` averages ``g_h g_w`` samples at exact,
    evenly spaced points inside the bin, each read from the feature map by bilinear
    interpolation:

    .. math:: y[k, c, p_h, p_w] = \\frac{1}{g_h g_w} \\sum_{i < g_h,\\, j < g_w}
              \\mathrm{bilinear}(x[b_k, c],\\; y_{p_h, i},\\; x_{p_w, j})

    computed as two small matrix products per region (:func:`roi_align_weights`).

    Parameters
    ----------
    input : ndarray (N, C, H, W), float32 or float64
    boxes : ndarray (K, 5) ``(batch_index, x1, y1, x2, y2)``, or a list of N (L, 4) arrays
    output_size : int or (int, int)
        ``(PH, PW)``.
    spatial_scale : float
        Factor from image to feature-map coordinates.
    sampling_ratio : int
        Samples per bin along each axis; ``<= 0`` (the default, -1) uses
        ``ceil(region size / output size)``.
    aligned : bool
        ``True`` shifts the box by half a cell so that pixel centres line up (the corrected
        form, Detectron2's default); ``False`` is the original Mask R-CNN form, which also
        makes every region at least one cell wide and high.

    Returns
    -------
    ndarray (K, C, PH, PW) in the dtype of ``input``. Section 3.10.
    """
    rois, size, scale, ratio = _align_args("roi_align", input, boxes, output_size,
                                           spatial_scale, sampling_ratio, aligned)
    _, c, height, width = input.shape
    out = np.zeros((len(rois), c) + size, dtype=input.dtype)
    for k, roi in enumerate(rois):
        a, b = _align_weights(roi[1:], size, height, width, scale, ratio, aligned)
        out[k] = a @ input[int(roi[0])] @ b.T
    return out


def roi_align_backward(grad_output, input, boxes, output_size, spatial_scale=1.0,
                       sampling_ratio=-1, aligned=False):
    """Gradient of :func:`roi_align` with respect to ``input``: ``A.T @ dy[k, c] @ B`` per region.

    RoI align is linear in the features (``y[c] = A x[c] B^T``, see
    :func:`roi_align_weights`), so its gradient spreads each bin's gradient back over the cells
    its samples read, with the same bilinear weights. Returns (N, C, H, W); the boxes are
    treated as constants, as in torchvision. Section 3.10.
    """
    op = "roi_align_backward"
    rois, size, scale, ratio = _align_args(op, input, boxes, output_size, spatial_scale,
                                           sampling_ratio, aligned)
    V.check_grad_output(op, grad_output, (len(rois), input.shape[1]) + size, input, "numpy")
    _, c, height, width = input.shape
    grad = np.zeros_like(input)
    for k, roi in enumerate(rois):
        a, b = _align_weights(roi[1:], size, height, width, scale, ratio, aligned)
        grad[int(roi[0])] += a.T @ grad_output[k] @ b
    return grad
