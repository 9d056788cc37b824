"""cnnlib.vision.features: receptive fields, top patches, class selectivity, activation
maximisation; and the two Part 5 explorers."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from cnnlib.models import VGG
from cnnlib.vision import features as Fe
from cnnlib.vision.extractors import TRAINED_CONFIG, freeze, photo_patches


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return freeze(VGG(config=TRAINED_CONFIG, num_classes=4, hidden=8, pool_size=1,
                      batch_norm=True))


@pytest.mark.parametrize("layer", ["relu1_1", "pool1", "relu2_1", "relu3_1", "pool3"])
def test_layer_geometry_is_where_the_gradient_reaches(net, layer):
    """The input pixels that influence unit (i, j) are exactly its receptive field."""
    geo = Fe.layer_geometry(net, layer)
    x = torch.rand(1, 3, 40, 40, dtype=torch.float64, requires_grad=True)
    net64 = net.double()
    try:
        a = net64.taps(x, [layer])[layer]
        i = j = a.shape[-1] // 2
        a[0, :, i, j].sum().backward()
    finally:
        net.float()
    rows = np.flatnonzero(x.grad[0].abs().sum(axis=(0, 2)).numpy() > 0)
    first = geo.start + i * geo.jump
    assert rows.min() >= first and rows.max() <= first + geo.size - 1
    assert rows.max() - rows.min() + 1 >= geo.size - geo.jump          # max pools may skip a few
    assert (Fe.layer_geometry(net, "relu4_1").size, Fe.layer_geometry(net, "relu4_1").jump) \
        == (38, 8)
    with pytest.raises(ValueError, match="unknown layer name 'relu9_1'"):
        Fe.layer_geometry(net, "relu9_1")


def test_top_patches_are_the_receptive_fields_of_the_strongest_responses(net):
    x, _ = photo_patches(60, 32, seed=3, split="val")
    top = Fe.top_patches(net, x, "relu2_1", units=[0, 5], k=4)
    acts = Fe.layer_activations(net, x, ["relu2_1"])["relu2_1"].numpy()
    geo = top.geometry
    assert top.patches.shape == (2, 4, 3, geo.size, geo.size)
    for u, unit in enumerate(top.units):
        best = acts[:, unit].reshape(len(x), -1).max(axis=1)
        np.testing.assert_array_equal(top.images[u], np.argsort(-best, kind="stable")[:4])
        assert np.all(np.diff(top.values[u]) <= 0)
        for k in range(4):
            n, (r, c) = top.images[u, k], top.positions[u, k]
            assert acts[n, unit, r, c] == pytest.approx(top.values[u, k])
            y0, x0 = geo.start + r * geo.jump, geo.start + c * geo.jump
            patch = top.patches[u, k]
            for dy in range(geo.size):
                for dx in range(geo.size):
                    yy, xx = y0 + dy, x0 + dx
                    want = x[n, :, yy, xx] if 0 <= yy < 32 and 0 <= xx < 32 else 0.5
                    np.testing.assert_array_equal(patch[:, dy, dx], want)
    with pytest.raises(ValueError, match="units must be channel indices"):
        Fe.top_patches(net, x, "relu2_1", units=[99])
    with pytest.raises(ValueError, match="k=100 but there are only 60 images"):
        Fe.top_patches(net, x, "relu2_1", k=100)


def test_class_selectivity_follows_its_formula(net):
    x, y = photo_patches(80, 32, seed=4, split="val")
    sel = Fe.class_selectivity(net, x, y, ["relu1_1", "relu3_1"])
    acts = Fe.layer_activations(net, x, ["relu3_1"])["relu3_1"].mean(dim=(2, 3)).double().numpy()
    classes = np.unique(y)
    mu = np.stack([acts[y == c].mean(0) for c in classes])
    best = mu.max(0)
    rest = (mu.sum(0) - best) / (len(classes) - 1)
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(sel["relu3_1"], (best - rest) / (best + rest))
    finite = np.concatenate([v[np.isfinite(v)] for v in sel.values()])
    assert finite.min() >= 0 and finite.max() <= 1
    with pytest.raises(ValueError, match="at least two classes"):
        Fe.class_selectivity(net, x, np.zeros(80, np.int64), "relu1_1")
    with pytest.raises(ValueError, match="79 labels for 80 images"):
        Fe.class_selectivity(net, x, y[:79], "relu1_1")


def test_activation_maximisation_raises_the_activation_and_keeps_pixels_valid(net):
    image, trace = Fe.activation_maximisation(net, "relu3_1", 7, size=32, steps=40, lr=0.1,
                                              l2=0.0, tv_weight=0.0)
    assert image.shape == (32, 32, 3) and image.dtype == np.float32
    assert 0 < image.min() and image.max() < 1
    assert len(trace["activation"]) == 41
    assert trace["activation"][-1] > trace["activation"][0] + 0.05   # an untrained net: weak units
    again, _ = Fe.activation_maximisation(net, "relu3_1", 7, size=32, steps=40, lr=0.1,
                                          l2=0.0, tv_weight=0.0)
    np.testing.assert_array_equal(image, again)
    with pytest.raises(ValueError, match="unit must be <= 63"):
        Fe.activation_maximisation(net, "relu3_1", 64)
    with pytest.raises(ValueError, match="where must be one of"):
        Fe.activation_maximisation(net, "relu3_1", 0, where="corner")


def test_the_part5_explorers_draw_every_frame():
    from cnnlib.viz.explorers.style import draw_style_step, style_explorer
    from cnnlib.viz.explorers.units import UnitView, draw_unit, unit_explorer
    from cnnlib.vision.style import StyleResult

    rng = np.random.default_rng(0)
    views = {(layer, s): UnitView(layer, s, rng.random((4, 3, 8, 8)), np.arange(4.0)[::-1],
                                  ("a", "b", "c", "d"), rng.random((16, 16, 3)), 8, 0.5)
             for layer in ("relu1_1", "relu2_1") for s in (0, 1)}
    assert isinstance(draw_unit(views[("relu1_1", 0)]), Figure)
    ex = unit_explorer(views, title="units")
    assert ex.frame_count == 4 and all(png.startswith(b"\x89PNG") for png in ex.frames())
    with pytest.raises(ValueError, match="missing"):
        unit_explorer({k: v for k, v in views.items() if k != ("relu2_1", 1)})

    def result(seed):
        trace = {"J": np.linspace(2, 1, 5), "content": np.linspace(0, 1, 5),
                 "style": np.geomspace(1, 1e-3, 5)}
        snaps = {s: np.random.default_rng(seed + s).random((8, 8, 3)) for s in (0, 2, 4)}
        return StyleResult(snaps[4], trace, snaps)

    results = {(r, layers): result(i) for i, (r, layers) in
               enumerate([(1, "a"), (1, "b"), (10, "a"), (10, "b")])}
    assert isinstance(draw_style_step(results[(1, "a")], 2), Figure)
    with pytest.raises(ValueError, match="no snapshot at step 3"):
        draw_style_step(results[(1, "a")], 3)
    ex = style_explorer(results, steps=(0, 2, 4))
    assert ex.frame_count == 12 and len(ex.frames()) == 12
    with pytest.raises(ValueError, match="no snapshot at steps"):
        style_explorer(results, steps=(0, 1))
