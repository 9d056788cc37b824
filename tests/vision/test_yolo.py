"""cnnlib.vision.yolo: the grid encoding round-trips, the loss has its parts, detect decodes."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnlib.data import scenes
from cnnlib.vision import yolo
from cnnlib.vision.anchors import match_anchors


@st.composite
def separated_boxes(draw, size=64, grid=8):
    """Boxes with whole or half-pixel coordinates, at most one centre per cell."""
    k = draw(st.integers(0, 6))
    cells = draw(st.lists(st.tuples(st.integers(0, grid - 1), st.integers(0, grid - 1)),
                          min_size=k, max_size=k, unique=True))
    cell = size // grid
    boxes = []
    for r, c in cells:
        cx = c * cell + draw(st.integers(0, 2 * cell - 1)) / 2
        cy = r * cell + draw(st.integers(0, 2 * cell - 1)) / 2
        w, h = draw(st.integers(1, 30)), draw(st.integers(1, 30))
        boxes.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    labels = np.array([draw(st.integers(0, 3)) for _ in boxes], np.int64)
    return np.array(boxes, np.float32).reshape(-1, 4), labels


@given(separated_boxes())
def test_encode_decode_round_trip_is_exact(bl):
    boxes, labels = bl
    y = yolo.encode_yolo(boxes, labels, 4, 8, 64)
    assert y.shape == (8, 8, 1, 9) and y.dtype == np.float32
    assert y[..., 0].sum() == len(boxes)
    b, s, l = yolo.decode_yolo(y, 64)
    order = np.lexsort(boxes.T[::-1])
    got = np.lexsort(b.T[::-1])
    np.testing.assert_array_equal(b[got], boxes[order])
    np.testing.assert_array_equal(l[got], labels[order])
    assert (s == 1).all()
    # the cell coordinates are in [0, 1); sizes are in cell units
    obj = y[..., 0] == 1
    assert (y[obj][:, 1:3] >= 0).all() and (y[obj][:, 1:3] < 1).all()


def test_encoding_follows_the_course_layout():
    boxes = np.array([[10.0, 20.0, 30.0, 28.0]])          # centre (20, 24), w 20, h 8
    y = yolo.encode_yolo(boxes, np.array([2]), 3, 4, 64)   # cells of 16 px
    r, c = 1, 1                                             # centre 20/16 -> col 1, 24/16 -> row 1
    np.testing.assert_allclose(y[r, c, 0], [1, 20 / 16 - 1, 24 / 16 - 1, 8 / 16, 20 / 16, 0, 0, 1])
    assert y.sum() == pytest.approx(y[r, c, 0].sum())


def test_anchors_give_two_objects_in_one_cell_their_own_slots():
    tall = [28.0, 16.0, 36.0, 48.0]
    wide = [16.0, 28.0, 48.0, 36.0]
    boxes = np.array([tall, wide])
    no_anchor = yolo.encode_yolo(boxes, np.array([0, 1]), 2, 4, 64)
    assert no_anchor[..., 0].sum() == 1                     # they collide
    anchors = np.array([[8.0, 32.0], [32.0, 8.0]])
    rows, cols, slots = yolo.assign_cells(boxes, 4, 64, anchors)
    assert rows.tolist() == [2, 2] and cols.tolist() == [2, 2] and slots.tolist() == [0, 1]
    y = yolo.encode_yolo(boxes, np.array([0, 1]), 2, 4, 64, anchors)
    assert y.shape == (4, 4, 2, 7) and y[..., 0].sum() == 2
    b, _, labels = yolo.decode_yolo(y, 64)
    np.testing.assert_allclose(b, boxes)
    assert labels.tolist() == [0, 1]
    np.testing.assert_array_equal(match_anchors(boxes, anchors), [0, 1])


def test_activations_invert_the_target_parametrisation():
    """Raw outputs built from a target come back as that target through yolo_activations."""
    anchors = np.array([[10.0, 12.0], [24.0, 20.0]])
    s = scenes(3, 64, seed=5)
    for b, l in zip(s.boxes, s.labels):
        y = yolo.encode_yolo(b, l, 4, 8, 64, anchors)
        prior = anchors / 8.0
        t = np.zeros_like(y, dtype=np.float64)
        obj = y[..., 0] == 1
        logit = lambda p: np.log(p / (1 - p))
        t[..., 0] = np.where(obj, 20.0, -20.0)
        t[..., 1:3] = logit(np.clip(y[..., 1:3], 1e-6, 1 - 1e-6))
        t[..., 3] = np.log(np.where(obj, y[..., 3], 1) / prior[:, 1])
        t[..., 4] = np.log(np.where(obj, y[..., 4], 1) / prior[:, 0])
        t[..., 5:] = np.where(y[..., 5:] > 0, 30.0, 0.0)
        raw = torch.from_numpy(t).permute(2, 3, 0, 1).reshape(1, -1, 8, 8)
        act = yolo.yolo_activations(raw, 4, 64, anchors)[0].numpy()
        np.testing.assert_allclose(act[obj][:, :5], y[obj][:, :5], atol=1e-5)
        bd, sd, ld = yolo.decode_yolo(act, 64, 0.5)
        np.testing.assert_allclose(np.sort(bd, 0), np.sort(b, 0), atol=1e-3)


def test_loss_parts_vanish_for_a_perfect_prediction_and_grow_otherwise():
    anchors = np.array([[10.0, 12.0], [24.0, 20.0]])
    s = scenes(4, 64, seed=6)
    y = torch.from_numpy(np.stack([yolo.encode_yolo(b, l, 4, 8, 64, anchors)
                                   for b, l in zip(s.boxes, s.labels)]))
    task = yolo.YOLOLoss(4, 64, anchors)
    obj = y[..., 0] == 1
    t = torch.zeros(y.shape, dtype=torch.float64)
    t[..., 0] = torch.where(obj, 40.0, -40.0)
    t[..., 1:3] = torch.logit(y[..., 1:3].double().clamp(1e-9, 1 - 1e-9))
    prior = torch.from_numpy(anchors / 8.0)
    t[..., 3] = torch.log(torch.where(obj, y[..., 3].double(), 1.0) / prior[:, 1])
    t[..., 4] = torch.log(torch.where(obj, y[..., 4].double(), 1.0) / prior[:, 0])
    t[..., 5:] = torch.where(y[..., 5:] > 0, 60.0, 0.0)
    raw = t.permute(0, 3, 4, 1, 2).reshape(4, -1, 8, 8)
    parts = task.parts(raw, y.double())
    for name, v in parts.items():
        assert float(v) < 1e-6, name
    blank = task.parts(torch.zeros_like(raw), y.double())      # every logit 0: no answer
    assert all(float(blank[k]) > 0.1 for k in parts)

    class Fixed(torch.nn.Module):
        def forward(self, x):
            return raw.float()

    total, stats = task.loss(Fixed(), (torch.zeros(4, 3, 64, 64), y))
    assert set(stats) == {"coord", "obj", "noobj", "cls"} and float(total) < 1e-4


def test_yolo_trains_a_little_through_fit():
    from cnnlib.models import TinyYOLO
    from cnnlib.train import fit

    s = scenes(48, 32, seed=7, radius=(0.15, 0.25))
    y = np.stack([yolo.encode_yolo(b, l, 4, 4, 32) for b, l in zip(s.boxes, s.labels)])
    model = TinyYOLO(4, 1, widths=(8, 16, 16, 16))
    history = fit(model, (s.images, y), epochs=8, lr=5e-3, batch_size=16,
                  task=yolo.YOLOLoss(4, 32), progress=False, device="cpu")
    assert history.train["loss"][-1] < 0.7 * history.train["loss"][0]
    assert set(history.train) >= {"loss", "coord", "obj", "noobj", "cls"}
    dets = yolo.detect(model, s.images[:5], 4, 32, score_threshold=0.0)
    assert len(dets) == 5
    for boxes, scores, labels in dets:
        assert boxes.shape[1] == 4 and len(boxes) == len(scores) == len(labels)
        assert (np.diff(scores) <= 0).all()
        assert (boxes >= 0).all() and (boxes <= 32).all()


def test_bad_input():
    with pytest.raises(ValueError, match="labels"):
        yolo.encode_yolo(np.zeros((1, 4)), np.array([5]), 3, 4, 64)
    with pytest.raises(ValueError, match="x2 < x1"):
        yolo.encode_yolo(np.array([[5.0, 0, 1, 1]]), np.array([0]), 3, 4, 64)
    with pytest.raises(ValueError, match="anchors"):
        yolo.encode_yolo(np.zeros((1, 4)), np.array([0]), 3, 4, 64, anchors=np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"\(S, S, A, 5 \+ n\)"):
        yolo.decode_yolo(np.zeros((4, 4, 6)), 64)
    with pytest.raises(ValueError, match="multiple"):
        yolo.yolo_activations(torch.zeros(1, 10, 4, 4), 3, 64)
    with pytest.raises(ValueError, match="targets"):
        yolo.YOLOLoss(3, 64).prepare((np.zeros((2, 3, 8, 8), np.float32),
                                      np.zeros((2, 4, 4, 1, 7), np.float32)), "cpu",
                                     torch.float32)


@given(st.integers(0, 7), st.integers(0, 10_000))
def test_dihedral_moves_boxes_with_their_objects(k, seed):
    """A box drawn as a mask, moved with the image, has the moved box as its tight box."""
    rng = np.random.default_rng(seed)
    size = 16
    x1, y1 = rng.integers(0, size - 1, 2)
    x2, y2 = rng.integers(x1 + 1, size + 1), rng.integers(y1 + 1, size + 1)
    image = np.zeros((2, size, size), np.float32)
    image[0, y1:y2, x1:x2] = 1.0
    image[1] = rng.random((size, size))
    box = np.array([[x1, y1, x2, y2]], np.float32)
    moved, moved_box = yolo.dihedral(image, box, k)
    assert moved.shape == image.shape and moved_box.dtype == np.float32
    rows, cols = np.flatnonzero(moved[0].any(1)), np.flatnonzero(moved[0].any(0))
    np.testing.assert_array_equal(moved_box[0], [cols[0], rows[0], cols[-1] + 1, rows[-1] + 1])
    assert sorted(moved[1].ravel().tolist()) == sorted(image[1].ravel().tolist())


def test_dihedral_gives_eight_distinct_images_and_keeps_batches():
    image = np.arange(2 * 4 * 4, dtype=np.float32).reshape(1, 2, 4, 4)
    images = [yolo.dihedral(image, [np.zeros((0, 4))], k)[0] for k in range(8)]
    assert len({im.tobytes() for im in images}) == 8
    np.testing.assert_array_equal(images[0], image)
    s = scenes(3, 32, seed=2)
    x, b = yolo.dihedral(s.images, s.boxes, 5)
    assert x.shape == s.images.shape and [len(v) for v in b] == [len(v) for v in s.boxes]
    back, b_back = yolo.dihedral(*yolo.dihedral(s.images, s.boxes, 1), 1)   # a mirror twice
    np.testing.assert_array_equal(back, s.images)
    for got, want in zip(b_back, s.boxes):
        np.testing.assert_allclose(got, want)
    with pytest.raises(ValueError, match="k"):
        yolo.dihedral(s.images, s.boxes, 8)
    with pytest.raises(ValueError, match="square"):
        yolo.dihedral(np.zeros((1, 3, 4, 5)), [np.zeros((0, 4))], 0)
    with pytest.raises(ValueError, match="box arrays"):
        yolo.dihedral(s.images, s.boxes[:2], 0)
    with pytest.raises(ValueError, match="x2 < x1"):
        yolo.dihedral(s.images[:1], [np.array([[5.0, 0, 1, 1]])], 0)
