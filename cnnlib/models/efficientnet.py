r"""EfficientNet (Tan and Le, 2019): one baseline scaled in depth, width and resolution together.

*Compound scaling* grows a network with one number :math:`\phi`: depth by
:math:`\alpha^\phi`, width by :math:`\beta^\phi` and input resolution by :math:`\gamma^\phi`,
with :math:`\alpha = 1.2, \beta = 1.1, \gamma = 1.15` chosen so that
:math:`\alpha \beta^2 \gamma^2 \approx 2`: every step of :math:`\phi` about doubles the
multiply-adds (:func:`compound_scaling`).

The baseline, EfficientNet-B0, is a MobileNet v2 made of :class:`MBConv` blocks (an inverted
residual with a squeeze-and-excitation gate and the SiLU activation, 3x3 or 5x5 depthwise
filters). :class:`EfficientNet` follows torchvision's definition and module names: with 1000
classes B0 has exactly 5,288,548 parameters, and :func:`efficientnet` builds B0-B7 from
torchvision's published width and depth multipliers (:data:`EFFICIENTNET_VARIANTS`).
Section 2.5.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from .. import _checks as V
from .mobilenet import ConvBNAct, _init, make_divisible

__all__ = ["SqueezeExcitation", "StochasticDepth", "MBConv", "EfficientNet", "efficientnet",
           "efficientnet_b0", "compound_scaling", "EFFICIENTNET_B0_STAGES",
           "EFFICIENTNET_VARIANTS"]

#: B0's stages: (expansion, kernel, stride, input channels, output channels, blocks).
EFFICIENTNET_B0_STAGES = ((1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2),
                          (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4),
                          (6, 3, 1, 192, 320, 1))

#: torchvision's B0-B7: name -> (width multiplier, depth multiplier, resolution, dropout).
EFFICIENTNET_VARIANTS = {
    "b0": (1.0, 1.0, 224, 0.2), "b1": (1.0, 1.1, 240, 0.2), "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3), "b4": (1.4, 1.8, 380, 0.4), "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5), "b7": (2.0, 3.1, 600, 0.5),
}


def compound_scaling(phi: float, alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15,
                     base_resolution: int = 224) -> dict:
    r"""Depth, width and resolution multipliers of compound coefficient ``phi``.

    Returns ``{"depth": alpha**phi, "width": beta**phi, "resolution": gamma**phi,
    "image_size": round(base_resolution * gamma**phi), "flops": (alpha beta^2 gamma^2)**phi}``;
    ``flops`` is the factor by which the multiply-adds grow, since they are proportional to
    depth, to width squared (channels in times channels out) and to resolution squared.
    Section 2.5.
    """
    phi = V.check_number("compound_scaling", "phi", phi, minimum=0.0)
    for name, value in (("alpha", alpha), ("beta", beta), ("gamma", gamma)):
        V.check_number("compound_scaling", name, value, minimum=1.0)
    V.check_int("compound_scaling", "base_resolution", base_resolution, minimum=1)
    return {"depth": alpha ** phi, "width": beta ** phi, "resolution": gamma ** phi,
            "image_size": round(base_resolution * gamma ** phi),
            "flops": (alpha * beta ** 2 * gamma ** 2) ** phi}


class SqueezeExcitation(nn.Module):
    """A channel gate: global average pool, 1x1 ``fc1``, activation, 1x1 ``fc2``, sigmoid,
    then every channel of the input times its gate value in (0, 1)."""

    def __init__(self, channels: int, squeeze: int):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = nn.SiLU(inplace=True)
        self.scale_activation = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return gate * x


class StochasticDepth(nn.Module):
    """In training, drop the residual branch of each example with probability ``p`` (and scale
    the kept ones by ``1/(1-p)``); the identity in evaluation. No parameters."""

    def __init__(self, p: float):
        super().__init__()
        self.p = V.check_number("StochasticDepth", "p", p, 0.0, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = torch.empty((x.shape[0],) + (1,) * (x.ndim - 1), dtype=x.dtype,
                           device=x.device).bernoulli_(keep)
        return x * mask / keep


class MBConv(nn.Module):
    """EfficientNet's block: expand (1x1), depthwise ``kernel`` x ``kernel``, squeeze and excite,
    project (1x1, linear), plus the input when ``stride == 1`` and ``c_in == c_out``.

    The expansion has ``make_divisible(c_in * expand_ratio)`` channels (left out when that is
    ``c_in``), the gate squeezes to ``max(1, c_in // 4)``, SiLU everywhere but the projection.
    The layers sit in ``block`` as in torchvision. Section 2.5.
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand_ratio: float,
                 stochastic_depth: float = 0.0):
        super().__init__()
        hidden = make_divisible(c_in * expand_ratio)
        self.use_res_connect = stride == 1 and c_in == c_out
        layers: list[nn.Module] = []
        if hidden != c_in:
            layers.append(ConvBNAct(c_in, hidden, 1, activation=nn.SiLU))
        layers += [ConvBNAct(hidden, hidden, kernel, stride, groups=hidden, activation=nn.SiLU),
                   SqueezeExcitation(hidden, max(1, c_in // 4)),
                   ConvBNAct(hidden, c_out, 1, activation=None)]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth)
        self.out_channels = c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        if self.use_res_connect:
            out = self.stochastic_depth(out) + x
        return out


class EfficientNet(nn.Module):
    """An EfficientNet: ``features`` (stem, seven stages of :class:`MBConv`, 1x1 head),
    global average pooling, ``classifier`` (dropout and one FC layer).

    Parameters
    ----------
    width_mult : float
        Multiplies every layer's channels (rounded to multiples of 8).
    depth_mult : float
        Multiplies every stage's number of blocks (rounded up).
    num_classes : int
        Outputs of the last layer (1000 for ImageNet).
    in_channels : int
        Channels of the input image.
    dropout : float
        Dropout probability before the classifier.
    stochastic_depth_prob : float
        Drop probability of the last block's branch; it grows linearly from 0 at the first.
    stages : sequence of 6-tuples, optional
        Stages to build instead of :data:`EFFICIENTNET_B0_STAGES`.

    Input (N, in_channels, H, W); output (N, num_classes) logits. Section 2.5.
    """

    def __init__(self, width_mult: float = 1.0, depth_mult: float = 1.0, num_classes: int = 1000,
                 in_channels: int = 3, dropout: float = 0.2, stochastic_depth_prob: float = 0.2,
                 stages: Sequence[Sequence[int]] | None = None):
        super().__init__()
        width_mult = V.check_number("EfficientNet", "width_mult", width_mult, minimum=0.0,
                                    strict=True)
        depth_mult = V.check_number("EfficientNet", "depth_mult", depth_mult, minimum=0.0,
                                    strict=True)
        V.check_int("EfficientNet", "num_classes", num_classes, minimum=1)
        V.check_int("EfficientNet", "in_channels", in_channels, minimum=1)
        dropout = V.check_number("EfficientNet", "dropout", dropout, 0.0, 1.0)
        sd = V.check_number("EfficientNet", "stochastic_depth_prob", stochastic_depth_prob,
                            0.0, 1.0)
        stages = EFFICIENTNET_B0_STAGES if stages is None else tuple(map(tuple, stages))
        for row in stages:
            if len(row) != 6:
                raise ValueError(f"EfficientNet: each stage must be (expand, kernel, stride, "
                                 f"c_in, c_out, blocks), got {row}")
        self.in_channels = in_channels
        self.width_mult, self.depth_mult = width_mult, depth_mult
        scaled = [(t, k, s, make_divisible(ci * width_mult), make_divisible(co * width_mult),
                   int(math.ceil(n * depth_mult))) for t, k, s, ci, co, n in stages]
        total = sum(row[5] for row in scaled)
        layers: list[nn.Module] = [ConvBNAct(in_channels, scaled[0][3], 3, stride=2,
                                             activation=nn.SiLU)]
        done = 0
        for t, k, s, c_in, c_out, n in scaled:
            blocks = []
            for i in range(n):
                blocks.append(MBConv(c_in if i == 0 else c_out, c_out, k, s if i == 0 else 1, t,
                                     sd * done / total))
                done += 1
            layers.append(nn.Sequential(*blocks))
        last_in = scaled[-1][4]
        layers.append(ConvBNAct(last_in, 4 * last_in, 1, activation=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(4 * last_in, num_classes))
        self.out_channels = 4 * last_in
        _init(self, None)

    @property
    def blocks_per_stage(self) -> list[int]:
        """Number of :class:`MBConv` blocks in each of the seven stages."""
        return [len(stage) for stage in self.features[1:-1]]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) images -> (N, num_classes) logits."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"EfficientNet: expected input of shape (N, {self.in_channels}, H, "
                             f"W), got {tuple(x.shape)}")
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def efficientnet(variant: str = "b0", **kwargs) -> EfficientNet:
    """EfficientNet-B0 ... B7 with torchvision's multipliers and dropout
    (:data:`EFFICIENTNET_VARIANTS`; the resolution each expects is the table's third entry).
    ``kwargs`` go to :class:`EfficientNet` (``num_classes``, ``in_channels``, ...)."""
    V.check_choice("efficientnet", "variant", variant, tuple(EFFICIENTNET_VARIANTS))
    width, depth, _, dropout = EFFICIENTNET_VARIANTS[variant]
    kwargs.setdefault("dropout", dropout)
    return EfficientNet(width_mult=width, depth_mult=depth, **kwargs)


def efficientnet_b0(**kwargs) -> EfficientNet:
    """EfficientNet-B0: 5,288,548 parameters with 1000 classes, for 224x224 images."""
    return efficientnet("b0", **kwargs)
