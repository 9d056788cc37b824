"""The course's arithmetic: output sizes, padding, receptive fields and counts.

Everything here works on plain integers (course notation: ``n`` input size,
``f`` filter size, ``p`` padding, ``s`` stride, ``d`` dilation). Tables that
read a torch model (:func:`cnnlib.models.summary`, :func:`cnnlib.models.layers_of`)
live in ``cnnlib.models``.

Taught in Part 1: sections 1.3 (padding), 1.4 (stride, dilation),
1.5 (counts over volumes), 1.7 (pooling, output stride) and 1.9 (receptive field).
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from ._checks import _is_int

__all__ = [
    "output_size", "same_padding", "transposed_output_size", "receptive_field",
    "conv_params", "linear_params", "conv_mults", "dense_params",
]


def _check_ints(fn: str, **values):
    for name, (value, minimum) in values.items():
        if not _is_int(value):
            raise TypeError(f"{fn}: {name} must be an int, got {value!r}")
        if value < minimum:
            what = "positive" if minimum == 1 else "non-negative"
            raise ValueError(f"{fn}: {name} must be {what}, got {value}")


def output_size(n: int, f: int, p: int = 0, s: int = 1, d: int = 1,
                ceil_mode: bool = False) -> int:
    """Output length of a convolution or pooling window sliding over ``n`` positions.

    .. math:: n_{out} = \\left\\lfloor \\frac{n + 2p - d(f-1) - 1}{s} \\right\\rfloor + 1

    With ``d = 1`` this is the course's :math:`\\lfloor (n + 2p - f)/s \\rfloor + 1`.
    ``ceil_mode=True`` rounds up instead, as pooling layers may, but never lets the
    last window start in the right-hand padding (PyTorch's rule).

    Raises ``ValueError`` when the (dilated) filter does not fit in the padded input.
    Taught in sections 1.3 and 1.4.

    >>> output_size(6, 3)          # valid 3x3 convolution of a 6x6 image
    4
    >>> output_size(7, 3, p=1, s=2)
    4
    """
    _check_ints("output_size", n=(n, 1), f=(f, 1), p=(p, 0), s=(s, 1), d=(d, 1))
    span = d * (f - 1) + 1
    room = n + 2 * p - span
    if room < 0 and not (ceil_mode and room + s - 1 >= 0):
        raise ValueError(
            f"output_size: a filter spanning {span} (f={f}, d={d}) does not fit in a padded "
            f"input of size {n + 2 * p} (n={n}, p={p})")
    if not ceil_mode:
        return room // s + 1
    out = (room + s - 1) // s + 1
    if (out - 1) * s >= n + p:
        out -= 1
    if out < 1:
        raise ValueError(f"output_size: no window fits (n={n}, f={f}, p={p}, s={s}, d={d})")
    return out


def same_padding(f: int, d: int = 1) -> tuple[int, int]:
    """Padding (left, right) that keeps a stride-1 output the size of its input.

    The total is ``d * (f - 1)``; for odd ``f`` it splits evenly, ``p = (f - 1) / 2``
    when ``d = 1``. For even ``f`` the extra zero goes on the right, as in PyTorch's
    ``padding='same'``. Taught in section 1.3.

    >>> same_padding(3)
    (1, 1)
    >>> same_padding(4)
    (1, 2)
    """
    _check_ints("same_padding", f=(f, 1), d=(d, 1))
    total = d * (f - 1)
    return total // 2, total - total // 2


def transposed_output_size(n: int, f: int, p: int = 0, s: int = 1, d: int = 1,
                           output_padding: int = 0) -> int:
    """Output length of a transposed convolution: ``(n-1)s - 2p + d(f-1) + output_padding + 1``.

    It inverts :func:`output_size`: a convolution with the same ``f, p, s, d`` maps the
    result back to length ``n``. Taught in section 1.6.
    """
    _check_ints("transposed_output_size", n=(n, 1), f=(f, 1), p=(p, 0), s=(s, 1), d=(d, 1),
                output_padding=(output_padding, 0))
    out = (n - 1) * s - 2 * p + d * (f - 1) + output_padding + 1
    if out < 1:
        raise ValueError(f"transposed_output_size: padding p={p} is too large (output {out})")
    return out


def receptive_field(layers: Iterable[Sequence[int]]) -> list[tuple[int, int]]:
    """Receptive field and output stride after each layer of a stack.

    ``layers`` is a sequence of ``(f, s)`` or ``(f, s, d)`` tuples, first layer first
    (padding does not change either quantity). For each layer the result holds
    ``(r, j)``: ``r`` input pixels along one axis affect one output value, and moving
    one step in the output moves ``j`` pixels in the input (the output stride):

    .. math:: r_l = r_{l-1} + d_l (f_l - 1)\\, j_{l-1}, \\qquad j_l = j_{l-1} s_l

    starting from :math:`r_0 = j_0 = 1`. Taught in sections 1.7 and 1.9.

    >>> receptive_field([(3, 1), (3, 1)])     # two 3x3 convolutions see 5x5
    [(3, 1), (5, 1)]
    >>> receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)])   # LeNet-5
    [(5, 1), (6, 2), (14, 2), (16, 4)]
    """
    r, j = 1, 1
    out = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise TypeError(
                f"receptive_field: layer {i} must be (f, s) or (f, s, d), got {layer!r}")
        f, s, d = (*layer, 1) if len(layer) == 2 else layer
        _check_ints("receptive_field", f=(f, 1), s=(s, 1), d=(d, 1))
        r = r + d * (f - 1) * j
        j = j * s
        out.append((r, j))
    return out


def conv_params(c_in: int, c_out: int, f: int | Sequence[int], bias: bool = True,
                groups: int = 1) -> int:
    """Learnable parameters of a convolution layer: ``c_out * (c_in/groups) * prod(f) + c_out``.

    ``f`` is an int (square 2-D filter) or a tuple of filter sizes, one per
    spatial axis. Taught in sections 1.5 and 1.6.

    >>> conv_params(3, 8, 5)     # LeNet-5's first layer in the course table
    608
    """
    kernel = (f, f) if _is_int(f) else tuple(f)
    _check_ints("conv_params", c_in=(c_in, 1), c_out=(c_out, 1), groups=(groups, 1))
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"conv_params: c_in={c_in} and c_out={c_out} must be divisible by groups={groups}")
    return c_out * (c_in // groups) * math.prod(kernel) + (c_out if bias else 0)


def linear_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Learnable parameters of a fully connected layer: ``n_in * n_out + n_out``.

    >>> linear_params(400, 120)
    48120
    """
    _check_ints("linear_params", n_in=(n_in, 1), n_out=(n_out, 1))
    return n_in * n_out + (n_out if bias else 0)


def dense_params(input_shape: Sequence[int], n_out: int, bias: bool = True) -> int:
    """Parameters of a fully connected layer reading a whole image of ``input_shape``.

    Section 1.1 contrasts this with :func:`conv_params`.

    >>> dense_params((1000, 1000, 3), 1000)
    3000001000
    """
    return linear_params(math.prod(input_shape), n_out, bias)


def conv_mults(c_in: int, c_out: int, f: int | Sequence[int], out_size: int | Sequence[int],
               groups: int = 1) -> int:
    """Multiplications one convolution layer performs on one example.

    Each of the ``c_out * prod(out_size)`` outputs is a dot product of length
    ``(c_in/groups) * prod(f)``. Taught in sections 1.5 and 2.3 (1x1 bottlenecks).

    >>> conv_mults(3, 8, 5, 28)
    470400
    """
    kernel = (f, f) if _is_int(f) else tuple(f)
    out = (out_size, out_size) if _is_int(out_size) else tuple(out_size)
    conv_params(c_in, c_out, kernel, groups=groups)   # validates
    return c_out * math.prod(out) * (c_in // groups) * math.prod(kernel)
