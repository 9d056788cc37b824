"""What every torch twin shares: its NumPy twin's documentation, and a backward by autograd."""

from __future__ import annotations

import torch

from .. import _checks as V


def twin_doc(fn, reference):
    """Document ``fn`` as the PyTorch twin of the NumPy function ``reference``; returns ``fn``."""
    fn.__doc__ = (
        f"PyTorch twin of :func:`cnnlib.numpy_ops.{reference.__name__}`: same arguments and "
        f"result, on torch tensors of any floating dtype and device, differentiable by "
        f"autograd.\n\n    " + (reference.__doc__ or "").strip())
    return fn


def twin_of(reference):
    """Decorator: ``@twin_of(reference.conv2d)`` above ``def conv2d(...)`` gives it the
    NumPy twin's docstring (see :func:`twin_doc`)."""
    def attach(fn):
        return twin_doc(fn, reference)
    return attach


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
    """:func:`cnnlib._checks.check_grad_output` for tensors (kept for modules that import it
    from here; new code calls ``_checks.check_grad_output(..., "torch")``)."""
    V.check_grad_output(op, grad_output, expected_shape, like, "torch")
