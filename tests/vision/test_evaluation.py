"""cnnlib.vision.evaluation: the teaching AP equals pycocotools' AP at IoU 0.5 (and 0.75)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib.vision import evaluation as E


def _random_case(seed, n_images=6, classes=3):
    """Ground truth and noisy detections: jittered copies, misses, false alarms, tied scores."""
    rng = np.random.default_rng(seed)
    gb, gl, db, ds, dl = [], [], [], [], []
    for _ in range(n_images):
        k = rng.integers(0, 5)
        xy = rng.uniform(0, 80, (k, 2))
        wh = rng.uniform(5, 30, (k, 2))
        boxes = np.concatenate([xy, xy + wh], 1)
        labels = rng.integers(0, classes, k)
        gb.append(boxes)
        gl.append(labels)
        dets, scores, dlab = [], [], []
        for b, l in zip(boxes, labels):
            for _ in range(rng.integers(0, 3)):             # 0, 1 or 2 detections per object
                dets.append(b + rng.normal(0, rng.choice([0.5, 3.0]), 4))
                scores.append(rng.choice([rng.random(), 0.5]))
                dlab.append(l if rng.random() > 0.1 else (l + 1) % classes)
        for _ in range(rng.integers(0, 3)):                 # false alarms
            xy = rng.uniform(0, 80, 2)
            dets.append(np.r_[xy, xy + rng.uniform(5, 30, 2)])
            scores.append(rng.random())
            dlab.append(rng.integers(0, classes))
        d = np.array(dets, float).reshape(-1, 4)
        d[:, 2:] = np.maximum(d[:, 2:], d[:, :2])
        db.append(d)
        ds.append(np.array(scores, float))
        dl.append(np.array(dlab, np.int64))
    return gb, gl, db, ds, dl


@settings(max_examples=40)
@given(st.integers(0, 10_000))
def test_teaching_ap_equals_pycocotools(seed):
    gb, gl, db, ds, dl = _random_case(seed)
    coco = E.coco_evaluate(gb, gl, db, ds, dl, ("a", "b", "c"), 100)
    for t, key in ((0.5, "mAP50"), (0.75, "mAP75")):
        ours = E.average_precision_by_class(db, ds, dl, gb, gl, 3, iou_threshold=t)
        if not ours["AP"]:
            continue
        assert ours["mAP"] == pytest.approx(coco.stats[key], abs=1e-9)
    ours50 = E.average_precision_by_class(db, ds, dl, gb, gl, 3, iou_threshold=0.5)
    for c, ap in ours50["AP"].items():
        assert ap == pytest.approx(coco.ap50[c], abs=1e-9)
    # COCO's headline number is the mean over the ten IoU thresholds
    if ours50["AP"]:
        mean = np.mean([E.average_precision_by_class(db, ds, dl, gb, gl, 3, t)["mAP"]
                        for t in E.COCO_IOUS])
        assert mean == pytest.approx(coco.stats["mAP"], abs=1e-9)


def test_perfect_and_empty_detections():
    gb = [np.array([[0, 0, 10, 10], [20, 20, 30, 35]], float)]
    gl = [np.array([0, 1])]
    r = E.coco_evaluate(gb, gl, gb, [np.array([0.9, 0.8])], gl, ("a", "b"), 64)
    assert r.stats["mAP"] == pytest.approx(1.0) and r.stats["mAP50"] == pytest.approx(1.0)
    assert E.average_precision_by_class(gb, [np.array([0.9, 0.8])], gl, gb, gl, 2)["mAP"] == \
        pytest.approx(1.0)
    none = E.coco_evaluate(gb, gl, [np.zeros((0, 4))], [np.zeros(0)], [np.zeros(0, int)],
                           ("a", "b"), 64)
    assert none.stats["mAP"] == 0.0 and none.precision.shape == (10, 101, 2)


def test_average_precision_envelopes_and_methods():
    # precision 1, 0.5, 0.67 at recall 0.5, 0.5, 1: the envelope lifts the middle point
    p, r = np.array([1.0, 0.5, 2 / 3]), np.array([0.5, 0.5, 1.0])
    assert E.average_precision(p, r, "all") == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    coco = E.average_precision(p, r, "coco")
    assert coco == pytest.approx((51 * 1 + 50 * 2 / 3) / 101)
    assert E.average_precision([], [], "coco") == 0.0
    with pytest.raises(ValueError, match="method"):
        E.average_precision(p, r, "voc07")


def test_match_detections_uses_each_object_once():
    gt = np.array([[0, 0, 10, 10]], float)
    dets = np.array([[0, 0, 10, 10], [0, 0, 10, 9.5]], float)
    order, tp = E.match_detections(dets, [0.5, 0.9], gt, 0.5)
    assert order.tolist() == [1, 0] and tp.tolist() == [True, False]


def test_to_coco_writes_xywh_and_ids():
    gt, res = E.to_coco([np.array([[1.0, 2.0, 4.0, 8.0]])], [np.array([1])],
                        [np.array([[1.0, 2.0, 5.0, 6.0]])], [np.array([0.7])],
                        [np.array([0])], ("a", "b"), (20, 30))
    assert gt["annotations"][0]["bbox"] == [1.0, 2.0, 3.0, 6.0]
    assert gt["annotations"][0]["category_id"] == 2 and gt["annotations"][0]["area"] == 18.0
    assert gt["images"][0] == {"id": 1, "width": 30, "height": 20}
    assert res[0] == {"image_id": 1, "category_id": 1, "bbox": [1.0, 2.0, 4.0, 4.0],
                      "score": 0.7}
