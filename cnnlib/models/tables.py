"""Tables of a torch model's layers: shapes, activation sizes, parameters, multiply-adds.

:func:`summary` runs a model once on zeros and records every leaf layer;
:func:`course_table` keeps the rows the course tabulates (CONV, POOL, FC), channels last;
:func:`layers_of` reads the ``(f, s, d)`` of every convolution and pooling layer for
:func:`cnnlib.shapes.receptive_field`, and :func:`measured_receptive_field` measures the same
two numbers with autograd. Taught from section 1.8 on; the multiply-adds and the measured
receptive field from section 2.1.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Sequence

from torch import nn

from .. import _checks as V

__all__ = ["summary", "Summary", "SummaryRow", "course_table", "layers_of",
           "measured_receptive_field"]

_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)


def layers_of(model, skip: Sequence[str] = ()) -> list[tuple[int, int, int]]:
    """``(f, s, d)`` of every convolution and pooling module of a torch model, in order.

    Reads ``nn.Conv*``, ``nn.MaxPool*`` and ``nn.AvgPool*`` along the first spatial
    axis, and any module with a ``receptive_field_layer`` attribute (an ``(f, s, d)``
    tuple, as LeNet-5's subsampling layers have), ready for
    :func:`cnnlib.shapes.receptive_field`. This is right for a chain of layers (LeNet,
    AlexNet, VGG); for a network with parallel paths, leave the side paths out with
    ``skip``, names that a module's qualified name must not contain (``skip=("downsample",)``
    keeps the main path of a ResNet). Taught in sections 1.9 and 2.1.
    """
    out = []
    for name, module in model.named_modules():
        if any(part in name for part in skip):
            continue
        if isinstance(module, _CONVS):
            out.append((module.kernel_size[0], module.stride[0], module.dilation[0]))
        elif isinstance(module, _POOLS):
            first = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
            stride = module.stride if module.stride is not None else module.kernel_size
            dilation = getattr(module, "dilation", 1)
            out.append((first(module.kernel_size), first(stride), first(dilation)))
        elif getattr(module, "receptive_field_layer", None) is not None:
            out.append(tuple(module.receptive_field_layer))
    return out


def _multiply_adds(module, inputs, output) -> int:
    """Multiply-adds of one call of a leaf module on one example (batch of 1)."""
    custom = getattr(module, "multiply_adds", None)
    if callable(custom):
        return int(custom(inputs, output))
    if isinstance(module, _CONVS):
        return output[0].numel() * (module.in_channels // module.groups) * \
            math.prod(module.kernel_size)
    if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
        return inputs[0][0].numel() * (module.out_channels // module.groups) * \
            math.prod(module.kernel_size)
    if isinstance(module, nn.Linear):
        return output[0].numel() * module.in_features
    return 0


@dataclass(frozen=True)
class SummaryRow:
    """One row of :func:`summary`: a leaf module and what it produced.

    ``multiply_adds`` counts the multiplications (each followed by an addition) of the
    layer on one example: ``output values x (c_in / groups) x f x f`` for a convolution,
    ``out x in`` for a fully connected layer, 0 for the layers whose work is elementwise
    (activations, normalisation, pooling), as is usual when networks are compared.
    """

    name: str
    kind: str
    output_shape: tuple[int, ...]
    activation_size: int
    params: int
    multiply_adds: int = 0


class Summary:
    """A table of a torch model's layers; ``print`` it or read ``rows``.

    ``show_multiply_adds`` adds the multiply-adds column to the printed table (the rows
    always carry the count).
    """

    def __init__(self, rows: list[SummaryRow], layout: str, show_multiply_adds: bool = False):
        self.rows = rows
        self.layout = layout
        self.show_multiply_adds = show_multiply_adds

    @property
    def total_params(self) -> int:
        """Sum of the rows' parameters (each shared layer counted once per call)."""
        return sum(r.params for r in self.rows)

    @property
    def total_multiply_adds(self) -> int:
        """Multiply-adds of one forward pass on one example."""
        return sum(r.multiply_adds for r in self.rows)

    def __str__(self) -> str:
        head = ("layer", "type", f"output shape ({self.layout}, no batch)",
                "activation size", "parameters")
        body = [(r.name, r.kind, str(r.output_shape), f"{r.activation_size:,}", f"{r.params:,}")
                for r in self.rows]
        body.append(("total", "", "", "", f"{self.total_params:,}"))
        if self.show_multiply_adds:
            head = (*head, "multiply-adds")
            macs = [r.multiply_adds for r in self.rows] + [self.total_multiply_adds]
            body = [(*row, f"{m:,}") for row, m in zip(body, macs)]
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
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


def summary(model, input_shape: Sequence[int], layout: str = "NCHW",
            multiply_adds: bool = False) -> Summary:
    """Run ``model`` on zeros of ``input_shape`` (no batch axis) and tabulate its leaf layers.

    Each row gives the layer's name and type, its output shape without the batch
    axis, the activation size (the number of values in that output), the
    layer's own learnable parameters and its multiply-adds on one example
    (:class:`SummaryRow`). ``layout="NHWC"`` prints shapes channels last, as the
    course's tables do; ``multiply_adds=True`` prints the multiply-adds column. A module
    may define ``multiply_adds(inputs, output)`` to report its own count. A model built
    on the ``meta`` device (``with torch.device("meta"): ...``) is summarised without
    computing anything, which makes the largest networks instant. Section 1.8 reproduces
    the course's LeNet-5 table with it; Part 2 tabulates every case study.
    """
    import torch

    V.check_choice("summary", "layout", layout, ("NCHW", "NHWC"))
    V.check_bool("summary", "multiply_adds", multiply_adds)
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
                                   math.prod(shape), params,
                                   _multiply_adds(module, inputs, output)))
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
    return Summary(rows, layout, multiply_adds)
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


def _positive_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in which every path from input to output carries a gradient.

    Weights become positive constants (biases 0), batch norms the identity and max pools
    average pools of the same window: the layers' geometry is unchanged, but now no ReLU is
    ever off and no max pool routes the gradient to one input only.
    """
    import torch

    net = copy.deepcopy(model).float().eval()
    for parent in list(net.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
                setattr(parent, name, nn.Identity())
            elif isinstance(child, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)):
                pool = {nn.MaxPool1d: nn.AvgPool1d, nn.MaxPool2d: nn.AvgPool2d,
                        nn.MaxPool3d: nn.AvgPool3d}[type(child)]
                setattr(parent, name, pool(child.kernel_size, child.stride, child.padding,
                                           ceil_mode=child.ceil_mode))
    with torch.no_grad():
        for module in net.modules():
            weight = getattr(module, "weight", None)
            if isinstance(weight, nn.Parameter):
                fan_in = max(1, weight[0].numel()) if weight.ndim > 1 else 1
                weight.fill_(1.0 / fan_in)
            bias = getattr(module, "bias", None)
            if isinstance(bias, nn.Parameter):
                bias.zero_()
    return net


def measured_receptive_field(features: nn.Module, input_shape: Sequence[int]) -> tuple[int, int]:
    """Receptive field ``r`` and output stride ``j`` of a feature extractor, measured by autograd.

    ``features`` maps (N, C, H, W) images to (N, C', H', W') feature maps; ``input_shape`` is
    ``(C, H, W)``. On a copy whose every path carries a gradient (positive weights, max pools
    made average pools, batch norms removed; the geometry is unchanged), the gradient of the
    central output unit with respect to the input is nonzero exactly on its receptive field:
    ``r`` is that region's height. The region of the next unit to the right starts ``j``
    pixels further: the output stride. These are the two numbers
    :func:`cnnlib.shapes.receptive_field` computes from the layers' ``(f, s, d)``.

    Raises ``ValueError`` when the region touches the border of the input (make the input
    larger). Section 2.1.
    """
    import torch

    if not isinstance(features, nn.Module):
        raise TypeError(f"measured_receptive_field: features must be a torch.nn.Module, got "
                        f"{type(features).__name__}")
    if len(input_shape) != 3:
        raise ValueError(f"measured_receptive_field: input_shape must be (C, H, W), got "
                         f"{tuple(input_shape)}")
    net = _positive_copy(features)
    x = torch.ones((1, *input_shape), requires_grad=True)
    out = net(x)
    if out.ndim != 4:
        raise ValueError(f"measured_receptive_field: features must return (N, C, H, W) maps, "
                         f"got shape {tuple(out.shape)}")
    h, w = out.shape[2:]
    if w < 2:
        raise ValueError(f"measured_receptive_field: the output is {h}x{w}; make the input "
                         f"larger so that two neighbouring units exist")
    i, k = h // 2, (w - 1) // 2
    regions = []
    for col in (k, k + 1):
        (grad,) = torch.autograd.grad(out[0, :, i, col].sum(), x, retain_graph=True)
        rows = torch.nonzero(grad[0].abs().sum(0).sum(1)).flatten()
        cols = torch.nonzero(grad[0].abs().sum(0).sum(0)).flatten()
        if len(rows) == 0:
            raise ValueError("measured_receptive_field: the output does not depend on the input")
        if rows[0] == 0 or rows[-1] == input_shape[1] - 1 or cols[0] == 0 or \
                cols[-1] == input_shape[2] - 1:
            raise ValueError(f"measured_receptive_field: the receptive field reaches the border "
                             f"of the {input_shape[1]}x{input_shape[2]} input; make it larger")
        regions.append((int(rows[-1] - rows[0] + 1), int(cols[0])))
    return regions[0][0], regions[1][1] - regions[0][1]
