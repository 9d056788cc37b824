"""numpy_ops and torch_ops agree with torch.nn.functional, forward and backward, for every op.

Driven by the registry (``registry.py``): hypothesis draws valid arguments for each op
(shapes, strides, paddings, dilations, groups, ceil_mode, reductions, both float dtypes);
the oracle is torch.nn.functional for forwards (values and dtype) and torch autograd for
the ``<op>_backward`` of both namespaces and for autograd through the torch twin.
"""

import pytest
from hypothesis import given, settings

from compare import value_scale, assert_same, call_with_grads, check_backward
from registry import OPS, to_torch


def check_forward_and_backward(op, sample):
    """The NumPy op and its twin against the oracle, then the backward passes."""
    args, kwargs = sample.args, sample.kwargs
    expected, targs = call_with_grads(op.oracle, args, kwargs, op.grads)
    scale = value_scale(sample.scale, *args)
    assert_same(op.numpy(*args, **kwargs), expected, scale, f"numpy_ops.{op.name}")
    assert_same(op.torch(*to_torch(args), **to_torch(kwargs)), expected, scale,
                f"torch_ops.{op.name}")
    check_backward(op, args, kwargs, expected, targs, scale)


@pytest.mark.parametrize("op", OPS, ids=repr)
def test_forward_and_backward_match_torch(op):
    @settings(max_examples=op.examples)
    @given(op.samples)
    def check(sample):
        check_forward_and_backward(op, sample)

    check()
