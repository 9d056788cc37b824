"""scikit-learn's bundled handwritten digits, as images for a CNN (section 1.8 on)."""

from __future__ import annotations

import numpy as np

from .. import _checks as V
from .splits import Splits, split

__all__ = ["digits"]


def digits(size: int = 32, val_fraction: float = 0.15, test_fraction: float = 0.25,
           seed: int = 0) -> Splits:
    """scikit-learn's 1,797 handwritten digits, upsampled, split into train, validation and test.

    Each 8x8 image (ink 0..16) is scaled to [0, 1] and resized bilinearly to
    ``size x size``. Returns :class:`~cnnlib.data.splits.Splits` ``(train, val, test)``, each
    ``(x, y)`` with images float32 (N, 1, size, size) and labels int64 (N,), stratified by
    class and fixed by ``seed`` (:func:`~cnnlib.data.split`; ``val_fraction=0`` gives no
    validation split and the same train and test sets as before it existed). Section 1.8
    trains LeNet-5 on it.
    """
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    size = V.check_int("digits", "size", size, minimum=8)
    bunch = load_digits()
    images = bunch.images.astype(np.float32) / 16.0
    if size != 8:
        images = zoom(images, (1, size / 8, size / 8), order=1, grid_mode=True, mode="nearest")
        images = np.clip(images, 0.0, 1.0)
    x = images[:, None].astype(np.float32)
    y = bunch.target.astype(np.int64)
    return split(x, y, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed)
