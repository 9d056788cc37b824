"""Argument checks shared by the box and RoI ops of :mod:`cnnlib.numpy_ops` and :mod:`cnnlib.torch_ops`.

The detection twins (``boxes``, ``roi``) validate at their public boundary with these helpers, so
the NumPy reference and its PyTorch twin raise the same ``ValueError`` or ``TypeError``, naming
the function and the argument. They look at shapes, dtypes and values only, so they work for
NumPy arrays and torch tensors alike (``kind`` is ``"numpy"`` or ``"torch"``).
"""

from __future__ import annotations

import math

from . import _checks as V

#: The box formats of :func:`cnnlib.numpy_ops.box_convert` (torchvision's names).
BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


def _any(mask) -> bool:
    return bool(mask.any())


def _first(mask) -> int:
    """Index of the first True entry of a 1-D mask (NumPy or torch)."""
    if hasattr(mask, "nonzero") and type(mask).__module__.startswith("torch"):
        return int(mask.nonzero()[0, 0])
    import numpy as np

    return int(np.flatnonzero(mask)[0])


def _isfinite(x, kind):
    if kind == "torch":
        import torch

        return torch.isfinite(x)
    import numpy as np

    return np.isfinite(x)


def check_format(op: str, name: str, fmt) -> str:
    """``fmt`` is one of :data:`BOX_FORMATS` (``ValueError`` otherwise, ``TypeError`` if not a str)."""
    if not isinstance(fmt, str):
        raise TypeError(f"{op}: {name} must be a string, one of {', '.join(map(repr, BOX_FORMATS))}; "
                        f"got {fmt!r}")
    if fmt not in BOX_FORMATS:
        raise ValueError(f"{op}: {name} must be one of {', '.join(map(repr, BOX_FORMATS))}; "
                         f"got {fmt!r}")
    return fmt


def check_boxes(op: str, name: str, boxes, kind: str, fmt: str = "xyxy"):
    """``boxes`` is a floating (N, 4) array of finite coordinates that form valid boxes.

    In ``'xyxy'`` format every box needs ``x1 <= x2`` and ``y1 <= y2``; in ``'xywh'`` and
    ``'cxcywh'`` a width and height that are not negative. ``N`` may be 0.
    """
    V.check_array(op, name, boxes, kind, ndims=(2,))
    if boxes.shape[1] != 4:
        raise ValueError(f"{op}: {name} must have shape (N, 4), got {tuple(boxes.shape)}")
    if boxes.shape[0] == 0:
        return boxes
    finite = _isfinite(boxes, kind).all(1)
    if not bool(finite.all()):
        i = _first(~finite)
        raise ValueError(f"{op}: {name} has NaN or infinite coordinates (box {i}: "
                         f"{[float(v) for v in boxes[i]]})")
    if fmt == "xyxy":
        bad = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
        if _any(bad):
            i = _first(bad)
            raise ValueError(f"{op}: {name} has a box with x2 < x1 or y2 < y1 (box {i}: "
                             f"{[float(v) for v in boxes[i]]}); 'xyxy' boxes need x1 <= x2 and "
                             f"y1 <= y2")
    else:
        bad = (boxes[:, 2] < 0) | (boxes[:, 3] < 0)
        if _any(bad):
            i = _first(bad)
            raise ValueError(f"{op}: {name} has a box with a negative width or height (box {i}: "
                             f"{[float(v) for v in boxes[i]]}, format {fmt!r})")
    return boxes


def check_scores(op: str, scores, n: int, kind: str, name: str = "scores"):
    """``scores`` is a floating 1-D array of ``n`` finite numbers, one per box."""
    V.check_array(op, name, scores, kind, ndims=(1,))
    if scores.shape[0] != n:
        raise ValueError(f"{op}: {name} has {scores.shape[0]} entries but there are {n} boxes; "
                         f"give one score per box")
    if n and not bool(_isfinite(scores, kind).all()):
        raise ValueError(f"{op}: {name} contains NaN or infinite values")
    return scores


def check_labels(op: str, name: str, labels, n: int, kind: str):
    """``labels`` is a 1-D integer array of ``n`` entries (class index of each box)."""
    V.check_array(op, name, labels, kind, ndims=(1,), floating=False)
    if kind == "torch":
        integral = not (labels.is_floating_point() or labels.is_complex()) \
            and str(labels.dtype) != "torch.bool"
    else:
        integral = labels.dtype.kind in "iu"
    if not integral:
        raise TypeError(f"{op}: {name} must be an integer array (one class index per box), "
                        f"got dtype {V.dtype_name(labels)}")
    if labels.shape[0] != n:
        raise ValueError(f"{op}: {name} has {labels.shape[0]} entries but there are {n} boxes")
    return labels


def check_threshold(op: str, name: str, value) -> float:
    """An IoU threshold: a finite number in [0, 1]."""
    return V.check_number(op, name, value, minimum=0.0, maximum=1.0)


def rois(op: str, input, boxes, kind: str):
    """Regions of interest as one (K, 5) array ``(batch_index, x1, y1, x2, y2)``.

    ``boxes`` is either that (K, 5) array, or a list with one (L_i, 4) ``'xyxy'`` array per
    image of the batch (torchvision's two forms). Checks that the coordinates are finite and
    ordered, that batch indices are whole numbers naming an image of ``input`` (N, C, H, W), and
    that ``boxes`` has ``input``'s dtype and device.
    """
    V.check_array(op, "input", input, kind, ndims=(4,))
    n = int(input.shape[0])
    if isinstance(boxes, (list, tuple)):
        if len(boxes) != n:
            raise ValueError(f"{op}: boxes is a list of {len(boxes)} arrays but input holds {n} "
                             f"images; give one (L, 4) array per image")
        for i, b in enumerate(boxes):
            check_boxes(op, f"boxes[{i}]", b, kind)
            V.check_same_dtype(op, input=input, **{f"boxes[{i}]": b})
        if kind == "torch":
            import torch

            parts = [torch.cat([torch.full((len(b), 1), float(i), dtype=b.dtype,
                                           device=b.device), b], 1) for i, b in enumerate(boxes)]
            return torch.cat(parts) if parts else input.new_zeros((0, 5))
        import numpy as np

        parts = [np.concatenate([np.full((len(b), 1), i, b.dtype), b], 1)
                 for i, b in enumerate(boxes)]
        return np.concatenate(parts) if parts else np.zeros((0, 5), input.dtype)
    V.check_array(op, "boxes", boxes, kind, ndims=(2,))
    if boxes.shape[1] != 5:
        raise ValueError(f"{op}: boxes must be a (K, 5) array of (batch_index, x1, y1, x2, y2) "
                         f"or a list of (L, 4) arrays, got shape {tuple(boxes.shape)}")
    V.check_same_dtype(op, input=input, boxes=boxes)
    check_boxes(op, "boxes[:, 1:]", boxes[:, 1:], kind)
    if len(boxes):
        index = boxes[:, 0]
        bad = (index != index.round()) | (index < 0) | (index > n - 1)
        if _any(bad):
            i = _first(bad)
            raise ValueError(f"{op}: boxes[{i}, 0] = {float(index[i])} is not the index of an "
                             f"image of input (0 to {n - 1})")
    return boxes


def roi_output_size(op: str, output_size) -> tuple[int, int]:
    """``output_size`` as (PH, PW): an int or a pair of positive ints."""
    return V.int_tuple(op, "output_size", output_size, 2, minimum=1)


def roi_align_weights_args(box, output_size, height, width, spatial_scale, sampling_ratio,
                           aligned, kind: str):
    """Validate the arguments of ``roi_align_weights``; returns ``(output_size, height, width,
    spatial_scale, sampling_ratio)`` as plain numbers."""
    op = "roi_align_weights"
    V.check_array(op, "box", box, kind, ndims=(1,))
    check_boxes(op, "box", box.reshape(1, -1), kind)
    size = roi_output_size(op, output_size)
    height = V.check_int(op, "height", height, minimum=1)
    width = V.check_int(op, "width", width, minimum=1)
    scale = V.check_number(op, "spatial_scale", spatial_scale, minimum=0.0, strict=True)
    ratio = V.check_int(op, "sampling_ratio", sampling_ratio)
    V.check_bool(op, "aligned", aligned)
    return size, height, width, scale, ratio


def c_round(v: float) -> int:
    """C's ``round``: halves away from zero (Python's and NumPy's send halves to even)."""
    return int(math.floor(v + 0.5)) if v >= 0 else -int(math.floor(-v + 0.5))


def roi_pool_bins(roi, output_size, spatial_scale, height, width):
    """The bins of one RoI for :func:`roi_pool`: a list of ``(ph, pw, h0, h1, w0, w1)``.

    The box is scaled and rounded to whole cells, ``[round(x1 s), round(x2 s)]`` inclusive
    (so ``round(x2 s) - round(x1 s) + 1`` cells wide, at least 1); bin ``(ph, pw)`` covers rows
    ``floor(ph b_h) .. ceil((ph + 1) b_h)`` of it with ``b_h = roi_h / PH`` (and likewise for
    columns), clipped to the feature map. A bin may be empty (``h1 <= h0``).
    """
    ph_n, pw_n = output_size
    x1, y1, x2, y2 = (c_round(float(v) * spatial_scale) for v in roi[1:])
    roi_w, roi_h = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
    bin_h, bin_w = roi_h / ph_n, roi_w / pw_n
    bins = []
    for ph in range(ph_n):
        h0 = min(max(math.floor(ph * bin_h) + y1, 0), height)
        h1 = min(max(math.ceil((ph + 1) * bin_h) + y1, 0), height)
        for pw in range(pw_n):
            w0 = min(max(math.floor(pw * bin_w) + x1, 0), width)
            w1 = min(max(math.ceil((pw + 1) * bin_w) + x1, 0), width)
            bins.append((ph, pw, h0, h1, w0, w1))
    return bins
