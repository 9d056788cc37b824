"""cnnlib.models.RandomMultiScale: seeded random filters over an image pyramid, named taps."""

import math

import pytest
import torch
import torch.nn.functional as F

from cnnlib.models import RandomMultiScale, load_weights


def test_taps_have_one_map_per_scale_at_halving_sizes():
    net = RandomMultiScale(scales=4, channels=6, kernel_size=5)
    x = torch.rand(2, 3, 37, 50)
    taps = net(x)
    assert list(taps) == ["scale1", "scale2", "scale3", "scale4"] == net.layer_names
    for k, (name, a) in enumerate(taps.items()):
        assert a.shape == (2, 6, math.ceil(37 / 2 ** k), math.ceil(50 / 2 ** k)), name
        assert (a >= 0).all()                                  # after a ReLU
    assert list(net.taps(x, ["scale3", "scale1"])) == ["scale3", "scale1"]
    assert net.receptive_field("scale3") == 20
    assert sum(p.numel() for p in net.parameters()) == 0       # nothing to train


def test_the_same_seed_gives_the_same_filters_and_features():
    a, b, c = RandomMultiScale(seed=3), RandomMultiScale(seed=3), RandomMultiScale(seed=4)
    x = torch.rand(1, 3, 16, 16)
    assert torch.equal(a.weight1, b.weight1) and not torch.equal(a.weight1, c.weight1)
    assert torch.equal(a.taps(x, ["scale2"])["scale2"], b.taps(x, ["scale2"])["scale2"])


def test_filters_are_zero_mean_unit_norm_so_brightness_is_invisible():
    net = RandomMultiScale(scales=3, channels=8)
    for k in (1, 2, 3):
        w = getattr(net, f"weight{k}").flatten(1)
        torch.testing.assert_close(w.mean(1), torch.zeros(8), atol=1e-6, rtol=0)
        torch.testing.assert_close(w.norm(dim=1), torch.ones(8))
    x = torch.rand(1, 3, 24, 24) * 0.5
    brighter = net(x + 0.3)
    for name, a in net(x).items():
        torch.testing.assert_close(brighter[name], a, atol=1e-5, rtol=1e-5)


def test_each_scale_is_a_convolution_of_the_blurred_subsampled_image():
    net = RandomMultiScale(scales=2, channels=4, kernel_size=3, mean=0.0, std=1.0)
    x = torch.rand(1, 3, 12, 12, dtype=torch.float64)
    net = net.double()
    blur = torch.tensor([1.0, 4, 6, 4, 1], dtype=torch.float64) / 16
    kernel = (blur[:, None] * blur[None]).expand(3, 1, 5, 5)
    down = F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), kernel, groups=3)[..., ::2, ::2]
    want = F.relu(F.conv2d(F.pad(down, (1, 1, 1, 1), mode="reflect"), net.weight2))
    torch.testing.assert_close(net.taps(x, ["scale2"])["scale2"], want)


def test_tiny_images_and_state_dict_round_trip(tmp_path):
    net = RandomMultiScale(scales=5, channels=3, seed=1)
    out = net(torch.rand(1, 3, 5, 5))
    assert out["scale5"].shape == (1, 3, 1, 1)
    torch.save(net.state_dict(), tmp_path / "random.pth")
    other = load_weights(RandomMultiScale(scales=5, channels=3, seed=2), tmp_path / "random.pth")
    assert torch.equal(other.weight4, net.weight4)


def test_bad_arguments_and_layer_names():
    net = RandomMultiScale(scales=3)
    with pytest.raises(ValueError, match=r"unknown layer name\(s\) \['relu4_1'\]; "
                                         r"RandomMultiScale has scale1, scale2, scale3"):
        net.taps(torch.rand(1, 3, 8, 8), ["relu4_1"])
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, H, W\)"):
        net.taps(torch.rand(1, 1, 8, 8), ["scale1"])
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        RandomMultiScale(kernel_size=4)
    with pytest.raises(ValueError, match="scales must be positive"):
        RandomMultiScale(scales=0)
    with pytest.raises(TypeError, match="channels must be an int"):
        RandomMultiScale(channels=2.5)
    assert net.taps(torch.rand(1, 3, 8, 8), []) == {}
