"""U-Net: an encoder-decoder with skip connections for semantic segmentation (section 3.11)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .. import _checks as V

__all__ = ["UNet", "DoubleConv"]


class DoubleConv(nn.Sequential):
    """Two "same" 3x3 convolutions, each followed by batch norm and ReLU: U-Net's basic block."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True),
                         nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class UNet(nn.Module):
    """U-Net (Ronneberger et al., 2015), small: image (N, C, H, W) -> class scores (N, K, H, W).

    **Encoder** (contracting path): at each level a :class:`DoubleConv`, whose output is kept
    for the skip, then a 2x2 max pool that halves height and width; the channels grow as
    ``widths``. **Bottleneck**: a :class:`DoubleConv` at the lowest resolution. **Decoder**
    (expanding path): at each level a 2x2 transposed convolution with stride 2 doubles the
    resolution and halves the channels; the result is concatenated with the encoder's feature
    map of the same size (the *skip connection*, which brings back the detail of where things
    are) and a :class:`DoubleConv` fuses them. **Head**: a 1x1 convolution maps every pixel's
    features to ``num_classes`` scores, a fully connected layer applied at every pixel.

    Nothing fixes the input size: every layer is a convolution, a pool or a transposed
    convolution. When a size is odd, the upsampled map is one pixel short of its skip and is
    padded to match, so any ``H, W >= 2^(len(widths) - 1)`` works and the output has the
    input's size.

    Parameters
    ----------
    in_channels : int
    num_classes : int
        Output channels (background included).
    widths : sequence of int
        Channels at each level, top first; the last is the bottleneck. ``(16, 32, 64)`` has two
        pools and two upsamplings.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 2, widths=(16, 32, 64)):
        super().__init__()
        V.check_int("UNet", "in_channels", in_channels, minimum=1)
        self.num_classes = V.check_int("UNet", "num_classes", num_classes, minimum=1)
        widths = tuple(widths)
        if len(widths) < 2:
            raise ValueError("UNet: widths needs at least two levels (one pool, one upsampling)")
        for w in widths:
            V.check_int("UNet", "widths", w, minimum=1)
        self.widths = widths
        self.down = nn.ModuleList()
        c = in_channels
        for w in widths[:-1]:
            self.down.append(DoubleConv(c, w))
            c = w
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = DoubleConv(widths[-2], widths[-1])
        self.up = nn.ModuleList()
        self.fuse = nn.ModuleList()
        for w_low, w_high in zip(widths[:0:-1], widths[-2::-1]):
            self.up.append(nn.ConvTranspose2d(w_low, w_high, kernel_size=2, stride=2))
            self.fuse.append(DoubleConv(2 * w_high, w_high))
        self.head = nn.Conv2d(widths[0], num_classes, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, num_classes, H, W) scores (logits) for every pixel."""
        levels = len(self.widths) - 1
        if x.ndim != 4 or min(x.shape[-2:]) < 2 ** levels:
            raise ValueError(f"UNet: expected (N, C, H, W) with H, W >= {2 ** levels}, got "
                             f"{tuple(x.shape)}")
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, fuse, skip in zip(self.up, self.fuse, reversed(skips)):
            x = up(x)
            dh, dw = skip.shape[-2] - x.shape[-2], skip.shape[-1] - x.shape[-1]
            if dh or dw:
                x = F.pad(x, (dw // 2, dw - dw // 2, dh // 2, dh - dh // 2))
            x = fuse(torch.cat([skip, x], dim=1))
        return self.head(x)
