"""Offline data for the book: nothing is downloaded.

Photos come from scikit-image's bundled images (:func:`photo`), digits from
scikit-learn's bundled 8x8 handwritten digits (:func:`digits`); :func:`split` makes
train, validation and test splits; :func:`shape_images` draws a harder ten-class problem of
shapes on photo backgrounds that knows each object's box, mask and keypoints;
:func:`image_folder` reads a reader's own images stored one folder per class.
:func:`scenes` composes several shapes per image, with boxes, masks and keypoints (Part 3), and
:func:`coins` is scikit-image's coins photo with a box around every coin.
:func:`faces` draws faces of many identities (Part 4), :func:`lfw_subset` loads
scikit-image's real face crops, and :func:`face_folder` with :func:`read_pairs` reads a face
data set stored one folder per identity with LFW's pair lists.
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
from .faces import (FaceFolder, FaceImages, FacePair, FaceTraits, face_folder, face_traits, faces,
                    lfw_subset, pair_indices, read_pairs, render_face, write_pairs)

__all__ += ["faces", "FaceImages", "FaceTraits", "face_traits", "render_face", "lfw_subset",
            "face_folder", "FaceFolder", "FacePair", "read_pairs", "write_pairs", "pair_indices"]
