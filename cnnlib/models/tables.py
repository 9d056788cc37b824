"""Tables of a torch model's layers: shapes, activation sizes, parameters, and the course's form.

:func:`summary` runs a model once on zeros and records every leaf layer;
:func:`course_table` keeps the rows the course tabulates (CONV, POOL, FC), channels last;
:func:`layers_of` reads the ``(f, s, d)`` of every convolution and pooling layer for
:func:`cnnlib.shapes.receptive_field`. Taught from section 1.8 on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from torch import nn

from .. import _checks as V

__all__ = ["summary", "Summary", "SummaryRow", "course_table", "layers_of"]


def layers_of(model) -> list[tuple[int, int, int]]:
    """``(f, s, d)`` of every convolution and pooling module of a torch model, in order.

    Reads ``nn.Conv*``, ``nn.MaxPool*`` and ``nn.AvgPool*`` along the first spatial
    axis, ready for :func:`cnnlib.shapes.receptive_field`. Taught in section 1.9.
    """
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


def _input_shape(op: str, input_shape) -> tuple[int, ...]:
    """``input_shape`` as a tuple of positive ints (one example's shape, no batch axis)."""
    if not isinstance(input_shape, (tuple, list)) or not input_shape:
        raise TypeError(f"{op}: input_shape must be a tuple of ints (one example's shape, no "
                        f"batch axis), got {input_shape!r}")
    return tuple(V.check_int(op, "input_shape", n, minimum=1) for n in input_shape)


def summary(model, input_shape: Sequence[int], layout: str = "NCHW") -> Summary:
    """Run ``model`` on zeros of ``input_shape`` (no batch axis) and tabulate its leaf layers.

    Each row gives the layer's name and type, its output shape without the batch
    axis, the activation size (the number of values in that output) and the
    layer's own learnable parameters. ``layout="NHWC"`` prints shapes channels
    last, as the course's tables do. Section 1.8 reproduces the course's LeNet-5
    table with it.
    """
    import torch

    V.check_choice("summary", "layout", layout, ("NCHW", "NHWC"))
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"summary: model must be a torch.nn.Module, got {type(model).__name__}")
    input_shape = _input_shape("summary", input_shape)
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
#: Course labels for LeNet-5's layers (module name -> label in the course's table).
_LENET_LABELS = {"conv1": "CONV1", "pool1": "POOL1", "conv2": "CONV2", "pool2": "POOL2",
                 "fc3": "FC3", "fc4": "FC4", "fc5": "Softmax (FC5)"}


def course_table(model: nn.Module, input_shape, labels: dict[str, str] | None = None):
    """The course's layer table of ``model``: one row for the input and one per CONV, POOL, FC.

    Runs :func:`summary` with ``layout='NHWC'`` and keeps the layers
    the course lists (convolutions, pools, fully connected), dropping activations
    and flattening, which have no parameters and do not change the size. Returns
    a list of ``(label, shape, activation_size, parameters)`` tuples, shapes
    channels last; ``input_shape`` is channels first, without the batch axis,
    e.g. ``(3, 32, 32)``. Convolution labels carry ``(f = ., s = .)``.
    ``labels`` maps module names to row labels (LeNet-5's by default). Section 1.8.
    """
    labels = _LENET_LABELS if labels is None else labels
    if not isinstance(labels, dict):
        raise TypeError(f"course_table: labels must be a dict or None, got "
                        f"{type(labels).__name__}")
    input_shape = _input_shape("course_table", input_shape)
    nhwc = (*input_shape[1:], input_shape[0]) if len(input_shape) >= 2 else input_shape
    rows = [("Input", nhwc, math.prod(nhwc), 0)]
    modules = dict(model.named_modules())
    kept = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear, nn.MaxPool1d, nn.MaxPool2d,
            nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
    for row in summary(model, input_shape, layout="NHWC").rows:
        module = modules[row.name]
        if not isinstance(module, kept):
            continue
        label = labels.get(row.name, row.name)
        if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            label = f"{label} (f = {module.kernel_size[0]}, s = {module.stride[0]})"
        rows.append((label, row.output_shape, row.activation_size, row.params))
    return rows
