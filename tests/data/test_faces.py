"""The synthetic face generator, the LFW crops, and the face folder and pairs-file readers."""

import numpy as np
import pytest
from PIL import Image

from cnnlib import data
from cnnlib.data.faces import LANDMARKS, FacePair, face_traits, faces, render_face


def test_faces_shapes_dtypes_and_identities():
    f = faces(range(5, 9), per_identity=3, size=32, seed=1)
    assert f.images.shape == (12, 3, 32, 32) and f.images.dtype == np.float32
    assert f.images.min() >= 0 and f.images.max() <= 1
    assert f.identities.tolist() == [5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8]
    assert f.labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert f.landmarks.shape == (12, 5, 2) and len(LANDMARKS) == 5
    assert set(f.traits) == {5, 6, 7, 8}
    g = faces(3, per_identity=2, size=48, gray=True, zoom=1.5)
    assert g.images.shape == (6, 1, 48, 48)
    sub = f.subset(f.identities == 6)
    assert len(sub) == 3 and set(sub.traits) == {6}


def test_an_identity_is_the_same_person_in_every_call():
    a = faces([3, 4], per_identity=4, size=32, seed=2)
    b = faces([4, 3, 9], per_identity=2, size=32, seed=2)
    # identity 4's first two images, and identity 3's, are the same in both calls
    np.testing.assert_array_equal(a.images[4:6], b.images[0:2])
    np.testing.assert_array_equal(a.images[0:2], b.images[2:4])
    assert face_traits(4, seed=2) == b.traits[4]
    assert face_traits(4, seed=3) != face_traits(4, seed=2)
    # the batch renderer and the one-image renderer agree
    img, marks = render_face(face_traits(3, 2), 32, np.random.default_rng([2, 3, 1]),
                             supersample=1)
    np.testing.assert_allclose(img, a.images[1], atol=1e-5)
    np.testing.assert_allclose(marks, a.landmarks[1], atol=1e-4)


def test_nuisance_changes_the_image_and_not_the_person():
    t = face_traits(11)
    still = dict(pose=0.0, lighting=0.0, expression=0.0, occlusion=0.0, background=0.0,
                 noise=0.0, blur=0.0)
    a, la = render_face(t, 32, 1, **still)
    b, lb = render_face(t, 32, 2, **still)
    np.testing.assert_allclose(a, b, atol=1e-6)          # no nuisance: one picture
    np.testing.assert_allclose(la, lb, atol=1e-6)
    for name in ("pose", "lighting", "expression", "background", "noise", "blur"):
        kw = dict(still, **{name: 1.0})
        c, _ = render_face(t, 32, 1, **kw)
        d, _ = render_face(t, 32, 2, **kw)
        assert np.abs(c - d).mean() > 1e-3, name        # each nuisance varies the image
    other, _ = render_face(face_traits(12), 32, 1, **still)
    assert np.abs(other - a).mean() > 0.02               # another person differs


def test_identities_are_closer_to_themselves_without_nuisance():
    f = faces(20, per_identity=2, size=32, pose=0.0, lighting=0.0, expression=0.0,
              occlusion=0.0, background=0.0, noise=0.0, blur=0.0)
    x = f.images.reshape(20, 2, -1)
    same = np.abs(x[:, 0] - x[:, 1]).sum(-1)
    assert same.max() < 1e-3


def test_landmarks_follow_the_face():
    """Without pose the eyes are level and symmetric; with it they move with the face."""
    still = dict(pose=0.0, lighting=0.0, expression=0.0, occlusion=0.0, background=0.0,
                 noise=0.0, blur=0.0)
    for k in range(10):
        t = face_traits(k)
        _, m = render_face(t, 64, 0, **still)
        le, re, nose, ml, mr = m
        assert le[1] == pytest.approx(re[1]) and le[0] < nose[0] < re[0]
        assert (le[0] + re[0]) / 2 == pytest.approx(32, abs=0.01)
        assert nose[1] > le[1] and ml[1] > nose[1] and ml[0] < mr[0]
        assert (re[0] - le[0]) == pytest.approx(2 * t.eye_gap * 64, rel=1e-4)
    # with pose, each landmark sits on the part it names: the eye centre is darker than the
    # skin around the eye on a face with no other nuisance
    f = faces(8, per_identity=3, size=64, lighting=0.0, expression=0.0, occlusion=0.0,
              noise=0.0, blur=0.0, supersample=2)
    grey = f.images.mean(1)
    for img, m in zip(grey, f.landmarks):
        for x, y in m[:2]:
            i, j = int(y), int(x)
            assert img[i, j] < img[i + 5, j] + 0.05     # iris/pupil against the cheek below


def test_occlusion_draws_glasses_or_hands():
    plain = faces([3], 40, size=32, occlusion=0.0, seed=5)
    covered = faces([3], 40, size=32, occlusion=1.0, seed=5)
    change = np.abs(plain.images - covered.images).max(axis=(1, 2, 3))
    assert (change > 0.05).all() and np.mean(change > 0.2) > 0.5


def test_bad_arguments():
    with pytest.raises(ValueError, match="repeated"):
        faces([1, 1])
    with pytest.raises(ValueError, match="size must be >= 16"):
        faces(2, size=8)
    with pytest.raises(ValueError, match="occlusion must lie in"):
        faces(2, occlusion=1.5)
    with pytest.raises(TypeError, match="identities must be an int"):
        faces("abc")
    with pytest.raises(ValueError, match="empty"):
        faces([])
    with pytest.raises(TypeError, match="traits must be FaceTraits"):
        render_face({"face_w": 0.3})


def test_lfw_subset():
    x, is_face = data.lfw_subset()
    assert x.shape == (200, 1, 25, 25) and x.dtype == np.float32
    assert is_face.sum() == 100 and is_face[:100].all()
    x32, _ = data.lfw_subset(32)
    assert x32.shape == (200, 1, 32, 32)


def _write_folder(root, people):
    rng = np.random.default_rng(0)
    for name, count in people.items():
        (root / name).mkdir()
        for k in range(1, count + 1):
            a = (rng.random((40, 40, 3)) * 255).astype(np.uint8)
            Image.fromarray(a).save(root / name / f"{name}_{k:04d}.png")


PAIRS = """2\t2
Ann_Lee\t1\t2
Bo_Chan\t1\t3
Ann_Lee\t1\tBo_Chan\t2
Ann_Lee\t2\tCy_Dor\t1
Bo_Chan\t2\t3
Ann_Lee\t2\t3
Bo_Chan\t1\tCy_Dor\t1
Cy_Dor\t1\tAnn_Lee\t3
"""


def test_face_folder_and_lfw_pairs(tmp_path):
    _write_folder(tmp_path, {"Ann_Lee": 3, "Bo_Chan": 3, "Cy_Dor": 1})
    folder = data.face_folder(tmp_path, size=20, gray=True, crop=0.5)
    assert folder.images.shape == (7, 1, 20, 20)
    assert folder.names == ("Ann_Lee", "Bo_Chan", "Cy_Dor")
    assert folder.numbers.tolist() == [1, 2, 3, 1, 2, 3, 1]
    # the crop is the centre of the picture
    full = data.image_folder(tmp_path, size=40, gray=True)
    np.testing.assert_allclose(folder.images[0, 0], full.images[0, 0, 10:30, 10:30], atol=1e-6)
    (tmp_path / "pairs.txt").write_text(PAIRS)
    pairs = data.read_pairs(tmp_path / "pairs.txt")
    assert len(pairs) == 8
    assert pairs[0] == FacePair("Ann_Lee", 1, "Ann_Lee", 2, True, 0, 2)
    assert pairs[2] == FacePair("Ann_Lee", 1, "Bo_Chan", 2, False, 0, 4)
    assert [p.fold for p in pairs] == [0, 0, 0, 0, 1, 1, 1, 1]
    i, j, same, fold = data.pair_indices(pairs, folder)
    assert i.tolist() == [0, 3, 0, 1, 4, 1, 3, 6] and j.tolist() == [1, 5, 4, 6, 5, 2, 6, 2]
    assert same.tolist() == [True, True, False, False] * 2
    # writing the pairs back gives the same file
    data.write_pairs(tmp_path / "again.txt", pairs, folds=2)
    assert data.read_pairs(tmp_path / "again.txt") == pairs
    one = data.read_pairs(_write(tmp_path / "dev.txt", "1\nAnn_Lee\t1\t3\nAnn_Lee\t1\tCy_Dor\t1\n"))
    assert [p.same for p in one] == [True, False] and one[0].line == 2


def _write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, message", [
    ("2\t2\nAnn_Lee\t1\t2\n", "promises 2 fold"),
    ("x\nAnn_Lee\t1\t2\n", "line 1: the header"),
    ("1\nAnn_Lee\t1\nAnn_Lee\t1\tBo_Chan\t2\n", "line 2: expected 3 fields"),
    ("1\nAnn_Lee\t1\tzero\nAnn_Lee\t1\tBo_Chan\t2\n", "line 2: image numbers must be positive"),
    ("1\nAnn_Lee\t1\tBo_Chan\t2\nAnn_Lee\t1\t2\n", "line 2: fold 1 expects a same-person"),
    ("1\nAnn_Lee\t1\t2\nAnn_Lee\t1\tAnn_Lee\t2\n", "line 3: a different-person line names"),
])
def test_malformed_pairs_files_name_the_line(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        data.read_pairs(_write(tmp_path / "pairs.txt", text))


def test_pairs_with_unknown_people_or_images_name_the_line(tmp_path):
    _write_folder(tmp_path, {"Ann_Lee": 2, "Bo_Chan": 1})
    folder = data.face_folder(tmp_path, size=16)
    bad = data.read_pairs(_write(tmp_path / "p.txt", "1\nAnn_Lee\t1\t2\nAnn_Lee\t1\tZed_Q\t1\n"))
    with pytest.raises(ValueError, match="line 3 names 'Zed_Q', who has no folder"):
        data.pair_indices(bad, folder)
    bad = data.read_pairs(_write(tmp_path / "q.txt", "1\nAnn_Lee\t1\t5\nAnn_Lee\t1\tBo_Chan\t1\n"))
    with pytest.raises(ValueError, match=r"line 2 asks for image 5 of 'Ann_Lee', who has "
                                         r"images \[1, 2\]"):
        data.pair_indices(bad, folder)
