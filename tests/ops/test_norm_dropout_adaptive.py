"""Part 2's ops: batch_norm, local_response_norm, dropout and adaptive_avg_pool2d.

Forward against torch.nn.functional, backward against torch autograd, the NumPy backward
against finite differences on float64, both twins on both dtypes, and bad inputs rejected
with a message naming the argument.
"""

import copy

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
def test_batch_norm_forward_running_statistics_and_backward(p):
    x, rm, rv, w, b = _bn_arrays(p)
    kw = dict(training=p["training"], momentum=p["momentum"], eps=p["eps"])
    t_rm, t_rv = _t(rm), _t(rv)
    xt, wt, bt = _t(x, True), _t(w, True), _t(b, True)
    want = F.batch_norm(xt, t_rm, t_rv, wt, bt, **kw)
    n_rm, n_rv = (None if a is None else a.copy() for a in (rm, rv))
    got = N.batch_norm(x, n_rm, n_rv, w, b, **kw)
    o_rm, o_rv = (None if a is None else torch.tensor(a) for a in (rm, rv))
    twin = T.batch_norm(_t(x), o_rm, o_rv, _t(w), _t(b), **kw)
    assert got.dtype == x.dtype and twin.dtype == xt.dtype
    assert_close(got, want, p["dtype"], 10)
    assert_close(twin, want, p["dtype"], 10)
    for ours, theirs, twins in ((n_rm, t_rm, o_rm), (n_rv, t_rv, o_rv)):
        if ours is not None:      # the running statistics moved as torch's did
            assert_close(ours, theirs, p["dtype"], 10)
            assert_close(twins, theirs, p["dtype"], 10)

    g = np.random.default_rng(p["seed"] + 1).standard_normal(got.shape).astype(p["dtype"])
    arrays = [a for a in (xt, wt, bt) if a is not None]
    ref = torch.autograd.grad(want, arrays, _t(g))
    before = None if rm is None else rm.copy()
    mine = N.batch_norm_backward(g, x, rm, rv, w, b, **kw)
    theirs = T.batch_norm_backward(_t(g), _t(x), _t(rm), _t(rv), _t(w), _t(b), **kw)
    if rm is not None:
        np.testing.assert_array_equal(rm, before)          # the backward leaves them alone
    assert len(mine) == len(theirs) == 3
    if w is None:
        assert mine[1] is None and mine[2] is None and theirs[1] is None
    scale = 100 * max(1.0, float(np.abs(g).max()))
    for a, t, r in zip([m for m in mine if m is not None],
                       [m for m in theirs if m is not None], ref):
        assert a.dtype == x.dtype
        assert_close(a, r, p["dtype"], scale)
        assert_close(t, r, p["dtype"], scale)


@settings(max_examples=25)
@given(bn_problems())
def test_batch_norm_backward_matches_finite_differences(p):
    p = dict(p, dtype=np.float64)
    x, rm, rv, w, b = _bn_arrays(p)
    kw = dict(training=p["training"], momentum=p["momentum"], eps=p["eps"])

    def forward():     # copies: the forward must not move the statistics it is differentiated at
        return N.batch_norm(x, None if rm is None else rm.copy(),
                            None if rv is None else rv.copy(), w, b, **kw)

    g = np.random.default_rng(p["seed"]).standard_normal(p["shape"])
    want = numeric_grad(forward, [x, w, b], g)
    got = N.batch_norm_backward(g, x, rm, rv, w, b, **kw)
    for a, e in zip(got, want):
        if e is not None:
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


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


@st.composite
def lrn_problems(draw):
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 7))) + tuple(
        draw(st.integers(1, 3)) for _ in range(draw(st.integers(1, 2))))
    return dict(shape=shape, size=draw(st.integers(1, 6)),
                alpha=draw(st.sampled_from([1e-4, 0.1, 1.0])),
                beta=draw(st.sampled_from([0.75, 0.5, 1.3])),
                k=draw(st.sampled_from([1.0, 2.0])), dtype=draw(st.sampled_from(DTYPES)),
                seed=draw(st.integers(0, 10_000)))


@given(lrn_problems())
def test_local_response_norm_forward_and_backward(p):
    x = np.random.default_rng(p["seed"]).standard_normal(p["shape"]).astype(p["dtype"])
    kw = dict(size=p["size"], alpha=p["alpha"], beta=p["beta"], k=p["k"])
    xt = _t(x, True)
    want = F.local_response_norm(xt, **kw)
    assert_close(N.local_response_norm(x, **kw), want, p["dtype"])
    assert_close(T.local_response_norm(_t(x), **kw), want, p["dtype"])
    assert N.local_response_norm(x, **kw).dtype == x.dtype
    g = np.random.default_rng(p["seed"] + 1).standard_normal(x.shape).astype(p["dtype"])
    (ref,) = torch.autograd.grad(want, xt, _t(g))
    assert_close(N.local_response_norm_backward(g, x, **kw), ref, p["dtype"], 10)
    assert_close(T.local_response_norm_backward(_t(g), _t(x), **kw), ref, p["dtype"], 10)


@settings(max_examples=25)
@given(lrn_problems())
def test_local_response_norm_backward_matches_finite_differences(p):
    x = np.random.default_rng(p["seed"]).standard_normal(p["shape"])
    kw = dict(size=p["size"], alpha=p["alpha"], beta=p["beta"], k=p["k"])
    g = np.random.default_rng(p["seed"] + 1).standard_normal(x.shape)
    (want,) = numeric_grad(lambda: N.local_response_norm(x, **kw), [x], g)
    np.testing.assert_allclose(N.local_response_norm_backward(g, x, **kw), want, rtol=1e-5,
                               atol=1e-6)


@st.composite
def adaptive_problems(draw):
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    batched = draw(st.booleans())
    shape = ((draw(st.integers(1, 2)),) if batched else ()) + (draw(st.integers(1, 3)), h, w)
    kind = draw(st.sampled_from(["int", "pair", "none", "global"]))
    if kind == "int":
        size = draw(st.integers(1, 6))
    elif kind == "pair":
        size = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    elif kind == "none":
        size = (None, draw(st.integers(1, 6)))
    else:
        size = 1
    return dict(shape=shape, size=size, dtype=draw(st.sampled_from(DTYPES)),
                seed=draw(st.integers(0, 10_000)))


@given(adaptive_problems())
def test_adaptive_avg_pool2d_forward_and_backward(p):
    x = np.random.default_rng(p["seed"]).standard_normal(p["shape"]).astype(p["dtype"])
    xt = _t(x, True)
    want = F.adaptive_avg_pool2d(xt, p["size"])
    got = N.adaptive_avg_pool2d(x, p["size"])
    assert got.dtype == x.dtype
    assert_close(got, want, p["dtype"])
    assert_close(T.adaptive_avg_pool2d(_t(x), p["size"]), want, p["dtype"])
    g = np.random.default_rng(p["seed"] + 1).standard_normal(got.shape).astype(p["dtype"])
    (ref,) = torch.autograd.grad(want, xt, _t(g))
    assert_close(N.adaptive_avg_pool2d_backward(g, x, p["size"]), ref, p["dtype"])
    assert_close(T.adaptive_avg_pool2d_backward(_t(g), _t(x), p["size"]), ref, p["dtype"])
    x64 = x.astype(np.float64)
    (fd,) = numeric_grad(lambda: N.adaptive_avg_pool2d(x64, p["size"]), [x64],
                         g.astype(np.float64))
    np.testing.assert_allclose(N.adaptive_avg_pool2d_backward(g.astype(np.float64), x64,
                                                              p["size"]), fd, atol=1e-6)


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
BAD = [
    ("batch_norm", (x4[0, 0, 0], None, None), {"training": True}, ValueError,
     "at least 2 dimensions"),
    ("batch_norm", (x4, None, None), {}, ValueError, "running_mean is required in evaluation"),
    ("batch_norm", (x4, np.zeros(4, np.float32), c3), {}, ValueError,
     "running_mean has 4 elements, input has 3 channels"),
    ("batch_norm", (x4, c3, c3, c3.astype(np.float64)), {}, TypeError, "weight has dtype float64"),
    ("batch_norm", (x4[:1, :, :1, :1], None, None), {"training": True}, ValueError,
     "more than 1 value per channel"),
    ("batch_norm", (x4, c3, c3), {"training": 1}, TypeError, "training must be a bool"),
    ("batch_norm", (x4, c3, c3), {"eps": -1.0}, ValueError, "eps must lie in"),
    ("local_response_norm", (x4[0, 0], 3), {}, ValueError, "at least 3 dimensions"),
    ("local_response_norm", (x4, 0), {}, ValueError, "size must be positive"),
    ("local_response_norm", (x4, 2.5), {}, TypeError, "size must be an int"),
    ("adaptive_avg_pool2d", (x4[0, 0], 2), {}, ValueError, "3-D or 4-D"),
    ("adaptive_avg_pool2d", (x4, 0), {}, ValueError, "output_size must be positive"),
    ("adaptive_avg_pool2d", (x4, (1, 2, 3)), {}, TypeError, "output_size must be an int or a pair"),
    ("dropout", (x4, 1.5), {}, ValueError, "p must lie in [0.0, 1.0]"),
    ("dropout", (x4, 0.5), {"training": "yes"}, TypeError, "training must be a bool"),
]


# Where we are stricter than torch: it casts a float64 weight silently and returns an empty
# output for output_size=0.
TORCH_ACCEPTS = {"weight has dtype float64", "output_size must be positive"}


def _to_torch(a):
    return torch.tensor(a) if isinstance(a, np.ndarray) else a


@pytest.mark.parametrize("name, args, kwargs, exc, fragment", BAD,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_inputs_are_rejected_like_torch_with_a_clear_message(name, args, kwargs, exc,
                                                                 fragment):
    with pytest.raises(exc) as info:
        getattr(N, name)(*args, **kwargs)
    assert fragment in str(info.value) and name in str(info.value)
    with pytest.raises(exc) as info:
        getattr(T, name)(*map(_to_torch, args), **kwargs)
    assert fragment in str(info.value)
    torch_args = tuple(map(_to_torch, args))
    if fragment in TORCH_ACCEPTS:
        return
    with pytest.raises((RuntimeError, ValueError, TypeError, IndexError)):
        getattr(F, name)(*torch_args, **kwargs)


def test_generators_of_the_wrong_kind_and_missing_replay():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        N.dropout(x4, 0.5, generator=torch.Generator())
    with pytest.raises(TypeError, match="torch.Generator"):
        T.dropout(torch.zeros(2), 0.5, generator=np.random.default_rng())
    with pytest.raises(ValueError, match="pass the generator"):
        N.dropout_backward(x4, x4, 0.5)
    with pytest.raises(ValueError, match="grad_output has shape"):
        N.batch_norm_backward(x4[0], x4, c3, c3)
