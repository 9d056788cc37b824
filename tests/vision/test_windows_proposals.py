"""Sliding windows, window training crops, selective-search proposals, segmentation IoU."""

import numpy as np
import pytest

from cnnlib import numpy_ops as nops
from cnnlib.data import scenes
from cnnlib.shapes import output_size
from cnnlib.vision.proposals import selective_search
from cnnlib.vision.segmentation import confusion_pixels, segmentation_iou
from cnnlib.vision.windows import sliding_windows, window_training_set


@pytest.mark.parametrize("h, w, f, s", [(20, 20, 14, 2), (31, 17, 5, 3), (14, 14, 14, 1)])
def test_sliding_windows_count_and_content(h, w, f, s):
    img = np.arange(3 * h * w, dtype=np.float32).reshape(3, h, w)
    crops, boxes = sliding_windows(img, f, s)
    n = output_size(h, f, s=s) * output_size(w, f, s=s)
    assert crops.shape == (n, 3, f, f) and boxes.shape == (n, 4)
    for c, (x1, y1, x2, y2) in zip(crops, boxes.astype(int)):
        np.testing.assert_array_equal(c, img[:, y1:y2, x1:x2])


def test_window_training_set_centres_objects_and_avoids_them_for_background():
    s = scenes(20, 64, seed=3, radius=(0.08, 0.1))
    crops, labels = window_training_set(s, 14, negatives_per_scene=3, jitter=1, seed=0)
    assert crops.shape[1:] == (3, 14, 14) and len(crops) == len(labels)
    assert (labels == 0).sum() == 60 and set(labels[labels > 0] - 1) <= set(range(4))
    assert (labels > 0).sum() <= s.counts.sum()


def test_selective_search_finds_the_objects_of_a_scene():
    s = scenes(6, 64, seed=4, background_kind="plain", clutter=0, noise=0.0)
    recall = []
    for img, boxes in zip(s.images, s.boxes):
        p = selective_search(img.transpose(1, 2, 0), scale=50, min_size=10)
        assert p.boxes.dtype == np.float32 and len(p.boxes) == len(np.unique(p.boxes, axis=0))
        assert p.merges == int(p.segments.max())           # merged down to a single region
        assert (p.boxes == [0, 0, 64, 64]).all(axis=1).any()     # the whole image, at the end
        recall += list(nops.box_iou(boxes, p.boxes).max(axis=1) >= 0.7)
    assert np.mean(recall) > 0.9
    with pytest.raises(ValueError, match="channels last"):
        selective_search(np.zeros((3, 16, 16)))


def test_segmentation_iou_counts_pixels():
    true = np.array([[0, 0, 1, 1], [0, 2, 2, 1]])
    pred = np.array([[0, 1, 1, 1], [0, 2, 0, 1]])
    m = confusion_pixels(pred, true, 3)
    assert m.sum() == 8 and m[2, 0] == 1 and m[0, 1] == 1
    per, mean = segmentation_iou(pred, true, 3)
    np.testing.assert_allclose(per, [2 / 4, 3 / 4, 1 / 2])
    assert mean == pytest.approx(np.mean(per))
    per, mean = segmentation_iou(pred, true, 4)              # class 3 absent: left out
    assert np.isnan(per[3]) and mean == pytest.approx(np.mean([0.5, 0.75, 0.5]))
    with pytest.raises(ValueError, match="outside"):
        confusion_pixels(pred, true, 2)
    with pytest.raises(TypeError, match="integer"):
        confusion_pixels(pred.astype(float), true, 3)


def test_disc_detections_fire_around_every_coin():
    from cnnlib.data import coins
    from cnnlib.vision.windows import disc_detections

    img, gt = coins()
    boxes, scores = disc_detections(img, radii=(21, 27), min_score=0.5)
    assert boxes.shape[1] == 4 and len(boxes) == len(scores) and (scores >= 0.5).all()
    assert ((boxes[:, 2] - boxes[:, 0]) % 2 == 1).all()
    best = nops.box_iou(gt.astype(np.float64), boxes).max(axis=1)
    assert (best >= 0.5).mean() > 0.9
    with pytest.raises(ValueError, match="2-D"):
        disc_detections(np.zeros((3, 8, 8)), (2,))


def test_count_multiplications_matches_the_formulas():
    from cnnlib import shapes
    from cnnlib.models import SlidingWindowNet, convolutionalize
    from cnnlib.vision.windows import count_multiplications

    net = SlidingWindowNet(num_classes=4)
    c = count_multiplications(net, (3, 14, 14))
    assert c["conv1"] == shapes.conv_mults(3, 16, 5, 10)
    assert c["fc2"] == 400 * 400 and c["fc4"] == 400 * 4
    assert c["total"] == sum(v for k, v in c.items() if k != "total")
    conv = convolutionalize(net, (3, 14, 14))
    big = count_multiplications(conv, (3, 28, 28))
    assert big["fc2"] == 8 * 8 * 400 * 400 and big["conv1"] == shapes.conv_mults(3, 16, 5, 24)


def _where(img, crop):
    f = crop.shape[-1]
    for top in range(img.shape[1] - f + 1):
        for left in range(img.shape[2] - f + 1):
            if np.array_equal(img[:, top:top + f, left:left + f], crop):
                return left + f / 2, top + f / 2
    raise AssertionError("crop not found in its scene")


def test_window_training_set_hard_negatives_cut_objects_off_centre():
    s = scenes(4, 48, seed=5, radius=(0.12, 0.14), objects=(1, 2))
    crops, labels = window_training_set(s, 14, negatives_per_scene=0, jitter=0,
                                        centre_tolerance=3, hard_negatives=3, seed=1)
    assert (labels > 0).sum() <= s.counts.sum() and 0 < (labels == 0).sum() <= 3 * s.counts.sum()
    k = 0                                   # the crops of one scene come together, in order
    for img, boxes, count in zip(s.images, s.boxes, s.counts):
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        mine = []
        while k < len(crops) and len(mine) < 4 * count:
            try:
                mine.append((_where(img, crops[k]), labels[k]))
            except AssertionError:
                break
            k += 1
        for (cx, cy), lab in mine:
            d = np.abs(centres - [cx, cy]).max(axis=1)
            if lab == 0:
                assert (d > 3).all() and d.min() <= 7     # off every centre, but cutting one
            else:
                assert d.min() <= 0.5                     # jitter 0: centred on its object
    assert k == len(crops)
    with pytest.raises(ValueError, match="hard_negatives"):
        window_training_set(s, 14, hard_negatives=-1)
