"""Shared test settings: hypothesis profiles and array comparison helpers."""

import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=int(os.environ.get("CNNLIB_EXAMPLES", "150")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True, print_blob=True)
settings.load_profile("default")

TOL = {np.float32: dict(rtol=2e-4, atol=2e-4), np.float64: dict(rtol=1e-9, atol=1e-9)}


def assert_close(actual, expected, dtype, scale=1.0):
    """Compare numpy/torch arrays with a tolerance fit for ``dtype`` (and the values' scale)."""
    if isinstance(actual, torch.Tensor):
        actual = actual.detach().cpu().numpy()
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().cpu().numpy()
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    tol = TOL[dtype]
    np.testing.assert_allclose(actual, expected, rtol=tol["rtol"], atol=tol["atol"] * scale)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
