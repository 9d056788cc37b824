"""cnnlib.models.vgg and load_weights: exact parameter counts, named taps, state dicts on disk."""

import pytest
import torch
from torch import nn

from cnnlib.models import VGG, load_weights, vgg16, vgg19


def _count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("depth, params", [(11, 132_863_336), (13, 133_047_848),
                                           (16, 138_357_544), (19, 143_667_240)])
def test_parameter_counts_equal_the_published_definitions(depth, params):
    assert _count(VGG(depth)) == params


def test_batch_norm_variant_and_output_shape():
    assert _count(VGG(16, batch_norm=True)) == 138_365_992
    small = VGG(11, num_classes=10, width=0.125, hidden=64, pool_size=1)
    assert small(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    with pytest.raises(ValueError, match="expected input"):
        small(torch.zeros(2, 1, 32, 32))


def test_layer_names_follow_the_style_transfer_convention():
    net = vgg19(num_classes=10, width=0.0625, hidden=16)
    names = net.layer_names
    assert names[:5] == ["conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1"]
    assert "conv5_4" in names and names[-1] == "pool5"
    assert sum(n.startswith("conv") for n in names) == 16


def test_taps_equal_the_layers_run_one_by_one():
    torch.manual_seed(0)
    net = vgg16(num_classes=10, width=0.0625, hidden=16).eval()
    x = torch.randn(2, 3, 40, 40)
    taps = net.taps(x, ["relu3_1", "conv1_1", "pool2"])
    assert list(taps) == ["relu3_1", "conv1_1", "pool2"]
    h, expect = x, {}
    for name, layer in zip(net.layer_names, net.features):
        h = layer(h.clone())
        expect[name] = h
    for name, value in taps.items():
        assert torch.equal(value, expect[name])
    assert taps["pool2"].shape == (2, 8, 10, 10)
    with pytest.raises(ValueError, match="unknown layer"):
        net.taps(x, ["conv6_1"])


def test_load_weights_round_trip_and_clear_errors(tmp_path):
    torch.manual_seed(0)
    source = VGG(11, num_classes=5, width=0.0625, hidden=8)
    path = tmp_path / "vgg11.pth"
    torch.save(source.state_dict(), path)
    target = VGG(11, num_classes=5, width=0.0625, hidden=8)
    load_weights(target, path)
    assert all(torch.equal(a, b) for a, b in zip(source.state_dict().values(),
                                                  target.state_dict().values()))
    # a checkpoint dict with a DistributedDataParallel prefix
    torch.save({"state_dict": {"module." + k: v for k, v in source.state_dict().items()}},
               tmp_path / "ckpt.pth")
    load_weights(VGG(11, num_classes=5, width=0.0625, hidden=8), tmp_path / "ckpt.pth")

    with pytest.raises(FileNotFoundError, match="no weights file"):
        load_weights(target, tmp_path / "missing.pth")
    torch.save([1, 2, 3], tmp_path / "list.pth")
    with pytest.raises(TypeError, match="does not hold a state dict"):
        load_weights(target, tmp_path / "list.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a torch file")
    with pytest.raises(TypeError, match="torch.load"):
        load_weights(target, tmp_path / "junk.pth")
    other = VGG(11, num_classes=7, width=0.0625, hidden=8)
    with pytest.raises(ValueError, match=r"shapes differ.*classifier\.6"):
        load_weights(other, path)
    features_only = {k: v for k, v in source.state_dict().items() if k.startswith("features")}
    torch.save(features_only, tmp_path / "features.pth")
    with pytest.raises(ValueError, match="missing from the file: classifier"):
        load_weights(target, tmp_path / "features.pth")
    fresh = VGG(11, num_classes=5, width=0.0625, hidden=8)
    load_weights(fresh, tmp_path / "features.pth", strict=False)
    assert torch.equal(fresh.features[0].weight, source.features[0].weight)
    torch.save({"fc.weight": torch.zeros(2, 2)}, tmp_path / "other.pth")
    with pytest.raises(ValueError, match="shares no parameter name"):
        load_weights(fresh, tmp_path / "other.pth", strict=False)
    with pytest.raises(TypeError, match="nn.Module"):
        load_weights(nn, path)
