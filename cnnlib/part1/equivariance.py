"""Translation equivariance and invariance, measured (section 1.9).

A map ``op`` is *equivariant* to a shift ``g`` when shifting first and applying ``op`` gives the
same result as applying ``op`` and shifting the output: :math:`op(g(x)) = g(op(x))`. A
convolution with stride 1 is equivariant to shifts of its input (exactly with circular padding,
away from the border with zero padding). It is *invariant* when the shift does not change the
output at all: :math:`op(g(x)) = op(x)`; global pooling is, and small windows of max pooling
nearly are.

Arrays are NumPy, with the spatial axes last: ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)``.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .. import _checks as V

__all__ = ["shift", "equivariance_error", "invariance_error"]

SHIFT_MODES = ("circular", "zero")


def _check_array(fn: str, x) -> np.ndarray:
    V.check_array(fn, "x", x, "numpy", floating=False)
    if x.ndim < 2:
        raise ValueError(f"{fn}: x must have at least 2 axes (..., H, W), got shape {x.shape}")
    return x


def _check_offsets(fn: str, offsets, name: str = "shift_by") -> tuple[int, int]:
    if not isinstance(offsets, (tuple, list)) or len(offsets) != 2 or \
            not all(V.is_int(v) for v in offsets):
        raise TypeError(f"{fn}: {name} must be a pair of ints (dy, dx), got {offsets!r}")
    return int(offsets[0]), int(offsets[1])


def shift(x: np.ndarray, dy: int, dx: int, mode: str = "circular") -> np.ndarray:
    """Translate the last two axes of ``x`` by ``dy`` rows (down) and ``dx`` columns (right).

    ``out[..., i, j] = x[..., i - dy, j - dx]``. With ``mode='circular'`` what leaves one side
    comes back on the other (``np.roll``), so the shift loses nothing and can be undone. With
    ``mode='zero'`` the vacated rows and columns are filled with zeros, as when an object moves
    in front of a black background. Same shape and dtype as ``x``. Section 1.9.

    >>> shift(np.arange(4.0).reshape(1, 4), 0, 1)
    array([[3., 0., 1., 2.]])
    >>> shift(np.arange(4.0).reshape(1, 4), 0, 1, mode="zero")
    array([[0., 0., 1., 2.]])
    """
    x = _check_array("shift", x)
    dy, dx = _check_offsets("shift", (dy, dx), "(dy, dx)")
    V.check_choice("shift", "mode", mode, SHIFT_MODES)
    out = np.roll(x, (dy, dx), axis=(-2, -1))
    if mode == "zero":
        h, w = x.shape[-2:]
        if dy > 0:
            out[..., :min(dy, h), :] = 0
        elif dy < 0:
            out[..., max(h + dy, 0):, :] = 0
        if dx > 0:
            out[..., :, :min(dx, w)] = 0
        elif dx < 0:
            out[..., :, max(w + dx, 0):] = 0
    return out


def equivariance_error(op: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                       shift_by: Sequence[int], mode: str = "circular", output_stride: int = 1,
                       margin: int = 0) -> float:
    """Largest difference between ``op(shift(x))`` and ``shift(op(x))``: zero means equivariant.

    ``shift_by = (dy, dx)`` moves the input; the output is moved by ``(dy, dx) / output_stride``
    (an op that downsamples by 2 moves its output half as far), so both offsets must be
    multiples of ``output_stride``. ``margin`` ignores that many rows and columns at each border
    of the output, where zero padding and the shifted-in zeros break the equality. Returns

    .. math:: \\max_{\\text{interior}} \\left| op(g(x)) - g(op(x)) \\right|

    as a Python float. Section 1.9 shows it is zero (to rounding) for a circular convolution and
    zero away from the border for a zero-padded one.
    """
    x = _check_array("equivariance_error", x)
    dy, dx = _check_offsets("equivariance_error", shift_by)
    V.check_choice("equivariance_error", "mode", mode, SHIFT_MODES)
    if not callable(op):
        raise TypeError(f"equivariance_error: op must be callable, got {type(op).__name__}")
    output_stride = V.check_int("equivariance_error", "output_stride", output_stride, minimum=1)
    if dy % output_stride or dx % output_stride:
        raise ValueError(f"equivariance_error: shift {(dy, dx)} is not a multiple of "
                         f"output_stride={output_stride}")
    margin = V.check_int("equivariance_error", "margin", margin, minimum=0)
    a = np.asarray(op(shift(x, dy, dx, mode)))
    b = shift(np.asarray(op(x)), dy // output_stride, dx // output_stride, mode)
    if a.shape != b.shape:
        raise ValueError(f"equivariance_error: op changed its output shape under the shift: "
                         f"{a.shape} vs {b.shape}")
    h, w = a.shape[-2:]
    if 2 * margin >= min(h, w):
        raise ValueError(f"equivariance_error: margin={margin} leaves nothing of a {h}x{w} output")
    inner = (Ellipsis, slice(margin, h - margin), slice(margin, w - margin))
    return float(np.max(np.abs(a[inner] - b[inner])))


def invariance_error(op: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                     shift_by: Sequence[int], mode: str = "circular") -> float:
    """Relative change of ``op``'s output when its input is shifted: zero means invariant.

    .. math:: \\frac{\\lVert op(g(x)) - op(x) \\rVert}{\\lVert op(x) \\rVert}

    (Frobenius norms over the whole output) for the shift ``g`` of ``shift_by = (dy, dx)``
    pixels. Global average pooling gives 0 for a circular shift; max pooling over small windows
    gives a small number for a one-pixel shift; the raw feature map a large one. Section 1.9.
    """
    x = _check_array("invariance_error", x)
    dy, dx = _check_offsets("invariance_error", shift_by)
    V.check_choice("invariance_error", "mode", mode, SHIFT_MODES)
    if not callable(op):
        raise TypeError(f"invariance_error: op must be callable, got {type(op).__name__}")
    base = np.asarray(op(x))
    moved = np.asarray(op(shift(x, dy, dx, mode)))
    if base.shape != moved.shape:
        raise ValueError(f"invariance_error: op changed its output shape under the shift: "
                         f"{base.shape} vs {moved.shape}")
    norm = float(np.linalg.norm(base))
    if norm == 0.0:
        raise ValueError("invariance_error: op(x) is all zeros, the relative change is undefined")
    return float(np.linalg.norm(moved - base) / norm)
