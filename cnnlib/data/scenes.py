"""Synthetic scenes: several shapes per image, each with its class, box, mask and keypoints.

Part 3 needs images that hold any number of objects, of several classes, that sometimes
overlap, and whose every object is known exactly: its tight box for localisation and detection,
its pixels for segmentation, its corners for landmarks. :func:`scenes` composes them from the
pieces of :mod:`cnnlib.data.shapes` (:func:`~cnnlib.data.shapes.render_shape`,
:func:`~cnnlib.data.shapes.texture`, :func:`~cnnlib.data.shapes.background`,
:func:`~cnnlib.data.shapes.paste`), so the objects look like Part 2's shapes. Like there, scene
``i`` is drawn from its own generator seeded by ``(seed, i)``: the first hundred scenes are the
same whether you ask for a hundred or ten thousand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _checks as V
from .shapes import (BACKGROUNDS, SHAPES, TEXTURES, _clutter, _random_color, background, paste,
                     render_shape, texture)

__all__ = ["Scenes", "scenes", "SCENE_CLASSES"]

#: The default classes of a scene: four shapes that differ clearly at small sizes.
SCENE_CLASSES = ("circle", "triangle", "square", "star")


@dataclass
class Scenes:
    """Scenes and everything known about their objects.

    ``images`` float32 (N, 3, H, W) in [0, 1]. Per scene ``i``, object ``j``:
    ``boxes[i]`` float32 (k_i, 4) tight ``(x1, y1, x2, y2)`` boxes around each whole object
    (also where a later object hides part of it); ``labels[i]`` int64 (k_i,) class indices into
    ``classes``; ``keypoints[i][j]`` float32 (m, 2) ``(x, y)`` keypoints of the shape (its corners
    or tips, see :func:`~cnnlib.data.shapes.render_shape`). ``semantic`` int64 (N, H, W): 0 for
    background, ``1 + class`` where an object is visible (objects drawn later cover earlier
    ones); ``instances`` int64 (N, H, W): 0 for background, ``1 + j`` for object ``j``.
    """

    images: np.ndarray
    boxes: list
    labels: list
    keypoints: list
    semantic: np.ndarray
    instances: np.ndarray
    classes: tuple

    def __len__(self) -> int:
        return len(self.images)

    @property
    def counts(self) -> np.ndarray:
        """Number of objects in each scene, int64 (N,)."""
        return np.array([len(b) for b in self.boxes], dtype=np.int64)

    def subset(self, index) -> "Scenes":
        """The scenes at ``index`` (an integer array, slice or boolean mask)."""
        idx = np.arange(len(self))[index]
        return Scenes(self.images[idx], [self.boxes[i] for i in idx],
                      [self.labels[i] for i in idx], [self.keypoints[i] for i in idx],
                      self.semantic[idx], self.instances[idx], self.classes)


def _tight_box(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], np.float32)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def scenes(n: int, size: int = 64, seed: int = 0, classes=SCENE_CLASSES,
           objects: tuple[int, int] = (1, 4), radius: tuple[float, float] = (0.1, 0.2),
           max_overlap: float = 0.3, min_visible: float = 0.6,
           rotation: tuple[float, float] = (0.0, 2 * math.pi), background_kind="photo",
           clutter: int = 2, noise: float = 0.02, textures=TEXTURES) -> Scenes:
    """``n`` scenes of several shapes each, seeded per scene.

    Each scene: a background (:func:`~cnnlib.data.shapes.background`; ``background_kind`` is
    one kind or a tuple to draw from), up to ``clutter`` thin lines and blobs, then a number of
    objects drawn uniformly from ``objects = (low, high)`` (both included; ``low = 0`` gives
    some empty scenes). Each object is a shape of a class drawn uniformly from ``classes``, of
    circumradius a random fraction ``radius`` of ``size``, turned by an angle drawn from
    ``rotation`` (radians), at a random position that keeps it inside the image, filled with a
    random texture in colours that stand out from what lies below it. A position is redrawn
    (up to 50 times, else the object is left out) when the new box overlaps an earlier one
    with IoU above ``max_overlap``, or when it would leave less than ``min_visible`` of an
    earlier object visible. Gaussian noise of standard deviation ``noise`` comes last.

    Returns a :class:`Scenes`. Sections 3.1-3.11 use it: one object or none for localisation,
    stars for landmarks, crowded scenes for detection, their masks for segmentation.
    """
    op = "scenes"
    n = V.check_int(op, "n", n, minimum=0)
    size = V.check_int(op, "size", size, minimum=8)
    seed = V.check_int(op, "seed", seed, minimum=0)
    classes = tuple(classes)
    if not classes:
        raise ValueError("scenes: classes must name at least one shape")
    for c in classes:
        V.check_choice(op, "classes", c, SHAPES)
    if not isinstance(objects, (tuple, list)) or len(objects) != 2:
        raise TypeError(f"scenes: objects must be (low, high), got {objects!r}")
    lo_n = V.check_int(op, "objects", objects[0], minimum=0)
    hi_n = V.check_int(op, "objects", objects[1], minimum=0)
    if lo_n > hi_n:
        raise ValueError(f"scenes: objects must be (low, high) with low <= high, got {objects}")
    if not isinstance(radius, (tuple, list)) or len(radius) != 2:
        raise TypeError(f"scenes: radius must be (low, high), got {radius!r}")
    r_lo, r_hi = (V.check_number(op, "radius", r, 0.02, 0.5) for r in radius)
    if r_lo > r_hi:
        raise ValueError(f"scenes: radius must be (low, high) with low <= high, got {radius}")
    max_overlap = V.check_number(op, "max_overlap", max_overlap, 0.0, 1.0)
    min_visible = V.check_number(op, "min_visible", min_visible, 0.0, 1.0)
    if not isinstance(rotation, (tuple, list)) or len(rotation) != 2:
        raise TypeError(f"scenes: rotation must be (low, high) in radians, got {rotation!r}")
    a_lo, a_hi = (V.check_number(op, "rotation", a) for a in rotation)
    kinds = (background_kind,) if isinstance(background_kind, str) else tuple(background_kind)
    if not kinds:
        raise ValueError("scenes: background_kind must name at least one kind")
    for k in kinds:
        V.check_choice(op, "background_kind", k, BACKGROUNDS)
    clutter = V.check_int(op, "clutter", clutter, minimum=0)
    noise = V.check_number(op, "noise", noise, minimum=0.0)
    textures = tuple(textures)
    for t in textures:
        V.check_choice(op, "textures", t, TEXTURES)

    images = np.zeros((n, 3, size, size), np.float32)
    semantic = np.zeros((n, size, size), np.int64)
    instances = np.zeros((n, size, size), np.int64)
    all_boxes, all_labels, all_keypoints = [], [], []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        img = background(kinds[rng.integers(len(kinds))], size, rng)
        _clutter(img, int(rng.integers(0, clutter + 1)), rng)
        want = int(rng.integers(lo_n, hi_n + 1))
        boxes, labels, keypoints, masks = [], [], [], []
        owner = np.full((size, size), -1, np.int64)       # which object each pixel shows
        for _ in range(want):
            label = int(rng.integers(len(classes)))
            r = rng.uniform(r_lo, r_hi) * size
            angle = rng.uniform(a_lo, a_hi)
            placed = None
            for _attempt in range(50):
                cx, cy = rng.uniform(r, size - r, 2)
                cov, kp = render_shape(classes[label], size, cx, cy, r, angle)
                mask = cov > 0.5
                if not mask.any():
                    continue
                box = _tight_box(mask)
                if any(_iou(box, b) > max_overlap for b in boxes):
                    continue
                covered = owner[mask]
                if any((covered == j).sum() > (1 - min_visible) * m.sum()
                       for j, m in enumerate(masks)):
                    continue
                placed = cov, kp, mask, box
                break
            if placed is None:
                continue
            cov, kp, mask, box = placed
            below = (img * cov).sum(axis=(1, 2)) / max(float(cov.sum()), 1e-6)
            fill = texture(textures[rng.integers(len(textures))], (size, size),
                           (_random_color(rng, avoid=below), _random_color(rng, avoid=below)),
                           rng)
            paste(img, cov[None], fill)
            owner[mask] = len(boxes)
            boxes.append(box)
            labels.append(label)
            keypoints.append(kp)
            masks.append(mask)
        if noise:
            img += rng.normal(0, noise, img.shape).astype(np.float32)
        images[i] = np.clip(img, 0, 1)
        lab = np.array(labels, np.int64)
        visible = owner >= 0
        semantic[i][visible] = lab[owner[visible]] + 1
        instances[i] = owner + 1
        all_boxes.append(np.array(boxes, np.float32).reshape(-1, 4))
        all_labels.append(lab)
        all_keypoints.append(keypoints)
    return Scenes(images, all_boxes, all_labels, all_keypoints, semantic, instances, classes)
