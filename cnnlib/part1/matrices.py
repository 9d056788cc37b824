"""A convolution written as matrices: the sparse matrix and the patch matrix (section 1.6).

A convolution is linear in its input, so it *is* a matrix: flatten the input ``x`` of shape
``(n_C_prev, n_H_prev, n_W_prev)`` into a vector, and :func:`conv_matrix` returns the matrix
``M`` with ``conv2d(x) = M @ x`` (flattened). Each row is one output value; its few nonzero
entries are one filter's weights, placed where the window reads the input. The rows of one
filter repeat the same weights, shifted: parameter sharing and sparse connections, seen as the
structure of a matrix. Its transpose ``M.T`` is the transposed convolution (section 1.6.2).

The same product can be organised the other way round. :func:`patch_matrix` ("im2col") copies
every window of the input into one column; the filters, flattened into the rows of a
``(n_C, n_C_prev f f)`` matrix, then give every output at once in one dense matrix product. This
is how :func:`cnnlib.numpy_ops.conv2d` (and most libraries) compute a convolution.

Both are teaching helpers for small inputs: they loop in Python and return dense arrays.
"""

from __future__ import annotations

import numpy as np

from .. import _checks as V

__all__ = ["conv_matrix", "patch_matrix"]


def _geometry(op, in_shape, f, stride, padding):
    if not (isinstance(in_shape, (tuple, list)) and len(in_shape) == 3):
        raise ValueError(f"{op}: in_shape must be (n_C_prev, n_H_prev, n_W_prev), got "
                         f"{in_shape!r}")
    c, h, w = (V.check_int(op, "in_shape", v, minimum=1) for v in in_shape)
    f = V.check_int(op, "f", f, minimum=1)
    s = V.check_int(op, "stride", stride, minimum=1)
    p = V.check_int(op, "padding", padding, minimum=0)
    n_h, n_w = (h + 2 * p - f) // s + 1, (w + 2 * p - f) // s + 1
    if n_h < 1 or n_w < 1:
        raise ValueError(f"{op}: a {f}x{f} filter does not fit a {h}x{w} input padded by {p}")
    return c, h, w, f, s, p, n_h, n_w


def conv_matrix(in_shape, weight: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """The matrix ``M`` of the convolution of one input of shape ``in_shape`` with ``weight``.

    ``in_shape`` is ``(n_C_prev, n_H_prev, n_W_prev)``; ``weight`` is ``(n_C, n_C_prev, f, f)``.
    Returns ``M`` of shape ``(n_C n_H n_W, n_C_prev n_H_prev n_W_prev)`` in ``weight``'s dtype,
    with

    .. math:: M[(c, h, w), (k, hs + u - p, ws + v - p)] = W[c, k, u, v]

    for every tap that lands inside the input (taps on the zero padding have no column). So
    ``M @ x.ravel()`` equals ``conv2d(x[None], weight, stride=stride, padding=padding).ravel()``
    and ``M.T`` is the transposed convolution. Section 1.6.
    """
    weight = np.asarray(weight)
    if weight.ndim != 4 or weight.shape[2] != weight.shape[3]:
        raise ValueError(f"conv_matrix: weight must be (n_C, n_C_prev, f, f), got shape "
                         f"{weight.shape}")
    c, h, w, f, s, p, n_h, n_w = _geometry("conv_matrix", in_shape, weight.shape[-1],
                                           stride, padding)
    if weight.shape[1] != c:
        raise ValueError(f"conv_matrix: weight expects {weight.shape[1]} input channels, "
                         f"in_shape has {c}")
    n_c = weight.shape[0]
    M = np.zeros((n_c * n_h * n_w, c * h * w), dtype=weight.dtype)
    for o in range(n_c):
        for i in range(n_h):
            for j in range(n_w):
                row = (o * n_h + i) * n_w + j
                for u in range(f):
                    for v in range(f):
                        r, q = i * s + u - p, j * s + v - p
                        if 0 <= r < h and 0 <= q < w:
                            M[row, np.arange(c) * h * w + r * w + q] = weight[o, :, u, v]
    return M


def patch_matrix(x: np.ndarray, f: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """The patch matrix ("im2col") of one input ``x`` of shape ``(n_C_prev, n_H_prev, n_W_prev)``.

    Column ``h n_W + w`` holds the window of output ``(h, w)``, the padded input's
    ``x_pad[:, hs:hs+f, ws:ws+f]`` flattened (channel, then row, then column). Returns
    ``(n_C_prev f f, n_H n_W)`` in ``x``'s dtype, so that
    ``weight.reshape(n_C, -1) @ patch_matrix(x, f, s, p)`` is the convolution, reshaped to
    ``(n_C, n_H, n_W)``. Section 1.6.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"patch_matrix: x must be (n_C_prev, n_H_prev, n_W_prev), got shape "
                         f"{x.shape}")
    c, h, w, f, s, p, n_h, n_w = _geometry("patch_matrix", x.shape, f, stride, padding)
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    cols = np.empty((c * f * f, n_h * n_w), dtype=x.dtype)
    for i in range(n_h):
        for j in range(n_w):
            cols[:, i * n_w + j] = xp[:, i * s:i * s + f, j * s:j * s + f].ravel()
    return cols
