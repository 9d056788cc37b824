r"""Normalisation layers in NumPy: batch normalisation and local response normalisation.

**Batch normalisation** (Ioffe and Szegedy, 2015) makes every channel of a layer's output
have mean 0 and variance 1 over the minibatch, then gives it a learned scale and shift:

.. math:: \hat x = \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta

with :math:`\mu_B, \sigma_B^2` the mean and the (biased) variance of the channel over the batch
and every spatial position. At evaluation the batch statistics are replaced by running averages
collected during training. Section 2.2 (ResNets put one after every convolution).

**Local response normalisation** (AlexNet, 2012) divides each activation by a power of the
summed squares of its neighbours across channels; batch normalisation has replaced it.
Section 2.1.
"""

from __future__ import annotations

import numpy as np

from .. import _checks as V

__all__ = ["batch_norm", "batch_norm_backward", "local_response_norm",
           "local_response_norm_backward"]


def _bn_args(op, input, running_mean, running_var, weight, bias, training, momentum, eps,
             kind="numpy"):
    V.check_array(op, "input", input, kind)
    if input.ndim < 2:
        raise ValueError(f"{op}: input expects at least 2 dimensions (N, C, ...), got "
                         f"{input.ndim}-D with shape {tuple(input.shape)}")
    V.check_bool(op, "training", training)
    V.check_number(op, "momentum", momentum)
    V.check_number(op, "eps", eps, minimum=0.0)
    c = input.shape[1]
    for name, a in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if a is None:
            if name.startswith("running") and not training:
                raise ValueError(f"{op}: {name} is required in evaluation (training=False)")
            continue
        V.check_array(op, name, a, kind, ndims=(1,))
        if a.shape[0] != c:
            raise ValueError(f"{op}: {name} has {a.shape[0]} elements, input has {c} channels")
    params = dict(running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    if kind == "torch" and V.dtype_name(input) in ("float16", "bfloat16") and all(
            V.dtype_name(a) == "float32" for a in params.values() if a is not None):
        # torch's mixed precision: half input, float32 statistics and parameters
        V.check_same_dtype(op, **params)
    else:
        V.check_same_dtype(op, input=input, **params)
    count = input.shape[0] * int(np.prod(input.shape[2:], dtype=np.int64))
    if training and count == 1:
        raise ValueError(f"{op}: training needs more than 1 value per channel to compute a "
                         f"variance, got input of shape {tuple(input.shape)}")


def _channel_shape(input):
    """(1, C, 1, ..., 1): how a per-channel vector broadcasts against ``input``."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def _statistics(input, running_mean, running_var, training, eps):
    """Mean, 1 / sqrt(var + eps) and the normalised input, per the mode (nothing updated)."""
    axes = (0,) + tuple(range(2, input.ndim))
    shape = _channel_shape(input)
    if training and input.size == 0:                 # no values: nothing to normalise
        mean = np.zeros(input.shape[1], input.dtype)
        var = np.ones(input.shape[1], input.dtype)
    elif training:
        mean = input.mean(axis=axes)
        var = input.var(axis=axes)                   # biased: divide by m, not m - 1
    else:
        mean, var = running_mean, running_var
    inv_std = 1.0 / np.sqrt(var + input.dtype.type(eps))
    x_hat = (input - mean.reshape(shape)) * inv_std.reshape(shape)
    return mean, var, inv_std, x_hat


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    r"""Batch normalisation, as ``torch.nn.functional.batch_norm``.

    input: (N, C, ...), normalised per channel over the batch and every spatial axis;
    ``running_mean``, ``running_var``, ``weight`` (:math:`\gamma`) and ``bias``
    (:math:`\beta`): (C,) or None. With ``training=True`` the batch's own mean and biased
    variance normalise, and the running statistics (when given) are updated *in place*:
    ``running = (1 - momentum) running + momentum batch``, the variance entering unbiased
    (times :math:`m/(m-1)`, :math:`m` values per channel). With ``training=False`` the
    running statistics normalise. Returns :math:`\gamma \hat x + \beta`, the shape of
    ``input``, computed as one affine map per channel, :math:`y = a x + b` with
    :math:`a = \gamma / \sqrt{\sigma^2 + \epsilon}` and :math:`b = \beta - a \mu`.
    Section 2.2.
    """
    _bn_args("batch_norm", input, running_mean, running_var, weight, bias, training, momentum,
             eps)
    mean, var, inv_std, _ = _statistics(input, running_mean, running_var, training, eps)
    if training and input.size:              # an empty batch leaves the statistics alone
        m = input.size // input.shape[1]
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += momentum * var * (m / (m - 1))
    # one affine map per channel, y = scale x + shift (as torch computes it, so that a
    # non-finite weight gives what torch gives)
    scale = inv_std if weight is None else inv_std * weight
    shift = -mean * scale if bias is None else bias - mean * scale
    shape = _channel_shape(input)
    out = input * scale.reshape(shape) + shift.reshape(shape)
    return out.astype(input.dtype, copy=False)


def batch_norm_backward(grad_output, input, running_mean, running_var, weight=None, bias=None,
                        training=False, momentum=0.1, eps=1e-05):
    r"""Gradients of :func:`batch_norm`: ``(grad_input, grad_weight, grad_bias)``.

    ``grad_weight`` :math:`= \sum g \hat x` and ``grad_bias`` :math:`= \sum g` over the batch
    and spatial axes (None when ``weight`` / ``bias`` is None). In training, the mean and
    variance depend on every input, which gives

    .. math:: \frac{\partial L}{\partial x} = \frac{1}{\sigma}\Big(\hat g
              - \operatorname{mean}(\hat g) - \hat x \operatorname{mean}(\hat g \hat x)\Big),
              \qquad \hat g = \gamma g ;

    in evaluation the statistics are constants and it is :math:`\gamma g / \sigma`. The
    running statistics are not touched. Section 2.2.
    """
    _bn_args("batch_norm_backward", input, running_mean, running_var, weight, bias, training,
             momentum, eps)
    V.check_grad_output("batch_norm_backward", grad_output, input.shape, input, "numpy")
    axes = (0,) + tuple(range(2, input.ndim))
    shape = _channel_shape(input)
    _, _, inv_std, x_hat = _statistics(input, running_mean, running_var, training, eps)
    g_hat = grad_output if weight is None else grad_output * weight.reshape(shape)
    if training and input.size == 0:
        grad_input = np.zeros_like(input)
    elif training:
        grad_input = inv_std.reshape(shape) * (
            g_hat - g_hat.mean(axis=axes, keepdims=True)
            - x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True))
    else:
        grad_input = g_hat * inv_std.reshape(shape)
    grad_weight = None if weight is None else (grad_output * x_hat).sum(axis=axes)
    grad_bias = None if bias is None else grad_output.sum(axis=axes)
    cast = (lambda a: None if a is None else a.astype(input.dtype, copy=False))
    return cast(grad_input), cast(grad_weight), cast(grad_bias)


def _lrn_args(op, input, size, alpha, beta, k, kind="numpy"):
    V.check_array(op, "input", input, kind)
    if input.ndim < 3:
        raise ValueError(f"{op}: input expects at least 3 dimensions (N, C, ...), got "
                         f"{input.ndim}-D with shape {tuple(input.shape)}")
    V.check_int(op, "size", size, minimum=1)
    for name, value in (("alpha", alpha), ("beta", beta), ("k", k)):
        V.check_number(op, name, value)


def _window_sums(sq, size, reach_below, reach_above):
    """For every channel c, the sum of ``sq`` over channels ``c - reach_below .. c + reach_above``
    (clipped to the channels that exist)."""
    c = sq.shape[1]
    out = np.zeros_like(sq)
    for ch in range(c):
        lo, hi = max(0, ch - reach_below), min(c, ch + reach_above + 1)
        out[:, ch] = sq[:, lo:hi].sum(axis=1)
    return out


def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    r"""Local response normalisation across channels, as ``torch.nn.functional.local_response_norm``.

    .. math:: b_c = a_c \Big/ \Big(k + \frac{\alpha}{n} \sum_{c'} a_{c'}^2\Big)^{\beta}

    where :math:`n` is ``size`` and :math:`c'` runs over the channels from
    ``c - size // 2`` to ``c + (size - 1) // 2`` that exist. (AlexNet's paper writes
    :math:`\alpha` without the division by :math:`n`.) input: (N, C, ...), at least 3-D;
    output the same shape. Section 2.1.
    """
    _lrn_args("local_response_norm", input, size, alpha, beta, k)
    s = _window_sums(input * input, size, size // 2, (size - 1) // 2)
    base = k + (alpha / size) * s
    return (input / base ** beta).astype(input.dtype, copy=False)


def local_response_norm_backward(grad_output, input, size, alpha=0.0001, beta=0.75, k=1.0):
    r"""Gradient of :func:`local_response_norm` with respect to ``input``.

    With :math:`D_c = k + \frac{\alpha}{n} s_c` (so :math:`b_c = a_c D_c^{-\beta}`), input
    :math:`a_j` reaches :math:`b_j` directly and every :math:`b_c` whose window holds
    :math:`j` through :math:`s_c`:

    .. math:: \frac{\partial L}{\partial a_j} = g_j D_j^{-\beta} - \frac{2 \alpha \beta}{n}\,
              a_j \sum_{c \ni j} g_c\, a_c\, D_c^{-\beta - 1}.

    Section 2.1.
    """
    _lrn_args("local_response_norm_backward", input, size, alpha, beta, k)
    V.check_grad_output("local_response_norm_backward", grad_output, input.shape, input,
                        "numpy")
    s = _window_sums(input * input, size, size // 2, (size - 1) // 2)
    base = k + (alpha / size) * s
    t = grad_output * input * base ** (-beta - 1)
    # channel c's window holds j when j - (size-1)//2 <= c <= j + size//2: the mirrored window
    back = _window_sums(t, size, (size - 1) // 2, size // 2)
    grad = grad_output * base ** (-beta) - (2 * alpha * beta / size) * input * back
    return grad.astype(input.dtype, copy=False)
