"""cnnlib.data.scenes: seeded scenes whose boxes, masks, labels and keypoints agree."""

import math

import numpy as np
import pytest

from cnnlib.data import COIN_BOXES, coins, scenes


def test_scenes_are_seeded_per_scene_and_consistent():
    a = scenes(12, 48, seed=3)
    b = scenes(5, 48, seed=3)
    np.testing.assert_array_equal(a.images[:5], b.images)
    for i in range(5):
        np.testing.assert_array_equal(a.boxes[i], b.boxes[i])
    assert a.images.dtype == np.float32 and a.images.shape == (12, 3, 48, 48)
    assert a.images.min() >= 0 and a.images.max() <= 1
    assert len(a) == 12 and a.counts.sum() == sum(len(x) for x in a.labels)
    c = scenes(5, 48, seed=4)
    assert not np.array_equal(c.images, b.images)


def test_boxes_masks_and_keypoints_agree():
    s = scenes(20, 64, seed=1, objects=(1, 4), max_overlap=0.3, min_visible=0.6)
    for i in range(len(s)):
        boxes, labels = s.boxes[i], s.labels[i]
        assert 1 <= len(boxes) <= 4 and len(labels) == len(boxes) == len(s.keypoints[i])
        assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
        for j, (box, label) in enumerate(zip(boxes, labels)):
            visible = s.instances[i] == j + 1
            assert visible.any()
            ys, xs = np.nonzero(visible)
            # every visible pixel of the object lies in its box
            assert xs.min() >= box[0] and xs.max() < box[2]
            assert ys.min() >= box[1] and ys.max() < box[3]
            assert (s.semantic[i][visible] == label + 1).all()
            kp = s.keypoints[i][j]
            # keypoints sit on the shape (a thin star tip may fall just outside its mask)
            assert ((kp[:, 0] > box[0] - 3) & (kp[:, 0] < box[2] + 3)).all()
            assert ((kp[:, 1] > box[1] - 3) & (kp[:, 1] < box[3] + 3)).all()
        assert ((s.semantic[i] == 0) == (s.instances[i] == 0)).all()
        # pairwise overlap stays under the cap
        for p in range(len(boxes)):
            for q in range(p):
                a, b = boxes[p], boxes[q]
                iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
                ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
                union = np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - iw * ih
                assert iw * ih / union <= 0.3 + 1e-6


def test_options_are_honoured():
    s = scenes(15, 40, seed=2, classes=("star",), objects=(0, 1), rotation=(0.0, 0.0),
               background_kind="plain", clutter=0, noise=0.0)
    assert set(s.counts.tolist()) <= {0, 1} and 0 in s.counts.tolist()
    for kps in s.keypoints:
        for kp in kps:
            assert kp.shape == (5, 2)
            # unrotated: the first tip points straight up
            assert kp[0, 1] == pytest.approx(kp[:, 1].min())
    sizes = scenes(30, 64, seed=5, radius=(0.15, 0.15), objects=(1, 1))
    for b, kind in zip(sizes.boxes, sizes.labels):
        assert b[0, 2] - b[0, 0] <= 2 * 0.15 * 64 + 1


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(classes=()), ValueError, "at least one"),
    (dict(classes=("blob",)), ValueError, "classes"),
    (dict(objects=(3, 1)), ValueError, "low <= high"),
    (dict(objects=3), TypeError, "objects"),
    (dict(radius=(0.3, 0.1)), ValueError, "radius"),
    (dict(background_kind="sky"), ValueError, "background_kind"),
    (dict(max_overlap=1.5), ValueError, "max_overlap"),
    (dict(size=4), ValueError, "size"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        scenes(2, **kwargs)


def test_coins_photo_and_its_boxes():
    img, boxes = coins()
    assert img.shape == (303, 384) and img.dtype == np.float32
    assert boxes.shape == (24, 4) and (boxes[:, 2] > boxes[:, 0]).all()
    assert (boxes[:, 2] <= 384).all() and (boxes[:, 3] <= 303).all()
    # a coin is brighter than the dark cloth around it
    inside = np.mean([img[int(b[1]) + 8:int(b[3]) - 8, int(b[0]) + 8:int(b[2]) - 8].mean()
                      for b in boxes])
    assert inside > img.mean() + 0.05
    boxes[0, 0] = -1
    assert COIN_BOXES[0, 0] == 21        # a copy: the module's boxes are not changed
