"""PyTorch twins of :mod:`cnnlib.numpy_ops.style`: Gram matrix, content and style costs,
total variation.

The same formulas with tensor ops (``matmul``, ``transpose``, slicing), so they run on any
device and autograd differentiates them: style transfer (Part 5) optimises an image through
them.
"""

from __future__ import annotations

import torch

from .. import _checks as V
from ..numpy_ops import style as reference
from ..numpy_ops.style import _layers, _pair, _reduction, _volume
from ._twin import autograd_backward, twin_of

__all__ = list(reference.__all__)


def _sizes(x):
    c, h, w = (int(d) for d in x.shape[-3:])
    return h * w, c


def _reduce(per_example, reduction, batched):
    if not batched:
        return per_example[0]
    if reduction == "none":
        return per_example
    return per_example.mean() if reduction == "mean" else per_example.sum()


def _grad_output(op, grad_output, reduction, batched, n, like):
    if not isinstance(grad_output, torch.Tensor):
        grad_output = torch.as_tensor(grad_output, dtype=like.dtype, device=like.device)
    want = (n,) if batched and reduction == "none" else ()
    V.check_grad_output(op, grad_output, want, like, "torch")
    return grad_output


@twin_of(reference.gram_matrix)
def gram_matrix(input):
    _volume("gram_matrix", "input", input, "torch")
    a = input.reshape(input.shape[:-2] + (-1,))
    return a @ a.transpose(-1, -2)


@twin_of(reference.gram_matrix_backward)
def gram_matrix_backward(grad_output, input):
    _volume("gram_matrix_backward", "input", input, "torch")
    V.check_grad_output("gram_matrix_backward", grad_output,
                        tuple(input.shape[:-2]) + (input.shape[-3],), input, "torch")
    a = input.reshape(input.shape[:-2] + (-1,))
    # summed after the products, as autograd sums them (an infinity gives torch's NaN)
    return (grad_output @ a + grad_output.transpose(-1, -2) @ a).reshape(input.shape)


@twin_of(reference.content_cost)
def content_cost(input, target, reduction="mean"):
    _pair("content_cost", input, target, "torch")
    _reduction("content_cost", reduction)
    hw, c = _sizes(input)
    diff = (target - input).reshape(input.shape[0] if input.ndim == 4 else 1, -1)
    per_example = (diff * diff).sum(dim=1) / (4 * hw * c)
    return _reduce(per_example, reduction, input.ndim == 4)


@twin_of(reference.content_cost_backward)
def content_cost_backward(grad_output, input, target, reduction="mean"):
    _pair("content_cost_backward", input, target, "torch")
    _reduction("content_cost_backward", reduction)
    n = input.shape[0] if input.ndim == 4 else 1
    g = _grad_output("content_cost_backward", grad_output, reduction, input.ndim == 4, n, input)
    return tuple(autograd_backward(lambda a, b: content_cost(a, b, reduction), g,
                                   (input, target)))


@twin_of(reference.style_layer_cost)
def style_layer_cost(input, target, reduction="mean"):
    _pair("style_layer_cost", input, target, "torch")
    _reduction("style_layer_cost", reduction)
    hw, c = _sizes(input)
    diff = gram_matrix(target) - gram_matrix(input)
    diff = diff.reshape(input.shape[0] if input.ndim == 4 else 1, -1)
    per_example = (diff * diff).sum(dim=1) / float((2 * hw * c) ** 2)
    return _reduce(per_example, reduction, input.ndim == 4)


@twin_of(reference.style_layer_cost_backward)
def style_layer_cost_backward(grad_output, input, target, reduction="mean"):
    _pair("style_layer_cost_backward", input, target, "torch")
    _reduction("style_layer_cost_backward", reduction)
    n = input.shape[0] if input.ndim == 4 else 1
    g = _grad_output("style_layer_cost_backward", grad_output, reduction, input.ndim == 4, n,
                     input)
    return tuple(autograd_backward(lambda a, b: style_layer_cost(a, b, reduction), g,
                                   (input, target)))


@twin_of(reference.style_cost)
def style_cost(inputs, targets, weights=None, reduction="mean"):
    weights = _layers("style_cost", inputs, targets, weights, "torch")
    _reduction("style_cost", reduction)
    total = None
    for w, a, s in zip(weights, inputs, targets):
        term = style_layer_cost(a, s, reduction) * w
        total = term if total is None else total + term
    return total


@twin_of(reference.style_cost_backward)
def style_cost_backward(grad_output, inputs, targets, weights=None, reduction="mean"):
    weights = _layers("style_cost_backward", inputs, targets, weights, "torch")
    _reduction("style_cost_backward", reduction)
    grad_inputs, grad_targets = [], []
    for w, a, s in zip(weights, inputs, targets):
        if not isinstance(grad_output, torch.Tensor):
            grad_output = torch.as_tensor(grad_output, dtype=a.dtype, device=a.device)
        gi, gt = style_layer_cost_backward(grad_output * w, a, s, reduction)
        grad_inputs.append(gi)
        grad_targets.append(gt)
    return grad_inputs, grad_targets


@twin_of(reference.total_variation)
def total_variation(input, reduction="mean"):
    _volume("total_variation", "input", input, "torch")
    _reduction("total_variation", reduction)
    x = input if input.ndim == 4 else input[None]
    dh = x[:, :, 1:, :] - x[:, :, :-1, :]
    dw = x[:, :, :, 1:] - x[:, :, :, :-1]
    per_example = (dh * dh).sum(dim=(1, 2, 3)) + (dw * dw).sum(dim=(1, 2, 3))
    return _reduce(per_example, reduction, input.ndim == 4)


@twin_of(reference.total_variation_backward)
def total_variation_backward(grad_output, input, reduction="mean"):
    _volume("total_variation_backward", "input", input, "torch")
    _reduction("total_variation_backward", reduction)
    n = input.shape[0] if input.ndim == 4 else 1
    g = _grad_output("total_variation_backward", grad_output, reduction, input.ndim == 4, n,
                     input)
    (grad,) = autograd_backward(lambda x: total_variation(x, reduction), g, (input,))
    return grad
