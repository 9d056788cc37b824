"""Tasks: what :func:`cnnlib.train.fit` optimises and how it measures progress.

One training loop serves every part of the book because the *task* owns what differs between
them: how a minibatch becomes a loss, and which numbers describe how well the model does. A
task is any object with these methods (subclass :class:`Task` to get sensible defaults):

``prepare(data, device, dtype) -> tuple of tensors``
    Check one data set (the ``train_data`` or ``val_data`` given to ``fit``) and return its
    arrays as tensors on ``device``, all with the same first (example) axis. Floating arrays
    take the model's ``dtype``. ``fit`` slices every tensor with the same minibatch indices.
``loss(model, batch) -> (loss, stats)``
    The scalar loss tensor to minimise on one minibatch (a tuple of tensors from ``prepare``,
    or ``None`` for a task without data), and a dict of numbers describing that minibatch
    (``{"acc": ...}``). ``fit`` averages the loss and every stat over the epoch, weighted by
    the minibatch size, and records them as ``train_<name>``.
``evaluate(model, data, batch_size) -> dict``
    Metrics on a whole held-out data set, computed without gradients in ``eval`` mode. The
    default averages ``loss`` and its stats over minibatches; a task whose metric does not
    average (AUC, mAP) overrides it.
``after_step(model)``
    Called after every optimizer step (a projection, e.g. clamping pixels to [0, 1]).

Four tasks cover the book: :class:`Classification` (Parts 1-2, integer labels),
:class:`Regression` (box coordinates and landmarks, Part 3), :class:`TripletEmbedding`
(identities, Part 4) and :class:`ImageOptimisation` (no data at all: the parameters are an
image, Part 5). Later parts add their own (a detector's loss, say) by subclassing
:class:`Task`; Part 4 adds two pair tasks, :class:`ContrastiveEmbedding` (a siamese network
trained on pairs) and :class:`PairVerification` (verification as binary classification).
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
import torch
import torch.nn.functional as F

from .. import _checks as V

__all__ = ["Task", "Classification", "Regression", "TripletEmbedding", "ImageOptimisation",
           "as_tensor", "ContrastiveEmbedding", "PairVerification"]


def as_tensor(op: str, name: str, value, device, dtype=None) -> torch.Tensor:
    """An array or tensor as a tensor on ``device``; floating values take ``dtype``."""
    if isinstance(value, torch.Tensor):
        t = value
    elif isinstance(value, np.ndarray):
        t = torch.from_numpy(np.ascontiguousarray(value))
    else:
        raise TypeError(f"{op}: {name} must be a NumPy array or a torch tensor, "
                        f"got {type(value).__name__}")
    if dtype is not None and t.is_floating_point():
        t = t.to(dtype)
    return t.to(device)


class Task:
    """The base task: subclasses override :meth:`loss` (and usually :meth:`prepare`).

    ``fields`` names the arrays one data set holds, in order, for error messages; the base
    :meth:`prepare` accepts a tuple or list of that many arrays with a common first axis.
    """

    name = "task"
    fields: tuple[str, ...] = ("x", "y")

    def prepare(self, data, device, dtype) -> tuple[torch.Tensor, ...]:
        """Check ``data`` (a tuple of ``len(self.fields)`` arrays) and move it to ``device``."""
        op = f"fit ({self.name})"
        want = len(self.fields)
        if not isinstance(data, (tuple, list)) or len(data) != want:
            raise TypeError(f"{op}: data must be a tuple ({', '.join(self.fields)}) of arrays or "
                            f"tensors, got {type(data).__name__}"
                            + (f" of length {len(data)}" if isinstance(data, (tuple, list))
                               else ""))
        tensors = tuple(as_tensor(op, f, a, device, dtype) for f, a in zip(self.fields, data))
        n = len(tensors[0]) if tensors[0].ndim else 0
        if n == 0:
            raise ValueError(f"{op}: data is empty (no examples)")
        for f, t in zip(self.fields, tensors):
            if t.ndim == 0 or len(t) != n:
                raise ValueError(f"{op}: {self.fields[0]} has {n} examples but {f} has shape "
                                 f"{tuple(t.shape)}; every array needs {n} along its first axis")
        return tensors

    def loss(self, model, batch):
        raise NotImplementedError(f"{type(self).__name__} must define loss(model, batch)")

    def evaluate(self, model, data, batch_size: int) -> dict[str, float]:
        """Average ``loss`` and its stats over ``data`` in minibatches, without gradients."""
        n = len(data[0])
        totals: dict[str, float] = {}
        with torch.no_grad():
            for i in range(0, n, batch_size):
                batch = tuple(t[i:i + batch_size] for t in data)
                loss, stats = self.loss(model, batch)
                m = len(batch[0])
                for key, value in {"loss": loss, **stats}.items():
                    totals[key] = totals.get(key, 0.0) + float(value) * m
        return {key: value / n for key, value in totals.items()}

    def after_step(self, model) -> None:
        """Nothing by default; see the module docstring."""


def _check_loss_fn(op, loss_fn):
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"{op}: loss_fn must be callable, got {type(loss_fn).__name__}")


class Classification(Task):
    """Class scores against integer labels: data ``(x, y)``, ``y`` int of shape (N,).

    Loss: ``loss_fn(logits, y)``, softmax cross-entropy by default. Stats: ``acc``, the
    fraction of examples whose largest logit is the true class. Sections 1.8 and Part 2.
    """

    name = "classification"

    def __init__(self, loss_fn: Callable | None = None):
        _check_loss_fn("Classification", loss_fn)
        self.loss_fn = F.cross_entropy if loss_fn is None else loss_fn

    def prepare(self, data, device, dtype):
        x, y = super().prepare(data, device, dtype)
        if not x.is_floating_point():
            raise TypeError(f"fit (classification): images must be floating point, got {x.dtype}")
        if y.is_floating_point() or y.dtype == torch.bool or y.ndim != 1:
            raise TypeError(f"fit (classification): labels must be a 1-D array of integer class "
                            f"indices, got dtype {V.dtype_name(y)} and shape {tuple(y.shape)}")
        return x, y.long()

    def loss(self, model, batch):
        x, y = batch
        logits = model(x)
        loss = self.loss_fn(logits, y)
        return loss, {"acc": (logits.detach().argmax(1) == y).float().mean()}


class Regression(Task):
    """Real-valued targets: data ``(x, y)``, ``y`` float of any shape (N, ...).

    Loss: ``loss_fn(model(x), y)``, mean squared error by default. ``metrics`` maps a name to
    ``fn(prediction, target) -> scalar tensor`` averaged over each minibatch, e.g. a mean IoU
    of predicted boxes (Part 3's localizer) or a normalised landmark error.
    """

    name = "regression"

    def __init__(self, loss_fn: Callable | None = None,
                 metrics: Mapping[str, Callable] | None = None):
        _check_loss_fn("Regression", loss_fn)
        self.loss_fn = F.mse_loss if loss_fn is None else loss_fn
        self.metrics = dict(metrics or {})
        for key, fn in self.metrics.items():
            if not callable(fn):
                raise TypeError(f"Regression: metric {key!r} must be callable, got "
                                f"{type(fn).__name__}")

    def prepare(self, data, device, dtype):
        x, y = super().prepare(data, device, dtype)
        if not (x.is_floating_point() and y.is_floating_point()):
            raise TypeError(f"fit (regression): inputs and targets must be floating point, got "
                            f"{x.dtype} and {y.dtype}")
        return x, y

    def loss(self, model, batch):
        x, y = batch
        pred = model(x)
        if pred.shape != y.shape:
            raise ValueError(f"fit (regression): the model predicts shape {tuple(pred.shape)} "
                             f"but the targets have shape {tuple(y.shape)}")
        stats = {}
        with torch.no_grad():
            for key, fn in self.metrics.items():
                stats[key] = fn(pred.detach(), y)
        return self.loss_fn(pred, y), stats


def _pair_distances(e: torch.Tensor, squared: bool) -> torch.Tensor:
    """(N, N) Euclidean distances of embeddings (squared by default), differentiable."""
    diff = e[:, None, :] - e[None, :, :]
    dist = (diff * diff).sum(-1)
    return dist if squared else (dist + 1e-12).sqrt()


def _verification_auc(e: torch.Tensor, ids: torch.Tensor, max_pairs: int = 200_000) -> float:
    """AUC of -squared distance over the pairs of a labelled set (a fixed random subset when
    there are more than ``max_pairs``)."""
    from ..vision.embeddings import all_pairs
    from ..vision.verification import pair_scores, roc_auc

    emb = e.detach().cpu().double().numpy()
    y = ids.detach().cpu().numpy()
    i, j, same = all_pairs(y)
    if len(i) > max_pairs:
        keep = np.random.default_rng(0).choice(len(i), max_pairs, replace=False)
        i, j, same = i[keep], j[keep], same[keep]
    if same.all() or not same.any():
        return float("nan")
    return roc_auc(same, pair_scores(emb, i, j))


class TripletEmbedding(Task):
    """Learn an embedding where one identity's images lie close: data ``(x, identity)``.

    The model maps images to embeddings (N, D), L2-normalised here when ``normalize``. In
    each minibatch, triplets (anchor, positive of the same identity, negative of another) are
    chosen from the batch itself by :func:`cnnlib.vision.embeddings.mine_triplets`
    (``mining``: ``'batch_hard'``, ``'semi_hard'``, ``'all'`` or ``'random'``), and the loss
    is the mean of

    .. math:: \\max(d(A, P) - d(A, N) + \\alpha, 0)

    with :math:`d` the squared Euclidean distance (the course's form; ``squared=False`` uses
    the distance itself). ``average='active'`` divides by the number of triplets with a
    positive loss instead of all of them (Hermans et al.'s "batch all"), so the gradient
    does not fade as more triplets become easy. Stats: ``active``, the fraction of mined
    triplets that still violate the margin. Batches must hold several images per identity:
    pass ``batch_sampler=cnnlib.vision.embeddings.pk_sampler(P, K)`` to ``fit``.
    :meth:`evaluate` adds ``auc``, the verification AUC over the pairs of the validation set.
    Part 4, section 4.4.
    """

    name = "triplet embedding"

    def __init__(self, margin: float = 0.2, mining: str = "batch_hard", squared: bool = True,
                 normalize: bool = True, average: str = "all", seed: int = 0):
        from ..vision.embeddings import MINING

        self.margin = V.check_number("TripletEmbedding", "margin", margin, minimum=0.0)
        self.mining = V.check_choice("TripletEmbedding", "mining", mining, MINING)
        self.squared = V.check_bool("TripletEmbedding", "squared", squared)
        self.normalize = V.check_bool("TripletEmbedding", "normalize", normalize)
        self.average = V.check_choice("TripletEmbedding", "average", average, ("all", "active"))
        self.rng = np.random.default_rng(V.check_int("TripletEmbedding", "seed", seed,
                                                     minimum=0))

    def prepare(self, data, device, dtype):
        x, ids = super().prepare(data, device, dtype)
        if ids.is_floating_point() or ids.dtype == torch.bool or ids.ndim != 1:
            raise TypeError(f"fit (triplet embedding): identities must be a 1-D integer array, "
                            f"got dtype {V.dtype_name(ids)} and shape {tuple(ids.shape)}")
        return x, ids.long()

    def embed(self, model, x):
        """The model's embeddings, L2-normalised when ``normalize``."""
        e = model(x)
        if e.ndim != 2:
            raise ValueError(f"fit (triplet embedding): the model must return (N, D) embeddings, "
                             f"got shape {tuple(e.shape)}")
        return F.normalize(e, dim=1) if self.normalize else e

    def triplet_losses(self, e, ids):
        """The hinge of every mined triplet of one batch of embeddings, (T,)."""
        from ..vision.embeddings import mine_triplets

        dist = _pair_distances(e, self.squared)
        a, p, n = (torch.as_tensor(t, device=e.device) for t in
                   mine_triplets(dist.detach().cpu().numpy(), ids.detach().cpu().numpy(),
                                 self.mining, self.rng))
        if len(a) == 0:
            raise ValueError("fit (triplet embedding): a minibatch holds no valid triplet; each "
                             "batch needs two images of one identity and one of another "
                             "(use cnnlib.vision.embeddings.pk_sampler)")
        return F.relu(dist[a, p] - dist[a, n] + self.margin)

    def loss(self, model, batch):
        x, ids = batch
        hinge = self.triplet_losses(self.embed(model, x), ids)
        active = hinge.detach() > 0
        if self.average == "active":
            loss = hinge.sum() / active.sum().clamp(min=1)
        else:
            loss = hinge.mean()
        return loss, {"active": active.float().mean()}

    def evaluate(self, model, data, batch_size: int) -> dict[str, float]:
        """Loss, ``active`` and the verification ``auc`` on a held-out set.

        The images are embedded in minibatches; the loss and ``active`` are then averaged
        over the triplets mined within groups of whole identities of about ``batch_size``
        images (groups without a triplet are skipped), and ``auc`` is measured over all pairs
        of the set (a fixed subset of 200,000 when there are more).
        """
        x, ids = data
        with torch.no_grad():
            e = torch.cat([self.embed(model, x[i:i + batch_size])
                           for i in range(0, len(x), batch_size)])
            order = torch.argsort(ids, stable=True)
            sorted_ids = ids[order]
            bounds = torch.nonzero(sorted_ids[1:] != sorted_ids[:-1]).flatten() + 1
            starts = [0] + bounds.tolist() + [len(ids)]
            total = active = count = 0.0
            lo = 0
            for k in range(1, len(starts)):
                if starts[k] - lo >= batch_size or k == len(starts) - 1:
                    idx = order[lo:starts[k]]
                    lo = starts[k]
                    try:
                        hinge = self.triplet_losses(e[idx], ids[idx])
                    except ValueError:
                        continue
                    total += float(hinge.sum())
                    active += float((hinge > 0).sum())
                    count += len(hinge)
        out = {"loss": total / count if count else float("nan"),
               "active": active / count if count else float("nan")}
        out["auc"] = _verification_auc(e, ids)
        return out


def _batch_pairs(ids: torch.Tensor):
    """Every pair i < j of a batch, split into same-identity and different-identity pairs."""
    i, j = torch.triu_indices(len(ids), len(ids), offset=1, device=ids.device)
    same = ids[i] == ids[j]
    return i, j, same


def _balanced_mean(losses: torch.Tensor, same: torch.Tensor) -> torch.Tensor:
    """Half the weight on the same pairs, half on the different ones (a P x K batch holds far
    more of the second kind); all on one kind if the batch has only that kind."""
    parts = []
    if same.any():
        parts.append(losses[same].mean())
    if (~same).any():
        parts.append(losses[~same].mean())
    return sum(parts) / len(parts)


class _PairTask(Task):
    """Shared by the pair tasks: data ``(x, identity)``, every pair of each batch."""

    def prepare(self, data, device, dtype):
        x, ids = super().prepare(data, device, dtype)
        if ids.is_floating_point() or ids.dtype == torch.bool or ids.ndim != 1:
            raise TypeError(f"fit ({self.name}): identities must be a 1-D integer array, got "
                            f"dtype {V.dtype_name(ids)} and shape {tuple(ids.shape)}")
        return x, ids.long()

    def _pairs(self, ids):
        i, j, same = _batch_pairs(ids)
        if len(i) == 0 or not same.any():
            raise ValueError(f"fit ({self.name}): a minibatch holds no pair of one identity; "
                             f"sample batches with cnnlib.vision.embeddings.pk_sampler")
        return i, j, same

    def evaluate(self, model, data, batch_size: int) -> dict[str, float]:
        """Loss and stats over all pairs of the held-out set (balanced as in training), and
        the verification ``auc``; pairs are scored in chunks of whole identities."""
        x, ids = data
        with torch.no_grad():
            e = torch.cat([self.embed(model, x[k:k + batch_size])
                           for k in range(0, len(x), batch_size)])
            i, j, same = _batch_pairs(ids)
            if len(i) > 200_000:
                keep = torch.as_tensor(np.random.default_rng(0).choice(len(i), 200_000,
                                                                       replace=False),
                                       device=ids.device)
                i, j, same = i[keep], j[keep], same[keep]
            losses, stats, scores = self.pair_losses(model, e, i, j, same)
            out = {"loss": float(_balanced_mean(losses, same))}
            out.update({k: float(v) for k, v in stats.items()})
        from ..vision.verification import roc_auc

        y = same.cpu().numpy()
        out["auc"] = roc_auc(y, scores.double().cpu().numpy()) if 0 < y.sum() < len(y) \
            else float("nan")
        return out

    def loss(self, model, batch):
        x, ids = batch
        e = self.embed(model, x)
        i, j, same = self._pairs(ids)
        losses, stats, _ = self.pair_losses(model, e, i, j, same)
        return _balanced_mean(losses, same), stats


class ContrastiveEmbedding(_PairTask):
    """A siamese embedding trained on pairs with the contrastive loss: data ``(x, identity)``.

    The model maps images to embeddings (N, D), L2-normalised when ``normalize``. Every pair
    of images in a minibatch is used: same-identity pairs are pulled together, different ones
    pushed apart until they are ``margin`` away (:func:`cnnlib.torch_ops.contrastive_loss`),
    with the two kinds weighted equally. Stats: ``same_dist`` and ``diff_dist``, the mean
    distances of the two kinds of pair. :meth:`evaluate` adds the verification ``auc``.
    Batches need several images per identity
    (``batch_sampler=cnnlib.vision.embeddings.pk_sampler(P, K)``). Section 4.3.
    """

    name = "contrastive embedding"

    def __init__(self, margin: float = 1.0, normalize: bool = True):
        self.margin = V.check_number("ContrastiveEmbedding", "margin", margin, minimum=0.0)
        self.normalize = V.check_bool("ContrastiveEmbedding", "normalize", normalize)

    def embed(self, model, x):
        e = model(x)
        if e.ndim != 2:
            raise ValueError(f"fit ({self.name}): the model must return (N, D) embeddings, got "
                             f"shape {tuple(e.shape)}")
        return F.normalize(e, dim=1) if self.normalize else e

    def pair_losses(self, model, e, i, j, same):
        from ..torch_ops.embedding import contrastive_loss

        losses = contrastive_loss(e[i], e[j], same.to(e.dtype), self.margin, reduction="none")
        d = (e[i] - e[j]).norm(dim=1).detach()
        stats = {"same_dist": d[same].mean() if same.any() else d.new_tensor(float("nan")),
                 "diff_dist": d[~same].mean() if (~same).any() else d.new_tensor(float("nan"))}
        return losses, stats, -d


class PairVerification(_PairTask):
    """Face verification as binary classification (section 4.5): data ``(x, identity)``.

    The model is a :class:`cnnlib.models.SiameseVerifier` (anything with ``embed(x)`` and
    ``compare(e1, e2) -> logits``). Every pair of a minibatch is one example, labelled 1 when
    both images show the same identity; the loss is the binary cross-entropy of
    ``compare``'s logits, same and different pairs weighted equally. With a verifier whose
    encoder is ``torch.nn.Identity()``, ``x`` may be embeddings computed beforehand, and only
    the logistic head trains. Stats: ``acc``, the balanced accuracy of ``logit > 0``.
    :meth:`evaluate` adds the verification ``auc`` of the logits.
    """

    name = "pair verification"

    def embed(self, model, x):
        for attr in ("embed", "compare"):
            if not callable(getattr(model, attr, None)):
                raise TypeError(f"fit ({self.name}): the model needs embed() and compare() "
                                f"(a cnnlib.models.SiameseVerifier), got {type(model).__name__}")
        return model.embed(x)

    def pair_losses(self, model, e, i, j, same):
        logits = model.compare(e[i], e[j])
        target = same.to(logits.dtype)
        losses = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        right = ((logits.detach() > 0) == same).to(logits.dtype)
        return losses, {"acc": _balanced_mean(right, same)}, logits.detach()


class ImageOptimisation(Task):
    """Optimise pixels, not weights: ``fit(image, task=ImageOptimisation(objective))``.

    There is no data: ``fit`` takes the tensor to optimise (or a list of tensors) in place of
    a model, and runs ``steps_per_epoch`` steps per epoch. ``objective(image) -> (loss,
    stats)`` computes the cost (style transfer's :math:`J(G)`, activation maximisation's
    negative activation); ``stats`` maps names to numbers (the content and style costs, say).
    Part 5.

    Two ways keep the pixels valid (``parametrisation``):

    ``'clamp'`` (default)
        The parameters are the pixels; after every step they are clamped to ``[low, high]``
        (``low = high = None`` skips clamping).
    ``'sigmoid'``
        The parameters are unconstrained numbers ``u`` and the image is
        ``low + (high - low) * sigmoid(u)``, always inside the range, so nothing is clamped.
        Create the parameters with :meth:`parameters_for` and read the image back with
        :meth:`image`.

    The task records every step, not only every epoch: ``trace[name]`` lists the loss and each
    stat at the image *before* each step, so ``trace["loss"][0]`` is the cost of the starting
    image and ``trace["loss"][i]`` the cost after ``i`` steps (the first evaluation of each step
    counts; L-BFGS evaluates more often inside its line search, and the stats ``fit`` prints are
    those of the first evaluation too). ``snapshots[i]`` holds a copy
    of the image after ``i`` steps for every ``i`` in ``snapshot_steps``. Call :meth:`finish`
    after ``fit`` to record the final image too, and :meth:`reset` before reusing the task.
    """

    name = "image optimisation"
    fields = ()

    def __init__(self, objective: Callable, low: float | None = 0.0, high: float | None = 1.0,
                 parametrisation: str = "clamp", snapshot_steps=()):
        if not callable(objective):
            raise TypeError(f"ImageOptimisation: objective must be callable, got "
                            f"{type(objective).__name__}")
        self.objective = objective
        if (low is None) != (high is None):
            raise ValueError("ImageOptimisation: give both low and high, or neither")
        if low is not None:
            low = V.check_number("ImageOptimisation", "low", low)
            high = V.check_number("ImageOptimisation", "high", high)
            if not low < high:
                raise ValueError(f"ImageOptimisation: low must be below high, got {low}, {high}")
        self.low, self.high = low, high
        self.parametrisation = V.check_choice("ImageOptimisation", "parametrisation",
                                              parametrisation, ("clamp", "sigmoid"))
        if parametrisation == "sigmoid" and low is None:
            raise ValueError("ImageOptimisation: parametrisation='sigmoid' maps onto [low, high]; "
                             "give both")
        if isinstance(snapshot_steps, (str, bytes)) or not hasattr(snapshot_steps, "__iter__"):
            raise TypeError(f"ImageOptimisation: snapshot_steps must be a sequence of step "
                            f"numbers, got {snapshot_steps!r}")
        self.snapshot_steps = frozenset(
            V.check_int("ImageOptimisation", "snapshot_steps", s, minimum=0)
            for s in snapshot_steps)
        self.reset()

    def reset(self) -> None:
        """Forget the recorded trace and snapshots (before a new run with this task)."""
        self.trace: dict[str, list[float]] = {}
        self.snapshots: dict[int, torch.Tensor] = {}
        self.steps = 0
        self._fresh = True
        self._step_stats: dict = {}

    # -- the image and its parameters ------------------------------------------------------

    def image(self, params) -> torch.Tensor:
        """The image that the parameters stand for (differentiable): the parameters
        themselves with ``'clamp'``, ``low + (high - low) * sigmoid(params)`` with
        ``'sigmoid'``."""
        params = params[0] if isinstance(params, (list, tuple)) and len(params) == 1 else params
        if self.parametrisation == "sigmoid":
            return self.low + (self.high - self.low) * torch.sigmoid(params)
        return params

    def parameters_for(self, image, eps: float = 1e-2) -> torch.Tensor:
        """A leaf tensor of parameters (``requires_grad=True``) whose :meth:`image` is
        ``image``: a contiguous copy with ``'clamp'`` (clamped to the range), the logit of
        ``(image - low) / (high - low)`` with ``'sigmoid'`` (kept ``eps`` inside (0, 1))."""
        if not isinstance(image, torch.Tensor) or not image.is_floating_point():
            raise TypeError(f"ImageOptimisation.parameters_for: image must be a floating torch "
                            f"tensor, got {type(image).__name__}")
        x = image.detach().clone()
        if self.parametrisation == "sigmoid":
            z = ((x - self.low) / (self.high - self.low)).clamp(eps, 1 - eps)
            x = torch.log(z) - torch.log1p(-z)
        elif self.low is not None:
            x = x.clamp(self.low, self.high)
        return x.contiguous().requires_grad_(True)

    # -- the task protocol ---------------------------------------------------------------------

    def prepare(self, data, device, dtype):
        raise ValueError("fit (image optimisation): pass no train_data or val_data; the "
                         "parameters are the image")

    def _evaluate(self, model):
        out = self.objective(self.image(model))
        if isinstance(out, tuple):
            loss, stats = out
        else:
            loss, stats = out, {}
        return loss, dict(stats)

    def _record(self, model, loss, stats) -> None:
        for key, value in {"loss": loss, **stats}.items():
            value = value.detach() if isinstance(value, torch.Tensor) else value
            self.trace.setdefault(key, []).append(float(value))
        if self.steps in self.snapshot_steps:
            self.snapshots[self.steps] = self.image(model).detach().cpu().clone()

    def loss(self, model, batch):
        loss, stats = self._evaluate(model)
        if not torch.is_grad_enabled():
            return loss, stats
        if self._fresh:
            self._record(model, loss, stats)
            self._fresh = False
            self._step_stats = stats
        # Within one step (L-BFGS's line search), report the stats of the step's first
        # evaluation, like the loss that fit records for the step.
        return loss, self._step_stats

    def after_step(self, model) -> None:
        self.steps += 1
        self._fresh = True
        if self.low is None or self.parametrisation == "sigmoid":
            return
        with torch.no_grad():
            for t in (model if isinstance(model, (list, tuple)) else [model]):
                t.clamp_(self.low, self.high)

    def finish(self, model) -> torch.Tensor:
        """Record the cost (and snapshot) of the final image, after the last step, and return
        that image (detached)."""
        with torch.no_grad():
            loss, stats = self._evaluate(model)
        self._record(model, loss, stats)
        self._fresh = False
        return self.image(model).detach()
