"""bench.peers: the NumPy peers the convolution is benchmarked against compute a convolution."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import peers


@st.composite
def problems(draw):
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    f, stride, pad = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(0, 2))
    size = draw(st.integers(max(f - 2 * pad, 1), 9))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    x = rng.standard_normal((n, c, size, size))
    w = rng.standard_normal((o, c, f, f))
    return x, w, rng.standard_normal(o), stride, pad


@settings(max_examples=40, deadline=None)
@given(problems(), st.sampled_from(sorted(peers.CONTENDERS)))
def test_each_contender_is_a_convolution_with_its_gradients(problem, name):
    x, w, b, stride, pad = problem
    forward, backward = peers.CONTENDERS[name]
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    want = F.conv2d(xt, wt, bt, stride=stride, padding=pad)
    np.testing.assert_allclose(forward(x, w, b, stride, pad), want.detach(), rtol=1e-9, atol=1e-9)
    g = np.random.default_rng(1).standard_normal(want.shape)
    grads = backward(g, x, w, b, stride, pad)
    for got, expected in zip(grads, torch.autograd.grad(want, (xt, wt, bt), torch.tensor(g))):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_peak_extra_memory_counts_temporaries_not_the_result():
    def makes_a_temporary(n):
        tmp = np.ones(n)            # n * 8 bytes, freed before returning
        return np.zeros(10) + tmp[:10]
    assert peers.peak_extra_bytes(makes_a_temporary, 100_000) >= 800_000
    assert peers.peak_extra_bytes(np.zeros, 100_000) < 10_000


def test_the_table_runs_on_the_layers_the_peers_take(capsys, monkeypatch):
    import bench.__main__ as suite
    tiny = [suite.Layer("tiny 3x3", 2, 3, 4, 8, 3, padding=1),
            suite.Layer("tiny depthwise", 2, 4, 4, 8, 3, padding=1, groups=4),
            suite.Layer("tiny 1x1", 2, 8, 4, 6, 1)]
    monkeypatch.setattr(suite, "SUITE", tiny)
    rows = peers.main(["--repeats", "1", "--rounds", "2"])
    assert [r["layer"] for r in rows] == ["tiny 3x3", "tiny 1x1"]     # no groups for the peers
    out = capsys.readouterr().out
    assert "geometric mean" in out and "best peer on" in out and "head to head" in out
    for r in rows:
        assert all(r[f"{k}_fwd_ratio"] > 0 and r[f"{k}_bwd_mb"] >= 0 for k in peers.CONTENDERS)


def test_head_to_head_takes_the_median_of_the_per_round_ratios():
    """A slow spell (round 2, ten times slower) slows both contenders of its round alike, so
    every round's ratio is 2/3 and so is the median."""
    now = [0.0]
    spell = iter([1] * 4 + [10] * 4 + [1] * 4)        # rounds 1 and 3 quiet, round 2 slow

    def clock():
        return now[0]

    def work(seconds):
        def run():
            now[0] += seconds * factor[0]
        return run

    factor = [1]
    ours, theirs = work(2.0), work(3.0)

    def tick(fn):
        def run():
            factor[0] = next(spell)
            fn()
        return run
    result = peers.head_to_head(tick(ours), tick(theirs), rounds=3, clock=clock)
    assert result == {"ratio": pytest.approx(2 / 3), "won": 1.0}
    never = peers.head_to_head(theirs, ours, rounds=2, clock=clock)
    assert never == {"ratio": pytest.approx(1.5), "won": 0.0}
