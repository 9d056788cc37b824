"""Edge-detection filters, and a filter learned by gradient descent (section 1.2).

The named kernels follow the course's sign convention: a filter for vertical edges
has positive weights on its left column and negative weights on its right one, so a
bright-to-dark step (read left to right) gives a *positive* response and a
dark-to-bright step a negative one. Every kernel is a float array of shape (3, 3)
meant for cross-correlation, the operation deep-learning libraries call
"convolution": :func:`correlate2d` applies it, :func:`convolve2d` flips it first.

:func:`learn_filter` closes the section: starting from random weights, gradient
descent on a mean squared error finds the filter that produced a target response,
using only :func:`cnnlib.numpy_ops.conv2d` and its backward pass.
"""

from __future__ import annotations

import numpy as np

from .. import _checks as V
from .. import numpy_ops

__all__ = ["vertical_edge", "horizontal_edge", "sobel", "scharr", "correlate2d", "convolve2d",
           "learn_filter", "step_edge"]

def _axis_kernel(fn: str, axis: str, centre: float, side: float, dtype) -> np.ndarray:
    V.check_choice(fn, "axis", axis, ("x", "y"))   # x: vertical edges, y: horizontal ones
    dt = V.check_float_dtype(fn, "dtype", dtype, "numpy")
    k = np.array([[side, 0.0, -side], [centre, 0.0, -centre], [side, 0.0, -side]], dtype=dt)
    return k if axis == "x" else np.ascontiguousarray(k.T)


def vertical_edge(dtype=np.float64) -> np.ndarray:
    """The course's 3x3 vertical-edge filter, ``[[1, 0, -1]] * 3``.

    Returns a (3, 3) array of ``dtype`` (float32 or float64). Cross-correlated with an
    image it computes, at each position, (sum of the left column) minus (sum of the
    right column) of the 3x3 window: large and positive where bright meets dark from
    left to right, negative for dark to bright, zero on flat regions.
    """
    return _axis_kernel("vertical_edge", "x", 1.0, 1.0, dtype)


def horizontal_edge(dtype=np.float64) -> np.ndarray:
    """The 3x3 horizontal-edge filter ``[[1, 1, 1], [0, 0, 0], [-1, -1, -1]]``.

    The transpose of :func:`vertical_edge`: positive where a bright top meets a dark
    bottom. Returns a (3, 3) array of ``dtype`` (float32 or float64).
    """
    return _axis_kernel("horizontal_edge", "y", 1.0, 1.0, dtype)


def sobel(axis: str = "x", dtype=np.float64) -> np.ndarray:
    """The 3x3 Sobel filter: ``[[1, 0, -1], [2, 0, -2], [1, 0, -1]]`` for ``axis='x'``.

    ``axis='x'`` differentiates along the columns and finds vertical edges;
    ``axis='y'`` (the transpose) finds horizontal ones. The centre row weighs 2, which
    smooths across the edge while differencing along it (Sobel and Feldman, 1968).
    Returns a (3, 3) array of ``dtype``. Section 1.2.
    """
    return _axis_kernel("sobel", axis, 2.0, 1.0, dtype)


def scharr(axis: str = "x", dtype=np.float64) -> np.ndarray:
    """The 3x3 Scharr filter: ``[[3, 0, -3], [10, 0, -10], [3, 0, -3]]`` for ``axis='x'``.

    Like :func:`sobel` with weights tuned so the response depends less on the edge's
    direction (Scharr, 2000). ``axis='y'`` gives the transpose. Returns a (3, 3) array
    of ``dtype``. Section 1.2.
    """
    return _axis_kernel("scharr", axis, 10.0, 3.0, dtype)


def _check_image_kernel(fn: str, image, kernel):
    V.check_array(fn, "image", image, "numpy", ndims=(2,))
    V.check_array(fn, "kernel", kernel, "numpy", ndims=(2,), floating=False)
    if kernel.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: kernel must hold real numbers, got dtype {kernel.dtype.name}")
    if 0 in image.shape or 0 in kernel.shape:
        raise ValueError(f"{fn}: image {image.shape} and kernel {kernel.shape} must not be empty")
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(f"{fn}: kernel {kernel.shape} is larger than image {image.shape}")
    return kernel.astype(image.dtype, copy=False)


def correlate2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Cross-correlate a 2-D image with a 2-D kernel, "valid" (no padding, stride 1).

    image: (n_H, n_W) float32 or float64; kernel: (f_H, f_W) (cast to the image's
    dtype). Returns (n_H - f_H + 1, n_W - f_W + 1) with

    .. math:: S(i, j) = \\sum_{m, n} I(i + m, j + n)\\, K(m, n)

    which is what deep-learning libraries call convolution. A thin wrapper that adds
    the batch and channel axes and calls :func:`cnnlib.numpy_ops.conv2d`. Section 1.2.
    """
    k = _check_image_kernel("correlate2d", image, kernel)
    return numpy_ops.conv2d(image[None, None], k[None, None])[0, 0]


def convolve2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """True (mathematical) 2-D convolution, "valid": cross-correlation with the flipped kernel.

    .. math:: (I * K)(i, j) = \\sum_{m, n} I(i + m, j + n)\\, K(f_H - 1 - m, f_W - 1 - n)

    the index form, for the valid region, of :math:`\\sum_{m,n} I(i - m, j - n) K(m, n)`.
    Same shapes and dtypes as :func:`correlate2d`; agrees with
    ``scipy.signal.convolve2d(image, kernel, mode="valid")``. Section 1.2.
    """
    k = _check_image_kernel("convolve2d", image, kernel)
    return correlate2d(image, np.ascontiguousarray(k[::-1, ::-1]))


def learn_filter(image: np.ndarray, target: np.ndarray, f: int = 3, steps: int = 500,
                 lr: float = 0.1, momentum: float = 0.9, seed: int = 0):
    """Find the f x f filter whose cross-correlation with ``image`` best matches ``target``.

    image: (n_H, n_W) float32 or float64; target: (n_H - f + 1, n_W - f + 1), the
    response to imitate (for example the image correlated with :func:`sobel`).
    Starting from a filter ``W`` drawn from ``N(0, 1/f^2)`` with ``seed``, runs
    ``steps`` updates of gradient descent with heavy-ball ``momentum`` on the mean
    squared error

    .. math:: L(W) = \\frac{1}{n} \\sum_{i,j} \\big((I \\star W)(i, j) - T(i, j)\\big)^2,
              \\qquad \\frac{\\partial L}{\\partial W} = \\sum_{i,j}
              \\frac{2}{n}\\big((I \\star W)(i,j) - T(i,j)\\big)\\, I(i{:}i{+}f,\\; j{:}j{+}f)

    where ``n`` is the number of output pixels and :math:`\\star` is cross-correlation.
    The forward pass is :func:`cnnlib.numpy_ops.conv2d` and the gradient is the
    ``grad_weight`` returned by :func:`cnnlib.numpy_ops.conv2d_backward`; no bias is
    learned.

    Returns ``(weight, losses)``: the learned (f, f) filter in the image's dtype, and a
    float64 array of ``steps + 1`` losses, ``losses[k]`` being the loss after ``k``
    updates. Section 1.2 learns the Sobel filter back from its response on a photo.

    The defaults suit a standardised image (zero mean, unit variance): the loss's
    curvature grows with the square of the pixel scale, so a raw image in [0, 255]
    would need a far smaller ``lr``. If the loss stops being finite, a
    ``FloatingPointError`` says so and suggests a smaller ``lr``.
    """
    fn = "learn_filter"
    V.check_array(fn, "image", image, "numpy", ndims=(2,))
    V.check_array(fn, "target", target, "numpy", floating=False)
    f = V.check_int(fn, "f", f, minimum=1)
    steps = V.check_int(fn, "steps", steps, minimum=1)
    lr = V.check_number(fn, "lr", lr, minimum=0.0, strict=True)
    momentum = V.check_number(fn, "momentum", momentum, minimum=0.0)
    if momentum >= 1:
        raise ValueError(f"{fn}: momentum must lie in [0, 1), got {momentum}")
    V.check_int(fn, "seed", seed, minimum=0)
    if f > min(image.shape):
        raise ValueError(f"{fn}: f={f} is larger than the image {image.shape}")
    out_shape = (image.shape[0] - f + 1, image.shape[1] - f + 1)
    if target.shape != out_shape:
        raise ValueError(f"{fn}: target must have shape {out_shape} (the valid output of an "
                         f"{f}x{f} filter on an image of shape {image.shape}), got {target.shape}")

    dtype = image.dtype
    x = image[None, None]
    t = target.astype(dtype, copy=False)[None, None]
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal((1, 1, f, f)) / f).astype(dtype)
    velocity = np.zeros_like(w)
    n = t.size
    losses = np.empty(steps + 1)
    for k in range(steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            err = numpy_ops.conv2d(x, w) - t
            losses[k] = float(np.mean(err.astype(np.float64) ** 2))
        if not np.isfinite(losses[k]):
            raise FloatingPointError(f"{fn}: the loss diverged after {k} updates with lr={lr}; "
                                     f"use a smaller lr or standardise the image")
        if k == steps:
            break
        _, grad_w, _ = numpy_ops.conv2d_backward((2.0 / n) * err, x, w)
        velocity = momentum * velocity - lr * grad_w
        w = w + velocity
    return w[0, 0].copy(), losses
def step_edge(n: int = 6, vertical: bool = True, bright: float = 10.0) -> np.ndarray:
    """The course's toy image: bright left half, dark right half (or top/bottom).

    Returns float64 (n, n); ``vertical=False`` gives a horizontal edge. Section 1.2.
    """
    n = V.check_int("step_edge", "n", n, minimum=2)
    V.check_bool("step_edge", "vertical", vertical)
    bright = V.check_number("step_edge", "bright", bright)
    img = np.zeros((n, n))
    img[:, : n // 2] = bright
    return img if vertical else img.T.copy()
