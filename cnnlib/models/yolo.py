"""A small YOLO-style detector for the book's synthetic scenes (section 3.9)."""

from __future__ import annotations

import torch
from torch import nn

from .. import _checks as V

__all__ = ["TinyYOLO"]


def _block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
            nn.LeakyReLU(0.1)]


class TinyYOLO(nn.Module):
    """A fully convolutional YOLO: image (N, 3, H, W) -> raw output (N, A (5 + n), H/s, W/s).

    A backbone of 3x3 convolutions (batch norm, leaky ReLU, as in YOLOv2) with a 2x2 max pool
    after each of the first ``len(widths) - 1`` stages, so the grid is ``H / s`` with output
    stride ``s = 2^(len(widths) - 1)`` (8 by default: a 64x64 image gives an 8x8 grid). Two more
    3x3 convolutions widen each cell's view (the receptive field must cover whole objects), and a
    1x1 convolution, the head, predicts ``5 + num_classes`` numbers for each of
    ``num_anchors`` slots of every cell, in the layout of :func:`cnnlib.vision.yolo.encode_yolo`.
    Train with :class:`cnnlib.vision.yolo.YOLOLoss`; decode with
    :func:`cnnlib.vision.yolo.detect`.

    Parameters
    ----------
    num_classes : int
    num_anchors : int
        Slots per cell (1 without anchors).
    in_channels : int
    widths : sequence of int
        Channels of each stage of the backbone.
    """

    def __init__(self, num_classes: int, num_anchors: int = 1, in_channels: int = 3,
                 widths=(16, 32, 64, 128)):
        super().__init__()
        self.num_classes = V.check_int("TinyYOLO", "num_classes", num_classes, minimum=1)
        self.num_anchors = V.check_int("TinyYOLO", "num_anchors", num_anchors, minimum=1)
        V.check_int("TinyYOLO", "in_channels", in_channels, minimum=1)
        widths = tuple(widths)
        if len(widths) < 1:
            raise ValueError("TinyYOLO: widths must name at least one stage")
        for w in widths:
            V.check_int("TinyYOLO", "widths", w, minimum=1)
        layers: list[nn.Module] = []
        c = in_channels
        for i, w in enumerate(widths):
            layers += _block(c, w)
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            c = w
        layers += _block(c, c) + _block(c, c)
        self.backbone = nn.Sequential(*layers)
        self.head = nn.Conv2d(c, num_anchors * (5 + num_classes), 1)
        self.stride = 2 ** (len(widths) - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, A (5 + n), H / stride, W / stride) raw predictions."""
        return self.head(self.backbone(x))
