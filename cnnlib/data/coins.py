"""scikit-image's photo of 24 coins, with a box around each coin: a real-photo detection test.

Part 3 counts and boxes the coins of ``skimage.data.coins()`` (Greek coins from the Pompeii
hoard, photographed by the Brooklyn Museum, public domain). :data:`COIN_BOXES` holds the 24 boxes
this book uses as ground truth: a classical segmentation proposed them (an intensity threshold
and an edge map around each coin, averaged) and each was checked by eye; they are right to
about two pixels, so an IoU of 0.85 or more with them means "the same coin".
"""

from __future__ import annotations

import numpy as np

__all__ = ["COIN_BOXES", "coins"]

#: (x1, y1, x2, y2) of every coin in ``skimage.data.coins()`` (303 x 384), row by row.
COIN_BOXES = np.array([
    (21, 33, 69, 75), (80, 38, 122, 75), (131, 28, 181, 75), (191, 29, 241, 75),
    (252, 31, 299, 73), (302, 13, 368, 73),
    (243, 93, 298, 145), (24, 103, 69, 147), (81, 107, 124, 146), (133, 109, 175, 146),
    (185, 104, 228, 146), (316, 104, 359, 146),
    (23, 177, 64, 218), (79, 174, 126, 218), (134, 178, 176, 218), (188, 169, 238, 218),
    (250, 171, 299, 218), (314, 154, 382, 221),
    (12, 232, 76, 290), (91, 244, 138, 289), (142, 235, 203, 289), (218, 239, 272, 289),
    (273, 238, 330, 290), (334, 247, 382, 290),
], dtype=np.float32)


def coins() -> tuple[np.ndarray, np.ndarray]:
    """The coins photo as float32 (303, 384) in [0, 1], and :data:`COIN_BOXES` (24, 4).

    Sections 3.7 and 3.10 detect and count the coins and measure the result against the boxes.
    """
    from .photos import photo

    return photo("coins"), COIN_BOXES.copy()
