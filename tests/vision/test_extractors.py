"""cnnlib.vision.extractors: photo patches, the trained extractor and its cache, layers."""

import numpy as np
import pytest
import torch

from cnnlib.models import VGG, RandomMultiScale
from cnnlib.vision import extractors as E


def test_photo_patches_are_seeded_labelled_and_split_apart():
    x, y = E.photo_patches(40, 16, seed=1)
    assert x.shape == (40, 3, 16, 16) and x.dtype == np.float32 and y.dtype == np.int64
    assert 0 <= x.min() and x.max() <= 1 and set(y) <= set(range(len(E.PATCH_PHOTOS)))
    x2, y2 = E.photo_patches(40, 16, seed=1)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    assert not np.array_equal(x, E.photo_patches(40, 16, seed=2)[0])
    # every patch is a crop of its photo, from its split's band of columns
    photos = E._patch_photos(E.PATCH_PHOTOS, 192)
    for split, (lo, hi) in E._SPLITS.items():
        xs, ys = E.photo_patches(12, 16, seed=0, split=split, flip=False)
        for patch, label in zip(xs, ys):
            a = photos[label]
            w = a.shape[2]
            windows = np.lib.stride_tricks.sliding_window_view(a, (3, 16, 16))[0]
            hits = np.argwhere((np.abs(windows - patch).max(axis=(2, 3, 4)) == 0))
            assert len(hits), (split, label)
            assert all(int(w * lo) <= col and col + 16 <= int(w * hi) for _, col in hits)
    with pytest.raises(ValueError, match="split must be one of"):
        E.photo_patches(4, split="holdout")
    with pytest.raises(ValueError, match="photos must be one of"):
        E.photo_patches(4, photos=("astronaut", "lena"))
    with pytest.raises(ValueError, match="smaller than a 64-pixel patch"):
        E.photo_patches(4, 64, split="test", longer=128)


def test_trained_extractor_trains_once_then_reads_its_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLIB_CACHE", str(tmp_path))
    assert E.cache_dir() == tmp_path
    first = E.trained_extractor(seed=0, n_train=96, epochs=1)
    assert first.record["cached"] is False and 0 <= first.record["val_acc"] <= 1
    assert len(first.record["history"]["train_loss"]) == 1
    files = list(tmp_path.glob("part5-extractor-*.pt"))
    assert len(files) == 1
    second = E.trained_extractor(seed=0, n_train=96, epochs=1)
    assert second.record["cached"] is True
    assert second.record["val_acc"] == first.record["val_acc"]
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)
    assert isinstance(second, VGG) and not second.training
    assert not any(p.requires_grad for p in second.parameters())
    assert [n for n in second.layer_names if n.endswith("_1") and n.startswith("relu")] == \
        ["relu1_1", "relu2_1", "relu3_1", "relu4_1"]
    other = E.trained_extractor(seed=1, n_train=96, epochs=1)      # another recipe, another file
    assert other.record["cached"] is False and len(list(tmp_path.glob("*.pt"))) == 2
    files[0].write_bytes(b"damaged")                                # a broken cache is retrained
    again = E.trained_extractor(seed=0, n_train=96, epochs=1)
    assert again.record["cached"] is False
    for a, b in zip(first.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)                                    # seeded: the same network
    uncached = E.trained_extractor(seed=2, n_train=96, epochs=1, cache=False)
    assert uncached.record["cached"] is False and len(list(tmp_path.glob("*.pt"))) == 2


def test_default_layers_and_feature_extractor():
    assert E.default_layers(RandomMultiScale()) == \
        ("scale4", ["scale1", "scale2", "scale3", "scale4", "scale5"])
    assert E.default_layers(RandomMultiScale(scales=2))[0] == "scale2"
    content, style = E.default_layers(VGG(19, width=1 / 16, hidden=8))
    assert content == "relu4_2" and style == ["relu1_1", "relu2_1", "relu3_1", "relu4_1",
                                              "relu5_1"]
    small = VGG(config=E.TRAINED_CONFIG, num_classes=3, hidden=8, pool_size=1)
    assert E.default_layers(small) == ("relu4_1", ["relu1_1", "relu2_1", "relu3_1", "relu4_1"])
    wrapped = E.FeatureExtractor(small, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    assert E.default_layers(wrapped) == E.default_layers(small)
    x = torch.rand(1, 3, 16, 16)
    torch.testing.assert_close(wrapped.taps(x, ["relu2_1"])["relu2_1"],
                               small.taps(2 * x - 1, ["relu2_1"])["relu2_1"])
    with pytest.raises(TypeError, match="taps"):
        E.FeatureExtractor(torch.nn.Conv2d(3, 3, 3))
    with pytest.raises(ValueError, match="both mean and std"):
        E.FeatureExtractor(small, mean=(0.5, 0.5, 0.5))
    assert E.random_extractor(seed=5).seed == 5
