"""cnnlib.data.shapes: the synthetic shapes data set and its parts."""

import math

import numpy as np
import pytest

from cnnlib.data import shapes as S


@pytest.mark.parametrize("kind, area", [
    ("circle", math.pi), ("ellipse", math.pi * 0.55), ("ring", math.pi * (1 - 0.55 ** 2)),
    ("square", 2.0), ("triangle", 3 * math.sqrt(3) / 4), ("hexagon", 3 * math.sqrt(3) / 2),
    ("pentagon", 2.5 * math.sin(2 * math.pi / 5)),
    ("cross", 4 * 0.33 * 2 - (2 * 0.33) ** 2),
    # star: the inner pentagon (r=0.4) plus five triangles notch-tip-notch
    ("star", 2.5 * 0.16 * math.sin(2 * math.pi / 5) + 5 * 0.4 * math.sin(math.pi / 5)
     * (1 - 0.4 * math.cos(math.pi / 5))),
])
def test_coverage_has_the_shape_area(kind, area):
    radius = 20.0
    cov, _ = S.render_shape(kind, 64, 31.7, 32.2, radius, angle=0.4, supersample=8)
    assert cov.dtype == np.float32 and cov.min() >= 0 and cov.max() <= 1
    assert cov.sum() == pytest.approx(area * radius ** 2, rel=0.01)


def test_rotation_keeps_area_and_moves_keypoints():
    a, kp_a = S.render_shape("triangle", 48, 24, 24, 12, angle=0.0)
    b, kp_b = S.render_shape("triangle", 48, 24, 24, 12, angle=math.pi / 3)
    assert a.sum() == pytest.approx(b.sum(), rel=0.01)
    assert kp_a.shape == (3, 2)
    # a triangle turned by 60 degrees has its corners where the unturned one had its edges' middles
    assert np.allclose(np.linalg.norm(kp_b - 24, axis=1), 12, atol=1e-4)
    assert not np.allclose(np.sort(kp_a, axis=0), np.sort(kp_b, axis=0), atol=0.5)


def test_keypoints_lie_on_the_shape():
    for kind in S.SHAPES:
        cov, kp = S.render_shape(kind, 64, 32, 32, 20, angle=0.7)
        for x, y in kp:
            i, j = int(np.clip(y, 0, 63)), int(np.clip(x, 0, 63))
            near = cov[max(i - 1, 0):i + 2, max(j - 1, 0):j + 2]
            assert near.max() > 0, (kind, x, y)


def test_dataset_is_seeded_per_example_and_consistent():
    d = S.shape_images(40, size=32, seed=3)
    assert d.images.shape == (40, 3, 32, 32) and d.images.dtype == np.float32
    assert d.images.min() >= 0 and d.images.max() <= 1
    assert d.labels.dtype == np.int64 and set(d.labels) <= set(range(10))
    first = S.shape_images(10, size=32, seed=3)
    assert np.array_equal(first.images, d.images[:10]) and np.array_equal(first.labels, d.labels[:10])
    assert not np.array_equal(S.shape_images(10, size=32, seed=4).images, first.images)
    for box, mask in zip(d.boxes, d.masks):
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        assert box.tolist() == [cols[0], rows[0], cols[-1] + 1, rows[-1] + 1]
    assert len(d.keypoints) == 40
    sub = d.subset(d.labels == d.labels[0])
    assert len(sub) == int((d.labels == d.labels[0]).sum()) and set(sub.labels) == {d.labels[0]}


def test_classes_choose_the_labels_and_backgrounds_differ():
    d = S.shape_images(30, size=24, classes=("circle", "star"), background_kind="plain", clutter=0,
                 noise=0.0)
    assert d.classes == ("circle", "star") and set(d.labels) <= {0, 1}
    corner = d.images[:, :, 0, 0]
    assert np.allclose(d.images[:, :, 0, 1], corner)            # plain background, no noise


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="kind"):
        S.render_shape("heart", 32, 16, 16, 8)
    with pytest.raises(TypeError, match="n must be an int"):
        S.shape_images(True)
    with pytest.raises(ValueError, match="classes"):
        S.shape_images(4, classes=("circle", "blob"))
    with pytest.raises(ValueError, match="radius"):
        S.shape_images(4, radius=(0.4, 0.2))
    with pytest.raises(ValueError, match="background_kind"):
        S.shape_images(4, background_kind="sky")
    assert len(S.shape_images(0)) == 0
