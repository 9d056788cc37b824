"""Inception (Szegedy et al., 2015): several filter sizes side by side, made cheap by 1x1 convolutions.

An :class:`Inception` module runs four branches on the same input and stacks their outputs
along the channel axis: a 1x1 convolution; a 1x1 *bottleneck* then a 3x3 convolution; a 1x1
bottleneck then a "5x5" convolution; a 3x3 max pool (stride 1) then a 1x1 projection. Without
the 1x1 bottlenecks the 3x3 and 5x5 branches would cost ten times more (section 2.3 computes
the course's example: about 120M multiplications against 12.4M).

:class:`GoogLeNet` stacks nine modules. Its module names and layer sizes are torchvision's,
so a torchvision-format ``googlenet`` state dict (without the auxiliary classifiers) loads
unchanged; with 1000 classes it has exactly 6,624,904 parameters. torchvision's definition
has one known difference from the paper, kept for its weights: the "5x5" branch uses a 3x3
convolution. ``branch3_kernel=5`` builds the paper's 5x5. The two auxiliary classifiers of the
paper, which only helped training, are left out. Section 2.3.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _checks as V

__all__ = ["ConvBN", "Inception", "GoogLeNet", "GOOGLENET_MODULES"]

#: The nine Inception modules of GoogLeNet: name -> (in, 1x1, 3x3 reduce, 3x3, 5x5 reduce,
#: 5x5, pool projection), the paper's Table 1.
GOOGLENET_MODULES = {
    "inception3a": (192, 64, 96, 128, 16, 32, 32),
    "inception3b": (256, 128, 128, 192, 32, 96, 64),
    "inception4a": (480, 192, 96, 208, 16, 48, 64),
    "inception4b": (512, 160, 112, 224, 24, 64, 64),
    "inception4c": (512, 128, 128, 256, 24, 64, 64),
    "inception4d": (512, 112, 144, 288, 32, 64, 64),
    "inception4e": (528, 256, 160, 320, 32, 128, 128),
    "inception5a": (832, 256, 160, 320, 32, 128, 128),
    "inception5b": (832, 384, 192, 384, 48, 128, 128),
}


class ConvBN(nn.Module):
    """Convolution (no bias), batch norm, ReLU: torchvision's ``BasicConv2d`` (``conv``, ``bn``).

    ``kwargs`` go to ``nn.Conv2d`` (``kernel_size``, ``stride``, ``padding``). The batch norm
    has ``eps=0.001``, as torchvision's GoogLeNet.
    """

    def __init__(self, c_in: int, c_out: int, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(c_out, eps=0.001)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """Four branches on one input, concatenated along channels.

    ``branch1``: 1x1 convolution to ``ch1x1``; ``branch2``: 1x1 to ``ch3x3red``, then 3x3 to
    ``ch3x3``; ``branch3``: 1x1 to ``ch5x5red``, then ``branch3_kernel`` x ``branch3_kernel`` to
    ``ch5x5``; ``branch4``: 3x3 max pool with stride 1, then 1x1 to ``pool_proj``. Every branch
    keeps the height and width ("same" padding), so the outputs stack.

    Input (N, in_channels, H, W); output (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W).
    Section 2.3.
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int,
                 ch5x5: int, pool_proj: int, branch3_kernel: int = 5):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("ch1x1", ch1x1),
                            ("ch3x3red", ch3x3red), ("ch3x3", ch3x3), ("ch5x5red", ch5x5red),
                            ("ch5x5", ch5x5), ("pool_proj", pool_proj)):
            V.check_int("Inception", name, value, minimum=1)
        V.check_choice("Inception", "branch3_kernel", branch3_kernel, (3, 5))
        self.branch1 = ConvBN(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(ConvBN(in_channels, ch3x3red, kernel_size=1),
                                     ConvBN(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(ConvBN(in_channels, ch5x5red, kernel_size=1),
                                     ConvBN(ch5x5red, ch5x5, kernel_size=branch3_kernel,
                                            padding=branch3_kernel // 2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1,
                                                  ceil_mode=True),
                                     ConvBN(in_channels, pool_proj, kernel_size=1))
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)],
                         dim=1)


class GoogLeNet(nn.Module):
    """GoogLeNet (Inception v1) without its auxiliary classifiers.

    A stem (7x7/2 convolution, pool, 1x1 and 3x3 convolutions, pool), nine :class:`Inception`
    modules (:data:`GOOGLENET_MODULES`) with max pools after ``inception3b`` and
    ``inception4e``, global average pooling, dropout and one fully connected layer.

    Parameters
    ----------
    num_classes : int
        Outputs of ``fc`` (1000 for ImageNet).
    in_channels : int
        Channels of the input image.
    branch3_kernel : {3, 5}
        Filter size of the third branch: 3 as in torchvision's definition (its weights), 5 as
        in the paper.
    dropout : float
        Dropout probability before ``fc`` (0.2, torchvision's).

    Input (N, in_channels, H, W), 224x224 for ImageNet; output (N, num_classes) logits.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, branch3_kernel: int = 3,
                 dropout: float = 0.2):
        super().__init__()
        V.check_int("GoogLeNet", "num_classes", num_classes, minimum=1)
        V.check_int("GoogLeNet", "in_channels", in_channels, minimum=1)
        V.check_choice("GoogLeNet", "branch3_kernel", branch3_kernel, (3, 5))
        dropout = V.check_number("GoogLeNet", "dropout", dropout, 0.0, 1.0)
        self.in_channels = in_channels
        self.conv1 = ConvBN(in_channels, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = ConvBN(64, 64, kernel_size=1)
        self.conv3 = ConvBN(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        order = []
        for name, sizes in GOOGLENET_MODULES.items():
            setattr(self, name, Inception(*sizes, branch3_kernel=branch3_kernel))
            order.append(name)
            if name == "inception3b":
                self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
                order.append("maxpool3")
            elif name == "inception4e":
                self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
                order.append("maxpool4")
        self._body = ["conv1", "maxpool1", "conv2", "conv3", "maxpool2", *order]
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the average pool: (N, 1024, H/32, W/32)."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"GoogLeNet: expected input of shape (N, {self.in_channels}, H, W), "
                             f"got {tuple(x.shape)}")
        for name in self._body:
            x = getattr(self, name)(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) images -> (N, num_classes) logits."""
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.fc(self.dropout(x))
