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

__all__ = ["sliding_windows", "window_training_set", "disc_detections", "count_multiplications"]


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
    rows = np.arange(n_h) * s
    cols = np.arange(n_w) * s
    crops = np.stack([image[:, i:i + f, j:j + f] for i in rows for j in cols])
    boxes = np.array([(j, i, j + f, i + f) for i in rows for j in cols], dtype=np.float32)
    return crops, boxes


def window_training_set(scenes, window: int, negatives_per_scene: int = 4, jitter: int = 1,
                        centre_tolerance: float = 2.0, seed: int = 0, hard_negatives: int = 0):
    """Crops for a window classifier, from :func:`cnnlib.data.scenes`: ``(crops, labels)``.

    Every object gives one crop centred on it (shifted by up to ``jitter`` pixels), labelled
    ``1 + class``. Each scene also gives ``negatives_per_scene`` random crops whose centre lies
    farther than ``centre_tolerance`` pixels (along x or y) from every object's centre, labelled
    0 (background): they include pieces of objects, so the classifier learns to fire only
    when an object sits in the middle of its window. Each object also gives
    ``hard_negatives`` background crops that cut it in part: shifted from its centre by more
    than ``centre_tolerance`` and at most half the window along x or y, in a random direction
    (still farther than ``centre_tolerance`` from every other centre). Crops that would leave
    the image are skipped. Section 3.3.
    """
    f = V.check_int("window_training_set", "window", window, minimum=1)
    neg = V.check_int("window_training_set", "negatives_per_scene", negatives_per_scene,
                      minimum=0)
    jitter = V.check_int("window_training_set", "jitter", jitter, minimum=0)
    tol = V.check_number("window_training_set", "centre_tolerance", centre_tolerance,
                         minimum=0.0)
    hard = V.check_int("window_training_set", "hard_negatives", hard_negatives, minimum=0)
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
            for _ in range(hard):
                lo = int(np.floor(tol)) + 1
                d = rng.integers(lo, max(lo, f // 2) + 1, 2) * rng.choice([-1, 1], 2)
                d[rng.integers(2)] = rng.integers(-(f // 2), f // 2 + 1)   # the other axis: any
                left, top = int(round(cx - f / 2)) + d[0], int(round(cy - f / 2)) + d[1]
                mid = np.array([left + f / 2, top + f / 2])
                if not (0 <= left <= size - f and 0 <= top <= size - f) or \
                        (np.abs(centres - mid).max(axis=1) <= tol).any():
                    continue
                crops.append(img[:, top:top + f, left:left + f])
                labels.append(0)
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


def disc_detections(image, radii, min_score: float = 0.5, margin: int = 4):
    """Slide a bright-disc template over a gray image: every window that matches is a box.

    For each radius ``r`` in ``radii``, a template (a disc of radius ``r`` on a ring of
    background ``margin`` pixels wide) is compared with the window of the same size at every
    position by normalised cross-correlation (``skimage.feature.match_template``, a score in
    [-1, 1]); every position scoring at least ``min_score`` gives the box of side ``2r + 1``
    centred there. A hand-made classifier slid over every position and scale, as in section
    3.3, with no learning: like any sliding-window detector it fires many times around each
    object, which is what non-max suppression (section 3.7) cleans up.

    Returns ``(boxes, scores)``: float64 (K, 4) ``'xyxy'`` boxes and (K,) scores.
    """
    from skimage.feature import match_template

    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f"disc_detections: image must be 2-D (gray), got shape {img.shape}")
    V.check_number("disc_detections", "min_score", min_score, minimum=-1.0, maximum=1.0)
    margin = V.check_int("disc_detections", "margin", margin, minimum=0)
    boxes, scores = [], []
    for r in radii:
        r = V.check_int("disc_detections", "radii", r, minimum=1)
        m = r + margin
        yy, xx = np.mgrid[-m:m + 1, -m:m + 1]
        template = (np.hypot(yy, xx) <= r).astype(np.float64)
        score = match_template(img, template, pad_input=True)
        ys, xs = np.nonzero(score >= min_score)
        boxes.append(np.stack([xs - r, ys - r, xs + r + 1, ys + r + 1], 1).astype(np.float64))
        scores.append(score[ys, xs])
    return np.concatenate(boxes).reshape(-1, 4), np.concatenate(scores)


def count_multiplications(model, input_shape) -> dict:
    """Multiplications of one forward pass of ``model`` on one input of ``input_shape`` (C, H, W).

    Counts the multiply-adds of every ``nn.Conv2d`` (each output is a dot product of length
    ``c_in / groups * f_h * f_w``, :func:`cnnlib.shapes.conv_mults`) and every ``nn.Linear``
    (``in_features`` per output); pooling and activations are not counted. Returns
    ``{layer name: count}`` in forward order, plus ``"total"``. Sections 3.3 and 3.4 compare
    the crop-by-crop and the convolutional sliding window with it.
    """
    import torch
    from torch import nn

    counts: dict = {}
    hooks = []

    def hook(name):
        def record(module, inputs, output):
            if isinstance(module, nn.Conv2d):
                per = module.in_channels // module.groups * module.kernel_size[0] * \
                    module.kernel_size[1]
            else:
                per = module.in_features
            counts[name] = counts.get(name, 0) + int(output[0].numel()) * per
        return record

    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            hooks.append(module.register_forward_hook(hook(name)))
    try:
        p = next(model.parameters())
        was = model.training
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *tuple(input_shape)), dtype=p.dtype, device=p.device))
        model.train(was)
    finally:
        for h in hooks:
            h.remove()
    counts["total"] = sum(counts.values())
    return counts
