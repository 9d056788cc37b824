"""Anchor boxes: shapes placed on a grid, matched to objects, and chosen by k-means (section 3.8).

A grid cell of a detector can only hold one object per output slot. Anchor boxes give each cell
several slots, each with a typical shape (tall, wide, small, large); an object goes to the slot
whose shape fits it best, so two objects with their centres in one cell can both be found if
their shapes differ. YOLOv2 chose the shapes by k-means over the training boxes with the
distance ``1 - IoU`` (boxes compared as if they shared a centre), so that large boxes do not
dominate as they would with a Euclidean distance. Faster R-CNN's region proposal network
labels anchors as object or background by their IoU with the ground truth
(:func:`label_anchors`, section 3.10).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks as V
from .. import numpy_ops as nops

__all__ = ["shape_iou", "match_anchors", "anchor_grid", "kmeans_anchors", "KMeansAnchors",
           "label_anchors"]


def _wh(op: str, name: str, wh) -> np.ndarray:
    wh = np.asarray(wh, dtype=np.float64)
    if wh.ndim != 2 or wh.shape[1] != 2:
        raise ValueError(f"{op}: {name} must be an (N, 2) array of (width, height), got shape "
                         f"{wh.shape}")
    if not np.isfinite(wh).all() or (wh < 0).any():
        raise ValueError(f"{op}: {name} must hold finite, non-negative widths and heights")
    return wh


def shape_iou(wh1, wh2) -> np.ndarray:
    """IoU of box shapes placed on a common centre: (N, 2) and (M, 2) ``(w, h)`` -> (N, M).

    .. math:: \\mathrm{IoU} = \\frac{\\min(w, w') \\min(h, h')}{w h + w' h' - \\min(w, w') \\min(h, h')}

    Only the shapes matter, not the positions: this is how an object is compared with an
    anchor shape, and the similarity behind :func:`kmeans_anchors`. Section 3.8.
    """
    a, b = _wh("shape_iou", "wh1", wh1), _wh("shape_iou", "wh2", wh2)
    inter = np.minimum(a[:, None, 0], b[None, :, 0]) * np.minimum(a[:, None, 1], b[None, :, 1])
    union = (a[:, 0] * a[:, 1])[:, None] + (b[:, 0] * b[:, 1])[None, :] - inter
    out = np.zeros_like(inter)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def match_anchors(boxes, anchors) -> np.ndarray:
    """Index of the anchor shape that fits each box best (highest :func:`shape_iou`).

    ``boxes`` (N, 4) ``'xyxy'``; ``anchors`` (A, 2) ``(w, h)`` in the same units. Returns int64
    (N,). Ties go to the first anchor. Section 3.8.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    wh = np.stack([boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], axis=1)
    anchors = _wh("match_anchors", "anchors", anchors)
    if len(anchors) == 0:
        raise ValueError("match_anchors: anchors is empty")
    return shape_iou(wh, anchors).argmax(axis=1).astype(np.int64)


def anchor_grid(grid_size: int, image_size: int, anchors) -> np.ndarray:
    """Every anchor at every cell: (S, S, A, 4) ``'xyxy'`` boxes in pixels.

    Anchor ``a`` of cell ``(row, col)`` has the shape ``anchors[a] = (w, h)`` and is centred on
    the cell's centre ``((col + 1/2) c, (row + 1/2) c)``, with ``c = image_size / S`` the cell
    size. Flatten with ``.reshape(-1, 4)`` to compare with boxes. Section 3.8.
    """
    s = V.check_int("anchor_grid", "grid_size", grid_size, minimum=1)
    size = V.check_number("anchor_grid", "image_size", image_size, minimum=0.0, strict=True)
    wh = _wh("anchor_grid", "anchors", anchors)
    cell = size / s
    centres = (np.arange(s) + 0.5) * cell
    cx = np.broadcast_to(centres[None, :, None], (s, s, len(wh)))
    cy = np.broadcast_to(centres[:, None, None], (s, s, len(wh)))
    w, h = wh[:, 0], wh[:, 1]
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)


@dataclass(frozen=True)
class KMeansAnchors:
    """Result of :func:`kmeans_anchors`.

    ``anchors`` (k, 2) ``(w, h)`` sorted by area; ``assignment`` (N,) the anchor of each box;
    ``mean_iou`` the average over boxes of the IoU with their anchor; ``iterations`` run.
    """

    anchors: np.ndarray
    assignment: np.ndarray
    mean_iou: float
    iterations: int


def _kmeans_once(wh: np.ndarray, k: int, rng: np.random.Generator, max_iter: int):
    centres = [wh[rng.integers(len(wh))]]
    while len(centres) < k:
        d = 1 - shape_iou(wh, np.array(centres)).max(axis=1)
        p = d / d.sum() if d.sum() > 0 else np.full(len(wh), 1 / len(wh))
        centres.append(wh[rng.choice(len(wh), p=p)])
    centres = np.array(centres)
    assignment = np.full(len(wh), -1)
    it = 0
    for it in range(1, max_iter + 1):
        iou = shape_iou(wh, centres)
        new = iou.argmax(axis=1)
        for j in range(k):
            if not (new == j).any():                     # an empty cluster: reseed it
                worst = int(iou.max(axis=1).argmin())
                centres[j] = wh[worst]
                new[worst] = j
        if np.array_equal(new, assignment):
            break
        assignment = new
        centres = np.array([wh[assignment == j].mean(axis=0) for j in range(k)])
    return centres, it


def kmeans_anchors(wh, k: int, seed: int = 0, max_iter: int = 300,
                   n_init: int = 5) -> KMeansAnchors:
    """Choose ``k`` anchor shapes by k-means on box shapes with the distance ``1 - IoU``.

    Start from ``k`` shapes picked k-means++-style (each next one drawn with probability
    proportional to its distance from the nearest chosen one), then repeat: give every box to
    the anchor it overlaps most (:func:`shape_iou`), and move every anchor to the mean width
    and height of its boxes; stop when no box changes anchor. An anchor left without boxes
    restarts at the box worst served. K-means only finds a local optimum, so it runs
    ``n_init`` times from different starts and keeps the anchors of highest mean IoU.
    YOLOv2's procedure (Redmon and Farhadi, 2017).

    Parameters
    ----------
    wh : array (N, 2)
        Widths and heights of the training boxes (N >= k).
    k : int
        Number of anchors.
    seed : int
        Seeds the initial choices.
    max_iter : int
        Upper bound on the number of rounds of one run.
    n_init : int
        Number of runs.

    Returns
    -------
    :class:`KMeansAnchors`. Section 3.8.
    """
    wh = _wh("kmeans_anchors", "wh", wh)
    k = V.check_int("kmeans_anchors", "k", k, minimum=1)
    seed = V.check_int("kmeans_anchors", "seed", seed, minimum=0)
    max_iter = V.check_int("kmeans_anchors", "max_iter", max_iter, minimum=1)
    n_init = V.check_int("kmeans_anchors", "n_init", n_init, minimum=1)
    if len(wh) < k:
        raise ValueError(f"kmeans_anchors: {len(wh)} boxes cannot make k={k} anchors")
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(n_init):
        centres, it = _kmeans_once(wh, k, rng, max_iter)
        score = shape_iou(wh, centres).max(axis=1).mean()
        if best is None or score > best[0] + 1e-12:
            best = (score, centres, it)
    _, centres, it = best
    centres = centres[np.argsort(centres[:, 0] * centres[:, 1], kind="stable")]
    iou = shape_iou(wh, centres)
    return KMeansAnchors(centres, iou.argmax(axis=1).astype(np.int64),
                         float(iou.max(axis=1).mean()), it)


def label_anchors(anchors, gt_boxes, high: float = 0.7, low: float = 0.3):
    """Faster R-CNN's rule: which anchors are objects (1), background (0) or ignored (-1).

    An anchor is positive if its IoU with some ground-truth box is at least ``high``, or if it
    is the best anchor of some ground-truth box (so every object has at least one); negative
    if its IoU with every ground-truth box is below ``low``; ignored otherwise. Returns
    ``(labels, matched)``: int64 (A,) labels and the index of each anchor's best ground-truth
    box (-1 when there is none). ``anchors`` (A, 4) and ``gt_boxes`` (G, 4) are ``'xyxy'``.
    Section 3.10.
    """
    high = V.check_number("label_anchors", "high", high, 0.0, 1.0)
    low = V.check_number("label_anchors", "low", low, 0.0, 1.0)
    if low > high:
        raise ValueError(f"label_anchors: low={low} must not exceed high={high}")
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 4)
    gt = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    labels = np.zeros(len(anchors), np.int64)
    if len(gt) == 0:
        return labels, np.full(len(anchors), -1, np.int64)
    iou = nops.box_iou(anchors, gt)
    best = iou.max(axis=1)
    matched = iou.argmax(axis=1).astype(np.int64)
    labels[:] = -1
    labels[best < low] = 0
    labels[best >= high] = 1
    for g in range(len(gt)):                      # every object gets its best anchor(s)
        top = iou[:, g].max()
        if top > 0:
            winners = np.flatnonzero(iou[:, g] == top)
            labels[winners] = 1
            matched[winners] = g
    return labels, matched
