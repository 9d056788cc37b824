"""cnnlib.part4 (the shared face splits, non-face patches, the recipe check) and vision.embed."""

import numpy as np
import pytest
import torch
from torch import nn

from cnnlib import part4
from cnnlib.vision import embeddings as E


def test_nonface_patches_are_seeded_grey_squares_in_range():
    a = part4.nonface_patches(6, size=16, seed=3)
    b = part4.nonface_patches(6, size=16, seed=3)
    c = part4.nonface_patches(6, size=16, seed=4)
    assert a.shape == (6, 1, 16, 16) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 1


def test_face_split_names_and_unknown_recipe_entries():
    with pytest.raises(ValueError, match="face_split: name must be one of"):
        part4.face_split("training")
    with pytest.raises(TypeError, match="unknown recipe entries \\['margn'\\]"):
        part4.train_face_embedding(margn=0.3)
    # the splits share no identity
    ids = [set(r) for r in (part4.TRAIN_IDS, part4.VAL_IDS, part4.TEST_IDS)]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    assert set(part4.TEST_IDS) <= set(part4.GALLERY_IDS) and not (ids[0] & set(part4.GALLERY_IDS))


def test_embed_matches_the_model_in_eval_mode_and_restores_the_mode():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.BatchNorm1d(5), nn.Dropout(0.5))
    model.train()
    x = np.random.default_rng(0).normal(size=(7, 3, 2, 2)).astype(np.float32)
    got = E.embed(model, x, batch_size=3)
    assert model.training
    model.eval()
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    assert got.dtype == np.float32 and got.shape == (7, 5)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_embed_rejects_bad_inputs():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(TypeError, match="embed: model must be a torch.nn.Module"):
        E.embed(lambda x: x, np.zeros((1, 1, 2, 2), np.float32))
    with pytest.raises(TypeError, match="embed: images must be a floating"):
        E.embed(model, np.zeros((1, 1, 2, 2), np.int64))
    with pytest.raises(ValueError, match="batch_size"):
        E.embed(model, np.zeros((1, 1, 2, 2), np.float32), batch_size=0)
    with pytest.raises(ValueError, match="must return \\(N, D\\) embeddings"):
        E.embed(nn.Identity(), np.zeros((2, 1, 2, 2), np.float32))
