"""Convolutions in NumPy: forward, transposed, and their backward passes.

One N-dimensional core serves ``conv1d``, ``conv2d`` and ``conv3d``. It loops over
the kernel's taps, not over output pixels: for each tap ``(i, j)`` it copies the
strided slice of the padded input that the tap sees at every output position into
one row block of a patch matrix, and a single matrix product with the weights
then gives every output (a few examples at a time, so the patch matrix stays in
cache). That is the textbook sum

.. math:: Z[n, o, h, w] = b[o] + \\sum_{c, i, j} W[o, c, i, j]\\,
          X_{pad}[n, c, h s + i d, w s + j d]

computed as one matrix product per chunk of the batch. The backward pass is built from convolutions
too (section 1.6): the input gradient is a convolution of the zero-stuffed output
gradient with the flipped filter (the *transposed convolution*), and the weight
gradient correlates the input with the output gradient.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as V
from .._common import adjoint_padding, kernel_offsets, tap_slices

__all__ = [
    "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "conv1d_backward", "conv2d_backward", "conv3d_backward",
    "conv_transpose1d_backward", "conv_transpose2d_backward", "conv_transpose3d_backward",
]

# Batch rows processed at once: the patch matrix of one chunk stays about this size, so it is
# built and consumed while still in cache.
_CHUNK_BYTES = 4 * 2 ** 20


def _batch_chunks(n: int, per_example_bytes: int):
    step = max(1, _CHUNK_BYTES // max(per_example_bytes, 1))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def _pad_or_crop(x: np.ndarray, left, right) -> np.ndarray:
    """Zero-pad (positive) or crop (negative) the spatial axes of an (N, C, ...) array."""
    widths = [(0, 0), (0, 0)] + [(max(lo, 0), max(hi, 0)) for lo, hi in zip(left, right)]
    if any(w != (0, 0) for w in widths):
        x = np.pad(x, widths)
    crop = (slice(None), slice(None)) + tuple(
        slice(max(-lo, 0), x.shape[2 + a] - max(-hi, 0)) for a, (lo, hi) in
        enumerate(zip(left, right)))
    return x[crop]


def _patches(xt: np.ndarray, rows: slice, kernel, stride, dilation, out_spatial) -> np.ndarray:
    """The patch matrix ("im2col") of a chunk of the batch.

    ``xt`` is the padded input with channels first, (C, N, *P). Row ``c*K + t`` of the
    result holds, for kernel tap ``t`` of channel ``c``, the input value under that
    tap at every output position of every example in ``rows``: shape
    (C * prod(kernel), n_rows * prod(out_spatial)).
    """
    c = xt.shape[0]
    nb = rows.stop - rows.start
    cols = np.empty((c, math.prod(kernel), nb) + tuple(out_spatial), dtype=xt.dtype)
    for t, offset in enumerate(kernel_offsets(kernel)):
        cols[:, t] = xt[(slice(None), rows) + tap_slices(offset, stride, dilation, out_spatial)]
    return cols.reshape(c * math.prod(kernel), nb * math.prod(out_spatial))


def _conv_core(xp: np.ndarray, weight: np.ndarray, stride, dilation, groups: int,
               out_spatial) -> np.ndarray:
    """Cross-correlate an already padded ``xp`` (N, C, *P) with ``weight`` (O, C/g, *K).

    Returns (N, O, *out_spatial). A chunk of examples at a time, it builds the patch
    matrix (one row per weight of a filter, one column per output position) and
    multiplies the weights, reshaped to (O, C/g * prod(K)), by it: each group is one
    matrix product. With many filters each example gets its own product, written
    straight into the NCHW result; with few filters (thin products) the chunk's
    examples share one product.
    """
    if groups == 1 and weight.shape[0] < 32:
        return _conv_core_shared(xp, weight, stride, dilation, out_spatial)
    n, c = xp.shape[:2]
    o, cg = weight.shape[:2]
    g = groups
    kernel = weight.shape[2:]
    kp = math.prod(kernel)
    length = math.prod(out_spatial)
    w2 = weight.reshape(o, c * kp) if g == 1 else weight.reshape(g, o // g, cg * kp)
    # A 1x1 convolution at stride 1 reads the input as it is: no patch matrix to build.
    direct = kp == 1 and all(s == 1 for s in stride) and tuple(xp.shape[2:]) == tuple(out_spatial)
    out = np.empty((n, o, length), dtype=xp.dtype)
    for rows in _batch_chunks(n, c * kp * length * xp.itemsize):
        nb = rows.stop - rows.start
        if direct:
            cols = xp[rows].reshape(nb, c, length)
        else:
            cols = np.empty((nb, c, kp) + tuple(out_spatial), dtype=xp.dtype)
            for t, offset in enumerate(kernel_offsets(kernel)):
                cols[:, :, t] = xp[(rows, slice(None)) +
                                   tap_slices(offset, stride, dilation, out_spatial)]
            cols = cols.reshape(nb, c * kp, length)
        if g == 1:
            np.matmul(w2, cols, out=out[rows])
        else:
            cols = cols.reshape(nb, g, cg * kp, length)
            res = w2 * cols if cg * kp == 1 else np.matmul(w2, cols)
            out[rows] = res.reshape(nb, o, length)
    return out.reshape(n, o, *out_spatial)


def _conv_core_shared(xp, weight, stride, dilation, out_spatial):
    """:func:`_conv_core` for few filters: one product per chunk, all examples side by side."""
    n, c = xp.shape[:2]
    o = weight.shape[0]
    kernel = weight.shape[2:]
    length = math.prod(out_spatial)
    w2 = weight.reshape(o, -1)
    xt = xp.transpose(1, 0, *range(2, xp.ndim))          # (C, N, *P): channels first
    out = np.empty((o, n, length), dtype=xp.dtype)
    for rows in _batch_chunks(n, c * math.prod(kernel) * length * xp.itemsize):
        cols = _patches(xt, rows, kernel, stride, dilation, out_spatial)
        out[:, rows] = (w2 @ cols).reshape(o, rows.stop - rows.start, length)
    return out.transpose(1, 0, 2).reshape(n, o, *out_spatial)


def _weight_grad_core(xp: np.ndarray, grad: np.ndarray, kernel, stride, dilation,
                      groups: int) -> np.ndarray:
    """Correlate a padded input ``xp`` (N, C, *P) with an output gradient ``grad`` (N, O, *Out).

    Returns the weight gradient (O, C/g, *K): for each weight, the sum over the batch
    and all output positions of the output gradient times the input value that
    weight multiplied, i.e. ``grad`` (as a matrix) times the transposed patch matrix.
    """
    n, c = xp.shape[:2]
    o = grad.shape[1]
    g, og, cg = groups, o // groups, c // groups
    out_spatial = grad.shape[2:]
    length = math.prod(out_spatial)
    kp = math.prod(kernel)
    xt = xp.transpose(1, 0, *range(2, xp.ndim))
    gt = grad.transpose(1, 0, *range(2, grad.ndim))
    dw = np.zeros((g, og, cg * kp), dtype=xp.dtype)
    for rows in _batch_chunks(n, c * kp * length * xp.itemsize):
        cols = _patches(xt, rows, kernel, stride, dilation, out_spatial)
        grad_cols = np.ascontiguousarray(gt[:, rows]).reshape(g, og, -1)
        if g == 1:
            dw[0] += grad_cols[0] @ cols.T
        else:
            dw += np.matmul(grad_cols, cols.reshape(g, cg * kp, -1).transpose(0, 2, 1))
    return dw.reshape(o, cg, *kernel)


def _flip_transpose_weight(weight: np.ndarray, groups: int) -> np.ndarray:
    """(C_in, C_out/g, *K) -> (C_out, C_in/g, *K) with every spatial axis flipped.

    The adjoint of a convolution swaps the roles of input and output channels
    (within each group) and turns the kernel by 180 degrees.
    """
    cin, cog = weight.shape[:2]
    kernel = weight.shape[2:]
    w = weight.reshape(groups, cin // groups, cog, *kernel).swapaxes(1, 2)
    w = w.reshape(groups * cog, cin // groups, *kernel)
    return w[(Ellipsis,) + (slice(None, None, -1),) * len(kernel)]


def _adjoint(grad: np.ndarray, weight: np.ndarray, stride, pad_left, dilation, groups,
             in_spatial, method: str = "auto") -> np.ndarray:
    """The adjoint of ``conv(x, weight)`` applied to ``grad``: a transposed convolution.

    Two ways compute the same linear map. ``"gather"``, the one section 1.6 teaches:
    stuff ``s - 1`` zeros between the values of ``grad``, pad it, and correlate the
    result at stride 1 with the flipped, channel-swapped filter. ``"scatter"``: multiply
    ``grad`` by the transposed weight matrix and add each tap's share back onto the input
    positions that tap read (the transpose of building the patch matrix). ``"auto"``
    takes the one with the smaller patch matrix; they agree to rounding.
    """
    n, c_grad = grad.shape[:2]
    kernel = weight.shape[2:]
    c_res = weight.shape[1] * groups
    if method == "auto":
        gather = c_grad * math.prod(in_spatial)
        scatter = c_res * math.prod(grad.shape[2:])
        method = "scatter" if scatter < gather else "gather"
    if method == "scatter":
        return _adjoint_scatter(grad, weight, stride, pad_left, dilation, groups, in_spatial)
    out_spatial = grad.shape[2:]
    stuffed = np.zeros((n, c_grad) + tuple((m - 1) * s + 1 for m, s in zip(out_spatial, stride)),
                       dtype=grad.dtype)
    stuffed[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)] = grad
    pads = [adjoint_padding(m, ni, k, s, p, d) for m, ni, k, s, p, d in
            zip(out_spatial, in_spatial, kernel, stride, pad_left, dilation)]
    zp = _pad_or_crop(stuffed, [lo for lo, _ in pads], [hi for _, hi in pads])
    w_adj = _flip_transpose_weight(weight, groups)
    return _conv_core(zp, w_adj, (1,) * len(kernel), dilation, groups, in_spatial)


def _adjoint_scatter(grad, weight, stride, pad_left, dilation, groups, in_spatial):
    """The transposed convolution as "patch matrix transposed": ``W^T grad``, then col2im."""
    n, o = grad.shape[:2]
    cg = weight.shape[1]
    g, og = groups, o // groups
    kernel = weight.shape[2:]
    kp = math.prod(kernel)
    out_spatial = grad.shape[2:]
    length = math.prod(out_spatial)
    # The padded input the forward convolution read; enough room for every tap's slice.
    padded = tuple(max(ni + pl, (m - 1) * s + d * (k - 1) + 1) for ni, pl, m, s, d, k in
                   zip(in_spatial, pad_left, out_spatial, stride, dilation, kernel))
    w_t = weight.reshape(g, og, cg * kp).transpose(0, 2, 1)          # (G, Cg*K, Og)
    gt = grad.transpose(1, 0, *range(2, grad.ndim))                   # (O, N, *out)
    res = np.zeros((g * cg, n) + padded, dtype=grad.dtype)            # channels first
    for rows in _batch_chunks(n, g * cg * kp * length * grad.itemsize):
        nb = rows.stop - rows.start
        grad_cols = np.ascontiguousarray(gt[:, rows]).reshape(g, og, nb * length)
        cols = w_t[0] @ grad_cols[0] if g == 1 else np.matmul(w_t, grad_cols)
        cols = cols.reshape(g * cg, kp, nb, *out_spatial)
        for t, offset in enumerate(kernel_offsets(kernel)):
            res[(slice(None), rows) + tap_slices(offset, stride, dilation, out_spatial)] += \
                cols[:, t]
    crop = (slice(None), slice(None)) + tuple(slice(pl, pl + ni) for pl, ni in
                                              zip(pad_left, in_spatial))
    return res[crop].transpose(1, 0, *range(2, 2 + len(kernel)))


def _batch(x, batched: bool):
    return x if batched else x[None]


def _unbatch(x, batched: bool):
    return x if batched else x[0]


def _bias_shape(nd: int):
    return (1, -1) + (1,) * nd


def _conv_forward(op, nd, input, weight, bias, stride, padding, dilation, groups):
    a = V.conv_args(op, nd, input, weight, bias, stride, padding, dilation, groups, "numpy")
    x = _pad_or_crop(_batch(input, a.batched), a.pad_left, a.pad_right)
    out = _conv_core(x, weight, a.stride, a.dilation, a.groups, a.spatial_out)
    if bias is not None:
        out = out + bias.reshape(_bias_shape(nd))
    return _unbatch(np.ascontiguousarray(out), a.batched)


def _check_grad_output(op, grad_output, expected_shape, like):
    V.check_array(op, "grad_output", grad_output, "numpy")
    if tuple(grad_output.shape) != tuple(expected_shape):
        raise ValueError(f"{op}: grad_output has shape {tuple(grad_output.shape)}, the forward "
                         f"output has shape {tuple(expected_shape)}")
    V.check_same_dtype(op, input=like, grad_output=grad_output)


def _conv_backward(op, nd, grad_output, input, weight, bias, stride, padding, dilation, groups):
    a = V.conv_args(op, nd, input, weight, bias, stride, padding, dilation, groups, "numpy")
    lead = input.shape[:1] if a.batched else ()
    _check_grad_output(op, grad_output, lead + (weight.shape[0],) + a.spatial_out, input)
    x = _batch(input, a.batched)
    gy = _batch(grad_output, a.batched)
    grad_input = _adjoint(gy, weight, a.stride, a.pad_left, a.dilation, a.groups, a.spatial_in)
    xp = _pad_or_crop(x, a.pad_left, a.pad_right)
    grad_weight = _weight_grad_core(xp, gy, a.kernel, a.stride, a.dilation, a.groups)
    grad_bias = None if bias is None else gy.sum(axis=(0, *range(2, 2 + nd)))
    return _unbatch(np.ascontiguousarray(grad_input), a.batched), grad_weight, grad_bias


def _conv_transpose_forward(op, nd, input, weight, bias, stride, padding, output_padding,
                            groups, dilation):
    a = V.conv_transpose_args(op, nd, input, weight, bias, stride, padding, output_padding,
                              groups, dilation, "numpy")
    out = _adjoint(_batch(input, a.batched), weight, a.stride, a.padding, a.dilation, a.groups,
                   a.spatial_out)
    if bias is not None:
        out = out + bias.reshape(_bias_shape(nd))
    return _unbatch(np.ascontiguousarray(out), a.batched)


def _conv_transpose_backward(op, nd, grad_output, input, weight, bias, stride, padding,
                             output_padding, groups, dilation):
    a = V.conv_transpose_args(op, nd, input, weight, bias, stride, padding, output_padding,
                              groups, dilation, "numpy")
    lead = input.shape[:1] if a.batched else ()
    _check_grad_output(op, grad_output, lead + (a.c_out,) + a.spatial_out, input)
    x = _batch(input, a.batched)
    gy = _batch(grad_output, a.batched)
    gy_padded = _pad_or_crop(gy, a.padding, a.padding)
    # conv_transpose(x, W) is the adjoint of conv(., W) (C_out -> C_in channels), so its
    # own adjoint is that very convolution, with W used as it is.
    grad_input = _conv_core(gy_padded, weight, a.stride, a.dilation, a.groups, a.spatial_in)
    grad_weight = _weight_grad_core(gy_padded, x, a.kernel, a.stride, a.dilation, a.groups)
    grad_bias = None if bias is None else gy.sum(axis=(0, *range(2, 2 + nd)))
    return _unbatch(np.ascontiguousarray(grad_input), a.batched), grad_weight, grad_bias


def _make(nd: int):
    """Build the public conv{nd}d family; each gets its own name and docstring below."""

    def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        return _conv_forward(f"conv{nd}d", nd, input, weight, bias, stride, padding,
                             dilation, groups)

    def conv_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1,
                      groups=1):
        return _conv_backward(f"conv{nd}d_backward", nd, grad_output, input, weight, bias,
                              stride, padding, dilation, groups)

    def conv_transpose(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                       groups=1, dilation=1):
        return _conv_transpose_forward(f"conv_transpose{nd}d", nd, input, weight, bias,
                                       stride, padding, output_padding, groups, dilation)

    def conv_transpose_backward(grad_output, input, weight, bias=None, stride=1, padding=0,
                                output_padding=0, groups=1, dilation=1):
        return _conv_transpose_backward(f"conv_transpose{nd}d_backward", nd, grad_output,
                                        input, weight, bias, stride, padding, output_padding,
                                        groups, dilation)

    return conv, conv_backward, conv_transpose, conv_transpose_backward


_AXES = {1: ("L", "(N, C_in, L)", "(C_out, C_in/groups, f)"),
         2: ("H, W", "(N, C_in, H, W)", "(C_out, C_in/groups, f_H, f_W)"),
         3: ("D, H, W", "(N, C_in, D, H, W)", "(C_out, C_in/groups, f_D, f_H, f_W)")}


def _doc(nd: int, kind: str) -> str:
    axes, x_shape, w_shape = _AXES[nd]
    t_shape = w_shape.replace("C_out, C_in/groups", "C_in, C_out/groups")
    if kind == "conv":
        return f"""{nd}-D cross-correlation, as ``torch.nn.functional.conv{nd}d``.

    input: {x_shape}, or without the batch axis. weight: {w_shape}.
    bias: (C_out,) or None. stride, padding, dilation: an int or one per spatial
    axis ({axes}); padding may also be ``'valid'`` or ``'same'`` (stride 1 only).
    groups splits the channels into independent convolutions.

    Returns ``(N, C_out, *out)`` with, along each axis,
    ``out = floor((n + 2p - d(f-1) - 1) / s) + 1`` (:func:`cnnlib.shapes.output_size`),
    in the input's dtype. Like every deep-learning "convolution", the filter is not
    flipped. Taught in sections 1.2 to 1.5 and 1.10.
    """
    if kind == "conv_backward":
        return f"""Gradients of :func:`conv{nd}d` with respect to its array arguments.

    Takes ``grad_output`` (the shape of the forward's result) and the forward's own
    arguments. Returns ``(grad_input, grad_weight, grad_bias)``, ``grad_bias`` None
    when ``bias`` is None. ``grad_input`` is :func:`conv_transpose{nd}d` of
    ``grad_output``: the output gradient, with ``s - 1`` zeros stuffed between its
    values, convolved with the flipped filter. ``grad_weight`` correlates the padded
    input with ``grad_output``. Taught in section 1.6.
    """
    if kind == "conv_transpose":
        return f"""{nd}-D transposed convolution, as ``torch.nn.functional.conv_transpose{nd}d``.

    input: {x_shape}, or without the batch axis. weight:
    {t_shape}. Computes the adjoint of :func:`conv{nd}d` with the same weight, stride,
    padding, dilation and groups: it stuffs ``s - 1`` zeros between input values,
    pads by ``d(f-1) - p`` and correlates with the flipped filter (where that patch
    matrix would be the larger one, it computes the same map as "weights transposed
    times input, each tap's share added back where it belongs"). Output size per
    axis: ``(n-1)s - 2p + d(f-1) + output_padding + 1``. Upsampling layers of
    fully convolutional networks use it. Taught in section 1.6.
    """
    return f"""Gradients of :func:`conv_transpose{nd}d` with respect to its array arguments.

    Takes ``grad_output`` and the forward's own arguments; returns
    ``(grad_input, grad_weight, grad_bias)``. ``grad_input`` is :func:`conv{nd}d` of
    ``grad_output`` with the same weight: the adjoint of the adjoint. Taught in
    section 1.6.
    """


def _publish(nd: int):
    fns = _make(nd)
    names = (f"conv{nd}d", f"conv{nd}d_backward", f"conv_transpose{nd}d",
             f"conv_transpose{nd}d_backward")
    kinds = ("conv", "conv_backward", "conv_transpose", "conv_transpose_backward")
    for fn, name, kind in zip(fns, names, kinds):
        fn.__name__ = fn.__qualname__ = name
        fn.__module__ = __name__
        fn.__doc__ = _doc(nd, kind)
        globals()[name] = fn


for _nd in (1, 2, 3):
    _publish(_nd)
