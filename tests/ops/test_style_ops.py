"""Style-transfer ops: what the op registry does not check.

The registry (``registry.py``) checks gram_matrix, content_cost, style_layer_cost and
total_variation against the course's formulas written in plain torch, with finite
differences, bad inputs and the edge-case sweep, and style_cost's value. Here: style_cost's
backward (its arguments are lists of layers, which the registry differentiates only as
arrays) against the weighted sum of per-layer costs and finite differences, its other bad
inputs, and what the costs measure.
"""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnlib import numpy_ops as N
from cnnlib import torch_ops as T
from compare import numeric_grad
from conftest import assert_close
from registry import style_layer_cost_oracle

REDUCTIONS = ["mean", "sum", "none"]


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

@given(volumes(layers=3), st.lists(st.floats(0, 3), min_size=3, max_size=3) | st.none())
def test_style_cost_is_the_weighted_sum_of_layer_costs(p, weights):
    a, s = _arrays(p, 2)
    r = p["reduction"]
    at = [_t(x, True) for x in a]
    lam = weights or [1 / 3] * 3
    want = sum(w * style_layer_cost_oracle(x, y, r) for w, x, y in zip(lam, at, map(_t, s)))
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
    ("style_cost", (v, [v]), {}, TypeError, "inputs must be a list or tuple"),
    ("style_cost", ([], []), {}, ValueError, "at least one layer"),
    ("style_cost", ([v, v], [v]), {}, ValueError, "inputs has 2 layers but targets has 1"),
    ("style_cost", ([v], [v[:, :, :2]]), {}, ValueError, "inputs[0] has shape"),
    ("style_cost", ([v, v[:1]], [v, v[:1]]), {}, ValueError, "same batch"),
    ("style_cost", ([v], [v]), {"weights": [1.0, 2.0]}, ValueError, "weights has 2 entries"),
    ("style_cost", ([v], [v]), {"weights": [-1.0]}, ValueError, "weights[0] must lie in"),
    ("style_cost", ([v], [v]), {"weights": ["a"]}, TypeError, "weights[0] must be a number"),
    ("style_cost", ([v], [v]), {"weights": 0.5}, TypeError, "weights must be a sequence"),
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
