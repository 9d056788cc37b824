"""Index arithmetic shared by the NumPy reference and its PyTorch twin.

Both namespaces run the same algorithms; the pieces that only compute Python
integers or index lists live here, so the two cannot drift apart.
"""

from __future__ import annotations

import itertools
from typing import Iterator, Sequence


def kernel_offsets(kernel: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Every tap ``(i, j, ...)`` of a kernel, in row-major order (PyTorch's scan order)."""
    return itertools.product(*(range(k) for k in kernel))


def tap_slices(offset: Sequence[int], stride: Sequence[int], dilation: Sequence[int],
               out: Sequence[int]) -> tuple[slice, ...]:
    """Slices picking, for one kernel tap, the input value under it at every output position.

    Output position ``o`` along an axis reads padded input position ``o*s + i*d``,
    so the tap ``i`` sees ``i*d, i*d + s, ..., i*d + (n_out-1)*s``.
    """
    return tuple(slice(i * d, i * d + s * (n - 1) + 1, s)
                 for i, s, d, n in zip(offset, stride, dilation, out))


def pool_right_padding(n: int, k: int, p: int, s: int, d: int, out: int) -> int:
    """Right padding a pooling input needs so that ``out`` windows fit (``ceil_mode`` adds some)."""
    return max(p, (out - 1) * s + d * (k - 1) + 1 - n - p)


def pool_divisor_1d(n: int, k: int, p: int, s: int, out: int,
                    count_include_pad: bool) -> list[int]:
    """Per-output divisor of average pooling along one axis, PyTorch's rule.

    A window starting at ``o*s - p`` ends at ``min(start + k, n + p)``; without
    ``count_include_pad`` only the positions inside ``[0, n)`` count.
    """
    sizes = []
    for o in range(out):
        start = o * s - p
        end = min(start + k, n + p)
        if not count_include_pad:
            start, end = max(start, 0), min(end, n)
        sizes.append(end - start)
    return sizes


def pool_first_taps(n: int, k: int, p: int, s: int, d: int, out: int) -> list[int]:
    """Per output along one axis, the first tap of its window that lands inside the input.

    Output ``o``'s tap ``i`` reads input position ``o*s - p + i*d``. Max pooling starts each
    window's search there (PyTorch's rule), so a window whose real values are all ``-inf``
    still points at a real input value, never at the padding.
    """
    first = []
    for o in range(out):
        start = o * s - p
        skip = -(start // d) if start < 0 else 0      # ceil(-start / d) taps in the padding
        first.append(min(skip, k - 1))
    return first


def pool_start_taps(kernel, stride, padding, dilation, spatial_in, spatial_out, asarray):
    """Row-major index of each output's first in-input tap (:func:`pool_first_taps` per axis).

    Shaped like the output's spatial axes; ``asarray(list)`` makes an integer array in the
    caller's library (``np.asarray`` or a ``torch.tensor`` on the right device).
    """
    nd = len(kernel)
    flat = 0
    for axis, (n, k, p, s, d, m) in enumerate(zip(spatial_in, kernel, padding, stride, dilation,
                                                  spatial_out)):
        shape = [1] * nd
        shape[axis] = m
        flat = flat * k + asarray(pool_first_taps(n, k, p, s, d, m)).reshape(shape)
    return flat


def pool_flat_indices(tap, kernel, stride, padding, dilation, spatial_in, spatial_out, arange):
    """Flat index into the input's spatial values of the tap ``tap`` picked at every output.

    ``tap`` (an int64 array or tensor, the spatial axes last) holds, per output, the
    row-major index of a kernel tap, as max pooling's ``argmax`` returns it; the result
    holds the position of that tap's value in the unpadded input's flattened spatial
    axes (PyTorch's ``return_indices``). Output ``o`` along an axis starts at
    ``o * s - p`` and tap ``i`` adds ``i * d``. ``arange(n)`` makes ``0 .. n-1`` in
    ``tap``'s library and device (``np.arange`` or ``torch.arange``), so both twins share
    this one helper.
    """
    nd = len(kernel)
    taps, rest = [], tap
    for k in reversed(kernel):          # unravel the tap index, last axis fastest
        taps.append(rest % k)
        rest = rest // k
    taps.reverse()
    flat = 0
    for axis in range(nd):
        shape = [1] * tap.ndim
        shape[tap.ndim - nd + axis] = spatial_out[axis]
        start = (arange(spatial_out[axis]) * stride[axis] - padding[axis]).reshape(shape)
        flat = flat * spatial_in[axis] + start + taps[axis] * dilation[axis]
    return flat


def pad_index(size: int, lo: int, hi: int, mode: str) -> list[int]:
    """Source index of every position of a padded axis for reflect/replicate/circular padding.

    The padded axis runs over ``-lo .. size + hi - 1`` in input coordinates; negative
    ``lo``/``hi`` crop.
    """
    idx = []
    for i in range(-lo, size + hi):
        if mode == "replicate":
            j = min(max(i, 0), size - 1)
        elif mode == "circular":
            j = i % size
        else:  # reflect, no edge repeat
            period = 2 * (size - 1)
            j = i % period if period else 0
            j = period - j if j >= size else j
        idx.append(j)
    return idx


def adjoint_padding(n_out: int, n_in: int, k: int, s: int, p_left: int, d: int) -> tuple[int, int]:
    """Left/right padding of the zero-stuffed gradient in the adjoint of a convolution.

    A convolution maps length ``n_in`` to ``n_out``. Its adjoint stuffs ``s - 1`` zeros
    between the ``n_out`` values (length ``(n_out-1)s + 1``), pads, and correlates
    with the flipped kernel at stride 1 to get back length ``n_in``. Negative values
    mean "crop".
    """
    left = d * (k - 1) - p_left
    stuffed = (n_out - 1) * s + 1
    right = n_in + d * (k - 1) - stuffed - left
    return left, right


def constant_pad_slices(shape, pairs):
    """For constant padding: the output shape and the (source, destination) slices.

    ``pairs`` holds (left, right) amounts for the last axes, last axis first; negative
    amounts crop. The input's ``source`` region lands at ``destination`` in the output.
    """
    nd = len(shape)
    out_shape = list(shape)
    src, dst = [slice(None)] * nd, [slice(None)] * nd
    for i, (lo, hi) in enumerate(pairs):
        axis = nd - 1 - i
        size = shape[axis]
        kept = max(size - max(-lo, 0) - max(-hi, 0), 0)
        out_shape[axis] = size + lo + hi
        src[axis] = slice(max(-lo, 0), max(-lo, 0) + kept)
        dst[axis] = slice(max(lo, 0), max(lo, 0) + kept)
    return tuple(out_shape), tuple(src), tuple(dst)


def zero_stuff(x, stride, zeros):
    """Insert ``s - 1`` zeros between neighbouring values along the last ``len(stride)`` axes.

    ``zeros(shape)`` allocates the result in ``x``'s library, dtype and device (``np.zeros``
    or ``tensor.new_zeros``), so the NumPy reference and its torch twin share this one
    helper. A length ``m`` becomes ``(m - 1) s + 1``: the first step of a transposed
    convolution (section 1.6).
    """
    nd = len(stride)
    shape = tuple(x.shape[:x.ndim - nd]) + tuple(
        (m - 1) * s + 1 for m, s in zip(x.shape[x.ndim - nd:], stride))
    out = zeros(shape)
    out[(Ellipsis,) + tuple(slice(None, None, s) for s in stride)] = x
    return out
