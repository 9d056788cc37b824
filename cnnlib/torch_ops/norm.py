"""PyTorch twins of :mod:`cnnlib.numpy_ops.norm`: batch and local response normalisation.

The same algorithms in tensor ops (means and variances over the batch and spatial axes, a
channel-window sum); the running statistics are updated in place without gradient, the
backward passes come from autograd.
"""

from __future__ import annotations

import torch

from ..numpy_ops import norm as reference
from ..numpy_ops.norm import _bn_args, _lrn_args
from ._twin import autograd_backward, check_grad_output, twin_of

__all__ = list(reference.__all__)


def _channel_shape(input):
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def _statistics(input, running_mean, running_var, training):
    dims = (0,) + tuple(range(2, input.ndim))
    if training and input.numel() == 0:            # no values: nothing to normalise
        c = input.shape[1]
        return input.new_zeros(c), input.new_ones(c)
    if training:
        return input.mean(dim=dims), input.var(dim=dims, unbiased=False)
    return running_mean, running_var


def _normalise(input, running_mean, running_var, weight, bias, training, eps):
    """The batch (or running) statistics, and y = scale x + shift per channel, as torch
    computes it; half-precision input with float32 statistics is computed in float32."""
    mixed = any(a is not None and a.dtype != input.dtype
                for a in (running_mean, running_var, weight, bias))
    x = input.float() if mixed else input
    mean, var = _statistics(x, running_mean, running_var, training)
    scale = torch.rsqrt(var + eps)
    if weight is not None:
        scale = scale * weight
    shift = -mean * scale if bias is None else bias - mean * scale
    shape = _channel_shape(input)
    out = x * scale.reshape(shape) + shift.reshape(shape)
    return mean, var, out.to(input.dtype)


@twin_of(reference.batch_norm)
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    _bn_args("batch_norm", input, running_mean, running_var, weight, bias, training, momentum,
             eps, kind="torch")
    mean, var, out = _normalise(input, running_mean, running_var, weight, bias, training, eps)
    if training and input.numel():           # an empty batch leaves the statistics alone
        m = input.numel() // input.shape[1]
        with torch.no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(momentum * mean.detach())
            if running_var is not None:
                running_var.mul_(1 - momentum).add_(momentum * var.detach() * (m / (m - 1)))
    return out


@twin_of(reference.batch_norm_backward)
def batch_norm_backward(grad_output, input, running_mean, running_var, weight=None, bias=None,
                        training=False, momentum=0.1, eps=1e-05):
    _bn_args("batch_norm_backward", input, running_mean, running_var, weight, bias, training,
             momentum, eps, kind="torch")
    check_grad_output("batch_norm_backward", grad_output, input.shape, input)

    def forward(x, w, b):   # the same map, without touching the running statistics
        return _normalise(x, running_mean, running_var, w, b, training, eps)[2]

    return tuple(autograd_backward(forward, grad_output, (input, weight, bias)))


def _window_sums(sq, reach_below, reach_above):
    c = sq.shape[1]
    if c == 0:
        return sq.clone()
    return torch.stack([sq[:, max(0, ch - reach_below):min(c, ch + reach_above + 1)].sum(dim=1)
                        for ch in range(c)], dim=1)


@twin_of(reference.local_response_norm)
def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    _lrn_args("local_response_norm", input, size, alpha, beta, k, kind="torch")
    s = _window_sums(input * input, size // 2, (size - 1) // 2)
    return input / (k + (alpha / size) * s) ** beta


@twin_of(reference.local_response_norm_backward)
def local_response_norm_backward(grad_output, input, size, alpha=0.0001, beta=0.75, k=1.0):
    _lrn_args("local_response_norm_backward", input, size, alpha, beta, k, kind="torch")
    check_grad_output("local_response_norm_backward", grad_output, input.shape, input)
    (grad,) = autograd_backward(lambda x: local_response_norm(x, size, alpha, beta, k),
                                grad_output, (input,))
    return grad
