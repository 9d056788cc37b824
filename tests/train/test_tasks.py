"""cnnlib.train.fit for every kind of task: classes, boxes, triplets, and an image with no data."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from toy_identities import identities as _identities

from cnnlib.train import (Classification, ImageOptimisation, Regression, Task, TripletEmbedding,
                          evaluate, fit)


def _boxes(n=256, size=16, seed=0):
    """Images with one bright square each; targets (cx, cy, w, h) / size."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.05, (n, 1, size, size)).astype(np.float32)
    y = np.zeros((n, 4), np.float32)
    for i in range(n):
        w, h = rng.integers(4, 9, 2)
        x0, y0 = rng.integers(0, size - w + 1), rng.integers(0, size - h + 1)
        x[i, 0, y0:y0 + h, x0:x0 + w] += 1
        y[i] = [(x0 + w / 2) / size, (y0 + h / 2) / size, w / size, h / size]
    return x, y


def _iou(pred, target):
    """Mean IoU of (cx, cy, w, h) boxes."""
    def corners(b):
        return b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2, b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2
    px1, py1, px2, py2 = corners(pred)
    tx1, ty1, tx2, ty2 = corners(target)
    iw = (torch.minimum(px2, tx2) - torch.maximum(px1, tx1)).clamp(min=0)
    ih = (torch.minimum(py2, ty2) - torch.maximum(py1, ty1)).clamp(min=0)
    inter = iw * ih
    union = (px2 - px1).clamp(min=0) * (py2 - py1).clamp(min=0) + (tx2 - tx1) * (ty2 - ty1) - inter
    return (inter / union.clamp(min=1e-9)).mean()


def test_fit_trains_a_box_regressor():
    x, y = _boxes()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(),
                                torch.nn.Flatten(), torch.nn.Linear(8 * 16 * 16, 4))
    task = Regression(metrics={"iou": _iou})
    before = evaluate(model, (x[200:], y[200:]), task=task)
    h = fit(model, (x[:200], y[:200]), (x[200:], y[200:]), task=task, epochs=30, lr=3e-3,
            batch_size=32, progress=False)
    assert set(h.train) == {"loss", "iou"} and set(h.val) == {"loss", "iou"}
    assert h.val["iou"][-1] > 0.6 > before["iou"]
    assert h.val["loss"][-1] < before["loss"] / 10
    assert evaluate(model, (x[200:], y[200:]), task=task)["iou"] == pytest.approx(h.val["iou"][-1])


def _one_nn_accuracy(model, x_gallery, id_gallery, x_query, id_query):
    with torch.no_grad():
        g = F.normalize(model(torch.tensor(x_gallery)), dim=1)
        q = F.normalize(model(torch.tensor(x_query)), dim=1)
    nearest = torch.cdist(q, g).argmin(1).numpy()
    return float(np.mean(id_gallery[nearest] == id_query))


@pytest.mark.parametrize("mining", ["semi_hard", "all"])
def test_fit_trains_a_triplet_embedding(mining):
    x, ids = _identities()
    rng = np.random.default_rng(1)
    order = rng.permutation(len(x))
    train, test = order[:96], order[96:]
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 32), torch.nn.ReLU(),
                                torch.nn.Linear(32, 8))
    before = _one_nn_accuracy(model, x[train], ids[train], x[test], ids[test])
    h = fit(model, (x[train], ids[train]), (x[test], ids[test]),
            task=TripletEmbedding(margin=0.2, mining=mining), epochs=60, lr=3e-3, batch_size=48,
            progress=False)
    after = _one_nn_accuracy(model, x[train], ids[train], x[test], ids[test])
    assert h.train["loss"][-1] < h.train["loss"][0] / 2
    assert h.val["loss"][-1] < h.val["loss"][0]
    assert set(h.train) == {"loss", "active"}
    assert after > 0.9 and after > before + 0.2


def test_triplet_batches_without_triplets_are_refused():
    x, ids = _identities(n_ids=2, per_id=1)
    with pytest.raises(ValueError, match="no valid triplet"):
        fit(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2)), (x, ids),
            task=TripletEmbedding(), epochs=1, progress=False)


def test_fit_optimises_an_image_without_data():
    target = torch.linspace(0, 1, 64).reshape(1, 1, 8, 8)
    image = torch.full((1, 1, 8, 8), 0.5, requires_grad=True)
    task = ImageOptimisation(lambda img: (F.mse_loss(img, target * 2 - 0.5),
                                          {"max": img.detach().max()}))
    h = fit(image, task=task, epochs=4, steps_per_epoch=50, lr=0.05, progress=False)
    assert h.epochs == 4 and set(h.train) == {"loss", "max"}
    assert float(image.detach().max()) <= 1.0 and float(image.detach().min()) >= 0.0      # clamped to [0, 1]
    assert torch.allclose(image.detach(), (target * 2 - 0.5).clamp(0, 1), atol=0.02)


def test_lbfgs_optimises_an_image():
    target = torch.rand(1, 3, 6, 6, generator=torch.Generator().manual_seed(0))
    image = torch.zeros(1, 3, 6, 6, requires_grad=True)
    task = ImageOptimisation(lambda img: F.mse_loss(img, target), low=None, high=None)
    h = fit(image, task=task, epochs=2, steps_per_epoch=5, lr=1.0, optimizer="lbfgs",
            progress=False)
    assert h.train["loss"][-1] < 1e-6


def test_task_arguments_are_checked():
    x, y = _boxes(n=8)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        fit(torch.zeros(3, requires_grad=True), task=ImageOptimisation(lambda t: t.sum()))
    with pytest.raises(ValueError, match="pass no train_data"):
        fit(torch.zeros(3, requires_grad=True), (x, y), task=ImageOptimisation(lambda t: t.sum()))
    with pytest.raises(ValueError, match="either task or loss_fn"):
        fit(torch.nn.Flatten(), (x, y), task=Regression(), loss_fn=F.mse_loss)
    with pytest.raises(TypeError, match="Task"):
        fit(torch.nn.Flatten(), (x, y), task="regression")
    with pytest.raises(ValueError, match="predicts shape"):
        fit(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 3)), (x, y),
            task=Regression(), epochs=1, progress=False)
    with pytest.raises(TypeError, match="floating point"):
        fit(torch.nn.Flatten(), (x, y.astype(np.int64)), task=Regression())
    with pytest.raises(ValueError, match="mining"):
        TripletEmbedding(mining="hardest")
    with pytest.raises(TypeError, match="margin"):
        TripletEmbedding(margin="0.2")
    with pytest.raises(TypeError, match="leaf"):
        fit(torch.zeros(3, dtype=torch.int64), task=ImageOptimisation(lambda t: t.sum()),
            steps_per_epoch=1)
    with pytest.raises(ValueError, match="low"):
        ImageOptimisation(lambda t: t, low=None, high=1.0)


def test_a_custom_task_and_batch_sampler():
    class Mean(Task):
        """Fit the mean of y: a model with one parameter."""
        name = "mean"

        def loss(self, model, batch):
            _, y = batch
            return ((model.weight.sum() - y) ** 2).mean(), {}

    x = np.zeros((10, 1), np.float32)
    y = np.arange(10, dtype=np.float32)
    seen = []

    def sampler(data, generator):
        batches = [torch.arange(0, 5), torch.arange(5, 10)]
        seen.append(len(batches))
        return batches

    model = torch.nn.Linear(1, 1, bias=False)
    fit(model, (x, y), task=Mean(), epochs=200, lr=0.1, batch_sampler=sampler, progress=False)
    assert seen == [2] * 200
    assert model.weight.item() == pytest.approx(4.5, abs=0.05)


def test_triplet_mining_picks_the_documented_pairs():
    """The task mines with cnnlib.vision.embeddings.mine_triplets (one implementation)."""
    from cnnlib.vision.embeddings import mine_triplets

    # identities 0, 0, 1, 1; distances chosen by hand
    d = np.array([[0., 1., 3., 5.],
                  [1., 0., 0.5, 4.],
                  [3., 0.5, 0., 2.],
                  [5., 4., 2., 0.]])
    labels = np.array([0, 0, 1, 1])

    def chosen(mining):
        a, p, n = mine_triplets(d, labels, mining)
        return d[a, p], d[a, n]

    d_ap, d_an = chosen("batch_hard")
    assert d_ap.tolist() == [1, 1, 2, 2] and d_an.tolist() == [3, 0.5, 0.5, 4]
    d_ap, d_an = chosen("semi_hard")
    # anchor 1 (positive at 1): no negative farther than 1 is 0.5, so 4 is the nearest semi-hard
    assert d_ap.tolist() == [1, 1, 2, 2] and d_an.tolist() == [3, 4, 3, 4]
    d_ap, d_an = chosen("all")
    assert sorted(zip(d_ap.tolist(), d_an.tolist())) == sorted(
        [(1, 3), (1, 5), (1, 0.5), (1, 4), (2, 3), (2, 0.5), (2, 5), (2, 4)])


def test_the_task_uses_the_vision_mining():
    """TripletEmbedding's hinge equals the one computed from mine_triplets' choice."""
    from cnnlib.vision.embeddings import mine_triplets

    torch.manual_seed(0)
    e = F.normalize(torch.randn(12, 5), dim=1)
    ids = torch.arange(12) // 3
    for mining in ("batch_hard", "semi_hard", "all"):
        task = TripletEmbedding(margin=0.3, mining=mining)
        hinge = task.triplet_losses(e, ids)
        d = torch.cdist(e, e) ** 2
        a, p, n = mine_triplets(d.numpy(), ids.numpy(), mining)
        want = torch.relu(d[a, p] - d[a, n] + 0.3)
        assert torch.allclose(hinge, want, atol=1e-5)
