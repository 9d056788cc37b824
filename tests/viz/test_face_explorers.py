"""cnnlib.viz.explorers.faces: the margin explorer of section 4.4, outside notebooks."""

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score

from cnnlib.viz.explorers.faces import (EmbeddingView, draw_embedding_view, embedding_view,
                                        margin_explorer)
from cnnlib.viz.widgets import Explorer


def _clusters(people=6, per=4, spread=0.1, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, 8))
    e = np.repeat(centres, per, axis=0) + spread * rng.normal(size=(people * per, 8))
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    return e.astype(np.float32), np.repeat(np.arange(people) * 7, per)


def test_embedding_view_counts_pairs_and_matches_sklearn():
    e, y = _clusters()
    v = embedding_view(e, y, people=3)
    assert v.points.shape == (12, 2) and set(v.identities) == {0, 7, 14}
    assert len(v.d_same) == 6 * 6 and len(v.d_diff) == 24 * 23 // 2 - 36
    # the squared distances of one same pair, by hand
    assert v.d_same[0] == pytest.approx(((e[0] - e[1]) ** 2).sum(), rel=1e-5)
    same = np.r_[np.ones(len(v.d_same)), np.zeros(len(v.d_diff))]
    assert v.auc == pytest.approx(roc_auc_score(same, -np.r_[v.d_same, v.d_diff]))
    assert v.auc > 0.95                                  # tight clusters separate


def test_embedding_view_rejects_bad_inputs():
    e, y = _clusters()
    with pytest.raises(ValueError, match="embedding_view: identities has 23 entries"):
        embedding_view(e, y[:-1])
    with pytest.raises(ValueError, match="embedding_view: embeddings must be a 2-D array"):
        embedding_view(e[:, :, None], y)
    with pytest.raises(ValueError, match="same-person and different-person pairs"):
        embedding_view(e[:4], y[:4])
    with pytest.raises(ValueError, match="people"):
        embedding_view(e, y, people=0)


def test_draw_and_explore_margins():
    e, y = _clusters()
    views = {m: embedding_view(e, y, people=4) for m in (0.1, 0.5)}
    fig = draw_embedding_view(views[0.1], margin=0.1, title="t")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    with pytest.raises(TypeError, match="draw_embedding_view: view must be an EmbeddingView"):
        draw_embedding_view({"points": None})
    ex = margin_explorer(views, title="margins")
    assert isinstance(ex, Explorer) and list(ex.values["margin"]) == [0.1, 0.5]
    with pytest.raises(ValueError, match="margin_explorer: views must be a non-empty mapping"):
        margin_explorer({})
    assert isinstance(views[0.5], EmbeddingView)
