"""The fast convolution kernel computes what the readable core computes.

``cnnlib.numpy_ops.conv`` runs its public ops on one of two kernels: the readable core
in ``conv.py`` and the cache-blocked kernel in ``_fast_conv.py``. Hypothesis draws
problems over 1-D to 3-D, groups, stride, dilation and padding; both kernels run the
forward and both backward passes of the convolution and of the transposed convolution,
under block budgets small enough (1 byte, 2 KB) to cut the fast kernel's patch matrix
into one-row bands and the batch into several blocks, and on each of the fast kernel's
strategies (its own choice, one product per example, the examples side by side at full
width or compact). Both
must agree with each other and with torch.
"""

from unittest import mock

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib import _checks as V
from cnnlib import numpy_ops as N
from cnnlib.numpy_ops import _fast_conv, conv
from conftest import assert_close
from strategies import conv_problems, conv_transpose_problems

# 1 byte: every block is one output row of one example; 2 KB: a few rows or examples;
# the default: whole small problems in one block.
BUDGETS = st.sampled_from([1, 2048, _fast_conv._CHUNK_BYTES])
PLANS = st.sampled_from([None, *_fast_conv.STRATEGIES])


def _present(arrays):
    return [a for a in arrays if a is not None]


def _on_kernel(kernel, budget, name, p, x, w, b, g, strategy=None):
    """Forward and backward of ``numpy_ops.<name>`` on ``kernel``, the fast one in ``budget``
    blocks and on ``strategy`` (None: its own choice)."""
    with conv.use_kernel(kernel), mock.patch.object(_fast_conv, "_CHUNK_BYTES", budget), \
            mock.patch.object(_fast_conv, "FORCE_PLAN", strategy):
        out = getattr(N, name)(x, w, b, **p.kwargs)
        grads = getattr(N, name + "_backward")(g, x, w, b, **p.kwargs)
    assert (grads[2] is None) == (b is None)
    return [out, *_present(grads)]


def _check_both_kernels(name, p, x, w, b, budget, scale, strategy=None):
    xt, wt, bt = (None if a is None else torch.tensor(a, requires_grad=True) for a in (x, w, b))
    expected = getattr(F, name)(xt, wt, bt, **p.kwargs)
    g = np.random.default_rng(p.seed + 1).standard_normal(expected.shape).astype(p.dtype)
    want = [expected, *torch.autograd.grad(expected, _present([xt, wt, bt]), torch.tensor(g))]
    fast = _on_kernel("fast", budget, name, p, x, w, b, g, strategy)
    reference = _on_kernel("reference", budget, name, p, x, w, b, g)
    gscale = scale * max(1.0, *(float(np.abs(a).max()) for a in (x, w, g) if a.size))
    for i, (f, r, t) in enumerate(zip(fast, reference, want)):
        tol = scale if i == 0 else gscale
        assert f.dtype == r.dtype == x.dtype
        assert f.shape == r.shape
        assert_close(f, r, p.dtype, tol)
        assert_close(r, t, p.dtype, tol)
        assert_close(f, t, p.dtype, tol)


@given(conv_problems(), BUDGETS, PLANS)
def test_conv_in_small_blocks(p, budget, strategy):
    """conv{1,2,3}d and its backward: fast kernel (in small blocks, each strategy) == readable
    core == torch."""
    x, w, b = p.arrays(p.w_shape[0])
    _check_both_kernels(f"conv{p.nd}d", p, x, w, b, budget, float(np.prod(p.w_shape[1:])) ** 0.5,
                        strategy)


@given(conv_transpose_problems(), BUDGETS, PLANS)
def test_conv_transpose_in_small_blocks(p, budget, strategy):
    """conv_transpose{1,2,3}d and its backward, on both kernels, agree with torch."""
    x, w, b = p.arrays(p.extra["cout"])
    _check_both_kernels(f"conv_transpose{p.nd}d", p, x, w, b, budget,
                        float(np.prod(p.w_shape)) ** 0.5, strategy)


@settings(max_examples=60)
@given(conv_problems(), BUDGETS, PLANS)
def test_gather_and_scatter_adjoints_agree(p, budget, strategy):
    """The fast kernel's two forms of the adjoint and the readable core's gather form are one map."""
    p.dtype = np.float64
    x, w, _ = p.arrays(p.w_shape[0])
    a = V.conv_args("conv", p.nd, x, w, None, **p.kwargs, kind="numpy")
    n = x.shape[0] if a.batched else 1
    g = np.random.default_rng(p.seed).standard_normal((n, w.shape[0]) + a.spatial_out)
    args = (g, w, a.stride, a.pad_left, a.dilation, a.groups, a.spatial_in)
    reference = conv._adjoint(*args)
    assert reference.shape == (n, x.shape[-p.nd - 1]) + a.spatial_in
    with mock.patch.object(_fast_conv, "_CHUNK_BYTES", budget), \
            mock.patch.object(_fast_conv, "FORCE_PLAN", strategy):
        for method in ("gather", "scatter", "auto"):
            np.testing.assert_allclose(_fast_conv.adjoint(*args, method=method), reference,
                                       rtol=1e-10, atol=1e-10)


def test_a_small_budget_cuts_the_patch_matrix_into_one_row_bands():
    """What the small budgets above force: one block per (example, output row), or per example."""
    xp = np.zeros((3, 2, 9, 9), np.float32)
    with mock.patch.object(_fast_conv, "_CHUNK_BYTES", 1):
        blocks = _fast_conv._Windows(xp, (3, 3), (1, 1), (1, 1), (7, 7)).blocks()
    assert [(r.stop - r.start, h.stop - h.start) for r, h in blocks] == [(1, 1)] * 21
    with mock.patch.object(_fast_conv, "_CHUNK_BYTES", 2048):   # one example's matrix: 1728 B
        blocks = _fast_conv._Windows(xp[:, :, :6, :6], (3, 3), (1, 1), (1, 1), (4, 4)).blocks()
    assert blocks == [(slice(i, i + 1), slice(0, 4)) for i in range(3)]
    blocks = _fast_conv._Windows(xp, (3, 3), (1, 1), (1, 1), (7, 7)).blocks()
    assert blocks == [(slice(0, 3), slice(0, 7))]


def test_the_switch_chooses_the_kernel_and_restores_it():
    batch, empty = np.ones((2, 1, 4, 4)), np.ones((0, 1, 4, 4))
    assert conv.KERNEL == "fast"
    assert conv._kernel(batch).correlate is _fast_conv.correlate
    assert conv._kernel(empty).correlate is conv._correlate     # nothing to cut into blocks
    with conv.use_kernel("reference"):
        assert conv._kernel(batch).correlate is conv._correlate
        with conv.use_kernel("fast"):
            assert conv._kernel(batch).adjoint is _fast_conv.adjoint
        assert conv.KERNEL == "reference"
    assert conv.KERNEL == "fast"
    with pytest.raises(RuntimeError), conv.use_kernel("reference"):
        raise RuntimeError("leave the block early")
    assert conv.KERNEL == "fast"
    with pytest.raises(ValueError, match="use_kernel: name must be one of"):
        with conv.use_kernel("slow"):
            pass
    x, w = np.ones((1, 1, 4, 4), np.float32), np.ones((1, 1, 3, 3), np.float32)
    with mock.patch.object(conv, "KERNEL", "slow"), pytest.raises(ValueError, match="KERNEL"):
        N.conv2d(x, w)


def test_the_plan_puts_thin_layers_side_by_side_and_bands_on_their_own():
    assert _fast_conv.plan(8, 3 * 5 * 5, True) == "side_by_side"        # LeNet's first layer
    assert _fast_conv.plan(256, 256 * 9, True) == "per_example"          # a wide 3x3 layer
    assert _fast_conv.plan(8, 75, False) == "per_example"                # a band of one example
    assert _fast_conv.plan(256, 2304, True, waste=2 / 16) == "compact"   # 3x3 at 14 (16 wide)
    assert _fast_conv.plan(128, 1152, True, waste=2 / 30) == "per_example"   # 3x3 at 28
    assert _fast_conv.plan(8, 75, True, waste=0.5) == "side_by_side"     # thin comes first
    assert _fast_conv.plan(256, 2304, False, waste=0.5) == "per_example"
    assert _fast_conv.plan(64, 147, True, waste=3 / 59, strided=True) == "compact"   # the stem
    with mock.patch.object(_fast_conv, "FORCE_PLAN", "side_by_side"):
        assert _fast_conv.plan(256, 2304, True) == "side_by_side"
        assert _fast_conv.plan(8, 75, False) == "per_example"
