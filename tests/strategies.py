"""Hypothesis strategies drawing valid convolution and pooling problems."""

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st


@dataclass
class Problem:
    nd: int
    x_shape: tuple
    w_shape: tuple
    kwargs: dict
    bias: bool
    dtype: type
    seed: int
    extra: dict = field(default_factory=dict)

    def arrays(self, bias_channels):
        rng = np.random.default_rng(self.seed)
        x = rng.standard_normal(self.x_shape).astype(self.dtype)
        w = rng.standard_normal(self.w_shape).astype(self.dtype)
        b = rng.standard_normal(bias_channels).astype(self.dtype) if self.bias else None
        return x, w, b


def _per_axis(draw, nd, strat, as_tuple):
    vals = tuple(draw(strat) for _ in range(nd))
    return vals if as_tuple else vals[0]


@st.composite
def conv_problems(draw, nds=(1, 2, 3)):
    nd = draw(st.sampled_from(nds))
    as_tuple = draw(st.booleans())
    groups = draw(st.integers(1, 3))
    cin = groups * draw(st.integers(1, 3))
    cout = groups * draw(st.integers(1, 3))
    max_k = 4 if nd < 3 else 3
    kernel = tuple(draw(st.integers(1, max_k)) for _ in range(nd))
    dilation = _per_axis(draw, nd, st.integers(1, 3), as_tuple)
    dil_t = dilation if as_tuple else (dilation,) * nd
    padding_kind = draw(st.sampled_from(["int", "int", "same", "valid"]))
    if padding_kind == "same":
        stride = 1
        padding = "same"
        pad_t = (0,) * nd
    else:
        stride = _per_axis(draw, nd, st.integers(1, 3), as_tuple)
        padding = "valid" if padding_kind == "valid" else _per_axis(draw, nd, st.integers(0, 2),
                                                                    as_tuple)
        pad_t = (0,) * nd if padding == "valid" else (padding if as_tuple else (padding,) * nd)
    spatial = tuple(
        max(d * (k - 1) + 1 - 2 * p, 1) + draw(st.integers(0, 5 if nd < 3 else 3))
        for k, d, p in zip(kernel, dil_t, pad_t))
    batched = draw(st.booleans())
    n = draw(st.integers(1, 3))
    x_shape = ((n,) if batched else ()) + (cin,) + spatial
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return Problem(nd, x_shape, (cout, cin // groups) + kernel, kwargs, draw(st.booleans()),
                   draw(st.sampled_from([np.float32, np.float64])), draw(st.integers(0, 2**16)))


@st.composite
def conv_transpose_problems(draw, nds=(1, 2, 3)):
    nd = draw(st.sampled_from(nds))
    groups = draw(st.integers(1, 3))
    cin = groups * draw(st.integers(1, 3))
    cout_g = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 4 if nd < 3 else 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    spatial = tuple(draw(st.integers(1, 5 if nd < 3 else 3)) for _ in range(nd))
    padding = []
    for n, s, d, k, o in zip(spatial, stride, dilation, kernel, output_padding):
        full = (n - 1) * s + d * (k - 1) + o + 1
        padding.append(draw(st.integers(0, max(0, min(3, (full - 1) // 2)))))
    batched = draw(st.booleans())
    n = draw(st.integers(1, 3))
    x_shape = ((n,) if batched else ()) + (cin,) + spatial
    kwargs = dict(stride=stride, padding=tuple(padding), output_padding=output_padding,
                  groups=groups, dilation=dilation)
    return Problem(nd, x_shape, (cin, cout_g) + kernel, kwargs, draw(st.booleans()),
                   draw(st.sampled_from([np.float32, np.float64])), draw(st.integers(0, 2**16)),
                   extra=dict(cout=cout_g * groups))


@st.composite
def pool_problems(draw, kind, nds=(1, 2, 3)):
    nd = draw(st.sampled_from(nds))
    kernel = tuple(draw(st.integers(1, 4 if nd < 3 else 3)) for _ in range(nd))
    stride = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3)] * nd)))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd)) if kind == "max" else (1,) * nd
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    spatial = tuple(max(d * (k - 1) + 1 - 2 * p, 1 if kind == "max" or nd < 3 else k)
                    + draw(st.integers(0, 6 if nd < 3 else 3))
                    for k, d, p in zip(kernel, dilation, padding))
    batched = draw(st.booleans())
    x_shape = ((draw(st.integers(1, 2)),) if batched else ()) + (draw(st.integers(1, 3)),) + spatial
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding,
                  ceil_mode=draw(st.booleans()))
    if kind == "max":
        kwargs["dilation"] = dilation
    else:
        kwargs["count_include_pad"] = draw(st.booleans())
        if nd > 1:
            kwargs["divisor_override"] = draw(st.one_of(st.none(), st.integers(1, 5)))
    return Problem(nd, x_shape, (), kwargs, False,
                   draw(st.sampled_from([np.float32, np.float64])), draw(st.integers(0, 2**16)))
