"""Measuring semantic segmentation: per-class IoU and mean IoU of label maps (section 3.11).

A segmentation network labels every pixel. For class ``c``, compare the set of pixels the
network calls ``c`` with the set that truly is ``c``:

.. math:: \\mathrm{IoU}_c = \\frac{|\\hat S_c \\cap S_c|}{|\\hat S_c \\cup S_c|}
          = \\frac{TP_c}{TP_c + FP_c + FN_c}

over a whole data set (pixels summed over all images, as PASCAL VOC and Cityscapes do). The
mean IoU averages it over the classes, background included, so a small class counts as much as
a large one.

:class:`Segmentation` is the task that trains a segmenter through :func:`cnnlib.train.fit`:
per-pixel cross-entropy, with the pixel accuracy on each minibatch and the per-class and mean
IoU over the whole validation set.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .. import _checks as V
from ..train.tasks import Task

__all__ = ["confusion_pixels", "segmentation_iou", "Segmentation"]


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
    return _iou_from_confusion(confusion_pixels(pred, true, num_classes))


class Segmentation(Task):
    """Semantic segmentation as a task for :func:`cnnlib.train.fit`: data ``(images, labels)``.

    ``images`` float (N, C, H, W); ``labels`` integer (N, H, W) class indices in
    ``[0, num_classes)`` (0 is usually the background). The model maps images to scores
    (N, num_classes, H, W). The loss is the cross-entropy of every pixel, averaged over all
    pixels of the minibatch,

    .. math:: L = -\\frac{1}{N H W} \\sum_{n, i, j} \\log \\operatorname{softmax}(z_{n, :, i, j})_{y_{nij}},

    optionally weighted per class by ``class_weight`` (as :func:`torch.nn.functional.cross_entropy`
    weighs it). Stats on each training minibatch: ``acc``, the fraction of pixels labelled
    right. :meth:`evaluate` sums the pixel confusion matrix over the whole data set and adds
    ``miou`` (the mean over classes, background included, of :func:`segmentation_iou`) and
    ``iou_<c>`` for each class ``c`` (NaN for a class absent from both truth and prediction).
    Section 3.11.

    Parameters
    ----------
    num_classes : int
        Number of classes, background included.
    class_weight : sequence of float, optional
        One weight per class for the cross-entropy; ``None`` weighs every pixel alike.
    """

    name = "segmentation"

    def __init__(self, num_classes: int, class_weight=None):
        self.num_classes = V.check_int("Segmentation", "num_classes", num_classes, minimum=1)
        if class_weight is None:
            self.class_weight = None
        else:
            w = np.asarray(class_weight, dtype=np.float64)
            if w.shape != (self.num_classes,):
                raise ValueError(f"Segmentation: class_weight needs one weight per class "
                                 f"({self.num_classes}), got shape {w.shape}")
            if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
                raise ValueError("Segmentation: class_weight must be finite, non-negative and "
                                 "not all zero")
            self.class_weight = torch.as_tensor(w)

    def prepare(self, data, device, dtype):
        x, y = super().prepare(data, device, dtype)
        if not x.is_floating_point() or x.ndim != 4:
            raise TypeError(f"fit (segmentation): images must be floating point (N, C, H, W), "
                            f"got dtype {V.dtype_name(x)} and shape {tuple(x.shape)}")
        if y.is_floating_point() or y.dtype == torch.bool or y.ndim != 3:
            raise TypeError(f"fit (segmentation): labels must be an integer (N, H, W) label map, "
                            f"got dtype {V.dtype_name(y)} and shape {tuple(y.shape)}")
        if y.shape[1:] != x.shape[2:]:
            raise ValueError(f"fit (segmentation): labels have size {tuple(y.shape[1:])} but the "
                             f"images {tuple(x.shape[2:])}")
        if y.numel() and (int(y.min()) < 0 or int(y.max()) >= self.num_classes):
            raise ValueError(f"fit (segmentation): labels must lie in [0, {self.num_classes}), "
                             f"got [{int(y.min())}, {int(y.max())}]")
        return x, y.long()

    def _scores(self, model, x, y):
        z = model(x)
        if z.ndim != 4 or z.shape[1] != self.num_classes or z.shape[2:] != y.shape[1:]:
            raise ValueError(f"fit (segmentation): the model returns shape {tuple(z.shape)}, "
                             f"expected (N, {self.num_classes}, {y.shape[1]}, {y.shape[2]})")
        return z

    def loss(self, model, batch):
        x, y = batch
        z = self._scores(model, x, y)
        w = None if self.class_weight is None else self.class_weight.to(z.device, z.dtype)
        loss = F.cross_entropy(z, y, weight=w)
        return loss, {"acc": (z.detach().argmax(1) == y).float().mean()}

    def evaluate(self, model, data, batch_size: int) -> dict[str, float]:
        """Mean loss and pixel accuracy over ``data``, plus ``miou`` and ``iou_<c>`` from the
        confusion matrix summed over every pixel of every image."""
        out = super().evaluate(model, data, batch_size)
        x, y = data
        k = self.num_classes
        conf = np.zeros((k, k), np.int64)
        with torch.no_grad():
            for i in range(0, len(x), batch_size):
                pred = self._scores(model, x[i:i + batch_size], y[i:i + batch_size]).argmax(1)
                conf += confusion_pixels(pred, y[i:i + batch_size], k)
        per_class, miou = _iou_from_confusion(conf)
        out["miou"] = miou
        out.update({f"iou_{c}": float(v) for c, v in enumerate(per_class)})
        return out


def _iou_from_confusion(m: np.ndarray):
    m = m.astype(np.float64)
    tp = np.diag(m)
    union = m.sum(0) + m.sum(1) - tp
    per_class = np.full(len(tp), np.nan)
    np.divide(tp, union, out=per_class, where=union > 0)
    return per_class, float(np.nanmean(per_class)) if np.isfinite(per_class).any() else 0.0
