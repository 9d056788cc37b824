"""Part 3's pictures and explorers: boxes on images, IoU of two boxes, NMS at a threshold.

Like every chapter explorer, each comes in layers so that the numbers can be tested apart from
the pictures: :func:`two_boxes` and :func:`crowded_detections` compute, :func:`draw_iou` and
:func:`draw_nms` draw one slider setting (a Matplotlib Figure), and :func:`iou_explorer` and
:func:`nms_explorer` hand a grid of slider values to :func:`cnnlib.viz.widgets.explorer`.
:func:`draw_boxes` and :func:`show_detections` draw boxes on images for every section of Part 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ... import numpy_ops as nops
from ..widgets import Explorer, explorer

__all__ = ["CLASS_COLORS", "draw_boxes", "show_detections", "two_boxes", "draw_iou",
           "iou_explorer", "CrowdedScene", "crowded_detections", "draw_nms", "nms_explorer"]

#: One colour per class index (cycled), chosen to stand out on photos.
CLASS_COLORS = ("#ffd400", "#00e5ff", "#ff3d9a", "#7cff4f", "#ff8c00", "#b388ff")


def _image_hwc(image):
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3):
        a = a.transpose(1, 2, 0)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    return np.clip(a, 0, 1)


def draw_boxes(ax, boxes, labels=None, scores=None, classes=None, color=None, lw: float = 1.5,
               ls: str = "-", fontsize: float = 6.5, text: bool = True) -> None:
    """Draw ``'xyxy'`` boxes on a Matplotlib axes showing an image (pixel ``(i, j)`` centred
    at ``(j, i)``, so a box edge at ``x`` lies at ``x - 0.5``). Colours follow ``labels``
    (:data:`CLASS_COLORS`) unless ``color`` is given; the class name and score label each box."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    for k, (x1, y1, x2, y2) in enumerate(boxes):
        lab = None if labels is None else int(np.asarray(labels).reshape(-1)[k])
        c = color or (CLASS_COLORS[lab % len(CLASS_COLORS)] if lab is not None else "#ffd400")
        ax.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, ec=c, lw=lw,
                               ls=ls))
        parts = []
        if lab is not None and classes is not None:
            parts.append(str(classes[lab]))
        if scores is not None:
            parts.append(f"{float(np.asarray(scores).reshape(-1)[k]):.2f}")
        if text and parts:
            ax.text(x1 - 0.5, y1 - 1.0, " ".join(parts), color="black", fontsize=fontsize,
                    va="bottom", ha="left",
                    bbox=dict(boxstyle="square,pad=0.1", fc=c, ec="none", alpha=0.85))


def show_detections(images, truth=None, detections=None, classes=None, cols: int = 4,
                    size: float = 2.2, titles=None) -> Figure:
    """A grid of images with ground-truth boxes (white, dashed) and detections (by class).

    ``images`` (N, 3, H, W) or (N, H, W); ``truth`` a list of ``(boxes, labels)``;
    ``detections`` a list of ``(boxes, scores, labels)``. Returns a Figure (display it).
    """
    n = len(images)
    cols = min(cols, n)
    rows = -(-n // cols)
    fig = Figure(figsize=(size * cols, size * rows + 0.1))
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        img = _image_hwc(images[i])
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1,
                  interpolation="nearest")
        if truth is not None:
            b, _ = truth[i]
            draw_boxes(ax, b, color="white", ls="--", lw=1.0, text=False)
        if detections is not None:
            b, s, lab = detections[i]
            draw_boxes(ax, b, lab, s, classes)
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


# --- IoU of two boxes (section 3.6) ---------------------------------------------------------------

@dataclass(frozen=True)
class TwoBoxes:
    """Box ``a`` fixed, box ``b`` moved by ``(dx, dy)``; their intersection, union and IoU."""

    a: np.ndarray
    b: np.ndarray
    intersection: float
    union: float
    iou: float


def two_boxes(dx: float, dy: float, scale: float = 1.0) -> TwoBoxes:
    """A fixed 8x6 box at (4, 4) and a copy scaled by ``scale`` about its centre, moved by
    ``(dx, dy)``; the IoU is :func:`cnnlib.numpy_ops.box_iou`. Section 3.6."""
    a = np.array([4.0, 4.0, 12.0, 10.0])
    c = np.array([8.0 + dx, 7.0 + dy])
    half = np.array([4.0, 3.0]) * scale
    b = np.concatenate([c - half, c + half])
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = 48.0 + float((b[2] - b[0]) * (b[3] - b[1])) - inter
    iou = float(nops.box_iou(a[None], b[None])[0, 0])
    return TwoBoxes(a, b, inter, union, iou)


def draw_iou(dx: float, dy: float, scale: float = 1.0,
             figsize: tuple[float, float] = (5.2, 3.4)) -> Figure:
    """Two boxes, their intersection shaded, and the IoU with its fraction. Section 3.6."""
    t = two_boxes(dx, dy, scale)
    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.02, 0.02, 0.6, 0.86))
    for box, c, name in ((t.a, "#2563eb", "A"), (t.b, "#dc2626", "B")):
        ax.add_patch(Rectangle(box[:2], *(box[2:] - box[:2]), fill=False, ec=c, lw=2))
        ax.text(box[0] + 0.2, box[1] + 0.2, name, color=c, va="top", fontsize=10)
    x1, y1 = max(t.a[0], t.b[0]), max(t.a[1], t.b[1])
    x2, y2 = min(t.a[2], t.b[2]), min(t.a[3], t.b[3])
    if x2 > x1 and y2 > y1:
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, color="#a855f7", alpha=0.35))
    ax.set_xlim(-2, 18)
    ax.set_ylim(16, -2)
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=7)
    fig.text(0.65, 0.8, f"IoU = {t.iou:.3f}", fontsize=13, weight="bold")
    fig.text(0.65, 0.62, f"intersection {t.intersection:.1f}", fontsize=9)
    fig.text(0.65, 0.52, f"union {t.union:.1f}", fontsize=9)
    fig.text(0.65, 0.42, f"= 48 + {t.union + t.intersection - 48:.1f} − {t.intersection:.1f}",
             fontsize=8, color="#444444")
    verdict = "a match at 0.5" if t.iou >= 0.5 else "no match at 0.5"
    fig.text(0.65, 0.25, verdict, fontsize=9, color="#166534" if t.iou >= 0.5 else "#8b1a1a")
    return fig


def iou_explorer(dx: Sequence[float] = (-8, -6, -4, -2, 0, 2, 4, 6, 8),
                 dy: Sequence[float] = (-4, 0, 4),
                 scale: Sequence[float] = (0.5, 1.0, 1.5)) -> Explorer:
    """Move box B against box A (``dx``, ``dy``) and resize it (``scale``); read the IoU.
    Section 3.6."""
    return explorer(draw_iou, dx=list(dx), dy=list(dy), scale=list(scale),
                    title="IoU of two boxes", initial={"dx": 2, "dy": 0, "scale": 1.0})


# --- NMS over one crowded scene (section 3.7) ----------------------------------------------------

@dataclass(frozen=True)
class CrowdedScene:
    """A scene, its objects, and a detector's raw, overlapping output on it."""

    image: np.ndarray
    truth: np.ndarray
    truth_labels: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray


def crowded_detections(seed: int = 0, size: int = 96, per_object: int = 12,
                       false_alarms: int = 6) -> CrowdedScene:
    """A crowded scene (:func:`cnnlib.data.scenes`) and simulated raw detections on it.

    Around each object, ``per_object`` boxes jittered in position and size, scored higher the
    better they overlap it (plus noise), with the object's class; and ``false_alarms`` random
    low-scoring boxes. This is what a detector outputs before non-max suppression. Section 3.7.
    """
    from ...data import scenes

    s = scenes(1, size, seed=seed, objects=(5, 7), max_overlap=0.35, radius=(0.08, 0.16))
    rng = np.random.default_rng(seed)
    truth, labels = s.boxes[0].astype(np.float64), s.labels[0]
    boxes, scores, labs = [], [], []
    for b, lab in zip(truth, labels):
        w, h = b[2] - b[0], b[3] - b[1]
        for _ in range(per_object):
            shift = rng.normal(0, 0.12, 2) * (w, h)
            grow = np.exp(rng.normal(0, 0.12, 2))
            c = (b[:2] + b[2:]) / 2 + shift
            half = np.array([w, h]) * grow / 2
            boxes.append(np.concatenate([c - half, c + half]))
            labs.append(lab)
    boxes = np.array(boxes).reshape(-1, 4)
    if len(boxes):
        fit = nops.box_iou(boxes, truth).max(axis=1)
        scores = np.clip(0.25 + 0.7 * fit + rng.normal(0, 0.05, len(boxes)), 0.01, 0.99)
    else:
        scores = np.zeros(0)
    xy = rng.uniform(0, size * 0.8, (false_alarms, 2))
    fa = np.concatenate([xy, xy + rng.uniform(8, 20, (false_alarms, 2))], 1)
    boxes = np.clip(np.concatenate([boxes, fa]), 0, size)
    scores = np.concatenate([scores, rng.uniform(0.05, 0.45, false_alarms)])
    labs = np.concatenate([np.asarray(labs, np.int64), rng.integers(0, len(s.classes),
                                                                    false_alarms)])
    return CrowdedScene(s.images[0], truth, labels, boxes, scores, labs)


def draw_nms(iou_threshold: float, score_threshold: float = 0.3, scene: CrowdedScene | None = None,
             classes=None, figsize: tuple[float, float] = (7.0, 3.6)) -> Figure:
    """Left: all raw boxes above ``score_threshold``; right: what class-wise NMS keeps, with
    the count against the number of objects. Section 3.7."""
    scene = crowded_detections() if scene is None else scene
    keep_score = scene.scores >= score_threshold
    b, s, lab = scene.boxes[keep_score], scene.scores[keep_score], scene.labels[keep_score]
    kept = nops.batched_nms(b, s, lab, iou_threshold)
    fig = Figure(figsize=figsize)
    img = _image_hwc(scene.image)
    for k, (title, bb, ss, ll) in enumerate((
            (f"{len(b)} raw boxes (score ≥ {score_threshold:g})", b, None, lab),
            (f"NMS at IoU > {iou_threshold:g}: {len(kept)} kept, {len(scene.truth)} objects",
             b[kept], s[kept], lab[kept]))):
        ax = fig.add_subplot(1, 2, k + 1)
        ax.imshow(img, interpolation="nearest")
        draw_boxes(ax, bb, ll, ss, classes, lw=1.0 if k == 0 else 1.6, fontsize=5.5,
                   text=k == 1)
        ax.set_title(title, fontsize=8.5)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def nms_explorer(iou_threshold: Sequence[float] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
                 score_threshold: Sequence[float] = (0.3, 0.6), seed: int = 0) -> Explorer:
    """Slide the IoU threshold of NMS over one crowded scene (and the score threshold).
    Section 3.7."""
    from ...data import SCENE_CLASSES

    scene = crowded_detections(seed)

    def render(iou_threshold, score_threshold):
        return draw_nms(iou_threshold, score_threshold, scene, SCENE_CLASSES)

    return explorer(render, iou_threshold=list(iou_threshold),
                    score_threshold=list(score_threshold), title="Non-max suppression",
                    initial={"iou_threshold": 0.5, "score_threshold": 0.3})
