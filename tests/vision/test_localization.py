"""cnnlib.vision.localization and landmarks: targets round-trip, the loss ignores p_c = 0."""

import numpy as np
import pytest
import torch

from cnnlib import numpy_ops as nops
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


def test_generalized_iou_against_hand_values_and_gradient():
    a = torch.tensor([[0.0, 0, 10, 10], [0.0, 0, 10, 10], [0.0, 0, 10, 10]], requires_grad=True)
    b = torch.tensor([[0.0, 0, 10, 10], [5.0, 0, 15, 10], [20.0, 0, 30, 10]])
    giou, iou = Z.generalized_iou(a, b)
    # identical; half overlap (50 / 150, hull = union); apart (hull 300, union 200)
    np.testing.assert_allclose(iou.detach().numpy(), [1.0, 1 / 3, 0.0], atol=1e-6)
    np.testing.assert_allclose(giou.detach().numpy(), [1.0, 1 / 3, -1 / 3], atol=1e-6)
    (1 - giou[2]).backward()
    assert a.grad[2, 2] < 0                 # moving the far box's right edge towards b helps
    np.testing.assert_allclose(iou.detach().numpy(), nops.box_iou_pairwise(
        a.detach().double().numpy(), b.double().numpy()), atol=1e-6)
    with pytest.raises(ValueError, match="boxes1 and boxes2"):
        Z.generalized_iou(torch.zeros(2, 4), torch.zeros(3, 4))
    with pytest.raises(TypeError, match="torch tensors"):
        Z.generalized_iou(np.zeros((2, 4)), torch.zeros(2, 4))


def test_localizer_shapes_coord_channels_and_localize():
    x = torch.rand(3, 3, 32, 32)
    coords = Z.CoordChannels()(x)
    assert coords.shape == (3, 5, 32, 32)
    assert torch.equal(coords[:, :3], x)
    np.testing.assert_allclose(coords[0, 3, 0].numpy(), np.linspace(-1, 1, 32), atol=1e-6)
    np.testing.assert_allclose(coords[0, 4, :, 0].numpy(), np.linspace(-1, 1, 32), atol=1e-6)
    torch.manual_seed(0)
    net = Z.Localizer(num_classes=4, image_size=32)
    assert net(x).shape == (3, 9)
    pc, boxes, labels = Z.localize(net, x.numpy(), 32)
    assert pc.shape == (3,) and boxes.shape == (3, 4) and labels.shape == (3,)
    assert ((pc > 0) & (pc < 1)).all() and (boxes[:, 2:] >= boxes[:, :2]).all()
    assert (boxes >= -16).all() and (boxes <= 48).all()     # centre in the image, size <= image
    with pytest.raises(ValueError, match="multiple of 4"):
        Z.Localizer(4, image_size=30)
    with pytest.raises(ValueError, match="images must be"):
        Z.localize(net, np.zeros((3, 32, 32), np.float32), 32)


def test_localization_loss_options():
    y = torch.tensor([[1.0, 0.5, 0.5, 0.2, 0.3, 0, 1, 0]])
    z = torch.tensor([[3.0, 0.3, -0.2, -1.0, -0.5, 0.0, 1.0, 0.0]])

    class Fixed(torch.nn.Module):
        def forward(self, x):
            return z

    plain = Z.Localization(3, lambda_box=1.0, lambda_giou=0.0, sqrt_size=False)
    _, stats = plain.loss(Fixed(), (torch.zeros(1, 1), y))
    want = float(((torch.sigmoid(z[0, 1:5]) - y[0, 1:5]) ** 2).sum())
    assert float(stats["box"]) == pytest.approx(want, rel=1e-5)
    giou_only = Z.Localization(3, lambda_box=0.0, lambda_giou=1.0)
    _, stats = giou_only.loss(Fixed(), (torch.zeros(1, 1), y))
    assert float(stats["box"]) == pytest.approx(1 - float(stats["iou"]), abs=0.2)
    assert float(stats["box"]) >= 1 - float(stats["iou"]) - 1e-6   # GIoU <= IoU


def test_keypoint_extent_nme_metric_and_landmark_net():
    k = np.array([[[20.0, 16.0], [8.0, 24.0], [8.0, 8.0]]])
    np.testing.assert_allclose(L.keypoint_extent(k), [20.0])
    np.testing.assert_allclose(L.keypoint_extent(torch.from_numpy(k)).numpy(), [20.0])
    pred = np.array([[[23.0, 20.0], [8.0, 24.0], [8.0, 8.0]]])
    y, p = L.encode_landmarks(k, 32), L.encode_landmarks(pred, 32)
    # the metric works on fractions of the image: the unit cancels
    assert float(L.nme_metric(torch.from_numpy(p), torch.from_numpy(y))) == pytest.approx(1 / 12, rel=1e-5)
    with pytest.raises(ValueError, match="keypoint_extent"):
        L.keypoint_extent(np.zeros((3, 2)))
    net = L.LandmarkNet(num_landmarks=5, image_size=32)
    out = net(torch.rand(2, 3, 32, 32))
    assert out.shape == (2, 10)
    assert torch.allclose(out, torch.full((2, 10), 0.5))     # every landmark starts at the centre
    out.sum().backward()
    assert net[-1].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="multiple of 4"):
        L.LandmarkNet(3, image_size=18)
