"""Offline data for the book: nothing is downloaded.

Photos come from scikit-image's bundled images, digits from scikit-learn's
bundled 8x8 handwritten digits, and small synthetic images are made here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["photo", "digits", "step_edge", "PHOTOS"]

#: Photos scikit-image ships inside its package (no download needed).
PHOTOS = ("camera", "astronaut", "coins", "moon", "page", "text", "brick", "grass", "gravel",
          "coffee", "chelsea", "rocket", "horse", "checkerboard", "immunohistochemistry")


def photo(name: str = "camera", size: int | None = None, gray: bool = True) -> np.ndarray:
    """A photo from scikit-image as float32 in [0, 1].

    Returns (H, W) when ``gray`` (colour photos are converted to luminance), else
    (H, W, 3) for colour photos. ``size`` resizes (anti-aliased) so the longer side
    has ``size`` pixels. Section 1.2 finds edges in these.
    """
    from skimage import color, data, transform, util

    if name not in PHOTOS:
        raise ValueError(f"photo: name must be one of {', '.join(PHOTOS)}; got {name!r}")
    img = getattr(data, name)()
    if img.ndim == 3 and img.shape[-1] == 4:
        img = img[..., :3]
    img = util.img_as_float32(img)
    if gray and img.ndim == 3:
        img = color.rgb2gray(img)
    if size is not None:
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"photo: size must be a positive int, got {size!r}")
        scale = size / max(img.shape[:2])
        shape = (round(img.shape[0] * scale), round(img.shape[1] * scale)) + img.shape[2:]
        img = transform.resize(img, shape, anti_aliasing=True, order=1)
    return np.ascontiguousarray(img, dtype=np.float32)


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


def step_edge(n: int = 6, vertical: bool = True, bright: float = 10.0) -> np.ndarray:
    """The course's toy image: bright left half, dark right half (or top/bottom).

    Returns float64 (n, n); ``vertical=False`` gives a horizontal edge. Section 1.2.
    """
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"step_edge: n must be an int >= 2, got {n!r}")
    img = np.zeros((n, n))
    img[:, : n // 2] = bright
    return img if vertical else img.T.copy()
