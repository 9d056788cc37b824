"""Bad input gets a clear ValueError or TypeError naming the argument; what torch rejects, so
do both twins.

Driven by the registry (``registry.py``): each op's ``bad`` cases, and its ``wild`` strategy,
which draws arguments near and past the edges of validity (zero or negative strides,
kernels larger than the input, groups that do not divide the channels, ...).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings

from cnnlib import torch_ops as T
from compare import assert_clear, check_like_torch
from registry import OPS, to_torch

BAD = [(op, i, bad) for op in OPS for i, bad in enumerate(op.bad)]


@pytest.mark.parametrize("op,i,bad", BAD, ids=[f"{op.name}-{i}" for op, i, _ in BAD])
def test_bad_input_raises_a_clear_error_in_both_namespaces(op, i, bad):
    ours = op.numpy_backward if bad.backward else op.numpy
    twin = op.torch_backward if bad.backward else op.torch
    with pytest.raises(bad.error) as info:
        ours(*bad.args, **bad.kwargs)
    assert bad.fragment in str(info.value)
    assert_clear(op, info.value, bad.backward)
    targs = tuple(to_torch(bad.args))
    if isinstance(bad.args[0], list) and not all(isinstance(v, np.ndarray) for v in bad.args[0]):
        # a list is not a tensor either (a list of arrays is style_cost's layers): the twin
        # says so too
        with pytest.raises(TypeError, match="torch.Tensor"):
            twin(*bad.args, **bad.kwargs)
        return
    with pytest.raises(bad.error) as info:
        twin(*targs, **to_torch(bad.kwargs))
    assert bad.fragment.replace("numpy.ndarray", "torch.Tensor").replace(
        "dtype float32 or float64", "floating dtype") in str(info.value)
    assert_clear(op, info.value, bad.backward)
    # ... and torch.nn.functional rejects the same call (it is the reference behaviour).
    if bad.torch_rejects and not bad.backward:
        with pytest.raises(Exception):
            op.oracle(*targs, **to_torch(bad.kwargs))


def test_torch_twin_rejects_mixed_devices_and_dtypes():
    x = torch.zeros(1, 3, 5, 5)
    with pytest.raises(TypeError, match="weight has dtype float64"):
        T.conv2d(x, torch.zeros(4, 3, 3, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="floating dtype"):
        T.conv2d(x.long(), torch.zeros(4, 3, 3, 3).long())
    with pytest.raises(TypeError, match="dtype must be a floating torch.dtype"):
        T.softmax(x, 1, dtype=np.float64)
    with pytest.raises(Exception):
        F.softmax(x, 1, dtype=np.float64)


@pytest.mark.parametrize("op", [op for op in OPS if op.wild is not None], ids=repr)
def test_ops_accept_exactly_what_torch_accepts(op):
    @settings(max_examples=op.wild_examples)
    @given(op.wild)
    def check(sample):
        check_like_torch(op, sample.args, sample.kwargs, sample.scale)

    check()
