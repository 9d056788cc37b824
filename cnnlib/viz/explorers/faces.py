"""The margin explorer of section 4.4: what the triplet margin alpha does to an embedding.

Training is too slow to rerun while a slider moves, so the explorer shows embeddings computed
beforehand, one per margin. :func:`embedding_view` reduces one of them to the numbers a frame
shows (a 2-D PCA of a few people, the squared distances of same-person and different-person
pairs, the AUC); :func:`draw_embedding_view` draws one view; :func:`margin_explorer` puts the
views behind a slider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
from matplotlib.figure import Figure

from ... import _checks as V
from ..widgets import Explorer, explorer

__all__ = ["EmbeddingView", "embedding_view", "draw_embedding_view", "margin_explorer"]


@dataclass(frozen=True)
class EmbeddingView:
    """What one frame shows: ``points`` (M, 2), the PCA of the embeddings of the people
    drawn, with their ``identities`` (M,); ``d_same`` and ``d_diff``, the squared distances
    of every same-person and different-person pair of the whole set; and ``auc``, the
    verification AUC of those pairs."""

    points: np.ndarray
    identities: np.ndarray
    d_same: np.ndarray
    d_diff: np.ndarray
    auc: float


def embedding_view(embeddings, identities, people: int = 10) -> EmbeddingView:
    """Reduce (N, D) ``embeddings`` of images with (N,) ``identities`` to an
    :class:`EmbeddingView`: the first ``people`` identities (in sorted order) projected on
    their two principal directions, and the squared distances and AUC over all pairs.
    Section 4.4."""
    from sklearn.decomposition import PCA

    from ...vision.embeddings import all_pairs, check_embeddings, check_identities
    from ...vision.verification import pair_scores, roc_auc

    e = check_embeddings("embedding_view", embeddings)
    y = check_identities("embedding_view", identities, len(e))
    people = V.check_int("embedding_view", "people", people, minimum=1)
    shown = np.isin(y, np.unique(y)[:people])
    if shown.sum() < 2:
        raise ValueError("embedding_view: the people drawn need at least two images in all")
    points = PCA(2, random_state=0).fit_transform(e[shown].astype(np.float64))
    i, j, same = all_pairs(y)
    if same.all() or not same.any():
        raise ValueError("embedding_view: the images need both same-person and "
                         "different-person pairs")
    d = -pair_scores(e, i, j)
    return EmbeddingView(points, y[shown], d[same], d[~same], roc_auc(same, -d))


def draw_embedding_view(view: EmbeddingView, margin: float | None = None, title: str = "",
                        figsize: tuple[float, float] = (8.4, 3.3)) -> Figure:
    """One frame: the PCA of the embedding coloured by identity, and the histograms of the
    squared distances of same-person and different-person pairs, with ``margin`` drawn as
    the gap the triplet loss asks for above the median same-person distance. Section 4.4."""
    if not isinstance(view, EmbeddingView):
        raise TypeError(f"draw_embedding_view: view must be an EmbeddingView, got "
                        f"{type(view).__name__}")
    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.02, 0.05, 0.36, 0.8))
    codes = np.unique(view.identities, return_inverse=True)[1]
    ax.scatter(view.points[:, 0], view.points[:, 1], c=codes % 10, cmap="tab10", s=22,
               vmin=0, vmax=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{len(np.unique(codes))} unseen people, PCA", fontsize=9)
    hx = fig.add_axes((0.47, 0.17, 0.5, 0.68))
    bins = np.linspace(0, 4, 61)
    hx.hist(view.d_diff, bins, density=True, alpha=0.6, label="different people")
    hx.hist(view.d_same, bins, density=True, alpha=0.6, label="same person")
    if margin is not None:
        m = float(np.median(view.d_same))
        hx.axvspan(m, min(m + margin, 4), color="#6b7280", alpha=0.25,
                   label="median same + margin")
    hx.set_xlim(0, 4)
    hx.set_yticks([])
    hx.set_xlabel("squared distance d", fontsize=8)
    hx.tick_params(labelsize=7)
    hx.legend(fontsize=7, loc="upper right")
    hx.set_title(f"all pairs, AUC {view.auc:.3f}", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=9.5, y=0.99)
    return fig


def margin_explorer(views: Mapping[float, EmbeddingView], *, title: str = "",
                    initial: float | None = None) -> Explorer:
    """A slider over the margins of ``views`` (margin -> :class:`EmbeddingView`), each frame
    :func:`draw_embedding_view`. Section 4.4."""
    if not isinstance(views, Mapping) or not views:
        raise ValueError("margin_explorer: views must be a non-empty mapping margin -> "
                         "EmbeddingView")
    margins = sorted(views)

    def render(margin):
        return draw_embedding_view(views[margin], margin,
                                   title=f"trained with margin alpha = {margin:g}")

    return explorer(render, margin=margins, title=title,
                    initial={"margin": margins[0] if initial is None else initial},
                    labels={"margin": "margin alpha"})
