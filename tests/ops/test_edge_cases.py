"""Inputs no ordinary test draws: every op does what torch does, or refuses clearly.

For every op of the registry (``registry.py``), hypothesis draws a valid call and then
bends it: the input at every rank from 0 to 6, an empty axis in any array argument,
non-contiguous and negative-stride arrays, integer, bool and half-precision dtypes, NaN and
infinities. Each op must return what torch.nn.functional returns (shape, dtype, values, NaN
where torch has NaN; its backward what autograd returns), or raise a ``ValueError`` or
``TypeError`` that starts with its name and names an argument, where torch raises too, where
the dtype is one the op does not take, or where the registry lists a deliberate deviation.
"""

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from compare import assert_same, check_like_torch, data_arrays, narrow
from registry import OPS, to_torch

RANK_EXAMPLES = 3
DTYPE_EXAMPLES = 3
EMPTY_EXAMPLES = 25
LAYOUT_EXAMPLES = 15
NONFINITE_EXAMPLES = 40


def _arrays(args):
    return [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]


def _replace(args, i, new):
    return tuple(new if j == i else a for j, a in enumerate(args))


@pytest.mark.parametrize("rank", range(7))
@pytest.mark.parametrize("op", OPS, ids=repr)
def test_every_rank(op, rank):
    """The input with 0 to 6 axes: the op's own ranks work, the others fail as in torch."""
    @settings(max_examples=RANK_EXAMPLES)
    @given(op.samples, st.integers(0, 2**16))
    def check(sample, seed):
        x = sample.args[0]
        if not isinstance(x, np.ndarray):     # a list of layers (style_cost): ranks per layer
            x = x[0]
            new = np.random.default_rng(seed).standard_normal(
                x.shape[x.ndim - rank:] if rank <= x.ndim else (2,) * (rank - x.ndim) + x.shape)
            layers = [new.astype(x.dtype)] + list(sample.args[0][1:])
            check_like_torch(op, _replace(sample.args, 0, layers), sample.kwargs, sample.scale)
            return
        shape = x.shape[x.ndim - rank:] if rank <= x.ndim else (2,) * (rank - x.ndim) + x.shape
        new = np.random.default_rng(seed).standard_normal(shape).astype(x.dtype)
        check_like_torch(op, _replace(sample.args, 0, new), sample.kwargs, sample.scale,
                         backward=True)

    check()


@pytest.mark.parametrize("op", OPS, ids=repr)
def test_empty_axes(op):
    """Any axis of any array argument with size 0: empty batches, channels, spatial axes."""
    @settings(max_examples=EMPTY_EXAMPLES)
    @given(op.samples, st.data())
    def check(sample, data):
        choices = [i for i in _arrays(sample.args) if sample.args[i].ndim]
        j = None
        if not choices:       # the arrays inside a list argument (style_cost's layers)
            layers = [(i, j) for i, a in enumerate(sample.args) if isinstance(a, list)
                      for j, b in enumerate(a) if isinstance(b, np.ndarray) and b.ndim]
            assume(layers)
            i, j = data.draw(st.sampled_from(layers))
        else:
            i = data.draw(st.sampled_from(choices))
        a = sample.args[i] if j is None else sample.args[i][j]
        axis = data.draw(st.integers(0, a.ndim - 1))
        empty = np.zeros(a.shape[:axis] + (0,) + a.shape[axis + 1:], a.dtype)
        new = empty if j is None else [empty if k == j else b for k, b in enumerate(sample.args[i])]
        check_like_torch(op, _replace(sample.args, i, new), sample.kwargs, sample.scale,
                         backward=True)

    check()


def _numpy_layout(a, kind):
    """The same values as ``a``, laid out otherwise in memory."""
    if a.ndim == 0:
        return a
    if kind == "fortran":
        return np.asfortranarray(a)
    if kind == "strided":
        return np.repeat(a, 2, axis=-1)[..., ::2]
    return np.flip(np.flip(a).copy())          # negative strides


def _torch_layout(t, kind):
    """Tensors have no negative strides: the twin gets a transposed or a strided view."""
    if t.ndim == 0:
        return t
    if kind == "fortran" and t.ndim >= 2:
        return t.transpose(0, -1).contiguous().transpose(0, -1)
    return torch.repeat_interleave(t, 2, dim=-1)[..., ::2]


@pytest.mark.parametrize("op", OPS, ids=repr)
def test_non_contiguous_and_negative_strides(op):
    @settings(max_examples=LAYOUT_EXAMPLES)
    @given(op.samples, st.sampled_from(["fortran", "strided", "negative"]))
    def check(sample, kind):
        args = tuple(_numpy_layout(a, kind) if isinstance(a, np.ndarray) else a
                     for a in sample.args)
        check_like_torch(op, args, sample.kwargs, sample.scale,
                         twin_layout=lambda t: _torch_layout(t, kind), backward=True)

    check()


def _cast(a, dtype):
    if dtype == "bool":
        return a > 0
    if dtype.startswith(("int", "uint")):
        return np.round(np.abs(a) * 3 if dtype.startswith("u") else a * 3).astype(dtype)
    return a.astype(dtype)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float16", "bfloat16"])
@pytest.mark.parametrize("op", OPS, ids=repr)
def test_other_dtypes(op, dtype):
    """Integer, bool and half inputs: torch's result where the op takes the dtype, else a
    TypeError; the NumPy reference takes float32 and float64 (``pad``: any dtype)."""
    @settings(max_examples=DTYPE_EXAMPLES)
    @given(op.samples)
    def check(sample):
        data = [i for i, a in enumerate(sample.args) if any(a is d for d in
                                                            data_arrays(op, sample.args))]
        if dtype != "bfloat16":
            args = tuple(_cast(a, dtype) if i in data else a for i, a in enumerate(sample.args))
            kwargs = {k: v for k, v in sample.kwargs.items() if k != "dtype"}
            check_like_torch(op, args, kwargs, sample.scale)
            return
        # NumPy has no bfloat16: the twin alone, against torch.
        targs = tuple(t.to(torch.bfloat16) if i in data else t
                      for i, t in enumerate(to_torch(sample.args)))
        kwargs = to_torch({k: v for k, v in sample.kwargs.items() if k != "dtype"})
        try:
            expected = op.oracle(*targs, **kwargs)
        except NotImplementedError:    # no CPU kernel in bfloat16: torch's float32 result
            wide = tuple(t.float() if i in data else t for i, t in enumerate(targs))
            expected = narrow(op.oracle(*wide, **kwargs), torch.bfloat16)
        except Exception:   # noqa: BLE001
            with pytest.raises((ValueError, TypeError)):
                op.torch(*targs, **kwargs)
            return
        assert_same(op.torch(*targs, **kwargs), expected, 4 * sample.scale * max(
            [1.0, *(float(t.abs().max()) for t in targs if isinstance(t, torch.Tensor)
                    and t.numel() and t.is_floating_point())]))

    check()


def _padded(kwargs):
    """Whether a convolution's arguments add padding (``'same'`` or any nonzero amount)."""
    padding = kwargs.get("padding", 0)
    if isinstance(padding, str):
        return padding == "same"
    return any(p != 0 for p in np.atleast_1d(padding))


@pytest.mark.parametrize("op", OPS, ids=repr)
def test_nan_and_infinities(op):
    """NaN, inf and -inf in the floating arguments propagate as they do in torch.

    A non-finite weight of a padded convolution is left out: whether it meets the padding
    zeros (0 * nan = nan) depends on which of its kernels torch picks, so torch itself
    answers both ways.
    """
    @settings(max_examples=NONFINITE_EXAMPLES)
    @given(op.samples, st.data())
    def check(sample, data):
        args = list(sample.args)
        for i, a in enumerate(sample.args):
            if not any(a is d for d in data_arrays(op, sample.args)) or not a.size:
                continue
            if i > 0 and op.name.startswith("conv") and _padded(sample.kwargs):
                continue
            a = a.copy()
            flat = a.reshape(-1)
            picks = data.draw(st.lists(st.tuples(st.integers(0, a.size - 1),
                                                 st.sampled_from([np.nan, np.inf, -np.inf])),
                                       max_size=3))
            for k, v in picks:
                flat[k] = v
            args[i] = flat.reshape(a.shape)
        check_like_torch(op, tuple(args), sample.kwargs, sample.scale, backward=True)

    check()

