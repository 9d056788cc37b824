"""The registry of ops: one entry per public op of ``cnnlib.numpy_ops``, driving the op tests.

Modelled on PyTorch's OpInfo tables. Each :class:`OpInfo` names an op, its oracle in
``torch.nn.functional``, a hypothesis strategy drawing valid arguments, which arguments
have gradients, tolerances, bad-argument cases and the few places where the op
deliberately differs from torch. From this table alone the tests in this folder check,
for every op:

- ``test_twins.py``: every public name of ``numpy_ops`` has a twin of the same signature in
  ``torch_ops`` (enumerated from both namespaces) and a registry entry;
- ``test_ops.py``: the NumPy op and its twin against the oracle (values and dtype), the
  ``<op>_backward`` of both against torch autograd, and autograd through the twin;
- ``test_finite_differences.py``: the NumPy backward against central differences on small
  float64 problems;
- ``test_validation.py``: the bad-argument cases, and arguments drawn near and past the
  edges of validity (``wild``): what torch rejects, both twins reject with a clear error;
- ``test_edge_cases.py``: every rank from 0 to 6, empty axes, non-contiguous and
  negative-stride arrays, integer, bool and half dtypes, NaN and infinities: each op
  returns what torch returns (NaN included) or raises a ``ValueError``/``TypeError`` that
  starts with the op's name and names an argument.

How to add an op
----------------
1. Write ``my_op(input, ..., option=default)`` in a ``cnnlib/numpy_ops`` module and its twin
   of the same signature in the matching ``cnnlib/torch_ops`` module, both listed in
   ``__all__``. If it has array arguments with gradients, add ``my_op_backward(grad_output,
   input, ..., option=default)`` to both, returning the gradient of each of those arguments
   (a tuple, or one array when there is one).
2. Add one ``OpInfo`` to ``OPS`` below, in the section of its module::

       OpInfo("my_op", oracle=F.my_op, samples=my_op_samples(), grads=(0,),
              bad=(Bad((X4, -1), {}, ValueError, "option must be"),)),

   - ``oracle``: called with the sample's arguments as torch tensors (a ``lambda`` adapts a
     torch function whose arguments differ). An op torch.nn.functional does not have (the
     course's losses, the style costs, boxes and RoI ops, which live in torchvision) gets one
     written here in plain torch, from its definition; it raises where the definition does
     not apply (see ``box_iou_oracle``), which the edge-case tests then hold the op to;
   - ``samples``: a strategy drawing :class:`strategies.Sample` (``args`` with NumPy arrays,
     float32 or float64 as drawn, ``kwargs``, ``scale``); write it in ``tests/strategies.py``;
   - ``grads``: positions in ``args`` of the arguments ``my_op_backward`` differentiates
     (``()`` for none); ``fd_examples`` turns on finite differences for the NumPy backward;
   - ``bad``: calls that must fail, with the error and a fragment of its message;
   - ``deviations``: where torch returns a result but the op raises a clear error on purpose,
     each with its reason (an empty ``()`` is the goal).
3. Run ``pytest tests/ops``. The twin test fails until every public name is registered, and
   the edge-case tests tell you where the op and torch part ways.
"""

from __future__ import annotations

import copy
import inspect
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import settings
from hypothesis import strategies as st

from cnnlib import numpy_ops, shapes, torch_ops
from strategies import (Sample, adaptive_avg_pool2d_samples, any_conv_call, any_pad_call,
                        any_pool_call, batch_norm_samples, contrastive_samples, conv_samples,
                        conv_transpose_samples, cosine_similarity_samples, cross_entropy_samples,
                        dropout_samples, elementwise_samples, linear_samples,
                        local_response_norm_samples, pad_samples, pairwise_distance_samples,
                        pool_samples, softmax_samples, triplet_samples, volume_samples,
                        box_samples, roi_align_weights_samples, roi_samples,
                        style_cost_samples)

#: Hypothesis examples per test, from the conftest profile (CNNLIB_EXAMPLES, 150 by default).
EXAMPLES = settings().max_examples
#: The 1-, 2- and 3-D variants of an op share one profile's worth of examples.
PER_DIM = max(EXAMPLES // 3, 1)

FLOAT_DTYPES = ("float32", "float64")
TORCH_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
ALL_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
              "float32", "float64")

#: (rtol, atol) per dtype; atol grows with the sample's scale.
TOLERANCES = {"float16": (1e-2, 1e-2), "bfloat16": (5e-2, 5e-2), "float32": (2e-4, 2e-4),
              "float64": (1e-9, 1e-9)}


@dataclass(frozen=True)
class Bad:
    """A call that must raise ``error`` with ``fragment`` in its message (and the op's name).

    ``backward`` calls ``<op>_backward`` instead; ``torch_rejects`` says whether
    ``torch.nn.functional`` rejects the same call too (it does, mostly).
    """

    args: tuple
    kwargs: dict
    error: type
    fragment: str
    backward: bool = False
    torch_rejects: bool = True


@dataclass(frozen=True)
class Deviation:
    """Calls (``applies(args, kwargs)`` on the NumPy-side arguments) that torch answers and the
    op rejects on purpose, with a clear ``ValueError``/``TypeError``; ``reason`` says why."""

    reason: str
    applies: Callable[[tuple, dict], bool]


@dataclass(frozen=True)
class KnownBug:
    """A wrong answer (or a crash) of one twin, ``"numpy"`` or ``"torch"``, still to fix.

    The edge-case tests leave the twin's answer unchecked where ``applies`` (pytest's
    non-strict ``xfail``); the entry goes once the op is fixed.
    """

    reason: str
    namespace: str
    applies: Callable[[tuple, dict], bool]
    backward_only: bool = False


@dataclass(frozen=True)
class OpInfo:
    name: str
    oracle: Callable
    samples: st.SearchStrategy
    grads: tuple[int, ...] = ()
    examples: int = EXAMPLES
    fd_examples: int = 0
    bad: tuple[Bad, ...] = ()
    wild: st.SearchStrategy | None = None
    wild_examples: int = EXAMPLES
    numpy_dtypes: tuple[str, ...] = FLOAT_DTYPES
    torch_dtypes: tuple[str, ...] = TORCH_FLOAT_DTYPES
    deviations: tuple[Deviation, ...] = ()
    known_bugs: tuple[KnownBug, ...] = field(default_factory=tuple)

    @property
    def numpy(self):
        return getattr(numpy_ops, self.name)

    @property
    def torch(self):
        return getattr(torch_ops, self.name)

    @property
    def numpy_backward(self):
        return getattr(numpy_ops, self.name + "_backward", None)

    @property
    def torch_backward(self):
        return getattr(torch_ops, self.name + "_backward", None)

    def backward_kwargs(self, kwargs: dict) -> dict:
        """The forward's keyword arguments that ``<op>_backward`` takes too."""
        params = inspect.signature(self.numpy_backward).parameters
        return {k: v for k, v in kwargs.items() if k in params}

    def deviation(self, args, kwargs) -> Deviation | None:
        return next((d for d in self.deviations if d.applies(args, kwargs)), None)

    def known_bug(self, namespace, args, kwargs, backward=False) -> KnownBug | None:
        return next((b for b in self.known_bugs if b.namespace == namespace
                     and (backward or not b.backward_only) and b.applies(args, kwargs)), None)

    def __repr__(self):   # the test ids
        return self.name


# --- shared pieces of the entries ----------------------------------------------------------------

X4 = np.zeros((1, 3, 5, 5), np.float32)
W4 = np.zeros((4, 3, 3, 3), np.float32)


def _arr(*shape, dtype=np.float32):
    return np.zeros(shape, dtype)


def _empty_non_batch(nd):
    """The input has a zero-size channel or spatial axis (NumPy-side arguments)."""
    def applies(args, kwargs):
        x = args[0]
        return isinstance(x, np.ndarray) and x.ndim in (nd + 1, nd + 2) and \
            0 in x.shape[x.ndim - nd - 1:]
    return applies


def _conv_deviations(nd):
    return (Deviation(
        "an input with an empty channel or spatial axis: torch returns an empty result with a "
        "shape of its own when the batch (or the channel axis) is empty too, and rejects it "
        "otherwise; cnnlib always rejects it, as torch's pooling does", _empty_non_batch(nd)),)


def _conv_known_bugs(nd, transposed):
    """Bugs of the NumPy convolutions (numpy_ops/conv.py and its fast kernel, the conv branch's)."""
    def non_finite(*positions):
        def applies(args, kwargs):
            return any(isinstance(args[i], np.ndarray) and args[i].dtype.kind == "f"
                       and not np.isfinite(args[i]).all() for i in positions)
        return applies

    bugs = [KnownBug("NaN or infinity in the input or the weight: the fast kernel's backward "
                     "multiplies them by the zeros of its thrown-away columns, and the gather "
                     "form of the adjoint multiplies the weight by the zeros it stuffs in, so "
                     "NaN spreads to gradients torch leaves finite", "numpy", non_finite(0, 1),
                     backward_only=True)]
    if transposed:
        bugs.append(KnownBug("a NaN or infinite weight: the gather form of the transposed "
                             "convolution multiplies it by the zeros it stuffs in, so NaN "
                             "spreads to outputs torch leaves finite", "numpy", non_finite(1)))
    return tuple(bugs)


def _window_in_padding(nd):
    """Some max-pooling window's taps all fall in the padding (dilation skips the input)."""
    def per_axis(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd

    def applies(args, kwargs):
        x = args[0]
        if not isinstance(x, np.ndarray) or x.ndim not in (nd + 1, nd + 2):
            return False
        kernel = per_axis(kwargs["kernel_size"])
        stride = per_axis(kwargs.get("stride") or kwargs["kernel_size"])
        padding, dilation = per_axis(kwargs.get("padding", 0)), per_axis(kwargs.get("dilation", 1))
        for n, k, p, s, d in zip(x.shape[-nd:], kernel, stride, padding, dilation):
            try:
                out = shapes.output_size(n, k, p, s, d, kwargs.get("ceil_mode", False))
            except (ValueError, TypeError):
                return False
            if any(not any(p <= o * s + i * d < p + n for i in range(k)) for o in range(out)):
                return True
        return False
    return applies


def _max_pool_deviations(nd):
    return (Deviation(
        "a window whose taps all fall in the padding (dilation larger than the input): torch "
        "answers -inf with an index outside the input, and its backward sends the gradient "
        "there; cnnlib rejects the call", _window_in_padding(nd)),)


CONV_BAD = {
    2: (
        Bad((X4[0, 0], W4), {}, ValueError, "input expects a 3-D or 4-D"),
        Bad((X4, W4[0]), {}, ValueError, "weight expects a 4-D"),
        Bad((_arr(1, 4, 5, 5), W4), {}, ValueError,
            "weight expects 3 input channels per group, input has 4 (groups=1)"),
        Bad((X4, W4), {"groups": 2}, ValueError, "groups=2"),
        Bad((X4, W4), {"groups": 0}, ValueError, "groups must be positive"),
        Bad((X4, W4), {"groups": 1.0}, TypeError, "groups must be an int"),
        Bad((_arr(1, 4, 5, 5), _arr(6, 4, 3, 3)), {"groups": 3}, ValueError,
            "input has 4 channels, not divisible by groups=3"),
        Bad((X4, W4), {"stride": 0}, ValueError, "stride must be positive"),
        Bad((X4, W4), {"dilation": 0}, ValueError, "dilation must be positive"),
        Bad((X4, W4), {"padding": -1}, ValueError, "padding must be non-negative"),
        Bad((X4, W4), {"padding": "full"}, ValueError, "padding must be one of 'valid', 'same'"),
        Bad((X4, W4), {"padding": "same", "stride": 2}, ValueError, "strided"),
        Bad((X4, _arr(4, 3, 7, 7)), {}, ValueError, "larger than the padded"),
        Bad((X4, W4, _arr(5)), {}, ValueError, "bias has 5 elements"),
        Bad((X4.astype(np.float64), W4), {}, TypeError, "dtype"),
        Bad((X4.astype(np.int64), W4), {}, TypeError, "dtype float32 or float64"),
        Bad((X4.tolist(), W4), {}, TypeError, "input must be"),
        Bad((X4, W4), {"stride": (1, 2, 3)}, TypeError, "stride must be an int or a sequence"),
        Bad((X4, W4), {"stride": 1.5}, TypeError, "stride"),
        Bad((X4, W4), {"stride": True}, TypeError, "stride", torch_rejects=False),
        Bad((_arr(1, 0, 5, 5), _arr(4, 0, 3, 3)), {}, ValueError,
            "only the batch axis may be empty", torch_rejects=False),
        Bad((X4, _arr(0, 3, 3, 3)), {}, ValueError, "every axis of the weight"),
        Bad((_arr(1, 4, 2, 2), X4, W4), {}, ValueError, "grad_output has shape", backward=True),
        Bad((_arr(1, 4, 3, 3, dtype=np.float64), X4, W4), {}, TypeError,
            "grad_output has dtype float64", backward=True),
    ),
}

CONV_TRANSPOSE_BAD = {
    2: (
        Bad((X4, _arr(4, 2, 3, 3)), {}, ValueError, "weight expects 4 input channels, input has 3"),
        Bad((X4, _arr(3, 2, 3, 3)), {"output_padding": 1}, ValueError,
            "output_padding must be smaller than stride or dilation"),
        Bad((X4, _arr(3, 2, 3, 3)), {"padding": 9}, ValueError, "too large"),
        Bad((X4, _arr(3, 2, 3, 3)), {"padding": "same"}, TypeError, "padding must be an int"),
        Bad((X4, _arr(3, 2, 3, 3), _arr(3)), {"groups": 3}, ValueError, "bias has 3 elements"),
        Bad((X4, _arr(3, 0, 3, 3)), {}, ValueError, "every axis of the weight"),
    ),
}

MAX_POOL_BAD = {
    1: (
        Bad((_arr(5), 2), {}, ValueError, "2-D or 3-D"),
        Bad((_arr(1, 1, 5, 5), 2), {}, ValueError, "2-D or 3-D"),
        Bad((_arr(1, 0, 5), 2), {}, ValueError, "only the batch axis may be empty"),
        Bad((_arr(0, 5), 2), {}, ValueError, "no axis may be empty"),
        Bad((_arr(1, 1, 5), 2), {"return_indices": 1}, TypeError, "return_indices must be a bool",
            torch_rejects=False),
    ),
    2: (
        Bad((X4, 2), {"padding": 2}, ValueError, "at most half of kernel_size"),
        Bad((X4, 7), {}, ValueError, "larger than the padded"),
        Bad((X4, 0), {}, ValueError, "kernel_size must be positive"),
        Bad((X4[0, 0, 0], 2), {}, ValueError, "3-D or 4-D"),
        Bad((X4, 2), {"ceil_mode": 1}, TypeError, "ceil_mode must be a bool",
            torch_rejects=False),
        Bad((_arr(1, 3, 3, 3), X4, 2), {}, ValueError, "grad_output has shape", backward=True),
        Bad((_arr(1, 1, 1, 4), (2, 2)), {"padding": 1, "dilation": 2}, ValueError,
            "covers only padding", torch_rejects=False),
    ),
    3: (
        Bad((_arr(1, 1, 0, 4, 4), 2), {}, ValueError, "only the batch axis may be empty"),
        Bad((_arr(1, 0, 4, 4, 4), 2), {}, ValueError, "only the batch axis may be empty"),
    ),
}

AVG_POOL_BAD = {
    1: (Bad((_arr(1, 0, 5), 2), {}, ValueError, "only the batch axis may be empty"),),
    2: (
        Bad((X4, 2), {"divisor_override": 0}, ValueError, "divisor_override"),
        Bad((X4, 2), {"divisor_override": 1.5}, TypeError, "divisor_override must be an int"),
        Bad((X4, 2), {"count_include_pad": None}, TypeError, "count_include_pad must be a bool",
            torch_rejects=False),
    ),
    3: (
        Bad((_arr(1, 1, 1, 4, 4), 2), {"padding": 1}, ValueError, "smaller than kernel_size"),
    ),
}


# --- oracles in plain torch, for the ops torch.nn.functional does not have -----------------------

def _reduce(losses, reduction):
    return {"none": lambda: losses, "sum": losses.sum, "mean": losses.mean}[reduction]()


def triplet_loss_oracle(anchor, positive, negative, margin=0.2, squared=True, reduction="mean"):
    """The course's triplet loss: squared Euclidean distances (or the distances), hinged
    (only triplets with a positive loss pass a gradient)."""
    if squared:
        dp, dn = ((anchor - positive) ** 2).sum(-1), ((anchor - negative) ** 2).sum(-1)
    else:
        dp = torch.linalg.vector_norm(anchor - positive, dim=-1)
        dn = torch.linalg.vector_norm(anchor - negative, dim=-1)
    return _reduce(F.relu(dp - dn + margin), reduction)   # no gradient at the kink


def contrastive_loss_oracle(x1, x2, target, margin=1.0, eps=1e-6, reduction="mean"):
    """Hadsell et al.'s loss, 1 meaning "same": y d^2 / 2 + (1 - y) max(m - d, 0)^2 / 2."""
    d = F.pairwise_distance(x1, x2, 2.0, eps)
    y = target.to(d.dtype)
    return _reduce(0.5 * y * d ** 2 + 0.5 * (1 - y) * torch.clamp_min(margin - d, 0) ** 2,
                   reduction)


def _volumes(*arrays):
    """The course's style-transfer formulas take (C, H, W) or (N, C, H, W) activations."""
    for a in arrays:
        if a.ndim not in (3, 4):
            raise ValueError(f"a {a.ndim}-D activation volume")
    if len({tuple(a.shape) for a in arrays}) > 1:
        raise ValueError("activation volumes of different shapes")
    return arrays[0].ndim == 4


def _reduce_batch(per, reduction, batched):
    """One cost per image, reduced over the batch; an unbatched volume gives its own cost."""
    return _reduce(per, reduction) if batched else per[0]


def gram_matrix_oracle(input):
    _volumes(input)
    return torch.einsum("...khw,...lhw->...kl", input, input)


def content_cost_oracle(input, target, reduction="mean"):
    """J_content = sum (a_C - a_G)^2 / (4 n_H n_W n_C), per image."""
    batched = _volumes(input, target)
    a, c = (input, target) if batched else (input[None], target[None])
    n_c, n_h, n_w = a.shape[1:]
    per = ((c - a) ** 2).sum(dim=(1, 2, 3)) / (4 * n_h * n_w * n_c)
    return _reduce_batch(per, reduction, batched)


def style_layer_cost_oracle(input, target, reduction="mean"):
    """J_style^[l] = sum (G_S - G_G)^2 / (2 n_H n_W n_C)^2, per image."""
    batched = _volumes(input, target)
    a, s = (input, target) if batched else (input[None], target[None])
    n_c, n_h, n_w = a.shape[1:]
    per = ((gram_matrix_oracle(s) - gram_matrix_oracle(a)) ** 2).sum(dim=(1, 2)) / \
        (2 * n_h * n_w * n_c) ** 2
    return _reduce_batch(per, reduction, batched)


def style_cost_oracle(inputs, targets, weights=None, reduction="mean"):
    """sum_l lambda_l J_style^[l], lambda_l = 1/L by default."""
    if not isinstance(inputs, list) or not isinstance(targets, list) or not inputs or \
            len(inputs) != len(targets):
        raise ValueError("one target per layer, at least one layer")
    if len({a.shape[:-3] for a in inputs}) > 1:
        raise ValueError("layers of different batches")
    weights = [1 / len(inputs)] * len(inputs) if weights is None else weights
    if len(weights) != len(inputs) or min(weights) < 0:
        raise ValueError("one non-negative weight per layer")
    return sum(w * style_layer_cost_oracle(a, s, reduction)
               for w, a, s in zip(weights, inputs, targets))


def total_variation_oracle(input, reduction="mean"):
    """The summed squared differences between vertical and horizontal neighbours, per image."""
    batched = _volumes(input)
    x = input if batched else input[None]
    per = ((x[:, :, 1:] - x[:, :, :-1]) ** 2).sum(dim=(1, 2, 3)) + \
        ((x[..., 1:] - x[..., :-1]) ** 2).sum(dim=(1, 2, 3))
    return _reduce_batch(per, reduction, batched)


def _any_empty(args, kw):
    return any(isinstance(a, np.ndarray) and 0 in a.shape for a in args)


EMPTY_VOLUME = Deviation("an empty axis: an activation volume has at least one image, channel "
                         "and pixel, and the formulas would answer 0 or NaN for nothing",
                         _any_empty)


# Boxes: brute-force references (there is no torchvision here). They take what the ops' docs
# promise: (N, 4) floating boxes of finite coordinates, valid in their format, one dtype.

def _boxes(*sets, fmt="xyxy"):
    for b in sets:
        if not b.is_floating_point():
            raise TypeError("boxes must be floating")
        if b.ndim != 2 or b.shape[1] != 4:
            raise ValueError(f"boxes of shape {tuple(b.shape)}, not (N, 4)")
        if not torch.isfinite(b).all():
            raise ValueError("non-finite box coordinates")
        low = b[:, :2] if fmt == "xyxy" else torch.zeros_like(b[:, :2])
        high = b[:, 2:]
        if (high < low).any():
            raise ValueError("a box with x2 < x1, y2 < y1 or a negative size")
    if len({b.dtype for b in sets}) > 1:
        raise TypeError("boxes of different dtypes")


def _xyxy(b, fmt):
    if fmt == "xyxy":
        return b
    x, y, w, h = b.unbind(1)
    if fmt == "xywh":
        return torch.stack([x, y, x + w, y + h], 1)
    return {"cxcywh": lambda: torch.stack([x - w / 2, y - h / 2, x + w / 2, y + h / 2], 1)}[fmt]()


def box_convert_oracle(boxes, in_fmt, out_fmt):
    for f in (in_fmt, out_fmt):
        if f not in ("xyxy", "xywh", "cxcywh"):
            raise ValueError(f"unknown format {f!r}")
    _boxes(boxes, fmt=in_fmt)
    x1, y1, x2, y2 = _xyxy(boxes, in_fmt).unbind(1)
    return {"xyxy": lambda: torch.stack([x1, y1, x2, y2], 1),
            "xywh": lambda: torch.stack([x1, y1, x2 - x1, y2 - y1], 1),
            "cxcywh": lambda: torch.stack([x1 + (x2 - x1) / 2, y1 + (y2 - y1) / 2, x2 - x1,
                                           y2 - y1], 1)}[out_fmt]()


def box_area_oracle(boxes, fmt="xyxy"):
    b = _xyxy(box_convert_oracle(boxes, fmt, fmt), fmt)
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def _iou_one(a, b):
    """IoU of two 'xyxy' boxes, one at a time: overlap clamped at 0, 0 for an empty union."""
    iw = torch.clamp_min(torch.minimum(a[2], b[2]) - torch.maximum(a[0], b[0]), 0)
    ih = torch.clamp_min(torch.minimum(a[3], b[3]) - torch.maximum(a[1], b[1]), 0)
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else torch.zeros((), dtype=a.dtype)


def box_iou_oracle(boxes1, boxes2, fmt="xyxy"):
    box_convert_oracle(boxes1, fmt, fmt), box_convert_oracle(boxes2, fmt, fmt)
    _boxes(boxes1, boxes2, fmt=fmt)
    a, b = _xyxy(boxes1, fmt), _xyxy(boxes2, fmt)
    out = torch.zeros(len(a), len(b), dtype=a.dtype)
    for i in range(len(a)):
        for j in range(len(b)):
            out[i, j] = _iou_one(a[i], b[j])
    return out


def box_iou_pairwise_oracle(boxes1, boxes2, fmt="xyxy"):
    if len(boxes1) != len(boxes2):
        raise ValueError("pairwise IoU of sets of different sizes")
    return torch.diagonal(box_iou_oracle(boxes1, boxes2, fmt)).clone()


def clip_boxes_to_image_oracle(boxes, size):
    _boxes(boxes)
    h, w = size
    if min(h, w) < 0:
        raise ValueError("a negative image size")
    x = boxes[:, 0::2].clamp(0, w)
    y = boxes[:, 1::2].clamp(0, h)
    return torch.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], 1)


def batched_nms_oracle(boxes, scores, idxs, iou_threshold):
    """The greedy loop: best score first (ties in input order), each kept box removes the
    boxes of its class that overlap it by more than the threshold."""
    _boxes(boxes)
    if not 0 <= iou_threshold <= 1:
        raise ValueError("iou_threshold outside [0, 1]")
    if scores.ndim != 1 or len(scores) != len(boxes) or idxs.ndim != 1 or \
            len(idxs) != len(boxes) or not torch.isfinite(scores).all():
        raise ValueError("one finite score and one class per box")
    if idxs.is_floating_point() or not scores.is_floating_point():
        raise TypeError("floating scores and integer classes")
    iou = box_iou_oracle(boxes, boxes)
    order = sorted(range(len(boxes)), key=lambda i: (-float(scores[i]), i))
    keep, removed = [], torch.zeros(len(boxes), dtype=torch.bool)
    for i in order:
        if not removed[i]:
            keep.append(i)
            removed |= (iou[i] > iou_threshold) & (idxs == idxs[i])
    return torch.tensor(keep, dtype=torch.int64)


def nms_oracle(boxes, scores, iou_threshold):
    return batched_nms_oracle(boxes, scores, torch.zeros(len(boxes), dtype=torch.int64),
                              iou_threshold)


# RoI pooling and RoI align: torchvision's kernels written out sample by sample, in NumPy on the
# tensors' values (so the result carries no autograd graph: finite differences check the NumPy
# backward, and tests/ops/test_roi.py the twin's).

def _roi_inputs(input, rois, output_size, spatial_scale):
    if not input.is_floating_point() or input.ndim != 4 or 0 in input.shape[2:]:
        raise ValueError("input must be a floating (N, C, H, W) map, H, W > 0")
    if rois.dtype != input.dtype or rois.ndim != 2 or rois.shape[1] != 5:
        raise ValueError("rois must be (K, 5) in the dtype of input")
    r = rois.detach().numpy().astype(np.float64)
    if not np.isfinite(r).all() or (r[:, 3] < r[:, 1]).any() or (r[:, 4] < r[:, 2]).any():
        raise ValueError("invalid regions")
    if ((r[:, 0] != np.round(r[:, 0])) | (r[:, 0] < 0) | (r[:, 0] >= len(input))).any():
        raise ValueError("a batch index that names no image")
    size = (output_size,) * 2 if isinstance(output_size, int) else tuple(output_size)
    if len(size) != 2 or min(size) < 1 or not spatial_scale > 0:
        raise ValueError("bad output_size or spatial_scale")
    return input.detach().numpy().astype(np.float64), r, size


def _bilinear(img, y, x):
    """torchvision's bilinear read at (y, x): 0 beyond one cell outside, clamped at the border."""
    h, w = img.shape[-2:]
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return np.zeros(img.shape[:-2])
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
    if y0 >= h - 1:
        y0, y = h - 1, float(h - 1)
    if x0 >= w - 1:
        x0, x = w - 1, float(w - 1)
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * img[..., y0, x0] + (1 - ly) * lx * img[..., y0, x1]
            + ly * (1 - lx) * img[..., y1, x0] + ly * lx * img[..., y1, x1])


def roi_align_oracle(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1,
                     aligned=False):
    x, rois, (ph_n, pw_n) = _roi_inputs(input, boxes, output_size, spatial_scale)
    out = np.zeros((len(rois), x.shape[1], ph_n, pw_n))
    off = 0.5 if aligned else 0.0
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        sx, sy = x1 * spatial_scale - off, y1 * spatial_scale - off
        rw, rh = x2 * spatial_scale - off - sx, y2 * spatial_scale - off - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph_n, rw / pw_n
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / ph_n)
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / pw_n)
        for ph in range(ph_n):
            for pw in range(pw_n):
                total = 0.0
                for iy in range(gh):
                    for ix in range(gw):
                        total = total + _bilinear(x[int(b)], sy + ph * bh + (iy + 0.5) * bh / gh,
                                                  sx + pw * bw + (ix + 0.5) * bw / gw)
                out[k, :, ph, pw] = total / max(gh * gw, 1)
    return torch.from_numpy(out).to(input.dtype)


def _c_round(v):
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def roi_pool_oracle(input, boxes, output_size, spatial_scale=1.0):
    x, rois, (ph_n, pw_n) = _roi_inputs(input, boxes, output_size, spatial_scale)
    _, c, h, w = x.shape
    out = np.zeros((len(rois), c, ph_n, pw_n))
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        sx, sy, ex, ey = (_c_round(v * spatial_scale) for v in (x1, y1, x2, y2))
        rw, rh = max(ex - sx + 1, 1), max(ey - sy + 1, 1)
        for ph in range(ph_n):
            for pw in range(pw_n):
                hs = min(max(math.floor(ph * rh / ph_n) + sy, 0), h)
                he = min(max(math.ceil((ph + 1) * rh / ph_n) + sy, 0), h)
                ws = min(max(math.floor(pw * rw / pw_n) + sx, 0), w)
                we = min(max(math.ceil((pw + 1) * rw / pw_n) + sx, 0), w)
                for ch in range(c):
                    best = 0.0 if he <= hs or we <= ws else -np.finfo(np.float32).max
                    for i in range(hs, he):
                        for j in range(ws, we):
                            if x[int(b), ch, i, j] > best:     # as torchvision: NaN never wins
                                best = x[int(b), ch, i, j]
                    out[k, ch, ph, pw] = best
    return torch.from_numpy(out).to(input.dtype)


def _sample_weights(v, size):
    """The weights of one bilinear read at coordinate ``v`` on the cells of one axis."""
    weights = [0.0] * size
    if v < -1.0 or v > size:
        return weights
    v = max(v, 0.0)
    low = int(v)
    if low >= size - 1:
        weights[size - 1] += 1.0
        return weights
    weights[low] += 1.0 - (v - low)
    weights[low + 1] += v - low
    return weights


def roi_align_weights_oracle(box, output_size, height, width, spatial_scale=1.0,
                             sampling_ratio=-1, aligned=False):
    """Row p of A: the mean, over the bin's sample rows, of their bilinear weights on each row
    of the map (and B for columns), from the sample positions of torchvision's kernel."""
    if box.ndim != 1 or box.shape[0] != 4 or not box.is_floating_point():
        raise ValueError("box must be a floating (4,) array")
    x1, y1, x2, y2 = (float(v) * spatial_scale - (0.5 if aligned else 0.0) for v in box)
    if not all(map(math.isfinite, (x1, y1, x2, y2))) or x2 < x1 or y2 < y1:
        raise ValueError("an invalid box")
    size = (output_size,) * 2 if isinstance(output_size, int) else tuple(output_size)
    if min(size) < 1 or min(height, width) < 1:
        raise ValueError("bad output_size, height or width")
    mats = []
    for start, length, bins, n in ((y1, y2 - y1, size[0], height), (x1, x2 - x1, size[1], width)):
        length = length if aligned else max(length, 1.0)
        grid = sampling_ratio if sampling_ratio > 0 else math.ceil(length / bins)
        rows = []
        for p in range(bins):
            row = [0.0] * n
            for i in range(grid):
                w = _sample_weights(start + (p + (i + 0.5) / grid) * length / bins, n)
                row = [r + wi / grid for r, wi in zip(row, w)]
            rows.append(row)
        mats.append(torch.tensor(rows, dtype=box.dtype).reshape(bins, n))
    return tuple(mats)


def _scalars(args, kw):
    """Both arguments are 0-D."""
    return all(isinstance(a, np.ndarray) and a.ndim == 0 for a in args[:2])


def _different_shapes(n):
    """The first ``n`` arguments (the embeddings) differ in shape."""
    return lambda args, kw: len({np.shape(a) for a in args[:n]}) > 1


TWO_SCALARS = Deviation("two 0-D arguments: torch treats them as vectors of one element; an "
                        "embedding has an axis of features", _scalars)


def _non_finite(args, kw):
    return any(isinstance(a, np.ndarray) and a.dtype.kind == "f" and not np.isfinite(a).all()
               for a in args)


NON_FINITE_TRIPLET_BACKWARD = KnownBug(
    "NaN or infinity in an embedding: the NumPy backward masks inactive triplets and zero "
    "distances with np.where, so a NaN stays out of gradients that torch's chain rule "
    "(0 * NaN) fills with NaN, and np.sign(NaN) is NaN where torch's sign is 0", "numpy",
    _non_finite, backward_only=True)


def _rank_not(*ranks):
    """Some array argument has a rank outside ``ranks``."""
    return lambda args, kw: any(isinstance(a, np.ndarray) and a.ndim not in ranks
                                for a in args)


# --- the table -----------------------------------------------------------------------------------

OPS = [
    # numpy_ops.basic
    OpInfo("pad", oracle=F.pad, samples=pad_samples(), wild=any_pad_call(),
           numpy_dtypes=ALL_DTYPES, torch_dtypes=ALL_DTYPES, deviations=(
               Deviation("negative (cropping) amounts with mode='circular': torch crops first "
                         "and then wraps around the cropped part, reading memory past the input "
                         "for some amounts", lambda args, kw: kw.get("mode") == "circular"
                         and min(args[1], default=0) < 0),),
           bad=(
               Bad((X4, (1,)), {}, ValueError, "even length"),
               Bad((X4, (1, 1)), {"mode": "mirror"}, ValueError, "mode must be one of"),
               Bad((X4, (5, 5, 0, 0)), {"mode": "reflect"}, ValueError,
                   "reflect padding must be smaller"),
               Bad((X4, (-6, 0)), {}, ValueError, "crops more than"),
               Bad((X4, (1, 1.5)), {}, TypeError, "pad must be a tuple of ints"),
               Bad((X4, (1, 1)), {"value": "zero"}, TypeError, "value must be a number"),
               Bad((X4, (1, 1)), {"mode": "reflect", "value": 2.0}, ValueError,
                   "value is only used with mode='constant'"),
               Bad((X4 > 0, (1, 1)), {"mode": "replicate"}, TypeError, "does not pad bool"),
               Bad((X4[0], (-3, -2)), {"mode": "replicate"}, ValueError, "leaves nothing"),
               Bad((_arr(3, 0, 5), (1, 1)), {"mode": "reflect"}, ValueError,
                   "only the batch axis may be empty"),
           )),
    OpInfo("relu", oracle=F.relu, samples=elementwise_samples(), grads=(0,), fd_examples=25,
           bad=(
               Bad((X4.astype(np.int64),), {}, TypeError, "dtype float32 or float64",
                   torch_rejects=False),
               Bad((X4,), {"inplace": "yes"}, TypeError, "inplace must be a bool",
                   torch_rejects=False),
               Bad((X4[0], X4), {}, ValueError, "grad_output has shape", backward=True),
           )),
    OpInfo("softmax", oracle=F.softmax, samples=softmax_samples(), grads=(0,), bad=(
        Bad((X4, 9), {}, ValueError, "dim=9 is out of range"),
        Bad((X4, 1.0), {}, TypeError, "dim must be an int"),
        Bad((X4, 1), {"dtype": np.int64}, TypeError, "dtype must be"),
    )),
    OpInfo("log_softmax", oracle=F.log_softmax, samples=softmax_samples(), grads=(0,), bad=(
        Bad((X4, -5), {}, ValueError, "dim=-5 is out of range"),
        Bad((X4.astype(np.int32), 1), {}, TypeError, "dtype float32 or float64"),
    )),
    OpInfo("linear", oracle=F.linear, samples=linear_samples(), grads=(0, 1, 2), fd_examples=25,
           bad=(
               Bad((X4, _arr(2, 4)), {}, ValueError, "input has 5 features"),
               Bad((_arr(3, 4), _arr(2, 4), _arr(3)), {}, ValueError, "bias has 3 elements"),
               Bad((_arr(3, 4), _arr(2, 2, 4)), {}, ValueError, "weight expects a 1-D or 2-D"),
               Bad((_arr(), _arr(2, 4)), {}, ValueError, "input must have at least 1 dimension"),
               Bad((_arr(3, 3), _arr(3, 4), _arr(2, 4)), {}, ValueError, "grad_output has shape",
                   backward=True),
           )),
    OpInfo("cross_entropy", oracle=F.cross_entropy, samples=cross_entropy_samples(), grads=(0,),
           fd_examples=25, deviations=(
               Deviation("torch's K-dimensional loss, (N, C, d1, ...) logits: the course's loss "
                         "takes (C,) or (N, C)", lambda args, kw: np.ndim(args[0]) > 2),),
           bad=(
               Bad((_arr(2, 3), np.array([0.0, 1.0])), {}, TypeError, "target must be an integer",
                   torch_rejects=False),
               Bad((_arr(2, 3), np.array([0, 3])), {}, ValueError, "outside [0, 2]"),
               Bad((_arr(2, 3), np.array([0, 1], np.int32)), {}, TypeError, "dtype int64"),
               Bad((_arr(2, 3), np.array([0, 1, 2])), {}, ValueError, "target has shape (3,)"),
               Bad((_arr(2, 3), np.array([0, 1])), {"reduction": "max"}, ValueError,
                   "reduction must be one of"),
               Bad((_arr(2), _arr(2, 3), np.array([0, 1])), {}, ValueError,
                   "grad_output has shape", backward=True),
           )),

    # numpy_ops.conv: the 1-, 2- and 3-D variants share one profile's worth of examples
    *[OpInfo(f"conv{nd}d", oracle=getattr(F, f"conv{nd}d"), samples=conv_samples(nd),
             grads=(0, 1, 2), examples=PER_DIM, fd_examples=(12, 13, 0)[nd - 1],
             wild=any_conv_call(nd) if nd < 3 else None, wild_examples=EXAMPLES // 2,
             bad=CONV_BAD.get(nd, ()), deviations=_conv_deviations(nd),
             known_bugs=_conv_known_bugs(nd, False))
      for nd in (1, 2, 3)],
    *[OpInfo(f"conv_transpose{nd}d", oracle=getattr(F, f"conv_transpose{nd}d"),
             samples=conv_transpose_samples(nd), grads=(0, 1, 2), examples=PER_DIM,
             fd_examples=(12, 13, 0)[nd - 1], bad=CONV_TRANSPOSE_BAD.get(nd, ()),
             deviations=_conv_deviations(nd), known_bugs=_conv_known_bugs(nd, True))
      for nd in (1, 2, 3)],

    # numpy_ops.pool
    *[OpInfo(f"max_pool{nd}d", oracle=getattr(F, f"max_pool{nd}d"),
             samples=pool_samples("max", nd), grads=(0,), examples=PER_DIM,
             fd_examples=(12, 13, 0)[nd - 1], wild=any_pool_call("max", nd),
             wild_examples=PER_DIM // 2, bad=MAX_POOL_BAD.get(nd, ()),
             deviations=_max_pool_deviations(nd))
      for nd in (1, 2, 3)],
    *[OpInfo(f"avg_pool{nd}d", oracle=getattr(F, f"avg_pool{nd}d"),
             samples=pool_samples("avg", nd), grads=(0,), examples=PER_DIM,
             fd_examples=(12, 13, 0)[nd - 1], wild=any_pool_call("avg", nd),
             wild_examples=PER_DIM // 2, bad=AVG_POOL_BAD.get(nd, ()))
      for nd in (1, 2, 3)],

    # numpy_ops.adaptive_pool
    OpInfo("adaptive_avg_pool2d", oracle=F.adaptive_avg_pool2d,
           samples=adaptive_avg_pool2d_samples(), grads=(0,), fd_examples=25, deviations=(
               Deviation("output_size 1 on an input that is not 3-D or 4-D: torch's shortcut "
                         "for global pooling (a mean over the last two axes) takes any input "
                         "of 2 or more axes, its kernel for every other size only (C, H, W) "
                         "and (N, C, H, W); cnnlib takes those two for every size",
                         lambda args, kw: isinstance(args[0], np.ndarray)
                         and args[0].ndim not in (3, 4)),
               Deviation("an empty channel or spatial axis: torch's forward returns an empty "
                         "result (or NaN, from its global-pooling shortcut) where its backward "
                         "rejects the same input; cnnlib rejects it, as its other poolings do",
                         _empty_non_batch(2)),
           ), bad=(
               Bad((_arr(4, 4), 2), {}, ValueError, "3-D or 4-D"),
               Bad((X4, 0), {}, ValueError, "output_size must be positive", torch_rejects=False),
               Bad((X4, (1, 2, 3)), {}, TypeError, "output_size must be an int or a pair"),
               Bad((X4, 2.0), {}, TypeError, "output_size"),
               Bad((X4, None), {}, TypeError, "output_size must be an int or a pair"),
               Bad((_arr(1, 0, 5, 5), 2), {}, ValueError, "only the batch axis may be empty",
                   torch_rejects=False),
               Bad((_arr(1, 3, 3, 3), X4, 2), {}, ValueError, "grad_output has shape",
                   backward=True),
           )),

    # numpy_ops.norm
    OpInfo("batch_norm", oracle=F.batch_norm, samples=batch_norm_samples(), grads=(0, 3, 4),
           fd_examples=25, bad=(
               Bad((X4[0, 0, 0], None, None), {"training": True}, ValueError,
                   "at least 2 dimensions"),
               Bad((X4, None, None), {}, ValueError, "running_mean is required in evaluation"),
               Bad((X4, _arr(4), _arr(3)), {}, ValueError,
                   "running_mean has 4 elements, input has 3 channels"),
               Bad((X4, _arr(3), _arr(3), _arr(3, dtype=np.float64)), {}, TypeError,
                   "weight has dtype float64", torch_rejects=False),
               Bad((X4[:, :, :1, :1], None, None), {"training": True}, ValueError,
                   "more than 1 value per channel"),
               Bad((X4, _arr(3), _arr(3)), {"training": 1}, TypeError,
                   "training must be a bool", torch_rejects=False),
               Bad((X4, _arr(3), _arr(3)), {"eps": -1.0}, ValueError, "eps must lie in",
                   torch_rejects=False),
               Bad((X4[0], X4, _arr(3), _arr(3)), {}, ValueError, "grad_output has shape",
                   backward=True),
           )),
    OpInfo("local_response_norm", oracle=F.local_response_norm,
           samples=local_response_norm_samples(), grads=(0,), fd_examples=25, bad=(
               Bad((X4[0, 0], 3), {}, ValueError, "at least 3 dimensions"),
               Bad((X4, 0), {}, ValueError, "size must be positive"),
               Bad((X4, 2.5), {}, TypeError, "size must be an int"),
               Bad((X4[0], X4, 3), {}, ValueError, "grad_output has shape", backward=True),
           )),

    # numpy_ops.regularisation: torch draws its mask from its own generator, so the samples
    # are the calls whose result does not depend on the mask (tests/ops/
    # test_norm_dropout_adaptive.py checks the masks themselves)
    OpInfo("dropout", oracle=lambda input, p=0.5, training=True, inplace=False, generator=None:
           F.dropout(input, p, training, inplace), samples=dropout_samples(), grads=(0,),
           fd_examples=25, bad=(
               Bad((X4, 1.5), {}, ValueError, "p must lie in [0.0, 1.0]"),
               Bad((X4, 0.5), {"training": "yes"}, TypeError, "training must be a bool",
                   torch_rejects=False),
               Bad((X4, 0.5), {"generator": 7}, TypeError, "generator must be a",
                   torch_rejects=False),
               Bad((X4, X4, 0.5), {}, ValueError, "pass the generator", backward=True),
               Bad((X4[0], X4, 0.5), {}, ValueError, "grad_output has shape", backward=True),
           )),
    # numpy_ops.embedding
    OpInfo("pairwise_distance", oracle=F.pairwise_distance, samples=pairwise_distance_samples(),
           grads=(0, 1), fd_examples=25, deviations=(TWO_SCALARS,), bad=(
               Bad((_arr(4, 3), _arr(4, 5)), {}, ValueError, "cannot be broadcast"),
               Bad((_arr(4, 3), _arr(4, 3)), {"p": -1.0}, ValueError, "p must lie in",
                   torch_rejects=False),
               Bad((_arr(4, 3), _arr(4, 3, dtype=np.float64)), {}, TypeError,
                   "x2 has dtype float64", torch_rejects=False),
               Bad((_arr(4, 3), _arr(4, 3)), {"keepdim": 1}, TypeError, "keepdim must be a bool",
                   torch_rejects=False),
               Bad((_arr(3), _arr(4, 3), _arr(4, 3)), {}, ValueError, "grad_output has shape",
                   backward=True),
           )),
    OpInfo("cosine_similarity", oracle=F.cosine_similarity, samples=cosine_similarity_samples(),
           grads=(0, 1), fd_examples=25, deviations=(TWO_SCALARS,), bad=(
               Bad((_arr(4, 3), _arr(4, 3)), {"dim": 2}, ValueError, "dim"),
               Bad((_arr(4, 3), _arr(4, 3)), {"dim": 1.0}, TypeError, "dim must be an int"),
               Bad((_arr(4, 3), _arr(4, 3)), {"eps": -1.0}, ValueError, "eps must lie in",
                   torch_rejects=False),
               Bad((_arr(3), _arr(4, 3), _arr(4, 3)), {}, ValueError, "grad_output has shape",
                   backward=True),
           )),
    OpInfo("triplet_loss", oracle=triplet_loss_oracle, samples=triplet_samples(False),
           grads=(0, 1, 2), fd_examples=25, known_bugs=(NON_FINITE_TRIPLET_BACKWARD,),
           deviations=(
               Deviation("embeddings that are not (N, D) or (D,): the course's loss is over a "
                         "batch of embedding vectors", _rank_not(1, 2)),
               Deviation("anchor, positive and negative of different shapes: torch broadcasts "
                         "them (one positive against a batch of anchors, say); the course's "
                         "triplets come one of each per row, and a mismatch is a bug in the "
                         "batch", _different_shapes(3)),),
           bad=(
               Bad((_arr(4, 3), _arr(4, 3), _arr(3, 3)), {}, ValueError, "same shape",
                   torch_rejects=False),
               Bad((_arr(4, 3),) * 3, {"reduction": "avg"}, ValueError,
                   "reduction must be one of"),
               Bad((_arr(4, 3),) * 3, {"squared": 1}, TypeError, "squared must be a bool",
                   torch_rejects=False),
               Bad((_arr(2, 4, 3),) * 3, {}, ValueError, "anchor expects a 1-D or 2-D",
                   torch_rejects=False),
               Bad((_arr(4), _arr(4, 3), _arr(4, 3), _arr(4, 3)), {"reduction": "mean"},
                   ValueError, "grad_output has shape", backward=True),
           )),
    OpInfo("triplet_margin_loss", oracle=F.triplet_margin_loss, samples=triplet_samples(True),
           grads=(0, 1, 2), fd_examples=25, known_bugs=(NON_FINITE_TRIPLET_BACKWARD,),
           deviations=(
               Deviation("embeddings of more than 2 axes: torch takes any rank; the course's "
                         "loss is over (N, D) or (D,)", _rank_not(1, 2)),
               Deviation("anchor, positive and negative of different shapes: torch broadcasts "
                         "them (one positive against a batch of anchors, say); the course's "
                         "triplets come one of each per row, and a mismatch is a bug in the "
                         "batch", _different_shapes(3)),), bad=(
               Bad((_arr(2, 4, 3),) * 3, {}, ValueError, "anchor expects a 1-D or 2-D",
                   torch_rejects=False),
               Bad((_arr(4, 3),) * 3, {"margin": 0.0}, ValueError, "margin must lie in"),
               Bad((_arr(4, 3),) * 3, {"reduction": "avg"}, ValueError,
                   "reduction must be one of"),
               Bad((_arr(4, 3),) * 3, {"swap": None}, TypeError, "swap must be a bool",
                   torch_rejects=False),
           )),
    OpInfo("contrastive_loss", oracle=contrastive_loss_oracle, samples=contrastive_samples(),
           grads=(0, 1), fd_examples=25, deviations=(
               Deviation("embeddings that are not (N, D) or (D,): the loss is over a batch of "
                         "pairs of embedding vectors", _rank_not(1, 2)),
               Deviation("x1 and x2 of different shapes (or a target that does not match "
                         "them): torch's arithmetic would broadcast them; each pair is one row "
                         "of x1 and the same row of x2, with one label",
                         lambda args, kw: np.shape(args[0]) != np.shape(args[1])
                         or np.shape(args[2]) != np.shape(args[0])[:-1])),
           bad=(
               Bad((_arr(4, 3), _arr(4, 3), np.zeros(3, np.int64)), {}, ValueError,
                   "target has shape"),
               Bad((_arr(4, 3), _arr(4, 3), np.full(4, 2)), {}, ValueError, "only 0",
                   torch_rejects=False),
               Bad((_arr(4, 3), _arr(4, 3), [0, 1, 0, 1]), {}, TypeError, "target must be",
                   torch_rejects=False),
               Bad((_arr(4, 3), _arr(4, 3), np.zeros(4)), {"margin": -1.0}, ValueError,
                   "margin must lie in", torch_rejects=False),
               Bad((_arr(4, 3), _arr(4, 3), np.zeros(4)), {"reduction": "avg"}, ValueError,
                   "reduction must be one of"),
           )),
    # numpy_ops.style: the course's formulas, in plain torch (torch has no such ops)
    OpInfo("gram_matrix", oracle=gram_matrix_oracle,
           samples=volume_samples(1, scale_by_size=True, reduction=False), grads=(0,),
           fd_examples=25, deviations=(EMPTY_VOLUME,), bad=(
               Bad((X4[0, 0],), {}, ValueError, "input expects a 3-D or 4-D"),
               Bad((X4.tolist(),), {}, TypeError, "input must be"),
               Bad((X4.astype(np.int64),), {}, TypeError, "dtype", torch_rejects=False),
               Bad((_arr(2, 0, 4, 4),), {}, ValueError, "empty axis", torch_rejects=False),
               Bad((_arr(1, 4, 4), X4), {}, ValueError,
                   "grad_output has shape (1, 4, 4), the forward output has shape (1, 3, 3)",
                   backward=True),
           )),
    OpInfo("content_cost", oracle=content_cost_oracle, samples=volume_samples(2),
           grads=(0, 1), fd_examples=25, deviations=(EMPTY_VOLUME,), bad=(
               Bad((X4, X4[:, :, :3]), {}, ValueError,
                   "input has shape (1, 3, 5, 5) but target has shape (1, 3, 3, 5)"),
               Bad((X4, X4[:, :2]), {}, ValueError, "same shape"),
               Bad((X4, X4.astype(np.float64)), {}, TypeError, "target has dtype float64",
                   torch_rejects=False),
               Bad((X4, X4), {"reduction": "max"}, ValueError, "reduction must be one of"),
               Bad((_arr(2), X4, X4), {}, ValueError, "grad_output has shape", backward=True),
           )),
    OpInfo("style_layer_cost", oracle=style_layer_cost_oracle, samples=volume_samples(2),
           grads=(0, 1), fd_examples=25, deviations=(EMPTY_VOLUME,), bad=(
               Bad((X4, X4[0]), {}, ValueError, "but target has shape (3, 5, 5)"),
               Bad((_arr(3), X4, X4), {"reduction": "none"}, ValueError,
                   "grad_output has shape", backward=True),
           )),
    # style_cost: lists of layers; the registry checks its value (its backward, per layer, in
    # tests/ops/test_style_ops.py)
    OpInfo("style_cost", oracle=style_cost_oracle, samples=style_cost_samples(), bad=(
        Bad(([X4, X4], [X4]), {}, ValueError, "inputs has 2 layers but targets has 1"),
        Bad(([X4], [X4]), {"weights": [-1.0]}, ValueError, "weights[0] must lie in"),
        Bad(([], []), {}, ValueError, "at least one layer"),
    )),
    OpInfo("total_variation", oracle=total_variation_oracle,
           samples=volume_samples(1, scale_by_size=True), grads=(0,), fd_examples=25,
           deviations=(EMPTY_VOLUME,), bad=(
               Bad((X4[0, 0, 0],), {}, ValueError, "input expects a 3-D or 4-D"),
               Bad((X4,), {"reduction": None}, ValueError, "reduction"),
           )),
    # numpy_ops.boxes: no torchvision here, so the oracles are brute-force loops
    OpInfo("box_convert", oracle=box_convert_oracle, samples=box_samples("convert"), bad=(
        Bad((_arr(1, 4), "xyxy", "yxyx"), {}, ValueError, "out_fmt"),
        Bad((_arr(1, 4), 3, "xyxy"), {}, TypeError, "in_fmt", torch_rejects=False),
        Bad((np.array([[0.0, 0, -1, 2]]), "xywh", "xyxy"), {}, ValueError, "negative width"),
    )),
    OpInfo("box_area", oracle=box_area_oracle, samples=box_samples("area"), bad=(
        Bad((_arr(2, 3),), {}, ValueError, "shape (N, 4)"),
        Bad((np.array([[2.0, 0, 1, 1]]),), {}, ValueError, "x2 < x1"),
    )),
    OpInfo("box_iou", oracle=box_iou_oracle, samples=box_samples("iou"), bad=(
        Bad((np.array([[2.0, 0, 1, 1]]), _arr(1, 4)), {}, ValueError, "x2 < x1"),
        Bad((np.array([[np.nan, 0, 1, 1]]), _arr(1, 4)), {}, ValueError, "NaN"),
        Bad((_arr(1, 4), _arr(1, 4)), {"fmt": "ltrb"}, ValueError, "fmt"),
        Bad((_arr(1, 4), _arr(1, 4, dtype=np.float64)), {}, TypeError, "dtype"),
    )),
    OpInfo("box_iou_pairwise", oracle=box_iou_pairwise_oracle,
           samples=box_samples("iou_pairwise"), bad=(
               Bad((_arr(2, 4), _arr(3, 4)), {}, ValueError, "same number"),
           )),
    OpInfo("clip_boxes_to_image", oracle=clip_boxes_to_image_oracle, samples=box_samples("clip"),
           bad=(
               Bad((_arr(2, 4), 5), {}, TypeError, "size"),
               Bad((_arr(2, 4), (5, -1)), {}, ValueError, "size"),
           )),
    OpInfo("nms", oracle=nms_oracle, samples=box_samples("nms"), bad=(
        Bad((_arr(2, 4), _arr(3), 0.5), {}, ValueError, "scores has 3 entries"),
        Bad((_arr(2, 4), np.array([0.1, np.nan], np.float32), 0.5), {}, ValueError, "scores"),
        Bad((_arr(2, 4), _arr(2), 1.5), {}, ValueError, "iou_threshold"),
        Bad((_arr(2, 4), _arr(2), -0.1), {}, ValueError, "iou_threshold"),
        Bad((_arr(2, 4), _arr(2), "0.5"), {}, TypeError, "iou_threshold"),
        Bad((_arr(2, 3), _arr(2), 0.5), {}, ValueError, "shape (N, 4)"),
        Bad((_arr(2, 4, dtype=np.int64), _arr(2), 0.5), {}, TypeError, "boxes"),
    )),
    OpInfo("batched_nms", oracle=batched_nms_oracle, samples=box_samples("batched"), bad=(
        Bad((_arr(2, 4), _arr(2), _arr(2), 0.5), {}, TypeError, "idxs"),
        Bad((_arr(2, 4), _arr(2), np.zeros(3, np.int64), 0.5), {}, ValueError, "idxs"),
    )),
    # numpy_ops.roi
    OpInfo("roi_align", oracle=roi_align_oracle, samples=roi_samples(True), grads=(0,),
           fd_examples=15, numpy_dtypes=FLOAT_DTYPES, torch_dtypes=FLOAT_DTYPES,
           known_bugs=tuple(KnownBug(
               "NaN or infinity in the input: the separable form A x B^T multiplies every cell "
               "of the map, zero weights included, so a NaN anywhere spreads to every region "
               "of its image; torchvision reads only the cells around each sample", ns,
               _non_finite) for ns in ("numpy", "torch")),
           bad=(
               Bad((_arr(2, 1, 4, 4, dtype=np.float64), np.array([[0.0, 3, 0, 1, 2]]), 2), {},
                   ValueError, "x2 < x1"),
               Bad((_arr(2, 1, 4, 4), np.array([[2.0, 0, 0, 1, 2]], np.float32), 2), {},
                   ValueError, "index of an image"),
               Bad((_arr(2, 1, 4, 4), np.array([[0.5, 0, 0, 1, 2]], np.float32), 2), {},
                   ValueError, "index of an image"),
               Bad((_arr(2, 1, 4, 4), _arr(1, 5), 0), {}, ValueError, "output_size"),
               Bad((_arr(2, 1, 4, 4), _arr(1, 5), 2), {"spatial_scale": 0}, ValueError,
                   "spatial_scale"),
               Bad((_arr(2, 1, 4, 4), _arr(1, 5), 2), {"aligned": 1}, TypeError, "aligned",
                   torch_rejects=False),
               Bad((_arr(2, 1, 4, 4), _arr(1, 5), 2), {"sampling_ratio": 1.5}, TypeError,
                   "sampling_ratio"),
               Bad((_arr(2, 1, 4, 4), _arr(1, 5, dtype=np.float64), 2), {}, TypeError, "dtype"),
               Bad((_arr(1, 4, 4), _arr(1, 5), 2), {}, ValueError, "input"),
               Bad((_arr(1, 1, 3, 3), _arr(2, 1, 4, 4), _arr(1, 5), 2), {}, ValueError,
                   "grad_output", backward=True),
           )),
    OpInfo("roi_pool", oracle=roi_pool_oracle, samples=roi_samples(False), grads=(0,),
           fd_examples=15, numpy_dtypes=FLOAT_DTYPES, torch_dtypes=FLOAT_DTYPES,
           known_bugs=tuple(KnownBug(
               "NaN in the input: argmax and amax take a NaN as a bin's maximum; "
               "torchvision's kernel skips it (val > maxval is false for NaN)", ns, _non_finite)
               for ns in ("numpy", "torch")),
           bad=(
               Bad((_arr(2, 1, 4, 4), np.array([[0.0, np.nan, 0, 1, 2]], np.float32), 2), {},
                   ValueError, "NaN"),
               Bad((_arr(2, 1, 4, 4), _arr(1, 4), 2), {}, ValueError, "(K, 5)"),
               Bad((_arr(2, 1, 4, 4), [_arr(1, 4)], 2), {}, ValueError, "list of 1 arrays"),
           )),
    OpInfo("roi_align_weights", oracle=roi_align_weights_oracle,
           samples=roi_align_weights_samples(), bad=(
               Bad((_arr(5), 2, 4, 4), {}, ValueError, "box"),
               Bad((np.array([3.0, 0, 1, 2]), 2, 4, 4), {}, ValueError, "x2 < x1"),
               Bad((_arr(4), 2, 0, 4), {}, ValueError, "height"),
               Bad((_arr(4), 2, 4, 4.0), {}, TypeError, "width", torch_rejects=False),
           )),
]

BY_NAME = {op.name: op for op in OPS}


# --- moving arguments between the namespaces -----------------------------------------------------

def torch_dtype(numpy_dtype):
    return torch.from_numpy(np.zeros(0, numpy_dtype)).dtype


def to_torch(value):
    """A NumPy array becomes a tensor (a copy), a NumPy dtype a torch dtype, a NumPy generator
    a torch generator seeded from it; the rest stays."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.array(value, copy=True, order="C"))
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return torch_dtype(value)
    if isinstance(value, tuple):
        return tuple(to_torch(v) for v in value)
    if isinstance(value, list) and value and all(isinstance(v, np.ndarray) for v in value):
        return [to_torch(v) for v in value]           # a list of arrays: one per layer
    if isinstance(value, dict):
        return {k: to_torch(v) for k, v in value.items()}
    if isinstance(value, np.random.Generator):
        # a torch generator seeded from a copy of it (the NumPy one keeps its state)
        seed = int(copy.deepcopy(value).integers(2**62))
        return torch.Generator().manual_seed(seed)
    return value


def to_numpy(value):
    if isinstance(value, torch.Tensor):
        if value.dtype == torch.bfloat16:
            value = value.float()
        return value.detach().cpu().numpy()
    if isinstance(value, tuple):
        return tuple(to_numpy(v) for v in value)
    return value


def dtype_of(value) -> str:
    return str(value.dtype).replace("torch.", "")
