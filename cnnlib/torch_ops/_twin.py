"""Helpers that give each torch twin its numpy twin's documentation, and autograd backward."""

from __future__ import annotations

import torch


def twin_doc(fn, reference):
    """Document ``fn`` as the PyTorch twin of the NumPy function ``reference``."""
    fn.__doc__ = (
        f"PyTorch twin of :func:`cnnlib.numpy_ops.{reference.__name__}`: same arguments and "
        f"result, on torch tensors of any floating dtype and device, differentiable by "
        f"autograd.\n\n    " + (reference.__doc__ or "").strip())
    return fn


def autograd_backward(forward, grad_output, arrays, **kwargs):
    """Gradients of ``forward(*arrays, **kwargs)`` for every array (None stays None)."""
    leaves = [None if a is None else a.detach().requires_grad_(True) for a in arrays]
    with torch.enable_grad():
        out = forward(*leaves, **kwargs)
        present = [a for a in leaves if a is not None]
        grads = torch.autograd.grad(out, present, grad_output, allow_unused=True)
    grads = iter(grads)
    result = []
    for a in leaves:
        if a is None:
            result.append(None)
        else:
            g = next(grads)
            result.append(torch.zeros_like(a) if g is None else g.detach())
    return result


def check_grad_output(op, grad_output, expected_shape, like):
    from .. import _checks as V

    V.check_array(op, "grad_output", grad_output, "torch")
    if tuple(grad_output.shape) != tuple(expected_shape):
        raise ValueError(f"{op}: grad_output has shape {tuple(grad_output.shape)}, the forward "
                         f"output has shape {tuple(expected_shape)}")
    V.check_same_dtype(op, input=like, grad_output=grad_output)
