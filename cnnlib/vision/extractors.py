"""The feature extractors of Part 5: random filters, a network trained in the book, real VGG.

Style transfer reads a generated image through a fixed convolutional network and compares
its activations with those of a content and a style image. The published method uses VGG-19
trained on ImageNet (Gatys et al., 2016); this book downloads nothing, so it offers three
extractors with one interface (``taps(x, names) -> {name: activations}`` and
``layer_names``):

- :func:`random_extractor`, the default: :class:`cnnlib.models.RandomMultiScale`, random
  filters over an image pyramid, after Ustyuzhaninov et al. (2017) and He, Wang and Hopcroft
  (2016), who showed that untrained filters already describe textures;
- :func:`trained_extractor`: a small VGG (:class:`cnnlib.models.VGG` with a custom
  ``config``) trained in a few seconds to tell which scikit-image photo a 32x32 patch comes
  from (:func:`photo_patches`). Its weights are cached on disk after the first call;
- :func:`vgg_extractor`: a real VGG-19 (or 11/13/16) from a torchvision-format state dict a
  reader saved locally, with ImageNet's input normalisation.

:func:`default_layers` names the content and style layers the book uses for each. Sections
5.1 to 5.3.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import _checks as V

__all__ = ["FeatureExtractor", "random_extractor", "trained_extractor", "vgg_extractor",
           "photo_patches", "default_layers", "freeze", "average_pooling", "cache_dir",
           "PATCH_PHOTOS",
           "TRAINED_CONFIG", "IMAGENET_MEAN", "IMAGENET_STD"]

#: The scikit-image photos whose patches the book's extractor learns to tell apart.
PATCH_PHOTOS = ("astronaut", "brick", "camera", "chelsea", "coffee", "coins", "grass", "gravel",
                "immunohistochemistry", "moon", "page", "rocket")
#: Its layers: 3x3 convolutions (with batch normalisation and ReLU) and 2x2 max pools.
TRAINED_CONFIG = (16, "M", 32, "M", 64, "M", 128, "M")
#: The normalisation torchvision's ImageNet weights expect: ``(x - mean) / std`` per channel.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Bumped whenever the training recipe changes, so that a stale cache is never read.
_RECIPE_VERSION = 1


def freeze(net: nn.Module) -> nn.Module:
    """Put ``net`` in eval mode and stop gradients to its parameters (in place); return it.

    An extractor is a fixed measuring instrument: style transfer optimises the image, never
    the network, and batch normalisation must use its stored statistics.
    """
    if not isinstance(net, nn.Module):
        raise TypeError(f"freeze: expected a torch.nn.Module, got {type(net).__name__}")
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def average_pooling(net: nn.Module) -> nn.Module:
    """A frozen copy of ``net`` with every ``MaxPool2d`` replaced by an ``AvgPool2d`` of the same
    size and stride.

    Gatys et al. (2016) do this to VGG for style transfer: the features keep their meaning
    (the weights are unchanged), but the gradient of an average reaches all four pixels of a
    window instead of the one that won the max, which gives smoother images. ``net`` itself is
    left as it is. Section 5.1.
    """
    import copy

    if not isinstance(net, nn.Module):
        raise TypeError(f"average_pooling: expected a torch.nn.Module, got {type(net).__name__}")
    twin = copy.deepcopy(net)
    for parent in twin.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.MaxPool2d):
                setattr(parent, name, nn.AvgPool2d(child.kernel_size, child.stride,
                                                   child.padding, child.ceil_mode))
    if hasattr(net, "record"):
        twin.record = net.record
    return freeze(twin)


class FeatureExtractor(nn.Module):
    """A network with named taps, plus the input normalisation its weights expect.

    ``taps(x, names)`` normalises images ``x`` (N, C, H, W) in [0, 1] as ``(x - mean) / std``
    and returns ``net.taps(...)``. ``net`` is anything with ``taps`` and ``layer_names`` (a
    :class:`cnnlib.models.VGG`, say); ``mean`` and ``std`` are per-channel sequences, or
    ``None`` for no normalisation. The network is frozen (:func:`freeze`).
    """

    def __init__(self, net: nn.Module, mean=None, std=None, name: str = ""):
        super().__init__()
        if not (hasattr(net, "taps") and hasattr(net, "layer_names")):
            raise TypeError(f"FeatureExtractor: net must have taps(x, names) and layer_names "
                            f"(a cnnlib.models.VGG, say), got {type(net).__name__}")
        self.net = freeze(net)
        self.name = str(name) or type(net).__name__
        if (mean is None) != (std is None):
            raise ValueError("FeatureExtractor: give both mean and std, or neither")
        if mean is not None:
            mean = torch.as_tensor(mean, dtype=torch.float32).reshape(1, -1, 1, 1)
            std = torch.as_tensor(std, dtype=torch.float32).reshape(1, -1, 1, 1)
            if not bool((std > 0).all()):
                raise ValueError("FeatureExtractor: std must be positive")
            self.register_buffer("mean", mean)
            self.register_buffer("std", std)
        else:
            self.mean = self.std = None

    @property
    def layer_names(self) -> list[str]:
        """The names ``taps`` accepts (the network's)."""
        return list(self.net.layer_names)

    @property
    def in_channels(self) -> int:
        """Channels of the images the network reads."""
        return int(getattr(self.net, "in_channels", 3))

    def taps(self, x: torch.Tensor, names) -> dict[str, torch.Tensor]:
        """Normalise ``x`` and return the network's activations at ``names``."""
        if self.mean is not None:
            x = (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        return self.net.taps(x, names)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every tap."""
        return self.taps(x, self.layer_names)


def random_extractor(seed: int = 0, scales: int = 5, channels: int = 32,
                     kernel_size: int = 5) -> nn.Module:
    """The default extractor: :class:`cnnlib.models.RandomMultiScale` with these arguments.

    Random filters need no data and no training; the seed fixes them. Taps ``scale1`` (5x5
    filters on the image) to ``scale5`` (the same size on a 16x smaller image). 32 filters per
    scale keep a step cheap; 64 give similar textures at twice the cost. Section 5.1.
    """
    from ..models.random_filters import RandomMultiScale

    return freeze(RandomMultiScale(scales=scales, channels=channels, kernel_size=kernel_size,
                                   seed=seed))


# --------------------------------------------------------------------------------------------
# The extractor trained in the book
# --------------------------------------------------------------------------------------------

_PHOTO_CACHE: dict = {}


def _patch_photos(photos, longer):
    key = (tuple(photos), longer)
    if key not in _PHOTO_CACHE:
        from ..data import photo

        images = []
        for name in photos:
            a = photo(name, size=longer, gray=False)
            if a.ndim == 2:
                a = np.repeat(a[..., None], 3, axis=-1)
            images.append(np.ascontiguousarray(a.transpose(2, 0, 1)))
        _PHOTO_CACHE[key] = images
    return _PHOTO_CACHE[key]


#: The share of each photo's width that each split may crop from (left to right).
_SPLITS = {"train": (0.0, 0.6), "val": (0.6, 0.8), "test": (0.8, 1.0)}


def photo_patches(n: int, size: int = 32, seed: int = 0, split: str = "train",
                  photos=PATCH_PHOTOS, longer: int = 192, flip: bool = True):
    """``n`` random square patches of scikit-image photos, labelled by photo.

    Each photo is resized so that its longer side has ``longer`` pixels (grayscale ones are
    repeated to three channels). A patch of ``size`` x ``size`` pixels is cut at a random place
    of a photo drawn uniformly; ``split`` decides which vertical band of every photo it comes
    from: ``'train'`` the left 60%, ``'val'`` the next 20%, ``'test'`` the right 20%, so the
    three splits never share a pixel. ``flip`` mirrors half the patches left to right.
    Returns ``(x, y)``: float32 (n, 3, size, size) in [0, 1] and int64 labels indexing
    ``photos``. Seeded; section 5.2 trains :func:`trained_extractor` on them.
    """
    n = V.check_int("photo_patches", "n", n, minimum=1)
    size = V.check_int("photo_patches", "size", size, minimum=4)
    seed = V.check_int("photo_patches", "seed", seed, minimum=0)
    V.check_choice("photo_patches", "split", split, tuple(_SPLITS))
    longer = V.check_int("photo_patches", "longer", longer, minimum=size)
    V.check_bool("photo_patches", "flip", flip)
    photos = tuple(photos)
    from ..data import PHOTOS

    for name in photos:
        V.check_choice("photo_patches", "photos", name, PHOTOS)
    images = _patch_photos(photos, longer)
    lo, hi = _SPLITS[split]
    for name, a in zip(photos, images):
        band = int(a.shape[2] * hi) - int(a.shape[2] * lo)
        if band < size or a.shape[1] < size:
            raise ValueError(f"photo_patches: the {split} band of {name!r} ({a.shape[1]} x "
                             f"{band} pixels at longer={longer}) is smaller than a {size}-pixel "
                             f"patch; raise longer or lower size")
    rng = np.random.default_rng([seed, list(_SPLITS).index(split)])
    x = np.empty((n, 3, size, size), np.float32)
    y = rng.integers(len(photos), size=n)
    for i, label in enumerate(y):
        a = images[label]
        w = a.shape[2]
        x0 = int(rng.integers(int(w * lo), int(w * hi) - size + 1))
        y0 = int(rng.integers(0, a.shape[1] - size + 1))
        patch = a[:, y0:y0 + size, x0:x0 + size]
        if flip and rng.random() < 0.5:
            patch = patch[:, :, ::-1]
        x[i] = patch
    return x, y.astype(np.int64)


def cache_dir() -> Path:
    """Where :func:`trained_extractor` keeps its weights: ``$CNNLIB_CACHE`` if set, else
    ``$XDG_CACHE_HOME/cnnlib`` or ``~/.cache/cnnlib``."""
    if os.environ.get("CNNLIB_CACHE"):
        return Path(os.environ["CNNLIB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cnnlib"


def _recipe(seed, n_train, epochs):
    return dict(version=_RECIPE_VERSION, config=list(TRAINED_CONFIG), photos=list(PATCH_PHOTOS),
                seed=seed, n_train=n_train, n_val=600, epochs=epochs, size=32, longer=192,
                lr=3e-3, batch_size=64, hidden=64)


def _build_trained(recipe) -> nn.Module:
    from ..models import VGG

    return VGG(config=tuple(recipe["config"]), num_classes=len(recipe["photos"]),
               batch_norm=True, hidden=recipe["hidden"], pool_size=1, dropout=0.0)


def trained_extractor(seed: int = 0, n_train: int = 2400, epochs: int = 4, cache: bool = True,
                      progress: bool = False) -> nn.Module:
    """A small VGG trained in the book to tell which photo a 32x32 patch comes from.

    The network is ``VGG(config=TRAINED_CONFIG, batch_norm=True)``: four blocks of a 3x3
    convolution (16, 32, 64 and 128 channels), batch normalisation, ReLU and a 2x2 max pool,
    then a global average pool and two fully connected layers; its taps are ``relu1_1``,
    ``relu2_1``, ``relu3_1``, ``relu4_1`` and the rest of :attr:`cnnlib.models.VGG.layer_names`.
    It is trained with :func:`cnnlib.train.fit` (Adam, cosine schedule, ``epochs`` passes,
    seeded) on ``n_train`` patches of :data:`PATCH_PHOTOS` from :func:`photo_patches`, and
    validated on 600 patches of the validation band.

    With ``cache`` the trained weights are saved to :func:`cache_dir` and read back by later
    calls with the same recipe (so every notebook of Part 5 uses the same network without
    training it again); the file is read with ``torch.load(weights_only=True)``. The result is
    frozen (:func:`freeze`) and carries ``record``: a dict with the per-epoch ``history``, the
    validation accuracy ``val_acc``, the training time ``seconds`` and ``cached`` (whether it
    was read from disk). Sections 5.2 and 5.3.
    """
    seed = V.check_int("trained_extractor", "seed", seed, minimum=0)
    n_train = V.check_int("trained_extractor", "n_train", n_train, minimum=64)
    epochs = V.check_int("trained_extractor", "epochs", epochs, minimum=1)
    V.check_bool("trained_extractor", "cache", cache)
    V.check_bool("trained_extractor", "progress", progress)
    recipe = _recipe(seed, n_train, epochs)
    key = hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    path = cache_dir() / f"part5-extractor-{key}.pt"
    net = _build_trained(recipe)
    if cache and path.is_file():
        try:
            saved = torch.load(path, map_location="cpu", weights_only=True)
            net.load_state_dict(saved["state_dict"])
            net.record = dict(saved["record"], cached=True)
            return freeze(net)
        except Exception:   # noqa: BLE001 - a damaged cache is retrained, not trusted
            net = _build_trained(recipe)
    from ..train import evaluate, fit

    x, y = photo_patches(n_train, 32, seed, "train")
    val = photo_patches(recipe["n_val"], 32, seed, "val")
    torch.manual_seed(seed)
    net = _build_trained(recipe)
    start = time.perf_counter()
    history = fit(net, (x, y), val, epochs=epochs, lr=recipe["lr"],
                  batch_size=recipe["batch_size"], schedule="cosine", seed=seed,
                  progress=progress, device="cpu")
    seconds = time.perf_counter() - start
    record = {"history": history.as_dict(), "val_acc": float(evaluate(net, val)["acc"]),
              "seconds": seconds}
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save({"state_dict": net.state_dict(), "record": record}, tmp)
        os.replace(tmp, path)
    net.record = dict(record, cached=False)
    return freeze(net)


# --------------------------------------------------------------------------------------------
# Real weights
# --------------------------------------------------------------------------------------------

def vgg_extractor(path, depth: int = 19, **vgg_kwargs) -> FeatureExtractor:
    """VGG with weights read from a local torchvision-format state dict, ImageNet-normalised.

    Builds ``cnnlib.models.VGG(depth, **vgg_kwargs)`` (torchvision's module names, so
    ``vgg19-dcbb9e9d.pth`` fits VGG-19 unchanged), loads ``path`` with
    :func:`cnnlib.models.load_weights` (``torch.load(weights_only=True)``, every name and shape
    checked) and wraps it in a :class:`FeatureExtractor` with :data:`IMAGENET_MEAN` and
    :data:`IMAGENET_STD`. A missing file raises ``FileNotFoundError``, a file that is not a state
    dict ``TypeError``, names or shapes that do not fit ``ValueError``. This is the route to
    the published style transfer for a reader who has the weights. Section 5.1.
    """
    from ..models import VGG, load_weights

    net = VGG(depth, **vgg_kwargs)
    load_weights(net, path, strict=True)
    return FeatureExtractor(net, IMAGENET_MEAN, IMAGENET_STD, name=f"VGG-{net.depth}")


# --------------------------------------------------------------------------------------------
# Which layers
# --------------------------------------------------------------------------------------------

def _unwrap(extractor):
    return extractor.net if isinstance(extractor, FeatureExtractor) else extractor


def default_layers(extractor) -> tuple[str, list[str]]:
    """``(content_layer, style_layers)`` the book uses for ``extractor``.

    - :class:`cnnlib.models.RandomMultiScale`: content ``scale4`` (or its coarsest scale if it
      has fewer), style every scale;
    - a VGG: style the first ReLU of every block (``relu1_1``, ``relu2_1``, ...), as Gatys et
      al.; content ``relu4_2`` when the network has it (VGG-16/19, as Gatys et al.), else the
      last ReLU of the last block.
    """
    from ..models import VGG
    from ..models.random_filters import RandomMultiScale

    net = _unwrap(extractor)
    if isinstance(net, RandomMultiScale):
        names = net.layer_names
        return names[min(3, len(names) - 1)], list(names)
    if isinstance(net, VGG):
        relus = [n for n in net.layer_names if n.startswith("relu")]
        style = [n for n in relus if n.endswith("_1")]
        content = "relu4_2" if "relu4_2" in relus else relus[-1]
        return content, style
    names = list(getattr(extractor, "layer_names", []))
    if not names:
        raise TypeError(f"default_layers: expected an extractor with layer_names, got "
                        f"{type(extractor).__name__}")
    return names[-1], names
