"""cnnlib.vision.anchors: shape IoU, the anchor grid, k-means with 1 - IoU, the RPN's labels."""

import numpy as np
import pytest

from cnnlib import numpy_ops as nops
from cnnlib.vision import anchors as A


def test_shape_iou_is_the_iou_of_centred_boxes():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(1, 20, (5, 2)), rng.uniform(1, 20, (4, 2))
    centred = lambda wh: np.concatenate([-wh / 2, wh / 2], 1)
    np.testing.assert_allclose(A.shape_iou(a, b), nops.box_iou(centred(a), centred(b)))


def test_anchor_grid_centres_every_shape_on_every_cell():
    g = A.anchor_grid(4, 64, [[8, 16], [20, 10]])
    assert g.shape == (4, 4, 2, 4)
    np.testing.assert_allclose(g[1, 2, 0], [40 - 4, 24 - 8, 40 + 4, 24 + 8])
    np.testing.assert_allclose(g[..., 2] - g[..., 0], np.broadcast_to([8, 20], (4, 4, 2)))


def test_kmeans_recovers_well_separated_shapes():
    rng = np.random.default_rng(1)
    truth = np.array([[6.0, 6.0], [30.0, 10.0], [12.0, 40.0]])
    wh = np.concatenate([t * np.exp(rng.normal(0, 0.05, (60, 2))) for t in truth])
    result = A.kmeans_anchors(wh, 3, seed=0)
    np.testing.assert_allclose(result.anchors, truth[[0, 1, 2]][np.argsort(truth.prod(1))],
                               rtol=0.05)
    assert result.mean_iou > 0.85
    assert np.bincount(result.assignment).tolist() == [60, 60, 60]
    # more anchors never serve the boxes worse
    ious = [A.kmeans_anchors(wh, k, seed=0).mean_iou for k in (1, 2, 3, 5)]
    assert all(x <= y + 1e-9 for x, y in zip(ious, ious[1:]))


def test_kmeans_is_seeded_and_checks_its_input():
    wh = np.random.default_rng(2).uniform(2, 30, (50, 2))
    a, b = A.kmeans_anchors(wh, 4, seed=3), A.kmeans_anchors(wh, 4, seed=3)
    np.testing.assert_array_equal(a.anchors, b.anchors)
    with pytest.raises(ValueError, match="cannot make"):
        A.kmeans_anchors(wh[:3], 4)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        A.kmeans_anchors(np.zeros((5, 3)), 2)
    with pytest.raises(TypeError, match="k"):
        A.kmeans_anchors(wh, 2.0)


def test_label_anchors_follows_faster_rcnn():
    anchors = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [5, 5, 15, 15], [50, 50, 60, 60],
                        [0, 0, 4, 10]], float)
    gt = np.array([[0, 0, 10, 10], [48, 48, 58, 58]], float)
    labels, matched = A.label_anchors(anchors, gt, high=0.7, low=0.3)
    iou = nops.box_iou(anchors, gt)
    assert labels[0] == 1 and matched[0] == 0               # IoU 1
    assert labels[1] == -1                                  # IoU 0.68: in between, ignored
    assert labels[2] == 0                                   # IoU 0.14
    assert labels[3] == 1 and matched[3] == 1 and iou[3, 1] < 0.7   # object 1's best anchor
    assert labels[4] == -1 and 0.3 < iou[4, 0] < 0.7        # ignored as well
    labels, matched = A.label_anchors(anchors, np.zeros((0, 4)))
    assert (labels == 0).all() and (matched == -1).all()
