"""Argument checks shared by :mod:`cnnlib.numpy_ops` and :mod:`cnnlib.torch_ops`.

Both namespaces validate at their public boundary with these helpers, so a
reader gets the same ``ValueError`` or ``TypeError`` from the NumPy reference
and from its PyTorch twin, and never an ``IndexError`` from deep inside an
array library. The helpers only look at shapes, dtypes and Python values, so
they work for NumPy arrays and torch tensors alike.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Sequence

NUMPY_FLOAT_DTYPES = ("float32", "float64")


def _kind_of(x) -> str:
    """Return ``"numpy"``, ``"torch"`` or ``"other"`` for an array-like."""
    mod = type(x).__module__
    if mod == "numpy":
        return "numpy"
    if mod.startswith("torch"):
        return "torch"
    return "other"


def check_array(op: str, name: str, x, kind: str, ndims: Sequence[int] | None = None,
                floating: bool = True):
    """Check that ``x`` is an array of the namespace ``kind`` ("numpy" or "torch").

    Raises ``TypeError`` for the wrong type or a non-floating dtype and
    ``ValueError`` for an ndim outside ``ndims``.
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
            raise TypeError(
                f"{op}: {name} must have a floating dtype, got {str(x.dtype).replace('torch.', '')}")
    if ndims is not None and x.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(
            f"{op}: {name} expects a {want} array, got {x.ndim}-D with shape {tuple(x.shape)}")
    return x


def dtype_name(x) -> str:
    return str(x.dtype).replace("torch.", "")


def check_same_dtype(op: str, **arrays):
    """All non-None arrays share one dtype (and, for tensors, one device)."""
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


def is_int(v) -> bool:
    """True for Python and NumPy integers, False for ``bool`` (which Python counts as an int)."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


_is_int = is_int


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
    if value not in tuple(choices):
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{op}: {name} must be one of {listed}; got {value!r}")
    return value


def check_grad_output(op: str, grad_output, expected_shape, like, kind: str):
    """``grad_output`` is an array of ``kind`` with the forward output's shape and ``like``'s dtype."""
    check_array(op, "grad_output", grad_output, kind)
    if tuple(grad_output.shape) != tuple(expected_shape):
        raise ValueError(f"{op}: grad_output has shape {tuple(grad_output.shape)}, the forward "
                         f"output has shape {tuple(expected_shape)}")
    check_same_dtype(op, input=like, grad_output=grad_output)


def int_tuple(op: str, name: str, value, n: int, minimum: int | None = None) -> tuple[int, ...]:
    """Expand an int or a length-``n`` sequence of ints to a tuple of ``n`` ints.

    ``minimum`` is the smallest allowed value (1 for strides, 0 for paddings).
    """
    if _is_int(value):
        out = (int(value),) * n
    elif isinstance(value, (tuple, list)) and len(value) == n and all(_is_int(v) for v in value):
        out = tuple(int(v) for v in value)
    elif isinstance(value, (tuple, list)) and len(value) == 1 and _is_int(value[0]):
        out = (int(value[0]),) * n
    else:
        raise TypeError(
            f"{op}: {name} must be an int or a sequence of {n} ints, got {value!r}")
    if minimum is not None and any(v < minimum for v in out):
        what = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{op}: {name} must be {what}, got {value!r}")
    return out


def positive_int(op: str, name: str, value) -> int:
    if not _is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{op}: {name} must be positive, got {value}")
    return int(value)


def output_length(op: str, n: int, f: int, p_total: int, s: int, d: int,
                  ceil_mode: bool = False, p_left: int | None = None) -> int:
    """One spatial output length, torch's rule, with a clear error when it is < 1.

    ``p_total`` is the padding added on both sides together; with ``ceil_mode``
    the last window must start inside the input or the left padding
    (``p_left``), as in PyTorch's pooling.
    """
    span = d * (f - 1) + 1
    room = n + p_total - span
    if room < 0 and not (ceil_mode and room + s - 1 >= 0):
        raise ValueError(
            f"{op}: the (dilated) kernel spans {span} but the padded input has size "
            f"{n + p_total} (input {n}, padding {p_total}); the kernel cannot be larger "
            f"than the padded input")
    if ceil_mode:
        out = (room + s - 1) // s + 1
        if p_left is not None and (out - 1) * s >= n + p_left:
            out -= 1
    else:
        out = room // s + 1
    return out


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


def conv_args(op: str, nd: int, input, weight, bias, stride, padding, dilation, groups,
              kind: str) -> ConvArgs:
    """Validate the arguments of ``conv{nd}d`` exactly as torch.nn.functional does."""
    check_array(op, "input", input, kind, ndims=(nd + 1, nd + 2))
    check_array(op, "weight", weight, kind, ndims=(nd + 2,))
    if bias is not None:
        check_array(op, "bias", bias, kind, ndims=(1,))
    check_same_dtype(op, input=input, weight=weight, bias=bias)
    groups = positive_int(op, "groups", groups)
    stride_t = int_tuple(op, "stride", stride, nd, minimum=1)
    dilation_t = int_tuple(op, "dilation", dilation, nd, minimum=1)
    batched = input.ndim == nd + 2
    c_in = input.shape[1] if batched else input.shape[0]
    spatial = tuple(int(v) for v in input.shape[-nd:])
    c_out, c_per_group = int(weight.shape[0]), int(weight.shape[1])
    kernel = tuple(int(v) for v in weight.shape[2:])
    if any(k < 1 for k in kernel):
        raise ValueError(f"{op}: weight has an empty spatial size {kernel}")
    if c_out % groups:
        raise ValueError(
            f"{op}: weight has {c_out} output channels, not divisible by groups={groups}")
    if c_in % groups:
        raise ValueError(
            f"{op}: input has {c_in} channels, not divisible by groups={groups}")
    if c_per_group * groups != c_in:
        raise ValueError(
            f"{op}: weight expects {c_per_group} input channels per group, input has "
            f"{c_in} (groups={groups})")
    if bias is not None and bias.shape[0] != c_out:
        raise ValueError(
            f"{op}: bias has {bias.shape[0]} elements but weight has {c_out} output channels")
    if isinstance(padding, str):
        if padding == "valid":
            left = right = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride_t):
                raise ValueError(
                    f"{op}: padding='same' is not supported for strided convolutions "
                    f"(stride={stride!r})")
            totals = [d * (k - 1) for d, k in zip(dilation_t, kernel)]
            left = tuple(t // 2 for t in totals)
            right = tuple(t - t // 2 for t in totals)
        else:
            raise ValueError(
                f"{op}: padding must be 'valid', 'same', an int or a tuple, got {padding!r}")
    else:
        left = right = int_tuple(op, "padding", padding, nd, minimum=0)
    out = tuple(
        output_length(op, n, k, pl + pr, s, d)
        for n, k, pl, pr, s, d in zip(spatial, kernel, left, right, stride_t, dilation_t))
    return ConvArgs(batched, spatial, kernel, stride_t, left, right, dilation_t, groups, out)


@dataclass(frozen=True)
class ConvTransposeArgs:
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
    """Validate the arguments of ``conv_transpose{nd}d`` as torch.nn.functional does."""
    check_array(op, "input", input, kind, ndims=(nd + 1, nd + 2))
    check_array(op, "weight", weight, kind, ndims=(nd + 2,))
    if bias is not None:
        check_array(op, "bias", bias, kind, ndims=(1,))
    check_same_dtype(op, input=input, weight=weight, bias=bias)
    groups = positive_int(op, "groups", groups)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a tuple of ints, got {padding!r}")
    stride_t = int_tuple(op, "stride", stride, nd, minimum=1)
    padding_t = int_tuple(op, "padding", padding, nd, minimum=0)
    outpad_t = int_tuple(op, "output_padding", output_padding, nd, minimum=0)
    dilation_t = int_tuple(op, "dilation", dilation, nd, minimum=1)
    batched = input.ndim == nd + 2
    c_in = input.shape[1] if batched else input.shape[0]
    spatial = tuple(int(v) for v in input.shape[-nd:])
    kernel = tuple(int(v) for v in weight.shape[2:])
    if any(k < 1 for k in kernel):
        raise ValueError(f"{op}: weight has an empty spatial size {kernel}")
    if weight.shape[0] != c_in:
        raise ValueError(
            f"{op}: weight expects {weight.shape[0]} input channels, input has {c_in}")
    if c_in % groups:
        raise ValueError(
            f"{op}: input has {c_in} channels, not divisible by groups={groups}")
    c_out = int(weight.shape[1]) * groups
    if bias is not None and bias.shape[0] != c_out:
        raise ValueError(
            f"{op}: bias has {bias.shape[0]} elements but the output has {c_out} channels")
    for op_, s, d in zip(outpad_t, stride_t, dilation_t):
        if op_ >= s and op_ >= d:
            raise ValueError(
                f"{op}: output_padding must be smaller than stride or dilation, got "
                f"output_padding={output_padding!r}, stride={stride!r}, dilation={dilation!r}")
    out = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
                zip(spatial, stride_t, padding_t, dilation_t, kernel, outpad_t))
    if any(o < 1 for o in out):
        raise ValueError(
            f"{op}: the output would have size {out}; padding={padding!r} is too large "
            f"for input size {spatial}")
    return ConvTransposeArgs(batched, spatial, kernel, stride_t, padding_t, outpad_t,
                             dilation_t, groups, c_out, out)


@dataclass(frozen=True)
class PoolArgs:
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
    kernel = int_tuple(op, "kernel_size", kernel_size, nd, minimum=1)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride_t = kernel
    else:
        stride_t = int_tuple(op, "stride", stride, nd, minimum=1)
    padding_t = int_tuple(op, "padding", padding, nd, minimum=0)
    dilation_t = int_tuple(op, "dilation", dilation, nd, minimum=1)
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"{op}: ceil_mode must be a bool, got {ceil_mode!r}")
    for k, p in zip(kernel, padding_t):
        if p > k // 2:
            raise ValueError(
                f"{op}: padding={padding!r} must be at most half of kernel_size="
                f"{kernel_size!r}")
    batched = input.ndim == nd + 2
    spatial = tuple(int(v) for v in input.shape[-nd:])
    if not max_pool and nd == 3 and any(n < k for n, k in zip(spatial, kernel)):
        # PyTorch's avg_pool3d (alone among the pools) wants the unpadded input to fit the kernel.
        raise ValueError(f"{op}: input spatial size {spatial} is smaller than kernel_size "
                         f"{kernel}")
    out = tuple(
        output_length(op, n, k, 2 * p, s, d, ceil_mode=ceil_mode, p_left=p)
        for n, k, p, s, d in zip(spatial, kernel, padding_t, stride_t, dilation_t))
    if any(o < 1 for o in out):
        raise ValueError(f"{op}: the output would have size {out}, which is too small")
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
    if not isinstance(count_include_pad, bool):
        raise TypeError(f"{op}: count_include_pad must be a bool, got {count_include_pad!r}")
    if divisor_override is not None:
        if not _is_int(divisor_override):
            raise TypeError(f"{op}: divisor_override must be an int or None, "
                            f"got {divisor_override!r}")
        if divisor_override == 0:
            raise ValueError(f"{op}: divisor_override must not be zero")
    return a


def pad_args(op: str, input, pad, mode: str, kind: str) -> list[tuple[int, int]]:
    """Validate ``pad(input, pad, mode)`` and return (left, right) per padded dim, last first."""
    check_array(op, "input", input, kind, floating=False)
    if not isinstance(pad, (tuple, list)) or not all(_is_int(v) for v in pad):
        raise TypeError(f"{op}: pad must be a tuple of ints, got {pad!r}")
    if len(pad) % 2:
        raise ValueError(f"{op}: pad must have an even length, got {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(
            f"{op}: pad has {len(pad) // 2} (left, right) pairs but input has only "
            f"{input.ndim} dimensions")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ValueError(
            f"{op}: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]
    if mode != "constant":
        npairs = len(pairs)
        if npairs not in (1, 2, 3) or input.ndim not in (npairs + 1, npairs + 2):
            raise ValueError(
                f"{op}: mode={mode!r} pads the last 1, 2 or 3 dimensions of a (batched) "
                f"input: {npairs} pairs need a {npairs + 1}-D or {npairs + 2}-D input, got "
                f"{input.ndim}-D")
        for i, (lo, hi) in enumerate(pairs):
            size = input.shape[input.ndim - 1 - i]
            if mode == "reflect" and (lo >= size or hi >= size):
                raise ValueError(
                    f"{op}: reflect padding must be smaller than the dimension it pads: "
                    f"pad {(lo, hi)} on a dimension of size {size}")
            if mode == "circular" and (lo > size or hi > size):
                raise ValueError(
                    f"{op}: circular padding must be at most the dimension it pads: "
                    f"pad {(lo, hi)} on a dimension of size {size}")
    for i, (lo, hi) in enumerate(pairs):
        size = input.shape[input.ndim - 1 - i]
        if mode != "constant" and (lo < 0 or hi < 0):
            raise ValueError(
                f"{op}: negative (cropping) pad amounts work only with mode='constant', got "
                f"{(lo, hi)} with mode={mode!r}")
        if size - max(-lo, 0) - max(-hi, 0) < 0 or size + lo + hi < 0:
            raise ValueError(
                f"{op}: pad {(lo, hi)} crops more than dimension {input.ndim - 1 - i} holds "
                f"(it has {size})")
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
    if bias is not None and weight.ndim == 2 and bias.ndim == 1 and \
            bias.shape[0] != weight.shape[0]:
        raise ValueError(f"{op}: bias has {bias.shape[0]} elements, weight has "
                         f"{weight.shape[0]} outputs")


def check_dim(op: str, dim, ndim: int) -> int:
    if not _is_int(dim):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not lo <= dim <= hi:
        raise ValueError(f"{op}: dim={dim} is out of range for a {ndim}-D input")
    return dim % max(ndim, 1)
