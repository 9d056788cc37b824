"""Adaptive average pooling in NumPy: pool any input to a fixed output size.

Ordinary pooling fixes the window and lets the output size follow; adaptive pooling fixes the
output size and lets the windows follow. Output row ``i`` of ``n_out`` averages input rows
``floor(i n / n_out)`` to ``ceil((i + 1) n / n_out) - 1`` (windows may overlap by one row when
``n_out`` does not divide ``n``). With output size 1 it is *global average pooling*: one
number per channel, the mean over every position, which ResNet, GoogLeNet, MobileNet and
EfficientNet use instead of large fully connected layers, so that they accept images of any
size (sections 2.2, 2.3, 2.5).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _checks as V

__all__ = ["adaptive_avg_pool2d", "adaptive_avg_pool2d_backward"]


def _bins(n: int, n_out: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each of the ``n_out`` windows over ``n`` positions (torch's rule)."""
    return [(i * n // n_out, math.ceil((i + 1) * n / n_out)) for i in range(n_out)]


def _adaptive_args(op, input, output_size, kind="numpy"):
    V.check_array(op, "input", input, kind, ndims=(3, 4))
    V.check_nonempty(op, "input", input, batched=input.ndim == 4)
    if V.is_int(output_size):
        size = (output_size, output_size)
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        size = tuple(output_size)
    else:
        raise TypeError(f"{op}: output_size must be an int or a pair (h, w) whose entries "
                        f"are ints or None, got {output_size!r}")
    out = []
    for v, n in zip(size, input.shape[-2:]):
        if v is None:
            out.append(int(n))
        else:
            out.append(V.check_int(op, "output_size", v, minimum=1))
    return tuple(out)


def adaptive_avg_pool2d(input, output_size):
    """2-D adaptive average pooling, as ``torch.nn.functional.adaptive_avg_pool2d``.

    input: (N, C, H, W) or (C, H, W); ``output_size``: ``h`` (square) or ``(h, w)``, where
    ``None`` keeps that axis's size. Output ``[..., i, j]`` is the mean of the input window
    of rows ``floor(i H / h)`` to ``ceil((i + 1) H / h) - 1`` and the columns chosen the same
    way; ``output_size=1`` is global average pooling. Sections 2.2 and 2.3.
    """
    oh, ow = _adaptive_args("adaptive_avg_pool2d", input, output_size)
    rows, cols = _bins(input.shape[-2], oh), _bins(input.shape[-1], ow)
    out = np.empty(input.shape[:-2] + (oh, ow), dtype=input.dtype)
    for i, (r0, r1) in enumerate(rows):
        for j, (c0, c1) in enumerate(cols):
            out[..., i, j] = input[..., r0:r1, c0:c1].mean(axis=(-2, -1))
    return out


def adaptive_avg_pool2d_backward(grad_output, input, output_size):
    """Gradient of :func:`adaptive_avg_pool2d` with respect to ``input``.

    Each output's gradient is shared equally by the ``area`` inputs of its window
    (``grad / area`` each); an input in two overlapping windows collects both shares.
    """
    oh, ow = _adaptive_args("adaptive_avg_pool2d_backward", input, output_size)
    V.check_grad_output("adaptive_avg_pool2d_backward", grad_output,
                        input.shape[:-2] + (oh, ow), input, "numpy")
    rows, cols = _bins(input.shape[-2], oh), _bins(input.shape[-1], ow)
    grad = np.zeros_like(input)
    for i, (r0, r1) in enumerate(rows):
        for j, (c0, c1) in enumerate(cols):
            area = (r1 - r0) * (c1 - c0)
            grad[..., r0:r1, c0:c1] += (grad_output[..., i, j] / input.dtype.type(area))[
                ..., None, None]
    return grad
