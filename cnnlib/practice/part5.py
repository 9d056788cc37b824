"""Checkers for Part 5's practice: the Gram matrix, the style cost of a layer, the content cost.

The course's programming assignment writes these three functions in the channels-last layout
(NHWC): activations ``a`` of one layer have shape (1, n_H, n_W, n_C). Each checker runs the
student's function on cases of growing difficulty (one channel, several channels, a
non-square map, float32) and, when an answer is wrong, names the typical mistake it matches
(the first cases are chosen so that no two mistakes give the same number):

- the Gram matrix over the wrong axis, ``A^T A`` of size (n_H n_W) x (n_H n_W) instead of
  ``A A^T`` of size n_C x n_C (the transpose on the wrong side);
- activations unrolled with a bare ``reshape(n_C, n_H * n_W)`` of channels-last data, which
  mixes channels and positions (transpose to channels first before reshaping);
- the normalisation missing, not squared, or the content cost's ``4 n_H n_W n_C`` used for
  the style cost;
- differences not squared, or the square root of the sum taken (a norm, not its square).

Used in section 5.3.2 (and 5.3.1 for the content cost).
"""

from __future__ import annotations

import numpy as np

from . import Case, Mistake, compare

__all__ = ["check_gram_matrix", "check_layer_style_cost", "check_content_cost"]


def _cases(shapes, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _unroll(a):
    """(1, n_H, n_W, n_C) -> (n_C, n_H n_W), the right way."""
    _, h, w, c = a.shape
    return a.reshape(h * w, c).T


def _unroll_wrongly(a):
    """(1, n_H, n_W, n_C) -> (n_C, n_H n_W) by a bare reshape: channels and positions mixed."""
    _, h, w, c = a.shape
    return a.reshape(c, h * w)


def _style(a_s, a_g, unroll=_unroll, gram=lambda m: m @ m.T, norm="right", power=2):
    _, h, w, c = a_s.shape
    d = gram(unroll(a_s)) - gram(unroll(a_g))
    total = (np.abs(d) ** power).sum() if power != "sqrt" else np.sqrt((d * d).sum())
    factor = {"right": (2 * h * w * c) ** 2, "none": 1, "unsquared": 2 * h * w * c,
              "content": 4 * h * w * c, "half-squared": 4 * c * c * h * w}[norm]
    return np.asarray(total / factor, dtype=a_s.dtype)


def _run(name, fn, cases, check_dtype=True):
    if not callable(fn):
        raise TypeError(f"{name}: expected your function, got {type(fn).__name__}")
    for i, case in enumerate(cases, 1):
        args = tuple(a.copy() for a in case.args)
        try:
            got = fn(*args)
        except NotImplementedError:
            raise Mistake(f"{name}: not written yet (replace `raise NotImplementedError` with "
                          f"your code)") from None
        if case.want.ndim == 0 and np.ndim(got) == 0 and not isinstance(got, str):
            got = np.asarray(got, dtype=np.asarray(got).dtype)
        compare(f"{name}, case {i} ({case.label})", got, case.want, case.mistakes,
                rtol=1e-5, atol=1e-9, check_dtype=check_dtype)
    print(f"{name}: all {len(cases)} cases pass")
    return len(cases)


def check_gram_matrix(fn) -> int:
    """Check ``fn(A) -> G``: ``A`` is (n_C, n_H n_W), the unrolled activations, and ``G`` the
    n_C x n_C Gram matrix ``A A^T``, in ``A``'s dtype. Section 5.3.2."""
    shapes = [("one channel", (1, 4)), ("two channels", (2, 3)),
              ("more positions than channels", (3, 8)), ("more channels than positions", (5, 2))]
    cases = []
    for (label, shape), a in zip(shapes, _cases([s for _, s in shapes], 1)):
        cases.append(Case(label, (a,), a @ a.T, mistakes=_gram_mistakes(a)))
    a32 = _cases([(4, 6)], 2, np.float32)[0]
    cases.append(Case("float32", (a32,), a32 @ a32.T, mistakes=_gram_mistakes(a32)))
    return _run("gram_matrix", fn, cases)


def _gram_mistakes(a):
    n_c, n_hw = a.shape
    return [
        (f"the Gram matrix is over the wrong axis: you computed A^T A, of size (n_H n_W) x "
         f"(n_H n_W) = {n_hw} x {n_hw}; the style Gram matrix is n_C x n_C = {n_c} x {n_c}, "
         f"G = A A^T with A of shape (n_C, n_H n_W) (the transpose goes on the second factor)",
         lambda: a.T @ a),
        ("you multiplied elementwise (A * A); the Gram matrix is a matrix product, "
         "G = A A^T (np.dot or @)", lambda: a * a),
        ("you divided by n_H n_W; the Gram matrix itself is not normalised (the style cost "
         "divides by (2 n_H n_W n_C)^2 later)", lambda: a @ a.T / n_hw),
    ]


def check_layer_style_cost(fn) -> int:
    """Check ``fn(a_S, a_G) -> J``: the style cost of one layer, activations (1, n_H, n_W,
    n_C) channels last as in the course, ``J = sum (G(S) - G(G))^2 / (2 n_H n_W n_C)^2`` a
    scalar. Section 5.3.2."""
    shapes = [("two channels, 2x2", (1, 2, 2, 2)), ("three channels, 2x3", (1, 2, 3, 3)),
              ("one channel, 3x3", (1, 3, 3, 1)), ("four channels, 3x5", (1, 3, 5, 4))]
    cases = []
    arrays = _cases([s for _, s in shapes for _ in range(2)], 3)
    for i, (label, _) in enumerate(shapes):
        a_s, a_g = arrays[2 * i], arrays[2 * i + 1]
        cases.append(Case(label, (a_s, a_g), _style(a_s, a_g),
                          mistakes=_style_mistakes(a_s, a_g)))
    a_s, a_g = _cases([(1, 4, 3, 2), (1, 4, 3, 2)], 4, np.float32)
    cases.append(Case("float32, 4x3", (a_s, a_g), _style(a_s, a_g),
                      mistakes=_style_mistakes(a_s, a_g)))
    return _run("layer_style_cost", fn, cases, check_dtype=False)


def _style_mistakes(a_s, a_g):
    return [
        ("the Gram matrices are over the wrong axis (A^T A, (n_H n_W) x (n_H n_W)); style "
         "compares which channels fire together: G = A A^T, n_C x n_C",
         lambda: _style(a_s, a_g, gram=lambda m: m.T @ m)),
        ("the activations were unrolled with a bare reshape(n_C, n_H * n_W), which mixes "
         "channels and positions of channels-last data; reshape to (n_H n_W, n_C) and "
         "transpose (or move the channel axis first, then reshape)",
         lambda: _style(a_s, a_g, unroll=_unroll_wrongly)),
        ("the normalisation is missing: divide the sum of squared differences by "
         "(2 n_H n_W n_C)^2", lambda: _style(a_s, a_g, norm="none")),
        ("the normalisation is not squared: the style cost divides by (2 n_H n_W n_C)^2, "
         "not 2 n_H n_W n_C", lambda: _style(a_s, a_g, norm="unsquared")),
        ("you used the content cost's normalisation 1 / (4 n_H n_W n_C); the style cost's is "
         "1 / (2 n_H n_W n_C)^2", lambda: _style(a_s, a_g, norm="content")),
        ("the normalisation is squared wrongly: (2 n_H n_W n_C)^2 = 4 n_C^2 (n_H n_W)^2; "
         "you left n_H n_W unsquared", lambda: _style(a_s, a_g, norm="half-squared")),
        ("the differences are not squared (you summed their absolute values)",
         lambda: _style(a_s, a_g, power=1)),
        ("you took the square root of the sum (a Frobenius norm); the cost uses the sum of "
         "squares itself", lambda: _style(a_s, a_g, power="sqrt")),
    ]


def _content(a_c, a_g, norm="right", mean=False):
    _, h, w, c = a_c.shape
    total = ((a_c - a_g) ** 2).sum()
    if mean:
        return np.asarray(((a_c - a_g) ** 2).mean(), dtype=a_c.dtype)
    factor = {"right": 4 * h * w * c, "none": 1, "style": (2 * h * w * c) ** 2,
              "two": 2 * h * w * c}[norm]
    return np.asarray(total / factor, dtype=a_c.dtype)


def check_content_cost(fn) -> int:
    """Check ``fn(a_C, a_G) -> J``: the content cost, activations (1, n_H, n_W, n_C),
    ``J = sum (a_C - a_G)^2 / (4 n_H n_W n_C)`` a scalar. Section 5.3.1."""
    shapes = [("one channel", (1, 2, 3, 1)), ("three channels", (1, 3, 3, 3)),
              ("five channels, 4x2", (1, 4, 2, 5))]
    arrays = _cases([s for _, s in shapes for _ in range(2)], 5)
    cases = []
    for i, (label, _) in enumerate(shapes):
        a_c, a_g = arrays[2 * i], arrays[2 * i + 1]
        cases.append(Case(label, (a_c, a_g), _content(a_c, a_g), mistakes=[
            ("the normalisation 1 / (4 n_H n_W n_C) is missing", lambda a=a_c, b=a_g:
             _content(a, b, "none")),
            ("you took the mean of the squared differences: that is 1 / (n_H n_W n_C); the "
             "course's content cost divides by 4 n_H n_W n_C", lambda a=a_c, b=a_g:
             _content(a, b, mean=True)),
            ("you divided by 2 n_H n_W n_C; the content cost divides by 4 n_H n_W n_C",
             lambda a=a_c, b=a_g: _content(a, b, "two")),
            ("you used the style cost's normalisation (2 n_H n_W n_C)^2; the content cost's "
             "is 4 n_H n_W n_C", lambda a=a_c, b=a_g: _content(a, b, "style")),
        ]))
    return _run("content_cost", fn, cases, check_dtype=False)
