"""The Segmentation task: per-pixel cross-entropy through fit, IoU over a whole data set."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from cnnlib.train import evaluate, fit
from cnnlib.vision.segmentation import Segmentation, segmentation_iou


class Fixed(nn.Module):
    """Returns the scores it was built with, whatever the input (slices follow the batch)."""

    def __init__(self, scores):
        super().__init__()
        self.scores = nn.Parameter(torch.as_tensor(scores))
        self.seen = 0

    def forward(self, x):
        n = len(x)
        out = self.scores[self.seen:self.seen + n]
        self.seen = (self.seen + n) % len(self.scores)
        return out


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5), k=st.integers(2, 4), h=st.integers(1, 6), w=st.integers(1, 6),
       batch=st.integers(1, 5), seed=st.integers(0, 1000))
def test_evaluate_matches_whole_set_iou_and_cross_entropy(n, k, h, w, batch, seed):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(n, k, h, w)).astype(np.float32)
    labels = rng.integers(0, k, (n, h, w))
    task = Segmentation(k)
    data = task.prepare((np.zeros((n, 1, h, w), np.float32), labels), "cpu", torch.float32)
    got = task.evaluate(Fixed(scores), data, batch)
    per, mean = segmentation_iou(scores.argmax(1), labels, k)
    assert got["miou"] == pytest.approx(mean)
    for c in range(k):
        if np.isnan(per[c]):
            assert np.isnan(got[f"iou_{c}"])
        else:
            assert got[f"iou_{c}"] == pytest.approx(per[c])
    ce = F.cross_entropy(torch.from_numpy(scores), torch.from_numpy(labels)).item()
    assert got["loss"] == pytest.approx(ce, rel=1e-5)
    assert got["acc"] == pytest.approx((scores.argmax(1) == labels).mean(), rel=1e-6)


def test_class_weight_matches_torch():
    rng = np.random.default_rng(0)
    z = torch.from_numpy(rng.normal(size=(2, 3, 4, 4)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 3, (2, 4, 4)))
    task = Segmentation(3, class_weight=[0.2, 1.0, 3.0])
    loss, stats = task.loss(lambda x: z, (torch.zeros(2, 1, 4, 4), y))
    want = F.cross_entropy(z, y, weight=torch.tensor([0.2, 1.0, 3.0]))
    assert loss.item() == pytest.approx(want.item(), rel=1e-6)
    assert stats["acc"].item() == pytest.approx((z.argmax(1) == y).float().mean().item())


def test_fit_learns_a_pixel_rule():
    """A 1x1 convolution learns 'bright pixels are class 1' to a perfect IoU."""
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (64, 1, 8, 8)).astype(np.float32)
    y = (x[:, 0] > 0.5).astype(np.int64)
    net = nn.Conv2d(1, 2, 1)
    task = Segmentation(2)
    hist = fit(net, (x[:48], y[:48]), (x[48:], y[48:]), task=task, epochs=60, lr=0.1,
               batch_size=16, progress=False, device="cpu")
    assert hist.val["miou"][-1] > 0.95
    assert hist.val["miou"][-1] > hist.val["miou"][0] or hist.val["miou"][0] > 0.95
    out = evaluate(net, (x[48:], y[48:]), task=task)
    assert set(out) == {"loss", "acc", "miou", "iou_0", "iou_1"}


def test_bad_inputs_are_named():
    task = Segmentation(3)
    x = np.zeros((2, 1, 4, 4), np.float32)
    with pytest.raises(TypeError, match="labels must be an integer"):
        task.prepare((x, np.zeros((2, 4, 4), np.float32)), "cpu", torch.float32)
    with pytest.raises(TypeError, match="labels must be an integer"):
        task.prepare((x, np.zeros((2, 16), np.int64)), "cpu", torch.float32)
    with pytest.raises(ValueError, match="labels have size"):
        task.prepare((x, np.zeros((2, 4, 5), np.int64)), "cpu", torch.float32)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        task.prepare((x, np.full((2, 4, 4), 3)), "cpu", torch.float32)
    with pytest.raises(TypeError, match="images must be floating point"):
        task.prepare((np.zeros((2, 1, 4, 4), np.int64), np.zeros((2, 4, 4), np.int64)), "cpu",
                     torch.float32)
    with pytest.raises(ValueError, match="class_weight needs one weight per class"):
        Segmentation(3, class_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="class_weight must be finite"):
        Segmentation(2, class_weight=[1.0, -1.0])
    with pytest.raises(ValueError, match="num_classes"):
        Segmentation(0)
    with pytest.raises(ValueError, match=r"expected \(N, 3, 4, 4\)"):
        task.loss(nn.Conv2d(1, 2, 1), (torch.zeros(2, 1, 4, 4), torch.zeros(2, 4, 4).long()))
