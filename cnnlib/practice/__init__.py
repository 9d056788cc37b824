"""Practice: checkers that tell a student what is wrong with their code, in the course's terms.

A practice notebook asks the reader to write a function (zero padding, a convolution, a
pooling layer, a loss, ...). A checker runs that function on cases of growing difficulty and
compares each result with the right answer. When they differ, it does not stop at "wrong": it
also computes what some *typical mistakes* would have produced (the filter flipped, the padding
applied twice, the stride ignored, ...) and, if the student's result equals one of those, names
that mistake. The machinery is here; each part's checkers live in ``cnnlib.practice.partN``.

A checker raises :class:`Mistake` (an ``AssertionError``, so a notebook cell stops there) with a
message such as ``conv_forward, case 3 (stride 2): your output has shape (1, 8, 4, 4), expected
(1, 8, 3, 3): did you use floor((n + 2p - f) / s) + 1?``; on success it prints what passed.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

__all__ = ["Mistake", "compare", "Case", "run_cases"]


class Mistake(AssertionError):
    """A student's function computed something wrong; the message says what."""


def _as_array(value):
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return value


def compare(where: str, got, want, mistakes: Iterable[tuple[str, Callable[[], object]]] = (),
            rtol: float = 1e-5, atol: float = 1e-6, check_dtype: bool = True) -> None:
    """Raise :class:`Mistake` unless ``got`` equals ``want`` (arrays, to tolerance).

    ``where`` names the function and case for the message. ``mistakes`` lists
    ``(description, make_wrong_answer)`` pairs, tried in order when the shapes or values
    differ: if ``got`` equals a wrong answer, the message names that mistake. Otherwise the
    message reports the shape, dtype or largest difference.
    """
    got, want = _as_array(got), _as_array(want)
    if not isinstance(got, np.ndarray):
        raise Mistake(f"{where}: your function returned {type(got).__name__}, expected a NumPy "
                      f"array of shape {np.shape(want)}")
    same_shape = got.shape == want.shape
    if same_shape and np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        if check_dtype and got.dtype != want.dtype:
            raise Mistake(f"{where}: the values are right but the dtype is {got.dtype}, expected "
                          f"{want.dtype} (keep the input's dtype: float32 in, float32 out)")
        return
    for description, make in mistakes:
        wrong = _as_array(make())
        if wrong is not None and np.shape(wrong) == got.shape and \
                np.allclose(got, wrong, rtol=rtol, atol=atol, equal_nan=True):
            raise Mistake(f"{where}: {description}")
    if not same_shape:
        raise Mistake(f"{where}: your output has shape {got.shape}, expected {want.shape}")
    diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
    worst = np.unravel_index(np.nanargmax(diff), diff.shape)
    raise Mistake(f"{where}: wrong values; the largest difference is {float(diff[worst]):.3g} at "
                  f"index {tuple(int(i) for i in worst)} (yours {got[worst]!r}, expected "
                  f"{want[worst]!r})")


class Case:
    """One checker case: a label, the arguments, the right answer, typical mistakes."""

    def __init__(self, label: str, args: tuple, want, mistakes=(), kwargs=None):
        self.label, self.args, self.want = label, args, want
        self.mistakes, self.kwargs = list(mistakes), dict(kwargs or {})


def run_cases(name: str, fn: Callable, cases: Iterable[Case], quiet: bool = False, **tol) -> int:
    """Run ``fn`` on every case, :func:`compare` each result; print a line when all pass.

    Arguments are copied before each call, so a function that overwrites its input cannot
    spoil the next case. Returns the number of cases passed.
    """
    if not callable(fn):
        raise TypeError(f"{name}: expected your function, got {type(fn).__name__}")
    cases = list(cases)
    for i, case in enumerate(cases, 1):
        args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in case.args)
        try:
            got = fn(*args, **case.kwargs)
        except NotImplementedError:
            raise Mistake(f"{name}: not written yet (replace `raise NotImplementedError` with "
                          f"your code)") from None
        compare(f"{name}, case {i} ({case.label})", got, case.want, case.mistakes, **tol)
    if not quiet:
        print(f"{name}: all {len(cases)} cases pass")
    return len(cases)
