"""The book's one training loop, and the measurements around it.

:func:`fit` trains any classifier ``torch.nn.Module`` on in-memory data with
minibatch gradient descent and returns a :class:`History`; it prints one plain
line per epoch (no widget, so stored notebook outputs need no JavaScript).
:func:`evaluate`, :func:`predict`, :func:`accuracy` and :func:`confusion_matrix`
measure the result. :class:`History`, :func:`accuracy` and
:func:`confusion_matrix` are NumPy only; torch is imported when a function
needs it, so :mod:`cnnlib.numpy_cnn` reuses them without torch.

Determinism: :func:`fit` seeds torch (``torch.manual_seed(seed)``, for dropout
and the like) and the generator that shuffles the minibatches, so the same
model, data and seed give the same run on the same machine. It leaves
``torch.set_num_threads`` alone. Used from section 1.8 on.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["History", "fit", "evaluate", "predict", "default_device"]


@dataclass
class History:
    """Per-epoch record of a training run: one list entry per epoch.

    ``train_loss``/``train_acc`` are averages over the epoch's minibatches (the
    model changes while they are measured); ``val_loss``/``val_acc`` are measured
    on the validation data after the epoch (empty lists without validation data).
    ``seconds`` is the wall time of each epoch, validation included.
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.train_loss)

    @property
    def total_seconds(self) -> float:
        """Wall time of the whole run."""
        return float(sum(self.seconds))

    def record(self, train_loss, train_acc, val_loss=None, val_acc=None, seconds=0.0):
        """Append one epoch."""
        self.train_loss.append(float(train_loss))
        self.train_acc.append(float(train_acc))
        if val_loss is not None:
            self.val_loss.append(float(val_loss))
        if val_acc is not None:
            self.val_acc.append(float(val_acc))
        self.seconds.append(float(seconds))

    def line(self, epoch: int | None = None, total: int | None = None) -> str:
        """The progress line of one epoch (the last by default), as :func:`fit` prints it."""
        i = self.epochs - 1 if epoch is None else epoch
        total = self.epochs if total is None else total
        width = len(str(total))
        done = round(20 * (i + 1) / total)
        parts = [f"epoch {i + 1:>{width}}/{total} [{'#' * done}{'.' * (20 - done)}]",
                 f"loss {self.train_loss[i]:.4f}", f"acc {self.train_acc[i]:.4f}"]
        if i < len(self.val_loss):
            parts.append(f"val_loss {self.val_loss[i]:.4f}")
        if i < len(self.val_acc):
            parts.append(f"val_acc {self.val_acc[i]:.4f}")
        parts.append(f"{self.seconds[i]:.1f}s")
        return "  ".join(parts)

    def as_dict(self) -> dict:
        """The lists as a plain dict (for saving as JSON)."""
        return {"train_loss": list(self.train_loss), "train_acc": list(self.train_acc),
                "val_loss": list(self.val_loss), "val_acc": list(self.val_acc),
                "seconds": list(self.seconds)}


def default_device():
    """``torch.device('cuda')`` when a CUDA GPU is available, else ``'cpu'``."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _resolve_device(device):
    import torch

    if device is None:
        return default_device()
    try:
        return torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"fit: device must be None, 'cpu', 'cuda' or a torch.device, "
                         f"got {device!r}") from None


def _as_tensors(op: str, name: str, data, device):
    """(x, y) arrays or tensors -> (float tensor, int64 tensor) on ``device``."""
    import torch

    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{op}: {name} must be a pair (x, y) of arrays or tensors, "
                        f"got {type(data).__name__}")
    x, y = data
    x = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    y = torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y)
    if not torch.is_floating_point(x):
        raise TypeError(f"{op}: {name} images must be floating point, got {x.dtype}")
    if y.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise TypeError(f"{op}: {name} labels must be integer class indices, got {y.dtype}")
    if y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"{op}: {name} has {len(x)} images but labels of shape "
                         f"{tuple(y.shape)}; expected ({len(x)},)")
    if len(x) == 0:
        raise ValueError(f"{op}: {name} is empty")
    return x.to(device), y.long().to(device)


def _model_dtype(model):
    import torch

    p = next(model.parameters(), None)
    return torch.float32 if p is None else p.dtype


def _make_optimizer(optimizer, params, lr, weight_decay, momentum):
    import torch

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
    raise ValueError(f"fit: optimizer must be 'adam', 'adamw', 'sgd', a torch optimizer or a "
                     f"function of the parameters, got {optimizer!r}")


def _check_positive(op, name, value, kind=int):
    if isinstance(value, bool) or not isinstance(value, kind) or value <= 0:
        what = "a positive int" if kind is int else "a positive number"
        raise ValueError(f"{op}: {name} must be {what}, got {value!r}")


def fit(model, train_data, val_data=None, epochs: int = 10, lr: float = 1e-3,
        batch_size: int = 64, optimizer="adam", weight_decay: float = 0.0,
        momentum: float = 0.9, schedule: str | None = None, device=None, seed: int = 0,
        progress: bool = True, loss_fn=None, augment=None) -> History:
    r"""Train a classifier with minibatch gradient descent; return its :class:`History`.

    Each epoch shuffles the training set, takes one optimizer step per minibatch,
    then (with ``val_data``) measures the validation loss and accuracy in
    ``eval`` mode without gradients. Taught in section 1.8.

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch (N, ...) to logits (N, num_classes). Trained in place and
        moved to ``device``.
    train_data, val_data : (x, y)
        Images (N, C, H, W) (any float array or tensor) and integer labels (N,).
        The data are copied to ``device`` once (the book's data sets are small).
    epochs, lr, batch_size : int, float, int
        Passes over the training data, learning rate, examples per step (the last
        minibatch of an epoch may be smaller).
    optimizer : 'adam' (default), 'adamw', 'sgd' (with ``momentum``), a
        ``torch.optim.Optimizer``, or a function ``params -> optimizer``.
    weight_decay, momentum : float
        L2 penalty of the optimizer; momentum of ``'sgd'``.
    schedule : None or 'cosine'
        ``None`` keeps ``lr`` constant; ``'cosine'`` lowers it after every step
        along half a cosine, from ``lr`` at the first step to 0 after the last:
        :math:`\eta_t = \eta \cdot \tfrac12 (1 + \cos(\pi t / T))`.
    device : None, str or torch.device
        ``None`` picks CUDA when available, else the CPU.
    seed : int
        Seeds torch and the shuffling generator.
    progress : bool
        Print one line per epoch to stdout (loss, accuracy, validation, seconds).
    loss_fn : callable(logits, y) -> scalar tensor
        ``torch.nn.functional.cross_entropy`` by default.
    augment : None or callable(x_batch, generator) -> x_batch
        Applied to every training minibatch (never to ``val_data``), e.g.
        :func:`random_shift`; ``generator`` is a seeded ``torch.Generator``.
    """
    import torch
    import torch.nn.functional as F

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"fit: model must be a torch.nn.Module, got {type(model).__name__}")
    _check_positive("fit", "epochs", epochs)
    _check_positive("fit", "batch_size", batch_size)
    _check_positive("fit", "lr", lr, (int, float))
    if schedule not in (None, "cosine"):
        raise ValueError(f"fit: schedule must be None or 'cosine', got {schedule!r}")
    dev = _resolve_device(device)
    loss_fn = F.cross_entropy if loss_fn is None else loss_fn
    model.to(dev)
    dtype = _model_dtype(model)
    x, y = _as_tensors("fit", "train_data", train_data, dev)
    x = x.to(dtype)
    val = None
    if val_data is not None:
        xv, yv = _as_tensors("fit", "val_data", val_data, dev)
        val = (xv.to(dtype), yv)
    torch.manual_seed(seed)
    shuffler = torch.Generator().manual_seed(seed)
    augmenter = torch.Generator(device=dev).manual_seed(seed + 1)
    opt = _make_optimizer(optimizer, model.parameters(), lr, weight_decay, momentum)
    history = History()
    n = len(x)
    total_steps = epochs * (-(-n // batch_size))
    base_lrs = [group["lr"] for group in opt.param_groups]
    step = 0
    for epoch in range(epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n, generator=shuffler).to(dev)
        loss_sum = torch.zeros((), device=dev)
        correct = torch.zeros((), device=dev, dtype=torch.long)
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            xb, yb = x[idx], y[idx]
            if augment is not None:
                xb = augment(xb, augmenter)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if schedule == "cosine":
                factor = 0.5 * (1 + math.cos(math.pi * step / total_steps))
                for group, base in zip(opt.param_groups, base_lrs):
                    group["lr"] = base * factor
            loss_sum += loss.detach() * len(idx)
            correct += (logits.detach().argmax(1) == yb).sum()
        train_loss = (loss_sum / n).item()
        train_acc = correct.item() / n
        val_loss = val_acc = None
        if val is not None:
            val_loss, val_acc = _evaluate(model, val, batch_size=max(batch_size, 256),
                                          loss_fn=loss_fn)
        history.record(train_loss, train_acc, val_loss, val_acc, time.perf_counter() - start)
        if progress:
            print(history.line(epoch, epochs), flush=True)
    return history


def _evaluate(model, data, batch_size, loss_fn):
    import torch

    x, y = data
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            logits = model(x[i:i + batch_size])
            yb = y[i:i + batch_size]
            loss_sum += loss_fn(logits, yb).item() * len(yb)
            correct += (logits.argmax(1) == yb).sum().item()
    return loss_sum / len(x), correct / len(x)


def evaluate(model, data, batch_size: int = 256, device=None, loss_fn=None):
    """Mean loss and accuracy of ``model`` on ``data = (x, y)``: returns ``(loss, accuracy)``.

    Runs in ``eval`` mode without gradients, on ``device`` (default: where the
    model's parameters are). Section 1.8.
    """
    import torch
    import torch.nn.functional as F

    _check_positive("evaluate", "batch_size", batch_size)
    dev = _model_device(model) if device is None else _resolve_device(device)
    model.to(dev)
    x, y = _as_tensors("evaluate", "data", data, dev)
    return _evaluate(model, (x.to(_model_dtype(model)), y), batch_size,
                     F.cross_entropy if loss_fn is None else loss_fn)


def _model_device(model):
    import torch

    p = next(model.parameters(), None)
    return torch.device("cpu") if p is None else p.device


def predict(model, x, batch_size: int = 256, device=None, return_probs: bool = False):
    """Predicted class of each image in ``x`` (N, ...) as an int64 NumPy array (N,).

    With ``return_probs=True`` returns ``(labels, probs)``, ``probs`` the (N,
    num_classes) softmax of the logits as float NumPy. ``eval`` mode, no gradients.
    Section 1.8.
    """
    import torch

    _check_positive("predict", "batch_size", batch_size)
    dev = _model_device(model) if device is None else _resolve_device(device)
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
