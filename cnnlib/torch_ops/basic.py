"""PyTorch twins of :mod:`cnnlib.numpy_ops.basic`: padding, activations, linear, loss."""

from __future__ import annotations

import torch

from .. import _checks as V
from .._index import constant_pad_slices, pad_index
from ..numpy_ops import basic as reference
from ._twin import autograd_backward, twin_doc

__all__ = list(reference.__all__)


def pad(input, pad, mode="constant", value=None):
    pairs = V.pad_args("pad", input, pad, mode, "torch")
    nd = input.ndim
    if mode == "constant":
        fill = 0 if value is None else value
        out_shape, src, dst = constant_pad_slices(tuple(input.shape), pairs)
        out = input.new_full(out_shape, fill)
        out[dst] = input[src]
        return out
    if value not in (None, 0):
        raise ValueError(f"pad: value is only used with mode='constant', got mode={mode!r}")
    out = input
    for i, (lo, hi) in enumerate(pairs):
        axis = nd - 1 - i
        index = torch.tensor(pad_index(input.shape[axis], lo, hi, mode), device=input.device)
        out = out.index_select(axis, index)
    return out


def relu(input, inplace=False):
    V.check_array("relu", "input", input, "torch")
    return input.clamp_min_(0) if inplace else input.clamp_min(0)


def relu_backward(grad_output, input):
    V.check_array("relu_backward", "input", input, "torch")
    V.check_array("relu_backward", "grad_output", grad_output, "torch")
    if grad_output.shape != input.shape:
        raise ValueError(f"relu_backward: grad_output has shape {tuple(grad_output.shape)}, "
                         f"input has shape {tuple(input.shape)}")
    return torch.where(input > 0, grad_output, torch.zeros_like(grad_output))


def _cast(op, input, dtype):
    V.check_array(op, "input", input, "torch")
    if dtype is None:
        return input
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"{op}: dtype must be a floating torch.dtype, got {dtype!r}")
    return input.to(dtype)


def log_softmax(input, dim, dtype=None):
    x = _cast("log_softmax", input, dtype)
    dim = V.check_dim("log_softmax", dim, x.ndim)
    if x.ndim == 0:
        return torch.zeros_like(x)
    shifted = x - x.amax(dim=dim, keepdim=True).detach()
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def softmax(input, dim, dtype=None):
    return log_softmax(input, dim, dtype).exp()


def linear(input, weight, bias=None):
    V.linear_args("linear", input, weight, bias, "torch")
    out = input @ weight.T if weight.ndim == 2 else input @ weight
    if bias is not None:
        out = out + bias
    return out


def linear_backward(grad_output, input, weight, bias=None):
    out_shape = linear(input, weight, bias).shape
    V.check_array("linear_backward", "grad_output", grad_output, "torch")
    if grad_output.shape != out_shape:
        raise ValueError(f"linear_backward: grad_output has shape {tuple(grad_output.shape)}, "
                         f"the forward output has shape {tuple(out_shape)}")
    return tuple(autograd_backward(linear, grad_output, (input, weight, bias)))


def _ce_args(op, input, target, reduction):
    V.check_array(op, "input", input, "torch", ndims=(1, 2))
    if not isinstance(target, torch.Tensor) or target.is_floating_point() or \
            target.dtype == torch.bool or target.is_complex():
        raise TypeError(f"{op}: target must be an integer torch.Tensor of class indices, "
                        f"got {getattr(target, 'dtype', type(target).__name__)}")
    if tuple(target.shape) != tuple(input.shape[:-1]):
        raise ValueError(f"{op}: target has shape {tuple(target.shape)}, expected "
                         f"{tuple(input.shape[:-1])} for input of shape {tuple(input.shape)}")
    classes = input.shape[-1]
    if target.numel() and (int(target.min()) < 0 or int(target.max()) >= classes):
        raise ValueError(f"{op}: target holds class indices outside [0, {classes - 1}]")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def cross_entropy(input, target, reduction="mean"):
    _ce_args("cross_entropy", input, target, reduction)
    logp = log_softmax(input, -1)
    losses = -logp.gather(-1, target.long()[..., None])[..., 0]
    if reduction == "none":
        return losses
    total = losses.sum()
    return total / max(losses.numel(), 1) if reduction == "mean" else total


def cross_entropy_backward(grad_output, input, target, reduction="mean"):
    _ce_args("cross_entropy_backward", input, target, reduction)
    if not isinstance(grad_output, torch.Tensor):
        grad_output = torch.as_tensor(grad_output, dtype=input.dtype, device=input.device)
    (grad,) = autograd_backward(lambda x: cross_entropy(x, target, reduction), grad_output,
                                (input,))
    return grad


for _name in __all__:
    twin_doc(globals()[_name], getattr(reference, _name))
