"""Distances and losses between embeddings, in NumPy (Part 4).

A face recognition network is trained so that the distance between two embeddings says whether
two images show one person. These are the pieces:

- :func:`pairwise_distance` and :func:`cosine_similarity`, as ``torch.nn.functional``;
- :func:`triplet_loss`, the course's triplet loss on *squared* distances (section 4.4);
- :func:`triplet_margin_loss`, PyTorch's triplet loss on distances (not squared), with its
  ``eps``, ``p`` and ``swap``;
- :func:`contrastive_loss`, the loss of a siamese network trained on pairs (Hadsell, Chopra
  and LeCun, 2006; section 4.3).

Each has a ``_backward`` that returns the gradient of every array argument, checked against
finite differences and torch's autograd by the tests.
"""

from __future__ import annotations

import numpy as np

from .. import _checks as V

__all__ = ["pairwise_distance", "pairwise_distance_backward", "cosine_similarity",
           "cosine_similarity_backward", "triplet_loss", "triplet_loss_backward",
           "triplet_margin_loss", "triplet_margin_loss_backward", "contrastive_loss",
           "contrastive_loss_backward"]

_REDUCTIONS = ("mean", "sum", "none")


def _unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def _two_inputs(op, x1, x2, min_ndim=1):
    V.check_array(op, "x1", x1, "numpy")
    V.check_array(op, "x2", x2, "numpy")
    V.check_same_dtype(op, x1=x1, x2=x2)
    if max(x1.ndim, x2.ndim) < min_ndim:
        raise ValueError(f"{op}: x1 or x2 must have at least {min_ndim} dimension(s), got "
                         f"shapes {tuple(x1.shape)} and {tuple(x2.shape)}")
    try:
        return np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"{op}: x1 of shape {tuple(x1.shape)} and x2 of shape "
                         f"{tuple(x2.shape)} cannot be broadcast together; embeddings are "
                         f"compared along their last axis, so both need the same length "
                         f"there") from None


def _grad_output(op, grad_output, shape, like):
    """``grad_output`` checked against the forward's output shape; a number is accepted for a
    scalar output."""
    if np.ndim(grad_output) == 0 and not isinstance(grad_output, np.ndarray):
        grad_output = np.asarray(grad_output, dtype=like.dtype)
    V.check_grad_output(op, grad_output, tuple(shape), like, "numpy")
    return grad_output


def _check_p(op, p):
    p = V.check_number(op, "p", p, minimum=0.0, strict=True)
    return p


def _pnorm(t, p, keepdim):
    a = np.abs(t)
    if p == 2:
        return np.sqrt((a * a).sum(-1, keepdims=keepdim))
    if p == 1:
        return a.sum(-1, keepdims=keepdim)
    return (a ** p).sum(-1, keepdims=keepdim) ** (1 / p)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm distance between rows, :math:`\\lVert x_1 - x_2 + \\epsilon \\rVert_p`, as
    ``torch.nn.functional.pairwise_distance``.

    ``x1`` and ``x2``: (N, D) or (D,), or any shapes that broadcast; the norm is taken over
    the last axis, so the result is (N,) (or a scalar), with the last axis kept as 1 when
    ``keepdim``. Like torch, ``eps`` is added to every difference (so the gradient exists
    where :math:`x_1 = x_2`); ``p`` is any positive number (torch also accepts 0 and inf).
    Section 4.3 measures faces with it (``p=2``).
    """
    _two_inputs("pairwise_distance", x1, x2)
    p = _check_p("pairwise_distance", p)
    eps = V.check_number("pairwise_distance", "eps", eps, minimum=0.0)
    V.check_bool("pairwise_distance", "keepdim", keepdim)
    out = _pnorm(x1 - x2 + x1.dtype.type(eps), p, keepdim)
    return np.asarray(out, dtype=x1.dtype)


def _pnorm_grad(t, norm, p):
    """d||t||_p / dt for t (..., D) and its norm (..., 1); 0 where the norm is 0 (NaN where
    it is NaN)."""
    safe = np.where(norm == 0, 1, norm)
    if p == 2:
        g = t / safe
    elif p == 1:
        g = np.where(np.isnan(t), 0, np.sign(t))     # torch's sign of NaN is 0
    else:
        g = np.sign(t) * np.abs(t) ** (p - 1) / safe ** (p - 1)
    return np.where(norm == 0, 0, g)


def pairwise_distance_backward(grad_output, x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """Gradients ``(grad_x1, grad_x2)`` of :func:`pairwise_distance`.

    With :math:`t = x_1 - x_2 + \\epsilon` and :math:`y = \\lVert t \\rVert_p`,
    :math:`\\partial y / \\partial t = \\operatorname{sign}(t) |t|^{p-1} / y^{p-1}` (``t / y``
    for ``p = 2``), zero where :math:`y = 0`; ``grad_x2 = -grad_x1`` before each is summed
    back to its own (broadcast) shape.
    """
    out = pairwise_distance(x1, x2, p, eps, keepdim)
    grad_output = _grad_output("pairwise_distance_backward", grad_output, out.shape, x1)
    t = x1 - x2 + x1.dtype.type(eps)
    norm = _pnorm(t, p, True)
    g = grad_output if keepdim else np.asarray(grad_output)[..., None]
    grad = g * _pnorm_grad(t, norm, p)
    return (_unbroadcast(grad, x1.shape).astype(x1.dtype),
            _unbroadcast(-grad, x2.shape).astype(x2.dtype))


def _cosine_parts(op, x1, x2, dim, eps):
    shape = _two_inputs(op, x1, x2)
    dim = V.check_dim(op, dim, len(shape))
    eps = V.check_number(op, "eps", eps, minimum=0.0)
    a, b = np.broadcast_to(x1, shape), np.broadcast_to(x2, shape)
    na = np.sqrt((a * a).sum(dim, keepdims=True))
    nb = np.sqrt((b * b).sum(dim, keepdims=True))
    return a, b, na, nb, np.maximum(na, eps), np.maximum(nb, eps), dim


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """The cosine of the angle between vectors along ``dim``, as
    ``torch.nn.functional.cosine_similarity``:

    .. math:: \\frac{x_1 \\cdot x_2}{\\max(\\lVert x_1 \\rVert, \\epsilon)\\,
              \\max(\\lVert x_2 \\rVert, \\epsilon)}

    ``x1`` and ``x2`` broadcast to one shape; ``dim`` (default 1, the feature axis of an
    (N, D) batch) is summed out of it. For L2-normalised embeddings it is
    :math:`1 - \\lVert x_1 - x_2 \\rVert^2 / 2`. Section 4.3.
    """
    a, b, _, _, ca, cb, dim = _cosine_parts("cosine_similarity", x1, x2, dim, eps)
    out = ((a / ca) * (b / cb)).sum(dim)
    return np.asarray(out, dtype=x1.dtype)


def cosine_similarity_backward(grad_output, x1, x2, dim=1, eps=1e-8):
    """Gradients ``(grad_x1, grad_x2)`` of :func:`cosine_similarity`.

    With :math:`n_i = \\max(\\lVert x_i \\rVert, \\epsilon)`,
    :math:`\\partial c / \\partial x_1 = x_2 / (n_1 n_2) - c \\, (x_1 / \\lVert x_1 \\rVert)
    / n_1`, and the same with the roles swapped (as torch differentiates it, the clamp at
    ``eps`` passes no gradient of its own).
    """
    a, b, na, nb, ca, cb, dim = _cosine_parts("cosine_similarity_backward", x1, x2, dim, eps)
    out_shape = np.delete(np.array(a.shape), dim)
    grad_output = _grad_output("cosine_similarity_backward", grad_output, out_shape, x1)
    g = np.expand_dims(grad_output, dim)
    dot = (a * b).sum(dim, keepdims=True)
    ua = np.where(na > 0, a / np.where(na > 0, na, 1), 0)
    ub = np.where(nb > 0, b / np.where(nb > 0, nb, 1), 0)
    ga = g * (b / (ca * cb) - dot / (ca * ca * cb) * ua)
    gb = g * (a / (ca * cb) - dot / (ca * cb * cb) * ub)
    return (_unbroadcast(ga, x1.shape).astype(x1.dtype),
            _unbroadcast(gb, x2.shape).astype(x2.dtype))


def _reduce(op, losses, reduction):
    V.check_choice(op, "reduction", reduction, _REDUCTIONS)
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "mean":      # the mean of no losses is NaN, as in torch
        total = total / losses.size if losses.size else np.nan
    return np.asarray(total, dtype=losses.dtype)


def _reduce_grad(grad_output, losses, reduction):
    g = np.asarray(grad_output, dtype=losses.dtype)
    if reduction == "none":
        return g
    scale = g / max(losses.size, 1) if reduction == "mean" else g
    return np.broadcast_to(scale, losses.shape)


def _triplet_distances(anchor, positive, negative, squared):
    dp = ((anchor - positive) ** 2).sum(-1)
    dn = ((anchor - negative) ** 2).sum(-1)
    return (dp, dn) if squared else (np.sqrt(dp), np.sqrt(dn))


def triplet_loss(anchor, positive, negative, margin=0.2, squared=True, reduction="mean"):
    """The course's triplet loss, on squared distances (FaceNet, section 4.4):

    .. math:: L(A, P, N) = \\max\\big(\\lVert A - P \\rVert^2 - \\lVert A - N \\rVert^2
              + \\alpha, 0\\big)

    ``anchor``, ``positive``, ``negative``: (N, D) embeddings (or one (D,) triplet);
    ``margin`` is :math:`\\alpha`. ``reduction``: ``'mean'`` over the triplets,
    ``'sum'`` (the course's cost :math:`J = \\sum_i L(A^{(i)}, P^{(i)}, N^{(i)})`) or
    ``'none'`` (one loss per triplet).

    How it differs from :func:`triplet_margin_loss` (PyTorch's): torch uses the distances
    :math:`\\lVert A - P + \\epsilon \\rVert_p` themselves, not their squares, adds ``eps`` to
    every difference, offers other p-norms and the ``swap`` of the negative distance, and
    defaults to margin 1. With ``squared=False`` this function uses plain Euclidean
    distances, and then equals ``triplet_margin_loss(..., p=2, eps=0, swap=False)``.
    """
    V.triplet_args("triplet_loss", anchor, positive, negative, "numpy")
    margin = V.check_number("triplet_loss", "margin", margin)
    V.check_bool("triplet_loss", "squared", squared)
    dp, dn = _triplet_distances(anchor, positive, negative, squared)
    losses = np.maximum(dp - dn + anchor.dtype.type(margin), 0).astype(anchor.dtype)
    return _reduce("triplet_loss", losses, reduction)


def triplet_loss_backward(grad_output, anchor, positive, negative, margin=0.2, squared=True,
                          reduction="mean"):
    """Gradients ``(grad_anchor, grad_positive, grad_negative)`` of :func:`triplet_loss`.

    Only triplets with a positive loss pass a gradient. For those, on squared distances,
    :math:`\\partial L/\\partial A = 2(N - P)`, :math:`\\partial L/\\partial P = 2(P - A)`,
    :math:`\\partial L/\\partial N = 2(A - N)`: the anchor moves towards the positive and
    away from the negative. With ``squared=False`` the unit vectors replace the differences
    (zero where a distance is zero).
    """
    losses = triplet_loss(anchor, positive, negative, margin, squared, "none")
    _reduce("triplet_loss_backward", losses, reduction)
    want = losses.shape if reduction == "none" else ()
    grad_output = _grad_output("triplet_loss_backward", grad_output, want, anchor)
    g = _reduce_grad(grad_output, losses, reduction) * (losses > 0)
    g = g[..., None]
    dpv, dnv = anchor - positive, anchor - negative
    if squared:
        up, un = 2 * dpv, 2 * dnv
    else:
        dp, dn = _triplet_distances(anchor, positive, negative, False)
        up = np.where(dp[..., None] == 0, 0, dpv / np.where(dp == 0, 1, dp)[..., None])
        un = np.where(dn[..., None] == 0, 0, dnv / np.where(dn == 0, 1, dn)[..., None])
    dt = anchor.dtype
    return (g * (up - un)).astype(dt), (-g * up).astype(dt), (g * un).astype(dt)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        reduction="mean"):
    """PyTorch's triplet loss, as ``torch.nn.functional.triplet_margin_loss``:

    .. math:: \\max\\big(d(A, P) - d(A, N) + \\text{margin}, 0\\big), \\quad
              d(x, y) = \\lVert x - y + \\epsilon \\rVert_p

    the distances themselves, not squared (:func:`pairwise_distance`). With ``swap``, the
    negative distance is :math:`\\min(d(A, N), d(P, N))` (Balntas et al., 2016). The course's
    squared form is :func:`triplet_loss`. Section 4.4.
    """
    V.triplet_args("triplet_margin_loss", anchor, positive, negative, "numpy")
    margin = V.check_number("triplet_margin_loss", "margin", margin, minimum=0.0, strict=True)
    V.check_bool("triplet_margin_loss", "swap", swap)
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = np.minimum(d_an, pairwise_distance(positive, negative, p, eps))
    losses = np.maximum(d_ap - d_an + anchor.dtype.type(margin), 0).astype(anchor.dtype)
    return _reduce("triplet_margin_loss", losses, reduction)


def triplet_margin_loss_backward(grad_output, anchor, positive, negative, margin=1.0, p=2,
                                 eps=1e-6, swap=False, reduction="mean"):
    """Gradients ``(grad_anchor, grad_positive, grad_negative)`` of
    :func:`triplet_margin_loss`, through :func:`pairwise_distance_backward`: active triplets
    push :math:`d(A, P)` down and the negative distance up (with ``swap``, whichever of
    :math:`d(A, N)` and :math:`d(P, N)` is smaller)."""
    losses = triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, "none")
    _reduce("triplet_margin_loss_backward", losses, reduction)
    want = losses.shape if reduction == "none" else ()
    grad_output = _grad_output("triplet_margin_loss_backward", grad_output, want, anchor)
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    d_pn = pairwise_distance(positive, negative, p, eps) if swap else d_an
    # as torch: the hinge passes the gradient where its argument is >= 0 (at the kink too),
    # and a tie between d(A, N) and d(P, N) shares it equally
    hinge = d_ap - np.minimum(d_an, d_pn) + anchor.dtype.type(margin) >= 0
    g = (_reduce_grad(grad_output, losses, reduction) * hinge).astype(anchor.dtype)
    ga_p, gp = pairwise_distance_backward(g, anchor, positive, p, eps)
    ga, gp = ga_p.copy(), gp.copy()
    gn = np.zeros_like(negative)
    share_pn = np.zeros(losses.shape, anchor.dtype)
    if swap:
        share_pn = np.where(d_pn < d_an, 1, np.where(d_pn == d_an, 0.5, 0)).astype(anchor.dtype)
    ga_n, gn_a = pairwise_distance_backward((-g * (1 - share_pn)).astype(anchor.dtype),
                                            anchor, negative, p, eps)
    gp_n, gn_p = pairwise_distance_backward((-g * share_pn).astype(anchor.dtype),
                                            positive, negative, p, eps)
    return ga + ga_n, gp + gp_n, gn + gn_a + gn_p


def _contrastive_inputs(op, x1, x2, target):
    V.check_array(op, "x1", x1, "numpy", ndims=(1, 2))
    V.check_array(op, "x2", x2, "numpy", ndims=(1, 2))
    V.check_same_dtype(op, x1=x1, x2=x2)
    if x1.shape != x2.shape:
        raise ValueError(f"{op}: x1 and x2 must have the same shape (N, D), got "
                         f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    if not isinstance(target, np.ndarray):
        raise TypeError(f"{op}: target must be a numpy.ndarray of 0/1 (1: same identity), got "
                        f"{type(target).__name__}")
    if target.shape != x1.shape[:-1]:
        raise ValueError(f"{op}: target has shape {tuple(target.shape)}, expected "
                         f"{tuple(x1.shape[:-1])}, one label per pair")
    if not np.isin(target, (0, 1)).all():
        raise ValueError(f"{op}: target must hold only 0 (different) and 1 (same identity)")
    return target.astype(x1.dtype)


def contrastive_loss(x1, x2, target, margin=1.0, eps=1e-6, reduction="mean"):
    """The contrastive loss of a siamese network trained on pairs (Hadsell et al., 2006):

    .. math:: L = \\tfrac12\\, y\\, D^2 + \\tfrac12\\, (1 - y) \\max(m - D, 0)^2,
              \\quad D = \\lVert x_1 - x_2 + \\epsilon \\rVert_2

    ``x1``, ``x2``: (N, D) embeddings of the two images of each pair; ``target`` (N,) is 1
    where they show the same identity (pulled together) and 0 where they do not (pushed
    apart until they are ``margin`` away, then left alone). The paper writes :math:`Y = 0`
    for similar pairs; here 1 means "same", as in the verification labels of Part 4.
    ``eps`` is added to each difference as in :func:`pairwise_distance`. Section 4.3.
    """
    y = _contrastive_inputs("contrastive_loss", x1, x2, target)
    margin = V.check_number("contrastive_loss", "margin", margin, minimum=0.0)
    d = pairwise_distance(x1, x2, 2.0, eps)
    half = x1.dtype.type(0.5)
    losses = half * y * d * d + half * (1 - y) * np.maximum(x1.dtype.type(margin) - d, 0) ** 2
    return _reduce("contrastive_loss", losses.astype(x1.dtype), reduction)


def contrastive_loss_backward(grad_output, x1, x2, target, margin=1.0, eps=1e-6,
                              reduction="mean"):
    """Gradients ``(grad_x1, grad_x2)`` of :func:`contrastive_loss`.

    :math:`\\partial L / \\partial D = y D - (1 - y)\\max(m - D, 0)`, and
    :math:`\\partial D / \\partial x_1 = (x_1 - x_2 + \\epsilon) / D = -\\partial D /
    \\partial x_2`. ``target`` gets no gradient.
    """
    losses = contrastive_loss(x1, x2, target, margin, eps, "none")
    _reduce("contrastive_loss_backward", losses, reduction)
    want = losses.shape if reduction == "none" else ()
    grad_output = _grad_output("contrastive_loss_backward", grad_output, want, x1)
    y = target.astype(x1.dtype)
    t = x1 - x2 + x1.dtype.type(eps)
    d = np.sqrt((t * t).sum(-1))
    g = _reduce_grad(grad_output, losses, reduction)
    dl_dd = y * d - (1 - y) * np.maximum(x1.dtype.type(margin) - d, 0)
    dd_dt = np.where(d[..., None] == 0, 0, t / np.where(d == 0, 1, d)[..., None])
    grad = (g * dl_dd)[..., None] * dd_dt
    return grad.astype(x1.dtype), (-grad).astype(x1.dtype)
