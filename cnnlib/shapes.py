"""The course's arithmetic: output sizes, padding, receptive fields and counts.

Everything here works on plain integers (course notation: ``n`` input size,
``f`` filter size, ``p`` padding, ``s`` stride, ``d`` dilation), except
:func:`summary` and :func:`layers_of`, which read a torch model.

Taught in Part 1: sections 1.3 (padding), 1.4 (stride, dilation),
1.5 (counts over volumes), 1.7 (pooling, output stride), 1.8 (LeNet-5
summary) and 1.9 (receptive field).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

from ._validate import _is_int

__all__ = [
    "output_size", "same_padding", "transposed_output_size", "receptive_field",
    "conv_params", "linear_params", "conv_mults", "dense_params", "layers_of",
    "summary", "Summary", "SummaryRow",
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


def layers_of(model) -> list[tuple[int, int, int]]:
    """``(f, s, d)`` of every convolution and pooling module of a torch model, in order.

    Reads ``nn.Conv*``, ``nn.MaxPool*`` and ``nn.AvgPool*`` along the first spatial
    axis, ready for :func:`receptive_field`. Taught in section 1.9.
    """
    from torch import nn

    out = []
    for module in model.modules():
        if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            out.append((module.kernel_size[0], module.stride[0], module.dilation[0]))
        elif isinstance(module, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d,
                                 nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)):
            first = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
            stride = module.stride if module.stride is not None else module.kernel_size
            dilation = getattr(module, "dilation", 1)
            out.append((first(module.kernel_size), first(stride), first(dilation)))
    return out


@dataclass(frozen=True)
class SummaryRow:
    """One row of :func:`summary`: a leaf module and what it produced."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    activation_size: int
    params: int


class Summary:
    """A table of a torch model's layers; ``print`` it or read ``rows``."""

    def __init__(self, rows: list[SummaryRow], layout: str):
        self.rows = rows
        self.layout = layout

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.rows)

    def __str__(self) -> str:
        head = ("layer", "type", f"output shape ({self.layout}, no batch)",
                "activation size", "parameters")
        body = [(r.name, r.kind, str(r.output_shape), f"{r.activation_size:,}", f"{r.params:,}")
                for r in self.rows]
        body.append(("total", "", "", "", f"{self.total_params:,}"))
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(5)]
        lines = ["  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                           for i, (c, w) in enumerate(zip(row, widths))) for row in [head, *body]]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.insert(len(lines) - 1, lines[1])
        return "\n".join(lines)

    __repr__ = __str__


def summary(model, input_shape: Sequence[int], layout: str = "NCHW") -> Summary:
    """Run ``model`` on zeros of ``input_shape`` (no batch axis) and tabulate its leaf layers.

    Each row gives the layer's name and type, its output shape without the batch
    axis, the activation size (the number of values in that output) and the
    layer's own learnable parameters. ``layout="NHWC"`` prints shapes channels
    last, as the course's tables do. Section 1.8 reproduces the course's LeNet-5
    table with it.
    """
    import torch

    if layout not in ("NCHW", "NHWC"):
        raise ValueError(f"summary: layout must be 'NCHW' or 'NHWC', got {layout!r}")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"summary: model must be a torch.nn.Module, got {type(model).__name__}")
    rows: list[SummaryRow] = []
    hooks = []

    def record(name):
        def hook(module, inputs, output):
            shape = tuple(output.shape[1:])
            if layout == "NHWC" and len(shape) >= 2:
                shape = (*shape[1:], shape[0])
            params = sum(p.numel() for p in module.parameters(recurse=False))
            rows.append(SummaryRow(name, type(module).__name__, shape,
                                   math.prod(shape), params))
        return hook

    for name, module in model.named_modules():
        if not list(module.children()):
            hooks.append(module.register_forward_hook(record(name)))
    try:
        param = next(model.parameters(), None)
        kwargs = {} if param is None else {"dtype": param.dtype, "device": param.device}
        was_training = model.training
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *input_shape), **kwargs))
        model.train(was_training)
    finally:
        for h in hooks:
            h.remove()
    return Summary(rows, layout)
