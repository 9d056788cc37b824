"""Part 3's models: TinyYOLO, U-Net (any input size), the window classifier and its
convolutional form, ASPP and the atrous segmenter; all work with models.summary."""

import numpy as np
import pytest
import torch
from torch import nn

from cnnlib import shapes
from cnnlib.models import (ASPP, AtrousSegmenter, SlidingWindowNet, TinyYOLO, UNet,
                           convolutionalize, layers_of, summary)


def test_tiny_yolo_output_layout():
    m = TinyYOLO(num_classes=4, num_anchors=2)
    out = m(torch.zeros(3, 3, 64, 64))
    assert out.shape == (3, 2 * 9, 8, 8) and m.stride == 8
    assert summary(m, (3, 64, 64)).rows[-1].output_shape == (18, 8, 8)
    # the receptive field of one cell covers more than the largest object the book draws
    r, j = shapes.receptive_field(layers_of(m))[-1]
    assert j == 8 and r >= 40


@pytest.mark.parametrize("size", [(16, 16), (37, 50), (64, 64), (9, 23)])
def test_unet_runs_on_any_size_and_keeps_it(size):
    torch.manual_seed(0)
    m = UNet(3, 5, widths=(4, 8, 16)).eval()
    x = torch.randn(2, 3, *size)
    y = m(x)
    assert y.shape == (2, 5, *size)
    assert summary(m, (3, *size)).rows[-1].output_shape == (5, *size)


def test_unet_is_built_from_transposed_convolutions_skips_and_a_1x1_head():
    m = UNet(3, 2, widths=(4, 8, 16))
    kinds = [type(l) for l in m.modules()]
    assert kinds.count(nn.ConvTranspose2d) == 2 and kinds.count(nn.MaxPool2d) == 1
    assert m.head.kernel_size == (1, 1)
    # each decoder block reads twice its width: the upsampled map and the skip
    assert [f[0].in_channels for f in m.fuse] == [16, 8]
    with pytest.raises(ValueError, match="H, W >= 4"):
        m(torch.zeros(1, 3, 3, 8))


def test_convolutionalized_network_equals_the_crop_loop():
    torch.manual_seed(1)
    net = SlidingWindowNet(num_classes=4).double().eval()
    conv = convolutionalize(net, (3, 14, 14)).eval()
    assert not any(isinstance(l, (nn.Linear, nn.Flatten)) for l in conv.modules())
    assert [l.kernel_size for l in conv.modules() if isinstance(l, nn.Conv2d)] == \
        [(5, 5), (5, 5), (1, 1), (1, 1)]
    image = torch.rand(1, 3, 28, 30, dtype=torch.float64)
    with torch.no_grad():
        maps = conv(image)                       # (1, 4, 8, 9): one answer per window, stride 2
        assert maps.shape == (1, 4, 8, 9)
        crops = torch.stack([image[0, :, 2 * i:2 * i + 14, 2 * j:2 * j + 14]
                             for i in range(8) for j in range(9)])
        loop = net(crops).reshape(8, 9, 4).permute(2, 0, 1)
    torch.testing.assert_close(maps[0], loop, rtol=1e-12, atol=1e-12)


def test_convolutionalize_copies_the_layers():
    torch.manual_seed(2)
    net = SlidingWindowNet(num_classes=4).eval()
    conv = convolutionalize(net, (3, 14, 14)).eval()
    x = torch.rand(1, 3, 14, 14)
    with torch.no_grad():
        before = net(x).clone()
        for p in conv.parameters():
            p.zero_()
        torch.testing.assert_close(net(x), before)


def test_convolutionalize_rejects_what_it_cannot_convert():
    with pytest.raises(TypeError, match="nn.Sequential"):
        convolutionalize(UNet(), (3, 16, 16))
    with pytest.raises(ValueError, match="no nn.Flatten"):
        convolutionalize(nn.Sequential(nn.Conv2d(3, 4, 3)), (3, 8, 8))
    with pytest.raises(ValueError, match="cannot convert"):
        convolutionalize(nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.BatchNorm1d(144),
                                       nn.Linear(144, 2)), (3, 8, 8))


def test_aspp_keeps_the_size_and_sees_far():
    m = ASPP(8, 6, rates=(2, 4, 6)).eval()
    y = m(torch.randn(2, 8, 13, 17))
    assert y.shape == (2, 6, 13, 17)
    dil = [l.dilation[0] for l in m.modules() if isinstance(l, nn.Conv2d) and l.kernel_size == (3, 3)]
    assert dil == [2, 4, 6]
    seg = AtrousSegmenter(3, 5, width=8).eval()
    assert seg(torch.randn(1, 3, 40, 36)).shape == (1, 5, 40, 36)
    r, j = shapes.receptive_field(layers_of(seg.backbone))[-1]
    assert j == seg.output_stride == 4
    assert summary(seg, (3, 32, 32)).rows[-1].output_shape == (5, 8, 8)     # before upsampling
