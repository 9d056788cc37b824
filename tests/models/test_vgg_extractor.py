"""A VGG-19 state dict saved to disk loads into a feature extractor; bad files and bad layer
names get clear errors; custom VGG stacks (VGG(config=...)) keep the naming scheme."""

import pytest
import torch

from cnnlib.models import VGG, vgg19
from cnnlib.vision.extractors import IMAGENET_MEAN, IMAGENET_STD, FeatureExtractor, \
    vgg_extractor
from cnnlib.vision.style import style_objective

SMALL = dict(width=1 / 16, hidden=16, num_classes=10)


def test_a_saved_vgg19_state_dict_loads_into_an_imagenet_normalised_extractor(tmp_path):
    torch.manual_seed(0)
    source = vgg19(**SMALL)
    path = tmp_path / "vgg19.pth"
    torch.save(source.state_dict(), path)              # torchvision's format: features.N...
    assert any(k.startswith("features.34.") for k in source.state_dict())
    ex = vgg_extractor(path, depth=19, **SMALL)
    assert isinstance(ex, FeatureExtractor) and ex.name == "VGG-19"
    for a, b in zip(source.state_dict().values(), ex.net.state_dict().values()):
        assert torch.equal(a, b)
    assert not any(p.requires_grad for p in ex.parameters()) and not ex.net.training
    x = torch.rand(1, 3, 32, 32)
    mean = torch.tensor(IMAGENET_MEAN).reshape(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).reshape(1, 3, 1, 1)
    source.eval()
    want = source.taps((x - mean) / std, ["relu4_2", "relu1_1"])
    got = ex.taps(x, ["relu4_2", "relu1_1"])
    for name in want:
        torch.testing.assert_close(got[name], want[name])
    assert "conv5_4" in ex.layer_names and ex.in_channels == 3


def test_weight_files_that_do_not_fit_get_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no weights file"):
        vgg_extractor(tmp_path / "missing.pth", **SMALL)
    torch.save([torch.zeros(3)], tmp_path / "list.pth")
    with pytest.raises(TypeError, match="does not hold a state dict"):
        vgg_extractor(tmp_path / "list.pth", **SMALL)
    (tmp_path / "text.pth").write_text("these are not weights")
    with pytest.raises(TypeError, match="not a file torch.load can read"):
        vgg_extractor(tmp_path / "text.pth", **SMALL)
    vgg16_file = tmp_path / "vgg16.pth"                 # the wrong network: VGG-16 for VGG-19
    torch.save(VGG(16, **SMALL).state_dict(), vgg16_file)
    with pytest.raises(ValueError, match=r"names in vgg16.pth do not match VGG \(missing from the file: features.16"):
        vgg_extractor(vgg16_file, depth=19, **SMALL)
    renamed = {"backbone." + k: v for k, v in vgg19(**SMALL).state_dict().items()}
    torch.save(renamed, tmp_path / "renamed.pth")
    with pytest.raises(ValueError, match="not in the model: backbone.classifier"):
        vgg_extractor(tmp_path / "renamed.pth", **SMALL)
    wide = tmp_path / "wide.pth"                        # right names, wrong shapes
    torch.save(vgg19(width=1 / 8, hidden=16, num_classes=10).state_dict(), wide)
    with pytest.raises(ValueError, match="shapes differ"):
        vgg_extractor(wide, **SMALL)


def test_unknown_layer_names_are_named(tmp_path):
    path = tmp_path / "vgg19.pth"
    torch.save(vgg19(**SMALL).state_dict(), path)
    ex = vgg_extractor(path, **SMALL)
    with pytest.raises(ValueError, match=r"unknown layer name\(s\) \['relu6_1'\]"):
        ex.taps(torch.rand(1, 3, 32, 32), ["relu1_1", "relu6_1"])
    image = torch.rand(1, 3, 32, 32)
    with pytest.raises(ValueError, match=r"style_layers: unknown layer name\(s\) \['conv9'\]"):
        style_objective(ex, image, image, "relu4_2", ["relu1_1", "conv9"])
    with pytest.raises(ValueError, match=r"content_layer: unknown layer name\(s\) \['conv4_9'\]"):
        style_objective(ex, image, image, "conv4_9", ["relu1_1"])


def test_custom_vgg_stacks_keep_the_names_and_checks():
    net = VGG(config=(16, "M", 32, "M", 64, 64, "M"), num_classes=5, hidden=8, pool_size=1,
              batch_norm=True)
    assert net.depth == 7
    assert net.layer_names == ["conv1_1", "bn1_1", "relu1_1", "pool1", "conv2_1", "bn2_1",
                               "relu2_1", "pool2", "conv3_1", "bn3_1", "relu3_1", "conv3_2",
                               "bn3_2", "relu3_2", "pool3"]
    assert net(torch.rand(2, 3, 16, 16)).shape == (2, 5)
    assert net.taps(torch.rand(1, 3, 16, 16), ["relu3_2"])["relu3_2"].shape == (1, 64, 4, 4)
    assert VGG(16).depth == 16 and VGG(config=(8, "M")).features[0].out_channels == 8
    with pytest.raises(ValueError, match="each entry must be a positive channel count or 'M'"):
        VGG(config=(16, "A"))
    with pytest.raises(ValueError, match="at least one convolution"):
        VGG(config=("M",))
    with pytest.raises(TypeError, match="config must be a list or tuple"):
        VGG(config="16M")
