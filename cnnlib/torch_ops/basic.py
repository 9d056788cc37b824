"""PyTorch twins of :mod:`cnnlib.numpy_ops.basic`: padding, activations, linear, loss."""

from __future__ import annotations

import torch

from .. import _checks as V
from .._index import constant_pad_slices, pad_index
from ..numpy_ops import basic as reference
from ._twin import autograd_backward, twin_of

__all__ = list(reference.__all__)


@twin_of(reference.pad)
def pad(input, pad, mode="constant", value=None):
    pairs = V.pad_args("pad", input, pad, mode, "torch", value)
    if mode == "constant":
        out_shape, src, dst = constant_pad_slices(tuple(input.shape), pairs)
        out = input.new_full(out_shape, 0 if value is None else value)
        out[dst] = input[src]
        return out
    out = input
    for i, (lo, hi) in enumerate(pairs):
        axis = input.ndim - 1 - i
        index = torch.tensor(pad_index(input.shape[axis], lo, hi, mode), dtype=torch.long,
                             device=input.device)
        out = out.index_select(axis, index)
    return out


@twin_of(reference.relu)
def relu(input, inplace=False):
    V.check_array("relu", "input", input, "torch")
    V.check_bool("relu", "inplace", inplace)
    return input.clamp_min_(0) if inplace else input.clamp_min(0)


@twin_of(reference.relu_backward)
def relu_backward(grad_output, input):
    V.check_array("relu_backward", "input", input, "torch")
    V.check_grad_output("relu_backward", grad_output, input.shape, input, "torch")
    return torch.where(input <= 0, torch.zeros_like(grad_output), grad_output)


def _cast(op, input, dtype):
    V.check_array(op, "input", input, "torch")
    if dtype is None:
        return input
    return input.to(V.check_float_dtype(op, "dtype", dtype, "torch"))


@twin_of(reference.log_softmax)
def log_softmax(input, dim, dtype=None):
    return _log_softmax("log_softmax", input, dim, dtype)


def _log_softmax(op, input, dim, dtype):
    x = _cast(op, input, dtype)
    dim = V.check_dim(op, dim, x.ndim)
    if x.numel() == 0:
        return x.clone()
    shifted = x - x.amax(dim=dim, keepdim=True).detach()
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


@twin_of(reference.softmax)
def softmax(input, dim, dtype=None):
    return _log_softmax("softmax", input, dim, dtype).exp()


@twin_of(reference.linear)
def linear(input, weight, bias=None):
    V.linear_args("linear", input, weight, bias, "torch")
    out = input @ weight.T if weight.ndim == 2 else input @ weight
    if bias is not None:
        out = out + bias
    return out


@twin_of(reference.linear_backward)
def linear_backward(grad_output, input, weight, bias=None):
    V.linear_args("linear_backward", input, weight, bias, "torch")
    out_shape = tuple(input.shape[:-1]) + tuple(weight.shape[:-1])
    V.check_grad_output("linear_backward", grad_output, out_shape, input, "torch")
    return tuple(autograd_backward(linear, grad_output, (input, weight, bias)))


@twin_of(reference.cross_entropy)
def cross_entropy(input, target, reduction="mean"):
    V.cross_entropy_args("cross_entropy", input, target, reduction, "torch")
    logp = _log_softmax("cross_entropy", input, -1, None)
    losses = -logp.gather(-1, target.long()[..., None])[..., 0]
    if reduction == "none":
        return losses
    total = losses.sum()
    return total if reduction == "sum" else total / losses.numel()


@twin_of(reference.cross_entropy_backward)
def cross_entropy_backward(grad_output, input, target, reduction="mean"):
    op = "cross_entropy_backward"
    V.cross_entropy_args(op, input, target, reduction, "torch")
    V.check_grad_output(op, grad_output, target.shape if reduction == "none" else (), input,
                        "torch")
    (grad,) = autograd_backward(lambda x: cross_entropy(x, target, reduction), grad_output,
                                (input,))
    return grad
