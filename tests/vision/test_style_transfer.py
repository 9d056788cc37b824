"""cnnlib.vision.style: images are checked, the objective is the course's J(G), and the
optimisation does what the book says (costs fall, Gram statistics are matched)."""

import numpy as np
import pytest
import torch

from cnnlib import torch_ops as tops
from cnnlib.models import RandomMultiScale
from cnnlib.vision import style as S
from cnnlib.vision.extractors import freeze


@pytest.fixture(scope="module")
def small():
    """A cheap random extractor and 24x24 content and style images."""
    ex = freeze(RandomMultiScale(scales=3, channels=8, seed=0))
    content = S.square_photo("chelsea", 24)
    style = S.square_photo("immunohistochemistry", 24)
    return ex, content, style


def test_images_are_checked_and_converted():
    rgb = np.random.default_rng(0).random((6, 7, 3)).astype(np.float32)
    t = S.image_tensor(rgb)
    assert t.shape == (1, 3, 6, 7) and t.dtype == torch.float32
    np.testing.assert_array_equal(S.to_image(t), rgb)
    assert S.image_tensor(rgb[..., 0]).shape == (1, 1, 6, 7)
    assert S.image_tensor(torch.tensor(rgb).permute(2, 0, 1)).shape == (1, 3, 6, 7)
    assert float(S.image_tensor((rgb * 255).astype(np.uint8)).max()) <= 1
    assert S.as_rgb(rgb[..., 0]).shape == (6, 7, 3) and S.as_rgb(rgb) is rgb
    bad = rgb.copy()
    bad[1, 2, 0] = np.nan
    bad[3, 3, 1] = np.inf
    with pytest.raises(ValueError, match="content has 2 non-finite pixel value"):
        S.image_tensor(bad, "content")
    with pytest.raises(ValueError, match=r"style has values in \[0.0\d+, 2\], outside \[0, 1\]"):
        S.image_tensor(rgb * 2 / rgb.max(), "style")
    with pytest.raises(ValueError, match="4 channels"):
        S.image_tensor(np.zeros((5, 5, 4), np.float32))
    with pytest.raises(ValueError, match="channels first"):
        S.image_tensor(np.zeros((3, 5, 5), np.float32))
    with pytest.raises(TypeError, match="NumPy array or a torch tensor"):
        S.image_tensor([[0.0]])
    with pytest.raises(TypeError, match="floats in"):
        S.image_tensor(np.zeros((4, 4), np.int64))
    assert S.square_photo("brick", 20).shape == (20, 20)
    assert S.square_photo("coffee", 20).shape == (20, 20, 3)


def test_mismatched_images_and_layers_get_clear_errors(small):
    ex, content, style = small
    with pytest.raises(ValueError, match="content is 24x24 pixels but style is 20x20"):
        S.style_transfer(content, S.square_photo("coffee", 20), ex, steps=1)
    with pytest.raises(ValueError, match=r"style is grayscale \(1 channel\) but content has 3 "
                                         r"channels \(colour\); repeat the style.*as_rgb"):
        S.style_transfer(content, S.square_photo("brick", 24), ex, steps=1)
    with pytest.raises(ValueError, match=r"content is grayscale"):
        S.style_transfer(S.square_photo("brick", 24), style, ex, steps=1)
    gray = S.square_photo("brick", 24)
    with pytest.raises(ValueError, match=r"1 channel\(s\) but the extractor reads 3"):
        S.synthesize_texture(gray, ex, steps=1)
    nan_style = style.copy()
    nan_style[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="style has 1 non-finite"):
        S.style_transfer(content, nan_style, ex, steps=1)
    with pytest.raises(ValueError, match=r"style_layers: unknown layer name\(s\) \['relu4_1'\]; "
                                         r"this extractor has scale1, scale2, scale3"):
        S.style_transfer(content, style, ex, style_layers=["scale1", "relu4_1"], steps=1)
    with pytest.raises(ValueError, match=r"content_layer: unknown layer name\(s\) \['scale9'\]"):
        S.style_transfer(content, style, ex, content_layer="scale9", steps=1)
    with pytest.raises(ValueError, match="style_weights has 1 entries for 3 style layers"):
        S.style_transfer(content, style, ex, style_weights=[1.0], steps=1)
    with pytest.raises(ValueError, match="give a content image, a style image or both"):
        S.style_transfer(None, None, ex)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        S.style_transfer(content, style, ex, optimizer="sgd")
    with pytest.raises(TypeError, match="extractor must have taps"):
        S.style_transfer(content, style, torch.nn.Conv2d(3, 3, 3))


def test_the_objective_is_the_courses_cost(small):
    ex, content, style = small
    c, s = S.image_tensor(content), S.image_tensor(style)
    g = torch.rand(1, 3, 24, 24, generator=torch.Generator().manual_seed(1))
    layers = ["scale1", "scale3"]
    objective = S.style_objective(ex, c, s, "scale2", layers, alpha=2.0, beta=30.0,
                                  style_weights=[0.25, 0.75], tv_weight=0.1)
    total, stats = objective(g)
    a_g = ex.taps(g, ["scale1", "scale2", "scale3"])
    want_content = tops.content_cost(a_g["scale2"], ex.taps(c, ["scale2"])["scale2"])
    a_s = ex.taps(s, layers)
    want_style = tops.style_cost([a_g[n] for n in layers], [a_s[n] for n in layers],
                                 [0.25, 0.75])
    want = 2.0 * want_content + 30.0 * want_style + 0.1 * tops.total_variation(g)
    torch.testing.assert_close(total, want)
    torch.testing.assert_close(stats["content"], want_content)
    torch.testing.assert_close(stats["style"], want_style)
    torch.testing.assert_close(stats["style_scale3"],
                               tops.style_layer_cost(a_g["scale3"], a_s["scale3"]))
    # 'balanced': each layer's term becomes its squared relative Gram error
    balanced = S.style_objective(ex, None, s, style_layers=layers, style_weights="balanced")
    _, stats = balanced(g)
    rel = [float(((tops.gram_matrix(a_g[n]) - tops.gram_matrix(a_s[n])).norm()
                  / tops.gram_matrix(a_s[n]).norm()) ** 2) for n in layers]
    assert float(stats["style"]) == pytest.approx(np.mean(rel), rel=1e-4)


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_style_transfer_lowers_the_style_cost_and_keeps_the_content(small, optimizer):
    ex, content, style = small
    result = S.style_transfer(content, style, ex, beta=1e3, steps=40, optimizer=optimizer,
                              parametrisation="sigmoid" if optimizer == "lbfgs" else "clamp",
                              snapshot_steps=(0, 20), progress=False)
    assert result.steps == 40 and result.image.shape == (24, 24, 3)
    assert 0 <= result.image.min() and result.image.max() <= 1
    assert set(result.snapshots) == {0, 20, 40}
    np.testing.assert_allclose(result.snapshots[0], content, atol=2e-3)
    np.testing.assert_array_equal(result.snapshots[40], result.image)
    assert result.drop("style") > 10                                  # the book's claim
    assert S.content_distance(ex, result.image, content) < S.content_distance(ex, style, content)
    assert result.trace["J"][-1] < result.trace["J"][0]
    np.testing.assert_allclose(result.trace["loss"], result.trace["J"] / result.trace["J"][0],
                               rtol=1e-5)
    assert result.settings["optimizer"] == optimizer and result.settings["beta"] == 1e3


def test_texture_synthesis_matches_gram_statistics_better_than_other_images(small):
    ex, content, style = small
    result = S.synthesize_texture(style, ex, steps=60, progress=False)
    assert result.trace["content"].max() == 0
    mine = S.gram_distances(ex, result.image, style)
    noise = np.random.default_rng(0).random(style.shape).astype(np.float32)
    for other in (noise, content):
        theirs = S.gram_distances(ex, other, style)
        assert all(mine[n] < theirs[n] / 3 for n in mine), (mine, theirs)
    assert S.gram_distances(ex, style, style) == {n: 0.0 for n in ex.layer_names}


def test_content_reconstruction_from_a_shallow_layer_is_closer_than_from_a_deep_one(small):
    ex, content, _ = small
    shallow = S.reconstruct_content(content, ex, "scale1", steps=60, progress=False)
    deep = S.reconstruct_content(content, ex, "scale3", steps=60, progress=False)
    assert shallow.trace["style"].max() == 0
    err = [float(np.abs(r.image - content).mean()) for r in (shallow, deep)]
    assert err[0] < err[1]


def test_runs_are_repeatable(small):
    ex, content, style = small
    a = S.style_transfer(content, style, ex, steps=5, init="noise", seed=3, progress=False)
    b = S.style_transfer(content, style, ex, steps=5, init="noise", seed=3, progress=False)
    np.testing.assert_array_equal(a.image, b.image)
