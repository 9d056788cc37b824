"""cnnlib.viz.explorers: the pooling (1.7) and receptive-field (1.9) explorers, outside notebooks."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure

from cnnlib import shapes
from cnnlib.viz.explorers.pooling import (draw_pooling, pooling_example, pooling_explorer,
                                          pooling_geometry)
from cnnlib.viz.explorers.receptive_field import (draw_receptive_field, receptive_field_explorer,
                                                  receptive_field_geometry)
from cnnlib.viz.widgets import Explorer


# ---------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------

def test_pooling_example_is_seeded_integers():
    x = pooling_example()
    assert x.shape == (8, 8) and x.dtype == np.float64
    assert np.array_equal(x, pooling_example()) and np.array_equal(x, np.round(x))
    assert x.min() >= 0 and x.max() <= 9


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("f,s", list(itertools.product(range(1, 5), range(1, 5))))
def test_pooling_geometry_matches_torch_and_shapes(f, s, mode):
    x = pooling_example()
    geo = pooling_geometry(x, f, s, mode)
    n_out = shapes.output_size(8, f, s=s)
    assert geo.out_size == (n_out, n_out) and geo.output.shape == (n_out, n_out)
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    expected = pool(torch.from_numpy(x)[None, None], f, s)[0, 0].numpy()
    np.testing.assert_allclose(geo.output, expected, rtol=1e-12)
    # pixels read: every row/col index covered by some window
    covered = np.zeros(8, bool)
    for i in range(n_out):
        covered[i * s:i * s + f] = True
    assert np.array_equal(geo.read, np.outer(covered, covered))
    if mode == "max":
        rows, cols = geo.argmax[..., 0], geo.argmax[..., 1]
        assert np.array_equal(x[rows, cols], geo.output)
        i, j = np.meshgrid(np.arange(n_out), np.arange(n_out), indexing="ij")
        assert np.all((rows >= i * s) & (rows < i * s + f) & (cols >= j * s) & (cols < j * s + f))
    else:
        assert geo.argmax is None


def test_pooling_geometry_reports_a_window_too_large():
    geo = pooling_geometry(np.ones((3, 3)), 4, 1)
    assert geo.output is None and geo.out_size is None and "cannot be larger than the padded input" in geo.error
    assert isinstance(draw_pooling(np.ones((3, 3)), 4, 1), Figure)


def test_pooling_geometry_validates():
    with pytest.raises(ValueError, match="2-D"):
        pooling_geometry(np.ones((2, 3, 3)), 2, 2)
    with pytest.raises(ValueError, match="mode"):
        pooling_geometry(np.ones((4, 4)), 2, 2, mode="min")


def test_pooling_explorer_grid_and_render():
    e = pooling_explorer()
    assert isinstance(e, Explorer)
    assert e.frame_count == 4 * 4 * 2 == len(e.grid())
    assert e.initial == {"f": 2, "s": 2, "mode": "max"}
    for values in e.grid():
        assert isinstance(e.render(**values), Figure), values
    assert e.frame(f=2, s=2, mode="avg").startswith(b"\x89PNG")


def test_pooling_explorer_title_shows_the_formula_value():
    fig = draw_pooling(pooling_example(), 3, 2, "max")
    texts = [t.get_text() for t in fig.texts]
    assert any(t.endswith(f"= {shapes.output_size(8, 3, s=2)}") for t in texts), texts


# ---------------------------------------------------------------------------------------------
# Receptive field
# ---------------------------------------------------------------------------------------------

layer_st = st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 3))


@given(st.lists(layer_st, min_size=1, max_size=4))
def test_receptive_field_geometry_agrees_with_shapes(layers):
    geo = receptive_field_geometry(layers)
    expected = shapes.receptive_field(layers)
    assert list(zip(geo.fields, geo.strides)) == expected
    for mask, r in zip(geo.masks, geo.fields):
        assert len(mask) == r and mask[0] and mask[-1]


@given(st.lists(layer_st, min_size=1, max_size=3))
def test_receptive_field_mask_is_what_torch_gradients_reach(layers):
    # the input pixels with nonzero gradient of output (0, 0) are exactly the mask
    size = shapes.receptive_field(layers)[-1][0] + 8
    x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    y = x
    for f, s, d in layers:
        y = F.conv2d(y, torch.ones(1, 1, f, f, dtype=torch.float64), stride=s, dilation=d)
    y[0, 0, 0, 0].backward()
    reached = (x.grad[0, 0] != 0).numpy()
    mask = receptive_field_geometry(layers).masks[-1]
    expected = np.zeros((size, size), bool)
    expected[:len(mask), :len(mask)] = np.outer(mask, mask)
    assert np.array_equal(reached, expected)


def test_lenet_receptive_field():
    geo = receptive_field_geometry([(5, 1), (2, 2), (5, 1), (2, 2)])
    assert geo.fields == (5, 6, 14, 16) and geo.strides == (1, 2, 2, 4)
    assert all(m.all() for m in geo.masks), "no dilation: the field has no holes"


def test_dilation_leaves_holes():
    mask = receptive_field_geometry([(3, 1, 2)]).masks[0]
    assert mask.tolist() == [True, False, True, False, True]


def test_receptive_field_validates():
    with pytest.raises(ValueError, match="at least one layer"):
        receptive_field_geometry([])
    with pytest.raises(ValueError):
        receptive_field_geometry([(0, 1)])
    with pytest.raises(ValueError, match="names"):
        draw_receptive_field([(3, 1)], names=["a", "b"])


def test_draw_receptive_field_shades_the_field():
    fig = draw_receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)], n=32)
    grid = fig.axes[0].images[0].get_array()
    assert int(grid.sum()) == 16 * 16
    texts = [t.get_text() for t in fig.axes[1].texts]
    for r, j in shapes.receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)]):
        assert str(r) in texts and str(j) in texts


def test_draw_receptive_field_clips_wide_fields():
    fig = draw_receptive_field([(5, 2, 2)] * 4, n=64)
    assert "(clipped)" in fig.axes[0].get_title()
    assert fig.axes[0].images[0].get_array().shape == (64, 64)


def test_receptive_field_explorer_grid_and_render():
    e = receptive_field_explorer()
    assert e.frame_count == 4 * 3 * 2 * 2 == len(e.grid())
    for values in e.grid():
        fig = e.render(**values)
        assert isinstance(fig, Figure), values
        layers = [(values["f"], values["s"], values["d"])] * values["layers"]
        r = shapes.receptive_field(layers)[-1][0]
        assert f"sees {r}×{r}" in fig.axes[0].get_title()
    assert e.frame().startswith(b"\x89PNG")


# ---------------------------------------------------------------------------------------------
# Every chapter explorer fits a laptop screen with its sliders
# ---------------------------------------------------------------------------------------------

from cnnlib.viz.explorers.conv_arithmetic import conv_arithmetic_explorer  # noqa: E402
from cnnlib.viz.widgets import MAX_FRAME_SIZE, png_size  # noqa: E402

CHAPTER_EXPLORERS = {
    # the configurations the book shows (sections 1.3, 1.4, 1.7, 1.9 and the API page)
    "1.3 padding": lambda: conv_arithmetic_explorer(n=(5, 6, 7), f=(1, 2, 3, 4, 5), p=(0, 1, 2),
                                                    s=(1,), d=(1,)),
    "1.4 stride": lambda: conv_arithmetic_explorer(n=(6, 7, 8), f=(2, 3), p=(0, 1, 2),
                                                   s=(1, 2, 3), d=(1, 2)),
    "api default": conv_arithmetic_explorer,
    "1.7 pooling": pooling_explorer,
    "1.9 receptive field": receptive_field_explorer,
}


@pytest.mark.parametrize("name", list(CHAPTER_EXPLORERS))
def test_chapter_explorer_frames_fit_a_laptop_screen(name):
    e = CHAPTER_EXPLORERS[name]()
    grid = e.grid()
    # the first, the last and an impossible setting (a message frame) where there is one
    picks = [grid[0], grid[-1], e.initial]
    sizes = {png_size(e.frame(**values)) for values in picks}
    assert len(sizes) == 1, f"{name}: frames of different sizes {sizes} would make the page jump"
    (width, height), = sizes
    assert width <= MAX_FRAME_SIZE[0] and height <= MAX_FRAME_SIZE[1], (name, width, height)


def test_png_size_reads_the_header():
    e = pooling_explorer()
    fig = draw_pooling(pooling_example(), 2, 2)
    w, h = fig.get_size_inches() * e.dpi
    assert png_size(e.frame()) == (round(w), round(h))
    with pytest.raises(ValueError, match="not PNG"):
        png_size(b"GIF89a")
