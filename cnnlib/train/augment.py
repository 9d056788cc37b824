"""Data augmentation and test-time augmentation, written out in torch (no torchvision).

*Training*: each function here returns an ``augment(x_batch, generator)`` for
:func:`cnnlib.train.fit`. It takes a batch (N, C, H, W) of images in [0, 1] and returns a new
batch of the same shape, every image transformed with its own random draw from the seeded
``torch.Generator`` that ``fit`` passes, so a run is repeatable. :func:`compose` chains them.

- :func:`random_shift`: move by whole pixels, zeros fill the border (section 1.8);
- :func:`random_flip`: mirror left-right with probability ``p``;
- :func:`random_crop`: pad (reflect or zeros), cut a random window of the original size;
- :func:`random_resized_crop`: cut a random region of random area and aspect, resize it back;
- :func:`color_jitter`: random brightness, contrast and saturation;
- :func:`pca_color`: AlexNet's "fancy PCA" lighting, along the principal components of the
  training set's RGB values (:func:`rgb_pca`).

*Testing*: :func:`tta_predict` averages a model's softmax over deterministic *views* of every
test image (:func:`flip_views`, :func:`ten_crop_views`): the multi-crop testing of section 2.4.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from .. import _checks as V

__all__ = ["random_shift", "random_flip", "random_crop", "random_resized_crop", "color_jitter",
           "rgb_pca", "pca_color", "compose", "flip_views", "ten_crop_views", "tta_predict"]


def _check_batch(op, x):
    import torch

    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"{op}: expected a floating torch.Tensor batch, got "
                        f"{type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a batch (N, C, H, W), got shape {tuple(x.shape)}")


def _uniform(generator, n, low, high, like):
    """``n`` uniform draws in [low, high) from ``generator``, on ``like``'s device and dtype."""
    import torch

    device = generator.device if generator is not None else like.device
    u = torch.rand(n, generator=generator, device=device)
    return (low + (high - low) * u).to(like.device, like.dtype)


def random_shift(max_shift: int):
    """An ``augment`` for :func:`fit`: move each image by up to ``max_shift`` pixels.

    Returns ``shift(x, generator)`` that takes a batch (N, C, H, W) and moves every
    image by its own random whole-pixel offset ``(dy, dx)``, each in
    ``[-max_shift, max_shift]``, filling the uncovered border with zeros. A
    convolutional network is nearly equivariant to such shifts (section 1.9), so
    shifted copies teach it that position does not change the class.
    """
    if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"random_shift: max_shift must be a non-negative int, got {max_shift!r}")

    def shift(x, generator=None):
        import torch
        import torch.nn.functional as F

        if x.ndim != 4:
            raise ValueError(f"random_shift: expected a batch (N, C, H, W), got shape "
                             f"{tuple(x.shape)}")
        if max_shift == 0:
            return x
        n, _, h, w = x.shape
        k = max_shift
        padded = F.pad(x, (k, k, k, k))
        offsets = torch.randint(0, 2 * k + 1, (2, n), generator=generator,
                                device=generator.device if generator is not None else x.device)
        offsets = offsets.to(x.device)
        rows = offsets[0][:, None] + torch.arange(h, device=x.device)      # (N, H)
        cols = offsets[1][:, None] + torch.arange(w, device=x.device)      # (N, W)
        batch = torch.arange(n, device=x.device)[:, None, None]
        out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
        return out.permute(0, 3, 1, 2).contiguous()

    return shift


def random_flip(p: float = 0.5):
    """An ``augment`` for :func:`fit`: mirror each image left-right with probability ``p``.

    ``x[..., ::-1]`` for the chosen images: a mirrored cat is still a cat (but a mirrored
    digit or letter may not be a digit any more, so choose augmentations the labels survive).
    """
    p = V.check_number("random_flip", "p", p, 0.0, 1.0)

    def flip(x, generator=None):
        import torch

        _check_batch("random_flip", x)
        chosen = _uniform(generator, len(x), 0.0, 1.0, x) < p
        return torch.where(chosen[:, None, None, None], x.flip(-1), x)

    return flip


def random_crop(padding: int, mode: str = "reflect"):
    """An ``augment`` for :func:`fit`: pad by ``padding`` pixels, cut a random original-size window.

    ``mode`` fills the border as ``torch.nn.functional.pad`` does (``'reflect'``, the mirror
    image of the edge, or ``'constant'``, zeros). Each image's window starts at its own random
    ``(dy, dx)`` in ``[0, 2 padding]``: the classic CIFAR augmentation.
    """
    V.check_int("random_crop", "padding", padding, minimum=0)
    V.check_choice("random_crop", "mode", mode, ("reflect", "constant", "replicate"))

    def crop(x, generator=None):
        import torch
        import torch.nn.functional as F

        _check_batch("random_crop", x)
        if padding == 0:
            return x
        n, _, h, w = x.shape
        if mode == "reflect" and padding >= min(h, w):
            raise ValueError(f"random_crop: reflect padding {padding} needs images larger than "
                             f"{padding} pixels, got {h}x{w}")
        padded = F.pad(x, (padding,) * 4, mode=mode)
        offsets = (_uniform(generator, 2 * n, 0, 2 * padding + 1, x).floor().long()
                   .clamp_max(2 * padding).reshape(2, n))
        rows = offsets[0][:, None] + torch.arange(h, device=x.device)          # (N, H)
        cols = offsets[1][:, None] + torch.arange(w, device=x.device)          # (N, W)
        batch = torch.arange(n, device=x.device)[:, None, None]
        out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
        return out.permute(0, 3, 1, 2).contiguous()

    return crop


def random_resized_crop(scale: tuple[float, float] = (0.5, 1.0),
                        ratio: tuple[float, float] = (3 / 4, 4 / 3)):
    """An ``augment`` for :func:`fit`: a random region, resized to the full image.

    Each image gets a region whose area is a fraction in ``scale`` of the image and whose
    width/height is in ``ratio`` (drawn log-uniformly), at a random place inside the image;
    the region is resampled bilinearly to the original size with
    ``torch.nn.functional.grid_sample``, which reads the image at the points of an affine grid
    (zoom ``sqrt(area)``, shift to the region's centre). The zoom-and-crop of Inception and
    ResNet training.
    """
    lo, hi = (V.check_number("random_resized_crop", "scale", v, 0.0, 1.0) for v in scale)
    r_lo, r_hi = (V.check_number("random_resized_crop", "ratio", v, 0.0) for v in ratio)
    if not (0 < lo <= hi and 0 < r_lo <= r_hi):
        raise ValueError(f"random_resized_crop: scale and ratio must be (low, high) with "
                         f"0 < low <= high, got {scale} and {ratio}")

    def crop(x, generator=None):
        import torch
        import torch.nn.functional as F

        _check_batch("random_resized_crop", x)
        n = len(x)
        area = _uniform(generator, n, lo, hi, x)
        aspect = torch.exp(_uniform(generator, n, math.log(r_lo), math.log(r_hi), x))
        width = torch.sqrt(area * aspect).clamp(max=1.0)       # as fractions of the image
        height = torch.sqrt(area / aspect).clamp(max=1.0)
        cx = (_uniform(generator, n, 0.0, 1.0, x) * 2 - 1) * (1 - width)   # centre in [-1, 1]
        cy = (_uniform(generator, n, 0.0, 1.0, x) * 2 - 1) * (1 - height)
        theta = torch.zeros(n, 2, 3, dtype=x.dtype, device=x.device)
        theta[:, 0, 0], theta[:, 0, 2] = width, cx
        theta[:, 1, 1], theta[:, 1, 2] = height, cy
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border",
                             align_corners=False)

    return crop


def color_jitter(brightness: float = 0.2, contrast: float = 0.2, saturation: float = 0.2):
    """An ``augment`` for :func:`fit`: random brightness, contrast and saturation per image.

    Each factor is drawn uniformly in ``[1 - amount, 1 + amount]``: brightness multiplies the
    image, contrast scales it about its mean gray level, saturation about its own gray
    version (``0.299 R + 0.587 G + 0.114 B``). Results are clipped to [0, 1]. Expects RGB
    (3 channels) for saturation; with one channel only brightness and contrast apply.
    """
    amounts = {}
    for name, value in (("brightness", brightness), ("contrast", contrast),
                        ("saturation", saturation)):
        amounts[name] = V.check_number("color_jitter", name, value, 0.0, 1.0)

    def jitter(x, generator=None):
        import torch

        _check_batch("color_jitter", x)
        n = len(x)

        def factor(name):
            a = amounts[name]
            return _uniform(generator, n, 1 - a, 1 + a, x)[:, None, None, None]

        out = x * factor("brightness")
        gray = out.mean(dim=(1, 2, 3), keepdim=True)
        out = gray + (out - gray) * factor("contrast")
        if x.shape[1] == 3:
            weights = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype, device=x.device)
            luma = (out * weights[None, :, None, None]).sum(dim=1, keepdim=True)
            out = luma + (out - luma) * factor("saturation")
        return out.clamp(0, 1)

    return jitter


def rgb_pca(images) -> tuple[np.ndarray, np.ndarray]:
    """Principal components of the RGB values of ``images`` (N, 3, H, W), every pixel one sample.

    Returns ``(eigenvalues, eigenvectors)``: (3,) in decreasing order and (3, 3) with the
    components as columns, of the 3x3 covariance of the colours. For :func:`pca_color`.
    """
    import torch

    a = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if a.ndim != 4 or a.shape[1] != 3:
        raise ValueError(f"rgb_pca: images must be (N, 3, H, W), got shape {a.shape}")
    pixels = a.transpose(1, 0, 2, 3).reshape(3, -1).astype(np.float64)
    values, vectors = np.linalg.eigh(np.cov(pixels))
    order = np.argsort(values)[::-1]
    return values[order].clip(min=0), vectors[:, order]


def pca_color(eigenvalues, eigenvectors, std: float = 0.1):
    r"""An ``augment`` for :func:`fit`: AlexNet's PCA colour shift ("fancy PCA").

    Every pixel of an image gets the same RGB offset

    .. math:: \Delta = \sum_{i=1}^{3} \alpha_i \lambda_i \mathbf{p}_i, \qquad
              \alpha_i \sim \mathcal N(0, \sigma^2)

    with :math:`\lambda_i, \mathbf{p}_i` the eigenvalues and eigenvectors of the training
    set's RGB covariance (:func:`rgb_pca`) and one draw of the :math:`\alpha_i` per image:
    a change of lighting along the directions in which natural colours vary most. (The
    paper writes :math:`\lambda_i` where the eigenvalue of a covariance is a variance; we
    follow it.) ``std`` is :math:`\sigma` (0.1 in the paper). Clipped to [0, 1].
    """
    values = np.asarray(eigenvalues, dtype=np.float64)
    vectors = np.asarray(eigenvectors, dtype=np.float64)
    if values.shape != (3,) or vectors.shape != (3, 3):
        raise ValueError(f"pca_color: expected eigenvalues (3,) and eigenvectors (3, 3), got "
                         f"{values.shape} and {vectors.shape}")
    std = V.check_number("pca_color", "std", std, minimum=0.0)

    def shift(x, generator=None):
        import torch

        _check_batch("pca_color", x)
        if x.shape[1] != 3:
            raise ValueError(f"pca_color: expects RGB images (3 channels), got {x.shape[1]}")
        n = len(x)
        device = generator.device if generator is not None else x.device
        alpha = torch.randn(n, 3, generator=generator, device=device).to(x.device, x.dtype)
        lam = torch.as_tensor(values, dtype=x.dtype, device=x.device)
        p = torch.as_tensor(vectors, dtype=x.dtype, device=x.device)
        delta = (alpha * std * lam) @ p.T                      # (N, 3): sum_i a_i l_i p_i
        return (x + delta[:, :, None, None]).clamp(0, 1)

    return shift


def compose(*augments: Callable):
    """One ``augment`` that applies ``augments`` in order, each with the same generator."""
    for i, a in enumerate(augments):
        if not callable(a):
            raise TypeError(f"compose: augment {i} is not callable, got {type(a).__name__}")

    def chain(x, generator=None):
        for a in augments:
            x = a(x, generator)
        return x

    return chain


def flip_views() -> list[tuple[str, Callable]]:
    """Two test-time views: the image and its mirror image, as ``(name, view)`` pairs."""
    return [("original", lambda x: x), ("flipped", lambda x: x.flip(-1))]


def ten_crop_views(padding: int, mode: str = "reflect") -> list[tuple[str, Callable]]:
    """The ten views of multi-crop testing: five crops and their mirror images.

    Each image is padded by ``padding`` pixels (``mode`` as :func:`random_crop`) and cut at
    its centre and its four corners to the original size, then each crop is also mirrored
    (AlexNet's ten-crop test, at the scale of a small image). Returns ``(name, view)`` pairs;
    ``view(x)`` maps a batch to a batch of the same shape.
    """
    V.check_int("ten_crop_views", "padding", padding, minimum=1)
    V.check_choice("ten_crop_views", "mode", mode, ("reflect", "constant", "replicate"))

    def cut(dy, dx, flip):
        def view(x):
            import torch.nn.functional as F

            h, w = x.shape[-2:]
            out = F.pad(x, (padding,) * 4, mode=mode)[..., dy:dy + h, dx:dx + w]
            return out.flip(-1) if flip else out
        return view

    corners = {"centre": (padding, padding), "top left": (0, 0),
               "top right": (0, 2 * padding), "bottom left": (2 * padding, 0),
               "bottom right": (2 * padding, 2 * padding)}
    return [(f"{name}{' flipped' if flip else ''}", cut(dy, dx, flip))
            for flip in (False, True) for name, (dy, dx) in corners.items()]


def tta_predict(model, x, views: Sequence, batch_size: int = 256, device=None,
                return_probs: bool = False):
    r"""Test-time augmentation: the class whose softmax, averaged over ``views``, is largest.

    .. math:: \bar p(y \mid x) = \frac{1}{V} \sum_{v=1}^{V} \operatorname{softmax}(f(v(x)))

    ``views`` is a list of functions or of ``(name, function)`` pairs
    (:func:`flip_views`, :func:`ten_crop_views`), each mapping a batch to a batch. Runs in
    ``eval`` mode without gradients. Returns int64 labels (N,), or ``(labels, probs)`` with
    ``return_probs=True``. With the single view ``lambda x: x`` it is
    :func:`cnnlib.train.predict`. Section 2.4.
    """
    import torch

    from .loop import _model_device, _model_dtype, _resolve_device

    fns = [v[1] if isinstance(v, tuple) else v for v in views]
    if not fns or not all(callable(f) for f in fns):
        raise TypeError("tta_predict: views must be a non-empty list of functions or "
                        "(name, function) pairs")
    V.check_int("tta_predict", "batch_size", batch_size, minimum=1)
    dev = _model_device(model) if device is None else _resolve_device("tta_predict", device)
    model.to(dev)
    xt = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if not torch.is_floating_point(xt) or xt.ndim != 4:
        raise TypeError(f"tta_predict: x must be a floating (N, C, H, W) batch, got "
                        f"{xt.dtype} of shape {tuple(xt.shape)}")
    xt = xt.to(dev, _model_dtype(model))
    was_training = model.training
    model.eval()
    chunks = []
    try:
        with torch.no_grad():
            for i in range(0, len(xt), batch_size):
                batch = xt[i:i + batch_size]
                probs = sum(torch.softmax(model(f(batch)), dim=1) for f in fns) / len(fns)
                chunks.append(probs.cpu())
    finally:
        model.train(was_training)
    probs = torch.cat(chunks).numpy()
    labels = probs.argmax(1).astype(np.int64)
    return (labels, probs) if return_probs else labels
