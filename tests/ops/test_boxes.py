"""Box ops (numpy_ops.boxes and their torch twins): IoU by pixel counting, NMS by brute force.

The op registry (``registry.py``) checks every box op against brute-force oracles, with bad
inputs and the edge-case sweep; here, the properties on larger and crowded sets.

There is no torch oracle (torchvision cannot be used here), so the references are written out:
the IoU of integer boxes is the number of shared pixels over the number of covered pixels, and
NMS is the greedy loop over an all-pairs IoU matrix. Hypothesis draws crowded box sets with tied
scores so that the invariants of NMS are exercised where they are easy to break.
"""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnlib import numpy_ops as N
from cnnlib import torch_ops as T

FORMATS = ("xyxy", "xywh", "cxcywh")


def _t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


@st.composite
def integer_boxes(draw, max_n=6, size=12):
    n = draw(st.integers(0, max_n))
    rows = []
    for _ in range(n):
        x1, x2 = sorted(draw(st.integers(0, size)) for _ in range(2))
        y1, y2 = sorted(draw(st.integers(0, size)) for _ in range(2))
        rows.append((x1, y1, x2, y2))
    return np.array(rows, dtype=np.float64).reshape(n, 4)


def _pixels(box, size=12):
    x1, y1, x2, y2 = (int(v) for v in box)
    mask = np.zeros((size, size), bool)
    mask[y1:y2, x1:x2] = True
    return mask


def _pixel_iou(a, b):
    out = np.zeros((len(a), len(b)))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            mp, mq = _pixels(p), _pixels(q)
            union = (mp | mq).sum()
            out[i, j] = (mp & mq).sum() / union if union else 0.0
    return out


@given(integer_boxes(), integer_boxes(), st.sampled_from(FORMATS),
       st.sampled_from([np.float32, np.float64]))
def test_iou_equals_a_pixel_count_in_every_format(a, b, fmt, dtype):
    want = _pixel_iou(a, b)
    a_f = N.box_convert(a.astype(dtype), "xyxy", fmt)
    b_f = N.box_convert(b.astype(dtype), "xyxy", fmt)
    got = N.box_iou(a_f, b_f, fmt=fmt)
    assert got.dtype == dtype and got.shape == (len(a), len(b))
    np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose(T.box_iou(_t(a_f), _t(b_f), fmt=fmt).numpy(), want, atol=1e-6)
    if len(a) == len(b):
        diag = np.diag(want) if len(a) else np.zeros(0)
        np.testing.assert_allclose(N.box_iou_pairwise(a_f, b_f, fmt=fmt), diag, atol=1e-6)
        np.testing.assert_allclose(T.box_iou_pairwise(_t(a_f), _t(b_f), fmt=fmt).numpy(), diag,
                                   atol=1e-6)


@st.composite
def float_boxes(draw, min_n=0, max_n=40, size=50.0):
    n = draw(st.integers(min_n, max_n))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    # crowded: a few centres, many jittered copies, some degenerate boxes
    centres = rng.uniform(0, size, (max(1, n // 6), 2))
    c = centres[rng.integers(len(centres), size=n)] + rng.normal(0, 3, (n, 2))
    wh = rng.uniform(0, 20, (n, 2)) * (rng.random((n, 1)) > 0.05)
    boxes = np.concatenate([c - wh / 2, c + wh / 2], 1)
    levels = draw(st.sampled_from([3, 1000]))           # 3 levels: many tied scores
    scores = rng.integers(0, levels, n) / levels
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return boxes.astype(dtype), scores.astype(dtype)


@given(float_boxes(), st.sampled_from(FORMATS))
def test_box_convert_round_trips(bs, fmt):
    boxes, _ = bs
    there = N.box_convert(boxes, "xyxy", fmt)
    back = N.box_convert(there, fmt, "xyxy")
    assert there.dtype == boxes.dtype
    np.testing.assert_allclose(back, boxes, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(T.box_convert(_t(boxes), "xyxy", fmt).numpy(), there, rtol=1e-6,
                               atol=1e-5)
    for other in FORMATS:
        np.testing.assert_allclose(N.box_convert(there, fmt, other),
                                   N.box_convert(boxes, "xyxy", other), rtol=1e-5, atol=1e-4)


def test_box_convert_known_values_and_area():
    b = np.array([[1.0, 2.0, 5.0, 8.0]])
    np.testing.assert_array_equal(N.box_convert(b, "xyxy", "xywh"), [[1, 2, 4, 6]])
    np.testing.assert_array_equal(N.box_convert(b, "xyxy", "cxcywh"), [[3, 5, 4, 6]])
    np.testing.assert_array_equal(N.box_area(b), [24.0])
    np.testing.assert_array_equal(N.box_area(np.array([[3.0, 5.0, 4.0, 6.0]]), fmt="cxcywh"), [24])
    np.testing.assert_array_equal(T.box_area(_t(b)).numpy(), [24.0])
    clipped = N.clip_boxes_to_image(np.array([[-3.0, 2.0, 15.0, 30.0]]), (20, 10))
    np.testing.assert_array_equal(clipped, [[0, 2, 10, 20]])
    np.testing.assert_array_equal(T.clip_boxes_to_image(_t(np.array([[-3.0, 2.0, 15.0, 30.0]])),
                                                        (20, 10)).numpy(), clipped)


def brute_nms(boxes, scores, threshold, groups=None):
    """The greedy loop over an all-pairs IoU matrix, ties by input order."""
    iou = N.box_iou(boxes, boxes)
    if groups is not None:
        iou = np.where(groups[:, None] == groups[None, :], iou, 0)
    order = sorted(range(len(boxes)), key=lambda i: (-scores[i], i))
    keep, removed = [], np.zeros(len(boxes), bool)
    for i in order:
        if removed[i]:
            continue
        keep.append(i)
        removed |= iou[i] > threshold
    return np.array(keep, dtype=np.int64)


THRESHOLDS = st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 0.95, 1.0])


def _check_nms_invariants(boxes, scores, keep, t, groups=None):
    assert keep.dtype == np.int64
    assert len(set(keep.tolist())) == len(keep)
    # by score, ties in input order
    for a, b in zip(keep[:-1], keep[1:]):
        assert scores[a] > scores[b] or (scores[a] == scores[b] and a < b)
    iou = N.box_iou(boxes, boxes)
    same = np.ones_like(iou, bool) if groups is None else groups[:, None] == groups[None, :]
    kk = iou[np.ix_(keep, keep)] * same[np.ix_(keep, keep)]
    np.fill_diagonal(kk, 0)
    assert (kk <= t).all(), "two kept boxes of one class overlap above the threshold"
    # every discarded box was suppressed by a kept box ranked above it
    rank = {int(i): r for r, i in enumerate(sorted(range(len(boxes)),
                                                      key=lambda i: (-scores[i], i)))}
    for d in set(range(len(boxes))) - set(keep.tolist()):
        assert any(iou[d, k] > t and same[d, k] and rank[int(k)] < rank[d] for k in keep)


@given(float_boxes(), THRESHOLDS)
def test_nms_equals_the_greedy_loop_and_keeps_its_invariants(bs, t):
    boxes, scores = bs
    want = brute_nms(boxes, scores, t)
    got = N.nms(boxes, scores, t)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(T.nms(_t(boxes), _t(scores), t).numpy(), want)
    _check_nms_invariants(boxes, scores, got, t)


@given(float_boxes(max_n=60), THRESHOLDS, st.integers(1, 4), st.integers(0, 1000))
def test_batched_nms_suppresses_within_classes_only(bs, t, classes, seed):
    boxes, scores = bs
    idxs = np.random.default_rng(seed).integers(0, classes, len(boxes)) * 7 - 3   # any integers
    want = brute_nms(boxes, scores, t, groups=idxs)
    got = N.batched_nms(boxes, scores, idxs, t)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(T.batched_nms(_t(boxes), _t(scores), _t(idxs), t).numpy(), want)
    _check_nms_invariants(boxes, scores, got, t, groups=idxs)


def test_nms_on_many_boxes_uses_both_paths_and_stays_exact():
    """Crowded and scattered sets of 3,000 boxes: the greedy prefix and the pair search."""
    rng = np.random.default_rng(0)
    centres = rng.uniform(0, 400, (30, 2))
    c = centres[rng.integers(30, size=1500)] + rng.normal(0, 6, (1500, 2))
    crowded = np.concatenate([c - 15, c + 15], 1)
    xy = rng.uniform(0, 1000, (1500, 2))
    scattered = np.concatenate([xy, xy + rng.uniform(5, 40, (1500, 2))], 1)
    boxes = np.concatenate([crowded, scattered]).astype(np.float32)
    scores = rng.random(len(boxes)).astype(np.float32)
    for t in (0.3, 0.5, 0.8):
        want = brute_nms(boxes, scores, t)
        np.testing.assert_array_equal(N.nms(boxes, scores, t), want)
        np.testing.assert_array_equal(T.nms(_t(boxes), _t(scores), t).numpy(), want)


def test_empty_inputs_give_empty_results():
    e = np.zeros((0, 4), np.float32)
    b = np.array([[0, 0, 1, 1]], np.float32)
    assert N.box_iou(e, b).shape == (0, 1) and N.box_iou(b, e).shape == (1, 0)
    assert T.box_iou(_t(e), _t(b)).shape == (0, 1)
    keep = N.nms(e, np.zeros(0, np.float32), 0.5)
    assert keep.shape == (0,) and keep.dtype == np.int64
    tk = T.nms(_t(e), torch.zeros(0), 0.5)
    assert tk.shape == (0,) and tk.dtype == torch.int64
    assert N.batched_nms(e, np.zeros(0, np.float32), np.zeros(0, np.int64), 0.5).shape == (0,)
    assert N.box_convert(e, "xyxy", "cxcywh").shape == (0, 4)
    assert N.box_area(e).shape == (0,)


def test_iou_of_empty_boxes_is_zero_and_touching_boxes_do_not_overlap():
    point = np.array([[2.0, 2.0, 2.0, 2.0]])
    assert N.box_iou(point, point)[0, 0] == 0.0
    a, b = np.array([[0.0, 0, 2, 2]]), np.array([[2.0, 0, 4, 2]])
    assert N.box_iou(a, b)[0, 0] == 0.0
    far = np.array([[10.0, 10, 12, 12]])
    assert N.box_iou(a, far)[0, 0] == 0.0          # no negative overlap leaks into the IoU


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_box_twins_on_gpu():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, (500, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 30, (500, 2))], 1)
    scores = rng.random(500)
    idxs = rng.integers(0, 3, 500)
    gb, gs, gi = (torch.from_numpy(a).cuda() for a in (boxes, scores, idxs))
    assert T.box_iou(gb, gb).device.type == "cuda"
    np.testing.assert_allclose(T.box_iou(gb, gb).cpu().numpy(), N.box_iou(boxes, boxes))
    np.testing.assert_array_equal(T.nms(gb, gs, 0.5).cpu().numpy(), N.nms(boxes, scores, 0.5))
    np.testing.assert_array_equal(T.batched_nms(gb, gs, gi, 0.5).cpu().numpy(),
                                  N.batched_nms(boxes, scores, idxs, 0.5))
