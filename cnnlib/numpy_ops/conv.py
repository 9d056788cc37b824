"""Convolutions in NumPy: forward, transposed, and their backward passes.

One N-dimensional core serves ``conv1d``, ``conv2d`` and ``conv3d``. It computes the
textbook sum

.. math:: Z[n, o, h, w] = b[o] + \\sum_{c, i, j} W[o, c, i, j]\\,
          X_{pad}[n, c, h s + i d, w s + j d]

as matrix products: the *patch matrix* has one row per (channel, kernel tap) and one
column per output position, holding the input value under that tap there, and the
weights, reshaped to (O, C * prod(K)), multiply it. The patch matrix is built tap by
tap, each row a contiguous run of the input (see ``_Windows``), a block of the batch
at a time so that it is used while still in cache. The backward pass is built from
convolutions too (section 1.6): the input gradient is a convolution of the
zero-stuffed output gradient with the flipped filter (the *transposed convolution*),
and the weight gradient correlates the input with the output gradient.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _checks as V
from .._index import adjoint_padding, kernel_offsets, tap_slices

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


class _Windows:
    """Every kernel tap's view of a padded input, as contiguous runs of memory.

    The patch matrix ("im2col") has one row per (channel, kernel tap) and one column
    per output position. Gathering it with a strided slice per tap copies ``H_out``
    short rows per tap; this class arranges the input so that each row is one
    contiguous run instead:

    * **Stride 1.** Flatten each channel of the padded input. Output row ``h`` of a tap
      at offset ``(i, j)`` starts ``i*d`` rows and ``j*d`` columns into the input, and
      consecutive output rows are consecutive input rows. Compute every output row at
      the input's full width (the extra ``W_p - W_out`` values of each row are thrown
      away) and the tap's row of the patch matrix is the flattened input shifted by
      ``i*d*W_p + j*d``: a view, copied by a plain memory copy.
    * **Stride s.** Split the input into its ``s x s`` phases (space-to-depth): phase
      ``(a, b)`` holds the pixels at rows ``a, a+s, ...`` and columns ``b, b+s, ...``. A
      tap at position ``i*d = q*s + a`` along an axis reads phase ``a`` at offset ``q``
      with stride 1, so the strided convolution becomes stride-1 reads of the phases.

    The same holds in 1-D and 3-D. ``blocks`` cuts the work into (examples, band of
    output rows) blocks and ``columns`` builds a block's patch matrix (nb, C * prod(K),
    rows * row_length), each output row laid out over ``row_shape`` (the grid's trailing
    axes); the valid outputs are ``[..., :out_2, ...]`` of it (``trim``).
    """

    def __init__(self, xp: np.ndarray, kernel, stride, dilation, out_spatial):
        n, c = xp.shape[:2]
        out_spatial = tuple(out_spatial)
        reach = [(k - 1) * d // s for k, d, s in zip(kernel, dilation, stride)]
        # Phase grid: out + reach positions per axis; the first axis needs no more rows.
        grid = tuple(m + r for m, r in zip(out_spatial, reach))
        steps = tuple(math.prod(grid[i + 1:]) for i in range(len(grid)))
        vol = math.prod(grid)
        phases = math.prod(stride)
        self.row_shape = grid[1:]                     # one output row, at the full grid width
        self.out_rows = out_spatial[0]
        self.row_length = math.prod(self.row_shape)  # patch-matrix columns per output row
        self.row_step = steps[0]
        # Drops the thrown-away columns of an (N, O, rows, *grid[1:]) block.
        self.trim = (slice(None),) * 3 + tuple(slice(m) for m in out_spatial[1:])
        self.kp = math.prod(kernel)
        # The thrown-away columns of the last output row read past the last example.
        self.slack = sum(r * st for r, st in zip(reach[1:], steps[1:]))
        self.offsets = []
        for tap in kernel_offsets(kernel):
            pos = [i * d for i, d in zip(tap, dilation)]
            phase = np.ravel_multi_index([p % s for p, s in zip(pos, stride)], stride)
            self.offsets.append(int(phase) * vol + sum(p // s * st
                                                       for p, s, st in zip(pos, stride, steps)))
        self.n, self.c, self.dtype = n, c, xp.dtype
        self.example, self.channel = c * phases * vol, phases * vol
        if phases == 1 and tuple(xp.shape[2:]) == grid and xp.flags.c_contiguous:
            self.source = xp                     # stride 1: the padded input as it is
            self.copied = False
        else:
            # Space-to-depth into (N, C, phases, *grid), zeros where the input ends.
            self.source = np.zeros(n * self.example + self.slack, dtype=xp.dtype)
            dest = self.source[:n * self.example].reshape((n, c, phases) + grid)
            for phase, first in enumerate(kernel_offsets(stride)):
                part = xp[(slice(None), slice(None)) + tuple(
                    slice(f, f + s * g, s) for f, s, g in zip(first, stride, grid))]
                dest[(slice(None), slice(None), phase) +
                     tuple(slice(m) for m in part.shape[2:])] = part
            self.copied = True

    def blocks(self):
        """(examples, output rows) blocks whose patch matrix stays about ``_CHUNK_BYTES`` large.

        Small examples are grouped; a large one is cut into bands of output rows (along
        the first spatial axis), so the patch matrix is used while still in cache.
        """
        row = self.c * self.kp * self.row_length * self.source.itemsize
        per_example = row * self.out_rows
        if per_example <= _CHUNK_BYTES:
            return [(rows, slice(0, self.out_rows)) for rows in _batch_chunks(self.n, per_example)]
        band = max(1, _CHUNK_BYTES // row)
        return [(slice(i, i + 1), slice(h, min(h + band, self.out_rows)))
                for i in range(self.n) for h in range(0, self.out_rows, band)]

    def buffer(self, blocks) -> np.ndarray:
        """Scratch space for the largest patch matrix of ``blocks``."""
        rows, band = blocks[0]
        return np.empty(((rows.stop - rows.start) * self.c * self.kp *
                         (band.stop - band.start) * self.row_length,), dtype=self.dtype)

    def taps(self, rows: slice, band: slice) -> list[np.ndarray]:
        """Each kernel tap's read-only view (nb, C, len(band) * row_length) of a block."""
        nb = rows.stop - rows.start
        length = (band.stop - band.start) * self.row_length
        src = self.source
        if not self.copied and rows.stop == self.n and band.stop == self.out_rows and self.slack:
            # The last block of an uncopied input: copy its examples, with room to read past
            # their end.
            src = np.zeros(nb * self.example + self.slack, dtype=self.dtype)
            src[:nb * self.example] = self.source[rows].reshape(-1)
            base = 0
        else:
            src = src.reshape(-1)
            base = rows.start * self.example
        base += band.start * self.row_step
        item = src.itemsize
        last_read = (base + max(self.offsets) + (nb - 1) * self.example
                     + (self.c - 1) * self.channel + length - 1)
        assert last_read < src.size, "patch views must stay inside the input buffer"
        return [np.lib.stride_tricks.as_strided(
                    src[base + offset:], (nb, self.c, length),
                    (self.example * item, self.channel * item, item), writeable=False)
                for offset in self.offsets]

    def columns(self, rows: slice, band: slice, scratch: np.ndarray) -> np.ndarray:
        """The patch matrix (nb, C*kp, len(band) * row_length) of a block, built in ``scratch``."""
        views = self.taps(rows, band)
        nb, c, length = views[0].shape
        block = scratch[:nb * c * self.kp * length].reshape(nb, c, self.kp, length)
        for t, view in enumerate(views):
            block[:, :, t] = view
        return block.reshape(nb, c * self.kp, length)


def _conv_core(xp: np.ndarray, weight: np.ndarray, stride, dilation, groups: int,
               out_spatial) -> np.ndarray:
    """Cross-correlate an already padded ``xp`` (N, C, *P) with ``weight`` (O, C/g, *K).

    Returns (N, O, *out_spatial). A chunk of examples at a time, it builds the patch
    matrix (one row per weight of a filter, one column per output position, see
    :class:`_Windows`) and multiplies the weights, reshaped to (O, C/g * prod(K)), by
    it: one matrix product per example and group.
    """
    n, c = xp.shape[:2]
    o, cg = weight.shape[:2]
    g = groups
    kernel = weight.shape[2:]
    kp = math.prod(kernel)
    out_spatial = tuple(out_spatial)
    w2 = weight.reshape(g, o // g, cg * kp)
    if kp == 1 and all(s == 1 for s in stride) and tuple(xp.shape[2:]) == out_spatial:
        # A 1x1 convolution at stride 1 reads the input as it is: no patch matrix at all.
        cols = xp.reshape(n, g, cg, -1)
        res = w2 * cols if cg == 1 else np.matmul(w2, cols)
        return res.reshape((n, o) + out_spatial)
    out = np.empty((n, o) + out_spatial, dtype=xp.dtype)
    win = _Windows(xp, kernel, stride, dilation, out_spatial)
    blocks = win.blocks()
    scratch = win.buffer(blocks)
    for rows, band in blocks:
        nb = rows.stop - rows.start
        cols = win.columns(rows, band, scratch)
        if g == 1:
            res = np.matmul(w2[0], cols)
        else:
            res = np.matmul(w2, cols.reshape(nb, g, cg * kp, -1))
        out[rows, :, band] = res.reshape((nb, o, band.stop - band.start) + win.row_shape)[win.trim]
    return out


def _weight_grad_core(xp: np.ndarray, grad: np.ndarray, kernel, stride, dilation,
                      groups: int) -> np.ndarray:
    """Correlate a padded input ``xp`` (N, C, *P) with an output gradient ``grad`` (N, O, *Out).

    Returns the weight gradient (O, C/g, *K): for each weight, the sum over the batch
    and all output positions of the output gradient times the input value that
    weight multiplied, i.e. ``grad`` (as a matrix) times the transposed patch matrix.
    The patch matrix has the full-width rows of :class:`_Windows`; the gradient gets zeros
    in its thrown-away columns.
    """
    n, c = xp.shape[:2]
    o = grad.shape[1]
    g, og, cg = groups, o // groups, c // groups
    kp = math.prod(kernel)
    win = _Windows(xp, kernel, stride, dilation, grad.shape[2:])
    blocks = win.blocks()
    scratch = win.buffer(blocks)
    rows0, band0 = blocks[0]
    wide_grad = np.zeros((rows0.stop - rows0.start, o, band0.stop - band0.start) + win.row_shape,
                         dtype=grad.dtype)
    dw = np.zeros((g, og, cg * kp), dtype=xp.dtype)
    for rows, band in blocks:
        nb, nh = rows.stop - rows.start, band.stop - band.start
        cols = win.columns(rows, band, scratch).reshape(nb, g, cg * kp, -1)
        part = wide_grad[:nb, :, :nh]
        part[win.trim] = grad[rows, :, band]
        grad_cols = part.reshape(nb, g, og, -1)
        for i in range(nb):
            if g == 1:
                dw[0] += grad_cols[i, 0] @ cols[i, 0].T
            else:
                dw += np.matmul(grad_cols[i], cols[i].transpose(0, 2, 1))
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
