"""Part 2's networks: exact published parameter counts, multiply-adds, shapes, residual behaviour."""

import math

import pytest
import torch
from torch import nn

from cnnlib import shapes
from cnnlib.models import (AlexNet, BasicBlock, Bottleneck, DepthwiseSeparable, EfficientNet,
                           GoogLeNet, Inception, InvertedResidual, LeNet5, LeNet5Original,
                           MobileNetV1, MobileNetV2, ResNet, cifar_resnet, compound_scaling,
                           efficientnet, efficientnet_b0, layers_of, load_weights,
                           measured_receptive_field, resnet18, resnet34, resnet50, summary, vgg16)
from cnnlib.models.efficientnet import EFFICIENTNET_VARIANTS


def _count(model):
    return sum(p.numel() for p in model.parameters())


def _meta(build, **kwargs):
    with torch.device("meta"):
        return build(**kwargs)


# (builder, kwargs, parameters, torchvision's published GMACs at 224x224 (2 decimals))
PUBLISHED = [
    (AlexNet, {}, 61_100_840, 0.71),
    (vgg16, {}, 138_357_544, 15.47),
    (resnet18, {}, 11_689_512, 1.81),
    (resnet34, {}, 21_797_672, 3.66),
    (resnet50, {}, 25_557_032, 4.09),
    (GoogLeNet, {}, 6_624_904, 1.50),
    (MobileNetV2, {}, 3_504_872, 0.30),
    (efficientnet_b0, {}, 5_288_548, 0.39),
]


@pytest.mark.parametrize("build, kwargs, params, gmacs", PUBLISHED,
                         ids=[p[0].__name__ for p in PUBLISHED])
def test_parameter_counts_and_multiply_adds_equal_the_published_definitions(build, kwargs,
                                                                            params, gmacs):
    model = _meta(build, **kwargs)
    assert _count(model) == params
    table = summary(model, (3, 224, 224))
    assert table.total_params == params
    assert round(table.total_multiply_adds / 1e9, 2) == gmacs
    assert table.rows[-1].output_shape == (1000,)


def test_other_published_variants():
    assert _count(_meta(AlexNet, variant="paper")) == 60_965_224
    assert _count(_meta(AlexNet, variant="paper", groups=1)) == 62_378_344
    assert _count(_meta(GoogLeNet, branch3_kernel=5)) == 7_005_832
    assert _count(_meta(MobileNetV1)) == 4_231_976
    assert _count(LeNet5Original()) == 60_840
    # torchvision's EfficientNet-B1 ... B7
    counts = {"b1": 7_794_184, "b2": 9_109_994, "b3": 12_233_232, "b4": 19_341_616,
              "b5": 30_389_784, "b6": 43_040_704, "b7": 66_347_960}
    for name, n in counts.items():
        assert _count(_meta(efficientnet, variant=name)) == n, name
    assert set(EFFICIENTNET_VARIANTS) == {"b0", *counts}


def test_small_versions_run_forward_and_backward_on_small_images():
    torch.manual_seed(0)
    cases = [
        (AlexNet(num_classes=7, width=0.125, hidden=32), 96),
        (AlexNet(num_classes=7, variant="paper", width=0.125, hidden=32), 99),
        (cifar_resnet(8, width=4, num_classes=7), 16),
        (ResNet((1, 1), block="bottleneck", width=4, num_classes=7, stem="small"), 16),
        (resnet18(num_classes=7, in_channels=1), 32),
        (GoogLeNet(num_classes=7), 64),
        (MobileNetV1(num_classes=7, width_mult=0.25), 32),
        (MobileNetV2(num_classes=7, width_mult=0.25), 32),
        (EfficientNet(width_mult=0.25, depth_mult=0.3, num_classes=7), 32),
        (LeNet5Original(num_classes=7), 32),
    ]
    for model, size in cases:
        c = getattr(model, "in_channels", 3)
        x = torch.rand(2, c, size, size)
        out = model(x)
        assert out.shape == (2, 7), type(model).__name__
        out.sum().backward()
        assert all(p.grad is not None for p in model.parameters() if p.requires_grad), \
            type(model).__name__
        with pytest.raises(ValueError, match="expected input"):
            model(torch.rand(2, c + 1, size, size))


def test_resnet_module_names_follow_torchvision_and_state_dicts_round_trip(tmp_path):
    net = resnet18(num_classes=5)
    keys = list(net.state_dict())
    assert keys[:2] == ["conv1.weight", "bn1.weight"]
    assert "layer2.0.downsample.0.weight" in keys and "layer1.0.downsample.0.weight" not in keys
    assert keys[-2:] == ["fc.weight", "fc.bias"]
    path = tmp_path / "resnet18.pth"
    torch.save(net.state_dict(), path)
    other = load_weights(resnet18(num_classes=5), path)
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(),
                                                  other.state_dict().values()))
    backbone = {k: v for k, v in net.state_dict().items() if not k.startswith("fc.")}
    torch.save(backbone, tmp_path / "backbone.pth")
    load_weights(resnet18(num_classes=9), tmp_path / "backbone.pth", strict=False)
    assert "features.1.conv.0.0.weight" in MobileNetV2().state_dict()
    assert "features.1.0.block.1.fc1.weight" in efficientnet_b0().state_dict()
    assert "inception3a.branch2.1.conv.weight" in GoogLeNet().state_dict()


def test_depths_widths_and_plain_networks():
    assert [resnet18().depth, resnet34().depth, resnet50().depth] == [18, 34, 50]
    plain = cifar_resnet(20, width=4, residual=False)
    assert plain.depth == 20
    assert all(b.downsample is None and not b.residual for b in plain.blocks())
    res = cifar_resnet(20, width=4)
    assert sum(b.downsample is not None for b in res.blocks()) == 2
    # the plain network is the residual one without its two projection shortcuts
    proj = sum(_count(b.downsample) for b in res.blocks() if b.downsample is not None)
    assert _count(res) - proj == _count(plain)
    assert res(torch.rand(2, 3, 16, 16)).shape == (2, 10)
    assert res.features(torch.rand(1, 3, 16, 16)).shape == (1, 16, 4, 4)
    with pytest.raises(ValueError, match="6n \\+ 2"):
        cifar_resnet(21)
    with pytest.raises(TypeError, match="fixed by the depth"):
        resnet18(layers=(1, 1))
    with pytest.raises(ValueError, match="block must be one of"):
        ResNet(block="wide")


@pytest.mark.parametrize("unit", [BasicBlock, Bottleneck])
def test_a_zero_initialised_block_is_the_identity_on_nonnegative_input(unit):
    torch.manual_seed(0)
    block = unit(16, 16)
    nn.init.zeros_(block.last_bn.weight)
    block.eval()
    x = torch.rand(2, 16, 5, 5)                # after a ReLU, activations are >= 0
    assert torch.equal(block(x), x)
    net = cifar_resnet(14, width=4, zero_init_residual=True)
    assert all(float(b.last_bn.weight.detach().abs().sum()) == 0 for b in net.blocks())


def test_inception_module_output_channels_and_cost():
    module = Inception(192, 64, 96, 128, 16, 32, 32)
    assert module(torch.rand(1, 192, 28, 28)).shape == (1, 256, 28, 28)
    # the course's numbers: 28x28x192 -> 28x28x32 by 5x5 "same": about 120M multiplications
    assert shapes.conv_mults(192, 32, 5, 28) == 120_422_400
    assert shapes.conv_mults(192, 16, 1, 28) + shapes.conv_mults(16, 32, 5, 28) == 12_443_648


def test_mobilenet_blocks():
    block = InvertedResidual(24, 24, 1, 6)
    assert block.use_res_connect and not InvertedResidual(24, 32, 1, 6).use_res_connect
    assert isinstance(block.conv[-1], nn.BatchNorm2d)       # the linear bottleneck: no ReLU
    ds = DepthwiseSeparable(8, 16, stride=2)
    assert ds.depthwise[0].groups == 8 and ds(torch.rand(1, 8, 10, 10)).shape == (1, 16, 5, 5)
    # per output pixel: f^2 c_in + c_in c_out instead of f^2 c_in c_out
    table = summary(ds, (8, 10, 10))
    assert table.total_multiply_adds == 25 * (9 * 8 + 8 * 16)


def test_compound_scaling():
    s = compound_scaling(1)
    assert s["depth"] == pytest.approx(1.2) and s["width"] == pytest.approx(1.1)
    assert s["image_size"] == round(224 * 1.15)
    assert s["flops"] == pytest.approx(1.2 * 1.1 ** 2 * 1.15 ** 2)
    assert 1.9 < s["flops"] < 2.0                     # about doubles per step of phi
    assert compound_scaling(0)["flops"] == 1.0
    with pytest.raises(ValueError):
        compound_scaling(-1)


def test_summary_multiply_adds_column_and_custom_counts():
    table = summary(LeNet5(), (3, 32, 32), multiply_adds=True)
    text = str(table)
    assert "multiply-adds" in text and "470,400" in text
    assert table.total_multiply_adds == 470_400 + 320_000 + 48_000 + 10_080 + 840
    assert "multiply-adds" not in str(summary(LeNet5(), (3, 32, 32)))
    original = summary(LeNet5Original(), (1, 32, 32))
    rows = {r.name: r for r in original.rows}
    assert rows["c3"].multiply_adds == 100 * 1500 and rows["c3"].params == 1516
    assert rows["s2"].multiply_adds == 6 * 14 * 14 and rows["output"].multiply_adds == 840
    with pytest.raises(TypeError, match="multiply_adds must be a bool"):
        summary(LeNet5(), (3, 32, 32), multiply_adds="yes")


@pytest.mark.parametrize("name, features, shape", [
    ("lenet", lambda: (lambda m: nn.Sequential(m.conv1, m.act1, m.pool1, m.conv2, m.act2,
                                               m.pool2))(LeNet5()), (3, 48, 48)),
    ("lenet-1998", lambda: nn.Sequential(*list(LeNet5Original().children())[:8]), (1, 48, 48)),
    ("alexnet", lambda: AlexNet(width=0.05).features, (3, 300, 300)),
    ("alexnet-paper", lambda: AlexNet(variant="paper", width=0.05).features, (3, 300, 300)),
    ("vgg16", lambda: vgg16(width=1 / 32).features, (3, 260, 260)),
    ("resnet18", lambda: nn.Sequential(*list(resnet18(width=2).children())[:-2]),
     (3, 520, 520)),
])
def test_receptive_field_from_shapes_equals_the_one_measured_by_autograd(name, features, shape):
    net = features()
    skip = ("downsample",) if name == "resnet18" else ()
    assert measured_receptive_field(net, shape) == \
        shapes.receptive_field(layers_of(net, skip=skip))[-1]


def test_measured_receptive_field_refuses_a_too_small_input():
    with pytest.raises(ValueError, match="border"):
        measured_receptive_field(vgg16(width=1 / 32).features, (3, 64, 64))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        measured_receptive_field(lambda x: x, (3, 8, 8))


def test_lenet_1998_connection_table():
    net = LeNet5Original()
    dense = net.c3.dense_weight().detach()
    connected = (dense.abs().sum(dim=(2, 3)) > 0).sum(dim=1).tolist()
    assert connected == [3] * 6 + [4] * 9 + [6]
    assert math.isclose(float(net.act1(torch.tensor(1.0))), 1.0, rel_tol=1e-4)
