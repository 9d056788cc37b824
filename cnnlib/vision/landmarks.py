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

from .. import _checks as V

__all__ = ["encode_landmarks", "decode_landmarks", "normalised_mean_error"]


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
