"""PyTorch twins of :mod:`cnnlib.numpy_ops.boxes`: box formats, IoU and non-max suppression.

The same algorithms written with tensor operations (``searchsorted``, ``repeat_interleave``,
boolean masks), so they run on any device; the IoU of every pair is computed with the same
operations in the same order as the NumPy reference, so both keep the same boxes.
"""

from __future__ import annotations

import torch

from .. import _checks as V
from .. import _detection as D
from ..numpy_ops import boxes as reference
from ._twin import twin_of

__all__ = list(reference.__all__)


def _to_xyxy(boxes, fmt):
    if fmt == "xyxy":
        return boxes
    a, b, w, h = boxes.unbind(1)
    if fmt == "xywh":
        return torch.stack([a, b, a + w, b + h], dim=1)
    return torch.stack([a - w / 2, b - h / 2, a + w / 2, b + h / 2], dim=1)


def _from_xyxy(boxes, fmt):
    if fmt == "xyxy":
        return boxes
    x1, y1, x2, y2 = boxes.unbind(1)
    w, h = x2 - x1, y2 - y1
    if fmt == "xywh":
        return torch.stack([x1, y1, w, h], dim=1)
    return torch.stack([x1 + w / 2, y1 + h / 2, w, h], dim=1)


@twin_of(reference.box_convert)
def box_convert(boxes, in_fmt, out_fmt):
    D.check_format("box_convert", "in_fmt", in_fmt)
    D.check_format("box_convert", "out_fmt", out_fmt)
    D.check_boxes("box_convert", "boxes", boxes, "torch", in_fmt)
    if in_fmt == out_fmt:
        return boxes.clone()
    return _from_xyxy(_to_xyxy(boxes, in_fmt), out_fmt).contiguous()


@twin_of(reference.box_area)
def box_area(boxes, fmt="xyxy"):
    D.check_format("box_area", "fmt", fmt)
    D.check_boxes("box_area", "boxes", boxes, "torch", fmt)
    b = _to_xyxy(boxes, fmt)
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def _iou_xyxy(a, b):
    """IoU of boxes that broadcast, (..., 4) -> (...); the operations of the NumPy reference."""
    iw = (torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0])).clamp(min=0)
    ih = (torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1])).clamp(min=0)
    inter = iw * ih
    union = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1]) \
        + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) - inter
    positive = union > 0
    return torch.where(positive, inter / torch.where(positive, union, torch.ones_like(union)),
                       torch.zeros_like(union))


def _two_sets(op, boxes1, boxes2, fmt):
    D.check_format(op, "fmt", fmt)
    D.check_boxes(op, "boxes1", boxes1, "torch", fmt)
    D.check_boxes(op, "boxes2", boxes2, "torch", fmt)
    V.check_same_dtype(op, boxes1=boxes1, boxes2=boxes2)
    return _to_xyxy(boxes1, fmt), _to_xyxy(boxes2, fmt)


@twin_of(reference.box_iou)
def box_iou(boxes1, boxes2, fmt="xyxy"):
    a, b = _two_sets("box_iou", boxes1, boxes2, fmt)
    return _iou_xyxy(a[:, None, :], b[None, :, :])


@twin_of(reference.box_iou_pairwise)
def box_iou_pairwise(boxes1, boxes2, fmt="xyxy"):
    a, b = _two_sets("box_iou_pairwise", boxes1, boxes2, fmt)
    if len(a) != len(b):
        raise ValueError(f"box_iou_pairwise: boxes1 has {len(a)} boxes and boxes2 has {len(b)}; "
                         f"pairwise IoU needs the same number (use box_iou for all pairs)")
    return _iou_xyxy(a, b)


@twin_of(reference.clip_boxes_to_image)
def clip_boxes_to_image(boxes, size):
    D.check_boxes("clip_boxes_to_image", "boxes", boxes, "torch")
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise TypeError(f"clip_boxes_to_image: size must be (height, width), got {size!r}")
    h = V.check_number("clip_boxes_to_image", "size", size[0], minimum=0.0)
    w = V.check_number("clip_boxes_to_image", "size", size[1], minimum=0.0)
    x = boxes[:, 0::2].clamp(0, w)
    y = boxes[:, 1::2].clamp(0, h)
    return torch.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], dim=1)


# --- non-max suppression (see numpy_ops.boxes for the reasoning) ----------------------------------

def _windows_to_pairs(starts, ends, chunk):
    counts = (ends - starts).clamp(min=0)
    cum = counts.cumsum(0)
    n = len(counts)
    k0 = 0
    while k0 < n:
        base = int(cum[k0 - 1]) if k0 else 0
        k1 = max(int(torch.searchsorted(cum, torch.tensor([base + chunk], device=cum.device),
                                        side="right")), k0 + 1)
        c = counts[k0:k1]
        total = int(c.sum())
        if total:
            owner = torch.repeat_interleave(torch.arange(k0, k1, device=c.device), c)
            member = torch.repeat_interleave(starts[k0:k1] - (cum[k0:k1] - c - base), c) \
                + torch.arange(total, device=c.device)
            yield owner, member
        k0 = k1


def _overlapping_pairs(boxes, groups, threshold):
    n = len(boxes)
    dev = boxes.device
    empty = torch.zeros(0, dtype=torch.int64, device=dev)
    x1, y1 = boxes[:, 0].double(), boxes[:, 1].double()
    w = boxes[:, 2].double() - x1
    h = boxes[:, 3].double() - y1
    slack = 1 + 1e-9
    row_height = (1.0 - threshold) * float(h.max()) * slack
    if row_height <= 0 or float(w.max()) <= 0:
        return empty, empty
    y = y1 - y1.min()
    row = torch.floor(y / row_height)
    into_next = y + (1.0 - threshold) * h * slack + 1e-9 > (row + 1) * row_height
    if groups is not None:
        _, rank = torch.unique(groups, return_inverse=True)
        row = row + rank.reshape(-1).double() * (row.max() + 2)
    stride = 2.0 * (float(x1.max() - x1.min()) + float(w.max())) + 1.0
    key = row * stride + (x1 - x1.min())
    order = torch.argsort(key, stable=True)
    ks = key[order]
    reach = (1.0 - threshold) * w[order] * slack + 1e-9
    pos = torch.arange(n, device=dev)
    nxt = into_next[order]
    zero = torch.zeros_like(pos)
    starts = torch.cat([
        pos + 1,
        torch.where(nxt, torch.searchsorted(ks, ks + stride, side="left"), zero),
        torch.searchsorted(ks, ks - stride, side="right")])
    ends = torch.cat([
        torch.searchsorted(ks, ks + reach, side="left"),
        torch.where(nxt, torch.searchsorted(ks, ks + stride + reach, side="left"), zero),
        torch.searchsorted(ks, ks - stride + reach, side="left")])
    sb = boxes[order]
    y_top, y_bottom = sb[:, 1].contiguous(), sb[:, 3].contiguous()
    found_i, found_j = [], []
    for owner, member in _windows_to_pairs(starts, ends, reference._PAIR_CHUNK):
        owner = owner % n
        meet = torch.minimum(y_bottom[owner], y_bottom[member]) > \
            torch.maximum(y_top[owner], y_top[member])
        owner, member = owner[meet], member[meet]
        over = _iou_xyxy(sb[owner], sb[member]) > threshold
        found_i.append(order[owner[over]])
        found_j.append(order[member[over]])
    if not found_i:
        return empty, empty
    return torch.cat(found_i), torch.cat(found_j)


def _greedy_from_pairs(n, rank, i, j):
    first = rank[i] < rank[j]
    hi, lo = torch.where(first, i, j), torch.where(first, j, i)
    state = torch.zeros(n, dtype=torch.int8, device=rank.device)
    while len(hi):
        blocked = torch.zeros(n, dtype=torch.bool, device=rank.device)
        blocked[lo[state[hi] != 2]] = True
        state[(state == 0) & ~blocked] = 1
        state[lo[state[hi] == 1]] = 2
        live = (state[hi] != 2) & (state[lo] == 0)
        hi, lo = hi[live], lo[live]
    state[state == 0] = 1
    return state == 1


def _greedy_prefix(sorted_boxes, groups, threshold):
    x1, y1, x2, y2 = (sorted_boxes[:, k].contiguous() for k in range(4))
    area = (x2 - x1) * (y2 - y1)
    alive = torch.arange(len(sorted_boxes), device=sorted_boxes.device)
    g = groups
    kept, removed, steps = [], 0, 0
    while len(alive):
        kept.append(alive[:1])
        iou = _iou_xyxy(torch.stack([x1[0], y1[0], x2[0], y2[0]]),
                        torch.stack([x1[1:], y1[1:], x2[1:], y2[1:]], dim=1))
        stay = iou <= threshold
        if g is not None:
            stay |= g[1:] != g[0]
            g = g[1:][stay]
        removed += len(stay) - int(stay.sum())
        alive, x1, y1, x2, y2, area = (a[1:][stay] for a in (alive, x1, y1, x2, y2, area))
        steps += 1
        if steps % 16 == 0:
            if removed < 16 * max(4, len(alive) // 500):
                break
            removed = 0
    return torch.cat(kept), alive


def _nms(op, boxes, scores, groups, iou_threshold):
    D.check_boxes(op, "boxes", boxes, "torch")
    D.check_scores(op, scores, len(boxes), "torch")
    t = D.check_threshold(op, "iou_threshold", iou_threshold)
    if scores.device != boxes.device:
        raise ValueError(f"{op}: scores is on {scores.device} but boxes is on {boxes.device}")
    if len(boxes) == 0:
        return torch.zeros(0, dtype=torch.int64, device=boxes.device)
    boxes, scores = boxes.detach(), scores.detach()
    order = torch.argsort(-scores, stable=True)
    sorted_boxes = boxes[order]
    sorted_groups = None if groups is None else groups[order]
    kept, alive = _greedy_prefix(sorted_boxes, sorted_groups, t)
    if len(alive):
        rest = sorted_boxes[alive]
        i, j = _overlapping_pairs(rest, None if groups is None else sorted_groups[alive], t)
        ranks = torch.arange(len(rest), device=rest.device)
        kept = torch.cat([kept, alive[_greedy_from_pairs(len(rest), ranks, i, j)]])
    return order[torch.sort(kept).values]


@twin_of(reference.nms)
def nms(boxes, scores, iou_threshold):
    return _nms("nms", boxes, scores, None, iou_threshold)


@twin_of(reference.batched_nms)
def batched_nms(boxes, scores, idxs, iou_threshold):
    D.check_boxes("batched_nms", "boxes", boxes, "torch")
    D.check_labels("batched_nms", "idxs", idxs, len(boxes), "torch")
    if idxs.device != boxes.device:
        raise ValueError(f"batched_nms: idxs is on {idxs.device} but boxes is on {boxes.device}")
    return _nms("batched_nms", boxes, scores, idxs, iou_threshold)
