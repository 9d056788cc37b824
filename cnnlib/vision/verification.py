"""Measuring face verification (1:1) and identification (1:K), in NumPy (Part 4).

*Verification* answers "is this the person they claim to be?": a score for a pair of images
(a similarity, or a negative distance) is compared with a threshold. Every threshold trades
false accepts (two people taken for one) against false rejects (one person taken for two):

- the false accept rate :math:`FAR(\\tau)`, the fraction of different-identity pairs with
  score :math:`\\ge \\tau`, and the true accept rate :math:`TAR(\\tau)`, the fraction of
  same-identity pairs with score :math:`\\ge \\tau`;
- the ROC curve, :math:`TAR` against :math:`FAR` over all thresholds (:func:`roc_curve`), and
  the area under it (:func:`roc_auc`), the probability that a random same pair scores above a
  random different pair;
- :func:`tar_at_far`, the operating point a deployment quotes ("TAR 0.95 at FAR 0.001").

*Identification* answers "who is this?" against a gallery of enrolled people:
:func:`identify` returns the nearest enrolled identity (or "unknown" beyond a threshold), and
:func:`one_shot_accuracy` measures N-way one-shot identification: one enrolled image for each of
N people, one query image of one of them.

Scores follow scikit-learn's convention, higher means "same"; for distances pass their
negatives. Inputs are checked: a wrong shape, a pair that names an unknown identity, a gallery
identity without images or a metric with only one class present is an error that names the
argument, never a silent wrong number.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np

from .. import _checks as V
from .embeddings import _as_numpy, check_embeddings, check_identities

__all__ = ["roc_curve", "roc_auc", "tar_at_far", "threshold_errors", "pair_scores", "Gallery",
           "enroll", "identify", "one_shot_accuracy", "one_shot_trials", "recognition_rates"]

METRICS = ("euclidean", "sqeuclidean", "cosine")


def _labels_scores(op, same, scores):
    y = np.asarray(_as_numpy(op, "same", same) if hasattr(same, "detach") else same)
    s = np.asarray(_as_numpy(op, "scores", scores) if hasattr(scores, "detach") else scores)
    if y.ndim != 1 or s.ndim != 1:
        raise ValueError(f"{op}: same and scores must be 1-D (one entry per pair), got shapes "
                         f"{y.shape} and {s.shape}")
    if len(y) != len(s):
        raise ValueError(f"{op}: same has {len(y)} pairs but scores has {len(s)}")
    if y.dtype != bool:
        if not (np.issubdtype(y.dtype, np.integer) and np.isin(y, (0, 1)).all()):
            raise ValueError(f"{op}: same must be booleans or 0/1 (1: the same identity)")
        y = y.astype(bool)
    if not np.issubdtype(s.dtype, np.number) or not np.isfinite(s).all():
        raise ValueError(f"{op}: scores must be finite numbers")
    if y.all() or not y.any():
        raise ValueError(f"{op}: the pairs must include both same-identity and "
                         f"different-identity pairs; got {int(y.sum())} same and "
                         f"{int((~y).sum())} different")
    return y, s.astype(np.float64)


def roc_curve(same, scores):
    """The ROC curve of a verifier: ``(far, tar, thresholds)``, one point per threshold.

    ``same`` (M,) says which pairs share an identity, ``scores`` (M,) how alike the verifier
    finds them (higher: more alike). For each distinct score :math:`\\tau`, from the highest
    down, a pair is accepted when its score is :math:`\\ge \\tau`: ``far`` is the fraction of
    different pairs accepted, ``tar`` the fraction of same pairs accepted. The first point is
    ``(0, 0)`` at threshold ``+inf`` (accept nothing). The same numbers as scikit-learn's
    ``roc_curve(same, scores, drop_intermediate=False)`` (false positive rate = FAR, true
    positive rate = TAR). Section 4.3.
    """
    y, s = _labels_scores("roc_curve", same, scores)
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s_sorted) - 1]  # end of each score
    tp = np.cumsum(y_sorted)[last]
    fp = (last + 1) - tp
    far = np.r_[0.0, fp / (~y).sum()]
    tar = np.r_[0.0, tp / y.sum()]
    return far, tar, np.r_[np.inf, s_sorted[last]]


def roc_auc(same, scores) -> float:
    """Area under the ROC curve (trapezoids, ties counted half), as scikit-learn's
    ``roc_auc_score``: the chance that a random same-identity pair scores higher than a random
    different-identity pair. 1 is perfect, 0.5 is guessing. Section 4.3."""
    far, tar, _ = roc_curve(same, scores)
    return float(np.sum(np.diff(far) * (tar[1:] + tar[:-1]) / 2))


def tar_at_far(same, scores, far):
    """The true accept rate at a false accept rate of at most ``far``, and its threshold.

    The threshold is the lowest score that still accepts at most a fraction ``far`` of the
    different-identity pairs; accepting pairs with score >= it gives the returned true
    accept rate. ``far`` may be a number (returns ``(tar, threshold)``) or a sequence
    (returns two arrays). With D different pairs, a FAR below 1/D can only be met by
    accepting no different pair at all, so measure FAR 1e-3 on thousands of pairs.
    Section 4.3.
    """
    fars, tars, thresholds = roc_curve(same, scores)
    single = np.ndim(far) == 0
    targets = np.atleast_1d(np.asarray(far, np.float64))
    if targets.ndim != 1 or (targets < 0).any() or (targets > 1).any() or \
            not np.isfinite(targets).all():
        raise ValueError(f"tar_at_far: far must lie in [0, 1], got {far!r}")
    idx = np.searchsorted(fars, targets, side="right") - 1        # last point with FAR <= far
    tar, thr = tars[idx], thresholds[idx]
    return (float(tar[0]), float(thr[0])) if single else (tar, thr)


class Errors(NamedTuple):
    """Counts and rates of one verification threshold."""

    false_accepts: int
    false_rejects: int
    true_accepts: int
    true_rejects: int
    far: float
    frr: float


def threshold_errors(same, scores, threshold: float) -> Errors:
    """False accepts and false rejects when pairs with ``scores >= threshold`` are accepted.

    Returns an :class:`Errors` with the four counts, the false accept rate (among different
    pairs) and the false reject rate (among same pairs). Section 4.3's threshold explorer.
    """
    y, s = _labels_scores("threshold_errors", same, scores)
    t = V.check_number("threshold_errors", "threshold", threshold)
    accept = s >= t
    fa, fr = int((accept & ~y).sum()), int((~accept & y).sum())
    ta, tr = int((accept & y).sum()), int((~accept & ~y).sum())
    return Errors(fa, fr, ta, tr, fa / (fa + tr), fr / (fr + ta))


def _distances(a, b, metric):
    if metric == "cosine":
        an = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)
        bn = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), 1e-12)
        return 1.0 - an @ bn.T
    d = np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T, 0.0)
    return d if metric == "sqeuclidean" else np.sqrt(d)


def pair_scores(embeddings, i, j, metric: str = "sqeuclidean") -> np.ndarray:
    """Verification scores of pairs ``(i[k], j[k])`` of rows of (N, D) ``embeddings``.

    The score is the negative distance (``'euclidean'``, ``'sqeuclidean'``, the course's
    :math:`\\lVert f(x_i) - f(x_j) \\rVert^2`) or the cosine similarity (``'cosine'``), so
    higher means more alike, as :func:`roc_curve` expects. Section 4.3.
    """
    e = check_embeddings("pair_scores", embeddings).astype(np.float64)
    V.check_choice("pair_scores", "metric", metric, METRICS)
    idx = []
    for name, a in (("i", i), ("j", j)):
        a = np.asarray(a)
        if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
            raise TypeError(f"pair_scores: {name} must be a 1-D integer array of row indices")
        if a.size and (a.min() < 0 or a.max() >= len(e)):
            raise ValueError(f"pair_scores: {name} refers to row {int(a.max())} but there are "
                             f"{len(e)} embeddings")
        idx.append(a)
    if len(idx[0]) != len(idx[1]):
        raise ValueError(f"pair_scores: i has {len(idx[0])} entries but j has {len(idx[1])}")
    a, b = e[idx[0]], e[idx[1]]
    if metric == "cosine":
        na = np.maximum(np.linalg.norm(a, axis=1), 1e-12)
        nb = np.maximum(np.linalg.norm(b, axis=1), 1e-12)
        return (a * b).sum(1) / (na * nb)
    d = ((a - b) ** 2).sum(1)
    return -(d if metric == "sqeuclidean" else np.sqrt(d))


class Gallery(NamedTuple):
    """Enrolled people: ``embeddings`` (K, D), one template per person, and their
    ``identities`` (K,), integers or names."""

    embeddings: np.ndarray
    identities: np.ndarray


def enroll(embeddings, identities=None, combine: str = "mean") -> Gallery:
    """A :class:`Gallery` with one template per identity.

    Give either (N, D) ``embeddings`` with their (N,) ``identities`` (images of one person are
    combined: ``'mean'`` of their embeddings, or the ``'first'``), or a mapping
    ``{identity: (n_i, D) array}``; an identity with no image is an error, not a person
    who silently never matches. Section 4.2.
    """
    V.check_choice("enroll", "combine", combine, ("mean", "first"))
    if isinstance(embeddings, Mapping):
        if identities is not None:
            raise ValueError("enroll: give identities only with an array of embeddings, not "
                             "with a mapping")
        names, rows, dim = [], [], None
        for name, value in embeddings.items():
            e = np.asarray(_as_numpy("enroll", f"gallery[{name!r}]", value)
                           if hasattr(value, "detach") else value)
            if e.ndim == 1:
                e = e[None]
            if e.ndim != 2 or len(e) == 0:
                raise ValueError(f"enroll: identity {name!r} has no embedding (shape "
                                 f"{e.shape}); every enrolled person needs at least one image")
            e = check_embeddings("enroll", e, name=f"gallery[{name!r}]")
            if dim is not None and e.shape[1] != dim:
                raise ValueError(f"enroll: identity {name!r} has {e.shape[1]}-d embeddings, "
                                 f"the others {dim}-d")
            dim = e.shape[1]
            names.append(name)
            rows.append(e.mean(0) if combine == "mean" else e[0])
        if not rows:
            raise ValueError("enroll: the gallery is empty")
        return Gallery(np.stack(rows), np.asarray(names))
    e = check_embeddings("enroll", embeddings)
    if identities is None:
        raise ValueError("enroll: give the identities of the embeddings")
    y = check_identities("enroll", identities, len(e))
    uniq, first, inverse = np.unique(y, return_index=True, return_inverse=True)
    if combine == "first":
        return Gallery(e[first], uniq)
    sums = np.zeros((len(uniq), e.shape[1]))
    np.add.at(sums, inverse, e)
    return Gallery((sums / np.bincount(inverse)[:, None]).astype(e.dtype), uniq)


def identify(queries, gallery: Gallery, threshold: float | None = None,
             metric: str = "sqeuclidean", unknown=-1):
    """Who is each query? ``(identities, distances)`` of the nearest gallery template.

    ``queries`` (M, D) embeddings; ``gallery`` from :func:`enroll`. With ``threshold``, a
    query whose nearest template is farther than it is answered ``unknown`` (a person not
    enrolled). Section 4.2.
    """
    if not isinstance(gallery, Gallery):
        raise TypeError(f"identify: gallery must be a Gallery (from enroll), got "
                        f"{type(gallery).__name__}")
    q = check_embeddings("identify", queries, name="queries").astype(np.float64)
    g = check_embeddings("identify", gallery.embeddings, name="gallery.embeddings")
    if q.shape[1] != g.shape[1]:
        raise ValueError(f"identify: queries are {q.shape[1]}-d but the gallery holds "
                         f"{g.shape[1]}-d embeddings")
    V.check_choice("identify", "metric", metric, METRICS)
    d = _distances(q, g.astype(np.float64), metric)
    nearest = d.argmin(1)
    best = d[np.arange(len(q)), nearest]
    ids = np.asarray(gallery.identities)[nearest]
    if threshold is not None:
        t = V.check_number("identify", "threshold", threshold)
        ids = np.where(best <= t, ids, np.asarray(unknown, dtype=ids.dtype)
                       if ids.dtype.kind in "iu" else unknown)
    return ids, best


def one_shot_trials(identities, n_way: int, trials: int = 2000, seed: int = 0):
    """Random N-way one-shot tasks over a labelled set of images.

    Each trial draws ``n_way`` identities among those with at least two images, one enrolled
    image of each, and one query: another image of one of the ``n_way``. Returns
    ``(gallery, query, answer)``: int64 (trials, n_way) image indices, (trials,) query image
    indices and (trials,) the column of the right gallery image. Section 4.2.
    """
    y = check_identities("one_shot_trials", identities)
    n_way = V.check_int("one_shot_trials", "n_way", n_way, minimum=2)
    trials = V.check_int("one_shot_trials", "trials", trials, minimum=1)
    rng = np.random.default_rng(V.check_int("one_shot_trials", "seed", seed, minimum=0))
    groups = {}
    for idx, k in enumerate(y.tolist()):
        groups.setdefault(k, []).append(idx)
    usable = [np.asarray(g) for g in groups.values() if len(g) >= 2]
    if len(usable) < n_way:
        raise ValueError(f"one_shot_trials: {n_way}-way trials need {n_way} identities with two "
                         f"or more images; there are {len(usable)}")
    gallery = np.empty((trials, n_way), np.int64)
    query = np.empty(trials, np.int64)
    answer = rng.integers(n_way, size=trials)
    for t in range(trials):
        people = rng.choice(len(usable), n_way, replace=False)
        for c, person in enumerate(people):
            imgs = usable[person]
            if c == answer[t]:
                two = rng.choice(len(imgs), 2, replace=False)
                gallery[t, c], query[t] = imgs[two[0]], imgs[two[1]]
            else:
                gallery[t, c] = imgs[rng.integers(len(imgs))]
    return gallery, query, answer


def one_shot_accuracy(embeddings, identities, n_way: int, trials: int = 2000, seed: int = 0,
                      metric: str = "sqeuclidean") -> float:
    """N-way one-shot identification accuracy of (N, D) ``embeddings``.

    Over :func:`one_shot_trials`, the fraction of queries whose nearest enrolled image (by
    ``metric``) is the one of their own identity. Chance is ``1 / n_way``. Section 4.2.
    """
    e = check_embeddings("one_shot_accuracy", embeddings).astype(np.float64)
    y = check_identities("one_shot_accuracy", identities, len(e))
    V.check_choice("one_shot_accuracy", "metric", metric, METRICS)
    gallery, query, answer = one_shot_trials(y, n_way, trials, seed)
    d = _distances(e, e, metric)
    guess = d[query[:, None], gallery].argmin(1)
    return float(np.mean(guess == answer))


def recognition_rates(distances, threshold: float, gallery_sizes, trials: int = 2000,
                      seed: int = 0) -> dict:
    """How a verifier with a fixed threshold fares as a recogniser, gallery size by size.

    ``distances`` (M, M): row ``q`` holds the distances from a query image of person ``q``
    to the one enrolled image of each of the M people (the diagonal is the genuine pair).
    For each K in ``gallery_sizes``, ``trials`` random galleries of K people are drawn, and
    the function returns a dict of arrays (one value per K):

    - ``'strict'``: the query's person is enrolled, and K independent verifications all
      come out right (its own template accepted, every other rejected), which happens with
      probability :math:`(1 - FRR)(1 - FAR)^{K-1}` if errors are independent;
    - ``'nearest'``: the query's person is enrolled, and the nearest template is theirs and
      within the threshold (the usual rule);
    - ``'stranger_rejected'``: the query's person is *not* enrolled, and no template is
      within the threshold, probability :math:`(1 - FAR)^K`.

    A pair is accepted when its distance is ``<= threshold``. Section 4.1.
    """
    d = np.asarray(_as_numpy("recognition_rates", "distances", distances)
                   if hasattr(distances, "detach") else distances, np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ValueError(f"recognition_rates: distances must be a square (M, M) matrix (query "
                         f"of person q against the enrolled image of person k), got shape "
                         f"{d.shape}")
    if not np.isfinite(d).all():
        raise ValueError("recognition_rates: distances must be finite")
    t = V.check_number("recognition_rates", "threshold", threshold)
    trials = V.check_int("recognition_rates", "trials", trials, minimum=1)
    rng = np.random.default_rng(V.check_int("recognition_rates", "seed", seed, minimum=0))
    m = len(d)
    sizes = [V.check_int("recognition_rates", "gallery_sizes", k, minimum=1, maximum=m - 1)
             for k in np.atleast_1d(gallery_sizes).tolist()]
    out = {"strict": [], "nearest": [], "stranger_rejected": []}
    for k in sizes:
        q = rng.integers(m, size=trials)
        # K - 1 other people for the enrolled case, K others for the stranger case
        others = np.argsort(rng.random((trials, m)), axis=1)[:, :k + 1]
        others = np.where(others == q[:, None], others[:, -1:], others)[:, :k]
        imp = d[q[:, None], others]                     # (trials, K) impostor distances
        gen = d[q, q]
        accepted_imp = imp[:, :k - 1] <= t
        out["strict"].append(np.mean((gen <= t) & ~accepted_imp.any(1)))
        nearest_imp = imp[:, :k - 1].min(1) if k > 1 else np.full(trials, np.inf)
        out["nearest"].append(np.mean((gen <= t) & (gen < nearest_imp)))
        out["stranger_rejected"].append(np.mean(~(imp <= t).any(1)))
    return {key: np.asarray(v) for key, v in out.items()}
