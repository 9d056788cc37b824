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
    # At least d values per axis, so that no max-pooling window falls between them, wholly in
    # the padding; avg_pool3d wants the kernel to fit the unpadded input.
    spatial = tuple(max(d * (k - 1) + 1 - 2 * p, d if kind == "max" else k if nd == 3 else 1)
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


# --- samples: the arguments of one call, as the op registry (tests/ops/registry.py) uses them ------

@dataclass
class Sample:
    """One call's arguments: ``args`` (NumPy arrays for array arguments) and ``kwargs``.

    ``scale`` is the size of the values the op sums (about sqrt of the terms per output);
    tolerances grow with it.
    """

    args: tuple
    kwargs: dict
    scale: float = 1.0


def _array(draw, shape, dtype, scale=1.0):
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return np.asarray(rng.standard_normal(shape) * scale, dtype=dtype)


FLOATS = st.sampled_from([np.float32, np.float64])


def array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=5):
    return st.lists(st.integers(min_side, max_side), min_size=min_dims,
                    max_size=max_dims).map(tuple)


@st.composite
def conv_samples(draw, nd):
    p = draw(conv_problems(nds=(nd,)))
    x, w, b = p.arrays(p.w_shape[0])
    return Sample((x, w, b), p.kwargs, float(np.prod(p.w_shape[1:])) ** 0.5)


@st.composite
def conv_transpose_samples(draw, nd):
    p = draw(conv_transpose_problems(nds=(nd,)))
    x, w, b = p.arrays(p.extra["cout"])
    return Sample((x, w, b), p.kwargs, float(np.prod(p.w_shape)) ** 0.5)


@st.composite
def pool_samples(draw, kind, nd):
    p = draw(pool_problems(kind, nds=(nd,)))
    x, _, _ = p.arrays(0)
    kwargs = dict(p.kwargs)
    if kind == "max":
        kwargs["return_indices"] = draw(st.booleans())
    return Sample((x,), kwargs)


@st.composite
def elementwise_samples(draw):
    """Any shape (0-D to 4-D), no exact zeros (where relu's derivative jumps)."""
    x = _array(draw, draw(array_shapes()), draw(FLOATS), 3.0)
    x[x == 0] = 1.0
    return Sample((x,), {})


@st.composite
def softmax_samples(draw):
    shape = draw(array_shapes())
    dtype = draw(FLOATS)
    x = _array(draw, shape, dtype, draw(st.sampled_from([1.0, 10.0])))
    n = max(len(shape), 1)
    kwargs = dict(dim=draw(st.integers(-n, n - 1)))
    cast = draw(st.sampled_from([None, np.float32, np.float64]))
    if cast is not None:
        kwargs["dtype"] = cast
    return Sample((x,), kwargs)


@st.composite
def linear_samples(draw):
    dtype = draw(FLOATS)
    lead = draw(array_shapes(0, 3, 1, 4))
    n_in = draw(st.integers(1, 6))
    n_out = draw(st.integers(1, 5))
    single = draw(st.integers(0, 4)) == 0     # a 1-D weight: one output without its axis
    x = _array(draw, lead + (n_in,), dtype)
    w = _array(draw, (n_in,) if single else (n_out, n_in), dtype)
    bias = draw(st.sampled_from(["none", "vector", "scalar"]))
    if single and len(lead) == 1:
        bias = "none"          # torch rejects a bias with a 1-D weight on a 2-D input
    if bias == "vector" and not single:
        b = _array(draw, (n_out,), dtype)
    elif bias == "scalar":
        b = _array(draw, (), dtype)
    else:
        b = None
    return Sample((x, w, b), {}, float(n_in) ** 0.5)


@st.composite
def cross_entropy_samples(draw):
    dtype = draw(FLOATS)
    classes = draw(st.integers(1, 6))
    batch = draw(st.one_of(st.just(()), st.tuples(st.integers(1, 5))))
    x = _array(draw, batch + (classes,), dtype, draw(st.sampled_from([1.0, 10.0])))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    target = rng.integers(0, classes, batch).astype(np.int64)
    return Sample((x, target), dict(reduction=draw(st.sampled_from(["mean", "sum", "none"]))))


PAD_MODES = ["constant", "reflect", "replicate", "circular"]


@st.composite
def pad_samples(draw):
    """Valid pad calls: constant mode on any rank (negative amounts crop), the others on the
    last 1-3 axes of a (batched) input with amounts the mode allows."""
    mode = draw(st.sampled_from(PAD_MODES))
    if mode == "constant":
        shape = draw(array_shapes(1, 4, 1, 4))
        npairs = draw(st.integers(1, len(shape)))
    else:
        npairs = draw(st.integers(1, 3))
        shape = draw(array_shapes(npairs + 1, npairs + 2, 1, 4))
    pad = []
    for i in range(npairs):
        size = shape[len(shape) - 1 - i]
        if mode == "constant":
            lo = draw(st.integers(-size, 3))
            hi = draw(st.integers(-(size - max(-lo, 0)), 3))
        else:
            top = {"reflect": size - 1, "circular": size, "replicate": 3}[mode]
            lo, hi = draw(st.integers(0, top)), draw(st.integers(0, top))
        pad += [lo, hi]
    kwargs = dict(mode=mode)
    if mode == "constant" and draw(st.booleans()):
        kwargs["value"] = draw(st.sampled_from([-1.5, 0.0, 2.0]))
    return Sample((_array(draw, shape, draw(FLOATS)), tuple(pad)), kwargs)


@st.composite
def any_pad_call(draw):
    """Pad calls near and past the edges of validity."""
    ndim = draw(st.integers(1, 4))
    shape = tuple(np.random.default_rng(draw(st.integers(0, 1000))).integers(1, 5, size=ndim))
    pad = draw(st.lists(st.integers(-2, 3), min_size=2, max_size=6).filter(
        lambda v: len(v) % 2 == 0))
    mode = draw(st.sampled_from(PAD_MODES))
    return Sample((_array(draw, shape, draw(FLOATS)), tuple(pad)), dict(mode=mode))


@st.composite
def any_conv_call(draw, nd):
    """Conv calls with arguments near and past the edges of validity."""
    groups = draw(st.integers(0, 3))
    cin, cout, cpg = (draw(st.integers(1, 4)) for _ in range(3))
    kernel = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    spatial = tuple(draw(st.integers(1, 6)) for _ in range(nd))
    kwargs = dict(stride=draw(st.integers(0, 3)),
                  padding=draw(st.one_of(st.integers(-1, 3), st.sampled_from(["same", "valid"]))),
                  dilation=draw(st.integers(0, 3)), groups=groups)
    batched = draw(st.booleans())
    x = np.ones(((2,) if batched else ()) + (cin,) + spatial)
    return Sample((x, np.ones((cout, cpg) + kernel), None), kwargs)


@st.composite
def any_pool_call(draw, kind, nd):
    """Pool calls with arguments near and past the edges of validity."""
    n = draw(st.integers(1, 6))
    x = np.arange(2 * n ** nd, dtype=np.float64).reshape((1, 2) + (n,) * nd)
    kwargs = dict(kernel_size=draw(st.integers(0, 4)),
                  stride=draw(st.one_of(st.none(), st.integers(0, 3))),
                  padding=draw(st.integers(0, 3)), ceil_mode=draw(st.booleans()))
    if kind == "max":
        kwargs["dilation"] = draw(st.integers(0, 2))
    return Sample((x,), kwargs)


# --- Part 2: normalisation, dropout, adaptive pooling ---------------------------------------------

@st.composite
def batch_norm_samples(draw):
    """(N, C, ...) with 0-3 spatial axes, training or evaluation, optional affine parameters and
    running statistics (always given in evaluation)."""
    nd = draw(st.integers(0, 3))
    spatial = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    training = draw(st.booleans())
    if training and n * int(np.prod(spatial, dtype=int)) < 2:
        n += 1                 # torch wants more than one value per channel in training
    dtype = draw(FLOATS)
    x = _array(draw, (n, c) + spatial, dtype, 3.0) + dtype(1)
    running = draw(st.booleans()) or not training
    rm = _array(draw, (c,), dtype) if running else None
    rv = np.abs(_array(draw, (c,), dtype)) + dtype(0.5) if running else None
    affine = draw(st.sampled_from(["none", "weight", "bias", "both"]))
    w = _array(draw, (c,), dtype) if affine in ("weight", "both") else None
    b = _array(draw, (c,), dtype) if affine in ("bias", "both") else None
    kwargs = dict(training=training, momentum=draw(st.sampled_from([0.1, 0.5, 1.0])),
                  eps=draw(st.sampled_from([1e-5, 1e-3, 0.5])))
    return Sample((x, rm, rv, w, b), kwargs, 10.0)


@st.composite
def local_response_norm_samples(draw):
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 7))) + tuple(
        draw(st.integers(1, 3)) for _ in range(draw(st.integers(1, 3))))
    kwargs = dict(alpha=draw(st.sampled_from([1e-4, 0.1, 1.0])),
                  beta=draw(st.sampled_from([0.75, 0.5, 1.3])),
                  k=draw(st.sampled_from([1.0, 2.0])))
    return Sample((_array(draw, shape, draw(FLOATS)), draw(st.integers(1, 6))), kwargs)


@st.composite
def adaptive_avg_pool2d_samples(draw):
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    batch = (draw(st.integers(1, 2)),) if draw(st.booleans()) else ()
    kind = draw(st.sampled_from(["int", "pair", "none", "global"]))
    if kind == "int":
        size = draw(st.integers(1, 6))
    elif kind == "pair":
        size = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    elif kind == "none":
        size = draw(st.sampled_from([(None, draw(st.integers(1, 6))),
                                     (draw(st.integers(1, 6)), None)]))
    else:
        size = 1
    x = _array(draw, batch + (draw(st.integers(1, 3)), h, w), draw(FLOATS))
    return Sample((x, size), {})


@st.composite
def dropout_samples(draw):
    """Calls whose result does not depend on the random mask, so that torch's dropout (which
    draws from its own generator) is an oracle: evaluation (any p), or training with p in
    {0, 1}. A seeded generator goes with every training call (the backward draws from it)."""
    x = _array(draw, draw(array_shapes()), draw(FLOATS), 3.0)
    training = draw(st.booleans())
    p = draw(st.sampled_from([0.0, 1.0])) if training else draw(st.sampled_from(
        [0.0, 0.3, 0.5, 1.0]))
    kwargs = dict(p=p, training=training)
    if training or draw(st.booleans()):
        kwargs["generator"] = np.random.default_rng(draw(st.integers(0, 2**16)))
    return Sample((x,), kwargs)


# --- Part 4: distances and losses of embeddings ---------------------------------------------------

def _distinct(draw, shapes, dtype, scale=1.0):
    """Arrays of the given shapes from one generator, so no two are equal (equal embeddings sit
    on the kinks of distances, where finite differences do not apply)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return tuple(np.asarray(rng.standard_normal(s) * scale, dtype=dtype) for s in shapes)


def _pair_shapes(draw, broadcast=True):
    """Two embedding shapes: (N, D), (D,), or broadcast against (1, D) / (D,)."""
    n, d = draw(st.integers(1, 6)), draw(st.integers(1, 7))
    kind = draw(st.sampled_from(["same", "vector"] + (["row", "flat"] if broadcast else [])))
    return ({"same": (n, d), "vector": (d,), "row": (n, d), "flat": (n, d)}[kind],
            {"same": (n, d), "vector": (d,), "row": (1, d), "flat": (d,)}[kind])


@st.composite
def pairwise_distance_samples(draw):
    s1, s2 = _pair_shapes(draw)
    dtype = draw(FLOATS)
    kwargs = dict(p=draw(st.sampled_from([1.0, 1.5, 2.0, 3.0])),
                  eps=draw(st.sampled_from([0.0, 1e-6, 0.1])), keepdim=draw(st.booleans()))
    return Sample(_distinct(draw, (s1, s2), dtype), kwargs, 3.0)


@st.composite
def cosine_similarity_samples(draw):
    """Shapes that broadcast (up to 3-D), the similarity along any axis of the result."""
    s1, s2 = _broadcast_partner(draw(array_shapes(1, 3, 1, 4)), draw(st.integers(0, 2**16)))
    dtype = draw(FLOATS)
    ndim = max(len(s1), len(s2))
    # eps below the norms: where it clamps one, torch's gradient is not the derivative (see
    # tests/ops/test_embedding_ops.py), and finite differences would disagree with both
    kwargs = dict(dim=draw(st.integers(-ndim, ndim - 1)),
                  eps=draw(st.sampled_from([1e-8, 1e-3])))
    return Sample(_distinct(draw, (s1, s2), dtype), kwargs, 3.0)


def _broadcast_partner(shape, seed):
    """``shape`` and a shape that broadcasts with it: some axes 1, some leading axes gone."""
    rng = np.random.default_rng(seed)
    other = tuple(1 if rng.random() < 0.3 else n for n in shape)
    other = other[int(rng.integers(0, len(other))):] or other
    return (shape, other) if rng.random() < 0.5 else (other, shape)


@st.composite
def triplet_samples(draw, torch_loss):
    """(N, D) or (D,) anchors, positives and negatives; torch's options or the course's."""
    n, d = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    shape = draw(st.sampled_from([(n, d), (d,)]))
    dtype = draw(FLOATS)
    args = _distinct(draw, (shape,) * 3, dtype)
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    if torch_loss:
        kwargs = dict(margin=draw(st.sampled_from([0.1, 0.5, 1.0, 3.0])),
                      p=draw(st.sampled_from([1, 2, 3])), eps=draw(st.sampled_from([1e-6, 0.0])),
                      swap=draw(st.booleans()), reduction=reduction)
    else:
        kwargs = dict(margin=draw(st.sampled_from([0.0, 0.2, 1.0, -0.5])),
                      squared=draw(st.booleans()), reduction=reduction)
    return Sample(args, kwargs, 10.0)


@st.composite
def contrastive_samples(draw):
    n, d = draw(st.integers(1, 6)), draw(st.integers(1, 7))
    shape = draw(st.sampled_from([(n, d), (d,)]))
    dtype = draw(FLOATS)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    target = rng.integers(0, 2, shape[:-1]).astype(draw(st.sampled_from([np.int64, dtype])))
    kwargs = dict(margin=draw(st.sampled_from([0.0, 0.5, 1.0, 4.0])),
                  eps=draw(st.sampled_from([1e-6, 0.0])),
                  reduction=draw(st.sampled_from(["mean", "sum", "none"])))
    return Sample(_distinct(draw, (shape, shape), dtype) + (target,), kwargs, 10.0)


# --- Part 5: style transfer ------------------------------------------------------------------------

@st.composite
def volume_samples(draw, count, scale_by_size=False, reduction=True):
    """``count`` activation volumes of one shape, (C, H, W) or (N, C, H, W), and a reduction."""
    batch = (draw(st.integers(1, 3)),) if draw(st.booleans()) else ()
    shape = batch + tuple(draw(st.integers(1, 5)) for _ in range(3))
    arrays = _distinct(draw, (shape,) * count, draw(FLOATS))
    kwargs = dict(reduction=draw(st.sampled_from(["mean", "sum", "none"]))) if reduction else {}
    return Sample(arrays, kwargs, float(np.prod(shape)) if scale_by_size else 10.0)


# --- Part 3: boxes ---------------------------------------------------------------------------------

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


def _crowded_xyxy(rng, n, size=50.0):
    """``n`` valid 'xyxy' boxes around a few centres (many overlaps), some of them empty."""
    centres = rng.uniform(0, size, (max(1, n // 3), 2))
    c = centres[rng.integers(len(centres), size=n)] + rng.normal(0, 3, (n, 2))
    wh = rng.uniform(0, 20, (n, 2)) * (rng.random((n, 1)) > 0.1)
    return np.concatenate([c - wh / 2, c + wh / 2], 1)


def _in_format(xyxy, fmt):
    """'xyxy' boxes written in ``fmt`` (the formulas, not the op under test)."""
    x1, y1, x2, y2 = xyxy.T
    if fmt == "xywh":
        return np.stack([x1, y1, x2 - x1, y2 - y1], 1)
    if fmt == "cxcywh":
        return np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], 1)
    return xyxy


@st.composite
def box_samples(draw, kind):
    """Boxes for ``kind``: 'convert', 'area', 'iou', 'iou_pairwise', 'clip', 'nms', 'batched'."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    dtype = draw(FLOATS)
    n = draw(st.integers(0, 8))
    fmt = draw(st.sampled_from(BOX_FORMATS))
    boxes = _crowded_xyxy(rng, n)
    if kind == "convert":
        out = draw(st.sampled_from(BOX_FORMATS))
        return Sample((_in_format(boxes, fmt).astype(dtype), fmt, out), {}, 50.0)
    if kind == "area":
        return Sample((_in_format(boxes, fmt).astype(dtype),), dict(fmt=fmt), 50.0)
    if kind in ("iou", "iou_pairwise"):
        m = n if kind == "iou_pairwise" else draw(st.integers(0, 8))
        other = _crowded_xyxy(rng, m)
        return Sample((_in_format(boxes, fmt).astype(dtype), _in_format(other, fmt).astype(dtype)),
                      dict(fmt=fmt), 1.0)
    if kind == "clip":
        size = (draw(st.sampled_from([0, 10, 30.5, 60])), draw(st.sampled_from([0, 10, 45, 60])))
        return Sample((boxes.astype(dtype), size), {}, 50.0)
    levels = draw(st.sampled_from([3, 1000]))                  # 3 levels: many tied scores
    scores = (rng.integers(0, levels, n) / levels).astype(dtype)
    threshold = draw(st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 1.0]))
    if kind == "nms":
        return Sample((boxes.astype(dtype), scores, threshold), {})
    idxs = rng.integers(0, draw(st.integers(1, 3)), n) * 7 - 3       # any integers
    return Sample((boxes.astype(dtype), scores, idxs.astype(np.int64), threshold), {})


@st.composite
def roi_samples(draw, align):
    """Feature maps (N, C, H, W) and (K, 5) regions in image coordinates, some reaching outside
    the map, some tiny; RoI align's sampling_ratio and aligned, or RoI pooling's scale alone."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    h, w = draw(st.integers(2, 8)), draw(st.integers(2, 8))
    scale = draw(st.sampled_from([1.0, 0.5, 0.25, 0.7]))
    k = draw(st.integers(0, 3))
    img_h, img_w = h / scale, w / scale
    p = rng.uniform(-0.2, 1.1, (k, 2)) * [img_w, img_h]
    q = p + rng.uniform(0, 1, (k, 2)) * [img_w, img_h] * rng.choice([0.05, 0.5, 1.0], (k, 1))
    dtype = draw(FLOATS)
    rois = np.concatenate([rng.integers(0, n, (k, 1)), p, q], 1).astype(dtype)
    size = draw(st.sampled_from([draw(st.integers(1, 3)), (draw(st.integers(1, 3)),
                                                           draw(st.integers(1, 3)))]))
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    kwargs = dict(spatial_scale=scale)
    if align:
        kwargs.update(sampling_ratio=draw(st.sampled_from([-1, 0, 1, 2])),
                      aligned=draw(st.booleans()))
    return Sample((x, rois, size), kwargs, 3.0)


@st.composite
def roi_align_weights_samples(draw):
    """One region (x1, y1, x2, y2), some reaching outside the map, and the map's size."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    scale = draw(st.sampled_from([1.0, 0.5, 0.7]))
    p = rng.uniform(-0.2, 1.1, 2) * [w / scale, h / scale]
    q = p + rng.uniform(0, 1, 2) * [w / scale, h / scale] * rng.choice([0.05, 0.5, 1.0])
    box = np.concatenate([p, q]).astype(draw(FLOATS))
    size = draw(st.sampled_from([draw(st.integers(1, 4)), (draw(st.integers(1, 4)),
                                                           draw(st.integers(1, 4)))]))
    kwargs = dict(spatial_scale=scale, sampling_ratio=draw(st.sampled_from([-1, 0, 1, 2, 3])),
                  aligned=draw(st.booleans()))
    return Sample((box, size, h, w), kwargs)


@st.composite
def style_cost_samples(draw):
    """One to three layers of one batch (each its own C, H, W), their targets, and the weights
    (None: 1/L each)."""
    layers = draw(st.integers(1, 3))
    batch = (draw(st.integers(1, 3)),) if draw(st.booleans()) else ()
    shapes = [batch + tuple(draw(st.integers(1, 4)) for _ in range(3)) for _ in range(layers)]
    arrays = _distinct(draw, shapes * 2, draw(FLOATS))
    weights = draw(st.one_of(st.none(), st.lists(st.sampled_from([0.0, 0.25, 1.0, 3.0]),
                                                 min_size=layers, max_size=layers)))
    kwargs = dict(weights=weights, reduction=draw(st.sampled_from(["mean", "sum", "none"])))
    return Sample((list(arrays[:layers]), list(arrays[layers:])), kwargs, 10.0)
