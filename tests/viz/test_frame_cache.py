"""The explorers' on-disk frame cache: reused when nothing changed, never stale, easy to turn off."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from matplotlib.figure import Figure

import cnnlib.viz.widgets as widgets
from cnnlib.viz import _frame_cache
from cnnlib.viz.widgets import clear_frame_cache, explorer, frame_cache_dir

LEVELS = np.array([1.0, 2.0, 3.0])


def _draw(height, color="C0", levels=LEVELS):
    fig = Figure(figsize=(2, 1.5))
    ax = fig.add_subplot()
    ax.bar([0, 1], [height * levels[0], levels[1]], color=color)
    ax.set_ylim(0, 10)
    return fig


def render_levels(height, color):
    return _draw(height, color, LEVELS)


@pytest.fixture
def renders(monkeypatch):
    """Counts the frames actually drawn (every render goes through figure_to_png)."""
    count = []
    real = widgets.figure_to_png

    def counting(fig, dpi=widgets.DEFAULT_DPI):
        count.append(1)
        return real(fig, dpi)

    monkeypatch.setattr(widgets, "figure_to_png", counting)
    return count


def _make(render=render_levels, **kw):
    return explorer(render, height=[1, 2], color=["C0", "C1"], dpi=30, **kw)


def _files(root):
    return sorted(p for p in root.rglob("*.png")) if root.exists() else []


def test_cache_dir_from_the_environment(monkeypatch, tmp_path, frame_cache):
    assert frame_cache_dir() == frame_cache
    for off in ("off", "0", "false", "No"):
        monkeypatch.setenv("CNNLIB_FRAME_CACHE", off)
        assert frame_cache_dir() is None
    monkeypatch.delenv("CNNLIB_FRAME_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert frame_cache_dir() == tmp_path / "xdg" / "cnnlib" / "frames"
    monkeypatch.setenv("CNNLIB_FRAME_CACHE", "")
    assert frame_cache_dir() == _frame_cache._user_cache_root(), "empty means the default"


def test_a_second_explorer_reads_its_frames_from_disk(renders, frame_cache):
    first = _make().frames()
    assert len(renders) == 4 and len(_files(frame_cache)) == 4
    second = _make().frames()
    assert second == first and len(renders) == 4, "nothing drawn the second time"
    # the same bytes the render function gives
    assert second == [widgets.figure_to_png(render_levels(**v), 30) for v in _make().grid()]


def test_player_html_is_the_same_with_and_without_the_cache(frame_cache):
    cold = _make().player_html("x")
    warm = _make().player_html("x")
    off = _make(cache=False).player_html("x")
    assert cold == warm == off
    assert len(_files(frame_cache)) == 4


def test_a_changed_global_array_is_not_served_stale(renders, monkeypatch):
    before = _make().frames()
    monkeypatch.setattr(sys.modules[__name__], "LEVELS", np.array([2.0, 2.0, 3.0]))
    after = _make().frames()
    assert len(renders) == 8 and after != before
    monkeypatch.setattr(sys.modules[__name__], "LEVELS", np.array([2.0, 2.0, 3.0]))
    assert _make().frames() == after and len(renders) == 8, "equal bytes, equal key"


def test_a_changed_closure_variable_is_not_served_stale(renders):
    def make(levels):
        def render(height, color):
            return _draw(height, color, levels)
        return _make(render)

    a = make(np.array([1.0, 1.0, 1.0])).frames()
    b = make(np.array([3.0, 1.0, 1.0])).frames()
    assert a != b and len(renders) == 8
    assert make(np.array([3.0, 1.0, 1.0])).frames() == b and len(renders) == 8


def test_a_changed_helper_function_is_not_served_stale(renders):
    def helper_a(h):
        return h

    def helper_b(h):
        return h / 2

    helper = helper_a

    def render(height, color):
        return _draw(helper(height), color)

    a = _make(render).frames()
    helper = helper_b          # noqa: F841 (read by render through its closure)
    b = _make(render).frames()
    assert a != b and len(renders) == 8


def test_the_source_of_the_render_function_is_in_the_key(renders, tmp_path):
    namespace = {"Figure": Figure, "_draw": _draw}
    exec("def render(height, color):\n    return _draw(height, color)\n", namespace)
    _make(namespace["render"]).frames()
    exec("def render(height, color):\n    return _draw(height + 1, color)\n", namespace)
    _make(namespace["render"]).frames()
    assert len(renders) == 8


def test_matplotlib_settings_are_in_the_key(renders):
    import matplotlib

    a = _make().frames()
    with matplotlib.rc_context({"axes.facecolor": "#ffeeee"}):
        b = _make().frames()
    assert a != b and len(renders) == 8


def test_settings_that_draw_nothing_are_not_in_the_key(renders, frame_cache):
    """Jupyter's inline backend turns ``interactive`` on after the first figure it shows; a
    second Run All must still find the frames the first one drew before that."""
    import matplotlib

    with matplotlib.rc_context({"interactive": False}):
        a = _make().frames()
    with matplotlib.rc_context({"interactive": True, "figure.max_open_warning": 3}):
        b = _make().frames()
    assert a == b and len(renders) == 4


def test_unhashable_globals_turn_the_cache_off(renders, frame_cache):
    class Thing:
        scale = 1.0

    thing = Thing()

    def render(height, color):
        return _draw(height * thing.scale, color)

    _make(render).frames()
    _make(render).frames()
    assert len(renders) == 8 and _files(frame_cache) == []


def test_turning_the_cache_off(renders, frame_cache, monkeypatch):
    _make(cache=False).frames()
    _make(cache=False).frames()
    assert len(renders) == 8 and _files(frame_cache) == []
    monkeypatch.setenv("CNNLIB_FRAME_CACHE", "off")
    _make().frames()
    assert len(renders) == 12 and _files(frame_cache) == []


def test_a_damaged_file_is_drawn_again(renders, frame_cache):
    good = _make().frames()
    for path in _files(frame_cache):
        path.write_bytes(b"garbage")
    assert _make().frames() == good and len(renders) == 8
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in _files(frame_cache))


def test_clear_and_prune(renders, frame_cache, monkeypatch):
    _make().frames()
    assert clear_frame_cache() == 4 and _files(frame_cache) == []
    monkeypatch.setattr(_frame_cache, "MAX_EXPLORERS", 3)
    for k in range(5):
        def render(height, color, k=k):
            return _draw(height + k, color)
        _make(render).frames()
    assert len([p for p in frame_cache.iterdir() if p.is_dir()]) == 3


def test_an_unwritable_cache_is_no_error(renders, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("CNNLIB_FRAME_CACHE", str(blocker / "frames"))
    assert len(_make().frames()) == 4 and len(renders) == 4


def test_fingerprint_of_values():
    fp = _frame_cache.fingerprint
    a = np.arange(6, dtype=np.float32)
    assert fp(a) == fp(a.copy()) != fp(a.astype(np.float64)) != fp(a.reshape(2, 3))
    assert fp({"x": 1, "y": 2}) != fp({"y": 2, "x": 1}), "insertion order is what code sees"
    assert fp({1, 2, 3}) == fp({3, 2, 1})
    assert fp(1) != fp(1.0) != fp(True)
    assert fp([a, a]) == fp([a, a.copy()]), "a repeated object hashes like its copy"
    with pytest.raises(_frame_cache.Unhashable):
        fp(object())
    with pytest.raises(_frame_cache.Unhashable):
        fp(np.array([object()]))
    assert fp(np.add) == fp(np.add) and fp(os.path.join) == fp(os.path.join)


def test_a_second_process_reuses_the_frames(tmp_path, frame_cache):
    """What a second Run All does: a fresh interpreter with the same code draws nothing."""
    script = tmp_path / "notebook.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        from matplotlib.figure import Figure
        import cnnlib.viz.widgets as widgets
        drawn = []
        real = widgets.figure_to_png
        widgets.figure_to_png = lambda fig, dpi: drawn.append(1) or real(fig, dpi)
        signal = np.linspace(0, 1, 50)

        def render(k):
            fig = Figure(figsize=(2, 1))
            fig.add_subplot().plot(signal ** k)
            return fig

        e = widgets.explorer(render, k=[1, 2, 3], dpi=30)
        html = e._repr_mimebundle_()["text/html"]
        print(len(drawn), len(html))
    """))
    env = {**os.environ, "CNNLIB_FRAME_CACHE": str(frame_cache)}
    runs = [subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           check=True, env=env).stdout.split() for _ in range(2)]
    assert runs[0][0] == "3" and runs[1][0] == "0" and runs[0][1] == runs[1][1]
