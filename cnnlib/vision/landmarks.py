"""Landmark detection: a network regresses the (x, y) of k points (section 3.2).

The label of an image is the list of its landmarks, ``(l_{1x}, l_{1y}, ..., l_{kx}, l_{ky})``,
as fractions of the image size; a network with ``2k`` outputs learns them by squared error
(:class:`cnnlib.train.Regression`). The landmarks must mean the same thing in every image:
"the first point" is always the same corner, tip or eye. The error is reported normalised by
the size of the object, so that it reads the same for small and large objects.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from .. import _checks as V
from .localization import _positional_layers

__all__ = ["encode_landmarks", "decode_landmarks", "normalised_mean_error", "keypoint_extent",
           "nme_metric", "LandmarkNet"]


def encode_landmarks(keypoints, image_size: int) -> np.ndarray:
    """Targets (N, 2k) float32: each image's (k, 2) keypoints, divided by the image size,
    flattened as ``x_1, y_1, x_2, y_2, ...``. Every image must have the same k. Section 3.2."""
    size = V.check_number("encode_landmarks", "image_size", image_size, minimum=0.0,
                          strict=True)
    arrays = [np.asarray(k, dtype=np.float64).reshape(-1, 2) for k in keypoints]
    if not arrays:
        raise ValueError("encode_landmarks: keypoints is empty")
    k = len(arrays[0])
    for i, a in enumerate(arrays):
        if len(a) != k:
            raise ValueError(f"encode_landmarks: image 0 has {k} keypoints but image {i} has "
                             f"{len(a)}; every image needs the same landmarks")
    return (np.stack(arrays) / size).reshape(len(arrays), 2 * k).astype(np.float32)


def decode_landmarks(y, image_size: int) -> np.ndarray:
    """(N, 2k) targets or predictions -> (N, k, 2) pixel coordinates (NumPy). Section 3.2."""
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] % 2:
        raise ValueError(f"decode_landmarks: y must have shape (N, 2k), got {y.shape}")
    size = V.check_number("decode_landmarks", "image_size", image_size, minimum=0.0,
                          strict=True)
    return y.reshape(len(y), -1, 2) * size


def normalised_mean_error(pred, true, norm):
    """Mean distance between predicted and true landmarks, per image, over ``norm``.

    .. math:: \\mathrm{NME}_i = \\frac{1}{k} \\sum_{j=1}^{k}
              \\frac{\\lVert \\hat l_{ij} - l_{ij} \\rVert}{d_i}

    ``pred`` and ``true`` (N, k, 2) in one unit, ``norm`` (N,) the size ``d_i`` of each object in
    that unit (for faces, the distance between the eyes; here the diagonal of the object's box).
    Works on NumPy arrays and torch tensors; returns (N,). Section 3.2.
    """
    if isinstance(pred, torch.Tensor):
        return (pred - true).norm(dim=-1).mean(-1) / norm
    pred, true = np.asarray(pred, dtype=np.float64), np.asarray(true, dtype=np.float64)
    if pred.shape != true.shape or pred.ndim != 3 or pred.shape[-1] != 2:
        raise ValueError(f"normalised_mean_error: pred and true must both be (N, k, 2), got "
                         f"{pred.shape} and {true.shape}")
    return np.linalg.norm(pred - true, axis=-1).mean(-1) / np.asarray(norm, dtype=np.float64)


def keypoint_extent(keypoints):
    """Diagonal of the box around each image's keypoints: (N, k, 2) -> (N,).

    For shapes whose keypoints are their corners (a triangle's three vertices) this is the
    diagonal of the object's box, the size :func:`normalised_mean_error` divides by in section
    3.2. NumPy arrays or torch tensors.
    """
    if isinstance(keypoints, torch.Tensor):
        return (keypoints.amax(dim=-2) - keypoints.amin(dim=-2)).norm(dim=-1)
    k = np.asarray(keypoints, dtype=np.float64)
    if k.ndim != 3 or k.shape[-1] != 2:
        raise ValueError(f"keypoint_extent: keypoints must be (N, k, 2), got {k.shape}")
    return np.linalg.norm(k.max(axis=-2) - k.min(axis=-2), axis=-1)


def nme_metric(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean normalised error of a minibatch, for :class:`cnnlib.train.Regression`'s ``metrics``.

    ``pred`` and ``target`` (N, 2k) in the layout of :func:`encode_landmarks`; each image's
    error is divided by :func:`keypoint_extent` of its true landmarks (the unit cancels, so
    fractions of the image do). Returns a scalar tensor. Section 3.2.
    """
    p, t = pred.reshape(len(pred), -1, 2), target.reshape(len(target), -1, 2)
    return normalised_mean_error(p, t, keypoint_extent(t).clamp(min=1e-12)).mean()


class LandmarkNet(nn.Sequential):
    """Image (N, C, S, S) -> (N, 2k) landmarks as fractions of the image, ``S`` a multiple of 4.

    The body of :class:`cnnlib.vision.localization.Localizer` (coordinate channels, two
    poolings, a flattened volume into ``hidden`` units) with ``2k`` linear outputs in the
    layout of :func:`encode_landmarks`. The last layer starts at zero weights and a bias of
    0.5, so every landmark starts at the image's centre instead of at large random values that
    the squared error would punish with large, destabilising gradients. Train it with
    :class:`cnnlib.train.Regression`. Section 3.2.
    """

    def __init__(self, num_landmarks: int, image_size: int = 32, in_channels: int = 3,
                 width: int = 16, hidden: int = 128):
        k = V.check_int("LandmarkNet", "num_landmarks", num_landmarks, minimum=1)
        super().__init__(*_positional_layers("LandmarkNet", in_channels, width, image_size,
                                             hidden, 2 * k))
        with torch.no_grad():
            self[-1].weight.zero_()
            self[-1].bias.fill_(0.5)
        self.num_landmarks, self.image_size = k, int(image_size)
