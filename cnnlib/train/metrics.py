"""Classification metrics in NumPy: accuracy and the confusion matrix (section 1.8 on).

NumPy only, so :mod:`cnnlib.part1.numpy_cnn` uses them without torch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["accuracy", "confusion_matrix"]


def _labels(op, name, a):
    a = np.asarray(a)
    if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
        raise TypeError(f"{op}: {name} must be a 1-D array of integer labels, got "
                        f"shape {a.shape} dtype {a.dtype}")
    return a


def accuracy(y_true, y_pred) -> float:
    """Fraction of positions where ``y_pred`` equals ``y_true`` (1-D integer labels)."""
    t, p = _labels("accuracy", "y_true", y_true), _labels("accuracy", "y_pred", y_pred)
    if t.shape != p.shape:
        raise ValueError(f"accuracy: y_true has {t.shape[0]} labels, y_pred {p.shape[0]}")
    if t.size == 0:
        raise ValueError("accuracy: no labels")
    return float((t == p).mean())


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts ``C[i, j]`` of examples of true class ``i`` predicted as class ``j``.

    Returns an int64 (num_classes, num_classes) array: rows are true classes,
    columns predictions, the diagonal the correct ones; ``num_classes`` defaults
    to one more than the largest label seen. Section 1.8.
    """
    t = _labels("confusion_matrix", "y_true", y_true)
    p = _labels("confusion_matrix", "y_pred", y_pred)
    if t.shape != p.shape:
        raise ValueError(f"confusion_matrix: y_true has {t.shape[0]} labels, y_pred {p.shape[0]}")
    if num_classes is None:
        num_classes = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 1:
        raise ValueError(f"confusion_matrix: num_classes must be a positive int, "
                         f"got {num_classes!r}")
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= num_classes):
        raise ValueError(f"confusion_matrix: labels must lie in [0, {num_classes - 1}]")
    out = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(out, (t, p), 1)
    return out
