"""cnnlib.practice.part2: each checker passes the right answer and names each typical mistake."""

import numpy as np
import pytest

from cnnlib import numpy_ops as nops
from cnnlib.practice import Mistake
from cnnlib.practice.part2 import check_batch_norm_forward, check_residual_block


def bn_right(x, gamma, beta, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


def _bn_variant(axes_of=None, ddof=0, eps_where="inside", power=0.5, swap=False, affine="both"):
    def fn(x, gamma, beta, eps=1e-5):
        axes = axes_of(x) if axes_of else (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True, ddof=ddof)
        if eps_where == "inside":
            x_hat = (x - mean) / (var + eps) ** power
        elif eps_where == "outside":
            x_hat = (x - mean) / (np.sqrt(var) + eps)
        else:
            x_hat = (x - mean) / np.sqrt(var)
        g, b = (beta, gamma) if swap else (gamma, beta)
        if affine in ("both", "gamma"):
            x_hat = x_hat * g.reshape(shape)
        if affine in ("both", "beta"):
            x_hat = x_hat + b.reshape(shape)
        return x_hat
    return fn


BN_WRONG = [
    (_bn_variant(axes_of=lambda x: tuple(range(1, x.ndim))), "each example separately"),
    (_bn_variant(axes_of=lambda x: (0,)), "batch axis only"),
    (_bn_variant(axes_of=lambda x: tuple(range(2, x.ndim))), "instance norm"),
    (_bn_variant(axes_of=lambda x: tuple(range(x.ndim))), "one mean and variance"),
    (_bn_variant(ddof=1), "unbiased variance"),
    (_bn_variant(eps_where="outside"), "eps belongs inside"),
    (_bn_variant(eps_where="none"), "left out eps"),
    (_bn_variant(power=1.0), "divided by the variance"),
    (_bn_variant(swap=True), "swapped"),
    (_bn_variant(affine="none"), "left out gamma and beta"),
    (_bn_variant(affine="gamma"), "left out beta"),
    (_bn_variant(affine="beta"), "left out gamma"),
]


def test_batch_norm_checker_passes_the_right_answer(capsys):
    assert check_batch_norm_forward(bn_right) == 3
    assert "all 3 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("fn, diagnosis", BN_WRONG, ids=[d for _, d in BN_WRONG])
def test_batch_norm_checker_names_each_mistake(fn, diagnosis):
    with pytest.raises(Mistake, match=diagnosis):
        check_batch_norm_forward(fn)


def test_batch_norm_checker_reports_dtype_and_unknown_errors():
    with pytest.raises(Mistake, match="dtype is float64"):
        check_batch_norm_forward(lambda x, g, b, eps=1e-5: bn_right(x, g, b, eps).astype(
            np.float64))
    with pytest.raises(Mistake, match="largest difference"):
        check_batch_norm_forward(lambda x, g, b, eps=1e-5: bn_right(x, g, b, eps) + 0.5)


def block_right(x, w1, b1, w2, b2):
    a1 = nops.relu(nops.conv2d(x, w1, b1, padding=1))
    return nops.relu(nops.conv2d(a1, w2, b2, padding=1) + x)


def _block_variant(kind):
    def fn(x, w1, b1, w2, b2):
        a1 = nops.conv2d(x, w1, b1, padding=1)
        if kind != "no middle relu":
            a1 = nops.relu(a1)
        z2 = nops.conv2d(a1, w2, b2, padding=1)
        if kind == "after":
            return nops.relu(z2) + x
        if kind == "no skip":
            return nops.relu(z2)
        if kind == "first":
            return nops.relu(z2 + a1)
        if kind == "no last relu":
            return z2 + x
        return nops.relu(z2 + x)
    return fn


BLOCK_WRONG = [
    ("after", "after the activation"),
    ("no skip", "skip connection is missing"),
    ("first", "first layer's activation"),
    ("no last relu", "last ReLU is missing"),
    ("no middle relu", "between the two convolutions"),
]


def test_residual_checker_passes_the_right_answer(capsys):
    assert check_residual_block(block_right) == 3
    assert "all 3 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("kind, diagnosis", BLOCK_WRONG, ids=[k for k, _ in BLOCK_WRONG])
def test_residual_checker_names_each_mistake(kind, diagnosis):
    with pytest.raises(Mistake, match=diagnosis):
        check_residual_block(_block_variant(kind))


def test_residual_checker_catches_a_shape_error_and_unwritten_code():
    with pytest.raises(Mistake, match="shape"):
        check_residual_block(lambda x, w1, b1, w2, b2: x[..., 1:-1, 1:-1])

    def todo(*args):
        raise NotImplementedError

    with pytest.raises(Mistake, match="not written yet"):
        check_residual_block(todo)
