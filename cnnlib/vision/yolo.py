"""YOLO: the grid encoding of boxes, its decoding, the loss, and detection (sections 3.5 and 3.9).

The image is cut into an ``S x S`` grid of cells of size ``c = image_size / S``. Each object
belongs to the one cell that holds its centre, and to one of that cell's ``A`` anchor slots (the
anchor whose shape fits it best, :func:`cnnlib.vision.anchors.match_anchors`; one slot when
there are no anchors). Its slot holds, in the course's order,

.. math:: y = [p_c,\\; b_x,\\; b_y,\\; b_h,\\; b_w,\\; c_1, \\dots, c_n]

with ``p_c = 1``, ``(b_x, b_y)`` the centre relative to the cell's top-left corner in cell units
(both in [0, 1)), ``(b_h, b_w)`` the height and width in cell units (they may exceed 1) and a
one-hot class. Every other slot has ``p_c = 0`` and the rest "don't care" (zeros here). The
target of one image is an array (S, S, A, 5 + n), as the course's (19, 19, 5, 85).

A network predicts raw numbers ``t`` in that layout (``A (5 + n)`` channels per cell);
:func:`yolo_activations` turns them into the same form as a target (YOLOv2's parametrisation:
``p_c = sigma(t_o)``, ``b_x = sigma(t_x)``, ``b_w = (p_w / c) e^{t_w}`` for an anchor of width
``p_w``, class probabilities by softmax), :func:`decode_yolo` turns either form into boxes and
scores, and :class:`YOLOLoss` trains the network through :func:`cnnlib.train.fit`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .. import _checks as V
from .. import numpy_ops as nops
from .. import torch_ops as tops
from ..train.tasks import Task
from .anchors import match_anchors

__all__ = ["assign_cells", "encode_yolo", "decode_yolo", "yolo_activations", "YOLOLoss",
           "detect", "dihedral"]


def _anchors(op, anchors):
    if anchors is None:
        return None
    a = np.asarray(anchors, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 2 or len(a) == 0 or not (a > 0).all():
        raise ValueError(f"{op}: anchors must be a non-empty (A, 2) array of positive (w, h), "
                         f"got {anchors!r}")
    return a


def _boxes(op, boxes):
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{op}: boxes must have shape (k, 4), got {boxes.shape}")
    nops.box_area(boxes)            # finite, x1 <= x2, y1 <= y2 (raises otherwise)
    return boxes


def assign_cells(boxes, grid_size: int, image_size: int, anchors=None):
    """Which cell and anchor slot each object belongs to: ``(rows, cols, slots)``, int64 (k,).

    The cell holds the box's centre: ``col = floor(c_x / c)``, ``row = floor(c_y / c)``, with
    ``c = image_size / grid_size`` (a centre on the last border goes to the last cell). The slot
    is the anchor of best shape IoU, or 0 without anchors. Two objects with the same
    ``(row, col, slot)`` collide: a target can hold only one of them. Section 3.5.
    """
    op = "assign_cells"
    boxes = _boxes(op, boxes)
    s = V.check_int(op, "grid_size", grid_size, minimum=1)
    size = V.check_number(op, "image_size", image_size, minimum=0.0, strict=True)
    cell = size / s
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    cols = np.clip(np.floor(cx / cell), 0, s - 1).astype(np.int64)
    rows = np.clip(np.floor(cy / cell), 0, s - 1).astype(np.int64)
    a = _anchors(op, anchors)
    slots = np.zeros(len(boxes), np.int64) if a is None else match_anchors(boxes, a)
    return rows, cols, slots


def encode_yolo(boxes, labels, num_classes: int, grid_size: int, image_size: int,
                anchors=None) -> np.ndarray:
    """The YOLO target of one image: float32 (S, S, A, 5 + num_classes).

    ``boxes`` (k, 4) ``'xyxy'`` in pixels and ``labels`` (k,) class indices. Each object fills
    its slot (:func:`assign_cells`) with ``[1, b_x, b_y, b_h, b_w, one-hot class]``:

    .. math:: b_x = \\frac{c_x}{c} - \\text{col}, \\quad b_y = \\frac{c_y}{c} - \\text{row},
              \\quad b_h = \\frac{h}{c}, \\quad b_w = \\frac{w}{c}.

    When two objects collide the later one wins (count collisions with :func:`assign_cells`).
    ``A`` is the number of anchors, 1 without. Section 3.5.
    """
    op = "encode_yolo"
    boxes = _boxes(op, boxes)
    labels = np.asarray(labels).reshape(-1)
    n = V.check_int(op, "num_classes", num_classes, minimum=1)
    if len(labels) != len(boxes):
        raise ValueError(f"{op}: {len(boxes)} boxes but {len(labels)} labels")
    if len(labels) and (labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= n):
        raise ValueError(f"{op}: labels must be integers in [0, {n}), got {labels!r}")
    rows, cols, slots = assign_cells(boxes, grid_size, image_size, anchors)
    a = 1 if anchors is None else len(_anchors(op, anchors))
    cell = float(image_size) / grid_size
    y = np.zeros((grid_size, grid_size, a, 5 + n), np.float64)
    for (x1, y1, x2, y2), c, r, q, s in zip(boxes, labels, rows, cols, slots):
        y[r, q, s] = 0.0
        y[r, q, s, 0] = 1.0
        y[r, q, s, 1] = (x1 + x2) / 2 / cell - q
        y[r, q, s, 2] = (y1 + y2) / 2 / cell - r
        y[r, q, s, 3] = (y2 - y1) / cell
        y[r, q, s, 4] = (x2 - x1) / cell
        y[r, q, s, 5 + int(c)] = 1.0
    return y.astype(np.float32)


def decode_yolo(y, image_size: int, score_threshold: float = 0.5):
    """Boxes from one image's YOLO array (a target, or :func:`yolo_activations` of a prediction).

    ``y`` (S, S, A, 5 + n), NumPy or torch. Every slot whose score
    ``p_c * max_i c_i`` is at least ``score_threshold`` becomes a box:

    .. math:: c_x = (\\text{col} + b_x)\\, c, \\quad c_y = (\\text{row} + b_y)\\, c, \\quad
              w = b_w c, \\quad h = b_h c.

    Returns ``(boxes, scores, labels)``: float (K, 4) ``'xyxy'`` pixels, (K,) scores and int64
    (K,) classes, slots in row-major order, as NumPy arrays. For a target the scores are 1 and
    the boxes are the encoded ones (the round trip is exact when the cell size is a power of
    two and the boxes have whole or half-pixel coordinates). Section 3.5.
    """
    op = "decode_yolo"
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim != 4 or y.shape[0] != y.shape[1] or y.shape[3] < 6:
        raise ValueError(f"{op}: y must have shape (S, S, A, 5 + n) with n >= 1, got {y.shape}")
    thr = V.check_number(op, "score_threshold", score_threshold, minimum=0.0, maximum=1.0)
    s = y.shape[0]
    cell = V.check_number(op, "image_size", image_size, minimum=0.0, strict=True) / s
    scores = y[..., 0] * y[..., 5:].max(axis=-1)
    rows, cols, slots = np.nonzero(scores >= thr)
    v = y[rows, cols, slots].astype(np.float64)
    cx, cy = (cols + v[:, 1]) * cell, (rows + v[:, 2]) * cell
    h, w = v[:, 3] * cell, v[:, 4] * cell
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(y.dtype)
    return boxes.reshape(-1, 4), scores[rows, cols, slots], v[:, 5:].argmax(axis=1).astype(np.int64)


def _anchor_cells(anchors, num_anchors, cell, like):
    if anchors is None:
        if num_anchors != 1:
            raise ValueError("yolo: give the anchors when there is more than one slot per cell")
        return like.new_ones((1, 2))
    a = torch.as_tensor(np.asarray(anchors, dtype=np.float64), dtype=like.dtype,
                        device=like.device)
    if a.shape != (num_anchors, 2):
        raise ValueError(f"yolo: {num_anchors} slots per cell but anchors has shape "
                         f"{tuple(a.shape)}")
    return a / cell                                   # (A, 2) (w, h) in cell units


def _split(raw, num_classes, anchors):
    """(N, A (5 + n), S, S) -> (N, S, S, A, 5 + n)."""
    if raw.ndim != 4 or raw.shape[2] != raw.shape[3]:
        raise ValueError(f"yolo: the network output must be (N, A (5 + n), S, S), got "
                         f"{tuple(raw.shape)}")
    per = 5 + num_classes
    if raw.shape[1] % per:
        raise ValueError(f"yolo: {raw.shape[1]} channels is not a multiple of 5 + {num_classes}")
    n, _, s, _ = raw.shape
    a = raw.shape[1] // per
    if anchors is not None and len(anchors) != a:
        raise ValueError(f"yolo: the output has {a} slots per cell but {len(anchors)} anchors")
    return raw.reshape(n, a, per, s, s).permute(0, 3, 4, 1, 2)


def yolo_activations(raw, num_classes: int, image_size: int, anchors=None):
    """A network's raw YOLO output as probabilities and box numbers, like a target.

    ``raw`` (N, A (5 + n), S, S) -> (N, S, S, A, 5 + n) with ``p_c = sigma(t_o)``,
    ``b_x = sigma(t_x)``, ``b_y = sigma(t_y)``, ``b_h = (p_h / c) e^{t_h}``,
    ``b_w = (p_w / c) e^{t_w}`` (``p`` the slot's anchor in pixels, or one cell without anchors)
    and the class probabilities ``softmax(t_c)``. Section 3.9.
    """
    t = _split(raw, num_classes, anchors)
    cell = float(image_size) / t.shape[1]
    prior = _anchor_cells(anchors, t.shape[3], cell, t)           # (A, 2) (w, h)
    return torch.cat([torch.sigmoid(t[..., 0:3]),
                      (prior[:, 1] * torch.exp(t[..., 3])).unsqueeze(-1),
                      (prior[:, 0] * torch.exp(t[..., 4])).unsqueeze(-1),
                      torch.softmax(t[..., 5:], dim=-1)], dim=-1)


class YOLOLoss(Task):
    """The YOLO loss as a task for :func:`cnnlib.train.fit`: data ``(images, targets)``.

    ``targets`` (N, S, S, A, 5 + n) from :func:`encode_yolo`; the model maps images to raw
    output (N, A (5 + n), S, S). With :math:`\\mathbb{1}^{obj}` marking the slots that hold an
    object and :math:`\\mathbb{1}^{noobj}` the others, the loss per image is

    .. math::
        \\lambda_{coord} \\sum \\mathbb{1}^{obj} \\left[(\\sigma(t_x) - b_x)^2 + (\\sigma(t_y) - b_y)^2
          + (t_h - \\log \\tfrac{b_h}{p_h})^2 + (t_w - \\log \\tfrac{b_w}{p_w})^2\\right]
        + \\sum \\mathbb{1}^{obj}\\, \\mathrm{BCE}(t_o, 1)
        + \\lambda_{noobj} \\sum \\mathbb{1}^{noobj}\\, \\mathrm{BCE}(t_o, 0)
        + \\sum \\mathbb{1}^{obj}\\, \\mathrm{CE}(t_c, \\text{class})

    (sizes compared in log space relative to the anchor, as YOLOv2; ``p`` in cell units).
    The four parts are reported as the stats ``coord``, ``obj``, ``noobj`` and ``cls``
    (unweighted, per image), so the progress line shows which one still falls. Section 3.9.
    """

    name = "yolo"

    def __init__(self, num_classes: int, image_size: int, anchors=None,
                 lambda_coord: float = 5.0, lambda_noobj: float = 0.5):
        self.num_classes = V.check_int("YOLOLoss", "num_classes", num_classes, minimum=1)
        self.image_size = V.check_number("YOLOLoss", "image_size", image_size, minimum=0.0,
                                         strict=True)
        self.anchors = _anchors("YOLOLoss", anchors)
        self.lambda_coord = V.check_number("YOLOLoss", "lambda_coord", lambda_coord, minimum=0.0)
        self.lambda_noobj = V.check_number("YOLOLoss", "lambda_noobj", lambda_noobj, minimum=0.0)

    def prepare(self, data, device, dtype):
        x, y = super().prepare(data, device, dtype)
        if y.ndim != 5 or y.shape[-1] != 5 + self.num_classes or y.shape[1] != y.shape[2]:
            raise ValueError(f"fit (yolo): targets must be (N, S, S, A, 5 + {self.num_classes}), "
                             f"got {tuple(y.shape)}")
        return x, y

    def parts(self, raw, y):
        """The four parts of the loss (summed over slots, averaged over images) as tensors."""
        t = _split(raw, self.num_classes, self.anchors)
        if t.shape[1:] != y.shape[1:]:
            raise ValueError(f"fit (yolo): the model predicts {tuple(t.shape[1:])} per image but "
                             f"the targets are {tuple(y.shape[1:])}")
        n = len(y)
        cell = self.image_size / y.shape[1]
        prior = _anchor_cells(self.anchors, y.shape[3], cell, t)
        obj = y[..., 0] > 0.5
        to, ty = t[obj], y[obj]                     # (K, 5 + n) slots that hold an object
        pw, ph = prior[:, 0].expand(obj.shape)[obj], prior[:, 1].expand(obj.shape)[obj]
        coord = ((torch.sigmoid(to[:, 1]) - ty[:, 1]) ** 2
                 + (torch.sigmoid(to[:, 2]) - ty[:, 2]) ** 2
                 + (to[:, 3] - torch.log(ty[:, 3].clamp_min(1e-6) / ph)) ** 2
                 + (to[:, 4] - torch.log(ty[:, 4].clamp_min(1e-6) / pw)) ** 2).sum() / n
        objectness = F.binary_cross_entropy_with_logits(
            to[:, 0], torch.ones_like(to[:, 0]), reduction="sum") / n
        logit_free = t[..., 0][~obj]
        noobj = F.binary_cross_entropy_with_logits(
            logit_free, torch.zeros_like(logit_free), reduction="sum") / n
        cls = F.cross_entropy(to[:, 5:], ty[:, 5:].argmax(1), reduction="sum") / n \
            if len(to) else to.sum()
        return {"coord": coord, "obj": objectness, "noobj": noobj, "cls": cls}

    def loss(self, model, batch):
        x, y = batch
        p = self.parts(model(x), y)
        total = self.lambda_coord * p["coord"] + p["obj"] + self.lambda_noobj * p["noobj"] \
            + p["cls"]
        return total, {k: v.detach() for k, v in p.items()}


def detect(model, images, num_classes: int, image_size: int, anchors=None,
           score_threshold: float = 0.3, iou_threshold: float = 0.5, batch_size: int = 256):
    """Run a YOLO network and keep its confident, non-overlapping boxes.

    For each image: :func:`yolo_activations`, then :func:`decode_yolo` with
    ``score_threshold`` (score ``p_c * max_i c_i``), then class-wise non-max suppression
    (:func:`cnnlib.torch_ops.batched_nms`, ``iou_threshold``) and clipping to the image.
    ``images`` (N, 3, H, W), NumPy or torch. Returns a list of N ``(boxes, scores, labels)``
    NumPy triples, best score first. Runs in ``eval`` mode without gradients. Section 3.9.
    """
    V.check_int("detect", "batch_size", batch_size, minimum=1)
    param = next(model.parameters())
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    was_training = model.training
    model.eval()
    out = []
    try:
        with torch.no_grad():
            for i in range(0, len(x), batch_size):
                xb = x[i:i + batch_size].to(param.device, param.dtype)
                act = yolo_activations(model(xb), num_classes, image_size, anchors)
                for a in act:
                    boxes, scores, labels = decode_yolo(a, image_size, score_threshold)
                    if len(boxes):
                        tb, ts = torch.from_numpy(boxes), torch.from_numpy(scores)
                        tb = tops.clip_boxes_to_image(tb, (image_size, image_size))
                        keep = tops.batched_nms(tb, ts, torch.from_numpy(labels), iou_threshold)
                        keep = keep.numpy()
                        boxes, scores, labels = tb.numpy()[keep], scores[keep], labels[keep]
                    out.append((boxes, scores, labels))
    finally:
        model.train(was_training)
    return out


def dihedral(images, boxes, k: int):
    """One of the 8 symmetries of the square applied to square images and their boxes.

    ``images`` (N, C, H, H) and ``boxes`` a list of N (k_i, 4) ``'xyxy'`` pixel arrays (or one
    (k, 4) array for a single image given as (C, H, H)). The bits of ``k`` (0 to 7) choose, in
    this order, a left-right mirror (``x -> H - x``), an up-down mirror (``y -> H - y``) and a
    transpose (``x <-> y``); together they make all four rotations by 90 degrees and the four
    reflections. A box stays the tight box of its (moved) object, so labels carry over
    unchanged when the classes look the same under the symmetry (circles, squares, triangles).
    Returns ``(images, boxes)`` in the input's form; ``k = 0`` returns copies. Augments the
    detector's training scenes in section 3.9.
    """
    op = "dihedral"
    k = V.check_int(op, "k", k, minimum=0, maximum=7)
    x = np.asarray(images)
    single = not isinstance(boxes, (list, tuple))
    if single:
        if x.ndim != 3:
            raise ValueError(f"{op}: one image must have shape (C, H, W), got {x.shape}")
        x, boxes = x[None], [boxes]
    if x.ndim != 4 or x.shape[2] != x.shape[3]:
        raise ValueError(f"{op}: images must have shape (N, C, H, H) (square), got {x.shape}")
    if len(boxes) != len(x):
        raise ValueError(f"{op}: {len(x)} images but {len(boxes)} box arrays")
    size = x.shape[-1]
    out = []
    for b in boxes:
        dtype = np.asarray(b).dtype if np.asarray(b).dtype.kind == "f" else np.float64
        b = _boxes(op, b)
        if k & 1:
            b = np.stack([size - b[:, 2], b[:, 1], size - b[:, 0], b[:, 3]], axis=1)
        if k & 2:
            b = np.stack([b[:, 0], size - b[:, 3], b[:, 2], size - b[:, 1]], axis=1)
        if k & 4:
            b = b[:, [1, 0, 3, 2]]
        out.append(b.astype(dtype))
    if k & 1:
        x = x[..., ::-1]
    if k & 2:
        x = x[..., ::-1, :]
    if k & 4:
        x = x.swapaxes(-1, -2)
    x = np.ascontiguousarray(x)
    return (x[0], out[0]) if single else (x, out)
