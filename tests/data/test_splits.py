"""cnnlib.data: train/validation/test splits, digits and photos."""

import numpy as np
import pytest

from cnnlib import data


def test_split_is_stratified_disjoint_and_keeps_the_test_set():
    x = np.arange(400, dtype=np.float32)[:, None]
    y = np.repeat(np.arange(4), 100)
    s = data.split(x, y, val_fraction=0.2, test_fraction=0.25, seed=1)
    sizes = [len(part[0]) for part in s]
    assert sizes == [220, 80, 100]
    ids = [set(part[0][:, 0].tolist()) for part in s]
    assert not ids[0] & ids[1] and not ids[0] & ids[2] and not ids[1] & ids[2]
    assert set().union(*ids) == set(range(400))
    for part in s:
        counts = np.bincount(part[1], minlength=4)
        assert counts.max() - counts.min() <= 1
    no_val = data.split(x, y, val_fraction=0, test_fraction=0.25, seed=1)
    assert no_val.val is None
    assert np.array_equal(no_val.test[0], s.test[0])        # val never changes the test set


def test_split_rejects_bad_fractions():
    x, y = np.zeros((10, 1)), np.repeat([0, 1], 5)
    with pytest.raises(ValueError, match="below 1"):
        data.split(x, y, val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match="test_fraction"):
        data.split(x, y, test_fraction=0)
    with pytest.raises(TypeError, match="seed"):
        data.split(x, y, seed=True)
    with pytest.raises(ValueError, match="9 examples"):
        data.split(x[:9], y)


def test_digits_splits():
    d = data.digits(size=16)
    assert [len(p[1]) for p in d] == [1077, 270, 450]
    assert d.train[0].shape[1:] == (1, 16, 16) and d.train[0].dtype == np.float32
    assert d.test[1].dtype == np.int64
    with pytest.raises(TypeError, match="size"):
        data.digits(size=True)


def test_photo_arguments():
    with pytest.raises(TypeError, match="size"):
        data.photo("camera", size=True)
    with pytest.raises(ValueError, match="name"):
        data.photo("lena")
