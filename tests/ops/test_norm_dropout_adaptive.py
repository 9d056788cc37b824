"""Part 2's ops beyond what the op registry checks: batch_norm's running statistics,
dropout's masks (torch draws its own, so the registry only calls dropout where the mask does
not matter), and the claims the book makes about them.

The registry (``registry.py``) checks local_response_norm, adaptive_avg_pool2d, batch_norm's
outputs and gradients and dropout's mask-free calls against torch.nn.functional, with finite
differences, bad inputs and the edge-case sweep.
"""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from cnnlib import numpy_ops as N
from cnnlib import torch_ops as T
from conftest import assert_close

DTYPES = [np.float32, np.float64]


def _t(a, grad=False):
    return None if a is None else torch.tensor(a, requires_grad=grad)


@st.composite
def bn_problems(draw):
    nd = draw(st.integers(0, 3))                      # spatial axes: (N, C), (N, C, L), ...
    n = draw(st.integers(1, 3))
    c = draw(st.integers(1, 4))
    spatial = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    shape = (n, c) + spatial
    training = draw(st.booleans())
    if training and n * int(np.prod(spatial, dtype=int)) < 2:
        shape = (n + 1, c) + spatial
    return dict(shape=shape, training=training, affine=draw(st.booleans()),
                running=draw(st.booleans()) or not training,
                momentum=draw(st.sampled_from([0.1, 0.5, 1.0])),
                eps=draw(st.sampled_from([1e-5, 1e-3, 0.5])),
                dtype=draw(st.sampled_from(DTYPES)), seed=draw(st.integers(0, 10_000)))


def _bn_arrays(p):
    rng = np.random.default_rng(p["seed"])
    c = p["shape"][1]
    x = (rng.standard_normal(p["shape"]) * 3 + 1).astype(p["dtype"])
    w = rng.standard_normal(c).astype(p["dtype"]) if p["affine"] else None
    b = rng.standard_normal(c).astype(p["dtype"]) if p["affine"] else None
    rm = rng.standard_normal(c).astype(p["dtype"]) if p["running"] else None
    rv = rng.uniform(0.5, 2, c).astype(p["dtype"]) if p["running"] else None
    return x, rm, rv, w, b


@given(bn_problems())
def test_batch_norm_moves_the_running_statistics_as_torch_does(p):
    """The registry checks the outputs and gradients; here, the statistics updated in place."""
    x, rm, rv, w, b = _bn_arrays(p)
    kw = dict(training=p["training"], momentum=p["momentum"], eps=p["eps"])
    t_rm, t_rv = _t(rm), _t(rv)
    F.batch_norm(_t(x), t_rm, t_rv, _t(w), _t(b), **kw)
    n_rm, n_rv = (None if a is None else a.copy() for a in (rm, rv))
    N.batch_norm(x, n_rm, n_rv, w, b, **kw)
    o_rm, o_rv = (None if a is None else torch.tensor(a) for a in (rm, rv))
    T.batch_norm(_t(x), o_rm, o_rv, _t(w), _t(b), **kw)
    for ours, theirs, twins in ((n_rm, t_rm, o_rm), (n_rv, t_rv, o_rv)):
        if ours is not None:
            assert_close(ours, theirs, p["dtype"], 10)
            assert_close(twins, theirs, p["dtype"], 10)
    g = np.random.default_rng(p["seed"] + 1).standard_normal(x.shape).astype(p["dtype"])
    before = None if rm is None else rm.copy()
    N.batch_norm_backward(g, x, rm, rv, w, b, **kw)
    T.batch_norm_backward(_t(g), _t(x), _t(rm), _t(rv), _t(w), _t(b), **kw)
    if rm is not None:
        np.testing.assert_array_equal(rm, before)          # the backward leaves them alone


def test_an_empty_batch_leaves_the_running_statistics_alone():
    for ops, to in ((N, np.asarray), (T, torch.tensor)):
        rm, rv = to(np.zeros(3, np.float32)), to(np.ones(3, np.float32))
        out = ops.batch_norm(to(np.zeros((0, 3, 2), np.float32)), rm, rv, training=True)
        assert tuple(out.shape) == (0, 3, 2)
        assert (rm == 0).all() and (rv == 1).all()


def test_batch_norm_normalises_each_channel_over_batch_and_space(rng):
    x = (rng.standard_normal((8, 3, 5, 4)) * [[[[2.0]], [[5.0]], [[0.5]]]] + 7).astype(np.float32)
    y = N.batch_norm(x, None, None, training=True)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3)
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    for _ in range(200):       # the running averages converge to the data's statistics
        N.batch_norm(x, rm, rv, training=True, momentum=0.1)
    np.testing.assert_allclose(rm, x.mean(axis=(0, 2, 3)), rtol=1e-4)
    np.testing.assert_allclose(rv, x.var(axis=(0, 2, 3), ddof=1), rtol=1e-3)
    # in evaluation, with the converged statistics, the output is the training one, but for
    # the unbiased variance: a factor sqrt((m - 1) / m), m = 160 values per channel
    np.testing.assert_allclose(N.batch_norm(x, rm, rv), y * np.sqrt(159 / 160), atol=1e-3)


def test_global_average_pooling_is_the_mean_over_positions(rng):
    x = rng.standard_normal((2, 5, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(N.adaptive_avg_pool2d(x, 1)[..., 0, 0], x.mean(axis=(2, 3)),
                               rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 0.9, 1.0])
def test_dropout_mask_scaling_and_replay(dtype, p):
    x = np.random.default_rng(0).uniform(1, 2, (4, 50, 50)).astype(dtype)
    gen = np.random.default_rng(7)
    saved = copy.deepcopy(gen)
    y = N.dropout(x, p, generator=gen)
    assert y.dtype == x.dtype and y.shape == x.shape
    kept = y != 0
    if 0 < p < 1:
        assert abs(kept.mean() - (1 - p)) < 0.02          # 10,000 draws
        np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-6)
    if p == 1.0:
        assert not kept.any()
    g = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    grad = N.dropout_backward(g, x, p, generator=saved)   # same state, same mask
    np.testing.assert_allclose(grad, np.where(kept, g / (1 - p) if p < 1 else 0, 0), rtol=1e-6)
    assert N.dropout(x, p, training=False) is x
    np.testing.assert_array_equal(N.dropout_backward(g, x, p, training=False), g)
    # the torch twin: the same rule on torch's generator, replayed from a saved state
    xt, gt = torch.tensor(x), torch.tensor(g)
    tgen = torch.Generator().manual_seed(3)
    state = tgen.get_state()
    yt = T.dropout(xt, p, generator=tgen)
    assert abs((yt != 0).double().mean().item() - (1 - p)) < 0.02
    tgen.set_state(state)
    gt_in = T.dropout_backward(gt, xt, p, generator=tgen)
    assert torch.equal(gt_in != 0, (yt != 0) & (gt != 0))
    tgen.set_state(state)
    torch.testing.assert_close(T.dropout(xt, p, generator=tgen), yt)


def test_dropout_agrees_with_torch_given_torch_mask():
    """Where torch.nn.functional.dropout kept a value, ours with the same mask gives the same."""
    torch.manual_seed(0)
    x = torch.rand(6, 40) + 1
    want = F.dropout(x, 0.4)
    kept = want != 0
    gen = torch.Generator().manual_seed(0)
    ours = T.dropout(x, 0.4, generator=gen)
    torch.testing.assert_close(ours[ours != 0], x[ours != 0] / 0.6)
    torch.testing.assert_close(want[kept], x[kept] / 0.6)
    inplace = x.clone()
    out = T.dropout(inplace, 0.4, inplace=True, generator=torch.Generator().manual_seed(0))
    assert out is inplace and torch.equal(out, ours)
    a = np.ones((3, 3), np.float32)
    out = N.dropout(a, 0.5, inplace=True, generator=np.random.default_rng(0))
    assert out is a


def test_twins_differentiate_under_autograd():
    x = torch.randn(4, 3, 5, 5, requires_grad=True)
    w = torch.randn(3, requires_grad=True)
    loss = (T.batch_norm(x, None, None, w, None, training=True) ** 3).sum() + \
        T.local_response_norm(x, 3).sum() + T.adaptive_avg_pool2d(x, 2).pow(2).sum()
    loss.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and w.grad is not None


x4 = np.zeros((2, 3, 4, 4), np.float32)
c3 = np.zeros(3, np.float32)


def test_generators_of_the_wrong_kind_and_missing_replay():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        N.dropout(x4, 0.5, generator=torch.Generator())
    with pytest.raises(TypeError, match="torch.Generator"):
        T.dropout(torch.zeros(2), 0.5, generator=np.random.default_rng())
    with pytest.raises(ValueError, match="pass the generator"):
        N.dropout_backward(x4, x4, 0.5)
    with pytest.raises(ValueError, match="grad_output has shape"):
        N.batch_norm_backward(x4[0], x4, c3, c3)
