"""Photos that scikit-image ships inside its package: nothing is downloaded."""

from __future__ import annotations

import numpy as np

from .. import _checks as V

__all__ = ["photo", "PHOTOS"]


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

    V.check_choice("photo", "name", name, PHOTOS)
    if size is not None:
        size = V.check_int("photo", "size", size, minimum=1)
    V.check_bool("photo", "gray", gray)
    img = getattr(data, name)()
    if img.ndim == 3 and img.shape[-1] == 4:
        img = img[..., :3]
    img = util.img_as_float32(img)
    if gray and img.ndim == 3:
        img = color.rgb2gray(img)
    if size is not None:
        scale = size / max(img.shape[:2])
        shape = (round(img.shape[0] * scale), round(img.shape[1] * scale)) + img.shape[2:]
        img = transform.resize(img, shape, anti_aliasing=True, order=1)
    return np.ascontiguousarray(img, dtype=np.float32)
