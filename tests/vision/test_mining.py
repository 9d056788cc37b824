"""Triplet mining, pair sampling and the P x K batch sampler, against brute-force loops."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnlib.vision import embeddings as E


@st.composite
def batches(draw):
    n_ids = draw(st.integers(1, 5))
    counts = draw(st.lists(st.integers(1, 4), min_size=n_ids, max_size=n_ids))
    labels = np.repeat(np.arange(n_ids), counts)
    rng = np.random.default_rng(draw(st.integers(0, 1000)))
    rng.shuffle(labels)
    e = rng.normal(size=(len(labels), 3))
    return E.distance_matrix(e), labels


def _valid(d, y):
    """Every valid (a, p, n) by brute force."""
    out = []
    for a in range(len(y)):
        for p in range(len(y)):
            for n in range(len(y)):
                if a != p and y[a] == y[p] and y[n] != y[a]:
                    out.append((a, p, n))
    return out


@given(batches())
def test_every_strategy_returns_valid_triplets_and_the_documented_ones(prob):
    d, y = prob
    valid = _valid(d, y)
    assert sorted(zip(*E.mine_triplets(d, y, "all"))) == sorted(valid)
    for mining in E.MINING:
        a, p, n = E.mine_triplets(d, y, mining, rng=0)
        assert a.dtype == p.dtype == n.dtype == np.int64
        assert set(zip(a.tolist(), p.tolist(), n.tolist())) <= set(valid)
    a, p, n = E.mine_triplets(d, y, "batch_hard")
    for ai, pi, ni in zip(a, p, n):
        pos = [q for (b, q, _) in valid if b == ai]
        neg = [m for (b, _, m) in valid if b == ai]
        assert d[ai, pi] == max(d[ai, q] for q in pos)
        assert d[ai, ni] == min(d[ai, m] for m in neg)
    assert len(a) == len({t[0] for t in valid})
    a, p, n = E.mine_triplets(d, y, "semi_hard")
    pairs = sorted({(t[0], t[1]) for t in valid})
    assert sorted(zip(a.tolist(), p.tolist())) == pairs
    for ai, pi, ni in zip(a, p, n):
        neg = [m for (b, q, m) in valid if b == ai and q == pi]
        farther = [d[ai, m] for m in neg if d[ai, m] > d[ai, pi]]
        want = min(farther) if farther else max(d[ai, m] for m in neg)
        assert d[ai, ni] == want
    a, p, n = E.mine_triplets(d, y, "random", rng=1)
    assert sorted(zip(a.tolist(), p.tolist())) == pairs


def test_random_negatives_are_uniform():
    y = np.array([0, 0, 1, 2, 3])
    d = np.zeros((5, 5))
    rng = np.random.default_rng(0)
    seen = np.concatenate([E.mine_triplets(d, y, "random", rng)[2] for _ in range(3000)])
    counts = np.bincount(seen, minlength=5)[2:]
    assert counts.sum() == 6000 and np.all(np.abs(counts / 6000 - 1 / 3) < 0.03)


def test_triplet_kinds():
    kinds = E.triplet_kinds([1.0, 1.0, 1.0, 1.0], [0.5, 1.0, 1.1, 1.3], margin=0.2)
    assert kinds.tolist() == ["hard", "hard", "semi-hard", "easy"]


def test_pairs():
    y = np.array([3, 3, 5, 5, 5, 8])
    i, j, same = E.all_pairs(y)
    assert len(i) == 15 and np.all(i < j) and same.sum() == 1 + 3
    i, j, same = E.sample_pairs(y, 400, rng=0, same_fraction=0.25)
    assert same.sum() == 100 and np.all(i != j)
    assert np.array_equal(same, y[i] == y[j])
    with pytest.raises(ValueError, match="no identity has two images"):
        E.sample_pairs(np.arange(4), 10, rng=0)
    with pytest.raises(ValueError, match="all images share one identity"):
        E.sample_pairs(np.zeros(4, int), 10, rng=0)


def test_pk_sampler_makes_p_by_k_batches():
    ids = np.repeat(np.arange(10), [5, 5, 5, 5, 5, 5, 5, 5, 3, 1])
    sampler = E.pk_sampler(4, 4)
    g = torch.Generator().manual_seed(0)
    batches = sampler((torch.zeros(len(ids)), torch.tensor(ids)), g)
    assert len(batches) == 9 // 4                      # identity 9 (one image) is never used
    for b in batches:
        b = b.numpy()
        assert len(set(b.tolist())) == len(b)          # no image twice
        people, counts = np.unique(ids[b], return_counts=True)
        assert len(people) == 4 and 9 not in people
        assert all(c == min(4, np.sum(ids == p)) for p, c in zip(people, counts))
    again = sampler((torch.zeros(len(ids)), torch.tensor(ids)), torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip(batches, again))
    assert len(E.pk_sampler(4, 2, batches=7)((None, torch.tensor(ids)), g)) == 7
    with pytest.raises(ValueError, match="only 9 identities"):
        E.pk_sampler(10, 2)((None, torch.tensor(ids)), g)


def test_bad_inputs():
    with pytest.raises(ValueError, match="square"):
        E.mine_triplets(np.zeros((3, 4)), np.arange(3))
    with pytest.raises(ValueError, match="labels has 2 entries but there are 3"):
        E.mine_triplets(np.zeros((3, 3)), np.arange(2))
    with pytest.raises(ValueError, match="mining must be one of"):
        E.mine_triplets(np.zeros((3, 3)), np.arange(3), "hardest")
    with pytest.raises(ValueError, match=r"embeddings must be a 2-D array"):
        E.distance_matrix(np.zeros(3))
