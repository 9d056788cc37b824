"""Verification metrics against scikit-learn, identification against loops, and bad inputs."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from cnnlib.vision import verification as V


@st.composite
def scored_pairs(draw):
    n = draw(st.integers(2, 60))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    same = rng.random(n) < draw(st.floats(0.1, 0.9))
    same[0], same[1] = True, False                    # both classes present
    ties = draw(st.booleans())
    scores = rng.normal(same * draw(st.floats(0, 3)), 1.0)
    if ties:                                           # many equal scores
        scores = np.round(scores * 2) / 2
    return same, scores


@given(scored_pairs())
def test_roc_and_auc_match_scikit_learn(prob):
    same, scores = prob
    far, tar, thr = V.roc_curve(same, scores)
    sk_far, sk_tar, sk_thr = sk_roc_curve(same, scores, drop_intermediate=False)
    np.testing.assert_allclose(far, sk_far)
    np.testing.assert_allclose(tar, sk_tar)
    np.testing.assert_array_equal(thr[1:], sk_thr[1:])
    assert np.isinf(thr[0])
    assert V.roc_auc(same, scores) == pytest.approx(roc_auc_score(same, scores), abs=1e-12)
    assert V.roc_auc(same.astype(int), scores) == V.roc_auc(same, scores)


@given(scored_pairs(), st.floats(0, 1))
def test_tar_at_far_is_the_best_threshold_within_the_far(prob, target):
    same, scores = prob
    tar, thr = V.tar_at_far(same, scores, target)
    accepted = scores >= thr
    assert np.mean(accepted[~same]) <= target + 1e-12
    assert np.mean(accepted[same]) == pytest.approx(tar)
    # no threshold that keeps the FAR within the target accepts more same pairs
    for t in np.unique(scores):
        if np.mean(scores[~same] >= t) <= target + 1e-12:
            assert np.mean(scores[same] >= t) <= tar + 1e-12
    e = V.threshold_errors(same, scores, thr) if np.isfinite(thr) else None
    if e is not None:
        assert e.far <= target + 1e-12 and e.frr == pytest.approx(1 - tar)


def test_threshold_errors_count_by_hand():
    same = np.array([True, True, True, False, False])
    scores = np.array([0.9, 0.4, 0.7, 0.8, 0.1])
    e = V.threshold_errors(same, scores, 0.5)
    assert (e.false_accepts, e.false_rejects, e.true_accepts, e.true_rejects) == (1, 1, 2, 1)
    assert e.far == 0.5 and e.frr == pytest.approx(1 / 3)
    tars, thrs = V.tar_at_far(same, scores, [0.0, 0.5, 1.0])
    assert tars.tolist() == pytest.approx([1 / 3, 1.0, 1.0])
    assert thrs[0] == 0.9


def test_pair_scores_and_metrics():
    e = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    i, j = np.array([0, 0, 1]), np.array([1, 2, 2])
    np.testing.assert_allclose(V.pair_scores(e, i, j), [-2.0, -0.8, -0.4])
    np.testing.assert_allclose(V.pair_scores(e, i, j, "euclidean"), -np.sqrt([2.0, 0.8, 0.4]))
    np.testing.assert_allclose(V.pair_scores(e, i, j, "cosine"), [0.0, 0.6, 0.8])


def _loop_one_shot(e, gallery, query, answer):
    right = 0
    for g, q, a in zip(gallery, query, answer):
        d = [np.sum((e[q] - e[k]) ** 2) for k in g]
        right += int(np.argmin(d) == a)
    return right / len(query)


def test_one_shot_trials_and_accuracy():
    rng = np.random.default_rng(0)
    ids = np.repeat(np.arange(30), 3)
    centres = rng.normal(size=(30, 8))
    e = centres[ids] + rng.normal(0, 0.6, (90, 8))
    gallery, query, answer = V.one_shot_trials(ids, 5, trials=300, seed=1)
    for g, q, a in zip(gallery, query, answer):
        assert len(set(ids[g])) == 5                       # five different people
        assert ids[q] == ids[g[a]] and q != g[a]           # the query is another image
    acc = V.one_shot_accuracy(e, ids, 5, trials=300, seed=1)
    assert acc == _loop_one_shot(e, gallery, query, answer)
    assert acc > 0.6
    # a harder task (more people to choose from) is not easier
    assert V.one_shot_accuracy(e, ids, 25, trials=300, seed=1) < acc


def test_enroll_and_identify():
    e = np.array([[0.0, 0.0], [0.0, 0.2], [5.0, 5.0], [5.2, 5.0]])
    g = V.enroll(e, np.array(["ann", "ann", "bob", "bob"]))
    assert g.identities.tolist() == ["ann", "bob"]
    np.testing.assert_allclose(g.embeddings, [[0.0, 0.1], [5.1, 5.0]])
    ids, dist = V.identify(np.array([[0.1, 0.1], [5.0, 4.9], [20.0, 20.0]]), g, threshold=1.0,
                           unknown="?")
    assert ids.tolist() == ["ann", "bob", "?"]
    g2 = V.enroll({"ann": e[:2], "bob": e[2:]})
    np.testing.assert_allclose(g2.embeddings, g.embeddings)
    first = V.enroll(e, np.array([7, 7, 9, 9]), combine="first")
    assert first.identities.tolist() == [7, 9]
    assert V.identify(np.array([[4.0, 4.0]]), first, threshold=1.0)[0].tolist() == [-1]


def test_bad_inputs_give_clear_errors():
    same = np.array([True, False, True])
    with pytest.raises(ValueError, match="both same-identity and different-identity"):
        V.roc_auc(np.array([True, True]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="same has 3 pairs but scores has 2"):
        V.roc_curve(same, np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="booleans or 0/1"):
        V.roc_curve(np.array([0, 2, 1]), np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        V.roc_curve(same, np.array([0.1, np.nan, 0.2]))
    with pytest.raises(ValueError, match="far must lie in"):
        V.tar_at_far(same, np.zeros(3), 1.5)
    with pytest.raises(ValueError, match=r"embeddings must be a 2-D array \(N, D\)"):
        V.one_shot_accuracy(np.zeros((4, 2, 2)), np.arange(4), 2)
    with pytest.raises(ValueError, match="identities has 3 entries but there are 4"):
        V.one_shot_accuracy(np.zeros((4, 2)), np.arange(3), 2)
    with pytest.raises(ValueError, match="need 5 identities with two or more images"):
        V.one_shot_accuracy(np.zeros((6, 2)), np.repeat(np.arange(3), 2), 5)
    with pytest.raises(ValueError, match="i refers to row 9 but there are 4"):
        V.pair_scores(np.zeros((4, 2)), np.array([0, 9]), np.array([1, 2]))
    with pytest.raises(ValueError, match="identity 'bob' has no embedding"):
        V.enroll({"ann": np.zeros((1, 2)), "bob": np.zeros((0, 2))})
    with pytest.raises(ValueError, match="queries are 3-d but the gallery holds 2-d"):
        V.identify(np.zeros((1, 3)), V.enroll(np.zeros((2, 2)), np.array([0, 1])))
    with pytest.raises(TypeError, match="identities must hold integers or names"):
        V.enroll(np.zeros((2, 2)), np.array([0.5, 1.5]))


def test_recognition_rates_follow_the_independent_error_formula():
    rng = np.random.default_rng(0)
    m = 400
    d = rng.uniform(0, 1, (m, m))                      # impostor distances: FAR(0.05) = 0.05
    np.fill_diagonal(d, rng.uniform(0, 0.1 / 0.9, m))  # genuine: FRR(0.05) = 0.55
    far = 0.05
    frr = np.mean(np.diag(d) > far)
    sizes = [1, 5, 20, 100]
    r = V.recognition_rates(d, far, sizes, trials=4000, seed=1)
    want = (1 - frr) * (1 - far) ** (np.array(sizes) - 1)
    np.testing.assert_allclose(r["strict"], want, atol=0.03)
    np.testing.assert_allclose(r["stranger_rejected"], (1 - far) ** np.array(sizes), atol=0.03)
    assert np.all(r["nearest"] >= r["strict"]) and np.all(np.diff(r["strict"]) < 0)
    assert r["nearest"][0] == r["strict"][0]          # a gallery of one: the same question
    # brute force for one gallery size
    loop = []
    rng2 = np.random.default_rng(5)
    for _ in range(3000):
        q = rng2.integers(m)
        others = rng2.choice(np.delete(np.arange(m), q), 19, replace=False)
        loop.append(d[q, q] <= far and (d[q, others] > far).all())
    assert np.mean(loop) == pytest.approx(V.recognition_rates(d, far, [20], 3000, 2)["strict"][0],
                                          abs=0.03)
    with pytest.raises(ValueError, match="square"):
        V.recognition_rates(d[:3], 0.1, [2])
    with pytest.raises(ValueError, match="gallery_sizes must be <= 399"):
        V.recognition_rates(d, 0.1, [400])
