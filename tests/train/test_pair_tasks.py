"""The pair tasks of Part 4: a contrastive siamese embedding and verification as classification."""

import numpy as np
import pytest
import torch

from cnnlib.models import SiameseVerifier
from cnnlib.train import ContrastiveEmbedding, PairVerification, TripletEmbedding, evaluate, fit
from cnnlib.vision.embeddings import all_pairs, pk_sampler
from cnnlib.vision.verification import pair_scores, roc_auc
from toy_identities import identities as _identities


def _auc(model, x, ids):
    with torch.no_grad():
        e = torch.nn.functional.normalize(model(torch.tensor(x)), dim=1).numpy()
    i, j, same = all_pairs(ids)
    return roc_auc(same, pair_scores(e, i, j))


def _mlp(out=8):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 32), torch.nn.ReLU(),
                               torch.nn.Linear(32, out))


def test_contrastive_training_separates_identities():
    x, ids = _identities(n_ids=6, per_id=24)
    order = np.random.default_rng(1).permutation(len(x))
    train, test = order[:96], order[96:]         # held-out images of the same people
    model = _mlp()
    before = _auc(model, x[test], ids[test])
    h = fit(model, (x[train], ids[train]), (x[test], ids[test]),
            task=ContrastiveEmbedding(margin=1.0), epochs=40, lr=3e-3,
            batch_sampler=pk_sampler(4, 6, batches=6), progress=False)
    assert set(h.train) == {"loss", "same_dist", "diff_dist"}
    assert set(h.val) == {"loss", "same_dist", "diff_dist", "auc"}
    assert h.train["loss"][-1] < h.train["loss"][0] / 2
    assert h.train["same_dist"][-1] < h.train["diff_dist"][-1]
    after = _auc(model, x[test], ids[test])
    assert h.val["auc"][-1] == pytest.approx(after, abs=1e-6)
    assert after > 0.9 and after > before + 0.1


def test_pair_verification_trains_a_head_on_precomputed_embeddings():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(30, 6))
    ids = np.repeat(np.arange(30), 6)
    emb = (centres[ids] + rng.normal(0, 0.5, (180, 6))).astype(np.float32)
    for form in ("abs", "chi2"):
        torch.manual_seed(0)
        verifier = SiameseVerifier(torch.nn.Identity(), 6, form=form)
        task = PairVerification()
        before = evaluate(verifier, (emb[ids >= 20], ids[ids >= 20]), task=task)
        h = fit(verifier, (emb[ids < 20], ids[ids < 20]), (emb[ids >= 20], ids[ids >= 20]),
                task=task, epochs=30, lr=0.05, batch_sampler=pk_sampler(5, 6), progress=False)
        assert set(h.val) == {"loss", "acc", "auc"}
        assert h.val["loss"][-1] < before["loss"]
        assert h.val["acc"][-1] > 0.85 and h.val["auc"][-1] > 0.93
        # the head's weights on |f_i - f_j| are negative: a larger difference, less alike
        if form == "abs":
            assert (verifier.head.weight < 0).float().mean() > 0.8


def test_pair_and_triplet_tasks_refuse_batches_without_pairs():
    x, ids = _identities(n_ids=4, per_id=1)
    for task in (ContrastiveEmbedding(), TripletEmbedding()):
        with pytest.raises(ValueError, match="no pair of one identity|no valid triplet"):
            fit(_mlp(), (x, ids), task=task, epochs=1, progress=False)
    with pytest.raises(TypeError, match="embed\\(\\) and compare\\(\\)"):
        fit(_mlp(), (x, ids), task=PairVerification(), epochs=1, progress=False)
    with pytest.raises(TypeError, match="identities must be a 1-D integer"):
        fit(_mlp(), (x, ids.astype(np.float32)), task=ContrastiveEmbedding(), epochs=1,
            progress=False)


def test_triplet_task_reports_val_auc_and_active_average():
    x, ids = _identities(n_ids=6, per_id=24)
    order = np.random.default_rng(1).permutation(len(x))
    train, test = order[:96], order[96:]
    model = _mlp()
    h = fit(model, (x[train], ids[train]), (x[test], ids[test]),
            task=TripletEmbedding(margin=0.2, mining="all", average="active"), epochs=20,
            lr=3e-3, batch_sampler=pk_sampler(3, 6, batches=6), progress=False)
    assert set(h.val) == {"loss", "active", "auc"}
    assert h.val["auc"][-1] > h.val["auc"][0] + 0.1
    assert h.val["auc"][-1] == pytest.approx(_auc(model, x[test], ids[test]), abs=1e-6)
