"""LeNet-5: the course's version (section 1.8) and the 1998 original (section 2.1)."""

from __future__ import annotations

import torch
from torch import nn

from .. import _checks as V
from ..shapes import output_size

__all__ = ["LeNet5", "ACTIVATIONS", "LeNet5Original", "ScaledTanh", "Subsampling",
           "PartialConv2d", "EuclideanRBF", "LENET_C3_TABLE"]

#: Activation names the models accept, and the module each one builds.
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}

_POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


class LeNet5(nn.Module):
    """LeNet-5 as the course tabulates it: CONV-POOL-CONV-POOL-FC-FC-FC (LeCun et al., 1998).

    With the defaults (``in_channels=3``, a 32x32 input), the layers and their
    activations, channels last as in the course's table, are:

    ======================  ============  ===============  ==========
    layer                   shape (NHWC)  activation size  parameters
    ======================  ============  ===============  ==========
    input                   (32, 32, 3)   3072             0
    conv1 (f=5, s=1, 8)     (28, 28, 8)   6272             608
    pool1 (max, f=2, s=2)   (14, 14, 8)   1568             0
    conv2 (f=5, s=1, 16)    (10, 10, 16)  1600             3216
    pool2 (max, f=2, s=2)   (5, 5, 16)    400              0
    fc3                     (120,)        120              48120
    fc4                     (84,)         84               10164
    fc5 ("Softmax" row)     (10,)         10               850
    ======================  ============  ===============  ==========

    The course's last row, "Softmax", carries the 850 parameters of the final
    fully connected layer ``fc5`` (84 x 10 weights + 10 biases). The model returns
    that layer's *logits*; the softmax lives in the loss
    (``torch.nn.functional.cross_entropy``) and in ``torch.softmax`` at prediction.

    Parameters
    ----------
    in_channels : int
        Channels of the input image: 3 for colour (the course's table), 1 for digits.
    num_classes : int
        Outputs of ``fc5``.
    input_size : int
        Height and width of the (square) input, 32 in the course. The first fully
        connected layer reads ``channels[1] * m * m`` values, with ``m`` the size
        after the second pool (5 for a 32x32 input).
    channels : (int, int)
        Filters of ``conv1`` and ``conv2`` (the course's 8 and 16; LeCun's 6 and 16).
    hidden : (int, int)
        Widths of ``fc3`` and ``fc4`` (120 and 84).
    f : int
        Filter size of both convolutions (5), stride 1, no padding.
    activation : {'relu', 'tanh', 'sigmoid'}
        Non-linearity after every conv and hidden fc layer. ReLU by default; the
        1998 network used a scaled tanh.
    pool : {'max', 'avg'}
        2x2, stride-2 pooling. Max by default; the 1998 network averaged
        (with a learned scale that this module leaves out).

    Input (N, in_channels, input_size, input_size); output (N, num_classes).
    Taught in section 1.8.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, input_size: int = 32,
                 channels: tuple[int, int] = (8, 16), hidden: tuple[int, int] = (120, 84),
                 f: int = 5, activation: str = "relu", pool: str = "max"):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("num_classes", num_classes),
                            ("input_size", input_size), ("f", f)):
            V.check_int("LeNet5", name, value, minimum=1)
        for name, pair in (("channels", channels), ("hidden", hidden)):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"LeNet5: {name} must be a pair of ints, got {pair!r}")
            for v in pair:
                V.check_int("LeNet5", name, v, minimum=1)
        V.check_choice("LeNet5", "activation", activation, tuple(ACTIVATIONS))
        V.check_choice("LeNet5", "pool", pool, tuple(_POOLS))
        try:
            m = output_size(output_size(output_size(output_size(input_size, f), 2, s=2), f), 2,
                            s=2)
        except ValueError:
            raise ValueError(f"LeNet5: input_size={input_size} is too small for two {f}x{f} "
                             f"convolutions and two 2x2 pools") from None
        act, pooling = ACTIVATIONS[activation], _POOLS[pool]
        c1, c2 = channels
        h3, h4 = hidden
        self.in_channels, self.input_size = in_channels, input_size
        self.conv1 = nn.Conv2d(in_channels, c1, f)
        self.act1 = act()
        self.pool1 = pooling(2, 2)
        self.conv2 = nn.Conv2d(c1, c2, f)
        self.act2 = act()
        self.pool2 = pooling(2, 2)
        self.flatten = nn.Flatten()
        self.fc3 = nn.Linear(c2 * m * m, h3)
        self.act3 = act()
        self.fc4 = nn.Linear(h3, h4)
        self.act4 = act()
        self.fc5 = nn.Linear(h4, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The convolutional part: (N, C, H, W) -> the POOL2 volume (N, channels[1], m, m)."""
        x = self.pool1(self.act1(self.conv1(x)))
        return self.pool2(self.act2(self.conv2(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) images -> (N, num_classes) logits."""
        V.check_array("LeNet5", "x", x, "torch", ndims=(4,))
        if x.shape[1] != self.in_channels:
            raise ValueError(f"LeNet5: expected input of shape (N, {self.in_channels}, "
                             f"{self.input_size}, {self.input_size}), got {tuple(x.shape)}")
        x = self.flatten(self.features(x))
        x = self.act3(self.fc3(x))
        x = self.act4(self.fc4(x))
        return self.fc5(x)


class ScaledTanh(nn.Module):
    """LeCun's squashing function ``A tanh(S a)`` with ``A = 1.7159`` and ``S = 2/3``, so that
    ``f(1) = 1`` and ``f(-1) = -1`` (LeCun et al., 1998, appendix A)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class Subsampling(nn.Module):
    """LeNet-5's subsampling layer (S2, S4): per channel, the sum of each 2x2 block times a
    learned coefficient plus a learned bias (2 parameters per channel).

    Input (N, C, H, W); output (N, C, H/2, W/2), before the squashing function.
    """

    #: ``(f, s, d)`` for :func:`cnnlib.models.layers_of`.
    receptive_field_layer = (2, 2, 1)

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), 0.25))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        total = torch.nn.functional.avg_pool2d(x, 2) * 4
        return total * self.weight[:, None, None] + self.bias[:, None, None]

    def multiply_adds(self, inputs, output) -> int:
        """One multiplication per output value (the coefficient); the sums are additions."""
        return output[0].numel()


#: LeNet-5's C3 connection table (LeCun et al., 1998, Table I): the S2 maps each C3 map reads.
LENET_C3_TABLE = ((0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
                  (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1),
                  (5, 0, 1, 2), (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5), (0, 1, 2, 3, 4, 5))


class PartialConv2d(nn.Module):
    """A convolution in which output map ``j`` reads only the input maps ``table[j]``.

    Its weights are stored packed, one ``len(table[j]) x f x f`` filter per output map, so
    the parameter count is that of the connections that exist (1,516 for LeNet-5's C3, against
    2,416 for a full 6-to-16 convolution). The forward pass scatters them into a dense filter
    bank with zeros elsewhere and runs one ordinary convolution.
    """

    def __init__(self, in_channels: int, table, f: int):
        super().__init__()
        self.in_channels, self.out_channels, self.f = in_channels, len(table), f
        self.receptive_field_layer = (f, 1, 1)   # (f, s, d) for cnnlib.models.layers_of
        index = []
        for j, inputs in enumerate(table):
            for i in inputs:
                if not 0 <= i < in_channels:
                    raise ValueError(f"PartialConv2d: table[{j}] names input map {i}, the "
                                     f"input has {in_channels}")
                index.append(j * in_channels + i)
        self.register_buffer("index", torch.tensor(index), persistent=False)
        fan_in = [len(t) * f * f for t in table]
        bound = torch.tensor([fan_in[j] ** -0.5 for j, t in enumerate(table) for _ in t])
        self.weight = nn.Parameter((torch.rand(len(index), f, f) * 2 - 1) * bound[:, None, None])
        self.bias = nn.Parameter(torch.zeros(len(table)))

    def dense_weight(self) -> torch.Tensor:
        """The (out, in, f, f) filter bank, zero where the table has no connection."""
        dense = self.weight.new_zeros(self.out_channels * self.in_channels, self.f, self.f)
        dense = dense.index_copy(0, self.index, self.weight)
        return dense.reshape(self.out_channels, self.in_channels, self.f, self.f)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.conv2d(x, self.dense_weight(), self.bias)

    def multiply_adds(self, inputs, output) -> int:
        """Only the connections that exist: output pixels times packed weights per map."""
        per_map = output[0, 0].numel()
        return per_map * self.weight.numel()


class EuclideanRBF(nn.Module):
    """LeNet-5's output layer: unit ``i`` computes ``sum_j (x_j - w_ij)^2``, the squared
    distance from the input to a prototype ``w_i`` (84 x 10 = 840 parameters, no bias).

    The model returns minus these distances as class scores: the closest prototype wins.
    """

    def __init__(self, in_features: int, num_classes: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(num_classes, in_features).sign())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -torch.cdist(x, self.weight).pow(2)

    def multiply_adds(self, inputs, output) -> int:
        """One multiplication (a square) per input and class."""
        return output[0].numel() * self.weight.shape[1]


class LeNet5Original(nn.Module):
    """LeNet-5 as LeCun et al. published it in 1998 (60,840 parameters), for 32x32 gray digits.

    ====================  ============  ==========  ===================================
    layer                 output        parameters  what differs from :class:`LeNet5`
    ====================  ============  ==========  ===================================
    C1, 5x5 conv          6 @ 28x28     156         6 maps, not the course's 8
    S2, subsampling       6 @ 14x14     12          sum x coefficient + bias, then tanh
    C3, 5x5 conv          16 @ 10x10    1,516       each map reads 3, 4 or 6 of S2's maps
    S4, subsampling       16 @ 5x5      32          as S2
    C5, 5x5 conv          120 @ 1x1     48,120      a convolution (the course's FC3)
    F6, full              84            10,164      as the course's FC4
    output, RBF           10            840         squared distances, not a linear layer
    ====================  ============  ==========  ===================================

    Every layer but the output is followed by the scaled tanh :class:`ScaledTanh`. The RBF
    prototypes start as random +-1 codes (the paper drew them as 7x12 bitmaps of the
    characters). ``forward`` returns minus the squared distances, so the largest score is
    the predicted class and :func:`cnnlib.train.fit` can train it with cross-entropy, as
    modern code does (the paper used a different criterion). Section 2.1.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10):
        super().__init__()
        V.check_int("LeNet5Original", "in_channels", in_channels, minimum=1)
        V.check_int("LeNet5Original", "num_classes", num_classes, minimum=1)
        self.in_channels = in_channels
        self.c1 = nn.Conv2d(in_channels, 6, 5)
        self.act1 = ScaledTanh()
        self.s2 = Subsampling(6)
        self.act2 = ScaledTanh()
        self.c3 = PartialConv2d(6, LENET_C3_TABLE, 5)
        self.act3 = ScaledTanh()
        self.s4 = Subsampling(16)
        self.act4 = ScaledTanh()
        self.c5 = nn.Conv2d(16, 120, 5)
        self.act5 = ScaledTanh()
        self.flatten = nn.Flatten()
        self.f6 = nn.Linear(120, 84)
        self.act6 = ScaledTanh()
        self.output = EuclideanRBF(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, 32, 32) images -> (N, num_classes) scores (minus RBF distances)."""
        if x.ndim != 4 or x.shape[1] != self.in_channels or tuple(x.shape[2:]) != (32, 32):
            raise ValueError(f"LeNet5Original: expected input of shape (N, {self.in_channels}, "
                             f"32, 32), got {tuple(x.shape)}")
        x = self.act2(self.s2(self.act1(self.c1(x))))
        x = self.act4(self.s4(self.act3(self.c3(x))))
        x = self.act6(self.f6(self.flatten(self.act5(self.c5(x)))))
        return self.output(x)
