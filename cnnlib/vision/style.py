"""Neural style transfer: generate an image G with the content of C and the style of S.

A fixed convolutional network (an *extractor*, :mod:`cnnlib.vision.extractors`) describes
images by its activations. Content is compared activation by activation at one layer,
style through the Gram matrices of several layers (:mod:`cnnlib.torch_ops` has both costs).
Gradient descent on the pixels of G, through :func:`cnnlib.train.fit` and
:class:`cnnlib.train.ImageOptimisation`, then minimises

.. math:: J(G) = \\alpha J_{content}(C, G) + \\beta J_{style}(S, G) \\,(+\\, \\tau\\, TV(G)).

:func:`style_transfer` does all of it and returns a :class:`StyleResult` with the image and
the cost of every step; :func:`synthesize_texture` keeps only the style term (texture
synthesis, a style reconstruction) and :func:`reconstruct_content` only the content term.
:func:`style_objective` is the cost alone, for one's own loop; :func:`gram_distances` and
:func:`content_distance` measure results. Images are NumPy arrays (H, W) or (H, W, C) in
[0, 1] (what :func:`cnnlib.data.photo` returns) or tensors (C, H, W) or (1, C, H, W); bad
images (wrong size, channels or range, NaN) get an error that says what is wrong. Part 5.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from .. import _checks as V
from .. import torch_ops as tops
from .extractors import default_layers, random_extractor

__all__ = ["image_tensor", "to_image", "square_photo", "as_rgb", "check_pair",
           "style_objective", "style_transfer", "synthesize_texture", "reconstruct_content",
           "StyleResult", "gram_distances", "content_distance", "check_layers"]


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------

def image_tensor(image, name: str = "image") -> torch.Tensor:
    """``image`` as a float32 tensor (1, C, H, W), after checking that it is a valid image.

    Accepts a NumPy array (H, W) or (H, W, C), channels last as :func:`cnnlib.data.photo`
    returns it, or a tensor (C, H, W) or (1, C, H, W), channels first; C is 1 or 3. Floats must
    lie in [0, 1]; ``uint8`` arrays are divided by 255. Raises ``TypeError`` for another type
    and ``ValueError`` naming ``name`` for a wrong shape, NaN or infinite pixels, or values
    outside [0, 1].
    """
    if isinstance(image, np.ndarray):
        if image.dtype == np.uint8:
            image = image.astype(np.float32) / 255
        if not np.issubdtype(image.dtype, np.floating):
            raise TypeError(f"{name} must hold floats in [0, 1] (or uint8), got dtype "
                            f"{image.dtype}")
        if image.ndim == 2:
            image = image[..., None]
        if image.ndim != 3:
            raise ValueError(f"{name} must be a NumPy array (H, W) or (H, W, C), got shape "
                             f"{image.shape}")
        t = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None]
    elif isinstance(image, torch.Tensor):
        t = image.detach()
        if not t.is_floating_point():
            if t.dtype != torch.uint8:
                raise TypeError(f"{name} must hold floats in [0, 1] (or uint8), got dtype "
                                f"{V.dtype_name(t)}")
            t = t.float() / 255
        if t.ndim == 3:
            t = t[None]
        if t.ndim != 4 or t.shape[0] != 1:
            raise ValueError(f"{name} must be a tensor (C, H, W) or (1, C, H, W), got shape "
                             f"{tuple(image.shape)}")
    else:
        raise TypeError(f"{name} must be a NumPy array or a torch tensor, got "
                        f"{type(image).__name__}")
    channels, height, width = (int(d) for d in t.shape[1:])
    if channels not in (1, 3):
        raise ValueError(f"{name} has {channels} channels; expected 1 (grayscale) or 3 (RGB)"
                         + (" -- is it channels first? NumPy images are (H, W, C)"
                            if isinstance(image, np.ndarray) and height in (1, 3) else ""))
    if height < 1 or width < 1:
        raise ValueError(f"{name} is empty, shape {tuple(image.shape)}")
    bad = int((~torch.isfinite(t)).sum())
    if bad:
        raise ValueError(f"{name} has {bad} non-finite pixel value(s) (NaN or infinity)")
    low, high = float(t.min()), float(t.max())
    if low < -1e-6 or high > 1 + 1e-6:
        raise ValueError(f"{name} has values in [{low:.3g}, {high:.3g}], outside [0, 1]; "
                         f"scale it to [0, 1] first")
    return t.to(torch.float32).clamp(0, 1).contiguous()


def to_image(tensor) -> np.ndarray:
    """A tensor (C, H, W) or (1, C, H, W) as a NumPy image (H, W, C) (or (H, W) for one
    channel), float32, for display."""
    t = tensor.detach().cpu().float()
    if t.ndim == 4:
        if t.shape[0] != 1:
            raise ValueError(f"to_image: expected one image, got a batch of {t.shape[0]}")
        t = t[0]
    if t.ndim != 3:
        raise ValueError(f"to_image: expected (C, H, W) or (1, C, H, W), got {tuple(t.shape)}")
    a = t.numpy().transpose(1, 2, 0)
    return np.ascontiguousarray(a[..., 0] if a.shape[-1] == 1 else a)


def square_photo(name: str, size: int = 128) -> np.ndarray:
    """The centre square of a scikit-image photo (:func:`cnnlib.data.photo`), resized to
    ``size`` x ``size``: (size, size, 3) for a colour photo, (size, size) for a grayscale one
    (brick, grass, gravel, ...). Float32 in [0, 1]."""
    from skimage.transform import resize

    from ..data import photo

    size = V.check_int("square_photo", "size", size, minimum=4)
    a = photo(name, gray=False)
    h, w = a.shape[:2]
    m = min(h, w)
    a = a[(h - m) // 2:(h - m) // 2 + m, (w - m) // 2:(w - m) // 2 + m]
    out = resize(a, (size, size) + a.shape[2:], anti_aliasing=True, order=1)
    return np.clip(out, 0, 1).astype(np.float32)


def as_rgb(image) -> np.ndarray:
    """A grayscale NumPy image (H, W) or (H, W, 1) repeated to three equal channels (H, W, 3);
    an RGB image is returned unchanged."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"as_rgb: expected a NumPy image, got {type(image).__name__}")
    if image.ndim == 3 and image.shape[-1] == 3:
        return image
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim != 2:
        raise ValueError(f"as_rgb: expected (H, W), (H, W, 1) or (H, W, 3), got {image.shape}")
    return np.repeat(image[..., None], 3, axis=-1)


def check_pair(content: torch.Tensor, style: torch.Tensor) -> None:
    """Raise ``ValueError`` unless the content and style tensors (1, C, H, W) have the same
    size and the same number of channels, saying which differs and how to fix it."""
    cc, sc = int(content.shape[1]), int(style.shape[1])
    if cc != sc:
        if sc == 1:
            raise ValueError("style is grayscale (1 channel) but content has 3 channels "
                             "(colour); repeat the style to three channels with "
                             "as_rgb(style), or use a colour style image")
        if cc == 1:
            raise ValueError("content is grayscale (1 channel) but style has 3 channels "
                             "(colour); repeat the content to three channels with "
                             "as_rgb(content)")
        raise ValueError(f"content has {cc} channels but style has {sc}")
    if tuple(content.shape[2:]) != tuple(style.shape[2:]):
        ch, cw = content.shape[2:]
        sh, sw = style.shape[2:]
        raise ValueError(f"content is {ch}x{cw} pixels but style is {sh}x{sw}; give both "
                         f"the same size (square_photo(name, size) crops and resizes)")


def check_layers(extractor, names, what: str = "layers") -> list[str]:
    """``names`` as a list, after checking that ``extractor`` has every one of them
    (``ValueError`` naming the unknown ones and listing the known)."""
    if isinstance(names, str):
        names = [names]
    names = list(names)
    known = list(extractor.layer_names)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"{what}: unknown layer name(s) {unknown}; this extractor has "
                         f"{', '.join(known)}")
    return names


def _device_of(extractor):
    if isinstance(extractor, torch.nn.Module):
        for t in list(extractor.parameters()) + list(extractor.buffers()):
            return t.device
    return torch.device("cpu")


def _channels(extractor):
    return int(getattr(extractor, "in_channels", 3))


# --------------------------------------------------------------------------------------------
# The cost
# --------------------------------------------------------------------------------------------

def _layer_style_cost(a, gram_target):
    """``style_layer_cost(a, s)`` with ``gram_matrix(s)`` computed once beforehand."""
    c, h, w = (int(d) for d in a.shape[-3:])
    diff = gram_target - tops.gram_matrix(a)
    return (diff * diff).sum() / float((2 * h * w * c) ** 2) / a.shape[0]


def style_objective(extractor, content=None, style=None, content_layer=None, style_layers=None,
                    alpha: float = 1.0, beta: float = 1.0, style_weights="balanced",
                    tv_weight: float = 0.0):
    """The cost :math:`J(G)` as a function of the image, for :class:`cnnlib.train.ImageOptimisation`.

    Returns ``objective(G) -> (J, stats)`` where ``G`` is a tensor (1, C, H, W) and
    ``J = alpha * content_cost + beta * style_cost + tv_weight * total_variation``:
    :func:`cnnlib.torch_ops.content_cost` of the activations at ``content_layer`` against
    those of ``content``, and :func:`cnnlib.torch_ops.style_cost` over ``style_layers`` with
    weights ``style_weights`` (lambda_l: a list of numbers, ``None`` for ``1/L`` each as in
    the course, or ``'balanced'`` (the default), which divides each layer's ``1/L`` by that
    layer's cost for an all-zero image, ``||G(S)||^2 / (2 n_H n_W
    n_C)^2``, so that every layer's term is its squared relative Gram error and layers with
    large activations do not drown the others, in the spirit of He et al.'s automatic
    normalisation) against ``style``. The target
    activations (and the style's Gram matrices) are computed once, here. ``content`` or
    ``style`` may be ``None`` to drop that term. ``stats`` holds ``J``, ``content``,
    ``style``, ``style_<layer>`` per style layer (unweighted) and ``tv``. ``content`` and
    ``style`` are tensors (1, C, H, W) (see :func:`image_tensor`). Section 5.3.
    """
    if content is None and style is None:
        raise ValueError("style_objective: give a content image, a style image or both")
    alpha = V.check_number("style_objective", "alpha", alpha, minimum=0.0)
    beta = V.check_number("style_objective", "beta", beta, minimum=0.0)
    tv_weight = V.check_number("style_objective", "tv_weight", tv_weight, minimum=0.0)
    default_content, default_style = default_layers(extractor)
    content_layer = default_content if content_layer is None else content_layer
    style_layers = default_style if style_layers is None else style_layers
    dev = _device_of(extractor)
    targets, grams = None, {}
    with torch.no_grad():
        if content is not None:
            if not isinstance(content_layer, str):
                raise TypeError(f"content_layer must be one layer name, got {content_layer!r}")
            check_layers(extractor, [content_layer], "content_layer")
            targets = extractor.taps(content.to(dev), [content_layer])[content_layer]
        if style is not None:
            style_layers = check_layers(extractor, style_layers, "style_layers")
            if not style_layers:
                raise ValueError("style_layers: give at least one layer")
            acts = extractor.taps(style.to(dev), style_layers)
            grams = {name: tops.gram_matrix(a) for name, a in acts.items()}
            if style_weights is None:
                style_weights = [1.0 / len(style_layers)] * len(style_layers)
            elif isinstance(style_weights, str):
                V.check_choice("style_objective", "style_weights", style_weights, ("balanced",))
                style_weights = [1.0 / len(style_layers) / max(float(
                    _layer_style_cost(torch.zeros_like(acts[name]), grams[name])), 1e-30)
                    for name in style_layers]
            if isinstance(style_weights, (str, bytes)) or \
                    not isinstance(style_weights, (list, tuple)):
                raise TypeError(f"style_weights must be a list of {len(style_layers)} numbers, "
                                f"got {type(style_weights).__name__}")
            if len(style_weights) != len(style_layers):
                raise ValueError(f"style_weights has {len(style_weights)} entries for "
                                 f"{len(style_layers)} style layers")
            style_weights = [V.check_number("style_objective", "style_weights", w, minimum=0.0)
                             for w in style_weights]
    wanted = list(dict.fromkeys(([content_layer] if content is not None else [])
                                + (list(style_layers) if style is not None else [])))

    def objective(image):
        acts = extractor.taps(image, wanted)
        zero = image.new_zeros(())
        j_content = tops.content_cost(acts[content_layer], targets) \
            if content is not None else zero
        stats = {}
        j_style = zero
        if style is not None:
            for name, weight in zip(style_layers, style_weights):
                cost = _layer_style_cost(acts[name], grams[name])
                stats[f"style_{name}"] = cost.detach()
                j_style = j_style + weight * cost
        tv = tops.total_variation(image) if tv_weight else zero
        total = alpha * j_content + beta * j_style + tv_weight * tv
        stats = {"J": total.detach(), "content": j_content.detach(),
                 "style": j_style.detach(), **stats, "tv": tv.detach()}
        return total, stats

    objective.content_layer = content_layer if content is not None else None
    objective.style_layers = list(style_layers) if style is not None else []
    objective.style_weights = list(style_weights) if style is not None else []
    return objective


# --------------------------------------------------------------------------------------------
# Optimising the image
# --------------------------------------------------------------------------------------------

@dataclass
class StyleResult:
    """What :func:`style_transfer` produced.

    ``image`` the result (H, W, C) float32 in [0, 1]; ``trace`` per-step costs as NumPy arrays
    of length ``steps + 1`` (entry i after i steps, entry 0 the start): ``J`` (the cost),
    ``content``, ``style``, ``style_<layer>``, ``tv`` and ``loss`` (``J`` divided by the start's
    ``J``, what the optimiser saw); ``snapshots`` maps a step to the image then;
    ``history`` is :func:`cnnlib.train.fit`'s per-epoch record; ``settings`` the choices made;
    ``seconds`` the wall time of the optimisation.
    """

    image: np.ndarray
    trace: dict
    snapshots: dict = field(default_factory=dict)
    history: object = None
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        """Optimisation steps taken."""
        return len(self.trace["J"]) - 1

    def drop(self, name: str = "style") -> float:
        """How many times smaller cost ``name`` is at the end than at the start."""
        values = self.trace[name]
        return float(values[0] / values[-1]) if values[-1] > 0 else math.inf


def _initial(init, content, style, generator):
    like = content if content is not None else style
    if isinstance(init, str):
        V.check_choice("style_transfer", "init", init, ("content", "noise", "style"))
        if init == "content":
            if content is None:
                raise ValueError("style_transfer: init='content' needs a content image")
            return content.clone()
        if init == "style":
            return style.clone()
        return 0.25 + 0.5 * torch.rand(like.shape, generator=generator)
    return image_tensor(init, "init")


def _epochs(steps, lines):
    """The largest number of progress lines <= ``lines`` that divides ``steps``."""
    return max(d for d in range(1, min(lines, steps) + 1) if steps % d == 0)


def style_transfer(content, style, extractor=None, content_layer=None, style_layers=None,
                   alpha: float = 1.0, beta: float = 10.0, style_weights="balanced",
                   tv_weight: float = 0.0, init="content", steps: int = 100,
                   optimizer: str = "lbfgs", lr: float | None = None,
                   parametrisation: str = "clamp", snapshot_steps=(), seed: int = 0,
                   progress: bool = True, progress_lines: int = 5) -> StyleResult:
    """Generate G with the content of ``content`` and the style of ``style``.

    Builds :func:`style_objective`, starts from ``init`` and runs ``steps`` optimiser steps
    through :func:`cnnlib.train.fit`; returns a :class:`StyleResult`. Sections 5.1 and 5.3.

    Parameters
    ----------
    content, style : image or None
        NumPy (H, W[, C]) or tensor (C, H, W) images in [0, 1], of one size and one number of
        channels (see :func:`image_tensor`, :func:`check_pair`). ``content=None`` synthesises a
        texture from the style alone; ``style=None`` reconstructs the content alone.
    extractor : feature extractor, optional
        Anything with ``taps(x, names)`` and ``layer_names``; default
        :func:`cnnlib.vision.extractors.random_extractor`. It is frozen (eval mode, no
        parameter gradients).
    content_layer, style_layers : str, list of str
        Default :func:`cnnlib.vision.extractors.default_layers`.
    alpha, beta, style_weights, tv_weight
        The weights of :func:`style_objective`.
    init : 'content', 'noise', 'style' or an image
        The starting G: the content image (default), uniform noise in [0.25, 0.75] (seeded;
        away from 0 and 1, where a sigmoid parametrisation would barely move), the style.
    steps : int
        Optimiser steps, run by :func:`cnnlib.train.fit` with
        :class:`cnnlib.train.ImageOptimisation` (``progress_lines`` epochs).
    optimizer : 'lbfgs' or 'adam'
        L-BFGS (``lr`` 1, a history of 20 steps, no line search: one evaluation of the cost
        per step, as in PyTorch's style-transfer tutorial) or Adam (``lr`` 0.02). The
        optimiser minimises ``J / J(G_0)``: the same minimum, but a cost near 1, where
        L-BFGS's first step is calibrated; and L-BFGS's early stopping is switched off
        (``tolerance_grad=0``, ``tolerance_change=0``), because the course's costs and their
        gradients are small numbers that torch's default tolerances mistake for convergence.
    parametrisation : 'clamp' or 'sigmoid'
        How pixels stay in [0, 1] (see :class:`cnnlib.train.ImageOptimisation`).
    snapshot_steps : sequence of int
        Steps after which to keep a copy of G in ``snapshots`` (the final image is always
        kept).
    seed : int
        Seeds the noise start and :func:`cnnlib.train.fit`.
    progress, progress_lines : bool, int
        Print one line per epoch, ``progress_lines`` epochs in all (the largest divisor of
        ``steps`` that is not above it).
    """
    from ..train import ImageOptimisation, fit

    if content is None and style is None:
        raise ValueError("style_transfer: give a content image, a style image or both")
    c = None if content is None else image_tensor(content, "content")
    s = None if style is None else image_tensor(style, "style")
    if c is not None and s is not None:
        check_pair(c, s)
    extractor = random_extractor() if extractor is None else extractor
    if not (hasattr(extractor, "taps") and hasattr(extractor, "layer_names")):
        raise TypeError(f"style_transfer: extractor must have taps(x, names) and layer_names, "
                        f"got {type(extractor).__name__}")
    if isinstance(extractor, torch.nn.Module):
        from .extractors import freeze

        freeze(extractor)
    channels = int(c.shape[1] if c is not None else s.shape[1])
    if channels != _channels(extractor):
        raise ValueError(f"the images have {channels} channel(s) but the extractor reads "
                         f"{_channels(extractor)}; use as_rgb(image) for a grayscale image")
    steps = V.check_int("style_transfer", "steps", steps, minimum=1)
    V.check_choice("style_transfer", "optimizer", optimizer, ("lbfgs", "adam"))
    seed = V.check_int("style_transfer", "seed", seed, minimum=0)
    lr = (1.0 if optimizer == "lbfgs" else 0.02) if lr is None else \
        V.check_number("style_transfer", "lr", lr, minimum=0.0, strict=True)
    progress_lines = V.check_int("style_transfer", "progress_lines", progress_lines, minimum=1)
    V.check_bool("style_transfer", "progress", progress)

    objective = style_objective(extractor, c, s, content_layer, style_layers, alpha, beta,
                                style_weights, tv_weight)
    dev = _device_of(extractor)
    generator = torch.Generator().manual_seed(seed)
    g0 = _initial(init, c, s, generator)
    like = c if c is not None else s
    if tuple(g0.shape) != tuple(like.shape):
        raise ValueError(f"init has shape {tuple(g0.shape)}, the images {tuple(like.shape)}")
    g0 = g0.to(dev)
    with torch.no_grad():
        j0 = float(objective(g0)[0])
    scale = 1.0 / j0 if j0 > 0 else 1.0

    def scaled(image):
        total, stats = objective(image)
        return total * scale, stats

    task = ImageOptimisation(scaled, low=0.0, high=1.0, parametrisation=parametrisation,
                             snapshot_steps=snapshot_steps)
    params = task.parameters_for(g0)
    if optimizer == "lbfgs":
        def make(p):
            return torch.optim.LBFGS(p, lr=lr, max_iter=1, history_size=20,
                                     tolerance_grad=0.0, tolerance_change=0.0)
    else:
        def make(p):
            return torch.optim.Adam(p, lr=lr)
    epochs = _epochs(steps, progress_lines)
    start = time.perf_counter()
    history = fit(params, task=task, epochs=epochs, steps_per_epoch=steps // epochs,
                  optimizer=make, seed=seed, progress=progress)
    final = task.finish(params)
    seconds = time.perf_counter() - start
    trace = {k: np.asarray(v) for k, v in task.trace.items()}
    snapshots = {k: to_image(v) for k, v in sorted(task.snapshots.items())}
    snapshots[steps] = to_image(final)
    settings = dict(extractor=getattr(extractor, "name", type(extractor).__name__),
                    content_layer=objective.content_layer, style_layers=objective.style_layers,
                    style_weights=objective.style_weights, alpha=alpha, beta=beta,
                    tv_weight=tv_weight, init=init if isinstance(init, str) else "image",
                    steps=steps, optimizer=optimizer, lr=lr, parametrisation=parametrisation,
                    seed=seed)
    return StyleResult(to_image(final), trace, snapshots, history, settings, seconds)


def synthesize_texture(style, extractor=None, style_layers=None, steps: int = 100,
                       **kwargs) -> StyleResult:
    """Texture synthesis (a style reconstruction): start from noise and match only the Gram
    matrices of ``style`` at ``style_layers``. ``style_transfer(None, style, ...,
    init='noise')``; other keywords pass through. Section 5.3.2."""
    kwargs.setdefault("init", "noise")
    return style_transfer(None, style, extractor, style_layers=style_layers, steps=steps,
                          **kwargs)


def reconstruct_content(image, extractor=None, layer=None, steps: int = 100,
                        **kwargs) -> StyleResult:
    """Content reconstruction: start from noise and match only the activations of ``image``
    at ``layer``, showing what that layer keeps. ``style_transfer(image, None, ...,
    init='noise')``; other keywords pass through. Section 5.3.1."""
    kwargs.setdefault("init", "noise")
    return style_transfer(image, None, extractor, content_layer=layer, steps=steps, **kwargs)


# --------------------------------------------------------------------------------------------
# Measuring results
# --------------------------------------------------------------------------------------------

def gram_distances(extractor, image, target, layers=None) -> dict[str, float]:
    """Relative distance between Gram matrices, per layer: ``||G(image) - G(target)||_F /
    ||G(target)||_F``.

    0 means the same style statistics at that layer, 1 as far from them as an all-zero
    activation. ``image`` and ``target`` are images as :func:`image_tensor` accepts, of one
    size; ``layers`` default to the extractor's style layers. Section 5.3.2.
    """
    a = image_tensor(image, "image")
    b = image_tensor(target, "target")
    check_pair(a, b)
    layers = default_layers(extractor)[1] if layers is None else \
        check_layers(extractor, layers, "layers")
    dev = _device_of(extractor)
    with torch.no_grad():
        fa = extractor.taps(a.to(dev), layers)
        fb = extractor.taps(b.to(dev), layers)
        out = {}
        for name in layers:
            ga, gb = tops.gram_matrix(fa[name]), tops.gram_matrix(fb[name])
            out[name] = float((ga - gb).norm() / gb.norm().clamp_min(1e-30))
    return out


def content_distance(extractor, image, target, layer=None) -> float:
    """:func:`cnnlib.torch_ops.content_cost` between the activations of ``image`` and
    ``target`` at ``layer`` (default: the extractor's content layer). Section 5.3.1."""
    a = image_tensor(image, "image")
    b = image_tensor(target, "target")
    check_pair(a, b)
    layer = default_layers(extractor)[0] if layer is None else \
        check_layers(extractor, [layer], "layer")[0]
    dev = _device_of(extractor)
    with torch.no_grad():
        fa = extractor.taps(a.to(dev), [layer])[layer]
        fb = extractor.taps(b.to(dev), [layer])[layer]
        return float(tops.content_cost(fa, fb))
