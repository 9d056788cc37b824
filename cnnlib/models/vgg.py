"""VGG (Simonyan and Zisserman, 2015): stacks of 3x3 convolutions and 2x2 max pools.

:class:`VGG` builds every configuration of the paper (11, 13, 16 and 19 weight layers, with or
without batch normalisation) with the same module names as torchvision's definition, so a
torchvision-format state dict loads into it unchanged (:func:`cnnlib.models.load_weights`).
With ``num_classes=1000`` and a 224x224 input, VGG-16 has exactly 138,357,544 parameters and
VGG-19 143,667,240.

Every layer of ``features`` also has the name the style-transfer literature uses: ``conv1_1``,
``relu1_1``, ``conv1_2``, ..., ``pool1``, ``conv2_1``, ... (block, then position in the block).
:meth:`VGG.taps` returns the activations at any of those names in one forward pass, stopping
after the deepest one asked for. Part 2 (section 2.1) builds VGG-16; Part 5 reads features from
VGG-19.
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch import nn

from .. import _checks as V

__all__ = ["VGG", "vgg11", "vgg13", "vgg16", "vgg19", "VGG_CONFIGS"]

#: Channels of each 3x3 convolution per block, blocks separated by a 2x2 max pool ("M").
VGG_CONFIGS = {
    11: (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    13: (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    16: (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    19: (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
         512, 512, 512, 512, "M"),
}


class VGG(nn.Module):
    """A VGG network: ``features`` (convolutions and pools), ``avgpool``, ``classifier``.

    Parameters
    ----------
    depth : {11, 13, 16, 19}
        Number of weight layers (convolutions plus the three fully connected layers).
    num_classes : int
        Outputs of the last fully connected layer (1000 for ImageNet).
    batch_norm : bool
        A ``BatchNorm2d`` after every convolution (torchvision's ``vgg16_bn``).
    in_channels : int
        Channels of the input image.
    width : float
        Multiplies every convolution's channel count (1.0 is the paper's), so that the book
        can train a narrow VGG on small images in seconds.
    hidden : int
        Width of the two hidden fully connected layers (4096 in the paper).
    pool_size : int
        Output size of the adaptive average pool before the classifier (7 in torchvision,
        which makes any input of at least 32x32 pixels work).
    dropout : float
        Dropout probability before the hidden fully connected layers.
    config : sequence of int and "M", optional
        A custom stack instead of the paper's: channels of each 3x3 convolution, ``"M"`` for
        each 2x2 max pool (as in :data:`VGG_CONFIGS`). It overrides ``depth``, which becomes
        the number of convolutions plus three. Part 5 trains a small one,
        ``(16, "M", 32, "M", 64, "M", 128, "M")``, on the book's shape images.

    Input (N, in_channels, H, W), output (N, num_classes) logits.
    """

    def __init__(self, depth: int = 16, num_classes: int = 1000, batch_norm: bool = False,
                 in_channels: int = 3, width: float = 1.0, hidden: int = 4096,
                 pool_size: int = 7, dropout: float = 0.5, config=None):
        super().__init__()
        if config is None:
            V.check_choice("VGG", "depth", depth, tuple(VGG_CONFIGS))
            config = VGG_CONFIGS[depth]
        else:
            config = _check_config(config)
            depth = sum(item != "M" for item in config) + 3
        V.check_int("VGG", "num_classes", num_classes, minimum=1)
        V.check_bool("VGG", "batch_norm", batch_norm)
        V.check_int("VGG", "in_channels", in_channels, minimum=1)
        width = V.check_number("VGG", "width", width, minimum=0.0, strict=True)
        V.check_int("VGG", "hidden", hidden, minimum=1)
        V.check_int("VGG", "pool_size", pool_size, minimum=1)
        dropout = V.check_number("VGG", "dropout", dropout, 0.0, 1.0)
        self.depth, self.in_channels = depth, in_channels
        layers: list[nn.Module] = []
        self.layer_names: list[str] = []
        c, block, position = in_channels, 1, 1
        for item in config:
            if item == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
                self.layer_names.append(f"pool{block}")
                block, position = block + 1, 1
                continue
            out = max(1, round(item * width))
            layers.append(nn.Conv2d(c, out, kernel_size=3, padding=1))
            self.layer_names.append(f"conv{block}_{position}")
            if batch_norm:
                layers.append(nn.BatchNorm2d(out))
                self.layer_names.append(f"bn{block}_{position}")
            layers.append(nn.ReLU(inplace=True))
            self.layer_names.append(f"relu{block}_{position}")
            c, position = out, position + 1
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((pool_size, pool_size))
        self.classifier = nn.Sequential(
            nn.Linear(c * pool_size * pool_size, hidden), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(hidden, num_classes))
        self._index = {name: i for i, name in enumerate(self.layer_names)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) images -> (N, num_classes) logits."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"VGG: expected input of shape (N, {self.in_channels}, H, W), got "
                             f"{tuple(x.shape)}")
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))

    def taps(self, x: torch.Tensor, names: Iterable[str]) -> dict[str, torch.Tensor]:
        """Activations of ``features`` at the named layers, in one forward pass.

        ``names`` are layer names such as ``"conv4_2"`` or ``"relu1_1"`` (see
        ``layer_names``); the pass stops after the deepest one. Each tap is a copy, because the
        ReLUs work in place (as torchvision's do) and would overwrite the convolution output
        they follow.
        """
        names = list(names)
        unknown = [n for n in names if n not in self._index]
        if unknown:
            raise ValueError(f"VGG.taps: unknown layer name(s) {unknown}; VGG-{self.depth} has "
                             f"{', '.join(self.layer_names)}")
        if not names:
            return {}
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"VGG.taps: expected input of shape (N, {self.in_channels}, H, W), "
                             f"got {tuple(x.shape)}")
        wanted = {self._index[n]: n for n in names}
        out = {}
        for i, layer in enumerate(self.features[:max(wanted) + 1]):
            x = layer(x)
            if i in wanted:
                out[wanted[i]] = x.clone()
        return {n: out[n] for n in names}


def _check_config(config) -> tuple:
    if isinstance(config, (str, bytes)) or not isinstance(config, (list, tuple)):
        raise TypeError(f"VGG: config must be a list or tuple of channel counts and 'M', got "
                        f"{type(config).__name__}")
    for item in config:
        if item != "M" and not (V.is_int(item) and item >= 1):
            raise ValueError(f"VGG: config holds {item!r}; each entry must be a positive "
                             f"channel count or 'M' (a 2x2 max pool)")
    if not any(item != "M" for item in config):
        raise ValueError("VGG: config must hold at least one convolution")
    return tuple(config)


def vgg11(**kwargs) -> VGG:
    """VGG-11 (configuration A): ``VGG(depth=11, **kwargs)``; see :class:`VGG`."""
    return VGG(depth=11, **kwargs)


def vgg13(**kwargs) -> VGG:
    """VGG-13 (configuration B): ``VGG(depth=13, **kwargs)``; see :class:`VGG`."""
    return VGG(depth=13, **kwargs)


def vgg16(**kwargs) -> VGG:
    """VGG-16 (configuration D), the course's: ``VGG(depth=16, **kwargs)``; see :class:`VGG`."""
    return VGG(depth=16, **kwargs)


def vgg19(**kwargs) -> VGG:
    """VGG-19 (configuration E), style transfer's: ``VGG(depth=19, **kwargs)``; see :class:`VGG`."""
    return VGG(depth=19, **kwargs)
