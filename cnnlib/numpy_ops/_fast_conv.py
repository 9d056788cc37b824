"""The fast kernel behind :mod:`cnnlib.numpy_ops.conv` (private; the public ops use it by default).

It computes exactly what the readable core in ``conv.py`` computes, with the same three
entry points, and ``tests/ops/test_fast_conv.py`` holds the two equal:

* ``correlate(xp, weight, stride, dilation, groups, out_spatial)``: the forward sum over
  an already padded input;
* ``weight_grad(xp, grad, kernel, stride, dilation, groups)``: the weight gradient;
* ``adjoint(grad, weight, stride, pad_left, dilation, groups, in_spatial)``: the
  transposed convolution (the input gradient of ``correlate``).

What makes it fast, none of which changes a result:

* The patch matrix is built tap by tap, each of its rows one contiguous run of memory
  (stride 1 directly, other strides after a space-to-depth split; see :class:`_Windows`).
* It is built for a block of the batch (or a band of output rows of one large example)
  at a time, about ``_CHUNK_BYTES`` large, in one reused scratch buffer, so that the
  matrix product reads it while it is still in cache.
* A 1x1 convolution at stride 1 needs no patch matrix at all.
* Thin layers (few filters times a short patch row) put the patch matrices of a block's
  examples side by side and multiply once per block instead of once per example; small
  images, whose full-width rows waste many columns, put only the kept columns side by side
  (:func:`plan` says when, and why).
* The adjoint takes whichever of two equal forms has the smaller patch matrix: the
  gather form the reference uses (zero-stuff, pad, correlate with the flipped filter)
  or the scatter form (weights transposed times the gradient, each tap's share added
  back where it was read).

It shares only the index arithmetic of :mod:`cnnlib._index` with the reference; its
small padding and filter-flipping helpers are its own, so that either file can change
without the other.
"""

from __future__ import annotations

import math

import numpy as np

from .._index import adjoint_padding, kernel_offsets, tap_slices, zero_stuff


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
        self.kept = out_spatial                       # the outputs a block keeps, per example
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
        self.xp, self.grid, self.stride, self.dilation = xp, grid, tuple(stride), tuple(dilation)
        self.kernel = tuple(kernel)
        # Stride 1: the taps' offsets grow evenly along each kernel axis, so one strided view
        # (nb, C, *K, length) holds them all and one copy builds a block (see tap_grid).
        self.tap_steps = tuple(d * st for d, st in zip(dilation, steps)) if phases == 1 else None
        self._source = None

    @property
    def source(self) -> np.ndarray:
        """The input the tap views read, arranged on first use (the compact strategy never is)."""
        if self._source is None:
            xp, grid, stride = self.xp, self.grid, self.stride
            phases = math.prod(stride)
            if phases == 1 and tuple(xp.shape[2:]) == grid and xp.flags.c_contiguous:
                self._source = xp                     # stride 1: the padded input as it is
            else:
                # Space-to-depth into (N, C, phases, *grid), zeros where the input ends.
                self._source = np.zeros(self.n * self.example + self.slack, dtype=xp.dtype)
                dest = self._source[:self.n * self.example].reshape(
                    (self.n, self.c, phases) + grid)
                for phase, first in enumerate(kernel_offsets(stride)):
                    part = xp[(slice(None), slice(None)) + tuple(
                        slice(f, f + s * g, s) for f, s, g in zip(first, stride, grid))]
                    dest[(slice(None), slice(None), phase) +
                         tuple(slice(m) for m in part.shape[2:])] = part
        return self._source

    @property
    def copied(self) -> bool:
        return self.source is not self.xp

    def compact_blocks(self) -> list[slice]:
        """Blocks of whole examples whose compact patch matrix stays about ``_CHUNK_BYTES``."""
        return _batch_chunks(self.n, self.c * self.kp * math.prod(self.kept) * self.dtype.itemsize)

    def gather(self, rows: slice, scratch: np.ndarray) -> np.ndarray:
        """The compact patch matrices of the examples ``rows`` side by side, (C * kp, nb, L),
        ``L = prod(out_spatial)``: one strided view of the padded input (example, channel,
        kernel tap, output position), copied once. No full-width rows, so nothing is thrown
        away, and no space-to-depth copy is needed."""
        nb, nd = rows.stop - rows.start, len(self.kernel)
        x = self.xp[rows]
        view = np.lib.stride_tricks.as_strided(
            x, (nb, self.c) + self.kernel + self.kept,
            x.strides[:2] + tuple(d * st for d, st in zip(self.dilation, x.strides[2:])) +
            tuple(s * st for s, st in zip(self.stride, x.strides[2:])), writeable=False)
        block = scratch[:nb * self.c * self.kp * math.prod(self.kept)].reshape(
            (self.c,) + self.kernel + (nb,) + self.kept)
        block[...] = np.moveaxis(view, 0, 1 + nd)
        return block.reshape(self.c * self.kp, nb, -1)

    def blocks(self):
        """(examples, output rows) blocks whose patch matrix stays about ``_CHUNK_BYTES`` large.

        Small examples are grouped; a large one is cut into bands of output rows (along
        the first spatial axis), so the patch matrix is used while still in cache.
        """
        row = self.c * self.kp * self.row_length * self.dtype.itemsize
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

    def _start(self, rows: slice, band: slice):
        """The flat buffer a block's views read and the block's first position in it."""
        nb = rows.stop - rows.start
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
        length = (band.stop - band.start) * self.row_length
        last_read = (base + max(self.offsets) + (nb - 1) * self.example
                     + (self.c - 1) * self.channel + length - 1)
        assert last_read < src.size, "patch views must stay inside the input buffer"
        return src, base, nb, length

    def taps(self, rows: slice, band: slice) -> list[np.ndarray]:
        """Each kernel tap's read-only view (nb, C, len(band) * row_length) of a block."""
        src, base, nb, length = self._start(rows, band)
        item = src.itemsize
        return [np.lib.stride_tricks.as_strided(
                    src[base + offset:], (nb, self.c, length),
                    (self.example * item, self.channel * item, item), writeable=False)
                for offset in self.offsets]

    def tap_grid(self, rows: slice, band: slice) -> np.ndarray | None:
        """All taps of a block as one read-only view (nb, C, *K, len(band) * row_length), or
        None where the taps' offsets do not grow evenly (strides above 1, after the split).

        Element ``[e, c, i, j, m]`` is element ``m`` of tap ``(i, j)``'s row for channel ``c``
        of example ``e``, as in :meth:`taps`; one copy of this view builds the block instead
        of one copy per tap, which saves the per-tap overhead on small blocks."""
        if self.tap_steps is None:
            return None
        src, base, nb, length = self._start(rows, band)
        item = src.itemsize
        return np.lib.stride_tricks.as_strided(
            src[base:], (nb, self.c) + self.kernel + (length,),
            (self.example * item, self.channel * item) +
            tuple(st * item for st in self.tap_steps) + (item,), writeable=False)

    def columns(self, rows: slice, band: slice, scratch: np.ndarray) -> np.ndarray:
        """The patch matrix (nb, C*kp, len(band) * row_length) of a block, built in ``scratch``."""
        grid = self.tap_grid(rows, band)
        if grid is not None:
            nb, length = grid.shape[0], grid.shape[-1]
            block = scratch[:nb * self.c * self.kp * length].reshape(grid.shape)
            block[...] = grid
            return block.reshape(nb, self.c * self.kp, length)
        views = self.taps(rows, band)
        nb, c, length = views[0].shape
        block = scratch[:nb * c * self.kp * length].reshape(nb, c, self.kp, length)
        for t, view in enumerate(views):
            block[:, :, t] = view
        return block.reshape(nb, c * self.kp, length)


#: Forces :func:`plan`'s answer when set ("per_example", "side_by_side" or "compact"); tests use
#: it to run every strategy on every problem.
FORCE_PLAN: str | None = None
STRATEGIES = ("per_example", "side_by_side", "compact")

# A filter matrix below this many entries (O/g rows times C/g * taps columns) makes a product
# too small to run near the machine's matmul speed one example at a time. Measured on the bench
# suite (2 cores, OpenBLAS Haswell kernels): side by side ran LeNet's 5x5 layer (600 entries)
# in a fifth of the time and the depthwise 3x3 (9) a little faster, but the 7x7/2 stem (9,408)
# and every wider layer slower, because the transposing copy of the result costs more than it
# saves there.
_THIN = 4096
# Full-width rows waste this fraction of the product's columns or more: 3x3 at 14 (16 columns
# for 14 outputs, 14%), but not 3x3 at 28 (7%). Measured on the bench suite (paired runs in
# random order, median ratio), the compact patch matrix ran the 3x3 layer at 14 about 10%
# faster than one product per example (its copies of 14-value rows cost less than the 2 wasted
# columns of every 16, and the block's product is wider), and the layers at 28 and 56 a little
# slower. Strided layers take it whatever their waste (see plan()).
_WASTE = 0.1


def plan(out_rows: int, patch_rows: int, whole_examples: bool, waste: float = 0.0,
         strided: bool = False) -> str:
    """How :func:`correlate` and :func:`weight_grad` multiply one block of the batch.

    ``out_rows`` is O/g (filters per group), ``patch_rows`` C/g * prod(K) (the patch matrix's
    rows), ``whole_examples`` whether the blocks hold whole examples rather than bands of one,
    ``waste`` the fraction of the full-width patch matrix's columns that are thrown away,
    ``strided`` whether any stride is above 1.

    - ``"per_example"``: one matrix product per example, (O/g, C/g K) by (C/g K, L). Wide
      layers make products large enough to run near full speed, and the result lands in the
      (N, O, ...) layout without a copy. A band of one large example has no neighbour to
      put beside it, so it is always multiplied on its own.
    - ``"side_by_side"``: the block's patch matrices side by side, (C/g K, nb L), and one
      product. A thin filter matrix (LeNet's 8 filters over 3 x 5 x 5 taps, a 3-channel stem)
      makes per-example products whose fixed cost and poor use of the registers dominate;
      one wide product pays them once, for the price of one transposing copy of the block's
      result.
    - ``"compact"``: side by side, but with only the columns of kept outputs, each tap's
      strided view of the padded input copied once (:meth:`_Windows.gather`). Small images
      waste many columns of full-width rows (2 of every 16 for 3x3 at 14), and their
      per-example products are narrow (224 columns); copying short rows costs less than
      multiplying the waste, and the block's product is wide. A strided layer (the 7x7/2
      stem) needs no space-to-depth copy of its input this way, which the full-width
      strategies pay before their first block.
    """
    if FORCE_PLAN is not None:
        return FORCE_PLAN if whole_examples else "per_example"
    if whole_examples and out_rows * patch_rows < _THIN:
        return "side_by_side"
    if whole_examples and (waste >= _WASTE or strided):
        return "compact"
    return "per_example"


def _side_by_side(win: _Windows, rows: slice, scratch: np.ndarray) -> np.ndarray:
    """The full-width patch matrices of the examples ``rows`` side by side: (C * kp, nb, L)."""
    whole = slice(0, win.out_rows)
    grid = win.tap_grid(rows, whole)
    if grid is not None:
        nb, length = grid.shape[0], grid.shape[-1]
        block = scratch[:nb * win.c * win.kp * length].reshape(grid.shape[1:-1] + (nb, length))
        block[...] = np.moveaxis(grid, 0, -2)
        return block.reshape(win.c * win.kp, nb, length)
    views = win.taps(rows, whole)
    nb, c, length = views[0].shape
    block = scratch[:nb * c * win.kp * length].reshape(c, win.kp, nb, length)
    for t, view in enumerate(views):
        block[:, t] = view.transpose(1, 0, 2)
    return block.reshape(c * win.kp, nb, length)


def _strategy(win: _Windows, out_rows: int, patch_rows: int):
    """:func:`plan`'s strategy for ``win``, its blocks and a scratch buffer for them."""
    blocks = win.blocks()
    whole = blocks[0][1] == slice(0, win.out_rows)
    waste = 1 - math.prod(win.kept) / max(win.out_rows * win.row_length, 1)
    strategy = plan(out_rows, patch_rows, whole, waste, strided=any(s > 1 for s in win.stride))
    if strategy == "compact":
        rows = win.compact_blocks()
        return strategy, [(r, slice(0, win.out_rows)) for r in rows], np.empty(
            (rows[0].stop - rows[0].start) * win.c * win.kp * math.prod(win.kept), win.dtype)
    return strategy, blocks, win.buffer(blocks)


def _place(res: np.ndarray, bias, dest: np.ndarray) -> None:
    """Copy a block's result into the output, adding the bias (None: none) on the way."""
    if bias is None:
        dest[...] = res
    else:
        np.add(res, bias, out=dest)


def correlate(xp: np.ndarray, weight: np.ndarray, stride, dilation, groups: int,
              out_spatial, bias=None) -> np.ndarray:
    """Cross-correlate an already padded ``xp`` (N, C, *P) with ``weight`` (O, C/g, *K).

    Returns (N, O, *out_spatial), plus ``bias`` (O,) if given. A chunk of examples at a
    time, it builds the patch matrix (one row per weight of a filter, one column per
    output position, see :class:`_Windows`) and multiplies the weights, reshaped to
    (O, C/g * prod(K)), by it: one matrix product per example and group, or per block
    (:func:`plan`). The bias is added as each block's result is copied into place, while
    it is still in cache, instead of in another pass over the whole output.
    """
    n, c = xp.shape[:2]
    o, cg = weight.shape[:2]
    g = groups
    kernel = weight.shape[2:]
    kp = math.prod(kernel)
    out_spatial = tuple(out_spatial)
    w2 = weight.reshape(g, o // g, cg * kp)
    b = None if bias is None else bias.reshape((1, o) + (1,) * len(out_spatial))
    if kp == 1 and all(s == 1 for s in stride) and tuple(xp.shape[2:]) == out_spatial:
        # A 1x1 convolution at stride 1 reads the input as it is: no patch matrix at all.
        cols = xp.reshape(n, g, cg, -1)
        res = (w2 * cols if cg == 1 else np.matmul(w2, cols)).reshape((n, o) + out_spatial)
        if b is not None:
            res += b
        return res
    out = np.empty((n, o) + out_spatial, dtype=xp.dtype)
    win = _Windows(xp, kernel, stride, dilation, out_spatial)
    strategy, blocks, scratch = _strategy(win, o // g, cg * kp)
    if strategy != "per_example":
        compact = strategy == "compact"
        for rows, _ in blocks:
            nb = rows.stop - rows.start
            cols = win.gather(rows, scratch) if compact else _side_by_side(win, rows, scratch)
            cols = cols.reshape(g, cg * kp, -1)
            res = w2[0] @ cols[0] if g == 1 else np.matmul(w2, cols)     # (g, O/g, nb L)
            if compact:
                res = res.reshape((o, nb) + out_spatial).swapaxes(0, 1)
            else:
                res = res.reshape((o, nb, win.out_rows) + win.row_shape).swapaxes(0, 1)[win.trim]
            _place(res, b, out[rows])
        return out
    for rows, band in blocks:
        nb = rows.stop - rows.start
        cols = win.columns(rows, band, scratch)
        if g == 1:
            res = np.matmul(w2[0], cols)
        else:
            res = np.matmul(w2, cols.reshape(nb, g, cg * kp, -1))
        _place(res.reshape((nb, o, band.stop - band.start) + win.row_shape)[win.trim], b,
               out[rows, :, band])
    return out


def weight_grad(xp: np.ndarray, grad: np.ndarray, kernel, stride, dilation,
                groups: int) -> np.ndarray:
    """Correlate a padded input ``xp`` (N, C, *P) with an output gradient ``grad`` (N, O, *Out).

    Returns the weight gradient (O, C/g, *K): for each weight, the sum over the batch
    and all output positions of the output gradient times the input value that
    weight multiplied, i.e. ``grad`` (as a matrix) times the transposed patch matrix.
    The full-width patch matrix of :class:`_Windows` meets a gradient with zeros in its
    thrown-away columns; the compact one meets the gradient as it is.
    """
    n, c = xp.shape[:2]
    o = grad.shape[1]
    g, og, cg = groups, o // groups, c // groups
    kp = math.prod(kernel)
    win = _Windows(xp, kernel, stride, dilation, grad.shape[2:])
    strategy, blocks, scratch = _strategy(win, og, cg * kp)
    rows0, band0 = blocks[0]
    dw = np.zeros((g, og, cg * kp), dtype=xp.dtype)
    if strategy != "per_example":
        # The block's gradient as (O, nb, L) (zeros in the thrown-away columns unless compact),
        # times the side-by-side patch matrix transposed: one product per block and group.
        compact = strategy == "compact"
        nb0 = rows0.stop - rows0.start
        wide = np.zeros((o, nb0) + (win.kept if compact else (win.out_rows,) + win.row_shape),
                        dtype=grad.dtype)
        kept = (slice(None),) * 2 if compact else (slice(None),) + win.trim[1:]
        for rows, _ in blocks:
            nb = rows.stop - rows.start
            cols = win.gather(rows, scratch) if compact else _side_by_side(win, rows, scratch)
            cols = cols.reshape(g, cg * kp, -1)
            part = wide[:, :nb]
            part[kept] = grad[rows].swapaxes(0, 1)
            grad_cols = part.reshape(g, og, -1)
            if g == 1:
                dw[0] += grad_cols[0] @ cols[0].T
            else:
                dw += np.matmul(grad_cols, cols.transpose(0, 2, 1))
        return dw.reshape(o, cg, *kernel)
    wide_grad = np.zeros((rows0.stop - rows0.start, o, band0.stop - band0.start) + win.row_shape,
                         dtype=grad.dtype)
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


def adjoint(grad: np.ndarray, weight: np.ndarray, stride, pad_left, dilation, groups,
            in_spatial, method: str = "auto") -> np.ndarray:
    """The adjoint of ``conv(x, weight)`` applied to ``grad``: a transposed convolution.

    Two ways compute the same linear map. ``"gather"``, the one section 1.6 teaches:
    stuff ``s - 1`` zeros between the values of ``grad``, pad it, and correlate the
    result at stride 1 with the flipped, channel-swapped filter. ``"scatter"``: multiply
    ``grad`` by the transposed weight matrix and add each tap's share back onto the input
    positions that tap read (the transpose of building the patch matrix). ``"auto"``
    takes the one with the smaller patch matrix; they agree to rounding.
    """
    c_grad = grad.shape[1]
    kernel = weight.shape[2:]
    c_res = weight.shape[1] * groups
    if method == "auto":
        gather = c_grad * math.prod(in_spatial)
        scatter = c_res * math.prod(grad.shape[2:])
        method = "scatter" if scatter < gather else "gather"
    if method == "scatter":
        return _adjoint_scatter(grad, weight, stride, pad_left, dilation, groups, in_spatial)
    out_spatial = grad.shape[2:]
    stuffed = zero_stuff(grad, stride, lambda shape: np.zeros(shape, dtype=grad.dtype))
    pads = [adjoint_padding(m, ni, k, s, p, d) for m, ni, k, s, p, d in
            zip(out_spatial, in_spatial, kernel, stride, pad_left, dilation)]
    zp = _pad_or_crop(stuffed, [lo for lo, _ in pads], [hi for _, hi in pads])
    w_adj = _flip_transpose_weight(weight, groups)
    return correlate(zp, w_adj, (1,) * len(kernel), dilation, groups, in_spatial)


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
    if all(s == 1 for s in stride) and np.isfinite(weight).all():
        res = _scatter_full_width(gt, w_t, kernel, dilation, padded, g * cg)
    else:
        res = np.zeros((g * cg, n) + padded, dtype=grad.dtype)        # channels first
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


def _scatter_full_width(gt, w_t, kernel, dilation, padded, channels):
    """col2im at stride 1 over full-width rows: (C, N, *padded), channels first.

    The mirror image of :class:`_Windows`: the gradient ``gt`` (O, N, *out) is laid out with
    every output row as wide as the padded input (zeros in the extra columns), so that each
    tap's share ``W^T grad`` lands on the flattened input shifted by the tap's offset, one
    contiguous run per channel and example instead of ``H_out`` short rows. The zero columns
    contribute zeros, which is why the caller takes this path only for finite weights
    (``inf * 0`` would spread a NaN).
    """
    o, n = gt.shape[:2]
    g, cgkp, og = w_t.shape
    kp = math.prod(kernel)
    out_spatial = gt.shape[2:]
    steps = tuple(math.prod(padded[a + 1:]) for a in range(len(padded)))
    offsets = [sum(i * d * st for i, d, st in zip(tap, dilation, steps))
               for tap in kernel_offsets(kernel)]
    # The extra columns of the last output row reach past the last input row.
    slack = sum((k - 1) * d * st for k, d, st in zip(kernel[1:], dilation[1:], steps[1:]))
    wide_len = out_spatial[0] * steps[0]
    area = math.prod(padded)
    res = np.zeros((channels, n, area + slack), dtype=gt.dtype)
    chunks = _batch_chunks(n, cgkp * g * wide_len * gt.itemsize)
    nb0 = chunks[0].stop - chunks[0].start
    wide = np.zeros((o, nb0, out_spatial[0]) + tuple(padded[1:]), dtype=gt.dtype)
    valid = (slice(None),) * 3 + tuple(slice(m) for m in out_spatial[1:])
    for rows in chunks:
        nb = rows.stop - rows.start
        part = wide[:, :nb]
        part[valid] = gt[:, rows]
        grad_cols = part.reshape(g, og, nb * wide_len)
        cols = w_t[0] @ grad_cols[0] if g == 1 else np.matmul(w_t, grad_cols)
        cols = cols.reshape(channels, kp, nb, wide_len)
        for t, offset in enumerate(offsets):
            res[:, rows, offset:offset + wide_len] += cols[:, t]
    return res[:, :, :area].reshape((channels, n) + tuple(padded))
