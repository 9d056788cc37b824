"""Fully convolutional pieces: the course's window classifier, its conversion to convolutions,
and atrous spatial pyramid pooling (sections 3.4 and 3.11).

A fully connected layer that reads an ``f x f x c`` volume computes, for each of its outputs, a
weighted sum of all ``f f c`` numbers: exactly one ``f x f`` convolution filter on that volume.
The next fully connected layers read a vector, which is a ``1 x 1 x c`` volume: they are 1x1
convolutions. Written that way (:func:`convolutionalize`), a classifier trained on small crops
runs on an image of any size, and its output map holds the classifier's answer for every
window position at once (Sermanet et al., OverFeat, 2014).
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from .. import _checks as V

__all__ = ["SlidingWindowNet", "convolutionalize", "ASPP", "AtrousSegmenter"]


class SlidingWindowNet(nn.Sequential):
    """The course's window classifier: a 14x14x3 crop -> ``num_classes`` scores.

    ``conv1`` 16 filters 5x5 (14 -> 10), ``pool1`` 2x2 max pool (10 -> 5), then the fully
    connected ``fc2`` (400 units, reading the 5x5x16 volume), ``fc3`` (400) and ``fc4``
    (``num_classes``), with ReLUs between. Section 3.4 converts it with
    :func:`convolutionalize`.
    """

    def __init__(self, num_classes: int = 4, in_channels: int = 3, window: int = 14,
                 hidden: int = 400):
        V.check_int("SlidingWindowNet", "num_classes", num_classes, minimum=1)
        V.check_int("SlidingWindowNet", "in_channels", in_channels, minimum=1)
        window = V.check_int("SlidingWindowNet", "window", window, minimum=6)
        V.check_int("SlidingWindowNet", "hidden", hidden, minimum=1)
        m = (window - 4) // 2
        super().__init__()
        self.add_module("conv1", nn.Conv2d(in_channels, 16, 5))
        self.add_module("relu1", nn.ReLU())
        self.add_module("pool1", nn.MaxPool2d(2))
        self.add_module("flatten", nn.Flatten())
        self.add_module("fc2", nn.Linear(16 * m * m, hidden))
        self.add_module("relu2", nn.ReLU())
        self.add_module("fc3", nn.Linear(hidden, hidden))
        self.add_module("relu3", nn.ReLU())
        self.add_module("fc4", nn.Linear(hidden, num_classes))
        self.window = window


def convolutionalize(model: nn.Sequential, input_shape) -> nn.Sequential:
    """The same network with every fully connected layer written as a convolution.

    ``model`` is an ``nn.Sequential`` of convolutions, pools, activations, one ``nn.Flatten``
    and ``nn.Linear`` layers after it; ``input_shape`` is the (C, H, W) it was built for. The
    first linear layer, reading a flattened (c, h, w) volume, becomes an ``h x w`` convolution
    with its weights reshaped to (out, c, h, w); every later linear layer becomes a 1x1
    convolution; the flatten disappears. On an input of ``input_shape`` the result gives the
    same numbers as ``model`` (as an (N, K, 1, 1) map); on a larger input it gives a map of
    them, one per window position, at the stride of the network's pools. The result is a new
    network: its layers are copies, so changing one network leaves the other alone. Section 3.4.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"convolutionalize: model must be an nn.Sequential, got "
                        f"{type(model).__name__}")
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(f"convolutionalize: input_shape must be (C, H, W), got {input_shape!r}")
    param = next(model.parameters())
    x = torch.zeros((1, *shape), dtype=param.dtype, device=param.device)
    layers: list[tuple[str, nn.Module]] = []
    volume = None
    seen_flatten = False
    with torch.no_grad():
        for name, layer in model.named_children():
            if isinstance(layer, nn.Flatten):
                volume = tuple(x.shape[1:])            # (c, h, w) the first FC layer reads
                seen_flatten = True
                x = layer(x)
                continue
            if isinstance(layer, nn.Linear):
                if not seen_flatten:
                    raise ValueError("convolutionalize: a Linear layer comes before any Flatten")
                c, h, w = volume if volume is not None else (layer.in_features, 1, 1)
                conv = nn.Conv2d(c, layer.out_features, (h, w)).to(param.device, param.dtype)
                conv.weight.copy_(layer.weight.reshape(layer.out_features, c, h, w))
                conv.bias.copy_(layer.bias)
                layers.append((name, conv))
                volume = None                          # from here on: 1x1 convolutions
                x = layer(x)
                continue
            if seen_flatten and not isinstance(layer, (nn.ReLU, nn.LeakyReLU, nn.Tanh,
                                                       nn.Sigmoid, nn.Dropout, nn.Identity)):
                raise ValueError(f"convolutionalize: cannot convert {type(layer).__name__} "
                                 f"({name}) after the Flatten")
            layers.append((name, copy.deepcopy(layer)))
            x = layer(x)
    if not seen_flatten:
        raise ValueError("convolutionalize: model has no nn.Flatten, nothing to convert")
    out = nn.Sequential()
    for name, layer in layers:
        out.add_module(name, layer)
    return out


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling (DeepLab v3): one feature map seen at several scales.

    Parallel branches read the same input: a 1x1 convolution, 3x3 convolutions with dilation
    rates ``rates`` (each a "same" convolution, padding = rate, so every branch keeps the
    input's size), and, with ``image_pool``, the global average of the map (image-level context)
    broadcast back to every pixel. The branches are concatenated and fused by a 1x1
    convolution. A 3x3 filter with rate ``d`` spans ``2d + 1`` pixels with only 9 weights, so
    the branches see context of very different sizes at the same cost. Section 3.11.
    """

    def __init__(self, in_channels: int, out_channels: int, rates=(2, 4, 6),
                 image_pool: bool = True):
        super().__init__()
        V.check_int("ASPP", "in_channels", in_channels, minimum=1)
        V.check_int("ASPP", "out_channels", out_channels, minimum=1)
        self.rates = tuple(V.check_int("ASPP", "rates", r, minimum=1) for r in rates)
        V.check_bool("ASPP", "image_pool", image_pool)

        def branch(k, d):
            return nn.Sequential(nn.Conv2d(in_channels, out_channels, k, padding=d * (k // 2),
                                           dilation=d, bias=False),
                                 nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))

        self.branches = nn.ModuleList([branch(1, 1)] + [branch(3, r) for r in self.rates])
        self.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1),
                                        nn.Conv2d(in_channels, out_channels, 1),
                                        nn.ReLU(inplace=True)) if image_pool else None
        n = len(self.branches) + (1 if image_pool else 0)
        self.project = nn.Sequential(nn.Conv2d(n * out_channels, out_channels, 1, bias=False),
                                     nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) -> (N, out_channels, H, W)."""
        outs = [b(x) for b in self.branches]
        if self.image_pool is not None:
            outs.append(self.image_pool(x).expand(-1, -1, *x.shape[-2:]))
        return self.project(torch.cat(outs, dim=1))


class AtrousSegmenter(nn.Module):
    """A small DeepLab-style segmenter: a backbone of output stride 4, atrous layers, ASPP.

    Two stages of 3x3 convolutions each followed by a 2x2 max pool (output stride 4), then
    3x3 convolutions with dilation 2 that widen the receptive field without pooling further,
    :class:`ASPP`, a 1x1 classifier and a bilinear upsampling by 4 back to the input size.
    Without the dilation the same receptive field would need more pooling, and a coarser map.
    Section 3.11.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 2, width: int = 32,
                 rates=(2, 4, 6)):
        super().__init__()
        V.check_int("AtrousSegmenter", "in_channels", in_channels, minimum=1)
        self.num_classes = V.check_int("AtrousSegmenter", "num_classes", num_classes, minimum=1)
        w = V.check_int("AtrousSegmenter", "width", width, minimum=1)

        def conv(c_in, c_out, d=1):
            return [nn.Conv2d(c_in, c_out, 3, padding=d, dilation=d, bias=False),
                    nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]

        self.backbone = nn.Sequential(*conv(in_channels, w // 2), *conv(w // 2, w // 2),
                                      nn.MaxPool2d(2), *conv(w // 2, w), *conv(w, w),
                                      nn.MaxPool2d(2), *conv(w, w, 2), *conv(w, w, 2))
        self.aspp = ASPP(w, w, rates)
        self.classifier = nn.Conv2d(w, num_classes, 1)
        self.output_stride = 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, num_classes, H, W) logits."""
        size = x.shape[-2:]
        y = self.classifier(self.aspp(self.backbone(x)))
        return F.interpolate(y, size=size, mode="bilinear", align_corners=False)
