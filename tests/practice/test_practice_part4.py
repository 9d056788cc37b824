"""Part 4's checkers: each typical mistake gets its own diagnosis, the right answer passes."""

import numpy as np
import pytest

from cnnlib.practice import Mistake
from cnnlib.practice.part4 import check_triplet_loss, check_who_is_it, triplet_cost, who_is_it


def _sq(x, axis=-1):
    return np.sum(x ** 2, axis=axis)


def right(a, p, n, alpha):
    pos = np.sum(np.square(a - p), axis=-1)
    neg = np.sum(np.square(a - n), axis=-1)
    return np.sum(np.maximum(pos - neg + alpha, 0.0))


WRONG_TRIPLETS = {
    "not squared": lambda a, p, n, al: np.sum(np.maximum(
        np.linalg.norm(a - p, axis=-1) - np.linalg.norm(a - n, axis=-1) + al, 0)),
    "max with 0 is missing": lambda a, p, n, al: np.sum(_sq(a - p) - _sq(a - n) + al),
    "taken once, for the whole batch": lambda a, p, n, al: max(
        np.sum(_sq(a - p) - _sq(a - n) + al), 0.0),
    "margin is subtracted": lambda a, p, n, al: np.sum(np.maximum(
        _sq(a - p) - _sq(a - n) - al, 0)),
    "anchor and negative are swapped": lambda a, p, n, al: np.sum(np.maximum(
        _sq(n - p) - _sq(n - a) + al, 0)),
    "positive and negative are swapped": lambda a, p, n, al: np.sum(np.maximum(
        _sq(a - n) - _sq(a - p) + al, 0)),
    "wrong axis": lambda a, p, n, al: np.sum(np.maximum(
        _sq(a - p, 0) - _sq(a - n, 0) + al, 0)),
    "averaged": lambda a, p, n, al: np.mean(np.maximum(_sq(a - p) - _sq(a - n) + al, 0)),
}


def test_the_right_triplet_loss_passes(capsys):
    assert check_triplet_loss(right) == 4
    assert "all 4 cases pass" in capsys.readouterr().out
    assert check_triplet_loss(triplet_cost) == 4
    # a Python float and a torch scalar are accepted too
    assert check_triplet_loss(lambda *args: float(right(*args))) == 4


@pytest.mark.parametrize("mistake", sorted(WRONG_TRIPLETS))
def test_each_triplet_mistake_gets_its_diagnosis(mistake):
    with pytest.raises(Mistake, match=mistake):
        check_triplet_loss(WRONG_TRIPLETS[mistake])


def test_other_triplet_failures():
    with pytest.raises(Mistake, match="not written yet"):
        check_triplet_loss(lambda *a: (_ for _ in ()).throw(NotImplementedError))
    with pytest.raises(Mistake, match="one number"):
        check_triplet_loss(lambda a, p, n, al: np.maximum(_sq(a - p) - _sq(a - n) + al, 0))
    with pytest.raises(Mistake, match="wrong values"):
        check_triplet_loss(lambda a, p, n, al: right(a, p, n, al) + 1.0)


def _db_distances(q, db):
    return {k: float(np.sum((q - v) ** 2)) for k, v in db.items()}


WRONG_WHO = {
    "not squared": lambda q, db, t: (lambda d: (min(d, key=d.get) if min(d.values()) <= t
                                                else None, np.sqrt(min(d.values()))))(
        _db_distances(q, db)),
    "farthest person": lambda q, db, t: (lambda d: (max(d, key=d.get), max(d.values())))(
        _db_distances(q, db)),
    "accept when the distance is <= the threshold": lambda q, db, t: (
        lambda d: (min(d, key=d.get) if min(d.values()) > t else None, min(d.values())))(
        _db_distances(q, db)),
    "beyond the threshold": lambda q, db, t: (lambda d: (min(d, key=d.get), min(d.values())))(
        _db_distances(q, db)),
}


def test_who_is_it_checker():
    assert check_who_is_it(who_is_it) == 4
    for mistake, fn in WRONG_WHO.items():
        with pytest.raises(Mistake, match=mistake):
            check_who_is_it(fn)
    with pytest.raises(Mistake, match="return a pair"):
        check_who_is_it(lambda q, db, t: "ada")
