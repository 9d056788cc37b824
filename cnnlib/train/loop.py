"""The book's one training loop, and the measurements around it.

:func:`fit` runs minibatch gradient descent for any task: the *task*
(:mod:`cnnlib.train.tasks`) turns a minibatch into a loss and a few numbers, so the same loop
trains a classifier (Part 1), a box regressor (Part 3), an embedding with the triplet loss
(Part 4), and optimises the pixels of an image with no data at all (Part 5). It returns a
:class:`History` and prints one plain line per epoch with a text progress bar (no widget, so
stored notebook outputs need no JavaScript). :func:`evaluate` measures a model on held-out
data with the same task; :func:`predict` gives class labels.

Determinism: :func:`fit` seeds torch (``torch.manual_seed(seed)``, for dropout and the like),
the generator that shuffles the minibatches and the one it hands to ``augment``, so the same
model, data and seed give the same run on the same machine. It leaves
``torch.set_num_threads`` alone. Used from section 1.8 on.

Several processes: launched by ``torchrun --nproc_per_node=N script.py``, the same call to
:func:`fit` trains one model with ``torch.nn.parallel.DistributedDataParallel`` (gloo on the
CPU, nccl on GPUs): every process takes its share of each minibatch, the gradients are
averaged across processes after every backward pass, and only process 0 prints and keeps the
history (section 2.4).
"""

from __future__ import annotations

import atexit
import math
import os
import time
from typing import Mapping

import numpy as np
import torch

from .. import _checks as V
from .tasks import Classification, ImageOptimisation, Task

__all__ = ["History", "fit", "evaluate", "predict", "default_device", "distributed_context"]


class History:
    """Per-epoch record of a training run.

    ``train`` and ``val`` map a metric name (``"loss"``, ``"acc"``, ...) to one value per
    epoch: ``train`` values are averages over the epoch's minibatches (the model changes while
    they are measured), ``val`` values are measured on the validation data after the epoch
    (empty without validation data). ``seconds`` is the wall time of each epoch, validation
    included. ``train_loss``, ``train_acc``, ``val_loss`` and ``val_acc`` are shortcuts.
    """

    def __init__(self):
        self.train: dict[str, list[float]] = {}
        self.val: dict[str, list[float]] = {}
        self.seconds: list[float] = []

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.seconds)

    @property
    def total_seconds(self) -> float:
        """Wall time of the whole run."""
        return float(sum(self.seconds))

    train_loss = property(lambda self: self.train.get("loss", []),
                          doc="Training loss per epoch.")
    train_acc = property(lambda self: self.train.get("acc", []),
                         doc="Training accuracy per epoch (classification).")
    val_loss = property(lambda self: self.val.get("loss", []), doc="Validation loss per epoch.")
    val_acc = property(lambda self: self.val.get("acc", []),
                       doc="Validation accuracy per epoch (classification).")

    def record(self, train: Mapping[str, float], val: Mapping[str, float] | None = None,
               seconds: float = 0.0):
        """Append one epoch: the training metrics, the validation metrics (or None), the time."""
        for store, metrics in ((self.train, train), (self.val, val or {})):
            for key, value in metrics.items():
                store.setdefault(key, []).append(float(value))
        self.seconds.append(float(seconds))

    def line(self, epoch: int | None = None, total: int | None = None) -> str:
        """The progress line of one epoch (the last by default), as :func:`fit` prints it."""
        i = self.epochs - 1 if epoch is None else epoch
        total = self.epochs if total is None else total
        width = len(str(total))
        done = round(20 * (i + 1) / total)
        parts = [f"epoch {i + 1:>{width}}/{total} [{'#' * done}{'.' * (20 - done)}]"]
        parts += [f"{k} {v[i]:.4f}" for k, v in self.train.items() if i < len(v)]
        parts += [f"val_{k} {v[i]:.4f}" for k, v in self.val.items() if i < len(v)]
        parts.append(f"{self.seconds[i]:.1f}s")
        return "  ".join(parts)

    def as_dict(self) -> dict:
        """The lists as a plain dict (for saving as JSON): ``train_<metric>``, ``val_<metric>``,
        ``seconds``."""
        out = {f"train_{k}": list(v) for k, v in self.train.items()}
        out.update({f"val_{k}": list(v) for k, v in self.val.items()})
        out["seconds"] = list(self.seconds)
        return out


def default_device():
    """``torch.device('cuda')`` when a CUDA GPU is available, else ``'cpu'``."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _resolve_device(op, device):
    if device is None:
        return default_device()
    try:
        return torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"{op}: device must be None, 'cpu', 'cuda' or a torch.device, "
                         f"got {device!r}") from None


def _model_dtype(model):
    p = next(model.parameters(), None)
    return torch.float32 if p is None else p.dtype


def _model_device(model):
    p = next(model.parameters(), None)
    return torch.device("cpu") if p is None else p.device


def _make_optimizer(optimizer, params, lr, weight_decay, momentum):
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer):
        return optimizer(params)
    if optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if optimizer == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if optimizer == "lbfgs":
        return torch.optim.LBFGS(params, lr=lr, max_iter=1, history_size=20,
                                 line_search_fn="strong_wolfe")
    raise ValueError(f"fit: optimizer must be 'adam', 'adamw', 'sgd', 'lbfgs', a torch optimizer "
                     f"or a function of the parameters, got {optimizer!r}")


def _target(model, device):
    """What the task trains: a module (moved to ``device``) or a list of leaf tensors."""
    if isinstance(model, torch.nn.Module):
        dev = _resolve_device("fit", device)
        model.to(dev)
        return model, list(model.parameters()), dev, _model_dtype(model)
    tensors = [model] if isinstance(model, torch.Tensor) else model
    if not isinstance(tensors, (list, tuple)) or not tensors or \
            not all(isinstance(t, torch.Tensor) for t in tensors):
        raise TypeError(f"fit: model must be a torch.nn.Module, a tensor or a list of tensors "
                        f"to optimise, got {type(model).__name__}")
    for t in tensors:
        if not t.is_floating_point() or not t.is_leaf:
            raise TypeError("fit: tensors to optimise must be floating-point leaf tensors "
                            "(create them with torch.tensor(..., requires_grad=True))")
        t.requires_grad_(True)
    dev = tensors[0].device
    if device is not None and _resolve_device("fit", device) != dev:
        raise ValueError(f"fit: the tensors to optimise live on {dev}, not on {device!r}; "
                         f"create them on the device you want")
    return model, list(tensors), dev, tensors[0].dtype


def distributed_context() -> tuple[int, int]:
    """``(rank, world_size)`` of this process: ``(0, 1)`` unless launched by ``torchrun``.

    Under ``torchrun`` (the environment holds ``WORLD_SIZE > 1``), joins the process group
    the first time it is called: backend ``nccl`` when CUDA is available (each process on
    GPU ``LOCAL_RANK``), ``gloo`` otherwise. A process group the caller initialised is used
    as it is. Section 2.4.
    """
    import torch.distributed as dist

    if not dist.is_available():
        return 0, 1
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1 or "RANK" not in os.environ:
        return 0, 1
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl")
    else:
        dist.init_process_group("gloo")
    atexit.register(lambda: dist.is_initialized() and dist.destroy_process_group())
    return dist.get_rank(), dist.get_world_size()


def _local_share(batch_indices, rank: int, world: int):
    """This process's share of one global minibatch: every ``world``-th example from ``rank``.

    Returns ``(indices, weight)``: ``weight = len(share) * world / len(batch)`` rescales the
    mean loss of the share so that, once ``DistributedDataParallel`` averages the gradients
    of all processes, the step equals one process's step on the whole minibatch even when
    the shares differ in size. ``None`` when the minibatch has fewer examples than processes.
    """
    if world == 1:
        return batch_indices, 1.0
    if len(batch_indices) < world:
        return None
    share = batch_indices[rank::world]
    return share, len(share) * world / len(batch_indices)


def fit(model, train_data=None, val_data=None, epochs: int = 10, lr: float = 1e-3,
        batch_size: int = 64, optimizer="adam", weight_decay: float = 0.0,
        momentum: float = 0.9, schedule: str | None = None, device=None, seed: int = 0,
        progress: bool = True, loss_fn=None, augment=None, *, task: Task | None = None,
        steps_per_epoch: int | None = None, clip_grad_norm: float | None = None,
        batch_sampler=None) -> History:
    r"""Train ``model`` on ``train_data`` for ``task`` by minibatch gradient descent.

    Each epoch shuffles the training set and takes one optimizer step per minibatch, then
    (with ``val_data``) measures the task's metrics on the validation data in ``eval`` mode
    without gradients. Validation data is for choices (epochs, learning rate, when to stop);
    keep the test split for the one final figure. Returns the :class:`History`. Taught in
    section 1.8; Parts 2-5 train through it with their own tasks.

    Parameters
    ----------
    model : torch.nn.Module, torch.Tensor or list of tensors
        What to train: a module (trained in place, moved to ``device``), or the tensors to
        optimise directly (an image, for :class:`~cnnlib.train.tasks.ImageOptimisation`).
    train_data, val_data : tuple of arrays or tensors, or None
        One data set each, in the form the task's ``prepare`` accepts: ``(x, y)`` for
        classification and regression, ``(x, identity)`` for embeddings. The data are copied
        to ``device`` once (the book's data sets are small). ``None`` for a task without data,
        which then needs ``steps_per_epoch``.
    epochs, lr, batch_size : int, float, int
        Passes over the training data, learning rate, examples per step (the last minibatch
        of an epoch may be smaller).
    optimizer : 'adam' (default), 'adamw', 'sgd' (with ``momentum``), 'lbfgs', a
        ``torch.optim.Optimizer``, or a function ``params -> optimizer``.
    weight_decay, momentum : float
        L2 penalty of the optimizer; momentum of ``'sgd'``.
    schedule : None or 'cosine'
        ``None`` keeps ``lr`` constant; ``'cosine'`` lowers it after every step along half a
        cosine, from ``lr`` at the first step to 0 after the last:
        :math:`\eta_t = \eta \cdot \tfrac12 (1 + \cos(\pi t / T))`.
    device : None, str or torch.device
        ``None`` picks CUDA when available, else the CPU (for tensors to optimise: where
        they live).
    seed : int
        Seeds torch, the shuffling generator and the augmentation generator.
    progress : bool
        Print one line per epoch to stdout (the task's metrics, validation, seconds).
    loss_fn : callable, optional
        Shortcut for ``task=Classification(loss_fn)``; give ``task`` or ``loss_fn``, not both.
    augment : None or callable(x_batch, generator) -> x_batch
        Applied to the first array of every training minibatch (never to ``val_data``), e.g.
        :func:`cnnlib.train.random_shift`; ``generator`` is a seeded ``torch.Generator``.
    task : Task, optional
        What is optimised and measured; :class:`~cnnlib.train.tasks.Classification` by
        default.
    steps_per_epoch : int, optional
        Steps per epoch for a task without data (required then, refused otherwise).
    clip_grad_norm : float, optional
        Rescale the gradients so that their joint L2 norm is at most this before each step.
    batch_sampler : callable(prepared_data, generator) -> list of index tensors, optional
        Chooses each epoch's minibatches instead of a plain shuffle (for instance a few
        images of each of several identities, so that every batch holds triplets).

    Notes
    -----
    Under ``torchrun --nproc_per_node=N`` (see :func:`distributed_context`) a module is
    wrapped in ``DistributedDataParallel``. Every process draws the same shuffle from
    ``seed``; each global minibatch of ``batch_size`` examples is shared out, process ``r``
    taking examples ``r, r + N, ...`` (the distributed sampler), and its loss is weighted so
    that the averaged gradient is the whole minibatch's: the weights after each step equal
    those of one process on the same minibatches, up to rounding. A last minibatch with
    fewer than ``N`` examples is skipped. The training metrics are summed over processes;
    process 0 alone measures the validation data, prints, and returns the full
    :class:`History` (the others return an empty one). Augmentation draws differ per
    process. Each process holds the whole data set, so this pays for large models rather
    than for large data.
    """
    if task is None:
        task = Classification(loss_fn)
    elif loss_fn is not None:
        raise ValueError("fit: give either task or loss_fn, not both (the task owns the loss)")
    if not isinstance(task, Task):
        raise TypeError(f"fit: task must be a cnnlib.train.tasks.Task, got {type(task).__name__}")
    V.check_int("fit", "epochs", epochs, minimum=1)
    V.check_int("fit", "batch_size", batch_size, minimum=1)
    V.check_number("fit", "lr", lr, minimum=0.0, strict=True)
    V.check_choice("fit", "schedule", schedule, (None, "cosine"))
    if clip_grad_norm is not None:
        V.check_number("fit", "clip_grad_norm", clip_grad_norm, minimum=0.0, strict=True)
    if augment is not None and not callable(augment):
        raise TypeError(f"fit: augment must be callable, got {type(augment).__name__}")
    is_module = isinstance(model, torch.nn.Module)
    rank, world = distributed_context() if is_module else (0, 1)
    if world > 1 and device is None and torch.cuda.is_available():
        device = torch.device("cuda", torch.cuda.current_device())
    target, params, dev, dtype = _target(model, device)
    trainer = target
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        trainer = DistributedDataParallel(
            target, device_ids=[dev.index] if dev.type == "cuda" else None)

    if train_data is None:
        if steps_per_epoch is None:
            raise ValueError("fit: without train_data, give steps_per_epoch (the task "
                             f"{task.name!r} has no data to count steps by)")
        steps_per_epoch = V.check_int("fit", "steps_per_epoch", steps_per_epoch, minimum=1)
        train, n = None, steps_per_epoch
    else:
        if isinstance(task, ImageOptimisation):
            task.prepare(train_data, dev, dtype)      # raises: this task takes no data
        if steps_per_epoch is not None:
            raise ValueError("fit: steps_per_epoch is only for tasks without train_data; with "
                             "data, one epoch is one pass over it")
        train = task.prepare(train_data, dev, dtype)
        n = len(train[0])
        if n < world:
            raise ValueError(f"fit: {n} training examples cannot be shared by {world} "
                             f"processes")
    val = None if val_data is None else task.prepare(val_data, dev, dtype)

    torch.manual_seed(seed)
    shuffler = torch.Generator().manual_seed(seed)
    augmenter = torch.Generator(device=dev).manual_seed(seed + 1 + 1000 * rank)
    opt = _make_optimizer(optimizer, params, lr, weight_decay, momentum)
    lbfgs = isinstance(opt, torch.optim.LBFGS)
    steps_each = n if train is None else -(-n // batch_size)
    total_steps = epochs * steps_each
    base_lrs = [group["lr"] for group in opt.param_groups]
    history = History()
    step = 0
    for epoch in range(epochs):
        start = time.perf_counter()
        if is_module:
            target.train()
        if train is None:
            batches = [None] * n
        elif batch_sampler is not None:
            batches = [torch.as_tensor(b, device=dev) for b in batch_sampler(train, shuffler)]
        else:
            order = torch.randperm(n, generator=shuffler).to(dev)
            batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
        sums: dict[str, torch.Tensor] = {}
        seen = 0
        for idx in batches:
            weight = 1.0
            if idx is not None and world > 1:
                shared = _local_share(idx, rank, world)
                if shared is None:
                    continue
                idx, weight = shared
            batch = None if idx is None else tuple(t[idx] for t in train)
            if augment is not None and batch is not None:
                batch = (augment(batch[0], augmenter),) + batch[1:]
            stats = {}

            def closure():
                nonlocal stats
                opt.zero_grad(set_to_none=True)
                loss, stats = task.loss(trainer, batch)
                (loss * weight if weight != 1.0 else loss).backward()
                if clip_grad_norm is not None:
                    torch.nn.utils.clip_grad_norm_(params, clip_grad_norm)
                return loss

            if lbfgs:
                loss = opt.step(closure)
            else:
                loss = closure()
                opt.step()
            task.after_step(target)
            step += 1
            if schedule == "cosine":
                factor = 0.5 * (1 + math.cos(math.pi * step / total_steps))
                for group, base in zip(opt.param_groups, base_lrs):
                    group["lr"] = base * factor
            m = 1 if batch is None else len(batch[0])
            seen += m
            for key, value in {"loss": loss, **stats}.items():
                value = torch.as_tensor(value).detach().to(dev)
                sums[key] = sums.get(key, 0) + value * m
        if world > 1:
            sums, seen = _sum_over_processes(sums, seen, dev)
        train_metrics = {key: (value / seen).item() for key, value in sums.items()}
        if rank != 0:
            continue
        val_metrics = None
        if val is not None:
            val_metrics = _evaluate(task, target, val, max(batch_size, 256))
        history.record(train_metrics, val_metrics, time.perf_counter() - start)
        if progress:
            print(history.line(epoch, epochs), flush=True)
    return history


def _sum_over_processes(sums, seen, dev):
    """The epoch's metric sums and example count, added up over all processes."""
    import torch.distributed as dist

    keys = sorted(sums)
    packed = torch.stack([torch.as_tensor(sums[k], dtype=torch.float64, device=dev).reshape(())
                          for k in keys] + [torch.tensor(float(seen), dtype=torch.float64,
                                                         device=dev)])
    dist.all_reduce(packed)
    return {k: packed[i] for i, k in enumerate(keys)}, packed[-1].item()


def _evaluate(task, target, data, batch_size):
    was_training = isinstance(target, torch.nn.Module) and target.training
    if isinstance(target, torch.nn.Module):
        target.eval()
    try:
        return task.evaluate(target, data, batch_size)
    finally:
        if was_training:
            target.train()


def evaluate(model, data, task: Task | None = None, batch_size: int = 256, device=None,
             loss_fn=None) -> dict[str, float]:
    """The task's metrics of ``model`` on a held-out data set, as a dict.

    For the default task, :class:`~cnnlib.train.tasks.Classification`, ``data = (x, y)`` and
    the result is ``{"loss": mean cross-entropy, "acc": accuracy}``. Runs in ``eval`` mode
    without gradients, on ``device`` (default: where the model's parameters are).
    Section 1.8.
    """
    if task is None:
        task = Classification(loss_fn)
    elif loss_fn is not None:
        raise ValueError("evaluate: give either task or loss_fn, not both")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"evaluate: model must be a torch.nn.Module, got {type(model).__name__}")
    V.check_int("evaluate", "batch_size", batch_size, minimum=1)
    dev = _model_device(model) if device is None else _resolve_device("evaluate", device)
    model.to(dev)
    prepared = task.prepare(data, dev, _model_dtype(model))
    model_was_training = model.training
    model.eval()
    try:
        return task.evaluate(model, prepared, batch_size)
    finally:
        model.train(model_was_training)


def predict(model, x, batch_size: int = 256, device=None, return_probs: bool = False):
    """Predicted class of each image in ``x`` (N, ...) as an int64 NumPy array (N,).

    With ``return_probs=True`` returns ``(labels, probs)``, ``probs`` the (N,
    num_classes) softmax of the logits as float NumPy. ``eval`` mode, no gradients.
    Section 1.8.
    """
    V.check_int("predict", "batch_size", batch_size, minimum=1)
    dev = _model_device(model) if device is None else _resolve_device("predict", device)
    model.to(dev)
    xt = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if not torch.is_floating_point(xt):
        raise TypeError(f"predict: x must be floating point, got {xt.dtype}")
    xt = xt.to(dev, _model_dtype(model))
    model.eval()
    chunks = []
    with torch.no_grad():
        for i in range(0, len(xt), batch_size):
            chunks.append(torch.softmax(model(xt[i:i + batch_size]), dim=1).cpu())
    probs = torch.cat(chunks).numpy() if chunks else np.zeros((0, 0))
    labels = probs.argmax(1).astype(np.int64) if len(probs) else np.zeros(0, np.int64)
    return (labels, probs) if return_probs else labels
