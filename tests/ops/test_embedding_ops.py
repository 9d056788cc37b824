"""Distances and losses of embeddings (numpy_ops / torch_ops .embedding) against torch.

Forwards against torch.nn.functional where it has the op (pairwise_distance, cosine_similarity,
triplet_margin_loss), backwards against autograd, NumPy backwards against central finite
differences in float64, the course's squared triplet loss and the contrastive loss against
their formulas, and bad inputs rejected with errors that name the argument.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib import numpy_ops as N
from cnnlib import torch_ops as T
from conftest import assert_close
from compare import numeric_grad

DTYPES = st.sampled_from([np.float32, np.float64])


@st.composite
def pair_problems(draw, broadcast=True):
    """Two embedding arrays: (N, D), (D,), or broadcast against (1, D) / (D,)."""
    n, d = draw(st.integers(1, 6)), draw(st.integers(1, 7))
    dtype = draw(DTYPES)
    seed = draw(st.integers(0, 10_000))
    kind = draw(st.sampled_from(["same", "vector"] + (["row", "flat"] if broadcast else [])))
    shape1 = {"same": (n, d), "vector": (d,), "row": (n, d), "flat": (n, d)}[kind]
    shape2 = {"same": (n, d), "vector": (d,), "row": (1, d), "flat": (d,)}[kind]
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape1).astype(dtype), rng.standard_normal(shape2).astype(dtype),
            dtype, seed)


def _t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


def _check_backward(ours_np, ours_t, expected, inputs, dtype, seed, scale=1.0):
    g = np.random.default_rng(seed + 1).standard_normal(expected.shape).astype(dtype)
    want = torch.autograd.grad(expected, inputs, _t(g))
    got_np = ours_np(g)
    got_t = ours_t(_t(g))
    for a, b, w in zip(got_np, got_t, want):
        assert a.dtype == dtype and a.shape == tuple(w.shape)
        assert_close(a, w, dtype, scale)
        assert_close(b, w, dtype, scale)


@given(pair_problems(), st.sampled_from([1.0, 1.5, 2.0, 3.0]), st.sampled_from([0.0, 1e-6, 0.1]),
       st.booleans())
def test_pairwise_distance_matches_torch(prob, p, eps, keepdim):
    x1, x2, dtype, seed = prob
    a, b = _t(x1, True), _t(x2, True)
    expected = F.pairwise_distance(a, b, p=p, eps=eps, keepdim=keepdim)
    ours = N.pairwise_distance(x1, x2, p, eps, keepdim)
    assert ours.dtype == dtype and ours.shape == tuple(expected.shape)
    assert_close(ours, expected, dtype)
    assert_close(T.pairwise_distance(_t(x1), _t(x2), p, eps, keepdim), expected, dtype)
    _check_backward(lambda g: N.pairwise_distance_backward(g, x1, x2, p, eps, keepdim),
                    lambda g: T.pairwise_distance_backward(g, _t(x1), _t(x2), p, eps, keepdim),
                    expected, (a, b), dtype, seed, 10)


@given(pair_problems(), st.sampled_from([1e-8, 0.5]))
def test_cosine_similarity_matches_torch(prob, eps):
    x1, x2, dtype, seed = prob
    dim = x1.ndim - 1 if x1.ndim == x2.ndim else -1
    a, b = _t(x1, True), _t(x2, True)
    expected = F.cosine_similarity(a, b, dim=dim, eps=eps)
    ours = N.cosine_similarity(x1, x2, dim, eps)
    assert ours.dtype == dtype
    assert_close(ours, expected, dtype)
    assert_close(T.cosine_similarity(_t(x1), _t(x2), dim, eps), expected, dtype)
    _check_backward(lambda g: N.cosine_similarity_backward(g, x1, x2, dim, eps),
                    lambda g: T.cosine_similarity_backward(g, _t(x1), _t(x2), dim, eps),
                    expected, (a, b), dtype, seed, 10)


def test_cosine_similarity_along_another_axis_and_of_a_tiny_vector(rng):
    x1 = rng.standard_normal((3, 4, 5))
    x2 = rng.standard_normal((3, 4, 5))
    x2[1, :, 2] = 1e-12                      # a vector shorter than eps: torch's clamp path
    a, b = _t(x1, True), _t(x2, True)
    for dim in (0, 1, 2, -1):
        expected = F.cosine_similarity(a, b, dim=dim, eps=1e-6)
        assert_close(N.cosine_similarity(x1, x2, dim, 1e-6), expected, np.float64)
        g = rng.standard_normal(expected.shape)
        want = torch.autograd.grad(expected, (a, b), _t(g))
        for got, w in zip(N.cosine_similarity_backward(g, x1, x2, dim, 1e-6), want):
            assert_close(got, w, np.float64, 1e6)


@st.composite
def triplet_problems(draw):
    n, d = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    dtype = draw(DTYPES)
    seed = draw(st.integers(0, 10_000))
    shape = draw(st.sampled_from([(n, d), (d,)]))
    rng = np.random.default_rng(seed)
    a, p, ng = (rng.standard_normal(shape).astype(dtype) for _ in range(3))
    return a, p, ng, dtype, seed


@given(triplet_problems(), st.sampled_from([0.1, 0.5, 1.0, 3.0]), st.sampled_from([1, 2, 3]),
       st.sampled_from([1e-6, 0.0]), st.booleans(), st.sampled_from(["mean", "sum", "none"]))
def test_triplet_margin_loss_matches_torch(prob, margin, p, eps, swap, reduction):
    a, pos, neg, dtype, seed = prob
    ta, tp, tn = _t(a, True), _t(pos, True), _t(neg, True)
    expected = F.triplet_margin_loss(ta, tp, tn, margin=margin, p=p, eps=eps, swap=swap,
                                     reduction=reduction)
    ours = N.triplet_margin_loss(a, pos, neg, margin, p, eps, swap, reduction)
    assert ours.dtype == dtype
    assert_close(ours, expected, dtype, 10)
    assert_close(T.triplet_margin_loss(_t(a), _t(pos), _t(neg), margin, p, eps, swap,
                                       reduction), expected, dtype, 10)
    _check_backward(
        lambda g: N.triplet_margin_loss_backward(g, a, pos, neg, margin, p, eps, swap, reduction),
        lambda g: T.triplet_margin_loss_backward(g, _t(a), _t(pos), _t(neg), margin, p, eps, swap,
                                                 reduction),
        expected, (ta, tp, tn), dtype, seed, 10)


def _course_triplet(a, p, n, margin):
    """The course's formula, written out for one triplet at a time."""
    return np.array([max(float(np.sum((ai - pi) ** 2) - np.sum((ai - ni) ** 2)) + margin, 0.0)
                     for ai, pi, ni in zip(np.atleast_2d(a), np.atleast_2d(p), np.atleast_2d(n))])


@given(triplet_problems(), st.sampled_from([0.0, 0.2, 1.0]),
       st.sampled_from(["mean", "sum", "none"]))
def test_the_course_triplet_loss_squares_the_distances(prob, margin, reduction):
    a, pos, neg, dtype, seed = prob
    per = _course_triplet(a, pos, neg, margin).reshape(np.shape(a)[:-1])
    want = {"none": per, "sum": per.sum(), "mean": per.mean()}[reduction]
    ours = N.triplet_loss(a, pos, neg, margin, True, reduction)
    assert ours.dtype == dtype
    assert_close(ours, np.asarray(want), dtype, 10)
    ta, tp, tn = _t(a, True), _t(pos, True), _t(neg, True)
    expected = T.triplet_loss(ta, tp, tn, margin, True, reduction)
    assert_close(expected, np.asarray(want), dtype, 10)
    _check_backward(lambda g: N.triplet_loss_backward(g, a, pos, neg, margin, True, reduction),
                    lambda g: T.triplet_loss_backward(g, _t(a), _t(pos), _t(neg), margin, True,
                                                      reduction),
                    expected, (ta, tp, tn), dtype, seed, 10)


@given(triplet_problems(), st.sampled_from([0.2, 1.0]),
       st.sampled_from(["mean", "sum", "none"]))
def test_triplet_loss_coincides_with_torch_on_plain_distances(prob, margin, reduction):
    """Where the definitions coincide: distances not squared, no eps, p = 2, no swap."""
    a, pos, neg, dtype, seed = prob
    ta, tp, tn = _t(a, True), _t(pos, True), _t(neg, True)
    expected = F.triplet_margin_loss(ta, tp, tn, margin=margin, p=2, eps=0.0, swap=False,
                                     reduction=reduction)
    assert_close(N.triplet_loss(a, pos, neg, margin, False, reduction), expected, dtype, 10)
    assert_close(T.triplet_loss(_t(a), _t(pos), _t(neg), margin, False, reduction), expected,
                 dtype, 10)
    _check_backward(lambda g: N.triplet_loss_backward(g, a, pos, neg, margin, False, reduction),
                    lambda g: T.triplet_loss_backward(g, _t(a), _t(pos), _t(neg), margin, False,
                                                      reduction),
                    expected, (ta, tp, tn), dtype, seed, 10)


def test_where_the_two_triplet_losses_differ():
    """Squared or not: the same triplet is active for one definition and easy for the other."""
    a = np.array([[0.0, 0.0]])
    p = np.array([[0.6, 0.0]])      # d(A, P) = 0.6, squared 0.36
    n = np.array([[0.0, 0.9]])      # d(A, N) = 0.9, squared 0.81
    # squared: 0.36 - 0.81 + 0.3 < 0, easy; plain: 0.6 - 0.9 + 0.3 = 0, on the edge; +0.1 active
    assert N.triplet_loss(a, p, n, 0.3) == 0
    assert np.isclose(N.triplet_loss(a, p, n, 0.4, squared=False), 0.1)
    torch_value = F.triplet_margin_loss(*map(torch.tensor, (a, p, n)), margin=0.4, eps=0.0)
    assert np.isclose(float(torch_value), 0.1)


def _contrastive_formula(x1, x2, y, margin, eps):
    d = np.sqrt(np.sum((x1 - x2 + eps) ** 2, axis=-1))
    return 0.5 * y * d ** 2 + 0.5 * (1 - y) * np.maximum(margin - d, 0) ** 2


@given(pair_problems(broadcast=False), st.sampled_from([0.5, 1.0, 4.0]),
       st.sampled_from([1e-6, 0.0]), st.sampled_from(["mean", "sum", "none"]))
def test_contrastive_loss_against_its_formula_and_autograd(prob, margin, eps, reduction):
    x1, x2, dtype, seed = prob
    y = np.random.default_rng(seed).integers(0, 2, size=x1.shape[:-1])
    per = _contrastive_formula(x1.astype(np.float64), x2.astype(np.float64), y, margin, eps)
    want = {"none": per, "sum": per.sum(), "mean": per.mean()}[reduction]
    ours = N.contrastive_loss(x1, x2, y, margin, eps, reduction)
    assert ours.dtype == dtype
    assert_close(ours, np.asarray(want), dtype, 10)
    a, b = _t(x1, True), _t(x2, True)
    expected = T.contrastive_loss(a, b, torch.tensor(y), margin, eps, reduction)
    assert_close(expected, np.asarray(want), dtype, 10)
    _check_backward(
        lambda g: N.contrastive_loss_backward(g, x1, x2, y, margin, eps, reduction),
        lambda g: T.contrastive_loss_backward(g, _t(x1), _t(x2), torch.tensor(y), margin, eps,
                                              reduction),
        expected, (a, b), dtype, seed, 10)


def _fd(forward, backward, arrays, seed):
    out = forward()
    g = np.random.default_rng(seed).standard_normal(np.shape(out))
    want = numeric_grad(forward, arrays, g)
    for got, w in zip(backward(g), want):
        np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)


@settings(max_examples=40)
@given(st.integers(1, 4), st.integers(1, 5), st.integers(0, 1000))
def test_numpy_backwards_match_finite_differences(n, d, seed):
    rng = np.random.default_rng(seed)
    x1, x2, x3 = (rng.standard_normal((n, d)) for _ in range(3))
    y = rng.integers(0, 2, size=n)
    for p in (1.5, 2.0, 3.0):
        _fd(lambda: N.pairwise_distance(x1, x2, p, 1e-6),
            lambda g: N.pairwise_distance_backward(g, x1, x2, p, 1e-6), (x1, x2), seed)
    _fd(lambda: N.cosine_similarity(x1, x2, 1, 1e-8),
        lambda g: N.cosine_similarity_backward(g, x1, x2, 1, 1e-8), (x1, x2), seed)
    for squared in (True, False):
        _fd(lambda: N.triplet_loss(x1, x2, x3, 0.7, squared, "none"),
            lambda g: N.triplet_loss_backward(g, x1, x2, x3, 0.7, squared, "none"),
            (x1, x2, x3), seed)
    for swap in (False, True):
        _fd(lambda: N.triplet_margin_loss(x1, x2, x3, 1.0, 2, 1e-6, swap, "none"),
            lambda g: N.triplet_margin_loss_backward(g, x1, x2, x3, 1.0, 2, 1e-6, swap, "none"),
            (x1, x2, x3), seed)
    _fd(lambda: N.contrastive_loss(x1, x2, y, 2.5, 1e-6, "none"),
        lambda g: N.contrastive_loss_backward(g, x1, x2, y, 2.5, 1e-6, "none"), (x1, x2), seed)


@pytest.mark.parametrize("ns", [N, T])
def test_bad_inputs_name_the_argument(ns):
    conv = (lambda a: a) if ns is N else torch.tensor
    a = conv(np.zeros((4, 3)))
    b = conv(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        ns.pairwise_distance(a, b)
    with pytest.raises(ValueError, match="p must lie in"):
        ns.pairwise_distance(a, a, p=0)
    with pytest.raises(TypeError, match="x2 has dtype float32"):
        ns.pairwise_distance(a, conv(np.zeros((4, 3), np.float32)))
    with pytest.raises(ValueError, match="same shape"):
        ns.triplet_loss(a, a, conv(np.zeros((3, 3))))
    with pytest.raises(ValueError, match="anchor expects a 1-D or 2-D"):
        ns.triplet_margin_loss(*(conv(np.zeros((2, 4, 3))),) * 3)
    with pytest.raises(ValueError, match="margin must lie in"):
        ns.triplet_margin_loss(a, a, a, margin=0.0)      # torch refuses it too
    with pytest.raises(ValueError, match="reduction must be one of"):
        ns.triplet_loss(a, a, a, reduction="avg")
    with pytest.raises(ValueError, match="target has shape"):
        ns.contrastive_loss(a, a, conv(np.zeros(3, np.int64)))
    with pytest.raises(ValueError, match="only 0"):
        ns.contrastive_loss(a, a, conv(np.full(4, 2)))
    with pytest.raises(ValueError, match="grad_output has shape"):
        ns.pairwise_distance_backward(conv(np.zeros(3)), a, a)
    with pytest.raises(ValueError, match="dim"):
        ns.cosine_similarity(a, a, dim=2)
