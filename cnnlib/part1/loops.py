"""Step-by-step versions of convolution and pooling, written as the formulas read.

These loop over every output position with plain Python, so each line maps to
the math of sections 1.2 to 1.7. They are slow on purpose and kept apart from
:mod:`cnnlib.numpy_ops`, whose fast versions compute exactly the same numbers
(``tests/part1/test_loops.py`` checks that). The pages themselves write the
single-image loops out (the convolution in section 1.2, pooling in 1.7, the
backward pass in 1.6.1); these batch versions, with stride, padding and
dilation, are what sections 1.4 and 1.6 compare with :mod:`cnnlib.numpy_ops`.
"""

from __future__ import annotations

import numpy as np

from .. import _checks as V

__all__ = ["conv2d_loops", "pool2d_loops"]


def conv2d_loops(x, w, b=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation) of one batch, looping over output pixels.

    x: (m, n_C_prev, n_H_prev, n_W_prev); w: (n_C, n_C_prev, f, f); b: (n_C,) or None.
    For every example ``i``, filter ``c`` and output position ``(h, w)``:

    .. math:: Z[i, c, h, w] = b_c + \\sum_{k, u, v} W[c, k, u, v]\\;
              A_{pad}[i, k, h s + u d, w s + v d]

    Returns (m, n_C, n_H, n_W), the same as :func:`cnnlib.numpy_ops.conv2d` with
    ``groups=1``. Section 1.2 writes the one-image, one-filter loop on the page;
    sections 1.4 (stride) and 1.6 (the layer, in the course's NHWC layout and
    back) compare this batch version with :func:`cnnlib.numpy_ops.conv2d`.
    """
    a = V.conv_args("conv2d_loops", 2, x, w, b, stride, padding, dilation, 1, "numpy")
    if not a.batched:
        raise ValueError("conv2d_loops: x must be a batch (m, n_C_prev, n_H_prev, n_W_prev)")
    (p_top, p_left), (p_bottom, p_right) = a.pad_left, a.pad_right
    xp = np.pad(x, ((0, 0), (0, 0), (p_top, p_bottom), (p_left, p_right)))
    (s_h, s_w), (d_h, d_w) = a.stride, a.dilation
    m, n_c = x.shape[0], w.shape[0]
    n_h, n_w = a.spatial_out
    f_h, f_w = a.kernel
    z = np.zeros((m, n_c, n_h, n_w), dtype=x.dtype)
    for i in range(m):                      # every example
        for c in range(n_c):                # every filter
            for h in range(n_h):            # every output row
                for col in range(n_w):      # every output column
                    top, left = h * s_h, col * s_w
                    window = xp[i, :, top:top + d_h * (f_h - 1) + 1:d_h,
                                left:left + d_w * (f_w - 1) + 1:d_w]
                    z[i, c, h, col] = np.sum(window * w[c]) + (0 if b is None else b[c])
    return z


def pool2d_loops(x, f, stride=None, mode="max"):
    """2-D max or average pooling of one batch, looping over output pixels.

    x: (m, n_C, n_H_prev, n_W_prev); ``f`` the window size, ``stride`` (default ``f``).
    No padding. Each channel is pooled on its own, so ``n_C`` is unchanged:

    .. math:: A[i, c, h, w] = \\max_{u, v < f} A_{prev}[i, c, h s + u, w s + v]

    (or the mean). Returns (m, n_C, n_H, n_W), as
    :func:`cnnlib.numpy_ops.max_pool2d` / :func:`~cnnlib.numpy_ops.avg_pool2d`.
    Section 1.7 writes the same loop for one image on the page, then compares
    this batch version and the library.
    """
    V.check_choice("pool2d_loops", "mode", mode, ("max", "avg"))
    a = V.pool_args("pool2d_loops", 2, x, f, stride, 0, 1, False, "numpy", max_pool=True)
    if not a.batched:
        raise ValueError("pool2d_loops: x must be a batch (m, n_C, n_H_prev, n_W_prev)")
    reduce = np.max if mode == "max" else np.mean
    (s_h, s_w), (f_h, f_w) = a.stride, a.kernel
    m, n_c = x.shape[:2]
    n_h, n_w = a.spatial_out
    out = np.zeros((m, n_c, n_h, n_w), dtype=x.dtype)
    for i in range(m):
        for c in range(n_c):
            for h in range(n_h):
                for col in range(n_w):
                    top, left = h * s_h, col * s_w
                    out[i, c, h, col] = reduce(x[i, c, top:top + f_h, left:left + f_w])
    return out
