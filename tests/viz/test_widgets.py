"""cnnlib.viz.widgets: the explorer mechanism and the convolution-arithmetic explorer, outside notebooks."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from cnnlib import numpy_ops, shapes
from cnnlib.viz.explorers.conv_arithmetic import (conv_arithmetic, conv_arithmetic_explorer,
                                                  draw_conv_arithmetic)
from cnnlib.viz.widgets import Explorer, explorer, figure_to_png, message_figure

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ROOT = Path(__file__).resolve().parents[2]


def _bars(height, color="C0"):
    fig = Figure(figsize=(2, 1.5))
    ax = fig.add_subplot()
    ax.bar([0, 1], [height, 1], color=color)
    ax.set_ylim(0, 4)
    return fig


def _small():
    return explorer(_bars, height=[1, 2, 3], color=["C0", "C1"], title="bars", dpi=30,
                    initial={"height": 2})


def _player_data(player):
    match = re.search(r'<script type="application/json" class="cnnlib-explorer-data">(.*?)</script>',
                      player, re.S)
    assert match, "the player carries its frames as JSON"
    return json.loads(match.group(1))


# ---------------------------------------------------------------------------------------------
# The generic mechanism
# ---------------------------------------------------------------------------------------------

def test_frame_count_is_the_grid_size():
    e = _small()
    assert e.frame_count == 6
    assert len(e.grid()) == 6
    assert e.grid()[0] == {"height": 1, "color": "C0"} and e.grid()[1] == {"height": 1, "color": "C1"}
    assert len(e.frames()) == 6
    data = _player_data(e.player_html())
    assert len(data["frames"]) == 6
    assert len(data["images"]) == len(set(e.frames())) == 6
    assert [s["name"] for s in data["sliders"]] == ["height", "color"]
    assert [s["stride"] for s in data["sliders"]] == [2, 1]


def test_frames_are_png_and_follow_the_grid():
    e = _small()
    frames = e.frames()
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in frames)
    assert frames[3] == e.frame(height=2, color="C1")
    assert e.frame() == e.frame(height=2, color="C0"), "missing values fall back to initial"


def test_bundle_has_widget_html_and_plain_text():
    bundle = _small()._repr_mimebundle_()
    assert set(bundle) >= {WIDGET_VIEW, "text/html", "text/plain"}
    assert bundle[WIDGET_VIEW]["model_id"]
    assert bundle["text/plain"] == "<Explorer 'bars': 6 frames over height=1|2|3, color=C0|C1>"
    assert 'type="range"' in bundle["text/html"]


def test_player_is_self_contained():
    html = conv_arithmetic_explorer(n=[5, 6], f=[3], p=[0, 1], s=[1, 2], d=[1])._repr_mimebundle_()[
        "text/html"]
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    assert not re.search(r"[a-z]+://|//[a-z]", text, re.I), "no URL may leave the page"
    srcs = re.findall(r'\bsrc="([^"]*)"', html)
    assert srcs and all(src.startswith("data:image/png;base64,") for src in srcs)
    assert "<script src" not in html and "@import" not in html and "url(" not in html


def test_element_ids_are_unique_per_display_and_deterministic():
    first, second = _small()._repr_mimebundle_(), _small()._repr_mimebundle_()
    id1 = re.search(r'id="([^"]+)"', first["text/html"]).group(1)
    id2 = re.search(r'id="([^"]+)"', second["text/html"]).group(1)
    assert id1 != id2 and id1.rsplit("-", 1)[0] == id2.rsplit("-", 1)[0]
    assert first["text/html"].replace(id1, "ID") == second["text/html"].replace(id2, "ID")


def test_output_is_identical_in_a_fresh_process():
    """What nbval compares: the same bundle (text/html, text/plain) from a fresh interpreter."""
    code = (
        "import json, sys; sys.path.insert(0, %r)\n"
        "from test_widgets import _small\n"
        "b = _small()._repr_mimebundle_()\n"
        "print(json.dumps({k: b[k] for k in ('text/html', 'text/plain')}))\n"
    ) % str(Path(__file__).parent)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    fresh = json.loads(out.stdout)
    here = _small().player_html()
    fresh_html = re.sub(r'cnnlib-explorer-([0-9a-f]{10})-\d+', r'cnnlib-explorer-\1', fresh["text/html"])
    assert fresh_html == here
    assert fresh["text/plain"] == repr(_small())


def test_single_valued_parameters_get_no_slider():
    e = conv_arithmetic_explorer(n=[6], f=[3], p=[0, 1], s=[1], d=[1])
    html = e.player_html()
    assert html.count('type="range"') == 1 and 'data-slider="p"' in html
    assert "input n = 6" in html
    assert e.frame_count == 2


def _live_parts(box):
    """The sliders (by description), Play buttons and Image of a live explorer widget."""
    import ipywidgets as W

    sliders, plays, images, stack = {}, [], [], [box]
    while stack:
        w = stack.pop()
        if isinstance(w, W.SelectionSlider):
            sliders[w.description] = w
        elif isinstance(w, W.Play):
            plays.append(w)
        elif isinstance(w, W.Image):
            images.append(w)
        stack.extend(getattr(w, "children", ()))
    assert len(images) == 1
    return sliders, plays, images[0]


def test_live_widget_follows_its_sliders():
    e = _small()
    box = e.widget()
    sliders, plays, image = _live_parts(box)
    assert set(sliders) == {"height", "color"} and plays == []
    assert image.value == e.frame(height=2, color="C0")
    sliders["height"].value = 3
    sliders["color"].value = "C1"
    assert image.value == e.frame(height=3, color="C1")
    assert "cnnlib-explorer-live" in box._dom_classes


def test_live_image_keeps_its_natural_size():
    """A flex item that does not stretch (JupyterLab stretched 540 px frames to 829 px)."""
    _, _, image = _live_parts(_small().widget())
    assert image.layout.align_self == "flex-start"
    assert image.layout.max_width == "100%"
    assert image.layout.width == "auto" and image.layout.height == "auto"
    assert image.width == "" and image.height == "", "no fixed size that could upscale"


def test_player_script_and_style_are_package_data():
    from importlib.resources import files

    from cnnlib.viz.widgets import player_script, player_style

    js = files("cnnlib.viz").joinpath("player.js").read_text(encoding="utf-8")
    css = files("cnnlib.viz").joinpath("player.css").read_text(encoding="utf-8")
    assert player_script() == js.strip() and player_style() == css.strip()
    html = _small().player_html("the-id")
    assert js.strip() in html and css.strip() in html
    assert html.count("<script>") == 1 and html.count("<style>") == 1
    assert player_script() + '(document.getElementById("the-id"));' in html
    assert "{{" not in html and "}}" not in html, "no doubled braces from an f-string"


def test_wheel_carries_the_player_files(tmp_path):
    """pyproject's package-data puts player.js and player.css into the wheel."""
    import shutil
    import zipfile

    src = tmp_path / "src"
    shutil.copytree(ROOT / "cnnlib", src / "cnnlib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(tmp_path / "dist"), str(src)],
                   check=True, capture_output=True)
    wheel, = (tmp_path / "dist").glob("cnnlib-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "cnnlib/viz/player.js" in names and "cnnlib/viz/player.css" in names


def test_hint_for_pages_without_scripts():
    """A line that only script-less pages show (an untrusted notebook in JupyterLab): the
    player's own script hides it."""
    from cnnlib.viz.widgets import HINT

    html = _small().player_html()
    assert re.search(r'<div class="cnnlib-explorer-hint" style="[^"]*">', html)
    assert html.index("cnnlib-explorer-hint") < html.index("<script")
    assert "run this cell" in HINT and html.count(HINT) == 1
    assert 'querySelector(".cnnlib-explorer-hint")' in html and "hint.hidden = true" in html
    fixed = explorer(_bars, height=[2], color=["C0"])
    assert '<div class="cnnlib-explorer-hint"' not in fixed.player_html(), "no slider, no hint"


# ---------------------------------------------------------------------------------------------
# The play button
# ---------------------------------------------------------------------------------------------

def _played():
    return explorer(_bars, height=[1, 2, 3], color=["C0", "C1"], title="bars", dpi=30,
                    initial={"height": 2}, play="height", interval=250)


def test_play_button_in_the_player():
    e = _played()
    html = e.player_html()
    data = _player_data(html)
    assert data["play"] == {"slider": "height", "interval": 250}
    button = re.search(r'<button type="button" class="cnnlib-explorer-play" data-play="height"'
                       r'[^>]*disabled>', html)
    assert button, "a play button for the slider, disabled until the script runs"
    assert html.index('data-play="height"') < html.index('data-slider="height"')
    assert html.count("<button") == 1
    # the same frames as without the button: play only steps the slider
    assert data["frames"] == _player_data(_small().player_html())["frames"]
    assert _player_data(_small().player_html())["play"] is None
    assert "<button" not in _small().player_html()


def test_play_button_in_the_live_widget():
    import ipywidgets as W

    e = _played()
    box = e.widget()
    sliders, plays, image = _live_parts(box)
    play, = plays
    slider = sliders["height"]
    assert (play.min, play.max, play.step, play.value) == (0, 2, 1, slider.index)
    assert play.interval == 250 and play.repeat
    link = e._link
    assert isinstance(link, W.widget_link.Link), "linked in the browser (jslink), no kernel trip"
    assert link.source == (play, "value") and link.target == (slider, "index")
    slider.index = 0
    assert image.value == e.frame(height=1)


def test_play_default_interval_and_bad_values():
    from cnnlib.viz.widgets import DEFAULT_INTERVAL

    assert explorer(_bars, height=[1, 2], play="height").interval == DEFAULT_INTERVAL
    assert 200 <= DEFAULT_INTERVAL <= 1500
    with pytest.raises(ValueError, match="explorer: play must be one of 'height'"):
        explorer(_bars, height=[1, 2], color=["C0"], play="color")
    with pytest.raises(ValueError, match="play must be one of"):
        explorer(_bars, height=[1, 2], play="width")
    with pytest.raises(TypeError, match="explorer: play must be a slider name"):
        explorer(_bars, height=[1, 2], play=1)
    with pytest.raises(ValueError, match="explorer: interval must be >= 20"):
        explorer(_bars, height=[1, 2], play="height", interval=5)
    with pytest.raises(TypeError, match="explorer: interval must be an int"):
        explorer(_bars, height=[1, 2], play="height", interval=0.5)


def test_chapter_explorers_pass_play_through():
    from cnnlib.viz.explorers.pooling import pooling_explorer
    from cnnlib.viz.explorers.receptive_field import receptive_field_explorer

    assert conv_arithmetic_explorer(play="p").play == "p"
    assert pooling_explorer(play="s", interval=400).interval == 400
    assert receptive_field_explorer(play="layers").play == "layers"


def test_bad_specifications_are_refused():
    with pytest.raises(TypeError, match="render must be callable"):
        explorer(42, f=[1])
    with pytest.raises(ValueError, match="at least one slider"):
        explorer(_bars)
    with pytest.raises(TypeError, match="slider 'height' expects a range, list or tuple"):
        explorer(_bars, height=3)
    with pytest.raises(ValueError, match="has no values"):
        explorer(_bars, height=[])
    with pytest.raises(ValueError, match="initial value 7 of slider 'height'"):
        explorer(_bars, height=[1, 2], initial={"height": 7})
    with pytest.raises(ValueError, match="max_frames=10"):
        explorer(_bars, height=range(4), color=list("abc"), max_frames=10)
    with pytest.raises(ValueError, match="not one of"):
        _small().frame(height=9)
    with pytest.raises(TypeError, match="must return a matplotlib Figure"):
        explorer(lambda height: "not a figure", height=[1]).frame()
    with pytest.raises(TypeError, match="explorer: dpi must be a number"):
        explorer(_bars, height=[1], dpi="90")
    with pytest.raises(ValueError, match="explorer: dpi must lie in"):
        explorer(_bars, height=[1], dpi=0)
    with pytest.raises(TypeError, match="explorer: max_frames must be an int"):
        explorer(_bars, height=[1], max_frames=True)
    with pytest.raises(TypeError, match="explorer: cache must be a bool"):
        explorer(_bars, height=[1], cache="no")
    with pytest.raises(TypeError, match="explorer: title must be a str"):
        explorer(_bars, height=[1], title=3)


def test_figure_to_png_is_deterministic_and_checks_its_input():
    assert figure_to_png(_bars(2), dpi=30) == figure_to_png(_bars(2), dpi=30)
    assert figure_to_png(message_figure("hello")).startswith(b"\x89PNG")
    with pytest.raises(TypeError):
        figure_to_png("not a figure")
    with pytest.raises(ValueError, match="figure_to_png: dpi"):
        figure_to_png(_bars(1), dpi=-3)


# ---------------------------------------------------------------------------------------------
# Convolution arithmetic
# ---------------------------------------------------------------------------------------------

GRID = [(n, f, p, s, d) for n in range(1, 9) for f in range(1, 6) for p in range(3)
        for s in range(1, 4) for d in range(1, 4)]


@pytest.mark.parametrize("n, f, p, s, d", GRID[::7])
def test_conv_arithmetic_agrees_with_shapes_and_numpy_conv2d(n, f, p, s, d):
    geo = conv_arithmetic(n, f, p, s, d)
    x = np.random.default_rng(0).standard_normal((1, 1, n, n))
    w = np.ones((1, 1, f, f))
    if geo.out is None:
        with pytest.raises(ValueError):
            shapes.output_size(n, f, p, s, d)
        with pytest.raises(ValueError):
            numpy_ops.conv2d(x, w, stride=s, padding=p, dilation=d)
        assert geo.error and not geo.starts
        return
    assert geo.out == shapes.output_size(n, f, p, s, d)
    assert numpy_ops.conv2d(x, w, stride=s, padding=p, dilation=d).shape == (1, 1, geo.out, geo.out)
    assert geo.padded == n + 2 * p and geo.span == d * (f - 1) + 1
    assert geo.starts == tuple(range(0, s * geo.out, s))
    assert geo.starts[-1] + geo.span <= geo.padded


@pytest.mark.parametrize("n, f, p, s, d", [(7, 3, 0, 3, 1), (6, 3, 2, 3, 2), (8, 2, 1, 3, 1),
                                           (5, 1, 0, 2, 1), (7, 3, 1, 2, 1)])
def test_read_cells_are_exactly_those_the_convolution_depends_on(n, f, p, s, d):
    """An input cell is 'read' iff a one-hot input there gives a non-zero output."""
    geo = conv_arithmetic(n, f, p, s, d)
    w = np.ones((1, 1, 1, f))
    for i in range(n):
        x = np.zeros((1, 1, 1, n))
        x[..., i] = 1.0
        y = numpy_ops.conv2d(x, w, stride=(1, s), padding=(0, p), dilation=(1, d))
        assert bool(y.any()) == geo.read[p + i], (i, geo)
    assert set(geo.unread_inputs) == {i for i in range(n) if not geo.read[p + i]}


def test_conv_arithmetic_rejects_bad_arguments():
    with pytest.raises(TypeError, match="conv_arithmetic: f must be an int"):
        conv_arithmetic(5, 2.5)
    with pytest.raises(ValueError, match="conv_arithmetic: s must be positive, got 0"):
        conv_arithmetic(5, 3, s=0)
    with pytest.raises(ValueError, match="conv_arithmetic: p must be non-negative, got -1"):
        conv_arithmetic(5, 3, p=-1)


def test_conv_arithmetic_explorer_frames():
    e = conv_arithmetic_explorer(n=[5], f=[3, 5], p=[0], s=[1, 2], d=[1, 2])
    assert e.frame_count == 8
    assert e.initial == {"n": 5, "f": 3, "p": 0, "s": 2, "d": 1}
    frames = e.frames()
    assert len(set(frames)) == 8
    # f=5, d=2 spans 9 cells > 5: a message frame that says so
    assert conv_arithmetic(5, 5, 0, 1, 2).out is None
    assert isinstance(draw_conv_arithmetic(5, 5, 0, 1, 2), Figure)


def test_identical_frames_are_stored_once():
    e = explorer(lambda height, color: _bars(height), height=[1, 2, 3], color=["a", "b"], dpi=30)
    data = _player_data(e.player_html())
    assert data["frames"] == [0, 0, 1, 1, 2, 2] and len(data["images"]) == 3


def test_default_explorer_stays_light():
    e = conv_arithmetic_explorer()
    assert isinstance(e, Explorer) and e.frame_count <= 216
    size = len(e.player_html().encode())
    assert size < 1_500_000, f"player is {size / 1e6:.1f} MB"
