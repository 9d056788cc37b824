"""Style-transfer ops (Gram matrix, content and style costs, total variation): the NumPy
reference and its torch twin against formulas written directly in torch, their backwards
against autograd and (NumPy, float64) against finite differences, and clear errors for bad
input."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib import numpy_ops as N
from cnnlib import torch_ops as T
from compare import numeric_grad
from conftest import assert_close

REDUCTIONS = ["mean", "sum", "none"]


# -- oracles: the course's formulas, written once more in plain torch ------------------------

def oracle_gram(a):
    return torch.einsum("...khw,...lhw->...kl", a, a)


def _per_example(cost, batched):
    return cost if batched else cost[0]


def _reduce(per, reduction, batched):
    if not batched:
        return per[0]
    return {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]


def oracle_content(a, c, reduction):
    batched = a.ndim == 4
    a4, c4 = (a, c) if batched else (a[None], c[None])
    n_c, n_h, n_w = a4.shape[1:]
    per = ((c4 - a4) ** 2).sum(dim=(1, 2, 3)) / (4 * n_h * n_w * n_c)
    return _reduce(per, reduction, batched)


def oracle_style_layer(a, s, reduction):
    batched = a.ndim == 4
    a4, s4 = (a, s) if batched else (a[None], s[None])
    n_c, n_h, n_w = a4.shape[1:]
    per = ((oracle_gram(s4) - oracle_gram(a4)) ** 2).sum(dim=(1, 2)) / (2 * n_h * n_w * n_c) ** 2
    return _reduce(per, reduction, batched)


def oracle_tv(x, reduction):
    batched = x.ndim == 4
    x4 = x if batched else x[None]
    per = ((x4[:, :, 1:] - x4[:, :, :-1]) ** 2).sum(dim=(1, 2, 3)) + \
        ((x4[..., 1:] - x4[..., :-1]) ** 2).sum(dim=(1, 2, 3))
    return _reduce(per, reduction, batched)


# -- drawn problems -----------------------------------------------------------------------

@st.composite
def volumes(draw, layers=1):
    batched = draw(st.booleans())
    n = draw(st.integers(1, 3))
    shapes = []
    for _ in range(layers):
        c, h, w = (draw(st.integers(1, 5)) for _ in range(3))
        shapes.append(((n,) if batched else ()) + (c, h, w))
    return dict(shapes=shapes, dtype=draw(st.sampled_from([np.float32, np.float64])),
                reduction=draw(st.sampled_from(REDUCTIONS)), seed=draw(st.integers(0, 2**16)))


def _arrays(p, count=2):
    rng = np.random.default_rng(p["seed"])
    return [[rng.standard_normal(s).astype(p["dtype"]) for s in p["shapes"]] for _ in range(count)]


def _t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


def _grad_like(out, seed, dtype):
    return np.asarray(np.random.default_rng(seed + 1).standard_normal(np.shape(out)), dtype)


# -- forward and backward against the oracles ---------------------------------------------

@given(volumes())
def test_gram_matrix_forward_and_backward(p):
    [x], = _arrays(p, 1)
    xt = _t(x, True)
    want = oracle_gram(xt)
    got = N.gram_matrix(x)
    assert got.dtype == x.dtype and got.shape == tuple(want.shape)
    assert_close(got, want, p["dtype"], scale=x.size)
    assert_close(T.gram_matrix(_t(x)), want, p["dtype"], scale=x.size)
    g = _grad_like(got, p["seed"], p["dtype"])
    (ref,) = torch.autograd.grad(want, xt, _t(g))
    assert_close(N.gram_matrix_backward(g, x), ref, p["dtype"], scale=x.size)
    assert_close(T.gram_matrix_backward(_t(g), _t(x)), ref, p["dtype"], scale=x.size)


@pytest.mark.parametrize("name, oracle", [("content_cost", oracle_content),
                                          ("style_layer_cost", oracle_style_layer)])
def test_costs_forward_and_backward(name, oracle):
    @given(volumes())
    def check(p):
        [a], [b] = _arrays(p, 2)
        r = p["reduction"]
        at, bt = _t(a, True), _t(b, True)
        want = oracle(at, bt, r)
        got = getattr(N, name)(a, b, r)
        assert np.asarray(got).dtype == a.dtype
        assert_close(np.asarray(got), want, p["dtype"], scale=10)
        assert_close(getattr(T, name)(_t(a), _t(b), r), want, p["dtype"], scale=10)
        g = _grad_like(got, p["seed"], p["dtype"])
        ref = torch.autograd.grad(want, (at, bt), _t(g))
        for mine, twin, expected in zip(getattr(N, name + "_backward")(g, a, b, r),
                                        getattr(T, name + "_backward")(_t(g), _t(a), _t(b), r),
                                        ref):
            assert mine.dtype == a.dtype
            assert_close(mine, expected, p["dtype"], scale=10)
            assert_close(twin, expected, p["dtype"], scale=10)

    check()


@given(volumes(layers=3), st.lists(st.floats(0, 3), min_size=3, max_size=3) | st.none())
def test_style_cost_is_the_weighted_sum_of_layer_costs(p, weights):
    a, s = _arrays(p, 2)
    r = p["reduction"]
    at = [_t(x, True) for x in a]
    lam = weights or [1 / 3] * 3
    want = sum(w * oracle_style_layer(x, y, r) for w, x, y in zip(lam, at, map(_t, s)))
    got = N.style_cost(a, s, weights, r)
    assert np.asarray(got).dtype == p["dtype"]
    assert_close(np.asarray(got), want, p["dtype"], scale=10)
    assert_close(T.style_cost([_t(x) for x in a], [_t(x) for x in s], weights, r), want,
                 p["dtype"], scale=10)
    g = _grad_like(got, p["seed"], p["dtype"])
    ref = torch.autograd.grad(want, at, _t(g), allow_unused=True)
    mine, mine_t = N.style_cost_backward(g, a, s, weights, r)
    twin, twin_t = T.style_cost_backward(_t(g), [_t(x) for x in a], [_t(x) for x in s],
                                         weights, r)
    for x, y, expected in zip(mine, twin, ref):
        expected = torch.zeros(1) if expected is None else expected
        assert_close(x, expected.expand(x.shape), p["dtype"], scale=10)
        assert_close(y, expected.expand(x.shape), p["dtype"], scale=10)
    for i, (x, y) in enumerate(zip(mine_t, twin_t)):   # the targets' gradients: per layer
        _, want_t = N.style_layer_cost_backward(g * lam[i], a[i], s[i], r)
        assert_close(x, want_t, p["dtype"], scale=10)
        assert_close(y, want_t, p["dtype"], scale=10)


@given(volumes())
def test_total_variation_forward_and_backward(p):
    [x], = _arrays(p, 1)
    r = p["reduction"]
    xt = _t(x, True)
    want = oracle_tv(xt, r)
    got = N.total_variation(x, r)
    assert np.asarray(got).dtype == x.dtype
    assert_close(np.asarray(got), want, p["dtype"], scale=x.size)
    assert_close(T.total_variation(_t(x), r), want, p["dtype"], scale=x.size)
    g = _grad_like(got, p["seed"], p["dtype"])
    (ref,) = torch.autograd.grad(want, xt, _t(g))
    assert_close(N.total_variation_backward(g, x, r), ref, p["dtype"], scale=10)
    assert_close(T.total_variation_backward(_t(g), _t(x), r), ref, p["dtype"], scale=10)


# -- NumPy backwards against finite differences (float64) ---------------------------------

@settings(max_examples=30)
@given(volumes())
def test_numpy_backwards_match_finite_differences(p):
    p["dtype"] = np.float64
    [a], [b] = _arrays(p, 2)
    r = p["reduction"]

    def check(forward, backward, arrays):
        out = np.asarray(forward())
        g = np.random.default_rng(p["seed"]).standard_normal(out.shape)
        want = numeric_grad(lambda: np.asarray(forward()), arrays, g)
        got = backward(g if out.shape else g[()])
        got = got if isinstance(got, tuple) else (got,)
        for x, y in zip(got, want):
            np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)

    check(lambda: N.gram_matrix(a), lambda g: N.gram_matrix_backward(g, a), [a])
    check(lambda: N.content_cost(a, b, r), lambda g: N.content_cost_backward(g, a, b, r), [a, b])
    check(lambda: N.style_layer_cost(a, b, r),
          lambda g: N.style_layer_cost_backward(g, a, b, r), [a, b])
    check(lambda: N.total_variation(a, r), lambda g: N.total_variation_backward(g, a, r), [a])


def test_style_cost_backward_matches_finite_differences(rng):
    a = [rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((2, 5, 2, 3))]
    s = [rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((2, 5, 2, 3))]
    w = [0.25, 2.0]
    want = numeric_grad(lambda: np.asarray(N.style_cost(a, s, w)), a + s, np.ones(()))
    gi, gt = N.style_cost_backward(1.0, a, s, w)
    for x, y in zip(gi + gt, want):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-7)


# -- what the costs mean --------------------------------------------------------------------

def test_what_the_costs_measure(rng):
    a = rng.standard_normal((4, 6, 5))
    gram = N.gram_matrix(a)
    assert gram.shape == (4, 4)                               # n_C x n_C, whatever n_H n_W
    np.testing.assert_allclose(gram, gram.T)
    assert np.linalg.eigvalsh(gram).min() > -1e-9              # positive semi-definite
    np.testing.assert_allclose(gram, a.reshape(4, -1) @ a.reshape(4, -1).T)
    # The Gram matrix forgets where features are: shuffling positions leaves the style cost at 0
    order = rng.permutation(30)
    shuffled = a.reshape(4, -1)[:, order].reshape(a.shape)
    assert N.style_layer_cost(shuffled, a) < 1e-20
    assert N.content_cost(shuffled, a) > 0.1
    # The normalisation: a layer twice as large (same statistics) costs the same
    big, big_s = np.concatenate([a, a], axis=2), np.concatenate([a + 1, a + 1], axis=2)
    np.testing.assert_allclose(N.style_layer_cost(big, big_s), N.style_layer_cost(a, a + 1))
    np.testing.assert_allclose(N.content_cost(big, big_s), N.content_cost(a, a + 1))
    # Zero cost exactly at the target; a constant image has no total variation
    assert N.content_cost(a, a) == 0 and N.style_cost([a], [a]) == 0
    assert N.total_variation(np.full((3, 4, 4), 0.7)) == 0


def test_reductions_agree_with_per_image_costs(rng):
    a, c = rng.standard_normal((3, 2, 4, 4)), rng.standard_normal((3, 2, 4, 4))
    per = N.content_cost(a, c, "none")
    assert per.shape == (3,)
    np.testing.assert_allclose(per, [N.content_cost(a[i], c[i]) for i in range(3)])
    np.testing.assert_allclose(N.content_cost(a, c), per.mean())
    np.testing.assert_allclose(N.content_cost(a, c, "sum"), per.sum())
    per = N.style_layer_cost(a, c, "none")
    np.testing.assert_allclose(per, [N.style_layer_cost(a[i], c[i]) for i in range(3)])


# -- bad input ---------------------------------------------------------------------------

v = np.zeros((2, 3, 4, 4), np.float32)
BAD = [
    ("gram_matrix", (v[0, 0],), {}, ValueError, "input expects a 3-D or 4-D"),
    ("gram_matrix", (v.tolist(),), {}, TypeError, "input must be"),
    ("gram_matrix", (v.astype(np.int64),), {}, TypeError, "dtype"),
    ("gram_matrix", (np.zeros((2, 0, 4, 4), np.float32),), {}, ValueError, "empty axis"),
    ("gram_matrix_backward", (np.zeros((2, 4, 4), np.float32), v), {}, ValueError,
     "grad_output has shape (2, 4, 4), the forward output has shape (2, 3, 3)"),
    ("content_cost", (v, v[:, :, :3]), {}, ValueError,
     "input has shape (2, 3, 4, 4) but target has shape (2, 3, 3, 4)"),
    ("content_cost", (v, v[:, :2]), {}, ValueError, "same shape"),
    ("content_cost", (v, v.astype(np.float64)), {}, TypeError, "target has dtype float64"),
    ("content_cost", (v, v), {"reduction": "max"}, ValueError, "reduction must be one of"),
    ("content_cost_backward", (np.zeros(2, np.float32), v, v), {}, ValueError,
     "grad_output has shape"),
    ("style_layer_cost", (v, v[0]), {}, ValueError, "but target has shape (3, 4, 4)"),
    ("style_layer_cost_backward", (np.zeros(3, np.float32), v, v), {"reduction": "none"},
     ValueError, "grad_output has shape"),
    ("style_cost", (v, [v]), {}, TypeError, "inputs must be a list or tuple"),
    ("style_cost", ([], []), {}, ValueError, "at least one layer"),
    ("style_cost", ([v, v], [v]), {}, ValueError, "inputs has 2 layers but targets has 1"),
    ("style_cost", ([v], [v[:, :, :2]]), {}, ValueError, "(layer 0): input has shape"),
    ("style_cost", ([v, v[:1]], [v, v[:1]]), {}, ValueError, "same batch"),
    ("style_cost", ([v], [v]), {"weights": [1.0, 2.0]}, ValueError, "weights has 2 entries"),
    ("style_cost", ([v], [v]), {"weights": [-1.0]}, ValueError, "weights[0] must lie in"),
    ("style_cost", ([v], [v]), {"weights": ["a"]}, TypeError, "weights[0] must be a number"),
    ("style_cost", ([v], [v]), {"weights": 0.5}, TypeError, "weights must be a sequence"),
    ("total_variation", (v[0, 0, 0],), {}, ValueError, "input expects a 3-D or 4-D"),
    ("total_variation", (v,), {"reduction": None}, ValueError, "reduction"),
]


def _to_torch(value):
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        return [_to_torch(x) for x in value]
    return value


@pytest.mark.parametrize("name,args,kwargs,exc,fragment", BAD,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_raises_a_clear_error_in_both_namespaces(name, args, kwargs, exc, fragment):
    with pytest.raises(exc) as info:
        getattr(N, name)(*args, **kwargs)
    message = str(info.value)
    assert message.startswith(name) and fragment in message, message
    if fragment == "input must be":
        with pytest.raises(TypeError, match="torch.Tensor"):
            getattr(T, name)(*args, **kwargs)
        return
    with pytest.raises(exc) as info:
        getattr(T, name)(*[_to_torch(a) for a in args], **kwargs)
    fragment = fragment.replace("dtype float32 or float64", "floating dtype")
    if name == "gram_matrix" and fragment == "dtype":
        fragment = "floating dtype"
    assert str(info.value).startswith(name) and fragment in str(info.value), str(info.value)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_style_ops_on_gpu():
    g = torch.Generator().manual_seed(0)
    a = [torch.randn(2, 8, 9, 7, generator=g, dtype=torch.float64) for _ in range(2)]
    s = [torch.randn(2, 8, 9, 7, generator=g, dtype=torch.float64) for _ in range(2)]
    cpu = T.style_cost(a, s, [0.3, 0.7]) + T.content_cost(a[0], s[0]) + T.total_variation(a[1])
    gpu = T.style_cost([x.cuda() for x in a], [x.cuda() for x in s], [0.3, 0.7]) + \
        T.content_cost(a[0].cuda(), s[0].cuda()) + T.total_variation(a[1].cuda())
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu)
