"""Checkers for Part 3's practice: intersection over union and non-max suppression.

Sections 3.6 and 3.7 ask the reader to write, as in the course's YOLO assignment,

- ``iou(box1, box2)``: the IoU of two boxes given as corners ``(x1, y1, x2, y2)``;
- ``nms(boxes, scores, iou_threshold)``: greedy non-max suppression, returning the kept
  indices, best score first;
- ``batched_nms(boxes, scores, classes, iou_threshold)``: the same within each class.

Each checker runs the function on cases of growing difficulty and, when an answer is wrong,
tries the typical mistakes (the union counted without removing the overlap, a negative overlap
not clamped to zero, boxes taken in input order instead of by score, a suppressed box allowed to
suppress others, classes ignored, ...) and names the one the answer matches.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import Mistake, compare

__all__ = ["check_iou", "check_nms", "check_batched_nms"]


# --- IoU ----------------------------------------------------------------------------------------

def _iou(b1, b2, clamp="each", union="right", plus_one=False, denominator="union"):
    """IoU of two corner boxes, with switches that reproduce the typical mistakes."""
    x1, y1 = max(b1[0], b2[0]), max(b1[1], b2[1])
    x2, y2 = min(b1[2], b2[2]), min(b1[3], b2[3])
    one = 1.0 if plus_one else 0.0
    iw, ih = x2 - x1 + one, y2 - y1 + one
    if clamp == "each":
        inter = max(iw, 0.0) * max(ih, 0.0)
    elif clamp == "product":
        inter = max(iw * ih, 0.0)
    else:
        inter = iw * ih
    a1 = (b1[2] - b1[0] + one) * (b1[3] - b1[1] + one)
    a2 = (b2[2] - b2[0] + one) * (b2[3] - b2[1] + one)
    if denominator == "min":
        return inter / min(a1, a2)
    if denominator == "first":
        return inter / a1
    u = a1 + a2 - inter if union == "right" else a1 + a2
    return inter / u if u > 0 else 0.0


_IOU_MISTAKES = [
    ("the union counts the overlap twice: union = area1 + area2 - intersection, you left out "
     "'- intersection'", dict(union="sum")),
    ("the overlap is clamped only after multiplying: when the boxes miss each other along both x "
     "and y, (negative) * (negative) is positive; clamp each side with max(., 0) first",
     dict(clamp="product")),
    ("a negative overlap was not clamped to zero: boxes that do not meet along x or y must "
     "share nothing; use max(x2 - x1, 0) * max(y2 - y1, 0)", dict(clamp="none")),
    ("you added 1 to every width and height (the old 'inclusive pixel' convention); here a box "
     "from x1 to x2 has width x2 - x1", dict(plus_one=True)),
    ("you divided by the smaller box's area, not by the union", dict(denominator="min")),
    ("you divided by the first box's area, not by the union", dict(denominator="first")),
]

_IOU_CASES = [
    ("the course's example", (2, 1, 4, 3), (1, 2, 3, 4)),
    ("one box inside the other", (0, 0, 10, 10), (2, 3, 6, 8)),
    ("identical boxes", (1.5, 2.0, 4.5, 7.0), (1.5, 2.0, 4.5, 7.0)),
    ("boxes apart along x only", (1, 2, 3, 4), (5, 2, 7, 4)),
    ("boxes apart along x and y", (1, 2, 3, 4), (5, 6, 7, 8)),
    ("boxes that touch at an edge", (0, 0, 2, 2), (2, 0, 4, 2)),
    ("a wide and a tall box crossing", (0, 4, 10, 6), (4, 0, 6, 10)),
]


def _call(name: str, fn: Callable, *args):
    if not callable(fn):
        raise TypeError(f"{name}: expected your function, got {type(fn).__name__}")
    try:
        return fn(*args)
    except NotImplementedError:
        raise Mistake(f"{name}: not written yet (replace `raise NotImplementedError` with your "
                      f"code)") from None


def check_iou(iou: Callable, quiet: bool = False) -> int:
    """Check ``iou(box1, box2)`` on boxes given as ``(x1, y1, x2, y2)`` tuples.

    Raises :class:`~cnnlib.practice.Mistake` naming the first wrong case and, when the answer
    matches one, the typical mistake; prints a line and returns the number of cases when all
    pass. Section 3.6.
    """
    for i, (label, b1, b2) in enumerate(_IOU_CASES, 1):
        got = _call("iou", iou, tuple(b1), tuple(b2))
        try:
            got = np.asarray(float(got))
        except (TypeError, ValueError):
            raise Mistake(f"iou, case {i} ({label}): your function returned "
                          f"{type(got).__name__}, expected a number") from None
        want = np.asarray(_iou(b1, b2))
        mistakes = [(d, (lambda kw=kw, b1=b1, b2=b2: np.asarray(_iou(b1, b2, **kw))))
                    for d, kw in _IOU_MISTAKES]
        compare(f"iou, case {i} ({label})", got, want, mistakes, check_dtype=False)
    if not quiet:
        print(f"iou: all {len(_IOU_CASES)} cases pass")
    return len(_IOU_CASES)


# --- NMS -----------------------------------------------------------------------------------------

def _iou_matrix(boxes, plus_one=False):
    n = len(boxes)
    return np.array([[_iou(boxes[i], boxes[j], plus_one=plus_one) for j in range(n)]
                     for i in range(n)])


def _greedy(boxes, scores, t, order="score", compare_op="gt", greedy=True, result="score",
            classes=None):
    iou = _iou_matrix(boxes)
    if classes is not None:
        iou = np.where(np.equal.outer(classes, classes), iou, 0.0)
    n = len(boxes)
    if order == "score":
        seq = sorted(range(n), key=lambda i: (-scores[i], i))
    elif order == "ascending":
        seq = sorted(range(n), key=lambda i: (scores[i], i))
    else:
        seq = list(range(n))
    over = iou > t if compare_op == "gt" else iou >= t
    keep, removed = [], np.zeros(n, bool)
    for pos, i in enumerate(seq):
        if greedy:
            if removed[i]:
                continue
            keep.append(i)
            removed |= over[i]
        else:       # drop a box if ANY better box overlaps it, even one that was dropped
            if not any(over[j, i] for j in seq[:pos]):
                keep.append(i)
    if result == "index":
        keep = sorted(keep)
    return np.array(keep, dtype=np.int64)


_NMS_MISTAKES = [
    ("the boxes were taken in the order given, not by decreasing score: sort by score first "
     "(np.argsort(-scores))", dict(order="input")),
    ("the boxes were taken from the lowest score up: the best box must come first",
     dict(order="ascending")),
    ("a box whose IoU equals the threshold was removed: suppress only when IoU > threshold",
     dict(compare_op="ge")),
    ("a box that was already suppressed still suppressed others: in greedy NMS only the boxes "
     "you keep remove their neighbours", dict(greedy=False)),
    ("the kept indices are in index order; return them best score first",
     dict(result="index")),
]


def _nms_cases():
    rng = np.random.default_rng(3)
    cases = [
        ("two copies of one object and one other object",
         [(0, 0, 10, 10), (1, 1, 11, 11), (20, 20, 30, 30)], [0.9, 0.8, 0.7], 0.5),
        ("the best box is not the first",
         [(0, 0, 10, 10), (1, 0, 11, 10), (30, 0, 40, 10), (31, 1, 41, 11)],
         [0.6, 0.7, 0.9, 0.8], 0.5),
        ("a chain: A overlaps B, B overlaps C, A does not overlap C",
         [(0, 0, 10, 10), (6, 0, 16, 10), (12, 0, 22, 10)], [0.9, 0.8, 0.7], 0.2),
        ("an IoU exactly at the threshold",
         [(0, 0, 2, 1), (1, 0, 3, 1)], [0.9, 0.8], 1 / 3),
    ]
    c = rng.uniform(0, 40, (5, 2))
    centres = c[rng.integers(5, size=12)] + rng.normal(0, 2, (12, 2))
    wh = rng.uniform(6, 12, (12, 2))
    boxes = [tuple(float(v) for v in np.r_[p - s / 2, p + s / 2]) for p, s in zip(centres, wh)]
    cases.append(("a crowded scene", boxes, list(rng.permutation(12) / 12 + 0.05), 0.4))
    return cases


def check_nms(nms: Callable, quiet: bool = False) -> int:
    """Check ``nms(boxes, scores, iou_threshold)`` -> kept indices, best score first.

    ``boxes`` is an (N, 4) float array of ``(x1, y1, x2, y2)``, ``scores`` (N,). Any sequence of
    integers is accepted as the answer. Raises :class:`~cnnlib.practice.Mistake` naming the
    first wrong case and the typical mistake it matches. Section 3.7.
    """
    cases = _nms_cases()
    for i, (label, boxes, scores, t) in enumerate(cases, 1):
        b, s = np.array(boxes, dtype=np.float64), np.array(scores, dtype=np.float64)
        got = _call("nms", nms, b.copy(), s.copy(), t)
        got = np.asarray(got).astype(np.int64).reshape(-1) if np.size(got) else \
            np.zeros(0, np.int64)
        want = _greedy(boxes, scores, t)
        mistakes = [(d, (lambda kw=kw, boxes=boxes, scores=scores, t=t:
                         _greedy(boxes, scores, t, **kw))) for d, kw in _NMS_MISTAKES]
        compare(f"nms, case {i} ({label})", got, want, mistakes, check_dtype=False)
    if not quiet:
        print(f"nms: all {len(cases)} cases pass")
    return len(cases)


def check_batched_nms(batched_nms: Callable, quiet: bool = False) -> int:
    """Check ``batched_nms(boxes, scores, classes, iou_threshold)``: NMS within each class.

    Two overlapping boxes of different classes must both survive; the kept indices come best
    score first. Diagnoses suppression across classes and the mistakes of :func:`check_nms`.
    Section 3.7.
    """
    cases = [
        ("a cat and a dog in the same place",
         [(0, 0, 10, 10), (1, 1, 11, 11)], [0.9, 0.8], [0, 1], 0.5),
        ("two cats, one dog",
         [(0, 0, 10, 10), (1, 1, 11, 11), (0, 1, 10, 11)], [0.9, 0.8, 0.85], [0, 0, 1], 0.5),
    ]
    for label, boxes, scores, t in _nms_cases():
        cl = list(np.random.default_rng(len(boxes)).integers(0, 2, len(boxes)))
        cases.append((label + ", two classes", boxes, scores, cl, t))
    for i, (label, boxes, scores, classes, t) in enumerate(cases, 1):
        b, s = np.array(boxes, dtype=np.float64), np.array(scores, dtype=np.float64)
        c = np.array(classes, dtype=np.int64)
        got = _call("batched_nms", batched_nms, b.copy(), s.copy(), c.copy(), t)
        got = np.asarray(got).astype(np.int64).reshape(-1) if np.size(got) else \
            np.zeros(0, np.int64)
        want = _greedy(boxes, scores, t, classes=c)
        mistakes = [("boxes of different classes suppressed each other: run NMS within each "
                     "class (a person in front of a car is two objects)",
                     lambda boxes=boxes, scores=scores, t=t: _greedy(boxes, scores, t)),
                    ("each class's survivors are right, but they must be merged best score "
                     "first, not one class after the other",
                     lambda boxes=boxes, scores=scores, t=t, c=c: np.concatenate(
                         [np.flatnonzero(c == k)[_greedy([boxes[j] for j in np.flatnonzero(
                             c == k)], [scores[j] for j in np.flatnonzero(c == k)], t)]
                          for k in np.unique(c)]).astype(np.int64))]
        mistakes += [(d, (lambda kw=kw, boxes=boxes, scores=scores, t=t, c=c:
                          _greedy(boxes, scores, t, classes=c, **kw)))
                     for d, kw in _NMS_MISTAKES]
        compare(f"batched_nms, case {i} ({label})", got, want, mistakes, check_dtype=False)
    if not quiet:
        print(f"batched_nms: all {len(cases)} cases pass")
    return len(cases)
