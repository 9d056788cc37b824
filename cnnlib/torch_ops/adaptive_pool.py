"""PyTorch twin of :mod:`cnnlib.numpy_ops.adaptive_pool`: adaptive average pooling.

The same windows (torch's rule, shared with the NumPy reference), each averaged with
``Tensor.mean``; autograd gives the backward pass.
"""

from __future__ import annotations

import torch

from ..numpy_ops import adaptive_pool as reference
from ..numpy_ops.adaptive_pool import _adaptive_args, _bins
from ._twin import autograd_backward, check_grad_output, twin_of

__all__ = list(reference.__all__)


@twin_of(reference.adaptive_avg_pool2d)
def adaptive_avg_pool2d(input, output_size):
    oh, ow = _adaptive_args("adaptive_avg_pool2d", input, output_size, kind="torch")
    rows, cols = _bins(input.shape[-2], oh), _bins(input.shape[-1], ow)
    return torch.stack([torch.stack([input[..., r0:r1, c0:c1].mean(dim=(-2, -1))
                                     for c0, c1 in cols], dim=-1)
                        for r0, r1 in rows], dim=-2)


@twin_of(reference.adaptive_avg_pool2d_backward)
def adaptive_avg_pool2d_backward(grad_output, input, output_size):
    oh, ow = _adaptive_args("adaptive_avg_pool2d_backward", input, output_size, kind="torch")
    check_grad_output("adaptive_avg_pool2d_backward", grad_output,
                      tuple(input.shape[:-2]) + (oh, ow), input)
    (grad,) = autograd_backward(lambda x: adaptive_avg_pool2d(x, output_size), grad_output,
                                (input,))
    return grad
