"""Evaluating a detector: precision, recall, average precision, and COCO's mAP (section 3.9).

A detection is a *true positive* when it overlaps a ground-truth box of its class with IoU at
least ``t`` that no better-scored detection has already claimed, otherwise a *false positive*.
Going down the detections in order of score, precision (the fraction of detections so far that
are right) and recall (the fraction of objects found so far) trace a curve; the *average
precision* (AP) is the area under it, made monotone first. mAP averages AP over the classes;
COCO's headline number also averages over ``t = 0.5, 0.55, ..., 0.95``.

:func:`average_precision_by_class` computes AP in NumPy for teaching; :func:`coco_evaluate`
converts the same detections and ground truth to COCO's format and lets ``pycocotools``, the
reference implementation, compute the numbers. A test holds the first against the second.

Detections and ground truth are given per image, as parallel lists: ``boxes[i]`` (k_i, 4)
``'xyxy'`` pixels, ``labels[i]`` (k_i,) class indices, and for detections ``scores[i]`` (k_i,).
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import numpy as np

from .. import _checks as V
from .. import numpy_ops as nops

__all__ = ["match_detections", "precision_recall", "average_precision",
           "average_precision_by_class", "to_coco", "coco_evaluate", "CocoResult"]

#: COCO's IoU thresholds 0.5:0.05:0.95 and its 101 recall points 0:0.01:1.
COCO_IOUS = np.linspace(0.5, 0.95, 10)
COCO_RECALLS = np.linspace(0.0, 1.0, 101)


def _per_image(op, name, arrays, n=None, width=None):
    if not isinstance(arrays, (list, tuple)):
        raise TypeError(f"{op}: {name} must be a list with one array per image, got "
                        f"{type(arrays).__name__}")
    if n is not None and len(arrays) != n:
        raise ValueError(f"{op}: {name} has {len(arrays)} images, expected {n}")
    out = []
    for i, a in enumerate(arrays):
        a = np.asarray(a.detach().cpu() if hasattr(a, "detach") else a)
        if width is not None:
            a = a.reshape(-1, width)
        out.append(a)
    return out


def _detections_args(op, gt_boxes, gt_labels, det_boxes, det_scores, det_labels):
    """The five per-image lists of a detection evaluation, checked to agree image by image."""
    gb = _per_image(op, "gt_boxes", gt_boxes, width=4)
    n = len(gb)
    return (gb, _per_image(op, "gt_labels", gt_labels, n),
            _per_image(op, "det_boxes", det_boxes, n, width=4),
            _per_image(op, "det_scores", det_scores, n),
            _per_image(op, "det_labels", det_labels, n))


def match_detections(det_boxes, det_scores, gt_boxes, iou_threshold: float = 0.5):
    """Which detections of one image and one class are true positives.

    Detections are taken by decreasing score (ties in input order); each is matched to the
    unmatched ground-truth box it overlaps most, if that IoU is at least ``iou_threshold``
    (COCO's rule). Returns ``(order, tp)``: the detection indices by score and a bool array,
    in that order, of the matches. Section 3.9.
    """
    t = V.check_number("match_detections", "iou_threshold", iou_threshold, 0.0, 1.0)
    det_boxes = np.asarray(det_boxes, dtype=np.float64).reshape(-1, 4)
    gt_boxes = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(det_scores, dtype=np.float64).reshape(-1)
    order = np.argsort(-scores, kind="mergesort")
    tp = np.zeros(len(order), bool)
    if len(gt_boxes) == 0 or len(order) == 0:
        return order, tp
    iou = nops.box_iou(det_boxes[order], gt_boxes)
    taken = np.zeros(len(gt_boxes), bool)
    for k in range(len(order)):
        best, match = min(t, 1 - 1e-10), -1
        for g in range(len(gt_boxes)):          # the last of equal IoUs wins, as in pycocotools
            if taken[g] or iou[k, g] < best:
                continue
            best, match = iou[k, g], g
        if match >= 0:
            taken[match] = True
            tp[k] = True
    return order, tp


def precision_recall(det_boxes, det_scores, det_labels, gt_boxes, gt_labels, label: int,
                     iou_threshold: float = 0.5, max_detections: int = 100):
    """Precision and recall of class ``label`` over a data set, one point per detection.

    In each image, the class's detections are sorted by score and cut to ``max_detections``
    (COCO keeps 100), then matched (:func:`match_detections`). All images' detections are
    then sorted by score together; after the first ``k``,

    .. math:: \\text{precision}_k = \\frac{TP_k}{k}, \\qquad
              \\text{recall}_k = \\frac{TP_k}{\\text{number of objects of the class}}.

    Returns ``(precision, recall, scores)``, each (D,), and the number of objects. Section 3.9.
    """
    op = "precision_recall"
    gb, gl, db, ds, dl = _detections_args(op, gt_boxes, gt_labels, det_boxes, det_scores,
                                          det_labels)
    n = len(gb)
    m = V.check_int(op, "max_detections", max_detections, minimum=1)
    all_scores, all_tp, n_obj = [], [], 0
    for i in range(n):
        g = gb[i][gl[i].reshape(-1) == label]
        n_obj += len(g)
        mine = dl[i].reshape(-1) == label
        order, tp = match_detections(db[i][mine][np.argsort(-ds[i][mine], kind="mergesort")[:m]],
                                     np.sort(ds[i][mine])[::-1][:m], g, iou_threshold)
        all_scores.append(np.sort(ds[i][mine])[::-1][:m][order])
        all_tp.append(tp)
    scores = np.concatenate(all_scores) if all_scores else np.zeros(0)
    tp = np.concatenate(all_tp) if all_tp else np.zeros(0, bool)
    order = np.argsort(-scores, kind="mergesort")
    scores, tp = scores[order], tp[order]
    ctp = np.cumsum(tp)
    precision = ctp / (np.arange(len(tp)) + 1 + np.spacing(1))
    recall = ctp / n_obj if n_obj else np.zeros(len(tp))
    return precision, recall, scores, n_obj


def average_precision(precision, recall, method: str = "coco") -> float:
    """The area under a precision-recall curve, made monotone first.

    The precision at recall ``r`` is replaced by the best precision at any recall
    ``>= r`` (the envelope), then: ``'coco'`` averages it at the 101 recalls 0, 0.01, ..., 1
    (a recall never reached counts 0), as pycocotools does; ``'all'`` sums it over every step
    in recall (PASCAL VOC since 2010). Section 3.9.
    """
    V.check_choice("average_precision", "method", method, ("coco", "all"))
    p = np.asarray(precision, dtype=np.float64).copy()
    r = np.asarray(recall, dtype=np.float64)
    if len(p) == 0:
        return 0.0
    for i in range(len(p) - 1, 0, -1):        # the envelope, from the right
        p[i - 1] = max(p[i - 1], p[i])
    if method == "coco":
        idx = np.searchsorted(r, COCO_RECALLS, side="left")
        q = np.where(idx < len(p), p[np.minimum(idx, len(p) - 1)], 0.0)
        return float(q.mean())
    steps = np.diff(np.concatenate([[0.0], r]))
    return float((steps * p).sum())


def average_precision_by_class(det_boxes, det_scores, det_labels, gt_boxes, gt_labels,
                               num_classes: int, iou_threshold: float = 0.5,
                               method: str = "coco") -> dict:
    """AP of every class that has objects, and their mean (mAP), at one IoU threshold.

    Returns ``{"mAP": ..., "AP": {label: ap}}``. With ``method='coco'`` it reproduces
    pycocotools' AP at that threshold. Section 3.9.
    """
    k = V.check_int("average_precision_by_class", "num_classes", num_classes, minimum=1)
    aps = {}
    for c in range(k):
        p, r, _, n_obj = precision_recall(det_boxes, det_scores, det_labels, gt_boxes,
                                          gt_labels, c, iou_threshold)
        if n_obj:
            aps[c] = average_precision(p, r, method)
    return {"mAP": float(np.mean(list(aps.values()))) if aps else 0.0, "AP": aps}


def to_coco(gt_boxes, gt_labels, det_boxes, det_scores, det_labels, classes, image_size):
    """Ground truth and detections in COCO's JSON form: ``(dataset dict, results list)``.

    COCO stores a box as ``[x, y, w, h]`` (format ``'xywh'``), images and categories by id
    (image ``i`` gets id ``i + 1``, class ``c`` category id ``c + 1``), and every ground-truth
    annotation with its ``area`` and ``iscrowd = 0``. ``image_size`` is an int or
    ``(height, width)``. Section 3.9.
    """
    op = "to_coco"
    gb, gl, db, ds, dl = _detections_args(op, gt_boxes, gt_labels, det_boxes, det_scores,
                                          det_labels)
    n = len(gb)
    h, w = (image_size, image_size) if V.is_int(image_size) else tuple(image_size)
    images = [{"id": i + 1, "width": int(w), "height": int(h)} for i in range(n)]
    categories = [{"id": c + 1, "name": str(name)} for c, name in enumerate(classes)]
    annotations, results = [], []
    for i in range(n):
        for box, label in zip(nops.box_convert(gb[i].astype(np.float64), "xyxy", "xywh"),
                              gl[i].reshape(-1)):
            annotations.append({"id": len(annotations) + 1, "image_id": i + 1,
                                "category_id": int(label) + 1, "bbox": [float(v) for v in box],
                                "area": float(box[2] * box[3]), "iscrowd": 0})
        for box, score, label in zip(nops.box_convert(db[i].astype(np.float64), "xyxy", "xywh"),
                                     ds[i].reshape(-1), dl[i].reshape(-1)):
            results.append({"image_id": i + 1, "category_id": int(label) + 1,
                            "bbox": [float(v) for v in box], "score": float(score)})
    return {"images": images, "annotations": annotations, "categories": categories}, results


@dataclass(frozen=True)
class CocoResult:
    """What :func:`coco_evaluate` measured.

    ``stats``: COCO's summary (``mAP`` over IoU 0.5:0.95, ``mAP50``, ``mAP75``, ``mAP_small``,
    ``mAP_medium``, ``mAP_large``, ``AR1``, ``AR10``, ``AR100``, ...; -1 where undefined);
    ``ap50`` per class (dict label -> AP at IoU 0.5); ``precision`` (10, 101, K) the monotone
    precision at each IoU threshold, recall point and class (-1 for a class without objects);
    ``recall_points`` (101,), ``iou_thresholds`` (10,).
    """

    stats: dict
    ap50: dict
    precision: np.ndarray
    recall_points: np.ndarray
    iou_thresholds: np.ndarray


_STAT_NAMES = ("mAP", "mAP50", "mAP75", "mAP_small", "mAP_medium", "mAP_large",
               "AR1", "AR10", "AR100", "AR_small", "AR_medium", "AR_large")


def coco_evaluate(gt_boxes, gt_labels, det_boxes, det_scores, det_labels, classes,
                  image_size) -> CocoResult:
    """COCO's bounding-box evaluation by ``pycocotools``, the reference implementation.

    Converts with :func:`to_coco`, runs ``COCOeval`` (``iouType='bbox'``: IoU thresholds
    0.5:0.05:0.95, 101 recall points, at most 100 detections per image) and returns its summary
    and precision table as a :class:`CocoResult`, without pycocotools' printing. With no
    detection at all every AP is 0. Section 3.9.
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt, results = to_coco(gt_boxes, gt_labels, det_boxes, det_scores, det_labels, classes,
                          image_size)
    k = len(gt["categories"])
    present = sorted({a["category_id"] - 1 for a in gt["annotations"]})
    if not results:
        precision = np.zeros((10, 101, k))
        precision[:, :, [c for c in range(k) if c not in present]] = -1
        stats = {name: 0.0 for name in _STAT_NAMES}
        return CocoResult(stats, {c: 0.0 for c in present}, precision, COCO_RECALLS.copy(),
                          COCO_IOUS.copy())
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(results)
        ev = COCOeval(coco_gt, coco_dt, iouType="bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    precision = ev.eval["precision"][:, :, :, 0, -1]            # area 'all', 100 detections
    stats = {name: float(v) for name, v in zip(_STAT_NAMES, ev.stats)}
    ap50 = {c: float(precision[0, :, c].mean()) for c in present}
    return CocoResult(stats, ap50, precision, np.asarray(ev.params.recThrs),
                      np.asarray(ev.params.iouThrs))
