"""Measuring semantic segmentation: per-class IoU and mean IoU of label maps (section 3.11).

A segmentation network labels every pixel. For class ``c``, compare the set of pixels the
network calls ``c`` with the set that truly is ``c``:

.. math:: \\mathrm{IoU}_c = \\frac{|\\hat S_c \\cap S_c|}{|\\hat S_c \\cup S_c|}
          = \\frac{TP_c}{TP_c + FP_c + FN_c}

over a whole data set (pixels summed over all images, as PASCAL VOC and Cityscapes do). The
mean IoU averages it over the classes, background included, so a small class counts as much as
a large one.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import _checks as V

__all__ = ["confusion_pixels", "segmentation_iou"]


def confusion_pixels(pred, true, num_classes: int) -> np.ndarray:
    """Pixel confusion matrix (num_classes, num_classes): row = true class, column = predicted.

    ``pred`` and ``true`` integer label maps of one shape (any, e.g. (N, H, W)), NumPy or torch.
    Section 3.11.
    """
    k = V.check_int("confusion_pixels", "num_classes", num_classes, minimum=1)
    p = pred.detach().cpu().numpy() if isinstance(pred, torch.Tensor) else np.asarray(pred)
    t = true.detach().cpu().numpy() if isinstance(true, torch.Tensor) else np.asarray(true)
    if p.shape != t.shape:
        raise ValueError(f"confusion_pixels: pred has shape {p.shape} but true has {t.shape}")
    for name, a in (("pred", p), ("true", t)):
        if a.dtype.kind not in "iu":
            raise TypeError(f"confusion_pixels: {name} must hold integer labels, got {a.dtype}")
        if a.size and (a.min() < 0 or a.max() >= k):
            raise ValueError(f"confusion_pixels: {name} has labels outside [0, {k})")
    return np.bincount(t.reshape(-1).astype(np.int64) * k + p.reshape(-1), minlength=k * k) \
        .reshape(k, k)


def segmentation_iou(pred, true, num_classes: int):
    """Per-class IoU (num_classes,) and their mean, from label maps (see the module formula).

    A class absent from both ``pred`` and ``true`` has no IoU (NaN) and is left out of the
    mean. Returns ``(per_class, mean_iou)``. Section 3.11.
    """
    m = confusion_pixels(pred, true, num_classes).astype(np.float64)
    tp = np.diag(m)
    union = m.sum(0) + m.sum(1) - tp
    per_class = np.full(len(tp), np.nan)
    np.divide(tp, union, out=per_class, where=union > 0)
    return per_class, float(np.nanmean(per_class)) if np.isfinite(per_class).any() else 0.0
