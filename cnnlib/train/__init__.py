"""Training: the one loop (:func:`fit`), the tasks it trains for, augmentation and metrics.

A *task* (:mod:`cnnlib.train.tasks`) owns the loss and the metrics, so one loop serves a
classifier, a box regressor, an embedding and an image being optimised.
"""
from .augment import random_shift
from .loop import History, default_device, evaluate, fit, predict
from .metrics import accuracy, confusion_matrix
from .tasks import Classification, ImageOptimisation, Regression, Task, TripletEmbedding
from .tasks import ContrastiveEmbedding, PairVerification

__all__ = ["fit", "History", "evaluate", "predict", "default_device", "Task", "Classification",
           "Regression", "TripletEmbedding", "ImageOptimisation", "random_shift", "accuracy",
           "confusion_matrix"]
__all__ += ["ContrastiveEmbedding", "PairVerification"]
