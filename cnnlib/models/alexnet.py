"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012): the network that won ImageNet 2012.

Five convolutions (11x11 stride 4, 5x5, then three 3x3), three overlapping 3x3/2 max pools,
two hidden fully connected layers of 4096 units with dropout, ReLU everywhere. Two forms:

- ``variant="torchvision"`` (default): torchvision's definition, the one whose weights are
  shared as ``alexnet`` state dicts: 64-192-384-256-256 filters, no normalisation, an adaptive
  average pool to 6x6 before the classifier. With 1000 classes: exactly 61,100,840 parameters.
- ``variant="paper"``: the 2012 paper's, 96-256-384-384-256 filters, a local response
  normalisation after the first two convolutions (the paper's ``k=2, n=5, alpha=1e-4,
  beta=0.75``; torch divides ``alpha`` by ``n``, hence ``alpha=5e-4`` here), and the
  convolutions that were split over two GPUs (``conv2``, ``conv4``, ``conv5``) as grouped
  convolutions with ``groups=2``; on a 227x227 input, 60,965,224 parameters. ``groups=1``
  joins the halves, as the course's drawing does (62,378,344).

The module names follow torchvision's (``features.0``, ``classifier.1``, ...). Section 2.1.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _checks as V

__all__ = ["AlexNet"]


class AlexNet(nn.Module):
    """AlexNet: ``features`` (convolutions, ReLUs, pools), ``avgpool``, ``classifier``.

    Parameters
    ----------
    num_classes : int
        Outputs of the last fully connected layer (1000 for ImageNet).
    in_channels : int
        Channels of the input image.
    variant : {'torchvision', 'paper'}
        See the module docstring.
    groups : int
        Groups of the paper's split convolutions (2, one per GPU; 1 joins them). Only for
        ``variant="paper"``.
    width : float
        Multiplies every convolution's filter count, so that the book can train a narrow
        AlexNet on small images.
    hidden : int
        Units of the two hidden fully connected layers (4096).
    dropout : float
        Dropout probability before each hidden fully connected layer (0.5).

    Input (N, in_channels, H, W), 224x224 (torchvision) or 227x227 (paper) for ImageNet;
    output (N, num_classes) logits.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3,
                 variant: str = "torchvision", groups: int = 2, width: float = 1.0,
                 hidden: int = 4096, dropout: float = 0.5):
        super().__init__()
        V.check_int("AlexNet", "num_classes", num_classes, minimum=1)
        V.check_int("AlexNet", "in_channels", in_channels, minimum=1)
        V.check_choice("AlexNet", "variant", variant, ("torchvision", "paper"))
        V.check_int("AlexNet", "groups", groups, minimum=1)
        width = V.check_number("AlexNet", "width", width, minimum=0.0, strict=True)
        V.check_int("AlexNet", "hidden", hidden, minimum=1)
        dropout = V.check_number("AlexNet", "dropout", dropout, 0.0, 1.0)
        self.in_channels, self.variant = in_channels, variant

        def ch(c):   # channels scaled by width, kept divisible by the groups
            g = groups if variant == "paper" else 1
            return max(g, round(c * width / g) * g)

        if variant == "torchvision":
            c = [ch(64), ch(192), ch(384), ch(256), ch(256)]
            self.features = nn.Sequential(
                nn.Conv2d(in_channels, c[0], kernel_size=11, stride=4, padding=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(c[0], c[1], kernel_size=5, padding=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(c[1], c[2], kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(c[2], c[3], kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(c[3], c[4], kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
            )
        else:
            c = [ch(96), ch(256), ch(384), ch(384), ch(256)]
            self.features = nn.Sequential(
                nn.Conv2d(in_channels, c[0], kernel_size=11, stride=4),
                nn.ReLU(inplace=True),
                nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2.0),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(c[0], c[1], kernel_size=5, padding=2, groups=groups),
                nn.ReLU(inplace=True),
                nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2.0),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(c[1], c[2], kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(c[2], c[3], kernel_size=3, padding=1, groups=groups),
                nn.ReLU(inplace=True),
                nn.Conv2d(c[3], c[4], kernel_size=3, padding=1, groups=groups),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
            )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(c[4] * 6 * 6, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) images -> (N, num_classes) logits."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"AlexNet: expected input of shape (N, {self.in_channels}, H, W), "
                             f"got {tuple(x.shape)}")
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))
