"""Part 5's practice checkers pass a right answer and name each typical wrong one."""

import numpy as np
import pytest

from cnnlib.practice import Mistake
from cnnlib.practice.part5 import check_content_cost, check_gram_matrix, check_layer_style_cost


def gram(A):
    return A @ A.T


def unroll(a):
    _, n_h, n_w, n_c = a.shape
    return a.reshape(n_h * n_w, n_c).T


def style_cost(a_S, a_G):
    _, n_h, n_w, n_c = a_S.shape
    return np.sum((gram(unroll(a_S)) - gram(unroll(a_G))) ** 2) / (2 * n_h * n_w * n_c) ** 2


def content_cost(a_C, a_G):
    _, n_h, n_w, n_c = a_C.shape
    return np.sum((a_C - a_G) ** 2) / (4 * n_h * n_w * n_c)


def test_right_answers_pass(capsys):
    assert check_gram_matrix(gram) == 5
    assert check_gram_matrix(lambda A: np.einsum("kp,lp->kl", A, A)) == 5
    assert check_layer_style_cost(style_cost) == 5
    assert check_layer_style_cost(lambda s, g: float(style_cost(s, g))) == 5   # a Python float
    assert check_content_cost(content_cost) == 3
    assert "all 3 cases pass" in capsys.readouterr().out


GRAM_WRONG = [
    (lambda A: A.T @ A, r"wrong axis: you computed A\^T A, of size \(n_H n_W\) x \(n_H n_W\)"),
    (lambda A: A * A, "elementwise"),
    (lambda A: A @ A.T / A.shape[1], "divided by n_H n_W"),
    (lambda A: (A @ A.T).astype(np.float64), "dtype is float64"),
    (lambda A: A @ A.T + 1, "wrong values"),
]


@pytest.mark.parametrize("fn, diagnosis", GRAM_WRONG)
def test_gram_mistakes_are_named(fn, diagnosis):
    with pytest.raises(Mistake, match=diagnosis):
        check_gram_matrix(fn)


def _style_variant(unroll_fn=unroll, gram_fn=gram, norm=lambda h, w, c: (2 * h * w * c) ** 2,
                   reduce=lambda d: np.sum(d ** 2)):
    def fn(a_S, a_G):
        _, h, w, c = a_S.shape
        return reduce(gram_fn(unroll_fn(a_S)) - gram_fn(unroll_fn(a_G))) / norm(h, w, c)
    return fn


STYLE_WRONG = [
    (_style_variant(gram_fn=lambda m: m.T @ m), "wrong axis"),
    (_style_variant(unroll_fn=lambda a: a.reshape(a.shape[3], -1)), "bare reshape"),
    (_style_variant(norm=lambda h, w, c: 1), "normalisation is missing"),
    (_style_variant(norm=lambda h, w, c: 2 * h * w * c), "normalisation is not squared"),
    (_style_variant(norm=lambda h, w, c: 4 * h * w * c), "content cost's normalisation"),
    (_style_variant(norm=lambda h, w, c: 4 * c * c * h * w), "squared wrongly"),
    (_style_variant(reduce=lambda d: np.sum(np.abs(d))), "not squared"),
    (_style_variant(reduce=lambda d: np.sqrt(np.sum(d ** 2))), "square root"),
    (lambda a_S, a_G: np.zeros(3), r"shape \(3,\), expected \(\)"),
    (lambda a_S, a_G: "cost", "returned str"),
]


@pytest.mark.parametrize("fn, diagnosis", STYLE_WRONG)
def test_style_cost_mistakes_are_named(fn, diagnosis):
    with pytest.raises(Mistake, match=diagnosis):
        check_layer_style_cost(fn)


CONTENT_WRONG = [
    (lambda c, g: np.sum((c - g) ** 2), "normalisation 1 / \\(4 n_H n_W n_C\\) is missing"),
    (lambda c, g: np.mean((c - g) ** 2), "mean of the squared differences"),
    (lambda c, g: np.sum((c - g) ** 2) / (2 * c.size), "divided by 2 n_H n_W n_C"),
    (lambda c, g: np.sum((c - g) ** 2) / (2 * c.size) ** 2, "style cost's normalisation"),
]


@pytest.mark.parametrize("fn, diagnosis", CONTENT_WRONG)
def test_content_cost_mistakes_are_named(fn, diagnosis):
    with pytest.raises(Mistake, match=diagnosis):
        check_content_cost(fn)


def test_unwritten_and_non_functions():
    def todo(A):
        raise NotImplementedError

    with pytest.raises(Mistake, match="not written yet"):
        check_gram_matrix(todo)
    with pytest.raises(TypeError, match="your function"):
        check_layer_style_cost(None)
