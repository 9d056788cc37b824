"""Choosing what an embedding learns from: triplets, pairs and the batches that hold them.

A triplet loss (section 4.4) needs triplets (anchor A, positive P of the same identity,
negative N of another), and a contrastive or binary verification loss (sections 4.3 and 4.5)
needs pairs. Both are chosen *within a minibatch*, from the distances the network gives right
now, so every batch must hold several images of each of several identities:
:func:`pk_sampler` builds such batches (P identities x K images) for
:func:`cnnlib.train.fit`'s ``batch_sampler``.

Which triplets teach? With :math:`d_{ap} = d(A, P)`, :math:`d_{an} = d(A, N)` and the margin
:math:`\\alpha`, a triplet is *easy* when :math:`d_{an} \\ge d_{ap} + \\alpha` (its loss and
gradient are zero), *semi-hard* when :math:`d_{ap} < d_{an} < d_{ap} + \\alpha`, and *hard*
when :math:`d_{an} \\le d_{ap}` (:func:`triplet_kinds`). Once a network has learned a little,
almost every random triplet is easy, so :func:`mine_triplets` offers ``'random'`` (for the
comparison), ``'batch_hard'`` (Hermans et al.), ``'semi_hard'`` (FaceNet) and ``'all'``.

Everything here takes NumPy arrays and returns NumPy index arrays;
:class:`cnnlib.train.TripletEmbedding` calls :func:`mine_triplets` on a detached copy of the
batch's distances and gathers the chosen distances from the differentiable ones.
"""

from __future__ import annotations

import numpy as np

from .. import _checks as V

__all__ = ["MINING", "embed", "distance_matrix", "mine_triplets", "triplet_kinds", "all_pairs",
           "sample_pairs", "pk_sampler", "check_embeddings", "check_identities"]

#: The mining strategies of :func:`mine_triplets`.
MINING = ("random", "batch_hard", "semi_hard", "all")


def _as_numpy(op, name, x):
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{op}: {name} must be a NumPy array (or a torch tensor), got "
                        f"{type(x).__name__}")
    return x


def check_embeddings(op: str, embeddings, name: str = "embeddings") -> np.ndarray:
    """``embeddings`` as a floating (N, D) NumPy array, or a clear error naming ``op``."""
    e = _as_numpy(op, name, embeddings)
    if e.ndim != 2:
        raise ValueError(f"{op}: {name} must be a 2-D array (N, D), one row per image; got "
                         f"shape {e.shape}")
    if not np.issubdtype(e.dtype, np.floating):
        raise TypeError(f"{op}: {name} must be floating point, got {e.dtype}")
    if not np.isfinite(e).all():
        raise ValueError(f"{op}: {name} holds NaN or infinite values")
    return e


def check_identities(op: str, identities, n: int | None = None,
                     name: str = "identities") -> np.ndarray:
    """``identities`` as a 1-D NumPy array (of length ``n`` when given), or a clear error.

    Identities may be integers or strings (names); floats are refused, since a float
    identity is almost always a mistake (a score passed in place of a label).
    """
    y = _as_numpy(op, name, identities) if not isinstance(identities, (list, tuple)) \
        else np.asarray(identities)
    if y.ndim != 1:
        raise ValueError(f"{op}: {name} must be 1-D, one per image; got shape {y.shape}")
    if not (np.issubdtype(y.dtype, np.integer) or y.dtype.kind in "UO"):
        raise TypeError(f"{op}: {name} must hold integers or names, got dtype {y.dtype}")
    if n is not None and len(y) != n:
        raise ValueError(f"{op}: {name} has {len(y)} entries but there are {n} embeddings; "
                         f"give one identity per embedding")
    return y


def embed(model, images, batch_size: int = 256, device=None) -> np.ndarray:
    """The embeddings of ``images`` (N, C, H, W) by ``model``, as a float32 NumPy (N, D).

    Runs in ``eval`` mode without gradients, in minibatches of ``batch_size`` on ``device``
    (default: where the model's parameters are), and restores the model's mode. This is how
    a deployed system precomputes its gallery (section 4.5).
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"embed: model must be a torch.nn.Module, got {type(model).__name__}")
    V.check_int("embed", "batch_size", batch_size, minimum=1)
    x = images if isinstance(images, torch.Tensor) else torch.as_tensor(np.asarray(images))
    if not x.is_floating_point() or x.ndim < 2:
        raise TypeError(f"embed: images must be a floating (N, C, H, W) array, got dtype "
                        f"{x.dtype} and shape {tuple(x.shape)}")
    p = next(model.parameters(), None)
    dev = torch.device(device) if device is not None else \
        (p.device if p is not None else torch.device("cpu"))
    dtype = p.dtype if p is not None else torch.float32
    was_training = model.training
    model.eval()
    out = []
    try:
        with torch.no_grad():
            for i in range(0, len(x), batch_size):
                e = model(x[i:i + batch_size].to(dev, dtype))
                if e.ndim != 2:
                    raise ValueError(f"embed: the model must return (N, D) embeddings, got "
                                     f"shape {tuple(e.shape)}")
                out.append(e.float().cpu().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def distance_matrix(embeddings, squared: bool = True) -> np.ndarray:
    """All pairwise Euclidean distances of (N, D) embeddings, (N, N).

    ``squared=True`` (the course's :math:`\\lVert f(x_i) - f(x_j) \\rVert^2`) by default.
    Computed as :math:`\\lVert a\\rVert^2 + \\lVert b\\rVert^2 - 2 a \\cdot b`, clipped at 0,
    with an exact zero diagonal. Section 4.3.
    """
    e = check_embeddings("distance_matrix", embeddings).astype(np.float64)
    sq = (e * e).sum(1)
    d = np.maximum(sq[:, None] + sq[None, :] - 2 * e @ e.T, 0.0)
    np.fill_diagonal(d, 0.0)
    return d if V.check_bool("distance_matrix", "squared", squared) else np.sqrt(d)


def _square_distances(op, dist, labels):
    d = _as_numpy(op, "dist", dist)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ValueError(f"{op}: dist must be a square (N, N) matrix of distances, got shape "
                         f"{d.shape}")
    y = check_identities(op, labels, d.shape[0], name="labels")
    return d, y


def mine_triplets(dist, labels, mining: str = "batch_hard", rng=None):
    """Triplets ``(a, p, n)`` chosen within one batch: three int64 index arrays.

    ``dist`` is the (N, N) matrix of embedding distances of the batch and ``labels`` (N,) the
    identities. For every anchor ``a`` the positive ``p`` shares its identity (``p != a``)
    and the negative ``n`` does not.

    - ``'all'``: every valid triplet.
    - ``'random'``: every anchor-positive pair, each with one negative drawn uniformly
      (``rng``, a NumPy generator or seed).
    - ``'batch_hard'``: one triplet per anchor, its farthest positive and nearest negative
      (Hermans, Beyer and Leibe, 2017).
    - ``'semi_hard'``: every anchor-positive pair with the nearest negative that is still
      farther than the positive (FaceNet's semi-hard negative); where no negative is farther,
      the farthest negative (as TensorFlow Addons does).

    Anchors without a positive or a negative in the batch are skipped. Section 4.4.
    """
    d, y = _square_distances("mine_triplets", dist, labels)
    V.check_choice("mine_triplets", "mining", mining, MINING)
    same = y[:, None] == y[None, :]
    pos = same & ~np.eye(len(y), dtype=bool)
    neg = ~same
    if mining == "batch_hard":
        a = np.flatnonzero(pos.any(1) & neg.any(1))
        p = np.where(pos[a], d[a], -np.inf).argmax(1)
        n = np.where(neg[a], d[a], np.inf).argmin(1)
        return a.astype(np.int64), p.astype(np.int64), n.astype(np.int64)
    a, p = np.nonzero(pos & neg.any(1)[:, None])
    if mining == "all":
        counts = neg[a].sum(1)
        n = np.nonzero(neg[a])[1]
        return (np.repeat(a, counts).astype(np.int64), np.repeat(p, counts).astype(np.int64),
                n.astype(np.int64))
    if mining == "random":
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        counts = neg[a].sum(1)
        pick = np.floor(rng.random(len(a)) * counts).astype(np.int64)
        order = np.cumsum(neg[a], axis=1) - 1                # rank of each negative in its row
        n = np.argmax(neg[a] & (order == pick[:, None]), axis=1)
        return a.astype(np.int64), p.astype(np.int64), n.astype(np.int64)
    d_ap = d[a, p]
    rows = d[a]
    farther = neg[a] & (rows > d_ap[:, None])
    semi = np.where(farther, rows, np.inf).argmin(1)
    easiest = np.where(neg[a], rows, -np.inf).argmax(1)
    n = np.where(farther.any(1), semi, easiest)
    return a.astype(np.int64), p.astype(np.int64), n.astype(np.int64)


def triplet_kinds(d_ap, d_an, margin: float) -> np.ndarray:
    """Name each triplet by its distances: ``'easy'``, ``'semi-hard'`` or ``'hard'``.

    Easy: :math:`d_{an} \\ge d_{ap} + \\alpha` (zero loss, no gradient); semi-hard:
    :math:`d_{ap} < d_{an} < d_{ap} + \\alpha`; hard: :math:`d_{an} \\le d_{ap}`. Returns an
    array of strings. Section 4.4.
    """
    d_ap = np.asarray(d_ap, np.float64)
    d_an = np.asarray(d_an, np.float64)
    if d_ap.shape != d_an.shape:
        raise ValueError(f"triplet_kinds: d_ap has shape {d_ap.shape} but d_an has shape "
                         f"{d_an.shape}")
    margin = V.check_number("triplet_kinds", "margin", margin, minimum=0.0)
    out = np.full(d_ap.shape, "semi-hard", dtype=object)
    out[d_an >= d_ap + margin] = "easy"
    out[d_an <= d_ap] = "hard"
    return out.astype(str)


def all_pairs(labels):
    """Every pair ``i < j`` of a set of images: ``(i, j, same)``, ``same`` bool.

    ``N (N - 1) / 2`` pairs, with ``same[k]`` true when images ``i[k]`` and ``j[k]`` share an
    identity. The verification benchmark of Part 4 scores all of them.
    """
    y = check_identities("all_pairs", labels, name="labels")
    i, j = np.triu_indices(len(y), k=1)
    return i.astype(np.int64), j.astype(np.int64), y[i] == y[j]


def sample_pairs(labels, n_pairs: int, rng=None, same_fraction: float = 0.5):
    """``n_pairs`` random pairs, ``same_fraction`` of them of one identity: ``(i, j, same)``.

    Same-identity pairs are two different images of an identity drawn uniformly over the
    identities that have two or more images; different pairs are two images of two different
    identities. ``rng`` is a NumPy generator or seed. Sections 4.3 and 4.5.
    """
    y = check_identities("sample_pairs", labels, name="labels")
    n_pairs = V.check_int("sample_pairs", "n_pairs", n_pairs, minimum=1)
    frac = V.check_number("sample_pairs", "same_fraction", same_fraction, 0.0, 1.0)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    groups = {}
    for idx, k in enumerate(y.tolist()):
        groups.setdefault(k, []).append(idx)
    multi = [np.asarray(g) for g in groups.values() if len(g) >= 2]
    n_same = int(round(n_pairs * frac))
    if n_same and not multi:
        raise ValueError("sample_pairs: no identity has two images, so no same-identity pair "
                         "exists")
    if n_pairs - n_same and len(groups) < 2:
        raise ValueError("sample_pairs: all images share one identity, so no different pair "
                         "exists")
    i = np.empty(n_pairs, np.int64)
    j = np.empty(n_pairs, np.int64)
    for t in range(n_same):
        g = multi[rng.integers(len(multi))]
        i[t], j[t] = rng.choice(g, 2, replace=False)
    for t in range(n_same, n_pairs):
        a = rng.integers(len(y))
        b = rng.integers(len(y))
        while y[b] == y[a]:
            b = rng.integers(len(y))
        i[t], j[t] = a, b
    return i, j, y[i] == y[j]


def pk_sampler(p: int, k: int, batches: int | None = None):
    """A ``batch_sampler`` for :func:`cnnlib.train.fit`: batches of P identities x K images.

    Returns ``sampler(data, generator) -> list of index tensors``. Each epoch it shuffles the
    identities that have at least two images (``data[1]``, the identities ``fit`` prepared),
    takes them ``p`` at a time, and from each identity up to ``k`` of its images at random
    (without replacement), so every batch holds positives and negatives for every anchor.
    ``batches`` is the number of batches per epoch (default: one pass over the identities).
    Section 4.4.
    """
    p = V.check_int("pk_sampler", "p", p, minimum=2)
    k = V.check_int("pk_sampler", "k", k, minimum=2)
    if batches is not None:
        batches = V.check_int("pk_sampler", "batches", batches, minimum=1)

    def sampler(data, generator):
        import torch

        ids = data[1].detach().cpu().numpy()
        order = np.argsort(ids, kind="stable")
        uniq, start, count = np.unique(ids[order], return_index=True, return_counts=True)
        usable = np.flatnonzero(count >= 2)
        if len(usable) < p:
            raise ValueError(f"pk_sampler: p={p} identities per batch, but only {len(usable)} "
                             f"identities have two or more images")
        n_batches = batches if batches is not None else len(usable) // p
        out = []
        perm = torch.randperm(len(usable), generator=generator).numpy()
        pos = 0
        for _ in range(n_batches):
            if pos + p > len(perm):
                perm = torch.randperm(len(usable), generator=generator).numpy()
                pos = 0
            chosen = usable[perm[pos:pos + p]]
            pos += p
            idx = []
            for c in chosen:
                take = min(k, count[c])
                r = torch.randperm(int(count[c]), generator=generator)[:take].numpy()
                idx.append(order[start[c] + r])
            out.append(torch.as_tensor(np.concatenate(idx), dtype=torch.long))
        return out

    return sampler
