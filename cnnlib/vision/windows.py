"""Sliding windows: cut an image into overlapping crops, and make crops to train on (3.3, 3.4).

The oldest way to detect with a classifier: train it on small crops (an object centred in the
crop, or background), then slide a window of that size over a scene and classify every crop.
The count of crops, and so the cost, grows with the square of the scene's size over the
stride; section 3.4 gets all of them from one pass of a convolutional network instead.
"""

from __future__ import annotations

import numpy as np

from .. import _checks as V
from ..shapes import output_size

__all__ = ["sliding_windows", "window_training_set"]


def sliding_windows(image, window: int, stride: int = 1):
    """Every ``window x window`` crop of a (C, H, W) image at steps of ``stride`` pixels.

    Returns ``(crops, boxes)``: (K, C, window, window) crops in row-major order of their
    top-left corners, and their (K, 4) ``'xyxy'`` boxes, with
    ``K = (floor((H - window) / stride) + 1) (floor((W - window) / stride) + 1)`` (the
    convolution output size of section 1.4 with ``f = window``, ``p = 0``, ``s = stride``).
    Section 3.3.
    """
    image = np.asarray(image)
    if image.ndim != 3:
        raise ValueError(f"sliding_windows: image must be (C, H, W), got shape {image.shape}")
    f = V.check_int("sliding_windows", "window", window, minimum=1)
    s = V.check_int("sliding_windows", "stride", stride, minimum=1)
    _, h, w = image.shape
    n_h, n_w = output_size(h, f, s=s), output_size(w, f, s=s)
    tops = np.arange(n_h) * s
    lefts = np.arange(n_w) * s
    crops = np.stack([image[:, i:i + f, j:j + f] for i in tops for j in lefts])
    boxes = np.array([(j, i, j + f, i + f) for i in tops for j in lefts], dtype=np.float32)
    return crops, boxes


def window_training_set(scenes, window: int, negatives_per_scene: int = 4, jitter: int = 1,
                        centre_tolerance: float = 2.0, seed: int = 0):
    """Crops for a window classifier, from :func:`cnnlib.data.scenes`: ``(crops, labels)``.

    Every object gives one crop centred on it (shifted by up to ``jitter`` pixels), labelled
    ``1 + class``. Each scene also gives ``negatives_per_scene`` random crops whose centre lies
    farther than ``centre_tolerance`` pixels (along x or y) from every object's centre, labelled
    0 (background): they include pieces of objects, so the classifier learns to fire only
    when an object sits in the middle of its window. Objects too close to the border for a
    centred crop are skipped. Section 3.3.
    """
    f = V.check_int("window_training_set", "window", window, minimum=1)
    neg = V.check_int("window_training_set", "negatives_per_scene", negatives_per_scene,
                      minimum=0)
    jitter = V.check_int("window_training_set", "jitter", jitter, minimum=0)
    tol = V.check_number("window_training_set", "centre_tolerance", centre_tolerance,
                         minimum=0.0)
    rng = np.random.default_rng(V.check_int("window_training_set", "seed", seed, minimum=0))
    crops, labels = [], []
    size = scenes.images.shape[-1]
    for img, boxes, labs in zip(scenes.images, scenes.boxes, scenes.labels):
        centres = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], 1) \
            if len(boxes) else np.zeros((0, 2))
        for (cx, cy), c in zip(centres, labs):
            dx, dy = rng.integers(-jitter, jitter + 1, 2)
            left, top = int(round(cx - f / 2)) + dx, int(round(cy - f / 2)) + dy
            if 0 <= left <= size - f and 0 <= top <= size - f:
                crops.append(img[:, top:top + f, left:left + f])
                labels.append(1 + int(c))
        made = 0
        for _ in range(50 * max(neg, 1)):
            if made == neg:
                break
            left, top = rng.integers(0, size - f + 1, 2)
            mid = np.array([left + f / 2, top + f / 2])
            if len(centres) and (np.abs(centres - mid).max(axis=1) <= tol).any():
                continue
            crops.append(img[:, top:top + f, left:left + f])
            labels.append(0)
            made += 1
    return np.stack(crops).astype(np.float32), np.array(labels, np.int64)
