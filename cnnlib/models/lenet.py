"""LeNet-5, the course's first complete network (section 1.8)."""

from __future__ import annotations

import torch
from torch import nn

from .. import _checks as V
from ..shapes import output_size

__all__ = ["LeNet5", "ACTIVATIONS"]

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
