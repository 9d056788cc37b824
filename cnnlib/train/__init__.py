"""Training: the one loop (:func:`fit`), the tasks it trains for, augmentation and metrics.

A *task* (:mod:`cnnlib.train.tasks`) owns the loss and the metrics, so one loop serves a
classifier, a box regressor, an embedding and an image being optimised.
"""
from .augment import random_shift
from .augment import (color_jitter, compose, flip_views, pca_color, random_crop, random_flip,
                      random_resized_crop, rgb_pca, ten_crop_views, tta_predict)
from .loop import History, default_device, evaluate, fit, predict
from .metrics import accuracy, confusion_matrix
from .tasks import Classification, ImageOptimisation, Regression, Task, TripletEmbedding
from .tasks import ContrastiveEmbedding, PairVerification

__all__ = ["fit", "History", "evaluate", "predict", "default_device", "Task", "Classification",
           "Regression", "TripletEmbedding", "ImageOptimisation", "random_shift", "accuracy",
           "confusion_matrix"]
__all__ += ["random_flip", "random_crop", "random_resized_crop", "color_jitter", "rgb_pca",
            "pca_color", "compose", "flip_views", "ten_crop_views", "tta_predict"]
__all__ += ["ContrastiveEmbedding", "PairVerification"]
