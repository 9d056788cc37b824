"""MobileNets (Howard et al., 2017; Sandler et al., 2018): convolutions split to cost less.

A *depthwise separable* convolution replaces one ``f x f`` convolution from ``c_in`` to
``c_out`` channels by a depthwise ``f x f`` convolution (one filter per channel,
``groups=c_in``) followed by a pointwise 1x1 convolution that mixes the channels. It costs
``f^2 c_in + c_in c_out`` multiplications per output pixel instead of ``f^2 c_in c_out``
(section 2.5 computes the course's example, 2,160 against 672).

- :class:`DepthwiseSeparable` is MobileNet v1's block; :class:`MobileNetV1` stacks 13 of them.
- :class:`InvertedResidual` is MobileNet v2's block: a 1x1 *expansion* to ``t`` times more
  channels, a depthwise 3x3 convolution, and a 1x1 *projection* back down with no ReLU after it
  (the linear bottleneck), with a skip connection between the thin ends when the shapes match.
- :class:`MobileNetV2` has torchvision's module names and sizes: with 1000 classes, exactly
  3,504,872 parameters, and a torchvision ``mobilenet_v2`` state dict loads unchanged.

Section 2.5; Part 3 can use either as a light backbone (``features``).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .. import _checks as V

__all__ = ["ConvBNAct", "make_divisible", "DepthwiseSeparable", "MobileNetV1",
           "InvertedResidual", "MobileNetV2", "MOBILENET_V1_BLOCKS", "MOBILENET_V2_SETTING"]

#: MobileNet v1 after its first convolution: (output channels, stride) of each separable block.
MOBILENET_V1_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1),
                       (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))

#: MobileNet v2's stages: (expansion t, output channels c, blocks n, first stride s).
MOBILENET_V2_SETTING = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                        (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """``value`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``), never
    more than 10% below ``value``: how MobileNets and EfficientNets round scaled widths."""
    min_value = divisor if min_value is None else min_value
    new = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return new


class ConvBNAct(nn.Sequential):
    """Convolution (no bias), batch norm and an activation (``None`` for none), padded to keep
    the size at stride 1: torchvision's ``Conv2dNormActivation``, modules ``0``, ``1``, ``2``."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int = 3, stride: int = 1,
                 groups: int = 1, activation=nn.ReLU6, norm_eps: float = 1e-5):
        layers: list[nn.Module] = [
            nn.Conv2d(c_in, c_out, kernel_size, stride, padding=(kernel_size - 1) // 2,
                      groups=groups, bias=False),
            nn.BatchNorm2d(c_out, eps=norm_eps)]
        if activation is not None:
            layers.append(activation(inplace=True))
        super().__init__(*layers)
        self.out_channels = c_out


class DepthwiseSeparable(nn.Module):
    """MobileNet v1's block: depthwise 3x3 (``groups=c_in``), BN, ReLU; pointwise 1x1, BN, ReLU.

    Input (N, c_in, H, W); output (N, c_out, H / stride, W / stride). Section 2.5.
    """

    def __init__(self, c_in: int, c_out: int, stride: int = 1, kernel_size: int = 3):
        super().__init__()
        self.depthwise = ConvBNAct(c_in, c_in, kernel_size, stride, groups=c_in,
                                   activation=nn.ReLU)
        self.pointwise = ConvBNAct(c_in, c_out, 1, activation=nn.ReLU)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


def _check_common(op, num_classes, in_channels, width_mult, dropout):
    V.check_int(op, "num_classes", num_classes, minimum=1)
    V.check_int(op, "in_channels", in_channels, minimum=1)
    V.check_number(op, "width_mult", width_mult, minimum=0.0, strict=True)
    return V.check_number(op, "dropout", dropout, 0.0, 1.0)


def _init(model: nn.Module, linear_std: float | None):
    """The torchvision initialisation of MobileNet and EfficientNet (``linear_std`` None: a
    uniform classifier, else a normal one with that deviation). A model built on the ``meta``
    device has no values to set, and drawing them there runs PyTorch's Python reference of
    each random fill: skipping it makes summarising a large network on ``meta`` twice as fast."""
    if any(p.is_meta for p in model.parameters()):
        return
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            if linear_std is None:
                bound = 1.0 / m.out_features ** 0.5
                nn.init.uniform_(m.weight, -bound, bound)
            else:
                nn.init.normal_(m.weight, 0, linear_std)
            nn.init.zeros_(m.bias)


class MobileNetV1(nn.Module):
    """MobileNet v1: a 3x3/2 convolution, 13 :class:`DepthwiseSeparable` blocks, pool, FC.

    ``width_mult`` is the paper's width multiplier alpha (every layer's channels times alpha).
    With 1000 classes and alpha = 1: 4,231,976 parameters. Input (N, in_channels, H, W);
    output (N, num_classes) logits. Section 2.5.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                 dropout: float = 0.0):
        super().__init__()
        dropout = _check_common("MobileNetV1", num_classes, in_channels, width_mult, dropout)
        self.in_channels = in_channels
        c = make_divisible(32 * width_mult)
        layers: list[nn.Module] = [ConvBNAct(in_channels, c, 3, stride=2, activation=nn.ReLU)]
        for c_out, stride in MOBILENET_V1_BLOCKS:
            c_out = make_divisible(c_out * width_mult)
            layers.append(DepthwiseSeparable(c, c_out, stride))
            c = c_out
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(c, num_classes))
        self.out_channels = c
        _init(self, None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) images -> (N, num_classes) logits."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"MobileNetV1: expected input of shape (N, {self.in_channels}, H, "
                             f"W), got {tuple(x.shape)}")
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class InvertedResidual(nn.Module):
    """MobileNet v2's block: expand (1x1), filter (depthwise 3x3), project (1x1, linear).

    The thin ends carry ``c_in`` and ``c_out`` channels, the middle ``round(c_in * t)``. The
    projection has no activation: a ReLU on a thin representation would destroy information
    (the *linear bottleneck*). When ``stride == 1`` and ``c_in == c_out`` the input is added to
    the output (``use_res_connect``). With ``t == 1`` the expansion is left out. The layers sit
    in ``conv`` as in torchvision.

    Input (N, c_in, H, W); output (N, c_out, H / stride, W / stride). Section 2.5.
    """

    def __init__(self, c_in: int, c_out: int, stride: int, expand_ratio: float):
        super().__init__()
        V.check_choice("InvertedResidual", "stride", stride, (1, 2))
        hidden = int(round(c_in * expand_ratio))
        self.use_res_connect = stride == 1 and c_in == c_out
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNAct(c_in, hidden, 1))
        layers += [ConvBNAct(hidden, hidden, 3, stride, groups=hidden),
                   nn.Conv2d(hidden, c_out, 1, bias=False),
                   nn.BatchNorm2d(c_out)]
        self.conv = nn.Sequential(*layers)
        self.out_channels = c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return x + out if self.use_res_connect else out


class MobileNetV2(nn.Module):
    """MobileNet v2 (torchvision's definition): ``features`` and ``classifier``.

    ``features``: a 3x3/2 convolution to 32 channels, the 17 :class:`InvertedResidual` blocks
    of :data:`MOBILENET_V2_SETTING`, a 1x1 convolution to 1280 channels (all with ReLU6);
    then global average pooling, dropout and one FC layer.

    Parameters
    ----------
    num_classes : int
        Outputs of the last layer (1000 for ImageNet).
    in_channels : int
        Channels of the input image.
    width_mult : float
        Multiplies every layer's channels (rounded by :func:`make_divisible` to
        ``round_nearest``); the last 1x1 layer never shrinks below 1280.
    setting : sequence of (t, c, n, s), optional
        Stages to build instead of :data:`MOBILENET_V2_SETTING`.
    round_nearest : int
        Channel counts are multiples of this.
    dropout : float
        Dropout probability before the classifier (0.2).

    Input (N, in_channels, H, W); output (N, num_classes) logits. Section 2.5.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                 setting: Sequence[Sequence[int]] | None = None, round_nearest: int = 8,
                 dropout: float = 0.2):
        super().__init__()
        dropout = _check_common("MobileNetV2", num_classes, in_channels, width_mult, dropout)
        V.check_int("MobileNetV2", "round_nearest", round_nearest, minimum=1)
        setting = MOBILENET_V2_SETTING if setting is None else tuple(map(tuple, setting))
        for row in setting:
            if len(row) != 4:
                raise ValueError(f"MobileNetV2: each setting row must be (t, c, n, s), got {row}")
        self.in_channels = in_channels
        c = make_divisible(32 * width_mult, round_nearest)
        last = make_divisible(1280 * max(1.0, width_mult), round_nearest)
        layers: list[nn.Module] = [ConvBNAct(in_channels, c, 3, stride=2)]
        for t, c_out, n, s in setting:
            c_out = make_divisible(c_out * width_mult, round_nearest)
            for i in range(n):
                layers.append(InvertedResidual(c, c_out, s if i == 0 else 1, expand_ratio=t))
                c = c_out
        layers.append(ConvBNAct(c, last, 1))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(last, num_classes))
        self.out_channels = last
        _init(self, 0.01)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) images -> (N, num_classes) logits."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"MobileNetV2: expected input of shape (N, {self.in_channels}, H, "
                             f"W), got {tuple(x.shape)}")
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))
