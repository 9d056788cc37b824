"""cnnlib.train: the training loop, its history and the metrics."""

import numpy as np
import pytest
import torch

from cnnlib.train import (History, accuracy, confusion_matrix, default_device, evaluate, fit,
                          predict, random_shift)
from cnnlib.viz.plot import plot_history


def _blobs(n=96, seed=0):
    """Two separable classes of 1x6x6 images: a bright left or right half."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(np.int64)
    x = rng.normal(0, 0.1, (n, 1, 6, 6)).astype(np.float32)
    x[y == 0, :, :, :3] += 1
    x[y == 1, :, :, 3:] += 1
    return x, y


def _model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                               torch.nn.Linear(32, 2))


def test_fit_learns_records_and_prints(capsys):
    x, y = _blobs()
    model = _model()
    h = fit(model, (x, y), (x[:32], y[:32]), epochs=3, lr=0.05, batch_size=16, device="cpu")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 3 and out[0].startswith("epoch 1/3 [#######.............]  loss ")
    assert "val_acc" in out[0] and out[-1].endswith("s")
    assert h.epochs == 3 and len(h.val_loss) == 3 and len(h.seconds) == 3
    assert h.train_loss[-1] < h.train_loss[0]
    assert h.val_acc[-1] == 1.0
    assert evaluate(model, (x[:32], y[:32]))["acc"] == pytest.approx(h.val_acc[-1])
    assert h.total_seconds == pytest.approx(sum(h.seconds))
    assert set(h.as_dict()) == {"train_loss", "train_acc", "val_loss", "val_acc", "seconds"}


def test_fit_is_deterministic_for_a_seed():
    x, y = _blobs()
    runs = []
    for _ in range(2):
        model = _model()
        h = fit(model, (x, y), epochs=2, lr=0.01, batch_size=8, seed=3, progress=False,
                optimizer="sgd", schedule="cosine", augment=random_shift(1))
        runs.append((h.train_loss, [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))
    other = fit(_model(), (x, y), epochs=2, lr=0.01, batch_size=8, seed=4, progress=False,
                optimizer="sgd")
    assert other.train_loss != runs[0][0]


def test_cosine_schedule_reaches_zero():
    x, y = _blobs(n=32)
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    fit(model, (x, y), epochs=2, batch_size=8, optimizer=opt, schedule="cosine", progress=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)


def test_fit_accepts_tensors_and_optimizer_factories():
    x, y = _blobs(n=32)
    h = fit(_model(), (torch.tensor(x), torch.tensor(y)), epochs=1, progress=False,
            optimizer=lambda ps: torch.optim.Adam(ps, lr=1e-2))
    assert h.epochs == 1 and h.val_loss == []


def test_random_shift_moves_each_image_by_a_whole_pixel_offset():
    x = torch.zeros(64, 1, 7, 7)
    x[:, :, 3, 3] = 1
    g = torch.Generator().manual_seed(0)
    out = random_shift(2)(x, g)
    assert out.shape == x.shape
    pos = out[:, 0].flatten(1).argmax(1)
    rows, cols = pos // 7, pos % 7
    assert out.sum().item() == 64                      # nothing pushed out of a 7x7 image
    assert set(rows.tolist()) <= {1, 2, 3, 4, 5} and set(cols.tolist()) <= {1, 2, 3, 4, 5}
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 5   # shifts differ per example
    assert torch.equal(random_shift(0)(x, g), x)
    with pytest.raises(ValueError, match="max_shift"):
        random_shift(-1)


def test_predict_labels_and_probabilities():
    x, y = _blobs()
    model = _model()
    fit(model, (x, y), epochs=3, lr=0.05, batch_size=16, progress=False)
    labels, probs = predict(model, x, batch_size=10, return_probs=True)
    assert labels.dtype == np.int64 and labels.shape == (96,)
    assert probs.shape == (96, 2) and np.allclose(probs.sum(1), 1, atol=1e-6)
    assert np.array_equal(labels, predict(model, x))
    assert accuracy(y, labels) == 1.0


def test_metrics():
    t = np.array([0, 1, 2, 2, 1])
    p = np.array([0, 2, 2, 2, 1])
    assert accuracy(t, p) == pytest.approx(0.8)
    cm = confusion_matrix(t, p, num_classes=4)
    assert cm.dtype == np.int64 and cm.shape == (4, 4)
    assert cm.tolist() == [[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 2, 0], [0, 0, 0, 0]]
    assert np.array_equal(confusion_matrix(t, p), cm[:3, :3])
    assert cm.sum() == 5 and np.trace(cm) / cm.sum() == accuracy(t, p)
    with pytest.raises(ValueError, match="labels must lie"):
        confusion_matrix(t, p, num_classes=2)
    with pytest.raises(TypeError, match="integer labels"):
        accuracy(t.astype(float), p)
    with pytest.raises(ValueError, match="y_pred"):
        accuracy(t, p[:3])


def test_fit_validation():
    x, y = _blobs(n=8)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        fit(lambda v: v, (x, y))
    with pytest.raises(TypeError, match=r"tuple \(x, y\)"):
        fit(_model(), x)
    with pytest.raises(ValueError, match="x has 8 examples but y has shape"):
        fit(_model(), (x, y[:3]))
    with pytest.raises(TypeError, match="integer class indices"):
        fit(_model(), (x, y.astype(np.float32)))
    with pytest.raises(ValueError, match="optimizer"):
        fit(_model(), (x, y), optimizer="rmsprop", progress=False)
    with pytest.raises(ValueError, match="schedule"):
        fit(_model(), (x, y), schedule="step", progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(_model(), (x, y), epochs=0)
    with pytest.raises(ValueError, match="device"):
        fit(_model(), (x, y), device="nowhere", progress=False)


def test_history_plot_and_device():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = History()
    h.record({"loss": 1.0, "acc": 0.5}, {"loss": 0.9, "acc": 0.6}, 0.1)
    h.record({"loss": 0.5, "acc": 0.8}, {"loss": 0.6, "acc": 0.7}, 0.1)
    fig = plot_history(h, title="t")
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    plt.close(fig)
    assert h.line(0, 2) == "epoch 1/2 [##########..........]  loss 1.0000  acc 0.5000  val_loss 0.9000  val_acc 0.6000  0.1s"
    assert default_device().type in ("cpu", "cuda")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_fit_on_cuda():
    x, y = _blobs()
    model = _model()
    h = fit(model, (x, y), (x, y), epochs=2, lr=0.05, batch_size=16, progress=False,
            augment=random_shift(1))
    assert next(model.parameters()).is_cuda and h.epochs == 2
    assert predict(model, x).shape == (96,)
