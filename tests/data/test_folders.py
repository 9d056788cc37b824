"""cnnlib.data.folders: one folder per class, read from a folder the test writes."""

import numpy as np
import pytest
from PIL import Image

from cnnlib.data import image_folder


def _write(root, name, file, color, size=(6, 8)):
    (root / name).mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full(size + (3,), color, np.uint8)).save(root / name / file)


def test_reads_classes_in_sorted_order(tmp_path):
    _write(tmp_path, "dog", "b.png", 200)
    _write(tmp_path, "cat", "a.png", 0)
    _write(tmp_path, "cat", "c.jpg", 100)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    d = image_folder(tmp_path)
    assert d.classes == ("cat", "dog") and d.labels.tolist() == [0, 0, 1]
    assert d.images.shape == (3, 3, 6, 8) and d.images.dtype == np.float32
    assert d.images[0].max() == 0 and d.images[2].min() == pytest.approx(200 / 255)
    assert d.paths[2].endswith("b.png")
    g = image_folder(tmp_path, size=4, gray=True)
    assert g.images.shape == (3, 1, 4, 4)


def test_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        image_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="no class folders"):
        image_folder(tmp_path)
    _write(tmp_path, "a", "1.png", 0)
    _write(tmp_path, "b", "1.png", 0, size=(5, 5))
    with pytest.raises(ValueError, match="different sizes"):
        image_folder(tmp_path)
    assert image_folder(tmp_path, size=(5, 5)).images.shape == (2, 3, 5, 5)
    with pytest.raises(ValueError, match="fewer than min_per_class=2"):
        image_folder(tmp_path, size=5, min_per_class=2)
    (tmp_path / "b" / "2.png").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"cannot read .*2\.png"):
        image_folder(tmp_path, size=5)
    with pytest.raises(TypeError, match="size"):
        image_folder(tmp_path, size=True)
