"""Every argument check of cnnlib, in one place.

The public functions of every module (the NumPy reference, its PyTorch twin, the models,
the section helpers, the training loop, the data) check their arguments with these
helpers, so a reader gets the same errors everywhere and never an ``IndexError`` from
deep inside an array library:

- ``TypeError`` for a wrong type (a list where an array belongs, a float where an int
  belongs, an integer array where a float array belongs);
- ``ValueError`` for a wrong value (a negative stride, mismatched channels, a kernel
  larger than its padded input);
- every message starts with the function's name and names the argument, e.g.
  ``conv2d: weight expects 3 input channels per group, input has 4 (groups=1)``.

The helpers only look at shapes, dtypes and Python values, so they serve NumPy arrays
(``kind="numpy"``) and torch tensors (``kind="torch"``) alike. Output sizes come from
:mod:`cnnlib.shapes`, the one source of those formulas.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Sequence

from . import shapes

NUMPY_FLOAT_DTYPES = ("float32", "float64")


# --- arrays and dtypes ---------------------------------------------------------------------------

def check_array(op: str, name: str, x, kind: str, ndims: Sequence[int] | None = None,
                floating: bool = True):
    """Check that ``x`` is an array of the namespace ``kind`` (``"numpy"`` or ``"torch"``).

    ``TypeError`` for the wrong type, or, with ``floating``, for a dtype other than
    float32/float64 (NumPy) or a floating dtype (torch); ``ValueError`` for an ndim
    outside ``ndims``. Returns ``x``.
    """
    if kind == "numpy":
        import numpy as np

        if not isinstance(x, np.ndarray):
            raise TypeError(f"{op}: {name} must be a numpy.ndarray, got {type(x).__name__}")
        if floating and x.dtype.name not in NUMPY_FLOAT_DTYPES:
            raise TypeError(
                f"{op}: {name} must have dtype float32 or float64, got {x.dtype.name}")
    else:
        import torch

        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{op}: {name} must be a torch.Tensor, got {type(x).__name__}")
        if floating and not x.is_floating_point():
            raise TypeError(f"{op}: {name} must have a floating dtype, got {dtype_name(x)}")
    if ndims is not None and x.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(
            f"{op}: {name} expects a {want} array, got {x.ndim}-D with shape {tuple(x.shape)}")
    return x


def dtype_name(x) -> str:
    """``x``'s dtype as a short name (``float32``), for NumPy arrays and torch tensors alike."""
    return str(x.dtype).replace("torch.", "")


def check_same_dtype(op: str, **arrays):
    """All non-None arrays share one dtype (``TypeError``) and, for tensors, one device
    (``ValueError``)."""
    present = {k: v for k, v in arrays.items() if v is not None}
    names = list(present)
    first = present[names[0]]
    for other in names[1:]:
        if present[other].dtype != first.dtype:
            raise TypeError(
                f"{op}: {other} has dtype {dtype_name(present[other])} but {names[0]} has "
                f"dtype {dtype_name(first)}; they must match")
        dev_a, dev_b = getattr(first, "device", None), getattr(present[other], "device", None)
        if dev_a is not None and dev_a != dev_b:
            raise ValueError(
                f"{op}: {other} is on {dev_b} but {names[0]} is on {dev_a}; they must match")


def check_float_dtype(op: str, name: str, dtype, kind: str):
    """A dtype argument: float32 or float64 for NumPy (returned as ``np.dtype``), a floating
    ``torch.dtype`` for torch. ``TypeError`` otherwise."""
    if kind == "numpy":
        import numpy as np

        try:
            dt = np.dtype(dtype)
        except TypeError:
            dt = None
        if dt is None or dt.name not in NUMPY_FLOAT_DTYPES:
            raise TypeError(f"{op}: {name} must be float32 or float64, got {dtype!r}")
        return dt
    import torch

    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"{op}: {name} must be a floating torch.dtype, got {dtype!r}")
    return dtype


def check_nonempty(op: str, name: str, x, batched: bool):
    """``ValueError`` if an axis of ``x`` other than the batch axis (axis 0 when ``batched``)
    has size 0: a convolution or pooling over an empty channel or spatial axis has nothing to
    compute (torch rejects most such inputs and returns odd shapes for the others)."""
    if 0 in tuple(x.shape[1:] if batched else x.shape):
        where = "only the batch axis may be empty" if batched else "no axis may be empty"
        raise ValueError(f"{op}: {name} has shape {tuple(x.shape)}; {where}")


def check_grad_output(op: str, grad_output, expected_shape, like, kind: str):
    """``grad_output`` is an array of ``kind`` with the forward output's shape and the dtype of
    ``like`` (the forward's input)."""
    check_array(op, "grad_output", grad_output, kind)
    if tuple(grad_output.shape) != tuple(expected_shape):
        raise ValueError(f"{op}: grad_output has shape {tuple(grad_output.shape)}, the forward "
                         f"output has shape {tuple(expected_shape)}")
    check_same_dtype(op, input=like, grad_output=grad_output)


# --- Python values -------------------------------------------------------------------------------

def is_int(v) -> bool:
    """True for Python and NumPy integers, False for ``bool`` (which Python counts as an int)."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def check_int(op: str, name: str, value, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """``value`` as an ``int``: ``TypeError`` unless it is an integer (bools are not),
    ``ValueError`` outside ``[minimum, maximum]``. The one integer check of the library."""
    if not is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        what = {0: "non-negative", 1: "positive"}.get(minimum, f">= {minimum}")
        raise ValueError(f"{op}: {name} must be {what}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{op}: {name} must be <= {maximum}, got {value}")
    return value


def check_number(op: str, name: str, value, minimum: float | None = None,
                 maximum: float | None = None, strict: bool = False) -> float:
    """``value`` as a finite ``float``: ``TypeError`` unless it is a real number (bools are
    not), ``ValueError`` if it is NaN or infinite or outside ``[minimum, maximum]`` (the open
    interval with ``strict=True``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{op}: {name} must be finite, got {value}")
    low = minimum is not None and (value <= minimum if strict else value < minimum)
    high = maximum is not None and (value >= maximum if strict else value > maximum)
    if low or high:
        lo = "(" if strict else "["
        hi = ")" if strict else "]"
        span = f"{lo}{'-inf' if minimum is None else minimum}, " \
               f"{'inf' if maximum is None else maximum}{hi}"
        raise ValueError(f"{op}: {name} must lie in {span}, got {value}")
    return value


def check_bool(op: str, name: str, value) -> bool:
    """``TypeError`` unless ``value`` is a ``bool``."""
    if not isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be a bool, got {value!r}")
    return value


def check_choice(op: str, name: str, value, choices):
    """``ValueError`` unless ``value`` is one of ``choices``."""
    try:
        known = bool(value in tuple(choices))
    except (TypeError, ValueError, RuntimeError):   # an array compared elementwise, say
        known = False
    if not known:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{op}: {name} must be one of {listed}; got {value!r}")
    return value


def int_tuple(op: str, name: str, value, n: int, minimum: int | None = None) -> tuple[int, ...]:
    """Expand an int or a length-``n`` (or length-1) sequence of ints to a tuple of ``n`` ints.

    ``minimum`` is the smallest allowed value (1 for strides, 0 for paddings).
    """
    if is_int(value):
        out = (int(value),) * n
    elif isinstance(value, (tuple, list)) and len(value) == n and all(is_int(v) for v in value):
        out = tuple(int(v) for v in value)
    elif isinstance(value, (tuple, list)) and len(value) == 1 and is_int(value[0]):
        out = (int(value[0]),) * n
    else:
        raise TypeError(
            f"{op}: {name} must be an int or a sequence of {n} ints, got {value!r}")
    if minimum is not None and any(v < minimum for v in out):
        what = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{op}: {name} must be {what}, got {value!r}")
    return out


def check_dim(op: str, dim, ndim: int) -> int:
    """A dimension index into an ``ndim``-D array (negative counts from the end; a 0-D array
    takes 0 or -1, as in torch), returned non-negative."""
    if not is_int(dim):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not lo <= dim <= hi:
        raise ValueError(f"{op}: dim={dim} is out of range for a {ndim}-D input")
    return dim % max(ndim, 1)


# --- convolutions --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConvArgs:
    """Normalised arguments of an N-d convolution."""

    batched: bool
    spatial_in: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    pad_left: tuple[int, ...]
    pad_right: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    spatial_out: tuple[int, ...]


def _conv_arrays(op: str, nd: int, input, weight, bias, groups, kind: str):
    """What ``conv_args`` and ``conv_transpose_args`` check alike: the arrays, their dtypes, groups.

    Returns ``(batched, c_in, spatial, kernel, groups)``.
    """
    check_array(op, "input", input, kind, ndims=(nd + 1, nd + 2))
    check_array(op, "weight", weight, kind, ndims=(nd + 2,))
    if bias is not None:
        check_array(op, "bias", bias, kind, ndims=(1,))
    check_same_dtype(op, input=input, weight=weight, bias=bias)
    groups = check_int(op, "groups", groups, minimum=1)
    batched = input.ndim == nd + 2
    check_nonempty(op, "input", input, batched)
    if 0 in tuple(weight.shape):
        raise ValueError(f"{op}: weight has shape {tuple(weight.shape)}; every axis of the "
                         f"weight needs at least one element")
    c_in = int(input.shape[1] if batched else input.shape[0])
    spatial = tuple(int(v) for v in input.shape[-nd:])
    kernel = tuple(int(v) for v in weight.shape[2:])
    if c_in % groups:
        raise ValueError(f"{op}: input has {c_in} channels, not divisible by groups={groups}")
    return batched, c_in, spatial, kernel, groups


def conv_args(op: str, nd: int, input, weight, bias, stride, padding, dilation, groups,
              kind: str) -> ConvArgs:
    """Validate the arguments of ``conv{nd}d`` as ``torch.nn.functional`` does."""
    batched, c_in, spatial, kernel, groups = _conv_arrays(op, nd, input, weight, bias, groups,
                                                          kind)
    stride_t = int_tuple(op, "stride", stride, nd, minimum=1)
    dilation_t = int_tuple(op, "dilation", dilation, nd, minimum=1)
    c_out, c_per_group = int(weight.shape[0]), int(weight.shape[1])
    if c_out % groups:
        raise ValueError(
            f"{op}: weight has {c_out} output channels, not divisible by groups={groups}")
    if c_per_group * groups != c_in:
        raise ValueError(
            f"{op}: weight expects {c_per_group} input channels per group, input has "
            f"{c_in} (groups={groups})")
    if bias is not None and bias.shape[0] != c_out:
        raise ValueError(
            f"{op}: bias has {bias.shape[0]} elements but weight has {c_out} output channels")
    if isinstance(padding, str):
        check_choice(op, "padding", padding, ("valid", "same"))
        if padding == "valid":
            left = right = (0,) * nd
        else:
            if any(s != 1 for s in stride_t):
                raise ValueError(
                    f"{op}: padding='same' is not supported for strided convolutions "
                    f"(stride={stride!r})")
            left, right = zip(*(shapes.same_padding(k, d) for k, d in zip(kernel, dilation_t)))
    else:
        left = right = int_tuple(op, "padding", padding, nd, minimum=0)
    out = tuple(shapes._output_length(op, n, k, pl, pr, s, d) for n, k, pl, pr, s, d in
                zip(spatial, kernel, left, right, stride_t, dilation_t))
    return ConvArgs(batched, spatial, kernel, stride_t, tuple(left), tuple(right), dilation_t,
                    groups, out)


@dataclass(frozen=True)
class ConvTransposeArgs:
    """Normalised arguments of an N-d transposed convolution."""

    batched: bool
    spatial_in: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    c_out: int
    spatial_out: tuple[int, ...]


def conv_transpose_args(op: str, nd: int, input, weight, bias, stride, padding, output_padding,
                        groups, dilation, kind: str) -> ConvTransposeArgs:
    """Validate the arguments of ``conv_transpose{nd}d`` as ``torch.nn.functional`` does."""
    batched, c_in, spatial, kernel, groups = _conv_arrays(op, nd, input, weight, bias, groups,
                                                          kind)
    stride_t = int_tuple(op, "stride", stride, nd, minimum=1)
    padding_t = int_tuple(op, "padding", padding, nd, minimum=0)
    outpad_t = int_tuple(op, "output_padding", output_padding, nd, minimum=0)
    dilation_t = int_tuple(op, "dilation", dilation, nd, minimum=1)
    if weight.shape[0] != c_in:
        raise ValueError(
            f"{op}: weight expects {weight.shape[0]} input channels, input has {c_in}")
    c_out = int(weight.shape[1]) * groups
    if bias is not None and bias.shape[0] != c_out:
        raise ValueError(
            f"{op}: bias has {bias.shape[0]} elements but the output has {c_out} channels")
    out = tuple(shapes._transposed_length(op, n, k, p, s, d, o) for n, k, p, s, d, o in
                zip(spatial, kernel, padding_t, stride_t, dilation_t, outpad_t))
    return ConvTransposeArgs(batched, spatial, kernel, stride_t, padding_t, outpad_t,
                             dilation_t, groups, c_out, out)


# --- pooling -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PoolArgs:
    """Normalised arguments of an N-d max or average pooling."""

    batched: bool
    spatial_in: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    spatial_out: tuple[int, ...]


def pool_args(op: str, nd: int, input, kernel_size, stride, padding, dilation, ceil_mode,
              kind: str, max_pool: bool) -> PoolArgs:
    """Validate the arguments of ``max_pool{nd}d`` / ``avg_pool{nd}d`` as torch does."""
    check_array(op, "input", input, kind, ndims=(nd + 1, nd + 2))
    batched = input.ndim == nd + 2
    check_nonempty(op, "input", input, batched)
    kernel = int_tuple(op, "kernel_size", kernel_size, nd, minimum=1)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride_t = kernel
    else:
        stride_t = int_tuple(op, "stride", stride, nd, minimum=1)
    padding_t = int_tuple(op, "padding", padding, nd, minimum=0)
    dilation_t = int_tuple(op, "dilation", dilation, nd, minimum=1)
    check_bool(op, "ceil_mode", ceil_mode)
    if any(p > k // 2 for k, p in zip(kernel, padding_t)):
        raise ValueError(f"{op}: padding={padding!r} must be at most half of kernel_size="
                         f"{kernel_size!r}")
    spatial = tuple(int(v) for v in input.shape[-nd:])
    if not max_pool and nd == 3 and any(n < k for n, k in zip(spatial, kernel)):
        # PyTorch's avg_pool3d (alone among the pools) wants the unpadded input to fit the kernel.
        raise ValueError(f"{op}: input spatial size {spatial} is smaller than kernel_size "
                         f"{kernel}")
    out = tuple(shapes._output_length(op, n, k, p, p, s, d, ceil_mode) for n, k, p, s, d in
                zip(spatial, kernel, padding_t, stride_t, dilation_t))
    if max_pool:
        for axis, (n, k, p, s, d, m) in enumerate(zip(spatial, kernel, padding_t, stride_t,
                                                     dilation_t, out)):
            empty = [o for o in range(m) if not any(p <= o * s + i * d < p + n for i in range(k))]
            if empty:
                # torch answers -inf there, with an index outside the input.
                raise ValueError(
                    f"{op}: with kernel_size={kernel_size!r}, dilation={dilation!r} and "
                    f"padding={padding!r}, window {empty[0]} along spatial axis {axis} covers "
                    f"only padding and none of the input's {n} values")
    return PoolArgs(batched, spatial, kernel, stride_t, padding_t, dilation_t, out)


def max_pool_args(op: str, nd: int, input, kernel_size, stride, padding, dilation, ceil_mode,
                  kind: str) -> PoolArgs:
    """Validate the arguments of ``max_pool{nd}d`` (and its backward)."""
    return pool_args(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode, kind,
                     max_pool=True)


def avg_pool_args(op: str, nd: int, input, kernel_size, stride, padding, ceil_mode,
                  count_include_pad, divisor_override, kind: str) -> PoolArgs:
    """Validate the arguments of ``avg_pool{nd}d`` (and its backward)."""
    a = pool_args(op, nd, input, kernel_size, stride, padding, 1, ceil_mode, kind,
                  max_pool=False)
    check_bool(op, "count_include_pad", count_include_pad)
    if divisor_override is not None:
        if check_int(op, "divisor_override", divisor_override) == 0:
            raise ValueError(f"{op}: divisor_override must not be zero")
    return a


# --- padding, linear, softmax cross-entropy ------------------------------------------------------

PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad_args(op: str, input, pad, mode: str, kind: str, value=None) -> list[tuple[int, int]]:
    """Validate ``pad(input, pad, mode, value)``; return (left, right) per padded dim, last first.

    Any dtype pads with ``mode='constant'``; the other modes copy values around and,
    as in torch, take no bool input and no ``value``.
    """
    check_array(op, "input", input, kind, floating=False)
    if not isinstance(pad, (tuple, list)) or not all(is_int(v) for v in pad):
        raise TypeError(f"{op}: pad must be a tuple of ints, got {pad!r}")
    if len(pad) % 2:
        raise ValueError(f"{op}: pad must have an even length, got {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(
            f"{op}: pad has {len(pad) // 2} (left, right) pairs but input has only "
            f"{input.ndim} dimensions")
    check_choice(op, "mode", mode, PAD_MODES)
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Number)):
        raise TypeError(f"{op}: value must be a number or None, got {value!r}")
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]
    for i, (lo, hi) in enumerate(pairs):
        size = input.shape[input.ndim - 1 - i]
        if size - max(-lo, 0) - max(-hi, 0) < 0:
            raise ValueError(f"{op}: pad {(lo, hi)} crops more than dimension "
                             f"{input.ndim - 1 - i} holds (it has {size})")
    if mode == "constant":
        return pairs
    if value not in (None, 0):
        raise ValueError(f"{op}: value is only used with mode='constant', got mode={mode!r}")
    if mode != "circular" and dtype_name(input) == "bool":
        raise TypeError(f"{op}: mode={mode!r} does not pad bool input (torch has no such "
                        f"kernel); use mode='constant' or 'circular'")
    npairs = len(pairs)
    if npairs not in (1, 2, 3) or input.ndim not in (npairs + 1, npairs + 2):
        raise ValueError(
            f"{op}: mode={mode!r} pads the last 1, 2 or 3 dimensions of a (batched) input: "
            f"{npairs} pairs need a {npairs + 1}-D or {npairs + 2}-D input, got {input.ndim}-D")
    if mode != "circular":
        check_nonempty(op, "input", input, batched=input.ndim == npairs + 2)
    for i, (lo, hi) in enumerate(pairs):
        size = input.shape[input.ndim - 1 - i]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise ValueError(f"{op}: reflect padding must be smaller than the dimension it pads: "
                             f"pad {(lo, hi)} on a dimension of size {size}")
        if mode == "circular" and (lo < 0 or hi < 0):
            # torch crops first and then wraps around the cropped part, reading past the input
            # for some amounts; the course's circular padding only adds.
            raise ValueError(f"{op}: circular padding takes no negative (cropping) amounts, got "
                             f"{(lo, hi)}")
        if mode == "circular" and (lo > size or hi > size):
            raise ValueError(f"{op}: circular padding must be at most the dimension it pads: "
                             f"pad {(lo, hi)} on a dimension of size {size}")
        if mode != "circular" and size + lo + hi < 1:
            raise ValueError(f"{op}: pad {(lo, hi)} leaves nothing of dimension "
                             f"{input.ndim - 1 - i} (it has {size})")
    return pairs


def linear_args(op: str, input, weight, bias, kind: str) -> None:
    """Validate ``linear(input, weight, bias)`` as torch.nn.functional.linear does."""
    check_array(op, "input", input, kind)
    check_array(op, "weight", weight, kind, ndims=(1, 2))
    if bias is not None:
        check_array(op, "bias", bias, kind, ndims=(0, 1))
    check_same_dtype(op, input=input, weight=weight, bias=bias)
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have at least 1 dimension, got a 0-D array")
    if input.shape[-1] != weight.shape[-1]:
        raise ValueError(f"{op}: input has {input.shape[-1]} features but weight expects "
                         f"{weight.shape[-1]} (weight shape {tuple(weight.shape)})")
    if bias is not None and weight.ndim == 1 and input.ndim == 2:
        raise ValueError(f"{op}: a 1-D weight with a bias needs input of 1 or at least 3 "
                         f"dimensions (torch rejects a 2-D input here), got input shape "
                         f"{tuple(input.shape)}")
    if bias is not None and weight.ndim == 2 and bias.ndim == 1 and \
            bias.shape[0] != weight.shape[0]:
        raise ValueError(f"{op}: bias has {bias.shape[0]} elements, weight has "
                         f"{weight.shape[0]} outputs")


def triplet_args(op: str, anchor, positive, negative, kind: str) -> None:
    """Validate the three embeddings of a triplet loss: arrays of one dtype and one shape,
    ``(N, D)`` or ``(D,)``."""
    for name, x in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_array(op, name, x, kind, ndims=(1, 2))
    check_same_dtype(op, anchor=anchor, positive=positive, negative=negative)
    if not anchor.shape == positive.shape == negative.shape:
        raise ValueError(f"{op}: anchor, positive and negative must have the same shape (N, D) "
                         f"or (D,), got {tuple(anchor.shape)}, {tuple(positive.shape)} and "
                         f"{tuple(negative.shape)}")


REDUCTIONS = ("mean", "sum", "none")


def cross_entropy_args(op: str, input, target, reduction: str, kind: str) -> None:
    """Validate ``cross_entropy(input, target, reduction)`` with class-index targets.

    ``input`` holds logits (C,) or (N, C); ``target`` int64 (or uint8) class indices, ()
    or (N,), in ``[0, C)``. (torch also takes more axes, class probabilities and an
    ``ignore_index``; the course's loss does not, and says so.)
    """
    check_array(op, "input", input, kind, ndims=(1, 2))
    check_array(op, "target", target, kind, floating=False)
    if dtype_name(target) not in ("int64", "uint8"):
        raise TypeError(f"{op}: target must be an integer array of class indices with dtype "
                        f"int64 (or uint8), as in torch; got dtype {dtype_name(target)}")
    if tuple(target.shape) != tuple(input.shape[:-1]):
        raise ValueError(f"{op}: target has shape {tuple(target.shape)}, expected "
                         f"{tuple(input.shape[:-1])} for input of shape {tuple(input.shape)}")
    classes = input.shape[-1]
    if classes == 0:
        raise ValueError(f"{op}: input has 0 classes (shape {tuple(input.shape)})")
    if 0 not in tuple(target.shape) and (int(target.min()) < 0 or int(target.max()) >= classes):
        raise ValueError(f"{op}: target holds class indices outside [0, {classes - 1}]")
    check_choice(op, "reduction", reduction, REDUCTIONS)
