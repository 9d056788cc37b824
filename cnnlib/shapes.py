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

from . import _checks as V

__all__ = [
    "output_size", "same_padding", "transposed_output_size", "receptive_field",
    "conv_params", "linear_params", "conv_mults", "dense_params", "linear_mults",
]


# --- the two size rules; cnnlib._checks calls them with the op's name for its messages ------------

def _output_length(op: str, n: int, f: int, p_left: int, p_right: int, s: int, d: int,
                   ceil_mode: bool = False) -> int:
    """How many windows of span ``d(f-1) + 1``, ``s`` apart, fit in ``p_left + n + p_right``.

    PyTorch's rule for convolutions and pooling, on integers already checked:
    ``floor((n + p_left + p_right - d(f-1) - 1) / s) + 1``, rounded up instead with
    ``ceil_mode``, where the last window must still start inside the input or the left
    padding. ``ValueError``, its message starting with ``op``, when no window fits.
    """
    span = d * (f - 1) + 1
    room = n + p_left + p_right - span
    out = (room + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p_left:
        out -= 1
    if out < 1:
        padding = p_left if p_left == p_right else (p_left, p_right)
        raise ValueError(
            f"{op}: the (dilated) kernel spans {span} (f={f}, d={d}) but the padded input has "
            f"size {n + p_left + p_right} (n={n}, padding={padding}); the kernel cannot be "
            f"larger than the padded input")
    return out


def _transposed_length(op: str, n: int, f: int, p: int, s: int, d: int,
                       output_padding: int) -> int:
    """``(n-1)s - 2p + d(f-1) + output_padding + 1`` on integers already checked.

    ``ValueError``, its message starting with ``op``, when ``output_padding`` is neither
    smaller than the stride nor smaller than the dilation (PyTorch's rule), or when the
    padding leaves no output.
    """
    if output_padding >= s and output_padding >= d:
        raise ValueError(
            f"{op}: output_padding must be smaller than stride or dilation, got "
            f"output_padding={output_padding}, stride={s}, dilation={d}")
    out = (n - 1) * s - 2 * p + d * (f - 1) + output_padding + 1
    if out < 1:
        raise ValueError(
            f"{op}: padding={p} is too large: the output would have size {out} (n={n}, f={f}, "
            f"s={s}, d={d}, output_padding={output_padding})")
    return out


def _ints(fn: str, **values) -> list[int]:
    """Each keyword is ``name=(value, minimum)``; :func:`cnnlib._checks.check_int` on each."""
    return [V.check_int(fn, name, value, minimum=minimum)
            for name, (value, minimum) in values.items()]


def _sizes(fn: str, name: str, value, square: int = 2) -> tuple[int, ...]:
    """An int (``square`` equal sizes) or a sequence of positive ints, as a tuple."""
    if V.is_int(value):
        return (V.check_int(fn, name, value, minimum=1),) * square
    if not isinstance(value, (tuple, list)) or not value:
        raise TypeError(f"{fn}: {name} must be an int or a sequence of ints, got {value!r}")
    return tuple(V.check_int(fn, name, v, minimum=1) for v in value)


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
    n, f, p, s, d = _ints("output_size", n=(n, 1), f=(f, 1), p=(p, 0), s=(s, 1), d=(d, 1))
    V.check_bool("output_size", "ceil_mode", ceil_mode)
    return _output_length("output_size", n, f, p, p, s, d, ceil_mode)


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
    f, d = _ints("same_padding", f=(f, 1), d=(d, 1))
    total = d * (f - 1)
    return total // 2, total - total // 2


def transposed_output_size(n: int, f: int, p: int = 0, s: int = 1, d: int = 1,
                           output_padding: int = 0) -> int:
    """Output length of a transposed convolution: ``(n-1)s - 2p + d(f-1) + output_padding + 1``.

    It inverts :func:`output_size`: a convolution with the same ``f, p, s, d`` maps the
    result back to length ``n``; ``output_padding`` (smaller than ``s`` or ``d``) picks one
    of the several lengths a strided convolution maps to ``n``. Raises ``ValueError`` when
    the padding leaves no output. Taught in section 1.6.

    >>> transposed_output_size(4, 3, p=1, s=2, output_padding=1)
    8
    """
    n, f, p, s, d, output_padding = _ints(
        "transposed_output_size", n=(n, 1), f=(f, 1), p=(p, 0), s=(s, 1), d=(d, 1),
        output_padding=(output_padding, 0))
    return _transposed_length("transposed_output_size", n, f, p, s, d, output_padding)


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
        f, s, d = _ints("receptive_field", f=(f, 1), s=(s, 1), d=(d, 1))
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
    kernel = _sizes("conv_params", "f", f)
    c_in, c_out, groups = _ints("conv_params", c_in=(c_in, 1), c_out=(c_out, 1),
                                groups=(groups, 1))
    V.check_bool("conv_params", "bias", bias)
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"conv_params: c_in={c_in} and c_out={c_out} must be divisible by groups={groups}")
    return c_out * (c_in // groups) * math.prod(kernel) + (c_out if bias else 0)


def linear_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Learnable parameters of a fully connected layer: ``n_in * n_out + n_out``.

    >>> linear_params(400, 120)
    48120
    """
    n_in, n_out = _ints("linear_params", n_in=(n_in, 1), n_out=(n_out, 1))
    V.check_bool("linear_params", "bias", bias)
    return n_in * n_out + (n_out if bias else 0)


def dense_params(input_shape: Sequence[int], n_out: int, bias: bool = True) -> int:
    """Parameters of a fully connected layer reading a whole image of ``input_shape``.

    Section 1.1 contrasts this with :func:`conv_params`.

    >>> dense_params((1000, 1000, 3), 1000)
    3000001000
    """
    return linear_params(math.prod(_sizes("dense_params", "input_shape", input_shape, 1)),
                         n_out, bias)


def conv_mults(c_in: int, c_out: int, f: int | Sequence[int], out_size: int | Sequence[int],
               groups: int = 1) -> int:
    """Multiplications one convolution layer performs on one example.

    Each of the ``c_out * prod(out_size)`` outputs is a dot product of length
    ``(c_in/groups) * prod(f)``. Taught in sections 1.5 and 2.3 (1x1 bottlenecks).

    >>> conv_mults(3, 8, 5, 28)
    470400
    """
    kernel = _sizes("conv_mults", "f", f)
    out = _sizes("conv_mults", "out_size", out_size)
    conv_params(c_in, c_out, kernel, groups=groups)   # checks the channels and groups
    return c_out * math.prod(out) * (c_in // groups) * math.prod(kernel)


def linear_mults(n_in: int, n_out: int) -> int:
    """Multiplications one fully connected layer performs on one example: ``n_in * n_out``.

    Each of the ``n_out`` units is a dot product of length ``n_in``; the bias is an addition,
    not a multiplication. Section 1.1 compares it with :func:`conv_mults`.

    >>> linear_mults(400, 120)
    48000
    """
    n_in, n_out = _ints("linear_mults", n_in=(n_in, 1), n_out=(n_out, 1))
    return n_in * n_out
