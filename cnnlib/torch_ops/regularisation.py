"""PyTorch twin of :mod:`cnnlib.numpy_ops.regularisation`: dropout from an explicit generator.

The mask is ``torch.rand(shape, generator=generator) >= p``; ``generator`` is a
``torch.Generator`` on the input's device (``None``: torch's global generator).
"""

from __future__ import annotations

import torch

from .. import _checks as V
from ..numpy_ops import regularisation as reference
from ._twin import check_grad_output, twin_of

__all__ = list(reference.__all__)


def _dropout_args(op, input, p, training, inplace, generator):
    V.check_array(op, "input", input, "torch")
    V.check_number(op, "p", p, 0.0, 1.0)
    V.check_bool(op, "training", training)
    V.check_bool(op, "inplace", inplace)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"{op}: generator must be a torch.Generator or None, got "
                        f"{type(generator).__name__}")


def _scaled_mask(input, p, generator):
    if p == 1.0:
        return torch.zeros_like(input)
    keep = torch.rand(input.shape, generator=generator, device=input.device,
                      dtype=input.dtype) >= p
    return keep.to(input.dtype) / (1.0 - p)


@twin_of(reference.dropout)
def dropout(input, p=0.5, training=True, inplace=False, generator=None):
    _dropout_args("dropout", input, p, training, inplace, generator)
    if not training or p == 0.0:
        return input
    mask = _scaled_mask(input, p, generator)
    return input.mul_(mask) if inplace else input * mask


@twin_of(reference.dropout_backward)
def dropout_backward(grad_output, input, p=0.5, training=True, inplace=False, generator=None):
    _dropout_args("dropout_backward", input, p, training, inplace, generator)
    check_grad_output("dropout_backward", grad_output, input.shape, input)
    if not training or p == 0.0:
        return grad_output.clone()
    if generator is None:
        raise ValueError("dropout_backward: pass the generator in the state the forward pass "
                         "used (the mask is drawn from it again)")
    return grad_output * _scaled_mask(input, p, generator)
