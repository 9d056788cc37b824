"""Checkers for Part 4's practice: the triplet loss, and identification against a database.

:func:`check_triplet_loss` runs a student's triplet loss (section 4.4) on cases of growing
difficulty and names the typical mistakes: distances not squared, the max with 0 forgotten
(or taken once for the whole batch), the margin subtracted instead of added, anchor and
negative (or positive and negative) swapped, the squares summed over the batch axis instead
of the embedding axis, the mean taken instead of the sum. :func:`check_who_is_it` does the
same for section 4.2's identification: the farthest person picked instead of the nearest,
the threshold test turned round, the distance not squared.
"""

from __future__ import annotations

import numpy as np

from . import Mistake, compare

__all__ = ["triplet_cost", "check_triplet_loss", "who_is_it", "check_who_is_it"]


def triplet_cost(anchor, positive, negative, alpha=0.2):
    """The course's cost :math:`J = \\sum_i \\max(\\lVert A_i - P_i \\rVert^2 -
    \\lVert A_i - N_i \\rVert^2 + \\alpha, 0)` of (m, D) anchors, positives and negatives, a
    scalar of their dtype: the answer :func:`check_triplet_loss` expects."""
    pos = np.sum((anchor - positive) ** 2, axis=-1)
    neg = np.sum((anchor - negative) ** 2, axis=-1)
    return np.sum(np.maximum(pos - neg + alpha, 0)).astype(anchor.dtype)


def _triplet_mistakes(a, p, n, alpha):
    sq = lambda x, axis=-1: np.sum(x ** 2, axis=axis)              # noqa: E731
    norm = lambda x: np.sqrt(np.sum(x ** 2, axis=-1))             # noqa: E731
    return [
        ("the distances are not squared: the course's loss uses ||f(A) - f(P)||^2, the sum of "
         "squared differences, without the square root",
         lambda: np.sum(np.maximum(norm(a - p) - norm(a - n) + alpha, 0))),
        ("the max with 0 is missing: a triplet whose negative is already farther than the "
         "positive by the margin must contribute 0, not a negative number",
         lambda: np.sum(sq(a - p) - sq(a - n) + alpha)),
        ("the max with 0 is taken once, for the whole batch: take it for each triplet, then "
         "sum",
         lambda: np.maximum(np.sum(sq(a - p) - sq(a - n) + alpha), 0)),
        ("the margin is subtracted: the loss is ||A - P||^2 - ||A - N||^2 + alpha, so the "
         "negative must be farther by at least alpha",
         lambda: np.sum(np.maximum(sq(a - p) - sq(a - n) - alpha, 0))),
        ("anchor and negative are swapped: both distances are measured from the anchor, "
         "d(A, P) and d(A, N)",
         lambda: np.sum(np.maximum(sq(n - p) - sq(n - a) + alpha, 0))),
        ("positive and negative are swapped: the distance to the positive comes first, "
         "||A - P||^2 - ||A - N||^2",
         lambda: np.sum(np.maximum(sq(a - n) - sq(a - p) + alpha, 0))),
        ("the squares are summed over the wrong axis (axis 0, the triplets): sum over the last "
         "axis, the embedding's coordinates, to get one distance per triplet",
         lambda: np.sum(np.maximum(sq(a - p, 0) - sq(a - n, 0) + alpha, 0))),
        ("the losses are averaged: the course's cost J is the sum over the triplets",
         lambda: np.mean(np.maximum(sq(a - p) - sq(a - n) + alpha, 0))),
    ]


def _triplet_cases():
    rng = np.random.default_rng(4)
    cases = []
    # 1. one triplet, clearly violating the margin
    a = np.array([[0.0, 0.5, 0.5]], np.float32)
    p = np.array([[0.6, 0.3, 0.9]], np.float32)
    n = np.array([[0.2, 0.9, 0.3]], np.float32)
    cases.append(("one triplet", a, p, n, 0.2))
    # 2. three triplets: one easy, one semi-hard, one hard
    a = np.array([[0, 0], [0, 0], [0, 0]], np.float32)
    p = np.array([[0.3, 0], [0.5, 0], [0.8, 0]], np.float32)
    n = np.array([[0, 1.2], [0, 0.6], [0, 0.5]], np.float32)
    cases.append(("an easy, a semi-hard and a hard triplet", a, p, n, 0.3))
    # 3. a batch of unit-length embeddings, the FaceNet setting
    e = rng.normal(size=(3, 6, 8))
    e /= np.linalg.norm(e, axis=-1, keepdims=True)
    cases.append(("6 unit-length embeddings of 8 numbers", *e.astype(np.float32), 0.2))
    # 4. float64 and a larger margin
    e = rng.normal(size=(3, 5, 4))
    cases.append(("float64, alpha = 1", *e, 1.0))
    return cases


def check_triplet_loss(fn) -> int:
    """Check a student's ``fn(anchor, positive, negative, alpha)`` against the course's cost.

    ``fn`` gets (m, D) arrays and the margin and must return :math:`J`, the sum over the
    ``m`` triplets of :math:`\\max(\\lVert A - P \\rVert^2 - \\lVert A - N \\rVert^2 + \\alpha,
    0)`, as a number (a NumPy scalar or a 0-d array). Raises :class:`Mistake` naming the
    mistake; prints a line and returns the number of cases when all pass. Section 4.4.
    """
    if not callable(fn):
        raise TypeError(f"triplet_loss: expected your function, got {type(fn).__name__}")
    cases = _triplet_cases()
    for k, (label, a, p, n, alpha) in enumerate(cases, 1):
        where = f"triplet_loss, case {k} ({label})"
        try:
            got = fn(a.copy(), p.copy(), n.copy(), alpha)
        except NotImplementedError:
            raise Mistake("triplet_loss: not written yet (replace `raise NotImplementedError` "
                          "with your code)") from None
        if hasattr(got, "detach"):
            got = got.detach().cpu().numpy()
        if isinstance(got, (float, int, np.generic)):
            got = np.asarray(got)
        if isinstance(got, np.ndarray) and got.shape != ():
            raise Mistake(f"{where}: your function returned an array of shape {got.shape}; the "
                          f"cost J is one number, the sum over all {len(a)} triplets")
        want = np.asarray(triplet_cost(a, p, n, alpha))
        compare(where, got, want, _triplet_mistakes(a, p, n, alpha), rtol=1e-5, atol=1e-6,
                check_dtype=False)
    print(f"triplet_loss: all {len(cases)} cases pass")
    return len(cases)


def who_is_it(query, database: dict, threshold: float):
    """Section 4.2's identification: the enrolled name nearest to ``query`` and its squared
    distance, or ``(None, distance)`` when even the nearest is farther than ``threshold``.

    ``query`` is one (D,) embedding, ``database`` maps each name to one (D,) embedding.
    """
    names = list(database)
    d = np.array([np.sum((query - database[k]) ** 2) for k in names])
    best = int(np.argmin(d))
    return (names[best] if d[best] <= threshold else None), float(d[best])


def _who_cases():
    rng = np.random.default_rng(2)
    names = ["ada", "ben", "cyd", "dee", "eli"]
    emb = rng.normal(size=(5, 6))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    db = dict(zip(names, emb))
    near = emb[2] + 0.1 * rng.normal(size=6)              # close to cyd
    far = -emb.mean(0) * 3                                # far from everyone
    mid = emb[4] + 0.25 * rng.normal(size=6)              # eli, at a moderate distance
    return [("a query close to one person", near, db, 0.7),
            ("a stranger far from everyone", far, db, 0.7),
            ("a moderate distance, a lenient threshold", mid, db, 1.5),
            ("the same query, a strict threshold", mid, db, 0.05)]


def check_who_is_it(fn) -> int:
    """Check a student's ``fn(query, database, threshold) -> (name or None, distance)``.

    Names the usual mistakes: the farthest person picked (argmax instead of argmin), the
    threshold test turned round, a name returned beyond the threshold, the distance not
    squared. Section 4.2.
    """
    if not callable(fn):
        raise TypeError(f"who_is_it: expected your function, got {type(fn).__name__}")
    cases = _who_cases()
    for k, (label, q, db, thr) in enumerate(cases, 1):
        where = f"who_is_it, case {k} ({label})"
        try:
            got = fn(q.copy(), dict(db), thr)
        except NotImplementedError:
            raise Mistake("who_is_it: not written yet (replace `raise NotImplementedError` with "
                          "your code)") from None
        if not isinstance(got, tuple) or len(got) != 2:
            raise Mistake(f"{where}: return a pair (name or None, distance), got {got!r}")
        name, dist = got
        want_name, want_dist = who_is_it(q, db, thr)
        names = list(db)
        d = np.array([np.sum((q - db[n]) ** 2) for n in names])
        if not np.isclose(float(dist), want_dist, rtol=1e-6):
            if np.isclose(float(dist), np.sqrt(want_dist), rtol=1e-6):
                raise Mistake(f"{where}: the distance is not squared; use ||f(x) - f(db)||^2, "
                              f"the sum of squared differences")
            if np.isclose(float(dist), d.max(), rtol=1e-6):
                raise Mistake(f"{where}: you picked the farthest person (argmax); the most "
                              f"similar face has the smallest distance (argmin)")
            raise Mistake(f"{where}: the distance is {float(dist):.4g}, expected "
                          f"{want_dist:.4g}, the smallest squared distance to the database")
        if name != want_name:
            if want_name is None:
                raise Mistake(f"{where}: you answered {name!r}, but the nearest person is "
                              f"{want_dist:.3g} away, beyond the threshold {thr}: return None "
                              f"(not in the database)")
            if name is None:
                raise Mistake(f"{where}: you answered None, but {want_name!r} is "
                              f"{want_dist:.3g} away, within the threshold {thr}: accept when "
                              f"the distance is <= the threshold, not above it")
            raise Mistake(f"{where}: you answered {name!r}, expected {want_name!r}, the "
                          f"nearest person")
    print(f"who_is_it: all {len(cases)} cases pass")
    return len(cases)
