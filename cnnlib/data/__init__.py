"""Offline data for the book: nothing is downloaded.

Photos come from scikit-image's bundled images (:func:`photo`), digits from
scikit-learn's bundled 8x8 handwritten digits (:func:`digits`).
"""
from .digits import digits
from .photos import PHOTOS, photo

__all__ = ["photo", "PHOTOS", "digits"]
