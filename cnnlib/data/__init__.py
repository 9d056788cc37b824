"""Offline data for the book: nothing is downloaded.

Photos come from scikit-image's bundled images (:func:`photo`), digits from
scikit-learn's bundled 8x8 handwritten digits (:func:`digits`); :func:`split` makes
train, validation and test splits; :func:`shape_images` draws a harder ten-class problem of
shapes on photo backgrounds that knows each object's box, mask and keypoints;
:func:`image_folder` reads a reader's own images stored one folder per class.
:func:`scenes` composes several shapes per image, with boxes, masks and keypoints (Part 3), and
:func:`coins` is scikit-image's coins photo with a box around every coin.
"""
from .digits import digits
from .folders import IMAGE_EXTENSIONS, ImageFolder, image_folder
from .photos import PHOTOS, photo
from .shapes import SHAPES, ShapeImages, shape_images
from .splits import Splits, split
from .scenes import SCENE_CLASSES, Scenes, scenes
from .coins import COIN_BOXES, coins

__all__ = ["photo", "PHOTOS", "digits", "split", "Splits", "shape_images", "ShapeImages",
           "SHAPES", "image_folder", "ImageFolder", "IMAGE_EXTENSIONS"]
__all__ += ["scenes", "Scenes", "SCENE_CLASSES", "coins", "COIN_BOXES"]
