"""cnnlib.practice.part3: each checker passes the right answer and names each typical mistake."""

import numpy as np
import pytest

from cnnlib import numpy_ops as nops
from cnnlib.practice import Mistake
from cnnlib.practice.part3 import check_batched_nms, check_iou, check_nms


def iou_right(b1, b2):
    iw = max(min(b1[2], b2[2]) - max(b1[0], b2[0]), 0)
    ih = max(min(b1[3], b2[3]) - max(b1[1], b2[1]), 0)
    inter = iw * ih
    union = (b1[2] - b1[0]) * (b1[3] - b1[1]) + (b2[2] - b2[0]) * (b2[3] - b2[1]) - inter
    return inter / union


def iou_union_twice(b1, b2):
    iw = max(min(b1[2], b2[2]) - max(b1[0], b2[0]), 0)
    ih = max(min(b1[3], b2[3]) - max(b1[1], b2[1]), 0)
    return iw * ih / ((b1[2] - b1[0]) * (b1[3] - b1[1]) + (b2[2] - b2[0]) * (b2[3] - b2[1]))


def iou_no_clamp(b1, b2):
    iw = min(b1[2], b2[2]) - max(b1[0], b2[0])
    ih = min(b1[3], b2[3]) - max(b1[1], b2[1])
    inter = iw * ih
    return inter / ((b1[2] - b1[0]) * (b1[3] - b1[1]) + (b2[2] - b2[0]) * (b2[3] - b2[1]) - inter)


def iou_clamp_product(b1, b2):
    iw = min(b1[2], b2[2]) - max(b1[0], b2[0])
    ih = min(b1[3], b2[3]) - max(b1[1], b2[1])
    inter = max(iw * ih, 0)
    return inter / ((b1[2] - b1[0]) * (b1[3] - b1[1]) + (b2[2] - b2[0]) * (b2[3] - b2[1]) - inter)


def iou_plus_one(b1, b2):
    iw = max(min(b1[2], b2[2]) - max(b1[0], b2[0]) + 1, 0)
    ih = max(min(b1[3], b2[3]) - max(b1[1], b2[1]) + 1, 0)
    inter = iw * ih
    a1 = (b1[2] - b1[0] + 1) * (b1[3] - b1[1] + 1)
    a2 = (b2[2] - b2[0] + 1) * (b2[3] - b2[1] + 1)
    return inter / (a1 + a2 - inter)


def iou_over_min(b1, b2):
    iw = max(min(b1[2], b2[2]) - max(b1[0], b2[0]), 0)
    ih = max(min(b1[3], b2[3]) - max(b1[1], b2[1]), 0)
    return iw * ih / min((b1[2] - b1[0]) * (b1[3] - b1[1]), (b2[2] - b2[0]) * (b2[3] - b2[1]))


def test_check_iou_passes_the_right_answer(capsys):
    assert check_iou(iou_right) == 7
    assert "all 7 cases pass" in capsys.readouterr().out
    check_iou(lambda a, b: float(nops.box_iou(np.array([a], float), np.array([b], float))[0, 0]))


@pytest.mark.parametrize("fn, diagnosis", [
    (iou_union_twice, "counts the overlap twice"),
    (iou_no_clamp, "not clamped to zero"),
    (iou_clamp_product, "clamped only after multiplying"),
    (iou_plus_one, "added 1"),
    (iou_over_min, "smaller box"),
])
def test_check_iou_names_each_mistake(fn, diagnosis):
    with pytest.raises(Mistake, match=diagnosis):
        check_iou(fn)


def test_check_iou_reports_unknown_errors_and_unwritten_code():
    with pytest.raises(Mistake, match="wrong values"):
        check_iou(lambda a, b: 0.5)
    with pytest.raises(Mistake, match="expected a number"):
        check_iou(lambda a, b: "high")

    def todo(a, b):
        raise NotImplementedError

    with pytest.raises(Mistake, match="not written yet"):
        check_iou(todo)


def _matrix(boxes):
    return nops.box_iou(np.asarray(boxes, float), np.asarray(boxes, float))


def nms_right(boxes, scores, t):
    iou = _matrix(boxes)
    keep, alive = [], list(np.argsort(-scores, kind="stable"))
    while alive:
        i = alive.pop(0)
        keep.append(i)
        alive = [j for j in alive if iou[i, j] <= t]
    return keep


def nms_input_order(boxes, scores, t):
    iou = _matrix(boxes)
    keep, alive = [], list(range(len(boxes)))
    while alive:
        i = alive.pop(0)
        keep.append(i)
        alive = [j for j in alive if iou[i, j] <= t]
    return keep


def nms_ge(boxes, scores, t):
    iou = _matrix(boxes)
    keep, alive = [], list(np.argsort(-scores, kind="stable"))
    while alive:
        i = alive.pop(0)
        keep.append(i)
        alive = [j for j in alive if iou[i, j] < t]
    return keep


def nms_not_greedy(boxes, scores, t):
    iou = _matrix(boxes)
    order = list(np.argsort(-scores, kind="stable"))
    return [i for k, i in enumerate(order) if not any(iou[j, i] > t for j in order[:k])]


def nms_index_order(boxes, scores, t):
    return sorted(nms_right(boxes, scores, t))


def test_check_nms_passes_the_right_answer_and_the_library(capsys):
    assert check_nms(nms_right) == 5
    check_nms(lambda b, s, t: nops.nms(b, s, t))
    assert "nms: all 5 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("fn, diagnosis", [
    (nms_input_order, "order given"),
    (nms_ge, "equals the threshold"),
    (nms_not_greedy, "already suppressed"),
    (nms_index_order, "index order"),
])
def test_check_nms_names_each_mistake(fn, diagnosis):
    with pytest.raises(Mistake, match=diagnosis):
        check_nms(fn)


def batched_right(boxes, scores, classes, t):
    keep = []
    for c in np.unique(classes):
        idx = np.flatnonzero(classes == c)
        keep += [idx[k] for k in nms_right(boxes[idx], scores[idx], t)]
    return sorted(keep, key=lambda i: (-scores[i], i))


def batched_across_classes(boxes, scores, classes, t):
    return nms_right(boxes, scores, t)


def batched_class_by_class(boxes, scores, classes, t):
    keep = []
    for c in np.unique(classes):
        idx = np.flatnonzero(classes == c)
        keep += [idx[k] for k in nms_right(boxes[idx], scores[idx], t)]
    return keep


def test_check_batched_nms():
    assert check_batched_nms(batched_right, quiet=True) == 7
    check_batched_nms(lambda b, s, c, t: nops.batched_nms(b, s, c, t), quiet=True)
    with pytest.raises(Mistake, match="different classes suppressed each other"):
        check_batched_nms(batched_across_classes)
    with pytest.raises(Mistake, match="one class after the other"):
        check_batched_nms(batched_class_by_class)
