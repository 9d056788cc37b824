"""Train, validation and test splits: choices on validation data, the test set once.

A model is tuned (epochs, learning rate, architecture) by watching the validation split; the
test split answers one question at the end, how well the chosen model does on data nothing was
chosen on. :func:`split` makes the three splits in one call, stratified by class, so the right
habit is also the easy one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _checks as V

__all__ = ["Splits", "split"]


class Splits(NamedTuple):
    """Three data sets, each a tuple ``(x, y)`` (``val`` is None when none was asked for)."""

    train: tuple
    val: tuple | None
    test: tuple


def split(x, y, val_fraction: float = 0.15, test_fraction: float = 0.25, seed: int = 0,
          stratify: bool = True) -> Splits:
    """Split ``(x, y)`` into train, validation and test sets.

    ``test_fraction`` and ``val_fraction`` are fractions of all examples; the test split is
    drawn first, then the validation split from what remains, so changing ``val_fraction``
    never changes the test set. With ``stratify``, each split keeps the class proportions of
    ``y`` (integer labels). ``val_fraction=0`` gives ``val=None``. Arrays are returned
    C-contiguous, in the order scikit-learn's ``train_test_split`` draws them with ``seed``.
    """
    from sklearn.model_selection import train_test_split

    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"split: x has {len(x)} examples but y has {len(y)}")
    test_fraction = V.check_number("split", "test_fraction", test_fraction, 0.0, 1.0, strict=True)
    val_fraction = V.check_number("split", "val_fraction", val_fraction, minimum=0.0)
    if val_fraction + test_fraction >= 1:
        raise ValueError(f"split: val_fraction + test_fraction must be below 1, got "
                         f"{val_fraction} + {test_fraction}")
    seed = V.check_int("split", "seed", seed, minimum=0)
    V.check_bool("split", "stratify", stratify)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction, random_state=seed,
                                              stratify=y if stratify else None)
    val = None
    if val_fraction > 0:
        x_tr, x_va, y_tr, y_va = train_test_split(
            x_tr, y_tr, test_size=val_fraction / (1 - test_fraction), random_state=seed,
            stratify=y_tr if stratify else None)
        val = (np.ascontiguousarray(x_va), y_va)
    return Splits((np.ascontiguousarray(x_tr), y_tr), val, (np.ascontiguousarray(x_te), y_te))
