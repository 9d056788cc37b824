"""scikit-learn's bundled handwritten digits, as images for a CNN (section 1.8 on)."""

from __future__ import annotations

import numpy as np

__all__ = ["digits"]


def digits(size: int = 32, test_fraction: float = 0.25, seed: int = 0):
    """scikit-learn's 1,797 handwritten digits, upsampled, split into train and test.

    Each 8x8 image (ink 0..16) is scaled to [0, 1] and resized bilinearly to
    ``size x size``. Returns ``(x_train, y_train, x_test, y_test)`` with images as
    float32 (N, 1, size, size) and labels as int64 (N,); the split is stratified
    by class and fixed by ``seed``. Section 1.8 trains LeNet-5 on it.
    """
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not isinstance(size, int) or size < 8:
        raise ValueError(f"digits: size must be an int >= 8, got {size!r}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"digits: test_fraction must be in (0, 1), got {test_fraction!r}")
    bunch = load_digits()
    images = bunch.images.astype(np.float32) / 16.0
    if size != 8:
        images = zoom(images, (1, size / 8, size / 8), order=1, grid_mode=True, mode="nearest")
        images = np.clip(images, 0.0, 1.0)
    x = images[:, None].astype(np.float32)
    y = bunch.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction, random_state=seed,
                                              stratify=y)
    return (np.ascontiguousarray(x_tr), y_tr, np.ascontiguousarray(x_te), y_te)
