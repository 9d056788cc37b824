"""Slider explorers that respond both in a live kernel and in the static HTML book.

An *explorer* is a render function over a small, discrete grid of slider values. Displayed in a
notebook, it produces ONE output (one MIME bundle) with three forms of the same thing:

- ``application/vnd.jupyter.widget-view+json``: an ipywidgets UI (one slider per parameter and an
  image, shown at its natural size and never larger). JupyterLab shows this form once the cell
  has run; moving a slider re-renders the picture in the kernel.
- ``text/html``: a self-contained player. Every frame of the grid is rendered once, when the
  notebook runs, to a small PNG embedded as a ``data:`` URI, and a few lines of plain JavaScript
  (``cnnlib/viz/player.js``, styled by ``player.css``, both inlined) swap the picture when an
  ``<input type="range">`` moves. Nothing is loaded from anywhere, so the slider responds in the
  built book with no kernel behind the page. The book's configuration
  (``nb_mime_priority_overrides`` in ``_config.yml``) makes Jupyter Book render this form.
  JupyterLab shows it too, for a notebook that is not trusted yet, with its scripts removed and
  its sliders greyed out; a one-line hint, which the player's script hides wherever it runs,
  then tells the reader to run the cell.
- ``text/plain``: a deterministic one-line summary.

Under nbval the widget view is never compared, and the PNG payloads inside the player are
replaced by a placeholder (``tests/nbval_sanitize.cfg``), so a notebook that shows an explorer
passes strict nbval on any machine; everything else in the player (slider names, values, ids) is
compared as usual.

Build your own explorer with :func:`explorer`: a render function that takes the slider values as
keyword arguments and returns a Matplotlib :class:`~matplotlib.figure.Figure`, plus one keyword
per slider giving its values::

    def render(f, s):
        fig = Figure(figsize=(4, 3))
        ...                       # draw with fig.add_subplot(), never plt.show()
        return fig

    explorer(render, f=[1, 3, 5], s=range(1, 4), title="Pooling", initial={"f": 3}, play="s")

``play="s"`` adds a play button that steps the slider ``s`` through its values, one frame every
``interval`` milliseconds, in the book (from the stored frames) and in the live widget (an
ipywidgets ``Play`` linked to the slider), in the spirit of Dumoulin and Visin's animations of
convolution arithmetic.

Keep grids small: every combination of values is one frame (default cap: 400), and a page with
explorers should stay under a few MB. Keep pictures small too: a frame of at most
:data:`MAX_FRAME_SIZE` pixels (e.g. 6 x 3 inches at 90 dpi) fits a laptop screen together with
its sliders. :mod:`cnnlib.viz.explorers` holds the chapter explorers built this way.

The frames are cached on disk (:func:`frame_cache_dir`), keyed by the render function's source,
the values it reads and the slider values, so a second run of a notebook does not render them
again; ``CNNLIB_FRAME_CACHE=off`` or ``explorer(..., cache=False)`` turns the cache off.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import importlib.resources
import io
import itertools
import json
import math
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .._checks import check_bool, check_choice, check_int, check_number
from . import _frame_cache

__all__ = [
    "Explorer",
    "explorer",
    "figure_to_png",
    "message_figure",
    "png_size",
    "frame_cache_dir",
    "clear_frame_cache",
]

DEFAULT_DPI = 90
DEFAULT_MAX_FRAMES = 400
DEFAULT_INTERVAL = 700   # ms per frame of the play button: long enough to read a frame
PNG_COLORS = 64          # palette size of the quantised frames (keeps pages light)
MAX_FRAME_SIZE = (800, 450)   # (width, height) in pixels that fits a laptop screen with sliders

HINT = ("Greyed-out sliders? This is the stored picture of an interactive explorer: run this "
        "cell (or Run All) to make it live.")

# How many explorers with the same specification were displayed so far in this process: the
# element ids of the players are derived from the specification and this count, so they are
# unique on a page and identical every time a notebook runs top to bottom in a fresh kernel.
_displayed: Counter = Counter()


# --------------------------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------------------------

def figure_to_png(fig: Figure, dpi: float = DEFAULT_DPI) -> bytes:
    """Render a Matplotlib figure to compact PNG bytes.

    The figure is drawn with the Agg renderer at ``dpi``, flattened onto white and quantised to
    a palette of at most 64 colours (plenty for diagrams, and several times smaller than a
    true-colour PNG). The result carries no timestamp or software metadata, so the same figure
    gives the same bytes every time on the same library versions. A figure that was created
    with ``pyplot`` is closed afterwards, so it does not show up again below the cell.
    """
    from PIL import Image

    if not isinstance(fig, Figure):
        raise TypeError(f"figure_to_png: fig must be a matplotlib Figure, got {type(fig).__name__}")
    dpi = check_number("figure_to_png", "dpi", dpi, minimum=0, strict=True)
    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    rgb = rgba[..., :3].astype(np.float32)
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    flat = (rgb * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)
    image = Image.fromarray(flat, mode="RGB").quantize(
        colors=PNG_COLORS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
    return buffer.getvalue()


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels of PNG bytes, read from the header."""
    if not png.startswith(_frame_cache.PNG_SIGNATURE) or len(png) < 24:
        raise ValueError("png_size: not PNG bytes")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def message_figure(text: str, figsize: tuple[float, float] = (6.0, 3.0)) -> Figure:
    """A figure that shows a message instead of a picture, e.g. for an invalid slider setting."""
    fig = Figure(figsize=figsize)
    fig.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=11,
             color="#8b1a1a", bbox=dict(boxstyle="round,pad=0.6", fc="#fdecea", ec="#8b1a1a"))
    return fig


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def frame_cache_dir() -> Path | None:
    """Where explorers cache their frames on disk, or ``None`` when the cache is off.

    ``$CNNLIB_FRAME_CACHE`` if it names a directory; ``off`` (or ``0``, ``false``, ``no``) turns
    the cache off; by default the user's cache directory, e.g. ``~/.cache/cnnlib/frames``.
    """
    return _frame_cache.cache_dir()


def clear_frame_cache() -> int:
    """Delete every cached explorer frame; returns the number of files removed."""
    return _frame_cache.clear()


# --------------------------------------------------------------------------------------------
# The player's script and style (package data, inlined in every player)
# --------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _asset(name: str) -> str:
    text = importlib.resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    for bad in ("</", "<!--", "<script", "<style"):      # would end or confuse the inline element
        if bad in text.lower():
            raise RuntimeError(f"cnnlib/viz/{name} must not contain {bad!r}: it is inlined "
                               f"in HTML")
    return text.strip()


def player_script() -> str:
    """The player's JavaScript (``cnnlib/viz/player.js``): a function of the root element."""
    return _asset("player.js")


def player_style() -> str:
    """The player's CSS (``cnnlib/viz/player.css``), scoped to ``.cnnlib-explorer``."""
    return _asset("player.css")


# --------------------------------------------------------------------------------------------
# The generic explorer
# --------------------------------------------------------------------------------------------

def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)


class Explorer:
    """A render function over a discrete grid of slider values; see the module docstring.

    Create one with :func:`explorer`. Real state lives here (the live widget, its sliders and a
    cache of rendered frames), which is why this is a class.

    Parameters
    ----------
    render : callable
        ``render(**values) -> matplotlib.figure.Figure`` for one combination of slider values.
    sliders : mapping of str to sequence
        Slider name -> the values it can take, in order (a ``range``, list or tuple of numbers or
        strings). A parameter with a single value is passed to ``render`` but gets no slider.
    title : str
        Shown above the sliders.
    initial : mapping, optional
        Starting value per slider; default the first value of each.
    labels : mapping, optional
        Text shown next to a slider instead of its name.
    dpi : float
        Resolution of the frames (90 makes a 6x3 inch figure 540x270 pixels).
    max_frames : int
        Refuse grids with more frames than this, to keep pages light.
    play : str, optional
        Name of a slider that gets a play button, which steps it through its values.
    interval : int
        Milliseconds per frame of the play button.
    cache : bool
        Keep rendered frames on disk for the next run (see :func:`frame_cache_dir`).
    """

    def __init__(self, render: Callable[..., Figure], sliders: Mapping[str, Sequence], *,
                 title: str = "", initial: Mapping[str, Any] | None = None,
                 labels: Mapping[str, str] | None = None, dpi: float = DEFAULT_DPI,
                 max_frames: int = DEFAULT_MAX_FRAMES, play: str | None = None,
                 interval: int = DEFAULT_INTERVAL, cache: bool = True):
        op = "explorer"
        if not callable(render):
            raise TypeError(f"explorer: render must be callable, got {type(render).__name__}")
        if not sliders:
            raise ValueError("explorer: give at least one slider, e.g. explorer(render, f=[1, 3, 5])")
        if not isinstance(title, str):
            raise TypeError(f"explorer: title must be a str, got {type(title).__name__}")
        self.render = render
        self.title = title
        self.dpi = check_number(op, "dpi", dpi, minimum=0, strict=True)
        max_frames = check_int(op, "max_frames", max_frames, minimum=1)
        self.interval = check_int(op, "interval", interval, minimum=20, maximum=60_000)
        self.cache = check_bool(op, "cache", cache)
        self.values: dict[str, tuple] = {}
        for name, spec in sliders.items():
            if isinstance(spec, (str, bytes)) or not isinstance(spec, (Sequence, range)):
                raise TypeError(f"explorer: slider {name!r} expects a range, list or tuple of "
                                f"values, got {type(spec).__name__}")
            values = tuple(spec)
            if not values:
                raise ValueError(f"explorer: slider {name!r} has no values")
            if len(set(map(_label, values))) != len(values):
                raise ValueError(f"explorer: slider {name!r} repeats a value: {values}")
            self.values[name] = values
        self.labels = {name: str((labels or {}).get(name, name)) for name in self.values}
        unknown = set(initial or {}) - set(self.values)
        if unknown:
            raise ValueError(f"explorer: initial names unknown sliders {sorted(unknown)}; "
                             f"sliders are {list(self.values)}")
        self.initial = {}
        for name, values in self.values.items():
            value = (initial or {}).get(name, values[0])
            if value not in values:
                raise ValueError(f"explorer: initial value {value!r} of slider {name!r} is not "
                                 f"one of its values {values}")
            self.initial[name] = value
        self.moving = [name for name, values in self.values.items() if len(values) > 1]
        if play is not None:
            if not isinstance(play, str):
                raise TypeError(f"explorer: play must be a slider name (str), got "
                                f"{type(play).__name__}")
            check_choice(op, "play", play, self.moving)
        self.play = play
        if self.frame_count > max_frames:
            raise ValueError(
                f"explorer: the grid has {self.frame_count} frames ("
                + " x ".join(f"{len(self.values[n])} {n}" for n in self.moving)
                + f"), more than max_frames={max_frames}; use fewer slider values")
        self._cache: dict[tuple, bytes] = {}
        self._widget = None

    # -- the grid ---------------------------------------------------------------------------

    @property
    def frame_count(self) -> int:
        """Number of frames: the product of the number of values of every slider."""
        return math.prod(len(v) for v in self.values.values())

    def grid(self) -> list[dict[str, Any]]:
        """Every combination of slider values, the last slider varying fastest."""
        names = list(self.values)
        return [dict(zip(names, combo)) for combo in itertools.product(*self.values.values())]

    def _full(self, values: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(values) - set(self.values)
        if unknown:
            raise ValueError(f"explorer: unknown slider(s) {sorted(unknown)}; "
                             f"sliders are {list(self.values)}")
        full = {**self.initial, **values}
        for name, value in full.items():
            if value not in self.values[name]:
                raise ValueError(f"explorer: {name}={value!r} is not one of {self.values[name]}")
        return {name: full[name] for name in self.values}

    def _frame(self, full: dict[str, Any], store: _frame_cache.FrameStore | None) -> bytes:
        key = tuple(full.values())
        if key in self._cache:
            return self._cache[key]
        disk_key = store.frame_key(full) if store is not None else None
        png = store.get(disk_key) if store is not None else None
        if png is None:
            fig = self.render(**full)
            if not isinstance(fig, Figure):
                raise TypeError(f"explorer: render must return a matplotlib Figure, "
                                f"got {type(fig).__name__} for {full}")
            png = figure_to_png(fig, self.dpi)
            if store is not None:
                store.put(disk_key, png)
        self._cache[key] = png
        return png

    def _store(self) -> _frame_cache.FrameStore | None:
        """The on-disk frames of this explorer as its render function reads the world now."""
        if not self.cache:
            return None
        return _frame_cache.store_for(self.render, self.dpi, extra=(PNG_COLORS,))

    def frame(self, **values) -> bytes:
        """PNG bytes of the frame for one combination of values (missing ones: initial)."""
        full = self._full(values)
        key = tuple(full.values())
        if key in self._cache:
            return self._cache[key]
        return self._frame(full, self._store())

    def frames(self) -> list[bytes]:
        """PNG bytes of every frame, in the order of :meth:`grid` (from the disk cache where
        the same render function, reading the same values, drew them before)."""
        grid = self.grid()
        if all(tuple(values.values()) in self._cache for values in grid):
            return [self._cache[tuple(values.values())] for values in grid]
        store = self._store()
        return [self._frame(values, store) for values in grid]

    # -- the kernel-free player -------------------------------------------------------------

    def spec_key(self) -> str:
        """A short hash of what the explorer shows (render function, title, slider values).

        It names the player's HTML element, so it must not depend on anything that differs
        between machines or runs (frame bytes, resolution, memory addresses).
        """
        render_name = getattr(self.render, "__qualname__", type(self.render).__name__)
        spec = json.dumps([render_name, self.title,
                           {n: [_label(v) for v in vals] for n, vals in self.values.items()},
                           {n: _label(v) for n, v in self.initial.items()}])
        return hashlib.sha1(spec.encode()).hexdigest()[:10]

    def player_html(self, element_id: str | None = None) -> str:
        """The self-contained HTML/JS player: range sliders, one ``<img>``, every frame inline.

        Identical frames are stored once. No external URL appears in the result. The script
        and style are ``cnnlib/viz/player.js`` and ``player.css``, inlined.
        """
        element_id = element_id or f"cnnlib-explorer-{self.spec_key()}"
        images: list[str] = []
        index_of: dict[bytes, int] = {}
        frame_index = []
        for png in self.frames():
            if png not in index_of:
                index_of[png] = len(images)
                images.append(_data_uri(png))
            frame_index.append(index_of[png])
        names = list(self.values)
        counts = [len(self.values[n]) for n in names]
        strides = [math.prod(counts[i + 1:]) for i in range(len(names))]
        data = {
            "sliders": [{"name": n, "labels": [_label(v) for v in self.values[n]],
                         "stride": stride, "start": self.values[n].index(self.initial[n])}
                        for n, stride in zip(names, strides)],
            "frames": frame_index,
            "images": images,
            "play": ({"slider": self.play, "interval": self.interval}
                     if self.play is not None else None),
        }
        payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        start_frame = sum(s * self.values[n].index(self.initial[n]) for n, s in zip(names, strides))
        controls = []
        for name in self.moving:
            position = self.values[name].index(self.initial[name])
            label = html.escape(self.labels[name])
            if name == self.play:
                # Disabled until the player's script runs, like the sliders of an untrusted
                # notebook in JupyterLab (whose sanitizer disables every input).
                controls.append(
                    f'<button type="button" class="cnnlib-explorer-play" '
                    f'data-play="{html.escape(name)}" aria-label="play {label}" '
                    f'aria-pressed="false" title="play {label}" disabled>&#9654;</button>')
            controls.append(
                f'<label class="cnnlib-explorer-slider"><span>{label}</span>'
                f'<input type="range" min="0" max="{len(self.values[name]) - 1}" step="1" '
                f'value="{position}" data-slider="{html.escape(name)}" aria-label="{label}">'
                f'<output>{html.escape(_label(self.initial[name]))}</output></label>')
        fixed = [f"{html.escape(self.labels[n])} = {html.escape(_label(self.initial[n]))}"
                 for n in self.values if n not in self.moving]
        title = html.escape(self.title)
        alt = html.escape(self.title or "explorer frame")
        hint = (f'<div class="cnnlib-explorer-hint" style="color: #8b1a1a; font-size: 0.85em; '
                f'margin-bottom: 0.3em;">{html.escape(HINT)}</div>\n' if self.moving else "")
        fixed_html = (f'<div class="cnnlib-explorer-fixed">{", ".join(fixed)}</div>\n'
                      if fixed else "")
        return (
            f'<div class="cnnlib-explorer" id="{element_id}">\n'
            f"<style>\n{player_style()}\n</style>\n"
            f'<div class="cnnlib-explorer-title">{title}</div>\n'
            f"{hint}"
            f'<div class="cnnlib-explorer-controls">{"".join(controls)}</div>\n'
            f"{fixed_html}"
            f'<img class="cnnlib-explorer-frame" alt="{alt}" '
            f'src="{images[frame_index[start_frame]]}">\n'
            f'<script type="application/json" class="cnnlib-explorer-data">{payload}</script>\n'
            f"<script>\n{player_script()}(document.getElementById({json.dumps(element_id)}));\n"
            f"</script>\n"
            f"</div>")

    # -- the live widget --------------------------------------------------------------------

    def widget(self):
        """The ipywidgets UI (built once): a slider per moving parameter above an Image.

        The image keeps its natural size and never grows past the output area's width. The
        slider named by ``play`` gets an ipywidgets ``Play`` button, linked to the slider in
        the browser.
        """
        if self._widget is None:
            import ipywidgets as W

            # Natural size, never larger: a flex item that does not stretch across the box.
            image = W.Image(value=self.frame(), format="png",
                            layout=W.Layout(align_self="flex-start", width="auto",
                                            height="auto", max_width="100%"))
            image.add_class("cnnlib-explorer-frame")
            sliders = {}
            for name in self.moving:
                sliders[name] = W.SelectionSlider(
                    options=[(_label(v), v) for v in self.values[name]],
                    value=self.initial[name], description=self.labels[name],
                    continuous_update=True, style={"description_width": "initial"})

            def update(_change=None):
                image.value = self.frame(**{n: s.value for n, s in sliders.items()})

            for slider in sliders.values():
                slider.observe(update, names="value")
            controls = []
            self._player = None
            for name, slider in sliders.items():
                if name == self.play:
                    player = W.Play(value=slider.index, min=0, max=len(self.values[name]) - 1,
                                    step=1, interval=self.interval, repeat=True,
                                    show_repeat=False, tooltip=f"play {self.labels[name]}",
                                    layout=W.Layout(width="auto"))
                    self._player = player
                    self._link = W.jslink((player, "value"), (slider, "index"))
                    controls.append(W.HBox([player, slider]))
                else:
                    controls.append(slider)
            fixed = [f"{self.labels[n]} = {_label(self.initial[n])}"
                     for n in self.values if n not in self.moving]
            header = W.HTML(f"<b>{html.escape(self.title)}</b>"
                            + (f" &nbsp; ({html.escape(', '.join(fixed))})" if fixed else ""))
            box = W.VBox([header, W.HBox(controls, layout=W.Layout(flex_flow="row wrap")),
                          image])
            box.add_class("cnnlib-explorer-live")
            self._sliders = sliders
            self._image = image
            self._widget = box
        return self._widget

    # -- display ----------------------------------------------------------------------------

    def __repr__(self) -> str:
        sliders = ", ".join(
            f"{n}={'|'.join(_label(v) for v in vals)}" for n, vals in self.values.items())
        return f"<Explorer {self.title!r}: {self.frame_count} frames over {sliders}>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        key = self.spec_key()
        _displayed[key] += 1
        element_id = f"cnnlib-explorer-{key}-{_displayed[key]}"
        player = self.player_html(element_id)       # first: renders (or loads) every frame
        bundle = dict(self.widget()._repr_mimebundle_(include=include, exclude=exclude))
        bundle["text/html"] = player
        bundle["text/plain"] = repr(self)
        return bundle


def explorer(render: Callable[..., Figure], *, title: str = "",
             initial: Mapping[str, Any] | None = None, labels: Mapping[str, str] | None = None,
             dpi: float = DEFAULT_DPI, max_frames: int = DEFAULT_MAX_FRAMES,
             play: str | None = None, interval: int = DEFAULT_INTERVAL, cache: bool = True,
             **sliders: Sequence) -> Explorer:
    """Build an :class:`Explorer` from a render function and one keyword per slider.

    ``explorer(render, f=[1, 3, 5], s=range(1, 4), title=..., initial={"f": 3})`` gives two
    sliders; ``render(f=..., s=...)`` must return a Matplotlib Figure (create it with
    ``matplotlib.figure.Figure`` rather than ``pyplot``). ``play="s"`` adds a play button that
    steps ``s`` through its values every ``interval`` milliseconds (default 700), in the book
    and in the live widget. ``cache=False`` renders every frame afresh instead of reusing the
    frames on disk. Display the result as the last expression of a cell. See the module
    docstring for how it is shown live and in the book. The keywords ``title``, ``initial``,
    ``labels``, ``dpi``, ``max_frames``, ``play``, ``interval`` and ``cache`` cannot name
    sliders.
    """
    return Explorer(render, sliders, title=title, initial=initial, labels=labels, dpi=dpi,
                    max_frames=max_frames, play=play, interval=interval, cache=cache)
