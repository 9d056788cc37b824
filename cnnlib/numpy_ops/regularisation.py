"""Regularisation in NumPy: dropout, with the random draw made explicit by a generator.

During training, dropout sets each activation to zero with probability ``p`` and multiplies the
survivors by ``1 / (1 - p)`` (inverted dropout), so that the expected value of every activation
is unchanged and the network needs no rescaling at test time, where dropout does nothing.
AlexNet and VGG use it before their hidden fully connected layers (section 2.1).

``torch.nn.functional.dropout`` draws from torch's global generator; here the caller passes the
generator, so that a draw can be repeated: :func:`dropout_backward` takes a generator in the
same state as the forward's and draws the same mask.
"""

from __future__ import annotations

import numpy as np

from .. import _checks as V

__all__ = ["dropout", "dropout_backward"]


def _dropout_args(op, input, p, training, inplace, generator, kind="numpy"):
    V.check_array(op, "input", input, kind)
    V.check_number(op, "p", p, 0.0, 1.0)
    V.check_bool(op, "training", training)
    V.check_bool(op, "inplace", inplace)
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{op}: generator must be a numpy.random.Generator or None, got "
                        f"{type(generator).__name__}")


def _scaled_mask(input, p, generator):
    """Keep each value with probability 1 - p; survivors are scaled by 1 / (1 - p)."""
    if p == 1.0:
        return np.zeros_like(input)
    keep = generator.random(input.shape, dtype=input.dtype) >= p
    return keep.astype(input.dtype) / input.dtype.type(1.0 - p)


def dropout(input, p=0.5, training=True, inplace=False, generator=None):
    """Inverted dropout, as ``torch.nn.functional.dropout`` with an explicit ``generator``.

    In training, every value of ``input`` (any shape) is zeroed with probability ``p`` and
    the others are divided by ``1 - p``; the keep-mask is ``generator.random(shape) >= p``
    (``generator``: a ``numpy.random.Generator``; ``None`` draws a fresh one). With
    ``training=False`` (or ``p=0``) it returns ``input`` itself. ``inplace=True`` overwrites
    ``input``. Section 2.1.
    """
    _dropout_args("dropout", input, p, training, inplace, generator)
    if not training or p == 0.0:
        return input
    mask = _scaled_mask(input, p, np.random.default_rng() if generator is None else generator)
    if inplace:
        input *= mask
        return input
    return input * mask


def dropout_backward(grad_output, input, p=0.5, training=True, inplace=False, generator=None):
    """Gradient of :func:`dropout`: ``grad_output`` times the same scaled mask.

    ``generator`` must be in the state the forward pass started from (a copy made before it,
    e.g. ``copy.deepcopy(generator)``), so that it draws the same mask. Not needed in
    evaluation, where the gradient passes unchanged. Section 2.1.
    """
    _dropout_args("dropout_backward", input, p, training, inplace, generator)
    V.check_grad_output("dropout_backward", grad_output, input.shape, input, "numpy")
    if not training or p == 0.0:
        return grad_output.copy()
    if generator is None:
        raise ValueError("dropout_backward: pass the generator in the state the forward pass "
                         "used (the mask is drawn from it again)")
    return grad_output * _scaled_mask(input, p, generator)
