"""cnnlib.vision.localization and landmarks: targets round-trip, the loss ignores p_c = 0."""

import numpy as np
import pytest
import torch

from cnnlib.data import scenes
from cnnlib.vision import landmarks as L
from cnnlib.vision import localization as Z


def test_target_vector_round_trip_and_layout():
    s = scenes(30, 48, seed=2, objects=(0, 1))
    y = Z.encode_localization(s.boxes, s.labels, 4, 48)
    assert y.shape == (30, 9) and y.dtype == np.float32
    pc, boxes, labels = Z.decode_localization(y, 48)
    for i in range(30):
        if len(s.boxes[i]):
            assert pc[i] == 1 and labels[i] == s.labels[i][0]
            np.testing.assert_allclose(boxes[i], s.boxes[i][0], atol=1e-4)
        else:
            assert pc[i] == 0 and (y[i] == 0).all()
    b = np.array([[12.0, 6.0, 36.0, 18.0]])
    np.testing.assert_allclose(Z.encode_localization([b], [np.array([1])], 3, 48)[0],
                               [1, 0.5, 0.25, 0.25, 0.5, 0, 1, 0])


def test_loss_asks_nothing_of_background_images():
    task = Z.Localization(num_classes=3)
    y = torch.tensor([[0.0, 0, 0, 0, 0, 0, 0, 0], [1.0, 0.5, 0.5, 0.2, 0.3, 0, 1, 0]])

    class Fixed(torch.nn.Module):
        def __init__(self, z):
            super().__init__()
            self.z = z

        def forward(self, x):
            return self.z

    good = torch.tensor([[-30.0, 5, -5, 3, 1, 9, -9, 4],          # background: any box, class
                         [30.0, 0, 0, np.log(0.2 / 0.8), np.log(0.3 / 0.7), -20, 20, -20]],
                        dtype=torch.float32)
    loss, stats = task.loss(Fixed(good), (torch.zeros(2, 1), y))
    assert float(loss) < 1e-6 and float(stats["iou"]) == pytest.approx(1.0)
    moved = good.clone()
    moved[1, 1] = 1.0
    loss2, stats2 = task.loss(Fixed(moved), (torch.zeros(2, 1), y))
    assert float(stats2["box"]) > 0 and float(stats2["iou"]) < 1
    with pytest.raises(ValueError, match="targets"):
        task.prepare((np.zeros((2, 1), np.float32), np.zeros((2, 6), np.float32)), "cpu",
                     torch.float32)
    with pytest.raises(ValueError, match="at most one"):
        Z.encode_localization([np.zeros((2, 4))], [np.zeros(2, int)], 3, 48)


def test_landmarks_round_trip_and_nme():
    kps = [np.array([[1.0, 2.0], [30.0, 40.0]]), np.array([[5.0, 5.0], [6.0, 7.0]])]
    y = L.encode_landmarks(kps, 64)
    assert y.shape == (2, 4)
    np.testing.assert_allclose(L.decode_landmarks(y, 64), np.stack(kps), rtol=1e-6)
    pred = np.stack(kps) + np.array([3.0, 4.0])             # every point off by 5 px
    np.testing.assert_allclose(L.normalised_mean_error(pred, np.stack(kps), np.array([10.0, 50.0])),
                               [0.5, 0.1])
    t = L.normalised_mean_error(torch.from_numpy(pred), torch.from_numpy(np.stack(kps)),
                                torch.tensor([10.0, 50.0], dtype=torch.float64))
    np.testing.assert_allclose(t.numpy(), [0.5, 0.1])
    with pytest.raises(ValueError, match="same landmarks"):
        L.encode_landmarks([np.zeros((2, 2)), np.zeros((3, 2))], 64)
