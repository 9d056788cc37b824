"""Neural style transfer's costs in NumPy: the Gram matrix, the content and style costs, and
total variation, each with its backward pass.

The activations of one layer for one image form a volume of shape (n_C, n_H, n_W) (the course
writes it (n_H, n_W, n_C); the numbers are the same). Unrolled to a matrix ``A`` of shape
(n_C, n_H n_W), one row per channel, the **Gram matrix** is ``G = A A^T``: entry (k, k') sums
the product of channels k and k' over every position, so it is large when the two features
fire at the same places. It forgets *where* things are and keeps *which features occur
together*, which is what the course calls style (section 5.3.2).

The costs use the course's normalisations. For one layer,

.. math::

    J_{content}(C, G) = \\frac{1}{4 n_H n_W n_C} \\sum (a^{(C)} - a^{(G)})^2

    J^{[l]}_{style}(S, G) = \\frac{1}{(2 n_H n_W n_C)^2} \\sum_{k}\\sum_{k'}
        (G^{(S)}_{kk'} - G^{(G)}_{kk'})^2

and the style cost of several layers is the weighted sum
:math:`J_{style} = \\sum_l \\lambda_l J^{[l]}_{style}`. Every op takes one example (C, H, W)
or a batch (N, C, H, W); the costs reduce over the batch as ``torch.nn.functional``'s losses
do (``reduction='mean'``, ``'sum'`` or ``'none'``). The argument order is torch's
``(input, target)``: ``input`` holds the generated image's activations :math:`a^{(G)}`,
``target`` the content's :math:`a^{(C)}` or the style's :math:`a^{(S)}`.

Every function here has a twin of the same name in :mod:`cnnlib.torch_ops`. Sections 5.3,
5.3.1 and 5.3.2.
"""

from __future__ import annotations

import numpy as np

from .. import _checks as V

__all__ = ["gram_matrix", "gram_matrix_backward", "content_cost", "content_cost_backward",
           "style_layer_cost", "style_layer_cost_backward", "style_cost", "style_cost_backward",
           "total_variation", "total_variation_backward"]

REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------------------------
# Argument checks, shared with the torch twins (``kind`` is "numpy" or "torch")
# --------------------------------------------------------------------------------------------

def _volume(op, name, x, kind):
    """A (C, H, W) or (N, C, H, W) floating array with at least one element per axis."""
    V.check_array(op, name, x, kind, ndims=(3, 4))
    if any(int(d) == 0 for d in x.shape):
        raise ValueError(f"{op}: {name} has an empty axis, shape {tuple(x.shape)}")
    return x


def _pair(op, input, target, kind, what="target", names=("input", "target")):
    """``input`` and ``target``: volumes of one shape and one dtype (and device); ``names``
    are the arguments' names in messages (``inputs[0]``, ``targets[0]`` for a layer)."""
    _volume(op, names[0], input, kind)
    _volume(op, names[1], target, kind)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{op}: {names[0]} has shape {tuple(input.shape)} but {names[1]} has "
                         f"shape {tuple(target.shape)}; the generated image and the {what} image "
                         f"must give activations of the same shape (same size, same layer)")
    V.check_same_dtype(op, **{names[0]: input, names[1]: target})


def _reduction(op, reduction):
    return V.check_choice(op, "reduction", reduction, REDUCTIONS)


def _layers(op, inputs, targets, weights, kind):
    """Per-layer (input, target) pairs and their weights (default: 1/L each)."""
    for name, seq in (("inputs", inputs), ("targets", targets)):
        if not isinstance(seq, (list, tuple)):
            raise TypeError(f"{op}: {name} must be a list or tuple with one activation array per "
                            f"layer, got {type(seq).__name__}")
    if not inputs:
        raise ValueError(f"{op}: give at least one layer (inputs is empty)")
    if len(inputs) != len(targets):
        raise ValueError(f"{op}: inputs has {len(inputs)} layers but targets has {len(targets)}")
    for i, (a, b) in enumerate(zip(inputs, targets)):
        _pair(op, a, b, kind, names=(f"inputs[{i}]", f"targets[{i}]"))
    batched = {a.ndim for a in inputs}
    if len(batched) > 1 or (4 in batched and len({int(a.shape[0]) for a in inputs}) > 1):
        raise ValueError(f"{op}: every layer must come from the same batch of images, got shapes "
                         f"{[tuple(a.shape) for a in inputs]}")
    V.check_same_dtype(op, **{f"inputs[{i}]": a for i, a in enumerate(inputs)})
    n = len(inputs)
    if weights is None:
        return [1.0 / n] * n
    if not isinstance(weights, (list, tuple)) and not (
            hasattr(weights, "ndim") and weights.ndim == 1):
        raise TypeError(f"{op}: weights must be a sequence of {n} numbers (lambda_l per layer), "
                        f"got {type(weights).__name__}")
    weights = [w.item() if getattr(w, "ndim", None) == 0 else w for w in weights]
    if len(weights) != n:
        raise ValueError(f"{op}: weights has {len(weights)} entries but there are {n} layers")
    return [V.check_number(op, f"weights[{i}]", w, minimum=0.0) for i, w in enumerate(weights)]


def _sizes(x):
    """(n_H * n_W, n_C) of a (C, H, W) or (N, C, H, W) volume."""
    c, h, w = (int(d) for d in x.shape[-3:])
    return h * w, c


def _reduce(per_example, reduction, batched):
    """Reduce per-example costs as torch's losses do; unbatched inputs give a scalar."""
    if not batched:
        return per_example[0]
    if reduction == "none":
        return per_example
    total = per_example.sum()
    return total / per_example.shape[0] if reduction == "mean" else total


def _grad_scale(op, grad_output, reduction, batched, n, dtype):
    """d(reduced cost)/d(per-example cost) as an (N,) array."""
    g = np.asarray(grad_output, dtype=dtype)
    want = (n,) if batched and reduction == "none" else ()
    if g.shape != want:
        raise ValueError(f"{op}: grad_output has shape {g.shape}, the forward output has shape "
                         f"{want}")
    if want:
        return g
    return np.full(n, g / n if (batched and reduction == "mean") else g, dtype=dtype)


# --------------------------------------------------------------------------------------------
# The Gram matrix
# --------------------------------------------------------------------------------------------

def gram_matrix(input):
    """Gram matrix of a layer's activations: ``G[k, k'] = sum_ij a[k, i, j] a[k', i, j]``.

    ``input`` (C, H, W) gives (C, C); a batch (N, C, H, W) gives (N, C, C), one matrix per
    image. With the activations unrolled to ``A`` of shape (n_C, n_H n_W), ``G = A A^T``: a
    symmetric n_C x n_C matrix whose diagonal holds how strongly each channel fires overall and
    whose off-diagonal entries hold how often two channels fire together. It is not
    normalised (:func:`style_layer_cost` divides by ``(2 n_H n_W n_C)^2``). Section 5.3.2.
    """
    _volume("gram_matrix", "input", input, "numpy")
    a = input.reshape(input.shape[:-2] + (-1,))            # (..., C, H*W): one row per channel
    return a @ np.swapaxes(a, -1, -2)


def gram_matrix_backward(grad_output, input):
    """Gradient of :func:`gram_matrix`: ``g A + g^T A`` (that is, ``(g + g^T) A``), reshaped
    like ``input``.

    Each activation ``a[k, p]`` appears in row k and in column k of ``G``, hence both ``g``
    and its transpose. The two products are summed after the multiplication, as autograd
    sums them, so that an infinite activation gives torch's NaN where they cancel.
    """
    _volume("gram_matrix_backward", "input", input, "numpy")
    out_shape = input.shape[:-2] + (input.shape[-3],)
    V.check_grad_output("gram_matrix_backward", grad_output, out_shape, input, "numpy")
    a = input.reshape(input.shape[:-2] + (-1,))
    return (grad_output @ a + np.swapaxes(grad_output, -1, -2) @ a).reshape(input.shape)


# --------------------------------------------------------------------------------------------
# Content cost
# --------------------------------------------------------------------------------------------

def content_cost(input, target, reduction="mean"):
    """Content cost of one layer: ``sum (target - input)^2 / (4 n_H n_W n_C)`` per image.

    ``input`` holds the generated image's activations a(G), ``target`` the content image's
    a(C), both (C, H, W) or both (N, C, H, W). An unbatched pair gives a scalar; a batch is
    reduced over its images by ``reduction`` (``'mean'``, ``'sum'``, or ``'none'`` for the (N,)
    per-image costs). Section 5.3.1.
    """
    _pair("content_cost", input, target, "numpy")
    _reduction("content_cost", reduction)
    hw, c = _sizes(input)
    diff = (target - input).reshape(input.shape[0] if input.ndim == 4 else 1, -1)
    per_example = (diff * diff).sum(axis=1) / input.dtype.type(4 * hw * c)
    return _reduce(per_example, reduction, input.ndim == 4)


def content_cost_backward(grad_output, input, target, reduction="mean"):
    """Gradients of :func:`content_cost`: ``(grad_input, grad_target)``.

    ``d J / d a(G) = (a(G) - a(C)) / (2 n_H n_W n_C)`` (times ``grad_output``, and ``1/N`` for
    ``'mean'``); the target's gradient is its negative.
    """
    _pair("content_cost_backward", input, target, "numpy")
    _reduction("content_cost_backward", reduction)
    n = input.shape[0] if input.ndim == 4 else 1
    g = _grad_scale("content_cost_backward", grad_output, reduction, input.ndim == 4, n,
                    input.dtype)
    hw, c = _sizes(input)
    scale = (g / (2 * hw * c)).astype(input.dtype)
    scale = scale.reshape((n, 1, 1, 1) if input.ndim == 4 else ())
    grad_input = (input - target) * scale
    return grad_input, -grad_input


# --------------------------------------------------------------------------------------------
# Style cost
# --------------------------------------------------------------------------------------------

def style_layer_cost(input, target, reduction="mean"):
    """Style cost of one layer: ``sum (G(target) - G(input))^2 / (2 n_H n_W n_C)^2`` per image.

    ``input`` holds the generated image's activations a(G), ``target`` the style image's
    a(S), both (C, H, W) or both (N, C, H, W); ``G(.)`` is :func:`gram_matrix`. The
    normalisation makes the cost of one layer comparable between layers of different sizes.
    Reduction over a batch as in :func:`content_cost`. Section 5.3.2.
    """
    _pair("style_layer_cost", input, target, "numpy")
    _reduction("style_layer_cost", reduction)
    hw, c = _sizes(input)
    diff = gram_matrix(target) - gram_matrix(input)
    diff = diff.reshape(-1, c * c) if input.ndim == 4 else diff.reshape(1, -1)
    per_example = (diff * diff).sum(axis=1) / input.dtype.type((2 * hw * c) ** 2)
    return _reduce(per_example, reduction, input.ndim == 4)


def style_layer_cost_backward(grad_output, input, target, reduction="mean"):
    """Gradients of :func:`style_layer_cost`: ``(grad_input, grad_target)``.

    With ``D = G(input) - G(target)``, ``d J / d G(input) = 2 D / (2 n_H n_W n_C)^2``, passed
    through :func:`gram_matrix_backward` (``D`` is symmetric, so ``(g + g^T) A = 2 g A``).
    """
    _pair("style_layer_cost_backward", input, target, "numpy")
    _reduction("style_layer_cost_backward", reduction)
    n = input.shape[0] if input.ndim == 4 else 1
    g = _grad_scale("style_layer_cost_backward", grad_output, reduction, input.ndim == 4, n,
                    input.dtype)
    hw, c = _sizes(input)
    scale = (2 * g / (2 * hw * c) ** 2).astype(input.dtype)
    scale = scale.reshape((n, 1, 1) if input.ndim == 4 else ())
    diff = (gram_matrix(input) - gram_matrix(target)) * scale
    return (gram_matrix_backward(diff, input), gram_matrix_backward(-diff, target))


def style_cost(inputs, targets, weights=None, reduction="mean"):
    """Style cost over several layers: ``sum_l weights[l] * style_layer_cost(inputs[l], targets[l])``.

    ``inputs`` and ``targets`` are lists (or tuples) with one activation array per layer, the
    generated image's and the style image's; layers may differ in shape, but each pair must
    match. ``weights`` are the course's lambda_l (non-negative numbers, one per layer); the
    default gives every layer ``1 / L``. Section 5.3.2.
    """
    weights = _layers("style_cost", inputs, targets, weights, "numpy")
    _reduction("style_cost", reduction)
    total = None
    for w, a, s in zip(weights, inputs, targets):
        term = style_layer_cost(a, s, reduction) * a.dtype.type(w)
        total = term if total is None else total + term
    return total


def style_cost_backward(grad_output, inputs, targets, weights=None, reduction="mean"):
    """Gradients of :func:`style_cost`: ``(grad_inputs, grad_targets)``, two lists with one
    array per layer, each :func:`style_layer_cost_backward` scaled by that layer's weight."""
    weights = _layers("style_cost_backward", inputs, targets, weights, "numpy")
    _reduction("style_cost_backward", reduction)
    grad_inputs, grad_targets = [], []
    for w, a, s in zip(weights, inputs, targets):
        g = np.asarray(grad_output, dtype=a.dtype) * a.dtype.type(w)
        gi, gt = style_layer_cost_backward(g, a, s, reduction)
        grad_inputs.append(gi)
        grad_targets.append(gt)
    return grad_inputs, grad_targets


# --------------------------------------------------------------------------------------------
# Total variation
# --------------------------------------------------------------------------------------------

def total_variation(input, reduction="mean"):
    """Total variation: the summed squared differences between neighbouring pixels.

    ``sum_{c,i,j} (x[c, i+1, j] - x[c, i, j])^2 + (x[c, i, j+1] - x[c, i, j])^2`` per image,
    for ``input`` (C, H, W) or (N, C, H, W), reduced over a batch as :func:`content_cost`.
    Added to a cost with a small weight, it penalises pixel noise and favours smooth images
    (the squared form of Mahendran and Vedaldi's regulariser). Sections 5.2 and 5.3.
    """
    _volume("total_variation", "input", input, "numpy")
    _reduction("total_variation", reduction)
    x = input if input.ndim == 4 else input[None]
    dh = x[:, :, 1:, :] - x[:, :, :-1, :]
    dw = x[:, :, :, 1:] - x[:, :, :, :-1]
    per_example = (dh * dh).sum(axis=(1, 2, 3)) + (dw * dw).sum(axis=(1, 2, 3))
    return _reduce(per_example.astype(input.dtype), reduction, input.ndim == 4)


def total_variation_backward(grad_output, input, reduction="mean"):
    """Gradient of :func:`total_variation`: each pixel gets ``2 (x - neighbour)`` summed over
    its (up to four) neighbours, times ``grad_output``."""
    _volume("total_variation_backward", "input", input, "numpy")
    _reduction("total_variation_backward", reduction)
    n = input.shape[0] if input.ndim == 4 else 1
    g = _grad_scale("total_variation_backward", grad_output, reduction, input.ndim == 4, n,
                    input.dtype)
    x = input if input.ndim == 4 else input[None]
    dh = x[:, :, 1:, :] - x[:, :, :-1, :]
    dw = x[:, :, :, 1:] - x[:, :, :, :-1]
    grad = np.zeros_like(x)
    grad[:, :, 1:, :] += 2 * dh
    grad[:, :, :-1, :] -= 2 * dh
    grad[:, :, :, 1:] += 2 * dw
    grad[:, :, :, :-1] -= 2 * dw
    grad *= g.reshape(n, 1, 1, 1)
    return grad if input.ndim == 4 else grad[0]
