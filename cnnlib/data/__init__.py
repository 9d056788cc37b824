"""Offline data for the book: nothing is downloaded.

Photos come from scikit-image's bundled images (:func:`photo`), digits from
scikit-learn's bundled 8x8 handwritten digits (:func:`digits`); :func:`split` makes
train, validation and test splits.
"""
from .digits import digits
from .photos import PHOTOS, photo
from .splits import Splits, split

__all__ = ["photo", "PHOTOS", "digits", "split", "Splits"]
