"""cnnlib.shapes: the arithmetic matches real layers."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from cnnlib import numpy_ops as N
from cnnlib import shapes


@given(st.integers(1, 40), st.integers(1, 7), st.integers(0, 3), st.integers(1, 4),
       st.integers(1, 3))
def test_output_size_matches_torch_conv(n, f, p, s, d):
    x = torch.zeros(1, 1, n)
    w = torch.zeros(1, 1, f)
    try:
        expected = torch.nn.functional.conv1d(x, w, stride=s, padding=p, dilation=d).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError):
            shapes.output_size(n, f, p, s, d)
        return
    assert shapes.output_size(n, f, p, s, d) == expected


@given(st.integers(1, 40), st.integers(1, 7), st.integers(1, 4), st.integers(1, 3))
def test_output_size_ceil_mode_matches_torch_pool(n, f, s, d):
    p = f // 2
    try:
        expected = torch.nn.functional.max_pool1d(torch.zeros(1, 1, n), f, s, p, d,
                                                  ceil_mode=True).shape[-1]
    except RuntimeError:
        return
    assert shapes.output_size(n, f, p, s, d, ceil_mode=True) == expected


@given(st.integers(1, 9), st.integers(1, 3))
def test_same_padding_keeps_the_size(f, d):
    left, right = shapes.same_padding(f, d)
    x = np.zeros((1, 1, 11))
    out = N.conv1d(N.pad(x, (left, right)), np.zeros((1, 1, f)), dilation=d)
    assert out.shape[-1] == 11
    assert (left, right) == ((f - 1) * d // 2, (f - 1) * d - (f - 1) * d // 2)


@given(st.integers(1, 8), st.integers(1, 5), st.integers(0, 2), st.integers(1, 3),
       st.integers(1, 2))
def test_transposed_output_size_matches_torch(n, f, p, s, d):
    try:
        expected = torch.nn.functional.conv_transpose1d(
            torch.zeros(1, 1, n), torch.zeros(1, 1, f), stride=s, padding=p, dilation=d).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError):
            shapes.transposed_output_size(n, f, p, s, d)
        return
    assert shapes.transposed_output_size(n, f, p, s, d) == expected


def test_receptive_field_by_brute_force():
    """Perturb one input pixel and see which outputs change: the field the formula predicts."""
    layers = [(3, 1, 1), (2, 2, 1), (3, 1, 2), (3, 2, 1)]
    r, j = shapes.receptive_field(layers)[-1]
    n = 64
    def net(x):
        for f, s, d in layers:
            x = N.conv1d(x, np.ones((1, 1, f)), stride=s, dilation=d)
        return x
    base = net(np.zeros((1, 1, n)))

    def inputs_reaching(output):
        reached = []
        for i in range(n):
            x = np.zeros((1, 1, n))
            x[0, 0, i] = 1.0
            if net(x)[0, 0, output] != base[0, 0, output]:
                reached.append(i)
        return reached

    touched = inputs_reaching(0)
    assert touched[-1] - touched[0] + 1 == r
    moved = inputs_reaching(1)
    assert moved[0] - touched[0] == j


def test_counts_match_torch_modules():
    assert shapes.conv_params(3, 8, 5) == sum(p.numel() for p in nn.Conv2d(3, 8, 5).parameters())
    assert shapes.conv_params(6, 9, (3, 2), groups=3) == sum(
        p.numel() for p in nn.Conv2d(6, 9, (3, 2), groups=3).parameters())
    assert shapes.conv_params(4, 4, 3, bias=False) == 4 * 4 * 9
    assert shapes.linear_params(400, 120) == 48120
    assert shapes.dense_params((32, 32, 3), 10) == 3072 * 10 + 10
    assert shapes.conv_mults(3, 8, 5, 28) == 8 * 28 * 28 * 3 * 25
    with pytest.raises(ValueError, match="divisible by groups"):
        shapes.conv_params(3, 8, 3, groups=2)
    with pytest.raises(TypeError, match="n must be an int"):
        shapes.output_size(3.5, 2)
