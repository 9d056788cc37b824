"""Distances and losses of embeddings (numpy_ops / torch_ops .embedding): what the op registry
does not check.

The registry (``registry.py``) checks all five ops and their backwards against torch (or a
plain-torch oracle), finite differences, bad inputs and the edge-case sweep. Here: cosine
similarity where ``eps`` clamps a norm, the course's triplet loss against its formula written
one triplet at a time, where it coincides with torch's and where it differs, and the
contrastive loss against its formula in NumPy.
"""

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from cnnlib import numpy_ops as N
from cnnlib import torch_ops as T
from conftest import assert_close

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
