"""cnnlib.equivariance: shifts, and how far an op is from equivariant or invariant (section 1.9)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from cnnlib import numpy_ops
from cnnlib.part1.equivariance import equivariance_error, invariance_error, shift


def test_shift_circular_and_zero():
    x = np.arange(12.0).reshape(3, 4)
    assert np.array_equal(shift(x, 1, 2), np.roll(x, (1, 2), axis=(0, 1)))
    z = shift(x, 1, -1, mode="zero")
    assert np.array_equal(z[1:, :-1], x[:-1, 1:])
    assert not z[0].any() and not z[:, -1].any()
    assert shift(x, 5, 0, mode="zero").sum() == 0
    assert shift(x.astype(np.float32), 1, 1).dtype == np.float32


@given(st.integers(-6, 6), st.integers(-6, 6))
def test_shift_matches_torch_roll_and_inverts(dy, dx):
    x = np.random.default_rng(0).normal(size=(2, 3, 5, 6))
    assert np.array_equal(shift(x, dy, dx), torch.roll(torch.from_numpy(x), (dy, dx), (-2, -1)).numpy())
    assert np.array_equal(shift(shift(x, dy, dx), -dy, -dx), x)


def test_shift_does_not_modify_its_input():
    x = np.ones((4, 4))
    shift(x, 1, 1, mode="zero")
    assert x.sum() == 16


def test_shift_validates():
    with pytest.raises(ValueError, match="mode"):
        shift(np.ones((3, 3)), 1, 1, mode="reflect")
    with pytest.raises(TypeError, match="shift: x must be a numpy.ndarray"):
        shift([[1.0]], 1, 1)
    with pytest.raises(ValueError, match="2 axes"):
        shift(np.ones(3), 1, 1)
    with pytest.raises(TypeError, match="pair of ints"):
        shift(np.ones((3, 3)), 1.5, 1)


def _conv(padding_mode):
    w = np.random.default_rng(1).normal(size=(2, 1, 3, 3))

    def op(x):
        if padding_mode == "circular":
            x = numpy_ops.pad(x, (1, 1, 1, 1), mode="circular")
            return numpy_ops.conv2d(x, w)
        return numpy_ops.conv2d(x, w, padding=1)
    return op


@given(st.integers(-4, 4), st.integers(-4, 4))
def test_circular_convolution_is_exactly_equivariant(dy, dx):
    x = np.random.default_rng(2).normal(size=(1, 1, 12, 12))
    assert equivariance_error(_conv("circular"), x, (dy, dx)) < 1e-12


def test_zero_padded_convolution_is_equivariant_away_from_the_border():
    x = np.random.default_rng(3).normal(size=(1, 1, 16, 16))
    op = _conv("zeros")
    assert equivariance_error(op, x, (2, 3), mode="zero") > 0.1
    assert equivariance_error(op, x, (2, 3), mode="zero", margin=4) < 1e-12


def test_relu_is_equivariant_and_stride_needs_output_stride():
    x = np.random.default_rng(4).normal(size=(1, 1, 8, 8))
    assert equivariance_error(numpy_ops.relu, x, (3, 1)) == 0.0
    pool = lambda a: numpy_ops.max_pool2d(a, 2)  # noqa: E731
    assert equivariance_error(pool, x, (2, 4), output_stride=2) == 0.0
    with pytest.raises(ValueError, match="multiple"):
        equivariance_error(pool, x, (1, 0), output_stride=2)


def test_equivariance_error_validates():
    x = np.ones((1, 1, 4, 4))
    with pytest.raises(ValueError, match="margin"):
        equivariance_error(numpy_ops.relu, x, (1, 1), margin=2)
    with pytest.raises(TypeError, match="callable"):
        equivariance_error(3, x, (1, 1))
    with pytest.raises(TypeError, match="shift_by must be a pair"):
        equivariance_error(numpy_ops.relu, x, 1)
    with pytest.raises(ValueError, match="equivariance_error: output_stride must be positive"):
        equivariance_error(numpy_ops.relu, x, (1, 1), output_stride=0)
    with pytest.raises(TypeError, match="equivariance_error: output_stride must be an int"):
        equivariance_error(numpy_ops.relu, x, (1, 1), output_stride=1.0)
    with pytest.raises(ValueError, match="equivariance_error: margin must be non-negative"):
        equivariance_error(numpy_ops.relu, x, (1, 1), margin=-1)
    with pytest.raises(TypeError, match="equivariance_error: margin must be an int"):
        equivariance_error(numpy_ops.relu, x, (1, 1), margin=True)
    with pytest.raises(ValueError, match="invariance_error: mode must be one of"):
        invariance_error(numpy_ops.relu, x, (1, 1), mode="wrap")
    with pytest.raises(ValueError, match="shape"):
        # an op whose output size depends on the content: the top-left pixel
        equivariance_error(lambda a: a[..., :3 if a[0, 0, 0, 0] else 2, :], x, (1, 0), mode="zero")


def test_invariance_error():
    x = np.random.default_rng(5).normal(size=(1, 2, 8, 8))
    gap = lambda a: a.mean(axis=(-2, -1), keepdims=True)  # noqa: E731
    assert invariance_error(gap, x, (3, -2)) < 1e-12
    assert invariance_error(lambda a: a, x, (1, 0)) > 0.5
    with pytest.raises(ValueError, match="all zeros"):
        invariance_error(lambda a: 0 * a, x, (1, 0))


def test_conv_equivariance_agrees_with_torch():
    x = np.random.default_rng(6).normal(size=(1, 1, 10, 10))
    w = torch.from_numpy(np.random.default_rng(7).normal(size=(1, 1, 3, 3)))
    op = lambda a: F.conv2d(F.pad(torch.from_numpy(a), (1, 1, 1, 1), mode="circular"), w).numpy()  # noqa: E731
    assert equivariance_error(op, x, (2, -3)) < 1e-12
