"""Images on disk in the common layout: one folder per class (or per identity).

``root/cat/001.png, root/cat/002.jpg, root/dog/...``: the folder names are the classes, in
sorted order. This is how torchvision's ``ImageFolder`` and most open data sets store images,
so a reader who has real data on disk can train the book's networks on it with
:func:`image_folder`. The book itself ships no such folder: its tests write one.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import _checks as V

__all__ = ["ImageFolder", "image_folder", "IMAGE_EXTENSIONS"]

#: File name endings read as images (case-insensitive).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


class ImageFolder(NamedTuple):
    """Images float32 (N, C, H, W) in [0, 1], labels int64 (N,), class names, file paths."""

    images: np.ndarray
    labels: np.ndarray
    classes: tuple
    paths: tuple


def image_folder(root, size: int | tuple[int, int] | None = None, gray: bool = False,
                 min_per_class: int = 1) -> ImageFolder:
    """Read every image under ``root/<class>/`` into memory.

    Classes are the sub-folders of ``root`` in sorted order (label ``i`` is
    ``classes[i]``); files are read in sorted order, only those ending in one of
    :data:`IMAGE_EXTENSIONS`. Images are converted to RGB (or to one grey channel with
    ``gray``) and, with ``size`` (an int for a square or ``(height, width)``), resized
    bilinearly; without it every image must already have the same size. A class folder with
    fewer than ``min_per_class`` images is an error, and so is an unreadable file (the
    message names it). Section 2.4; Part 4 reads faces stored one folder per identity.
    """
    from PIL import Image, UnidentifiedImageError

    if not isinstance(root, (str, Path)):
        raise TypeError(f"image_folder: root must be a str or a pathlib.Path, got "
                        f"{type(root).__name__}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image_folder: {root} is not a folder")
    if size is not None:
        hw = (size, size) if V.is_int(size) else size
        if not isinstance(hw, (tuple, list)) or len(hw) != 2:
            raise TypeError(f"image_folder: size must be an int or (height, width), got {size!r}")
        hw = tuple(V.check_int("image_folder", "size", v, minimum=1) for v in hw)
    V.check_bool("image_folder", "gray", gray)
    V.check_int("image_folder", "min_per_class", min_per_class, minimum=1)
    classes = tuple(sorted(p.name for p in root.iterdir() if p.is_dir()
                           and not p.name.startswith(".")))
    if not classes:
        raise ValueError(f"image_folder: {root} has no class folders (expected root/<class>/"
                         f"<image>)")
    images, labels, paths = [], [], []
    for label, name in enumerate(classes):
        files = sorted(p for p in (root / name).iterdir()
                       if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
        if len(files) < min_per_class:
            raise ValueError(f"image_folder: class folder {root / name} has {len(files)} "
                             f"image(s), fewer than min_per_class={min_per_class}")
        for path in files:
            try:
                with Image.open(path) as im:
                    im = im.convert("L" if gray else "RGB")
                    if size is not None:
                        im = im.resize((hw[1], hw[0]), Image.BILINEAR)
                    a = np.asarray(im, dtype=np.float32) / 255.0
            except (UnidentifiedImageError, OSError) as exc:
                raise ValueError(f"image_folder: cannot read {path} as an image ({exc})") from None
            images.append(a[None] if gray else a.transpose(2, 0, 1))
            labels.append(label)
            paths.append(str(path))
    shapes = {im.shape for im in images}
    if len(shapes) > 1:
        raise ValueError(f"image_folder: images under {root} have different sizes "
                         f"{sorted(s[1:] for s in shapes)[:4]}; pass size= to resize them")
    return ImageFolder(np.stack(images), np.asarray(labels, np.int64), classes, tuple(paths))
