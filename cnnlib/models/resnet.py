"""Residual networks (He et al., 2016): blocks that learn a change to their input, ``x + F(x)``.

:class:`BasicBlock` (two 3x3 convolutions) and :class:`Bottleneck` (1x1 down, 3x3, 1x1 up) add
their input back before the last ReLU, through a *projection shortcut* (1x1 convolution and
batch norm) where the shape changes. :class:`ResNet` stacks them in stages that halve the
resolution and double the width. With ``residual=False`` the same network has no shortcuts at
all: the *plain* network of the paper, for the degradation experiment of section 2.2.

The module names are torchvision's (``conv1``, ``bn1``, ``layer1.0.conv1``, ``downsample``,
``fc``), so a torchvision-format state dict loads unchanged with
:func:`cnnlib.models.load_weights`; with ``num_classes=1000`` ResNet-18, -34 and -50 have exactly
11,689,512, 21,797,672 and 25,557,032 parameters. ``stem="small"`` replaces the 7x7/2
convolution and the max pool with one 3x3/1 convolution, the CIFAR networks of the paper's
section 4.2 (:func:`cifar_resnet`), which the book trains on small images in seconds.
Taught in section 2.2; Parts 3 and 4 use ResNets as backbones (:meth:`ResNet.features`).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .. import _checks as V

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50",
           "cifar_resnet", "RESNET_LAYERS"]

#: Blocks per stage of the ImageNet ResNets (He et al., Table 1).
RESNET_LAYERS = {18: ("basic", (2, 2, 2, 2)), 34: ("basic", (3, 4, 6, 3)),
                 50: ("bottleneck", (3, 4, 6, 3)), 101: ("bottleneck", (3, 4, 23, 3)),
                 152: ("bottleneck", (3, 8, 36, 3))}


def _conv3x3(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel_size=3, stride=stride, padding=1, bias=False)


def _conv1x1(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel_size=1, stride=stride, bias=False)


class _ResidualBlock(nn.Module):
    """What both blocks share: the skip connection (identity or projection) and the forward
    pass ``relu(branch(x) + skip(x))``; a subclass defines ``branch`` and ``relu``."""

    def _add_skip(self, c_in: int, c_out: int, stride: int, residual: bool) -> None:
        self.residual = residual
        self.downsample = None
        if residual and (stride != 1 or c_in != c_out):
            self.downsample = nn.Sequential(_conv1x1(c_in, c_out, stride), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.branch(x)
        if self.residual:
            out = out + (x if self.downsample is None else self.downsample(x))
        return self.relu(out)


class BasicBlock(_ResidualBlock):
    r"""Two 3x3 convolutions and a skip connection: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + x)``.

    In the course's notation, with :math:`a^{[l]}` the block's input,

    .. math:: a^{[l+2]} = g\big(z^{[l+2]} + a^{[l]}\big), \qquad
              z^{[l+2]} = W^{[l+2]} g(W^{[l+1]} a^{[l]})

    (batch norm after each convolution). The first convolution has stride ``stride``; when the
    shape changes (``stride > 1`` or ``c_in != c_out``) the skip goes through ``downsample``, a
    1x1 convolution of the same stride and a batch norm (the projection shortcut), so that the
    two terms can be added. With ``residual=False`` there is no skip at all (a plain block).

    Input (N, c_in, H, W); output (N, c_out, H / stride, W / stride). Section 2.2.
    """

    expansion = 1

    def __init__(self, c_in: int, c_out: int, stride: int = 1, residual: bool = True):
        super().__init__()
        self.conv1 = _conv3x3(c_in, c_out, stride)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(c_out, c_out)
        self.bn2 = nn.BatchNorm2d(c_out)
        self._add_skip(c_in, c_out, stride, residual)

    @property
    def last_bn(self) -> nn.BatchNorm2d:
        """The batch norm at the end of the residual branch (zero its weight to start as identity)."""
        return self.bn2

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        """The residual branch F(x), before the addition and the last ReLU."""
        return self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))


class Bottleneck(_ResidualBlock):
    """1x1 convolution down to ``c_out / 4`` channels, a 3x3 convolution, 1x1 back up to ``c_out``.

    The 1x1 convolutions (section 2.3) make the 3x3 convolution run on a quarter of the
    channels, so a bottleneck block with 256 channels costs about as much as a basic block
    with 64. As torchvision's (ResNet v1.5), the stride sits on the 3x3 convolution. The skip
    connection and ``residual`` work as in :class:`BasicBlock`.

    Input (N, c_in, H, W); output (N, c_out, H / stride, W / stride). Section 2.2.
    """

    expansion = 4

    def __init__(self, c_in: int, c_out: int, stride: int = 1, residual: bool = True):
        super().__init__()
        mid = c_out // self.expansion
        if mid < 1:
            raise ValueError(f"Bottleneck: c_out must be at least {self.expansion}, got {c_out}")
        self.conv1 = _conv1x1(c_in, mid)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = _conv3x3(mid, mid, stride)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = _conv1x1(mid, c_out)
        self.bn3 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self._add_skip(c_in, c_out, stride, residual)

    @property
    def last_bn(self) -> nn.BatchNorm2d:
        """The batch norm at the end of the residual branch (zero its weight to start as identity)."""
        return self.bn3

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        """The residual branch F(x), before the addition and the last ReLU."""
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.bn3(self.conv3(out))


_BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


class ResNet(nn.Module):
    """A residual network: a stem, stages of residual blocks, global average pooling, one FC.

    Stage ``i`` (``layer1``, ``layer2``, ...) holds ``layers[i]`` blocks with
    ``width * 2**i * expansion`` output channels; every stage after the first halves the
    resolution in its first block. The stem is torchvision's (``"imagenet"``: 7x7/2
    convolution, batch norm, ReLU, 3x3/2 max pool) or ``"small"`` (3x3/1 convolution, batch
    norm, ReLU, no pool) for small images.

    Parameters
    ----------
    layers : sequence of int
        Blocks per stage, e.g. ``(2, 2, 2, 2)`` for ResNet-18.
    block : {'basic', 'bottleneck'}
        :class:`BasicBlock` (expansion 1) or :class:`Bottleneck` (expansion 4).
    num_classes : int
        Outputs of ``fc``.
    in_channels : int
        Channels of the input image.
    width : int
        Channels of the stem and of the first stage's 3x3 convolutions (64 in the paper; 16
        for the CIFAR networks).
    stem : {'imagenet', 'small'}
        See above.
    residual : bool
        ``False`` removes every skip connection (the plain network of the same depth).
    zero_init_residual : bool
        Start the last batch norm of every residual branch with weight 0, so that every block
        starts as the identity (section 2.2, "why ResNets work").

    Input (N, in_channels, H, W); output (N, num_classes) logits. Weights are initialised as
    torchvision's: He-normal (fan out) convolutions, batch norms at weight 1 and bias 0.
    """

    def __init__(self, layers: Sequence[int] = (2, 2, 2, 2), block: str = "basic",
                 num_classes: int = 1000, in_channels: int = 3, width: int = 64,
                 stem: str = "imagenet", residual: bool = True,
                 zero_init_residual: bool = False):
        super().__init__()
        V.check_choice("ResNet", "block", block, tuple(_BLOCKS))
        if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence) or not layers:
            raise TypeError(f"ResNet: layers must be a non-empty sequence of ints, got {layers!r}")
        layers = tuple(V.check_int("ResNet", "layers", n, minimum=1) for n in layers)
        V.check_int("ResNet", "num_classes", num_classes, minimum=1)
        V.check_int("ResNet", "in_channels", in_channels, minimum=1)
        V.check_int("ResNet", "width", width, minimum=1)
        V.check_choice("ResNet", "stem", stem, ("imagenet", "small"))
        V.check_bool("ResNet", "residual", residual)
        V.check_bool("ResNet", "zero_init_residual", zero_init_residual)
        unit = _BLOCKS[block]
        self.in_channels, self.layers, self.block, self.residual = in_channels, layers, block, \
            residual
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, width, kernel_size=7, stride=2, padding=3,
                                   bias=False)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        else:
            self.conv1 = _conv3x3(in_channels, width)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        c = width
        self.stage_names = []
        for i, n in enumerate(layers):
            c_out = width * 2 ** i * unit.expansion
            blocks = [unit(c, c_out, stride=1 if i == 0 else 2, residual=residual)]
            blocks += [unit(c_out, c_out, residual=residual) for _ in range(n - 1)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
            self.stage_names.append(f"layer{i + 1}")
            c = c_out
        self.out_channels = c
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for b in self.blocks():
                nn.init.zeros_(b.last_bn.weight)

    @property
    def depth(self) -> int:
        """Weight layers on the longest path: convolutions of the blocks, the stem and ``fc``."""
        per_block = 2 if self.block == "basic" else 3
        return 2 + per_block * sum(self.layers)

    def blocks(self) -> list[nn.Module]:
        """Every residual block, first to last."""
        return [b for name in self.stage_names for b in getattr(self, name)]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last stage's feature map (N, out_channels, H/s, W/s), s the output stride."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"ResNet: expected input of shape (N, {self.in_channels}, H, W), "
                             f"got {tuple(x.shape)}")
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for name in self.stage_names:
            x = getattr(self, name)(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) images -> (N, num_classes) logits."""
        return self.fc(torch.flatten(self.avgpool(self.features(x)), 1))


def _imagenet(depth: int, kwargs) -> ResNet:
    block, layers = RESNET_LAYERS[depth]
    for key in ("layers", "block"):
        if key in kwargs:
            raise TypeError(f"resnet{depth}: {key} is fixed by the depth; use ResNet(...) instead")
    return ResNet(layers=layers, block=block, **kwargs)


def resnet18(**kwargs) -> ResNet:
    """ResNet-18: basic blocks (2, 2, 2, 2); 11,689,512 parameters with 1000 classes."""
    return _imagenet(18, kwargs)


def resnet34(**kwargs) -> ResNet:
    """ResNet-34: basic blocks (3, 4, 6, 3); 21,797,672 parameters with 1000 classes."""
    return _imagenet(34, kwargs)


def resnet50(**kwargs) -> ResNet:
    """ResNet-50: bottleneck blocks (3, 4, 6, 3); 25,557,032 parameters with 1000 classes."""
    return _imagenet(50, kwargs)


def cifar_resnet(depth: int = 20, width: int = 16, num_classes: int = 10, in_channels: int = 3,
                 residual: bool = True, zero_init_residual: bool = False) -> ResNet:
    """The small ResNets of He et al.'s CIFAR experiments: ``depth = 6n + 2`` weight layers.

    A 3x3 convolution with ``width`` filters, three stages of ``n`` basic blocks with
    ``width``, ``2 width`` and ``4 width`` channels (each later stage halves the resolution),
    global average pooling and one FC layer. ``residual=False`` gives the plain network of the
    same depth. Section 2.2 trains both on small images to show degradation.
    """
    V.check_int("cifar_resnet", "depth", depth, minimum=8)
    if (depth - 2) % 6:
        raise ValueError(f"cifar_resnet: depth must be 6n + 2 (8, 14, 20, 26, 32, ...), "
                         f"got {depth}")
    n = (depth - 2) // 6
    return ResNet(layers=(n, n, n), block="basic", num_classes=num_classes,
                  in_channels=in_channels, width=width, stem="small", residual=residual,
                  zero_init_residual=zero_init_residual)
