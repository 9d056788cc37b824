"""cnnlib.viz.explorers.detection: the IoU (3.6) and NMS (3.7) explorers, outside notebooks."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from cnnlib import numpy_ops as nops
from cnnlib.viz.explorers.detection import (crowded_detections, draw_iou, draw_nms, iou_explorer,
                                            nms_explorer, show_detections, two_boxes)
from cnnlib.viz.widgets import Explorer


@pytest.mark.parametrize("dx,dy,scale", [(0, 0, 1.0), (2, 0, 1.0), (-8, 4, 0.5), (4, -4, 1.5),
                                         (20, 0, 1.0)])
def test_two_boxes_counts_intersection_and_union(dx, dy, scale):
    t = two_boxes(dx, dy, scale)
    # count the unit cells covered by both boxes on a fine grid (all corners are multiples of 1)
    ys, xs = np.mgrid[-30:40:0.5, -30:40:0.5] + 0.25
    def inside(b):
        return (xs >= b[0]) & (xs < b[2]) & (ys >= b[1]) & (ys < b[3])
    inter = (inside(t.a) & inside(t.b)).sum() * 0.25
    union = (inside(t.a) | inside(t.b)).sum() * 0.25
    assert t.intersection == pytest.approx(inter) and t.union == pytest.approx(union)
    assert t.iou == pytest.approx(inter / union)


def test_identical_boxes_have_iou_one_and_far_boxes_zero():
    assert two_boxes(0, 0, 1.0).iou == pytest.approx(1.0)
    assert two_boxes(20, 0, 1.0).iou == 0.0


def test_crowded_detections_surround_every_object_and_are_seeded():
    s = crowded_detections(seed=0, per_object=12, false_alarms=6)
    assert len(s.boxes) == len(s.scores) == len(s.labels) == 12 * len(s.truth) + 6
    assert np.array_equal(s.boxes, crowded_detections(seed=0).boxes)
    best = nops.box_iou(s.truth, s.boxes).max(axis=1)
    assert (best > 0.5).all()
    assert ((s.scores > 0) & (s.scores < 1)).all()


def test_nms_keeps_more_boxes_as_its_threshold_rises():
    s = crowded_detections(seed=0)
    keep = s.scores >= 0.6
    counts = [len(nops.batched_nms(s.boxes[keep], s.scores[keep], s.labels[keep], t))
              for t in (0.1, 0.3, 0.5, 0.7, 0.9)]
    assert counts == sorted(counts) and counts[-1] > 2 * counts[0]
    assert counts[1] == len(s.truth)          # a low threshold leaves one box per object here


def test_drawings_are_figures_and_explorers_are_explorers():
    assert isinstance(draw_iou(2, 0, 1.0), Figure)
    assert isinstance(draw_nms(0.5, 0.3), Figure)
    s = crowded_detections(seed=1)
    fig = show_detections(s.image[None], [(s.truth, s.truth_labels)],
                          [(s.boxes[:3], s.scores[:3], s.labels[:3])])
    assert isinstance(fig, Figure)
    assert isinstance(iou_explorer(dx=(0, 2), dy=(0,), scale=(1.0,)), Explorer)
    assert isinstance(nms_explorer(iou_threshold=(0.3, 0.5), score_threshold=(0.3,)), Explorer)
