"""cnnlib.practice.part1: every checker passes right answers and names each typical mistake.

Each checker meets (a) the library's own op (numpy_ops), an independent right answer; (b) a
right answer written as a student would, with loops; (c) that same student code with one bug
each, which must get its own diagnosis, not just "wrong".
"""

import math

import numpy as np
import pytest

from cnnlib import numpy_ops as nops
from cnnlib.practice import Mistake
from cnnlib.practice import part1 as P


def passes(call) -> int:
    """Run a checker call (a function of no arguments) and return how many cases it says passed."""
    import contextlib
    import io
    import re
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert call() is None
    return int(re.search(r"all (\d+) cases pass", out.getvalue()).group(1))


# --------------------------------------------------------------------------------------------
# zero_pad
# --------------------------------------------------------------------------------------------

def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant",
                  constant_values=(0, 0))


def zero_pad_new_array(X, pad):
    m, c, h, w = X.shape
    out = np.zeros((m, c, h + 2 * pad, w + 2 * pad))            # float64, whatever X is
    out[:, :, pad:pad + h, pad:pad + w] = X
    return out


WRONG_ZERO_PAD = {
    "every axis": (lambda X, p: np.pad(X, p), "padded every axis"),
    "NHWC axes": (lambda X, p: np.pad(X, ((0, 0), (p, p), (p, p), (0, 0))), "NHWC"),
    "one side": (lambda X, p: np.pad(X, ((0, 0), (0, 0), (p, 0), (p, 0))), "one side only"),
    "half each side": (lambda X, p: np.pad(X, ((0, 0), (0, 0), (p // 2, p - p // 2),
                                               (p // 2, p - p // 2))), "EACH side"),
    "edge values": (lambda X, p: np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)), mode="edge"),
                    "copies of the border"),
    "height only": (lambda X, p: np.pad(X, ((0, 0), (0, 0), (p, p), (0, 0))), "only n_H"),
    "dtype": (zero_pad_new_array, "dtype is float64, expected float32"),
}


def test_zero_pad_right_answers_pass(capsys):
    assert passes(lambda: P.check_zero_pad(zero_pad)) == 4
    assert passes(lambda: P.check_zero_pad(lambda X, p: nops.pad(X, (p, p, p, p)))) == 4
    assert P.check_zero_pad(zero_pad, quiet=True) is None
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("name", WRONG_ZERO_PAD)
def test_zero_pad_mistakes_are_named(name):
    fn, diagnosis = WRONG_ZERO_PAD[name]
    with pytest.raises(Mistake, match=diagnosis):
        P.check_zero_pad(fn)


# --------------------------------------------------------------------------------------------
# conv_single_step
# --------------------------------------------------------------------------------------------

WRONG_SINGLE_STEP = {
    "no bias": (lambda a, W, b: np.sum(a * W), "bias b is missing"),
    "bias per product": (lambda a, W, b: np.sum(a * W + b), "added to every product"),
    "flipped": (lambda a, W, b: np.sum(a * W[:, ::-1, ::-1]) + b, "flipped"),
    "mean": (lambda a, W, b: np.mean(a * W) + b, "mean"),
    "no sum": (lambda a, W, b: a * W + b, "element-wise product"),
}


def test_conv_single_step_right_answers_pass():
    assert passes(lambda: P.check_conv_single_step(lambda a, W, b: float(np.sum(a * W) + b))) == 3
    assert passes(lambda: P.check_conv_single_step(lambda a, W, b: np.sum(a * W) + b)) == 3


@pytest.mark.parametrize("name", WRONG_SINGLE_STEP)
def test_conv_single_step_mistakes_are_named(name):
    fn, diagnosis = WRONG_SINGLE_STEP[name]
    with pytest.raises(Mistake, match=diagnosis):
        P.check_conv_single_step(fn)


# --------------------------------------------------------------------------------------------
# conv_forward: a student's loop with one switch per bug
# --------------------------------------------------------------------------------------------

def make_conv_forward(pad_times=1, stride="right", flip=False, bias="right", channels="right",
                      keep_dtype=True, layout="NCHW", batch="right", size="floor"):
    def conv_forward(A_prev, W, b, s, pad):
        m, n_C_prev, n_H_prev, n_W_prev = A_prev.shape
        n_C, _, f, _ = W.shape
        p = pad * pad_times
        s_size = 1 if stride == "ignored" else s
        step = 1 if stride in ("ignored", "window") else s
        rnd = math.ceil if size == "ceil" else math.floor
        extra = 0 if size == "no_plus_one" else 1
        n_H = rnd((n_H_prev + 2 * p - f) / s_size) + extra
        n_W = rnd((n_W_prev + 2 * p - f) / s_size) + extra
        Z = np.zeros((m, n_C, n_H, n_W), dtype=A_prev.dtype if keep_dtype else np.float64)
        if size != "floor":                           # a size bug: the windows that fit are right
            right = nops.conv2d(A_prev, W, b, stride=s, padding=pad)
            h, w = min(n_H, right.shape[2]), min(n_W, right.shape[3])
            Z[:, :, :h, :w] = right[:, :, :h, :w]
            return Z
        A_pad = zero_pad(A_prev, p)
        for i in range(m):
            a_prev_pad = A_pad[0 if batch == "first" else i]
            for h in range(n_H):
                for w in range(n_W):
                    a_slice = a_prev_pad[:, h * step:h * step + f, w * step:w * step + f]
                    for c in range(n_C):
                        weights = W[c][:, ::-1, ::-1] if flip else W[c]
                        if channels == "first":
                            z = np.sum(a_slice[0] * weights[0])
                        elif channels == "all":
                            z = np.sum(a_slice * W)
                        else:
                            z = np.sum(a_slice * weights)
                        if bias == "right":
                            z += b[c]
                        elif bias == "per_product":
                            z = np.sum(a_slice * weights + b[c])
                        Z[i, c, h, w] = z
        return Z.transpose(0, 2, 3, 1) if layout == "NHWC" else Z
    return conv_forward


WRONG_CONV_FORWARD = {
    "no padding": (dict(pad_times=0), "padding is missing"),
    "padding twice": (dict(pad_times=2), "padding was applied twice"),
    "stride ignored": (dict(stride="ignored"), "stride is ignored"),
    "stride only for size": (dict(stride="window"), "starts at row h instead of h \\* stride"),
    "flipped filter": (dict(flip=True), "filter is flipped"),
    "no bias": (dict(bias="none"), "bias is missing"),
    "bias per product": (dict(bias="per_product"), "added to every product"),
    "first channel only": (dict(channels="first"), "only input channel 0"),
    "all filters": (dict(channels="all"), "summed all the filters"),
    "first example": (dict(batch="first"), "computed from the first one"),
    "dtype": (dict(keep_dtype=False), "dtype is float64, expected float32"),
    "NHWC output": (dict(layout="NHWC"), "channels last \\(NHWC"),
    "ceil": (dict(size="ceil"), "ceil\\(\\(n \\+ 2p - f\\) / s\\) \\+ 1: round down"),
    "no + 1": (dict(size="no_plus_one"), "the \\+ 1 is missing"),
}


def test_conv_forward_right_answers_pass():
    assert passes(lambda: P.check_conv_forward(make_conv_forward())) == 6
    assert passes(lambda: P.check_conv_forward(
        lambda A, W, b, s, p: nops.conv2d(A, W, b, stride=s, padding=p))) == 6


@pytest.mark.parametrize("name", WRONG_CONV_FORWARD)
def test_conv_forward_mistakes_are_named(name):
    switches, diagnosis = WRONG_CONV_FORWARD[name]
    with pytest.raises(Mistake, match=diagnosis):
        P.check_conv_forward(make_conv_forward(**switches))


def test_conv_forward_reports_the_case_and_grows_in_difficulty():
    # The bias bug shows at the first case; the channel bug only once there are two filters.
    with pytest.raises(Mistake, match=r"case 1 \(one example, one channel"):
        P.check_conv_forward(make_conv_forward(bias="none"))
    with pytest.raises(Mistake, match=r"case 4 \(three input channels, two filters\)"):
        P.check_conv_forward(make_conv_forward(channels="all"))
    with pytest.raises(Mistake, match=r"case 6 \(float32"):
        P.check_conv_forward(make_conv_forward(keep_dtype=False))


# --------------------------------------------------------------------------------------------
# pool_forward
# --------------------------------------------------------------------------------------------

def make_pool_forward(mode_rule="right", stride="right", channels="right", keep_dtype=True):
    def pool_forward(A_prev, f, s, mode="max"):
        m, n_C, n_H_prev, n_W_prev = A_prev.shape
        s_size = {"ignored": 1, "f": f}.get(stride, s)
        step = 1 if stride in ("ignored", "window") else s_size
        n_H, n_W = (n_H_prev - f) // s_size + 1, (n_W_prev - f) // s_size + 1
        A = np.zeros((m, n_C, n_H, n_W), dtype=A_prev.dtype if keep_dtype else np.float64)
        use = mode if mode_rule == "right" else ("avg" if mode == "max" else "max")
        for i in range(m):
            for h in range(n_H):
                for w in range(n_W):
                    for c in range(n_C):
                        if channels == "all":
                            window = A_prev[i, :, h * step:h * step + f, w * step:w * step + f]
                        else:
                            window = A_prev[i, c, h * step:h * step + f, w * step:w * step + f]
                        A[i, c, h, w] = np.max(window) if use == "max" else np.mean(window)
        return A
    return pool_forward


def library_pool_forward(A_prev, f, s, mode="max"):
    op = nops.max_pool2d if mode == "max" else nops.avg_pool2d
    return op(A_prev, f, s)


WRONG_POOL_FORWARD = {
    "modes swapped": (dict(mode_rule="swapped"), "where mode='max' asks for the maximum"),
    "stride ignored": (dict(stride="ignored"), "stride is ignored"),
    "f as stride": (dict(stride="f"), "window size f was used as the stride"),
    "stride only for size": (dict(stride="window"), "instead of h \\* stride"),
    "channels together": (dict(channels="all"), "pooled together"),
    "dtype": (dict(keep_dtype=False), "dtype is float64"),
}


def test_pool_forward_right_answers_pass():
    assert passes(lambda: P.check_pool_forward(make_pool_forward())) == 6
    assert passes(lambda: P.check_pool_forward(library_pool_forward)) == 6


@pytest.mark.parametrize("name", WRONG_POOL_FORWARD)
def test_pool_forward_mistakes_are_named(name):
    switches, diagnosis = WRONG_POOL_FORWARD[name]
    with pytest.raises(Mistake, match=diagnosis):
        P.check_pool_forward(make_pool_forward(**switches))


def test_pool_forward_average_taken_as_max_is_named():
    def always_max(A_prev, f, s, mode="max"):
        return nops.max_pool2d(A_prev, f, s)
    with pytest.raises(Mistake, match=r"case 2 .*you computed the maximum where mode='avg'"):
        P.check_pool_forward(always_max)


# --------------------------------------------------------------------------------------------
# conv_backward
# --------------------------------------------------------------------------------------------

def make_conv_backward(crop=True, accumulate=True, stride="right", flip=False, swap=False,
                       mean=False, db_sum="right", batch="right", keep_dtype=True):
    def conv_backward(dZ, A_prev, W, b, s, pad):
        m, n_C, n_H, n_W = dZ.shape
        f = W.shape[-1]
        step = 1 if stride == "window" else s
        dtype = A_prev.dtype if keep_dtype else np.float64
        A_pad = zero_pad(A_prev, pad)
        dA_pad = np.zeros(A_pad.shape, dtype=dtype)
        dW = np.zeros(W.shape, dtype=dtype)
        db = np.zeros(b.shape, dtype=dtype)
        for i in range(m):
            k = 0 if batch == "first" else i
            for h in range(n_H):
                for w in range(n_W):
                    for c in range(n_C):
                        rows = slice(h * step, h * step + f)
                        cols = slice(w * step, w * step + f)
                        a_slice = A_pad[k, :, rows, cols]
                        weights = W[c][:, ::-1, ::-1] if flip else W[c]
                        g = dZ[i, c, h, w]
                        da, dw = (a_slice * g, weights * g) if swap else (weights * g, a_slice * g)
                        if accumulate:
                            dA_pad[k, :, rows, cols] += da
                            dW[c] += dw
                            db[c] += g
                        else:
                            dA_pad[k, :, rows, cols] = da
                            dW[c] = dw
                            db[c] = g
        if mean:
            dW, db = dW / m, db / m
        if db_sum == "per_example":
            db = dZ.sum(axis=(2, 3))
        elif db_sum == "4d":
            db = db.reshape(1, -1, 1, 1)
        dA_prev = dA_pad[:, :, pad:pad + A_prev.shape[2], pad:pad + A_prev.shape[3]] if crop \
            else dA_pad
        return dA_prev, dW, db
    return conv_backward


def library_conv_backward(dZ, A_prev, W, b, s, pad):
    return nops.conv2d_backward(dZ, A_prev, W, b, stride=s, padding=pad)


WRONG_CONV_BACKWARD = {
    "not cropped": (dict(crop=False), "dA_prev still has its padding"),
    "overwrite": (dict(accumulate=False), "overwrote \\(=\\)"),
    "stride ignored in windows": (dict(stride="window"), "instead of h \\* stride"),
    "flipped filter": (dict(flip=True), "dA_prev: the filter is flipped here"),
    "factors swapped": (dict(swap=True), "dA_prev collects W\\[c\\] \\* dZ"),
    "mean over batch": (dict(mean=True), "dW was divided by the number of examples"),
    "db per example": (dict(db_sum="per_example"), "db is not summed over the examples"),
    "db 4-D": (dict(db_sum="4d"), "db must have b's shape"),
    "first example": (dict(batch="first"), "went to the first example"),
    "dtype": (dict(keep_dtype=False), "dtype is float64, expected float32"),
}


def test_conv_backward_right_answers_pass():
    assert passes(lambda: P.check_conv_backward(make_conv_backward())) == 6
    assert passes(lambda: P.check_conv_backward(library_conv_backward)) == 6


@pytest.mark.parametrize("name", WRONG_CONV_BACKWARD)
def test_conv_backward_mistakes_are_named(name):
    switches, diagnosis = WRONG_CONV_BACKWARD[name]
    with pytest.raises(Mistake, match=diagnosis):
        P.check_conv_backward(make_conv_backward(**switches))


def test_conv_backward_names_the_output_and_its_shape():
    def dA_only(dZ, A_prev, W, b, s, pad):
        return library_conv_backward(dZ, A_prev, W, b, s, pad)[0]
    with pytest.raises(Mistake, match=r"returned ndarray; expected a tuple \(dA_prev, dW, db\)"):
        P.check_conv_backward(dA_only)

    def transposed_dW(dZ, A_prev, W, b, s, pad):
        dA, dW, db = library_conv_backward(dZ, A_prev, W, b, s, pad)
        return dA, dW.transpose(1, 0, 2, 3), db
    with pytest.raises(Mistake, match=r", dW: .*dW must have the shape of W"):
        P.check_conv_backward(transposed_dW)


# --------------------------------------------------------------------------------------------
# The mask, the distributed value, pool_backward
# --------------------------------------------------------------------------------------------

def test_mask_and_distribute_right_answers_pass():
    assert passes(lambda: P.check_create_mask_from_window(lambda x: x == np.max(x))) == 3
    assert passes(lambda: P.check_create_mask_from_window(
        lambda x: (x == x.max()).astype(float))) == 3
    assert passes(lambda: P.check_distribute_value(
        lambda dz, shape: np.ones(shape) * dz / (shape[0] * shape[1]))) == 3


@pytest.mark.parametrize("fn,diagnosis", [
    (lambda x: x == np.min(x), "mask of the minimum"),
    (lambda x: np.ones_like(x, dtype=bool), "True everywhere"),
    (lambda x: np.max(x), "returned one number"),
])
def test_mask_mistakes_are_named(fn, diagnosis):
    with pytest.raises(Mistake, match=diagnosis):
        P.check_create_mask_from_window(fn)


@pytest.mark.parametrize("fn,diagnosis", [
    (lambda dz, shape: np.full(shape, dz), "copied to every position"),
    (lambda dz, shape: np.full(shape, dz / shape[0]), "one side only"),
    (lambda dz, shape: np.full(shape, dz / (shape[0] + shape[1])), "n_H \\+ n_W"),
])
def test_distribute_mistakes_are_named(fn, diagnosis):
    with pytest.raises(Mistake, match=diagnosis):
        P.check_distribute_value(fn)


def make_pool_backward(rule="right", accumulate=True, stride="right", divisor="f*f",
                       keep_dtype=True):
    def pool_backward(dA, A_prev, f, s, mode="max"):
        m, n_C, n_H, n_W = dA.shape
        step = 1 if stride == "window" else s
        dA_prev = np.zeros(A_prev.shape, dtype=A_prev.dtype if keep_dtype else np.float64)
        use = {"right": mode, "swapped": "avg" if mode == "max" else "max"}.get(rule, rule)
        for i in range(m):
            for h in range(n_H):
                for w in range(n_W):
                    for c in range(n_C):
                        rows = slice(h * step, h * step + f)
                        cols = slice(w * step, w * step + f)
                        g = dA[i, c, h, w]
                        if use == "max":
                            window = A_prev[i, c, rows, cols]
                            share = (window == np.max(window)) * g
                        elif use == "avg":
                            share = np.ones((f, f)) * g / (f * f if divisor == "f*f" else f)
                        else:                                   # "copy"
                            share = np.ones((f, f)) * g
                        if accumulate:
                            dA_prev[i, c, rows, cols] += share
                        else:
                            dA_prev[i, c, rows, cols] = share
        return dA_prev
    return pool_backward


def library_pool_backward(dA, A_prev, f, s, mode="max"):
    op = nops.max_pool2d_backward if mode == "max" else nops.avg_pool2d_backward
    return op(dA, A_prev, f, s)


WRONG_POOL_BACKWARD = {
    "max as average": (dict(rule="swapped"), "average pooling's rule"),
    "copied": (dict(rule="copy"), "copied to every position"),
    "overwrite": (dict(accumulate=False), "overwrote \\(=\\) where windows overlap"),
    "stride only for size": (dict(stride="window"), "instead of h \\* stride"),
    "divided by f": (dict(divisor="f"), "divided by f;"),
    "dtype": (dict(keep_dtype=False), "dtype is float64"),
}


def test_pool_backward_right_answers_pass():
    assert passes(lambda: P.check_pool_backward(make_pool_backward())) == 6
    assert passes(lambda: P.check_pool_backward(library_pool_backward)) == 6


@pytest.mark.parametrize("name", WRONG_POOL_BACKWARD)
def test_pool_backward_mistakes_are_named(name):
    switches, diagnosis = WRONG_POOL_BACKWARD[name]
    with pytest.raises(Mistake, match=diagnosis):
        P.check_pool_backward(make_pool_backward(**switches))


def test_pool_backward_average_as_max_is_named():
    def always_max(dA, A_prev, f, s, mode="max"):
        return nops.max_pool2d_backward(dA, A_prev, f, s)
    with pytest.raises(Mistake, match=r"case 2 .*max pooling's rule"):
        P.check_pool_backward(always_max)


# --------------------------------------------------------------------------------------------
# What every checker does with a function that is not written, crashes or cheats
# --------------------------------------------------------------------------------------------

CHECKERS = [P.check_zero_pad, P.check_conv_single_step, P.check_conv_forward,
            P.check_pool_forward, P.check_conv_backward, P.check_create_mask_from_window,
            P.check_distribute_value, P.check_pool_backward]


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.__name__)
def test_every_checker_handles_unwritten_and_crashing_functions(checker):
    def todo(*args):
        raise NotImplementedError

    with pytest.raises(Mistake, match="not written yet"):
        checker(todo)

    def crash(*args):
        return args[0][99, 99, 99, 99]                 # an IndexError inside the student's code

    with pytest.raises(Mistake, match=r"case 1 .*your function raised") as info:
        checker(crash)
    assert info.value.__cause__ is not None            # the student's traceback is kept
    with pytest.raises(TypeError, match="expected your function"):
        checker("zero_pad")


def test_a_function_that_changes_its_input_is_refused():
    def pad_and_scribble(X, pad):
        out = zero_pad(X, pad)
        X[...] = 0
        return out
    with pytest.raises(Mistake, match="changed its argument X in place"):
        P.check_zero_pad(pad_and_scribble)
