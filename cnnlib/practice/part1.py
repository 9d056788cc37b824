"""Checkers for Part 1's practice: a convolutional network, step by step.

The practice notebooks of Part 1 ask the reader to write, with NumPy and loops, the pieces the
course's programming assignment asks for: zero padding, one step of a convolution, the
convolution's forward pass, pooling's forward pass, and the backward passes of both. Each
``check_*`` function here runs the reader's function on cases of growing difficulty (one
example and one channel first; then padding; then stride; then several channels, filters and
examples, non-square inputs and float32) and compares every result with the right answer.

When a result is wrong the checker says what went wrong in the course's terms. It computes what
typical mistakes would have produced (the padding applied twice or not at all, the stride
ignored, the filter flipped, the bias left out, the channels summed wrongly, the gradient
overwritten where windows overlap, ...) and names the one the reader's answer equals; for an
output of the wrong shape it names the formula that shape comes from. A checker raises
:class:`~cnnlib.practice.Mistake` (an ``AssertionError``) with that message, and prints one line
when every case passes (``quiet=True`` keeps it silent). A checker returns nothing, so a
notebook cell that calls one shows only that line.

The functions use the book's layout, NCHW (examples, channels, height, width), with the course's
names: ``A_prev`` of shape ``(m, n_C_prev, n_H_prev, n_W_prev)``, filters ``W`` of shape
``(n_C, n_C_prev, f, f)`` and biases ``b`` of shape ``(n_C,)``:

- ``zero_pad(X, pad)``: :func:`check_zero_pad`;
- ``conv_single_step(a_slice_prev, W, b)``: :func:`check_conv_single_step`;
- ``conv_forward(A_prev, W, b, stride, pad)``: :func:`check_conv_forward`;
- ``pool_forward(A_prev, f, stride, mode)``: :func:`check_pool_forward`;
- ``conv_backward(dZ, A_prev, W, b, stride, pad)``: :func:`check_conv_backward`;
- ``create_mask_from_window(x)``: :func:`check_create_mask_from_window`;
- ``distribute_value(dz, shape)``: :func:`check_distribute_value`;
- ``pool_backward(dA, A_prev, f, stride, mode)``: :func:`check_pool_backward`.

Sections 1.11 and 1.12 of the book use them.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from . import Case, Mistake, compare

__all__ = ["check_zero_pad", "check_conv_single_step", "check_conv_forward",
           "check_pool_forward", "check_conv_backward", "check_create_mask_from_window",
           "check_distribute_value", "check_pool_backward"]

# Float32 results are summed in a different order by the reader than by the reference.
_TOL = {np.dtype(np.float64): dict(rtol=1e-7, atol=1e-9),
        np.dtype(np.float32): dict(rtol=1e-4, atol=1e-5)}


# --------------------------------------------------------------------------------------------
# Running the cases
# --------------------------------------------------------------------------------------------

class _Case(Case):
    """A case whose answer may be a tuple (a backward pass): ``parts`` names its items.

    For a tuple answer, ``mistakes`` is a tuple of lists, one per item. ``shape_hint`` is a
    function ``(got_shape, part) -> str or None`` that explains a wrong shape.
    """

    def __init__(self, label, args, want, mistakes=(), parts=None, shape_hint=None,
                 check_dtype=True):
        super().__init__(label, args, want, mistakes)
        self.parts = parts
        self.shape_hint = shape_hint
        self.check_dtype = check_dtype


def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def _tolerance(case: _Case) -> dict:
    dtypes = [a.dtype for a in case.args if isinstance(a, np.ndarray)]
    return _TOL[np.dtype(np.float32)] if np.dtype(np.float32) in dtypes else \
        _TOL[np.dtype(np.float64)]


def _compare(where: str, got, want, mistakes, hint, check_dtype, tol):
    try:
        compare(where, got, want, mistakes, check_dtype=check_dtype, **tol)
    except Mistake as err:
        got_shape = np.shape(got.detach().cpu().numpy() if hasattr(got, "detach") else got)
        generic = str(err).startswith(f"{where}: your output has shape")
        if generic and hint is not None:
            explanation = hint(tuple(got_shape))
            if explanation:
                raise Mistake(f"{err}: {explanation}") from None
        raise


def _run(name: str, fn: Callable, cases: Sequence[_Case], quiet: bool = False) -> int:
    """Run ``fn`` on every case and compare, as :func:`cnnlib.practice.run_cases` does.

    Besides comparing, it refuses a function that changes its arguments in place, turns an
    exception raised inside the reader's function into a :class:`Mistake` that names the case
    (the original traceback stays attached), and explains a wrong shape with ``shape_hint``.
    """
    if not callable(fn):
        raise TypeError(f"{name}: expected your function, got {type(fn).__name__}")
    for i, case in enumerate(cases, 1):
        where = f"{name}, case {i} ({case.label})"
        args = tuple(_copy(a) for a in case.args)
        try:
            got = fn(*args)
        except NotImplementedError:
            raise Mistake(f"{name}: not written yet (replace `raise NotImplementedError` with "
                          f"your code)") from None
        except Mistake:
            raise
        except Exception as err:          # the reader's bug: say where, keep the traceback
            raise Mistake(f"{where}: your function raised {type(err).__name__}: {err}") from err
        for arg_name, before, after in zip(_arg_names(fn, len(args)), case.args, args):
            if isinstance(before, np.ndarray) and not np.array_equal(before, after,
                                                                     equal_nan=True):
                raise Mistake(f"{where}: your function changed its argument {arg_name} in "
                              f"place; compute a new array instead")
        tol = _tolerance(case)
        if case.parts is None:
            if isinstance(got, (int, float, np.generic)) and not isinstance(got, bool):
                got = np.asarray(got)
            _compare(where, got, case.want, case.mistakes,
                     None if case.shape_hint is None else (lambda s: case.shape_hint(s, None)),
                     case.check_dtype, tol)
            continue
        if not isinstance(got, (tuple, list)) or len(got) != len(case.parts):
            raise Mistake(f"{where}: your function returned {type(got).__name__}"
                          + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "")
                          + f"; expected a tuple ({', '.join(case.parts)})")
        for part, got_part, want_part, part_mistakes in zip(case.parts, got, case.want,
                                                            case.mistakes):
            hint = None if case.shape_hint is None else \
                (lambda s, part=part: case.shape_hint(s, part))
            _compare(f"{where}, {part}", got_part, want_part, part_mistakes, hint,
                     case.check_dtype, tol)
    if not quiet:
        print(f"{name}: all {len(cases)} cases pass")
    return len(cases)


def _arg_names(fn: Callable, n: int) -> list[str]:
    code = getattr(fn, "__code__", None)
    names = list(code.co_varnames[:code.co_argcount]) if code is not None else []
    return (names + [f"argument {k + 1}" for k in range(len(names), n)])[:n]


# --------------------------------------------------------------------------------------------
# Shapes: which formula does a wrong size come from?
# --------------------------------------------------------------------------------------------

def _size_formulas(n: int, f: int, p: int, s: int) -> list[tuple[int, str]]:
    """Sizes that common wrong formulas give for one axis, with what each one means."""
    right = (n + 2 * p - f) // s + 1
    out = [
        (n + 2 * p - f + 1, "that is n + 2p - f + 1, the size for stride 1: the stride was "
                            "left out (use floor((n + 2p - f) / s) + 1)"),
        ((n - f) // s + 1, "that is floor((n - f) / s) + 1: the padding was left out "
                           "(use floor((n + 2p - f) / s) + 1)"),
        ((n + 4 * p - f) // s + 1, "that is floor((n + 4p - f) / s) + 1: the padding was "
                                   "counted twice"),
        (math.ceil((n + 2 * p - f) / s) + 1, "that is ceil((n + 2p - f) / s) + 1: round down "
                                             "(floor), a window must fit inside the padded input"),
        ((n + 2 * p - f) // s, "that is floor((n + 2p - f) / s): the + 1 is missing (the first "
                               "window counts too)"),
        ((n - f) // f + 1, "that is floor((n - f) / f) + 1: the window size f was used as the "
                           "stride"),
        (n, "that is the input's size n: only 'same' padding with stride 1 keeps it"),
        (n + 2 * p, "that is n + 2p, the size of the padded input"),
    ]
    return [(size, text) for size, text in out if size != right]


def _spatial_hint(got_shape, want_shape, axes_args, names=("n_H", "n_W")) -> str | None:
    """Explain a wrong (m, n_C, n_H, n_W) shape: batch, channels, layout, or a formula."""
    if len(got_shape) != len(want_shape):
        return (f"expected {len(want_shape)} axes (m, n_C, n_H, n_W); yours has "
                f"{len(got_shape)}")
    m, c, h, w = want_shape
    if got_shape == (m, h, w, c):
        return ("that is channels last (NHWC, the course's assignment layout); this book "
                "stores arrays channels first, NCHW: (m, n_C, n_H, n_W)")
    if got_shape[0] != m:
        return f"the first axis must keep the m = {m} examples"
    if got_shape[1] != c:
        return f"the output must have one channel per filter (or per input channel for " \
               f"pooling): n_C = {c}"
    notes = []
    for axis, (n, f, p, s), label in zip((2, 3), axes_args, names):
        if got_shape[axis] == want_shape[axis]:
            continue
        for size, text in _size_formulas(n, f, p, s):
            if got_shape[axis] == size:
                notes.append(f"{label} = {size} with n = {n}, f = {f}, p = {p}, s = {s}: {text}")
                break
    return "; ".join(notes) or None


# --------------------------------------------------------------------------------------------
# Reference computations, right and wrong
# --------------------------------------------------------------------------------------------

def _pad(x, p, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=value)


def _conv(A, W, b, s, p, *, flip=False, bias=True, pad=None, window=None, channels="sum",
          one_example=False):
    """The convolution (cross-correlation) by loops, with switches for typical mistakes.

    ``pad`` is the padding applied (default ``p``); the output size always follows ``pad`` and
    ``s``. ``window`` is the step between window starts (default ``s``). ``channels``: 'sum'
    (right), 'first' (only input channel 0), 'all_filters' (every filter summed), 'bias_per_tap'.
    """
    pad = p if pad is None else pad
    window = s if window is None else window
    Ap = _pad(A, pad)
    Wk = W[..., ::-1, ::-1] if flip else W
    m, n_c = A.shape[0], W.shape[0]
    f = W.shape[-1]
    n_h = (A.shape[2] + 2 * pad - f) // s + 1
    n_w = (A.shape[3] + 2 * pad - f) // s + 1
    Z = np.zeros((m, n_c, n_h, n_w), dtype=np.float64)
    for i in range(m):
        a = Ap[0 if one_example else i]
        for h in range(n_h):
            for w in range(n_w):
                patch = a[:, h * window:h * window + f, w * window:w * window + f]
                for c in range(n_c):
                    if channels == "first":
                        z = np.sum(patch[0] * Wk[c, 0])
                    elif channels == "all_filters":
                        z = np.sum(patch * Wk)
                    elif channels == "bias_per_tap":
                        z = np.sum(patch * Wk[c] + b[c])
                    else:
                        z = np.sum(patch * Wk[c])
                    Z[i, c, h, w] = z + (b[c] if bias and channels != "bias_per_tap" else 0.0)
    return Z.astype(A.dtype)


def _pool(A, f, s, mode, *, window=None, across_channels=False, stride_used=None):
    s_used = s if stride_used is None else stride_used
    window = s_used if window is None else window
    m, n_c, H, Wd = A.shape
    n_h, n_w = (H - f) // s_used + 1, (Wd - f) // s_used + 1
    out = np.zeros((m, n_c, n_h, n_w), dtype=np.float64)
    reduce = np.max if mode == "max" else np.mean
    for i in range(m):
        for h in range(n_h):
            for w in range(n_w):
                patch = A[i, :, h * window:h * window + f, w * window:w * window + f]
                if across_channels:
                    out[i, :, h, w] = reduce(patch)
                else:
                    out[i, :, h, w] = reduce(patch.reshape(n_c, -1), axis=1)
    return out.astype(A.dtype)


_ORDERS = ("ihwc", "ichw")


def _conv_back(dZ, A, W, b, s, p, *, window=None, flip=False, swap=False, assign=False,
               order="ihwc", crop=True, mean=False, one_example=False):
    """The course's backward loop, with switches for typical mistakes.

    Returns (dA_prev, dW, db). ``assign`` overwrites (=) instead of accumulating (+=), in the
    loop ``order`` given; ``swap`` multiplies by the wrong factor (the input slice for dA, the
    filter for dW); ``crop=False`` returns dA_prev still padded; ``mean`` divides dW and db by m.
    """
    window = s if window is None else window
    Ap = _pad(A.astype(np.float64), p)
    dAp = np.zeros_like(Ap)
    f = W.shape[-1]
    Wk = W[..., ::-1, ::-1] if flip else W
    dW = np.zeros(W.shape, dtype=np.float64)
    db = np.zeros(W.shape[0], dtype=np.float64)
    m, n_c, n_h, n_w = dZ.shape
    if order == "ihwc":
        index = ((i, h, w, c) for i in range(m) for h in range(n_h) for w in range(n_w)
                 for c in range(n_c))
    else:
        index = ((i, c, h, w) for i in range(m) for c in range(n_c) for h in range(n_h)
                 for w in range(n_w))
    for i, *rest in index:
        if order == "ihwc":
            h, w, c = rest
        else:
            c, h, w = rest
        i_in = 0 if one_example else i
        rows = slice(h * window, h * window + f)
        cols = slice(w * window, w * window + f)
        g = dZ[i, c, h, w]
        a_slice = Ap[i_in, :, rows, cols]
        da = (a_slice if swap else Wk[c]) * g
        dw = (Wk[c] if swap else a_slice) * g
        if assign:
            dAp[i_in, :, rows, cols] = da
            dW[c] = dw
            db[c] = g
        else:
            dAp[i_in, :, rows, cols] += da
            dW[c] += dw
            db[c] += g
    if mean:
        dW, db = dW / m, db / m
    dA = dAp if not crop or p == 0 else dAp[:, :, p:-p, p:-p]
    return dA.astype(A.dtype), dW.astype(A.dtype), db.astype(A.dtype)


def _pool_back(dA, A, f, s, mode, *, rule=None, window=None, assign=False, order="ihwc",
               scale=None):
    """dA_prev of pooling by the course's loop. ``rule``: 'max', 'avg', 'spread' (dA to every
    tap, undivided); ``scale`` overrides the average's divisor."""
    rule = mode if rule is None else rule
    window = s if window is None else window
    out = np.zeros(A.shape, dtype=np.float64)
    m, n_c, n_h, n_w = dA.shape
    if order == "ihwc":
        index = [(i, h, w, c) for i in range(m) for h in range(n_h) for w in range(n_w)
                 for c in range(n_c)]
    else:
        index = [(i, h, w, c) for i in range(m) for c in range(n_c) for h in range(n_h)
                 for w in range(n_w)]
    for i, h, w, c in index:
        rows = slice(h * window, h * window + f)
        cols = slice(w * window, w * window + f)
        g = float(dA[i, c, h, w])
        window_vals = A[i, c, rows, cols]
        if rule == "max":
            share = (window_vals == window_vals.max()) * g
        elif rule == "avg":
            share = np.full(window_vals.shape, g / (f * f if scale is None else scale))
        else:
            share = np.full(window_vals.shape, g)
        if assign:
            out[i, c, rows, cols] = share
        else:
            out[i, c, rows, cols] += share
    return out.astype(A.dtype)


def _data(seed: int, *shapes, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


# --------------------------------------------------------------------------------------------
# zero_pad
# --------------------------------------------------------------------------------------------

def check_zero_pad(zero_pad: Callable, quiet: bool = False) -> None:
    """Check ``zero_pad(X, pad)``: zeros around the height and width of a batch.

    ``X`` is ``(m, n_C, n_H, n_W)``; the result is ``(m, n_C, n_H + 2 pad, n_W + 2 pad)``, the
    same dtype, with ``X`` in the middle and ``pad`` rows and columns of zeros on every side
    (the batch and channel axes are not padded). Names these mistakes: every axis padded, the
    course's NHWC axes padded, one side only, ``pad`` split over both sides, edge values instead
    of zeros, only the height padded, the dtype changed.
    """
    cases = []
    specs = [("one example, one channel, pad 1", (1, 1, 3, 3), 1, np.float64),
             ("pad 2, non-square", (1, 1, 3, 5), 2, np.float64),
             ("a batch with three channels", (2, 3, 4, 4), 2, np.float64),
             ("float32, pad 3", (3, 2, 5, 4), 3, np.float32)]
    for k, (label, shape, p, dtype) in enumerate(specs):
        (X,) = _data(10 + k, shape, dtype=dtype)
        X += 2.0                                         # no zeros inside: padding shows
        want = _pad(X, p)

        def hint(got_shape, part, X=X, p=p):
            m, c, h, w = X.shape
            if got_shape == (m + 2 * p, c + 2 * p, h + 2 * p, w + 2 * p):
                return "you padded every axis; pad only n_H and n_W (axes 2 and 3)"
            if got_shape == (m, c + 2 * p, h + 2 * p, w):
                return ("you padded axes 1 and 2, n_H and n_W in the course's NHWC layout; "
                        "here the layout is NCHW, so pad axes 2 and 3")
            if got_shape == (m, c, h + p, w + p):
                return "each axis grew by pad, not 2 pad: pad both sides"
            if got_shape == (m, c, h + 2 * p, w):
                return "only n_H was padded; pad n_W too"
            return None

        mistakes = [
            ("you padded pad // 2 on each side; pad is the amount on EACH side",
             lambda X=X, p=p: np.pad(X, ((0, 0), (0, 0), (p // 2, p - p // 2), (p // 2, p - p // 2)))),
            ("the padded values are copies of the border, not zeros (np.pad's mode must be "
             "'constant' with value 0)",
             lambda X=X, p=p: np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)), mode="edge")),
            ("you padded one side only; pad the top and bottom, left and right",
             lambda X=X, p=p: np.pad(X, ((0, 0), (0, 0), (p, 0), (p, 0)))),
            ("you padded one side only; pad the top and bottom, left and right",
             lambda X=X, p=p: np.pad(X, ((0, 0), (0, 0), (0, p), (0, p)))),
        ]
        cases.append(_Case(label, (X, p), want, mistakes, shape_hint=hint))
    _run("zero_pad", zero_pad, cases, quiet)


# --------------------------------------------------------------------------------------------
# conv_single_step
# --------------------------------------------------------------------------------------------

def check_conv_single_step(conv_single_step: Callable, quiet: bool = False) -> None:
    """Check ``conv_single_step(a_slice_prev, W, b)``: one filter on one window, one number.

    ``a_slice_prev`` and ``W`` are ``(n_C_prev, f, f)``, ``b`` is a float; the answer is
    :math:`\\sum a \\odot W + b`. Names these mistakes: the bias missing, the bias added to every
    product, the filter flipped, a mean instead of a sum, no sum at all.
    """
    cases = []
    for k, (label, shape) in enumerate([("one channel, 3 x 3", (1, 3, 3)),
                                        ("three channels, 3 x 3", (3, 3, 3)),
                                        ("four channels, 5 x 5", (4, 5, 5))]):
        a, W = _data(20 + k, shape, shape)
        b = float(np.random.default_rng(30 + k).standard_normal()) + 1.0
        want = np.asarray(np.sum(a * W) + b)

        def hint(got_shape, part, shape=shape):
            if got_shape == shape:
                return ("you returned the element-wise product; add its entries up "
                        "(np.sum) and add b")
            return None

        mistakes = [
            ("the bias b is missing: Z = sum(a_slice_prev * W) + b",
             lambda a=a, W=W: np.asarray(np.sum(a * W))),
            ("b was added to every product before the sum (it is added once, after it)",
             lambda a=a, W=W, b=b: np.asarray(np.sum(a * W + b))),
            ("the filter is flipped (a true convolution); deep-learning convolutions use W as "
             "it is (cross-correlation)",
             lambda a=a, W=W, b=b: np.asarray(np.sum(a * W[:, ::-1, ::-1]) + b)),
            ("you took the mean of the products; take their sum",
             lambda a=a, W=W, b=b: np.asarray(np.mean(a * W) + b)),
        ]
        cases.append(_Case(label, (a, W, b), want, mistakes, shape_hint=hint,
                           check_dtype=False))
    _run("conv_single_step", conv_single_step, cases, quiet)


# --------------------------------------------------------------------------------------------
# conv_forward
# --------------------------------------------------------------------------------------------

_CONV_SPECS = [
    # label, A_prev shape, (n_C, f), stride, pad, dtype
    ("one example, one channel, no padding, stride 1", (1, 1, 5, 5), (1, 3), 1, 0, np.float64),
    ("padding 1", (1, 1, 5, 5), (1, 3), 1, 1, np.float64),
    ("stride 2, padding 1", (1, 1, 7, 7), (1, 3), 2, 1, np.float64),
    ("three input channels, two filters", (1, 3, 6, 6), (2, 3), 1, 1, np.float64),
    ("a batch, stride 2, padding 2, non-square, uneven division", (2, 3, 9, 8), (4, 3), 2, 2,
     np.float64),
    ("float32, 5 x 5 filters, stride 3", (2, 2, 11, 10), (3, 5), 3, 1, np.float32),
]


def _conv_case_data(k, a_shape, n_c, f, dtype):
    A, W = _data(40 + k, a_shape, (n_c, a_shape[1], f, f), dtype=dtype)
    b = (np.random.default_rng(50 + k).standard_normal(n_c) + 1.0).astype(dtype)
    return A, W, b


def check_conv_forward(conv_forward: Callable, quiet: bool = False) -> None:
    """Check ``conv_forward(A_prev, W, b, stride, pad)``, the convolution layer's forward pass.

    ``A_prev`` is ``(m, n_C_prev, n_H_prev, n_W_prev)``, ``W`` ``(n_C, n_C_prev, f, f)``, ``b``
    ``(n_C,)``; the result ``Z`` is ``(m, n_C, n_H, n_W)`` with
    :math:`n_H = \\lfloor (n_{H,prev} + 2p - f)/s \\rfloor + 1` and

    .. math:: Z[i, c, h, w] = \\sum_{k, u, v} W[c, k, u, v]\\, A_{pad}[i, k, hs + u, ws + v] + b_c.

    Names these mistakes: a wrong output size (and the formula it comes from), padding applied
    twice or not at all, the stride ignored or used only for the size, the filter flipped, the
    bias missing or added to every product, only the first input channel used, every filter
    summed into each output, every example computed from the first, the layout NHWC, the dtype
    changed.
    """
    cases = []
    for k, (label, a_shape, (n_c, f), s, p, dtype) in enumerate(_CONV_SPECS):
        A, W, b = _conv_case_data(k, a_shape, n_c, f, dtype)
        want = _conv(A, W, b, s, p)
        axes = [(a_shape[2], f, p, s), (a_shape[3], f, p, s)]

        def hint(got_shape, part, want=want, axes=axes):
            return _spatial_hint(got_shape, want.shape, axes)

        mistakes = [
            ("the padding is missing: pad A_prev with zero_pad(A_prev, pad) first",
             lambda A=A, W=W, b=b, s=s, p=p: _conv(A, W, b, s, p, pad=0)),
            ("the padding was applied twice (pad the input once, then slide the filter over "
             "the padded input)", lambda A=A, W=W, b=b, s=s, p=p: _conv(A, W, b, s, p, pad=2 * p)),
            ("the stride is ignored: the windows moved one pixel at a time (start window h at "
             "row h * stride)", lambda A=A, W=W, b=b, p=p: _conv(A, W, b, 1, p)),
            ("the output has the right size but window h starts at row h instead of h * stride",
             lambda A=A, W=W, b=b, s=s, p=p: _conv(A, W, b, s, p, window=1)),
            ("the filter is flipped (a true convolution); the layer uses W as it is "
             "(cross-correlation)", lambda A=A, W=W, b=b, s=s, p=p: _conv(A, W, b, s, p, flip=True)),
            ("the bias is missing: add b[c] to every output of filter c",
             lambda A=A, W=W, b=b, s=s, p=p: _conv(A, W, b, s, p, bias=False)),
            ("b[c] was added to every product before the sum; add it once per output",
             lambda A=A, W=W, b=b, s=s, p=p: _conv(A, W, b, s, p, channels="bias_per_tap")),
            ("only input channel 0 was used: the sum runs over all n_C_prev channels of the "
             "window", lambda A=A, W=W, b=b, s=s, p=p: _conv(A, W, b, s, p, channels="first")),
            ("every output channel summed all the filters: output channel c uses filter W[c] "
             "only", lambda A=A, W=W, b=b, s=s, p=p: _conv(A, W, b, s, p, channels="all_filters")),
            ("every example was computed from the first one: use A_prev_pad[i] for example i",
             lambda A=A, W=W, b=b, s=s, p=p: _conv(A, W, b, s, p, one_example=True)),
        ]
        cases.append(_Case(label, (A, W, b, s, p), want, mistakes, shape_hint=hint))
    _run("conv_forward", conv_forward, cases, quiet)


# --------------------------------------------------------------------------------------------
# pool_forward
# --------------------------------------------------------------------------------------------

_POOL_SPECS = [
    # label, A_prev shape, f, stride, mode, dtype
    ("max, one channel, f = s = 2", (1, 1, 4, 4), 2, 2, "max", np.float64),
    ("average, one channel, f = s = 2", (1, 1, 4, 4), 2, 2, "avg", np.float64),
    ("max, f = 3, stride 1 (overlapping windows)", (1, 1, 5, 5), 3, 1, "max", np.float64),
    ("max, three channels, f = 2, stride 3", (1, 3, 8, 8), 2, 3, "max", np.float64),
    ("average, a batch, f = 3, stride 2, non-square", (2, 3, 7, 9), 3, 2, "avg", np.float64),
    ("max, float32, f = 3, stride 2", (2, 2, 9, 8), 3, 2, "max", np.float32),
]


def check_pool_forward(pool_forward: Callable, quiet: bool = False) -> None:
    """Check ``pool_forward(A_prev, f, stride, mode)``, max (``'max'``) or average (``'avg'``).

    ``A_prev`` is ``(m, n_C, n_H_prev, n_W_prev)``; the result is ``(m, n_C, n_H, n_W)`` with
    :math:`n_H = \\lfloor (n_{H,prev} - f)/s \\rfloor + 1`, each channel pooled on its own over
    windows ``A_prev[i, c, hs:hs+f, ws:ws+f]``. Names these mistakes: a wrong output size (and
    its formula), max and average swapped, the stride ignored, ``f`` used as the stride, windows
    starting at ``h`` instead of ``h * stride``, all channels pooled together, the dtype changed.
    """
    cases = []
    for k, (label, a_shape, f, s, mode, dtype) in enumerate(_POOL_SPECS):
        (A,) = _data(60 + k, a_shape, dtype=dtype)
        want = _pool(A, f, s, mode)
        axes = [(a_shape[2], f, 0, s), (a_shape[3], f, 0, s)]

        def hint(got_shape, part, want=want, axes=axes):
            return _spatial_hint(got_shape, want.shape, axes)

        other = "avg" if mode == "max" else "max"
        mistakes = [
            (f"you computed the {'average' if other == 'avg' else 'maximum'} where mode="
             f"{mode!r} asks for the {'maximum' if mode == 'max' else 'average'}",
             lambda A=A, f=f, s=s, other=other: _pool(A, f, s, other)),
            ("the stride is ignored: the windows moved one pixel at a time",
             lambda A=A, f=f, mode=mode: _pool(A, f, 1, mode)),
            ("the window size f was used as the stride; use the stride argument",
             lambda A=A, f=f, mode=mode: _pool(A, f, f, mode)),
            ("the output has the right size but window h starts at row h instead of h * stride",
             lambda A=A, f=f, s=s, mode=mode: _pool(A, f, s, mode, window=1)),
            ("all channels were pooled together; pooling works on each channel on its own, so "
             "n_C stays the same", lambda A=A, f=f, s=s, mode=mode:
                _pool(A, f, s, mode, across_channels=True)),
        ]
        cases.append(_Case(label, (A, f, s, mode), want, mistakes, shape_hint=hint))
    _run("pool_forward", pool_forward, cases, quiet)


# --------------------------------------------------------------------------------------------
# conv_backward
# --------------------------------------------------------------------------------------------

_CONV_BACK_SPECS = [
    ("one example, one channel, no padding, stride 1", (1, 1, 4, 4), (1, 3), 1, 0, np.float64),
    ("padding 1", (1, 1, 4, 4), (1, 3), 1, 1, np.float64),
    ("stride 2, padding 1 (windows overlap by one row)", (1, 1, 7, 7), (1, 3), 2, 1, np.float64),
    ("three input channels, two filters", (1, 3, 5, 5), (2, 3), 1, 1, np.float64),
    ("a batch, stride 2, padding 2, non-square", (3, 2, 7, 6), (4, 3), 2, 2, np.float64),
    ("float32, stride 3", (2, 2, 10, 9), (3, 4), 3, 1, np.float32),
]


def check_conv_backward(conv_backward: Callable, quiet: bool = False) -> None:
    """Check ``conv_backward(dZ, A_prev, W, b, stride, pad)``, returning ``(dA_prev, dW, db)``.

    The shapes are those of ``A_prev``, ``W`` and ``b``. For every example ``i``, filter ``c``
    and output position ``(h, w)`` with window ``A_pad[i, :, hs:hs+f, ws:ws+f]``:

    .. math:: dA_{pad}[\\text{window}] \\mathrel{+}= W[c]\\, dZ[i, c, h, w], \\quad
              dW[c] \\mathrel{+}= A_{pad}[\\text{window}]\\, dZ[i, c, h, w], \\quad
              db[c] \\mathrel{+}= dZ[i, c, h, w],

    then ``dA_prev`` is ``dA_pad`` without its padding. Names these mistakes: ``dA_prev`` still
    padded, ``=`` where windows overlap or examples add up (overwriting instead of ``+=``), the
    stride ignored in the windows, the filter flipped, the input slice and the filter swapped,
    the gradients averaged over the batch, every example taken from the first, ``db`` not summed
    or of another shape, the dtype changed.
    """
    parts = ("dA_prev", "dW", "db")
    cases = []
    for k, (label, a_shape, (n_c, f), s, p, dtype) in enumerate(_CONV_BACK_SPECS):
        A, W, b = _conv_case_data(70 + k, a_shape, n_c, f, dtype)
        z_shape = _conv(A, W, b, s, p).shape
        (dZ,) = _data(80 + k, z_shape, dtype=dtype)
        want = _conv_back(dZ, A, W, b, s, p)

        def variant(i, **kw):
            return lambda dZ=dZ, A=A, W=W, b=b, s=s, p=p: _conv_back(dZ, A, W, b, s, p, **kw)[i]

        def overwrite(i):
            return [("you overwrote (=) where the gradient must add up (+=): an input in two "
                     "windows, or a filter used at many positions, collects every contribution",
                     variant(i, assign=True, order=order)) for order in _ORDERS]

        dA_mistakes = [
            ("dA_prev still has its padding: return dA_prev_pad[:, :, pad:-pad, pad:-pad]",
             variant(0, crop=False)),
            *overwrite(0),
            ("window h starts at row h instead of h * stride", variant(0, window=1)),
            ("the filter is flipped here; in the loop the window's gradient is W[c] * dZ as it "
             "is (the flip appears only when dA_prev is written as one convolution)",
             variant(0, flip=True)),
            ("you multiplied dZ by the input slice; dA_prev collects W[c] * dZ[i, c, h, w]",
             variant(0, swap=True)),
            ("every example's gradient went to the first example: write to dA_prev_pad[i]",
             variant(0, one_example=True)),
        ]
        dW_mistakes = [
            *overwrite(1),
            ("dW was divided by the number of examples m; the loss's own mean is already in "
             "dZ, so dW is a plain sum", variant(1, mean=True)),
            ("window h starts at row h instead of h * stride", variant(1, window=1)),
            ("you multiplied dZ by the filter; dW[c] collects the input window times "
             "dZ[i, c, h, w]", variant(1, swap=True)),
            ("dW used the first example's input for every example: take the window from "
             "A_prev_pad[i]", variant(1, one_example=True)),
        ]
        db_full = want[2]
        db_mistakes = [
            *overwrite(2),
            ("db was divided by the number of examples m; it is a plain sum of dZ",
             variant(2, mean=True)),
            ("db is not summed over the examples: sum dZ over axes (0, 2, 3)",
             lambda dZ=dZ: dZ.sum(axis=(2, 3)).astype(dZ.dtype)),
            ("db is not summed over the positions: sum dZ over axes (0, 2, 3)",
             lambda dZ=dZ: dZ.sum(axis=0).astype(dZ.dtype)),
            ("the values are right but db must have b's shape (n_C,)",
             lambda db=db_full: db.reshape(1, -1, 1, 1)),
        ]
        shapes = {"dA_prev": A.shape, "dW": W.shape, "db": b.shape}

        def hint(got_shape, part, shapes=shapes, p=p):
            want_shape = shapes[part]
            if part == "dA_prev" and got_shape == want_shape[:2] + tuple(
                    n + 2 * p for n in want_shape[2:]):
                return "that is the padded size: crop pad rows and columns from each side"
            return f"{part} must have the shape of {dict(dA_prev='A_prev', dW='W', db='b')[part]}"

        cases.append(_Case(label, (dZ, A, W, b, s, p), want,
                           (dA_mistakes, dW_mistakes, db_mistakes), parts=parts,
                           shape_hint=hint))
    _run("conv_backward", conv_backward, cases, quiet)


# --------------------------------------------------------------------------------------------
# Pooling backward: the mask, the distributed value, the whole pass
# --------------------------------------------------------------------------------------------

def check_create_mask_from_window(create_mask_from_window: Callable, quiet: bool = False) -> None:
    """Check ``create_mask_from_window(x)``: True where ``x`` (an f x f window) has its maximum.

    Names these mistakes: the mask of the minimum, a mask that is True everywhere, the maximum's
    value returned instead of a mask.
    """
    cases = []
    for k, (label, shape) in enumerate([("2 x 2", (2, 2)), ("3 x 3", (3, 3)),
                                        ("3 x 3, maximum in a corner", (3, 3))]):
        rng = np.random.default_rng(90 + k)
        x = rng.permutation(np.arange(1.0, 1 + math.prod(shape))).reshape(shape) - 4.5
        if k == 2:
            x = x.copy()
            x[2, 2] = x.max() + 1
        want = x == np.max(x)

        def hint(got_shape, part, shape=shape):
            if got_shape == ():
                return "you returned one number; the mask is an array of x's shape"
            return None

        mistakes = [
            ("that is the mask of the minimum; mark the maximum (x == np.max(x))",
             lambda x=x: x == np.min(x)),
            ("your mask is True everywhere; only the maximum's position is True",
             lambda x=x: np.ones(x.shape, dtype=bool)),
        ]
        cases.append(_Case(label, (x,), want, mistakes, shape_hint=hint, check_dtype=False))
    _run("create_mask_from_window", create_mask_from_window, cases, quiet)


def check_distribute_value(distribute_value: Callable, quiet: bool = False) -> None:
    """Check ``distribute_value(dz, shape)``: ``dz`` spread evenly over a window of ``shape``.

    Every entry is ``dz / (n_H * n_W)``, so the entries add up to ``dz``. Names these mistakes:
    ``dz`` not divided, divided by one side only, divided by ``n_H + n_W``.
    """
    cases = []
    for label, dz, shape in [("2 x 2", 2.0, (2, 2)), ("3 x 3", 4.5, (3, 3)),
                             ("2 x 3", -1.2, (2, 3))]:
        n_h, n_w = shape
        want = np.full(shape, dz / (n_h * n_w))
        mistakes = [
            ("dz was copied to every position; divide it by the window's n_H * n_W entries so "
             "they add up to dz", lambda dz=dz, shape=shape: np.full(shape, dz)),
            ("dz was divided by one side only; divide by n_H * n_W",
             lambda dz=dz, shape=shape: np.full(shape, dz / shape[0])),
            ("dz was divided by one side only; divide by n_H * n_W",
             lambda dz=dz, shape=shape: np.full(shape, dz / shape[1])),
            ("dz was divided by n_H + n_W; divide by n_H * n_W",
             lambda dz=dz, shape=shape: np.full(shape, dz / (shape[0] + shape[1]))),
        ]
        cases.append(_Case(label, (dz, shape), want, mistakes, check_dtype=False))
    _run("distribute_value", distribute_value, cases, quiet)


_POOL_BACK_SPECS = [
    ("max, one channel, f = s = 2", (1, 1, 4, 4), 2, 2, "max", np.float64),
    ("average, one channel, f = s = 2", (1, 1, 4, 4), 2, 2, "avg", np.float64),
    ("max, f = 3, stride 2: overlapping windows", (1, 1, 7, 7), 3, 2, "max", np.float64),
    ("average, f = 3, stride 1: overlapping windows", (1, 1, 5, 5), 3, 1, "avg", np.float64),
    ("max, a batch with three channels, stride 3", (2, 3, 8, 7), 2, 3, "max", np.float64),
    ("average, float32, f = 3, stride 2", (2, 2, 9, 8), 3, 2, "avg", np.float32),
]


def check_pool_backward(pool_backward: Callable, quiet: bool = False) -> None:
    """Check ``pool_backward(dA, A_prev, f, stride, mode)``, returning ``dA_prev``.

    ``dA_prev`` has ``A_prev``'s shape. Max pooling sends each ``dA[i, c, h, w]`` to the
    position of its window's maximum; average pooling spreads it as ``dA / f^2`` over the window;
    where windows overlap, the contributions add up. Names these mistakes: the average's rule
    used for max pooling (or the reverse), the gradient copied to every position, overwriting
    (``=``) instead of adding where windows overlap, windows starting at ``h`` instead of
    ``h * stride``, the average divided by ``f`` instead of ``f^2``, the dtype changed.
    """
    cases = []
    for k, (label, a_shape, f, s, mode, dtype) in enumerate(_POOL_BACK_SPECS):
        (A,) = _data(100 + k, a_shape, dtype=dtype)
        (dA,) = _data(110 + k, _pool(A, f, s, mode).shape, dtype=dtype)
        want = _pool_back(dA, A, f, s, mode)

        def variant(**kw):
            return lambda dA=dA, A=A, f=f, s=s, mode=mode: _pool_back(dA, A, f, s, mode, **kw)

        mistakes = [
            *[("you overwrote (=) where windows overlap; an input in several windows collects "
               "every share (+=)", variant(assign=True, order=order)) for order in _ORDERS],
            ("window h starts at row h instead of h * stride", variant(window=1)),
            ("dA was copied to every position of the window, undivided",
             variant(rule="spread")),
        ]
        if mode == "max":
            mistakes.append(("you spread dA evenly (average pooling's rule); max pooling sends "
                             "all of it to the window's maximum (the mask)", variant(rule="avg")))
        else:
            mistakes += [
                ("you sent dA to the window's maximum (max pooling's rule); average pooling "
                 "spreads it evenly, dA / (f * f) to each position", variant(rule="max")),
                ("dA was divided by f; each of the f * f positions gets dA / (f * f)",
                 variant(scale=f)),
            ]

        def hint(got_shape, part, a_shape=a_shape):
            return f"dA_prev must have the shape of A_prev, {a_shape}"

        cases.append(_Case(label, (dA, A, f, s, mode), want, mistakes, shape_hint=hint))
    _run("pool_backward", pool_backward, cases, quiet)
