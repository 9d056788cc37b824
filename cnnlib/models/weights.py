"""Loading weights someone else trained: a local state-dict file, checked before it is used.

Open-source implementations share weights as a *state dict*: a mapping from parameter names
(``features.0.weight``, ``classifier.6.bias``, ...) to tensors, saved with ``torch.save``.
:func:`load_weights` reads one from disk with ``torch.load(..., weights_only=True)``, which
refuses to run code hidden in the file, and tells in plain words what does not fit: a missing
file, something that is not a state dict, names the model does not have or lacks, tensors of
the wrong shape. The book never downloads weights; a reader who has a torchvision-format file
(VGG, ResNet, ...) loads it into the matching :mod:`cnnlib.models` network with this. Section
2.4 and Part 5.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from .. import _checks as V

__all__ = ["load_weights"]


def _preview(names, limit=5) -> str:
    names = sorted(names)
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def load_weights(model: nn.Module, path, strict: bool = True) -> nn.Module:
    """Load the state dict saved at ``path`` into ``model`` (in place) and return ``model``.

    The file may hold the state dict itself, or a checkpoint dict with it under
    ``"state_dict"`` or ``"model"``; a ``"module."`` prefix (left by
    ``DistributedDataParallel``) is removed. With ``strict`` every parameter and buffer of the
    model must be in the file and nothing else; without it, only the names both share are
    loaded (say, a backbone without its classifier), and at least one must be shared. Shapes
    must always match.

    Raises ``FileNotFoundError`` for a missing file, ``TypeError`` when the file holds no
    state dict, and ``ValueError`` naming the mismatched keys or shapes.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"load_weights: model must be a torch.nn.Module, got "
                        f"{type(model).__name__}")
    if not isinstance(path, (str, Path)):
        raise TypeError(f"load_weights: path must be a str or a pathlib.Path, got "
                        f"{type(path).__name__}")
    V.check_bool("load_weights", "strict", strict)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_weights: no weights file at {path} (the book downloads "
                                f"nothing; save or copy a state dict there first)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a bad file
        raise TypeError(f"load_weights: {path} is not a file torch.load can read safely as "
                        f"weights ({type(exc).__name__}: {exc})") from None
    if isinstance(state, Mapping):
        for key in ("state_dict", "model"):
            if key in state and isinstance(state[key], Mapping):
                state = state[key]
                break
    if not isinstance(state, Mapping) or not state or \
            not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise TypeError(f"load_weights: {path} does not hold a state dict (a mapping from "
                        f"parameter names to tensors), got {type(state).__name__}")
    if all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    own = model.state_dict()
    missing = set(own) - set(state)
    unexpected = set(state) - set(own)
    if strict and (missing or unexpected):
        parts = []
        if missing:
            parts.append(f"missing from the file: {_preview(missing)}")
        if unexpected:
            parts.append(f"not in the model: {_preview(unexpected)}")
        raise ValueError(f"load_weights: the names in {path.name} do not match "
                         f"{type(model).__name__} ({'; '.join(parts)})")
    shared = set(own) & set(state)
    if not shared:
        raise ValueError(f"load_weights: {path.name} shares no parameter name with "
                         f"{type(model).__name__} (file has {_preview(state)})")
    wrong = [f"{k}: file {tuple(state[k].shape)}, model {tuple(own[k].shape)}"
             for k in sorted(shared) if state[k].shape != own[k].shape]
    if wrong:
        raise ValueError(f"load_weights: shapes differ for {len(wrong)} tensor(s): "
                         + "; ".join(wrong[:5]))
    model.load_state_dict({k: state[k] for k in shared}, strict=strict)
    return model
