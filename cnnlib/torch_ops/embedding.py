"""PyTorch twins of :mod:`cnnlib.numpy_ops.embedding`: distances and losses of embeddings."""

from __future__ import annotations

import torch

from .. import _checks as V
from ..numpy_ops import embedding as reference
from ._twin import autograd_backward, twin_of

__all__ = list(reference.__all__)

_REDUCTIONS = ("mean", "sum", "none")


def _two_inputs(op, x1, x2):
    V.check_array(op, "x1", x1, "torch")
    V.check_array(op, "x2", x2, "torch")
    V.check_same_dtype(op, x1=x1, x2=x2)
    if max(x1.ndim, x2.ndim) < 1:
        raise ValueError(f"{op}: x1 or x2 must have at least 1 dimension(s), got shapes "
                         f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    try:
        return torch.broadcast_shapes(x1.shape, x2.shape)
    except RuntimeError:
        raise ValueError(f"{op}: x1 of shape {tuple(x1.shape)} and x2 of shape "
                         f"{tuple(x2.shape)} cannot be broadcast together; embeddings are "
                         f"compared along their last axis, so both need the same length "
                         f"there") from None


def _grad_output(op, grad_output, shape, like):
    if not isinstance(grad_output, torch.Tensor):
        if V.is_int(grad_output) or isinstance(grad_output, float):
            grad_output = torch.as_tensor(grad_output, dtype=like.dtype, device=like.device)
    V.check_array(op, "grad_output", grad_output, "torch")
    if tuple(grad_output.shape) != tuple(shape):
        raise ValueError(f"{op}: grad_output has shape {tuple(grad_output.shape)}, the forward "
                         f"output has shape {tuple(shape)}")
    V.check_same_dtype(op, input=like, grad_output=grad_output)
    return grad_output


def _pnorm(t, p, keepdim):
    a = t.abs()
    if p == 2:
        return (a * a).sum(-1, keepdim=keepdim).sqrt()
    if p == 1:
        return a.sum(-1, keepdim=keepdim)
    return (a ** p).sum(-1, keepdim=keepdim) ** (1 / p)


@twin_of(reference.pairwise_distance)
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    _two_inputs("pairwise_distance", x1, x2)
    p = V.check_number("pairwise_distance", "p", p, minimum=0.0, strict=True)
    eps = V.check_number("pairwise_distance", "eps", eps, minimum=0.0)
    V.check_bool("pairwise_distance", "keepdim", keepdim)
    t = x1 - x2 + eps
    if p == 1:
        return _pnorm(t, p, keepdim)
    # the root's derivative at 0 would be infinite: define it as 0 there (torch does)
    s = (t * t if p == 2 else t.abs() ** p).sum(-1, keepdim=keepdim)
    zero = s == 0
    root = torch.where(zero, torch.ones_like(s), s)
    return torch.where(zero, torch.zeros_like(s), root.sqrt() if p == 2 else root ** (1 / p))


@twin_of(reference.pairwise_distance_backward)
def pairwise_distance_backward(grad_output, x1, x2, p=2.0, eps=1e-6, keepdim=False):
    out = pairwise_distance(x1, x2, p, eps, keepdim)
    grad_output = _grad_output("pairwise_distance_backward", grad_output, out.shape, x1)
    return tuple(autograd_backward(pairwise_distance, grad_output, (x1, x2), p=p, eps=eps,
                                   keepdim=keepdim))


def _cosine(op, x1, x2, dim, eps):
    shape = _two_inputs(op, x1, x2)
    dim = V.check_dim(op, dim, len(shape))
    eps = V.check_number(op, "eps", eps, minimum=0.0)
    a, b = x1.expand(shape), x2.expand(shape)
    na = (a * a).sum(dim, keepdim=True)
    nb = (b * b).sum(dim, keepdim=True)
    # a norm whose clamp at eps passes the gradient of the unclamped norm, as torch's does
    na = na.sqrt() + (na.sqrt().clamp_min(eps) - na.sqrt()).detach()
    nb = nb.sqrt() + (nb.sqrt().clamp_min(eps) - nb.sqrt()).detach()
    return ((a / na) * (b / nb)).sum(dim)


@twin_of(reference.cosine_similarity)
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    return _cosine("cosine_similarity", x1, x2, dim, eps)


@twin_of(reference.cosine_similarity_backward)
def cosine_similarity_backward(grad_output, x1, x2, dim=1, eps=1e-8):
    out = cosine_similarity(x1, x2, dim, eps)
    grad_output = _grad_output("cosine_similarity_backward", grad_output, out.shape, x1)
    return tuple(autograd_backward(cosine_similarity, grad_output, (x1, x2), dim=dim, eps=eps))


def _reduce(op, losses, reduction):
    V.check_choice(op, "reduction", reduction, _REDUCTIONS)
    if reduction == "none":
        return losses
    return losses.mean() if reduction == "mean" else losses.sum()    # empty: mean NaN


def _distance(x, y, squared):
    sq = ((x - y) ** 2).sum(-1)
    if squared:
        return sq
    zero = sq == 0
    return torch.where(zero, torch.zeros_like(sq), torch.where(zero, torch.ones_like(sq),
                                                               sq).sqrt())


@twin_of(reference.triplet_loss)
def triplet_loss(anchor, positive, negative, margin=0.2, squared=True, reduction="mean"):
    V.triplet_args("triplet_loss", anchor, positive, negative, "torch")
    margin = V.check_number("triplet_loss", "margin", margin)
    V.check_bool("triplet_loss", "squared", squared)
    # relu: no gradient at the kink, as the NumPy backward (only positive losses pass one)
    losses = torch.relu(_distance(anchor, positive, squared) - _distance(anchor, negative, squared)
                        + margin)
    return _reduce("triplet_loss", losses, reduction)


def _loss_grad_output(op, grad_output, losses, reduction, like):
    want = losses.shape if reduction == "none" else ()
    return _grad_output(op, grad_output, want, like)


@twin_of(reference.triplet_loss_backward)
def triplet_loss_backward(grad_output, anchor, positive, negative, margin=0.2, squared=True,
                          reduction="mean"):
    losses = triplet_loss(anchor, positive, negative, margin, squared, "none")
    _reduce("triplet_loss_backward", losses, reduction)
    grad_output = _loss_grad_output("triplet_loss_backward", grad_output, losses, reduction,
                                    anchor)
    return tuple(autograd_backward(triplet_loss, grad_output, (anchor, positive, negative),
                                   margin=margin, squared=squared, reduction=reduction))


@twin_of(reference.triplet_margin_loss)
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        reduction="mean"):
    V.triplet_args("triplet_margin_loss", anchor, positive, negative, "torch")
    margin = V.check_number("triplet_margin_loss", "margin", margin, minimum=0.0, strict=True)
    V.check_bool("triplet_margin_loss", "swap", swap)
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = torch.minimum(d_an, pairwise_distance(positive, negative, p, eps))
    losses = (d_ap - d_an + margin).clamp_min(0)
    return _reduce("triplet_margin_loss", losses, reduction)


@twin_of(reference.triplet_margin_loss_backward)
def triplet_margin_loss_backward(grad_output, anchor, positive, negative, margin=1.0, p=2,
                                 eps=1e-6, swap=False, reduction="mean"):
    losses = triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, "none")
    _reduce("triplet_margin_loss_backward", losses, reduction)
    grad_output = _loss_grad_output("triplet_margin_loss_backward", grad_output, losses,
                                    reduction, anchor)
    return tuple(autograd_backward(triplet_margin_loss, grad_output,
                                   (anchor, positive, negative), margin=margin, p=p, eps=eps,
                                   swap=swap, reduction=reduction))


def _contrastive_inputs(op, x1, x2, target):
    V.check_array(op, "x1", x1, "torch", ndims=(1, 2))
    V.check_array(op, "x2", x2, "torch", ndims=(1, 2))
    V.check_same_dtype(op, x1=x1, x2=x2)
    if x1.shape != x2.shape:
        raise ValueError(f"{op}: x1 and x2 must have the same shape (N, D), got "
                         f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"{op}: target must be a torch.Tensor of 0/1 (1: same identity), got "
                        f"{type(target).__name__}")
    if tuple(target.shape) != tuple(x1.shape[:-1]):
        raise ValueError(f"{op}: target has shape {tuple(target.shape)}, expected "
                         f"{tuple(x1.shape[:-1])}, one label per pair")
    if not ((target == 0) | (target == 1)).all():
        raise ValueError(f"{op}: target must hold only 0 (different) and 1 (same identity)")
    return target.to(x1.dtype)


@twin_of(reference.contrastive_loss)
def contrastive_loss(x1, x2, target, margin=1.0, eps=1e-6, reduction="mean"):
    y = _contrastive_inputs("contrastive_loss", x1, x2, target)
    margin = V.check_number("contrastive_loss", "margin", margin, minimum=0.0)
    d = pairwise_distance(x1, x2, 2.0, eps)
    losses = 0.5 * y * d * d + 0.5 * (1 - y) * (margin - d).clamp_min(0) ** 2
    return _reduce("contrastive_loss", losses, reduction)


@twin_of(reference.contrastive_loss_backward)
def contrastive_loss_backward(grad_output, x1, x2, target, margin=1.0, eps=1e-6,
                              reduction="mean"):
    losses = contrastive_loss(x1, x2, target, margin, eps, "none")
    _reduce("contrastive_loss_backward", losses, reduction)
    grad_output = _loss_grad_output("contrastive_loss_backward", grad_output, losses,
                                    reduction, x1)
    return tuple(autograd_backward(lambda a, b: contrastive_loss(a, b, target, margin, eps,
                                                                 reduction),
                                   grad_output, (x1, x2)))
