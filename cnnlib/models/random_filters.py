"""Random filters over several scales: a feature extractor that nobody trained.

Style transfer and texture synthesis need features whose correlations (Gram matrices) describe
a texture. The classic choice is an ImageNet-trained VGG-19 (Gatys et al., 2016), whose weights this
book cannot download. Two published results say that training is not essential for texture
statistics: Ustyuzhaninov et al. (ICLR 2017) synthesise natural textures from a *single*
convolutional layer of random filters at several sizes (3 to 55 pixels), and He, Wang and
Hopcroft (NeurIPS 2016) invert images and transfer styles with a VGG whose weights are random.

:class:`RandomMultiScale` follows the first recipe cheaply. Instead of large filters it applies
small random filters to an image pyramid: scale 1 filters the image itself, scale k filters the
image blurred and subsampled k - 1 times by 2, so a ``kernel_size`` filter there covers about
``kernel_size * 2**(k-1)`` pixels of the input. Each scale is one convolution (zero-mean,
unit-norm random filters drawn from a seeded generator) and a ReLU; nothing is learned. Its
layers are named ``scale1`` (finest) to ``scaleK`` (coarsest), and :meth:`RandomMultiScale.taps`
returns them like :meth:`cnnlib.models.VGG.taps`. Part 5 (sections 5.1 and 5.3.2) compares it
with a network trained in the book.
"""

from __future__ import annotations

from typing import Iterable

import torch
import torch.nn.functional as F
from torch import nn

from .. import _checks as V

__all__ = ["RandomMultiScale"]

#: The binomial filter (1, 4, 6, 4, 1) / 16 that blurs before each subsampling.
_BINOMIAL = (1.0, 4.0, 6.0, 4.0, 1.0)


class RandomMultiScale(nn.Module):
    """Random ReLU features of an image at several scales (an image pyramid).

    The filters are buffers, not parameters: the network has nothing to train, and its
    ``state_dict`` still saves them. Input (N, in_channels, H, W); :meth:`forward` returns a
    dict of every tap.

    Parameters
    ----------
    scales : int
        Number of pyramid levels, each with its own random filters (tap ``scale1`` to
        ``scale{scales}``).
    channels : int
        Random filters per scale (the channels of each tap).
    kernel_size : int
        Odd filter size; the input of each level is padded by reflection so that a tap has
        the size of its level, ``ceil(H / 2**(k-1))`` for scale k.
    in_channels : int
        Channels of the input image.
    seed : int
        Seeds the filters; the same seed gives the same network on every machine.
    mean, std : float
        The input is standardised as ``(x - mean) / std`` first (images in [0, 1]).
    """

    def __init__(self, scales: int = 5, channels: int = 64, kernel_size: int = 5,
                 in_channels: int = 3, seed: int = 0, mean: float = 0.5, std: float = 0.25):
        super().__init__()
        self.scales = V.check_int("RandomMultiScale", "scales", scales, minimum=1)
        self.channels = V.check_int("RandomMultiScale", "channels", channels, minimum=1)
        self.kernel_size = V.check_int("RandomMultiScale", "kernel_size", kernel_size, minimum=1)
        if kernel_size % 2 == 0:
            raise ValueError(f"RandomMultiScale: kernel_size must be odd, got {kernel_size}")
        self.in_channels = V.check_int("RandomMultiScale", "in_channels", in_channels,
                                       minimum=1)
        self.seed = V.check_int("RandomMultiScale", "seed", seed, minimum=0)
        self.mean = V.check_number("RandomMultiScale", "mean", mean)
        self.std = V.check_number("RandomMultiScale", "std", std, minimum=0.0, strict=True)
        generator = torch.Generator().manual_seed(seed)
        for k in range(1, scales + 1):
            w = torch.randn(channels, in_channels, kernel_size, kernel_size, generator=generator)
            w = w - w.mean(dim=(1, 2, 3), keepdim=True)          # blind to uniform brightness
            w = w / w.flatten(1).norm(dim=1).clamp_min(1e-12)[:, None, None, None]
            self.register_buffer(f"weight{k}", w)
        b = torch.tensor(_BINOMIAL)
        blur = (b[:, None] * b[None, :]) / b.sum() ** 2
        self.register_buffer("blur", blur.expand(in_channels, 1, 5, 5).contiguous())
        self.layer_names = [f"scale{k}" for k in range(1, scales + 1)]

    def extra_repr(self) -> str:
        return (f"scales={self.scales}, channels={self.channels}, "
                f"kernel_size={self.kernel_size}, seed={self.seed}")

    def receptive_field(self, name: str) -> int:
        """About how many input pixels one filter of the tap ``name`` covers:
        ``kernel_size * 2**(k-1)`` for ``scale{k}``."""
        self._check_names("RandomMultiScale.receptive_field", [name])
        k = self.layer_names.index(name)
        return self.kernel_size * 2 ** k

    def _check_names(self, op, names):
        unknown = [n for n in names if n not in self.layer_names]
        if unknown:
            raise ValueError(f"{op}: unknown layer name(s) {unknown}; RandomMultiScale has "
                             f"{', '.join(self.layer_names)}")

    def downsample(self, x: torch.Tensor) -> torch.Tensor:
        """One pyramid step: blur with the binomial filter (reflected borders), keep every
        second row and column."""
        padded = F.pad(x, (2, 2, 2, 2), mode="reflect" if min(x.shape[-2:]) > 2 else
                       "replicate")
        return F.conv2d(padded, self.blur.to(x.dtype), groups=self.in_channels)[..., ::2, ::2]

    def taps(self, x: torch.Tensor, names: Iterable[str]) -> dict[str, torch.Tensor]:
        """The random features at the named scales, in one pass up the pyramid.

        ``names`` are layer names such as ``"scale1"``; the pass stops at the coarsest one
        asked for. Returns a dict in the order of ``names``.
        """
        names = list(names)
        self._check_names("RandomMultiScale.taps", names)
        if not names:
            return {}
        if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"RandomMultiScale.taps: expected input of shape "
                             f"(N, {self.in_channels}, H, W), got "
                             f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x)}")
        deepest = max(self.layer_names.index(n) for n in names)
        h = (x - self.mean) / self.std
        pad = self.kernel_size // 2
        out = {}
        for k in range(deepest + 1):
            if k:
                h = self.downsample(h)
            name = self.layer_names[k]
            if name in names:
                mode = "reflect" if min(h.shape[-2:]) > pad else "replicate"
                padded = F.pad(h, (pad,) * 4, mode=mode) if pad else h
                weight = getattr(self, f"weight{k + 1}").to(h.dtype)
                out[name] = F.relu(F.conv2d(padded, weight))
        return {n: out[n] for n in names}

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every tap, ``{"scale1": ..., ...}``."""
        return self.taps(x, self.layer_names)
