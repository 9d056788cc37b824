"""Bounding boxes in NumPy: formats, areas, intersection over union, non-max suppression.

A box is four numbers. ``'xyxy'`` is ``(x1, y1, x2, y2)``, its top-left and bottom-right
corners; ``'xywh'`` is ``(x1, y1, w, h)``; ``'cxcywh'`` is ``(c_x, c_y, w, h)``, the centre and
the size (the course's ``b_x, b_y, b_w, b_h``). x grows to the right and y downwards, in pixels;
a box covers ``[x1, x2] x [y1, y2]``, so its area is ``(x2 - x1) (y2 - y1)``. Names, argument
names and conventions follow ``torchvision.ops``. Sections 3.6 (IoU) and 3.7 (NMS) teach them.
"""

from __future__ import annotations

import numpy as np

from .. import _checks as V
from .. import _detection as D

__all__ = ["box_convert", "box_area", "box_iou", "box_iou_pairwise", "clip_boxes_to_image",
           "nms", "batched_nms"]


def _to_xyxy(boxes: np.ndarray, fmt: str) -> np.ndarray:
    if fmt == "xyxy":
        return boxes
    a, b, w, h = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    if fmt == "xywh":
        return np.stack([a, b, a + w, b + h], axis=1)
    return np.stack([a - w / 2, b - h / 2, a + w / 2, b + h / 2], axis=1)   # cxcywh


def _from_xyxy(boxes: np.ndarray, fmt: str) -> np.ndarray:
    if fmt == "xyxy":
        return boxes
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    w, h = x2 - x1, y2 - y1
    if fmt == "xywh":
        return np.stack([x1, y1, w, h], axis=1)
    return np.stack([x1 + w / 2, y1 + h / 2, w, h], axis=1)                 # cxcywh


def box_convert(boxes, in_fmt, out_fmt):
    """Convert (N, 4) boxes between ``'xyxy'``, ``'xywh'`` and ``'cxcywh'``.

    .. math::
        x_2 = x_1 + w, \\quad y_2 = y_1 + h, \\qquad
        c_x = x_1 + w / 2, \\quad c_y = y_1 + h / 2.

    Parameters
    ----------
    boxes : ndarray (N, 4), float32 or float64
        Boxes in ``in_fmt``; ``N`` may be 0.
    in_fmt, out_fmt : {'xyxy', 'xywh', 'cxcywh'}
        Formats of the input and of the result.

    Returns
    -------
    ndarray (N, 4), the dtype of ``boxes``. Section 3.6.
    """
    D.check_format("box_convert", "in_fmt", in_fmt)
    D.check_format("box_convert", "out_fmt", out_fmt)
    D.check_boxes("box_convert", "boxes", boxes, "numpy", in_fmt)
    if in_fmt == out_fmt:
        return boxes.copy()
    return np.ascontiguousarray(_from_xyxy(_to_xyxy(boxes, in_fmt), out_fmt), dtype=boxes.dtype)


def box_area(boxes, fmt="xyxy"):
    """Area ``(x2 - x1) (y2 - y1)`` of each of (N, 4) boxes in format ``fmt``; returns (N,).

    Section 3.6.
    """
    D.check_format("box_area", "fmt", fmt)
    D.check_boxes("box_area", "boxes", boxes, "numpy", fmt)
    b = _to_xyxy(boxes, fmt)
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def _iou_xyxy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes that broadcast against each other, (..., 4) xyxy -> (...).

    ``inter / union`` with the overlap clamped at zero, and 0 where the union is empty. The one
    formula behind :func:`box_iou`, :func:`box_iou_pairwise` and :func:`nms`, so that they agree
    to the last bit.
    """
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    union = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1]) \
        + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) - inter
    out = np.zeros(np.broadcast_shapes(inter.shape, union.shape), dtype=inter.dtype)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def _two_sets(op, boxes1, boxes2, fmt):
    D.check_format(op, "fmt", fmt)
    D.check_boxes(op, "boxes1", boxes1, "numpy", fmt)
    D.check_boxes(op, "boxes2", boxes2, "numpy", fmt)
    V.check_same_dtype(op, boxes1=boxes1, boxes2=boxes2)
    return _to_xyxy(boxes1, fmt), _to_xyxy(boxes2, fmt)


def box_iou(boxes1, boxes2, fmt="xyxy"):
    """Intersection over union of every pair of boxes: (N, 4) and (M, 4) -> (N, M).

    .. math::
        \\mathrm{IoU}(A, B) = \\frac{|A \\cap B|}{|A \\cup B|}
        = \\frac{I}{|A| + |B| - I}, \\qquad
        I = \\max(0, \\min(x_2, x_2') - \\max(x_1, x_1')) \\cdot
            \\max(0, \\min(y_2, y_2') - \\max(y_1, y_1'))

    The overlap along each axis is clamped at zero (boxes that do not meet share nothing), and
    the IoU of two empty boxes (union 0) is 0.

    Parameters
    ----------
    boxes1, boxes2 : ndarray (N, 4) and (M, 4), one float dtype
        Boxes in format ``fmt``; either set may be empty.
    fmt : {'xyxy', 'xywh', 'cxcywh'}
        Format of both sets.

    Returns
    -------
    ndarray (N, M): entry ``[i, j]`` is the IoU of ``boxes1[i]`` and ``boxes2[j]``. Section 3.6.
    """
    a, b = _two_sets("box_iou", boxes1, boxes2, fmt)
    return _iou_xyxy(a[:, None, :], b[None, :, :])


def box_iou_pairwise(boxes1, boxes2, fmt="xyxy"):
    """Intersection over union of matching pairs: (N, 4) and (N, 4) -> (N,).

    Entry ``i`` is the IoU of ``boxes1[i]`` and ``boxes2[i]`` (the diagonal of :func:`box_iou`,
    without computing the rest), e.g. of each predicted box with its own ground truth. Same
    formula and conventions as :func:`box_iou`. Section 3.6.
    """
    a, b = _two_sets("box_iou_pairwise", boxes1, boxes2, fmt)
    if len(a) != len(b):
        raise ValueError(f"box_iou_pairwise: boxes1 has {len(a)} boxes and boxes2 has {len(b)}; "
                         f"pairwise IoU needs the same number (use box_iou for all pairs)")
    return _iou_xyxy(a, b)


def clip_boxes_to_image(boxes, size):
    """Clip (N, 4) ``'xyxy'`` boxes to an image of ``size = (height, width)``.

    Every x is clamped to ``[0, width]`` and every y to ``[0, height]``, so a box that sticks
    out of the image is cut at its border. Section 3.9 (decoding YOLO's predictions).
    """
    D.check_boxes("clip_boxes_to_image", "boxes", boxes, "numpy")
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise TypeError(f"clip_boxes_to_image: size must be (height, width), got {size!r}")
    h = V.check_number("clip_boxes_to_image", "size", size[0], minimum=0.0)
    w = V.check_number("clip_boxes_to_image", "size", size[1], minimum=0.0)
    out = boxes.copy()
    out[:, 0::2] = np.clip(out[:, 0::2], 0, w)
    out[:, 1::2] = np.clip(out[:, 1::2], 0, h)
    return out


# --- non-max suppression -------------------------------------------------------------------------

def _score_order(scores: np.ndarray) -> np.ndarray:
    """Indices by decreasing score; equal scores keep their input order (a stable sort)."""
    return np.argsort(-scores, kind="stable")


_PAIR_CHUNK = 1 << 16


def _windows_to_pairs(starts: np.ndarray, ends: np.ndarray):
    """Expand windows ``[starts[k], ends[k])`` into (owner k, member) pairs, in chunks."""
    counts = np.maximum(ends - starts, 0)
    cum = np.cumsum(counts)
    k0, n = 0, len(counts)
    while k0 < n:
        base = cum[k0 - 1] if k0 else 0
        k1 = max(int(np.searchsorted(cum, base + _PAIR_CHUNK, side="right")), k0 + 1)
        c = counts[k0:k1]
        total = int(c.sum())
        if total:
            owner = np.repeat(np.arange(k0, k1), c)
            member = np.repeat(starts[k0:k1] - (cum[k0:k1] - c - base), c) + np.arange(total)
            yield owner, member
        k0 = k1


def _overlapping_pairs(boxes: np.ndarray, groups: np.ndarray | None, threshold: float):
    """Every pair ``(i, j)`` of boxes of one group whose IoU exceeds ``threshold``, once each.

    Comparing all N^2 pairs costs too much for N = 10,000, and most pairs are far apart. Two
    bounds limit the search. For boxes with ``x1_j >= x1_i``, the IoU is at most the overlap of
    their x-intervals over the longer one, ``(w_i - (x1_j - x1_i)) / w_i``, so ``IoU > t`` needs
    ``x1_j - x1_i < (1 - t) w_i``; the same holds along y. So cut the image into rows of height
    ``(1 - t) max h``: two boxes can pair only if they lie in one row or in neighbouring rows.
    Sorting by (row, x1) turns "the boxes to my right within ``(1 - t) w``" in this row, the
    next row and the previous row into three windows, each found by binary search; every pair
    falls in exactly one window of one of its two boxes. Groups (the classes of
    :func:`batched_nms`) get rows of their own.
    """
    n = len(boxes)
    empty = np.zeros(0, np.int64)
    x1, y1 = boxes[:, 0].astype(np.float64), boxes[:, 1].astype(np.float64)
    w = boxes[:, 2].astype(np.float64) - x1
    h = boxes[:, 3].astype(np.float64) - y1
    slack = 1 + 1e-9          # the windows only have to contain the pairs; the IoU test decides
    row_height = (1.0 - threshold) * h.max() * slack
    if row_height <= 0 or w.max() <= 0:
        return empty, empty
    y = y1 - y1.min()
    row = np.floor(y / row_height)
    # does the box's own reach (1 - t) h go past the top of the next row? if not, skip that row
    into_next = y + (1.0 - threshold) * h * slack + 1e-9 > (row + 1) * row_height
    if groups is not None:
        _, rank = np.unique(groups, return_inverse=True)
        row = row + rank.reshape(-1) * (row.max() + 2)     # an empty row between groups
    stride = 2.0 * (np.ptp(x1) + w.max()) + 1.0             # one row of keys, with room to spare
    key = row * stride + (x1 - x1.min())
    order = np.argsort(key, kind="stable")
    ks = key[order]
    reach = (1.0 - threshold) * w[order] * slack + 1e-9
    pos = np.arange(n)
    nxt = into_next[order]
    starts = np.concatenate([
        pos + 1,                                                   # this row, to the right
        np.where(nxt, np.searchsorted(ks, ks + stride, side="left"), 0),      # next row
        np.searchsorted(ks, ks - stride, side="right")])           # previous row, strictly right
    ends = np.concatenate([
        np.searchsorted(ks, ks + reach, side="left"),
        np.where(nxt, np.searchsorted(ks, ks + stride + reach, side="left"), 0),
        np.searchsorted(ks, ks - stride + reach, side="left")])
    sb = boxes[order]
    y_top, y_bottom = np.ascontiguousarray(sb[:, 1]), np.ascontiguousarray(sb[:, 3])
    found_i, found_j = [], []
    for owner, member in _windows_to_pairs(starts, ends):
        owner = owner % n
        meet = np.minimum(y_bottom[owner], y_bottom[member]) > \
            np.maximum(y_top[owner], y_top[member])
        owner, member = owner[meet], member[meet]
        over = _iou_xyxy(sb[owner], sb[member]) > threshold
        found_i.append(order[owner[over]])
        found_j.append(order[member[over]])
    if not found_i:
        return empty, empty
    return np.concatenate(found_i), np.concatenate(found_j)


def _greedy_from_pairs(n: int, rank: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Greedy NMS decisions (bool (n,), True = kept) from the overlapping pairs.

    Greedy NMS keeps a box exactly when no *kept* box with a higher score overlaps it. Orient
    every pair from the higher-ranked box (``hi``) to the lower one (``lo``); then, in rounds,
    keep every undecided box whose higher neighbours are all suppressed, and suppress every box
    with a kept higher neighbour. Each round is a few vectorised operations over the pairs; the
    number of rounds is the length of the longest chain of overlaps, small in practice.
    """
    hi = np.where(rank[i] < rank[j], i, j)
    lo = np.where(rank[i] < rank[j], j, i)
    state = np.zeros(n, np.int8)          # 0 undecided, 1 kept, 2 suppressed
    while len(hi):
        blocked = np.zeros(n, bool)
        blocked[lo[state[hi] != 2]] = True
        state[(state == 0) & ~blocked] = 1
        state[lo[state[hi] == 1]] = 2
        live = (state[hi] != 2) & (state[lo] == 0)
        hi, lo = hi[live], lo[live]
    state[state == 0] = 1
    return state == 1


def _greedy_prefix(sorted_boxes: np.ndarray, groups, threshold: float):
    """Run the plain greedy loop while it pays: each kept box suppresses many others.

    ``sorted_boxes`` are in score order. Returns the kept positions so far and the positions
    still undecided (in score order); greedy NMS of the undecided boxes alone completes the
    result. In crowded detector output the first kept boxes remove most of the rest, so a few
    hundred cheap steps leave little for the pair search. The IoU is computed column by column
    with the very operations of ``_iou_xyxy``, so both paths decide every pair identically.
    """
    x1, y1, x2, y2 = (np.ascontiguousarray(sorted_boxes[:, k]) for k in range(4))
    area = (x2 - x1) * (y2 - y1)
    alive = np.arange(len(sorted_boxes))
    g = groups
    kept, removed, steps = [], 0, 0
    while len(alive):
        kept.append(alive[0])
        iw = np.minimum(x2[0], x2[1:]) - np.maximum(x1[0], x1[1:])
        np.clip(iw, 0, None, out=iw)
        ih = np.minimum(y2[0], y2[1:]) - np.maximum(y1[0], y1[1:])
        np.clip(ih, 0, None, out=ih)
        inter = iw * ih
        union = area[0] + area[1:] - inter
        iou = np.zeros_like(inter)
        np.divide(inter, union, out=iou, where=union > 0)
        stay = iou <= threshold
        if g is not None:
            stay |= g[1:] != g[0]
            g = g[1:][stay]
        removed += len(stay) - int(np.count_nonzero(stay))
        alive, x1, y1, x2, y2, area = (a[1:][stay] for a in (alive, x1, y1, x2, y2, area))
        steps += 1
        if steps % 16 == 0:
            if removed < 16 * max(4, len(alive) // 500):   # too few removed per kept box: stop
                break
            removed = 0
    return np.asarray(kept, np.int64), alive


def _nms(op, boxes, scores, groups, iou_threshold):
    D.check_boxes(op, "boxes", boxes, "numpy")
    D.check_scores(op, scores, len(boxes), "numpy")
    t = D.check_threshold(op, "iou_threshold", iou_threshold)
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    order = _score_order(scores)
    sorted_boxes = boxes[order]
    sorted_groups = None if groups is None else groups[order]
    kept, alive = _greedy_prefix(sorted_boxes, sorted_groups, t)
    if len(alive):
        rest = sorted_boxes[alive]
        i, j = _overlapping_pairs(rest, None if groups is None else sorted_groups[alive], t)
        # positions within ``rest`` are already ranks (rest is in score order)
        survivors = alive[_greedy_from_pairs(len(rest), np.arange(len(rest)), i, j)]
        kept = np.concatenate([kept, survivors])
    return order[np.sort(kept)].astype(np.int64)


def nms(boxes, scores, iou_threshold):
    """Greedy non-max suppression: the indices of the boxes that survive, best score first.

    Take the box with the highest score and keep it; discard every remaining box whose IoU with
    it is greater than ``iou_threshold``; repeat with the best box left. The result is what that
    loop keeps, computed without a Python loop over boxes (see ``_overlapping_pairs`` in the
    source): ten thousand boxes take a few milliseconds.

    Parameters
    ----------
    boxes : ndarray (N, 4), float32 or float64
        ``'xyxy'`` boxes (convert others with :func:`box_convert`).
    scores : ndarray (N,), floating
        One score per box. Boxes of equal score are taken in input order.
    iou_threshold : float in [0, 1]
        Boxes overlapping a kept box by more than this are discarded.

    Returns
    -------
    ndarray (K,) int64: indices into ``boxes`` of the kept boxes, by decreasing score (empty
    for empty input, as ``torchvision.ops.nms``). Section 3.7.
    """
    return _nms("nms", boxes, scores, None, iou_threshold)


def batched_nms(boxes, scores, idxs, iou_threshold):
    """Non-max suppression within each class: boxes of different ``idxs`` never suppress each other.

    The same greedy rule as :func:`nms`, applied to each class separately, with all kept indices
    returned together by decreasing score. A car and a person may overlap; two cars that overlap
    are one car seen twice.

    Parameters
    ----------
    boxes : ndarray (N, 4), float32 or float64, ``'xyxy'``
    scores : ndarray (N,), floating
    idxs : ndarray (N,), integer
        The class (or any group) of each box.
    iou_threshold : float in [0, 1]

    Returns
    -------
    ndarray (K,) int64, kept indices by decreasing score. Section 3.7.
    """
    D.check_boxes("batched_nms", "boxes", boxes, "numpy")
    D.check_labels("batched_nms", "idxs", idxs, len(boxes), "numpy")
    return _nms("batched_nms", boxes, scores, idxs, iou_threshold)
