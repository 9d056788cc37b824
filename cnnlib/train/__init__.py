"""Training: the one loop (:func:`fit`), augmentation and metrics."""
from .augment import random_shift
from .loop import History, default_device, evaluate, fit, predict
from .metrics import accuracy, confusion_matrix

__all__ = ["fit", "History", "evaluate", "predict", "default_device", "random_shift",
           "accuracy", "confusion_matrix"]
