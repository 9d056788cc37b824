"""Bad input gets a clear ValueError or TypeError naming the argument; what torch rejects, we reject."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from cnnlib import numpy_ops as N
from cnnlib import torch_ops as T

x4 = np.zeros((1, 3, 5, 5), np.float32)
w4 = np.zeros((4, 3, 3, 3), np.float32)

# (name, args, kwargs, exception, a fragment the message must contain)
BAD = [
    ("conv2d", (x4[0, 0], w4), {}, ValueError, "input expects a 3-D or 4-D"),
    ("conv2d", (x4, w4[0]), {}, ValueError, "weight expects a 4-D"),
    ("conv2d", (np.zeros((1, 4, 5, 5), np.float32), w4), {}, ValueError,
     "weight expects 3 input channels per group, input has 4 (groups=1)"),
    ("conv2d", (x4, w4), {"groups": 2}, ValueError, "groups=2"),
    ("conv2d", (x4, w4), {"groups": 0}, ValueError, "groups must be positive"),
    ("conv2d", (np.zeros((1, 4, 5, 5), np.float32), np.zeros((6, 4, 3, 3), np.float32)),
     {"groups": 3}, ValueError, "input has 4 channels, not divisible by groups=3"),
    ("conv2d", (x4, w4), {"stride": 0}, ValueError, "stride must be positive"),
    ("conv2d", (x4, w4), {"dilation": 0}, ValueError, "dilation must be positive"),
    ("conv2d", (x4, w4), {"padding": -1}, ValueError, "padding must be non-negative"),
    ("conv2d", (x4, w4), {"padding": "full"}, ValueError, "padding must be 'valid', 'same'"),
    ("conv2d", (x4, w4), {"padding": "same", "stride": 2}, ValueError, "strided"),
    ("conv2d", (x4, np.zeros((4, 3, 7, 7), np.float32)), {}, ValueError, "larger than the padded"),
    ("conv2d", (x4, w4, np.zeros(5, np.float32)), {}, ValueError, "bias has 5 elements"),
    ("conv2d", (x4.astype(np.float64), w4), {}, TypeError, "dtype"),
    ("conv2d", (x4.astype(np.int64), w4), {}, TypeError, "dtype float32 or float64"),
    ("conv2d", (x4.tolist(), w4), {}, TypeError, "input must be"),
    ("conv2d", (x4, w4), {"stride": (1, 2, 3)}, TypeError, "stride must be an int or a sequence"),
    ("conv2d", (x4, w4), {"stride": 1.5}, TypeError, "stride"),
    ("conv_transpose2d", (x4, np.zeros((4, 2, 3, 3), np.float32)), {}, ValueError,
     "weight expects 4 input channels, input has 3"),
    ("conv_transpose2d", (x4, np.zeros((3, 2, 3, 3), np.float32)), {"output_padding": 1},
     ValueError, "output_padding must be smaller than stride or dilation"),
    ("conv_transpose2d", (x4, np.zeros((3, 2, 3, 3), np.float32)), {"padding": 9}, ValueError,
     "too large"),
    ("max_pool2d", (x4, 2), {"padding": 2}, ValueError, "at most half of kernel_size"),
    ("max_pool2d", (x4, 7), {}, ValueError, "larger than the padded"),
    ("max_pool2d", (x4, 0), {}, ValueError, "kernel_size must be positive"),
    ("max_pool2d", (x4[0, 0, 0], 2), {}, ValueError, "3-D or 4-D"),
    ("avg_pool2d", (x4, 2), {"divisor_override": 0}, ValueError, "divisor_override"),
    ("avg_pool3d", (np.zeros((1, 1, 1, 4, 4), np.float32), 2), {"padding": 1}, ValueError,
     "smaller than kernel_size"),
    ("pad", (x4, (1,)), {}, ValueError, "even length"),
    ("pad", (x4, (1, 1)), {"mode": "mirror"}, ValueError, "mode must be"),
    ("pad", (x4, (5, 5, 0, 0)), {"mode": "reflect"}, ValueError, "reflect padding must be smaller"),
    ("pad", (x4, (-6, 0)), {}, ValueError, "crops more than"),
    ("softmax", (x4, 9), {}, ValueError, "dim=9 is out of range"),
    ("linear", (x4, np.zeros((2, 4), np.float32)), {}, ValueError, "input has 5 features"),
    ("cross_entropy", (np.zeros((2, 3), np.float32), np.array([0.0, 1.0])), {}, TypeError,
     "target must be an integer"),
    ("cross_entropy", (np.zeros((2, 3), np.float32), np.array([0, 3])), {}, ValueError,
     "outside [0, 2]"),
    ("conv2d_backward", (np.zeros((1, 4, 2, 2), np.float32), x4, w4), {}, ValueError,
     "grad_output has shape"),
    ("max_pool2d_backward", (np.zeros((1, 3, 3, 3), np.float32), x4, 2), {}, ValueError,
     "grad_output has shape"),
]


def _to_torch(v):
    if isinstance(v, np.ndarray):
        return torch.from_numpy(v.copy())
    return v


@pytest.mark.parametrize("name,args,kwargs,exc,fragment", BAD, ids=[
    f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_raises_a_clear_error_in_both_namespaces(name, args, kwargs, exc, fragment):
    with pytest.raises(exc) as info:
        getattr(N, name)(*args, **kwargs)
    assert name.split("_backward")[0] in str(info.value) and fragment in str(info.value)
    if fragment == "input must be":   # a list is not a tensor either: torch's twin says so too
        with pytest.raises(TypeError, match="torch.Tensor"):
            getattr(T, name)(*args, **kwargs)
        return
    with pytest.raises(exc) as info:
        getattr(T, name)(*[_to_torch(a) for a in args], **kwargs)
    assert fragment.replace("numpy.ndarray", "torch.Tensor").replace(
        "dtype float32 or float64", "floating dtype") in str(info.value)
    # ... and torch.nn.functional rejects the same call (it is the reference behaviour).
    if not name.endswith("_backward") and hasattr(F, name):
        with pytest.raises(Exception):
            getattr(F, name)(*[_to_torch(a) for a in args], **kwargs)


def test_torch_twin_rejects_mixed_devices_and_dtypes():
    x = torch.zeros(1, 3, 5, 5)
    with pytest.raises(TypeError, match="weight has dtype float64"):
        T.conv2d(x, torch.zeros(4, 3, 3, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="floating dtype"):
        T.conv2d(x.long(), torch.zeros(4, 3, 3, 3).long())


@st.composite
def any_conv_call(draw):
    """Conv calls with arguments near and past the edges of validity."""
    nd = draw(st.sampled_from([1, 2]))
    groups = draw(st.integers(0, 3))
    cin = draw(st.integers(1, 4))
    cout = draw(st.integers(1, 4))
    cpg = draw(st.integers(1, 4))
    kernel = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    spatial = tuple(draw(st.integers(1, 6)) for _ in range(nd))
    stride = draw(st.integers(0, 3))
    dilation = draw(st.integers(0, 3))
    padding = draw(st.one_of(st.integers(-1, 3), st.sampled_from(["same", "valid"])))
    batched = draw(st.booleans())
    x_shape = ((2,) if batched else ()) + (cin,) + spatial
    return nd, x_shape, (cout, cpg) + kernel, dict(stride=stride, padding=padding,
                                                     dilation=dilation, groups=groups)


@given(any_conv_call())
def test_conv_accepts_exactly_what_torch_accepts(call):
    nd, x_shape, w_shape, kwargs = call
    x = np.ones(x_shape)
    w = np.ones(w_shape)
    try:
        expected = getattr(F, f"conv{nd}d")(torch.tensor(x), torch.tensor(w), **kwargs)
    except Exception:
        with pytest.raises((ValueError, TypeError)):
            getattr(N, f"conv{nd}d")(x, w, **kwargs)
        with pytest.raises((ValueError, TypeError)):
            getattr(T, f"conv{nd}d")(torch.tensor(x), torch.tensor(w), **kwargs)
        return
    np.testing.assert_allclose(getattr(N, f"conv{nd}d")(x, w, **kwargs), expected.numpy())
    np.testing.assert_allclose(getattr(T, f"conv{nd}d")(torch.tensor(x), torch.tensor(w),
                                                        **kwargs).numpy(), expected.numpy())


@given(st.sampled_from(["max", "avg"]), st.sampled_from([1, 2, 3]), st.integers(0, 4),
       st.one_of(st.none(), st.integers(0, 3)), st.integers(0, 3), st.integers(1, 6),
       st.booleans(), st.integers(0, 2))
def test_pool_accepts_exactly_what_torch_accepts(kind, nd, k, s, p, n, ceil_mode, d):
    x = np.arange(2 * n ** nd, dtype=np.float64).reshape((1, 2) + (n,) * nd)
    kwargs = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil_mode)
    if kind == "max":
        kwargs["dilation"] = d
    name = f"{kind}_pool{nd}d"
    try:
        expected = getattr(F, name)(torch.tensor(x), **kwargs)
    except Exception:
        with pytest.raises((ValueError, TypeError)):
            getattr(N, name)(x, **kwargs)
        with pytest.raises((ValueError, TypeError)):
            getattr(T, name)(torch.tensor(x), **kwargs)
        return
    np.testing.assert_allclose(getattr(N, name)(x, **kwargs), expected.numpy())
    np.testing.assert_allclose(getattr(T, name)(torch.tensor(x), **kwargs).numpy(),
                               expected.numpy())
