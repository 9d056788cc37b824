"""Multiplication counts against torch's own FLOP counter (one multiply-add = 2 FLOPs)."""

import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch.utils.flop_counter import FlopCounterMode

from cnnlib import shapes


def _mults(module, x):
    with FlopCounterMode(display=False) as counter:
        module(x)
    return counter.get_total_flops() // 2


@settings(max_examples=20, deadline=None)
@given(n_in=st.integers(1, 300), n_out=st.integers(1, 300))
def test_linear_mults_matches_torch_flop_counter(n_in, n_out):
    layer = torch.nn.Linear(n_in, n_out)
    assert shapes.linear_mults(n_in, n_out) == _mults(layer, torch.zeros(1, n_in))
    # the count is the weight count without the biases
    assert shapes.linear_mults(n_in, n_out) == shapes.linear_params(n_in, n_out, bias=False)


def test_conv_mults_matches_torch_flop_counter():
    conv = torch.nn.Conv2d(3, 8, 5)
    assert shapes.conv_mults(3, 8, 5, 28) == _mults(conv, torch.zeros(1, 3, 32, 32))


def test_linear_mults_rejects_bad_sizes():
    with pytest.raises(TypeError, match="linear_mults"):
        shapes.linear_mults(3.5, 2)
    with pytest.raises(ValueError, match="linear_mults"):
        shapes.linear_mults(0, 2)
