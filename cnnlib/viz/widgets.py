"""Slider explorers that respond both in a live kernel and in the static HTML book.

An *explorer* is a render function over a small, discrete grid of slider values. Displayed in a
notebook, it produces ONE output (one MIME bundle) with three forms of the same thing:

- ``application/vnd.jupyter.widget-view+json``: an ipywidgets UI (one slider per parameter and an
  image). JupyterLab shows this form; moving a slider re-renders the picture in the kernel.
- ``text/html``: a self-contained player. Every frame of the grid is rendered once, when the
  notebook runs, to a small PNG embedded as a ``data:`` URI, and a few lines of plain JavaScript
  swap the picture when an ``<input type="range">`` moves. Nothing is loaded from anywhere, so the
  slider responds in the built book with no kernel behind the page. The book's configuration
  (``nb_mime_priority_overrides`` in ``_config.yml``) makes Jupyter Book render this form.
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

    explorer(render, f=[1, 3, 5], s=range(1, 4), title="Pooling", initial={"f": 3})

Keep grids small: every combination of values is one frame (default cap: 400), and a page with
explorers should stay under a few MB. :mod:`cnnlib.viz.explorers` holds
the chapter explorers built this way.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import math
import sys
from collections import Counter
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


__all__ = [
    "Explorer",
    "explorer",
    "figure_to_png",
    "message_figure",
]

DEFAULT_DPI = 90
DEFAULT_MAX_FRAMES = 400
PNG_COLORS = 64          # palette size of the quantised frames (keeps pages light)

# How many explorers with the same specification were displayed so far in this process: the
# element ids of the players are derived from the specification and this count, so they are
# unique on a page and identical every time a notebook runs top to bottom in a fresh kernel.
_displayed: Counter = Counter()


# --------------------------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------------------------

def figure_to_png(fig: Figure, dpi: int = DEFAULT_DPI) -> bytes:
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
    if not (isinstance(dpi, (int, float)) and dpi > 0):
        raise ValueError(f"figure_to_png: dpi must be a positive number, got {dpi!r}")
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


def message_figure(text: str, figsize: tuple[float, float] = (6.0, 3.0)) -> Figure:
    """A figure that shows a message instead of a picture, e.g. for an invalid slider setting."""
    fig = Figure(figsize=figsize)
    fig.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=11,
             color="#8b1a1a", bbox=dict(boxstyle="round,pad=0.6", fc="#fdecea", ec="#8b1a1a"))
    return fig


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


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
    dpi : int
        Resolution of the frames (90 makes a 6x3 inch figure 540x270 pixels).
    max_frames : int
        Refuse grids with more frames than this, to keep pages light.
    """

    def __init__(self, render: Callable[..., Figure], sliders: Mapping[str, Sequence], *,
                 title: str = "", initial: Mapping[str, Any] | None = None,
                 labels: Mapping[str, str] | None = None, dpi: int = DEFAULT_DPI,
                 max_frames: int = DEFAULT_MAX_FRAMES):
        if not callable(render):
            raise TypeError(f"explorer: render must be callable, got {type(render).__name__}")
        if not sliders:
            raise ValueError("explorer: give at least one slider, e.g. explorer(render, f=[1, 3, 5])")
        self.render = render
        self.title = str(title)
        self.dpi = dpi
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

    def frame(self, **values) -> bytes:
        """PNG bytes of the frame for one combination of values (missing ones: initial)."""
        unknown = set(values) - set(self.values)
        if unknown:
            raise ValueError(f"explorer: unknown slider(s) {sorted(unknown)}; "
                             f"sliders are {list(self.values)}")
        full = {**self.initial, **values}
        for name, value in full.items():
            if value not in self.values[name]:
                raise ValueError(f"explorer: {name}={value!r} is not one of {self.values[name]}")
        key = tuple(full[name] for name in self.values)
        if key not in self._cache:
            fig = self.render(**full)
            if not isinstance(fig, Figure):
                raise TypeError(f"explorer: render must return a matplotlib Figure, "
                                f"got {type(fig).__name__} for {full}")
            self._cache[key] = figure_to_png(fig, self.dpi)
        return self._cache[key]

    def frames(self) -> list[bytes]:
        """PNG bytes of every frame, in the order of :meth:`grid`."""
        return [self.frame(**values) for values in self.grid()]

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

        Identical frames are stored once. No external URL appears in the result.
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
        }
        payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        start_frame = sum(s * self.values[n].index(self.initial[n]) for n, s in zip(names, strides))
        controls = []
        for name in self.moving:
            position = self.values[name].index(self.initial[name])
            label = html.escape(self.labels[name])
            controls.append(
                f'<label class="cnnlib-explorer-slider"><span>{label}</span>'
                f'<input type="range" min="0" max="{len(self.values[name]) - 1}" step="1" '
                f'value="{position}" data-slider="{html.escape(name)}" aria-label="{label}">'
                f'<output>{html.escape(_label(self.initial[name]))}</output></label>')
        fixed = [f"{html.escape(self.labels[n])} = {html.escape(_label(self.initial[n]))}"
                 for n in self.values if n not in self.moving]
        title = html.escape(self.title)
        alt = html.escape(self.title or "explorer frame")
        return f"""<div class="cnnlib-explorer" id="{element_id}">
<style>
#{element_id} {{ font-family: sans-serif; font-size: 0.9em; margin: 0.5em 0; }}
#{element_id} .cnnlib-explorer-title {{ font-weight: bold; margin-bottom: 0.3em; }}
#{element_id} .cnnlib-explorer-slider {{ display: inline-flex; align-items: center; gap: 0.4em; margin: 0 1.2em 0.3em 0; }}
#{element_id} .cnnlib-explorer-slider input {{ width: 8em; }}
#{element_id} .cnnlib-explorer-slider output {{ min-width: 1.5em; font-family: monospace; }}
#{element_id} .cnnlib-explorer-fixed {{ color: #555; margin-bottom: 0.3em; }}
#{element_id} img {{ max-width: 100%; height: auto; display: block; }}
</style>
<div class="cnnlib-explorer-title">{title}</div>
<div class="cnnlib-explorer-controls">{"".join(controls)}</div>
{f'<div class="cnnlib-explorer-fixed">{", ".join(fixed)}</div>' if fixed else ""}
<img class="cnnlib-explorer-frame" alt="{alt}" src="{images[frame_index[start_frame]]}">
<script type="application/json" class="cnnlib-explorer-data">{payload}</script>
<script>
(function () {{
  var root = document.getElementById("{element_id}");
  if (!root || root.getAttribute("data-ready")) {{ return; }}
  root.setAttribute("data-ready", "1");
  var data = JSON.parse(root.querySelector("script.cnnlib-explorer-data").textContent);
  var img = root.querySelector("img.cnnlib-explorer-frame");
  var inputs = {{}};
  root.querySelectorAll("input[data-slider]").forEach(function (input) {{
    inputs[input.getAttribute("data-slider")] = input;
    input.addEventListener("input", update);
  }});
  function update() {{
    var k = 0;
    data.sliders.forEach(function (s) {{
      var input = inputs[s.name];
      var pos = input ? parseInt(input.value, 10) : s.start;
      if (input) {{ input.nextElementSibling.textContent = s.labels[pos]; }}
      k += pos * s.stride;
    }});
    img.src = data.images[data.frames[k]];
  }}
  update();
}})();
</script>
</div>"""

    # -- the live widget --------------------------------------------------------------------

    def widget(self):
        """The ipywidgets UI (built once): a slider per moving parameter above an Image."""
        if self._widget is None:
            import ipywidgets as W

            image = W.Image(value=self.frame(), format="png",
                            layout=W.Layout(width="auto", max_width="100%"))
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
            fixed = [f"{self.labels[n]} = {_label(self.initial[n])}"
                     for n in self.values if n not in self.moving]
            header = W.HTML(f"<b>{html.escape(self.title)}</b>"
                            + (f" &nbsp; ({html.escape(', '.join(fixed))})" if fixed else ""))
            self._widget = W.VBox([header, W.HBox(list(sliders.values()),
                                                  layout=W.Layout(flex_flow="row wrap")), image])
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
        bundle = dict(self.widget()._repr_mimebundle_(include=include, exclude=exclude))
        bundle["text/html"] = self.player_html(element_id)
        bundle["text/plain"] = repr(self)
        return bundle


def explorer(render: Callable[..., Figure], *, title: str = "",
             initial: Mapping[str, Any] | None = None, labels: Mapping[str, str] | None = None,
             dpi: int = DEFAULT_DPI, max_frames: int = DEFAULT_MAX_FRAMES,
             **sliders: Sequence) -> Explorer:
    """Build an :class:`Explorer` from a render function and one keyword per slider.

    ``explorer(render, f=[1, 3, 5], s=range(1, 4), title=..., initial={"f": 3})`` gives two
    sliders; ``render(f=..., s=...)`` must return a Matplotlib Figure (create it with
    ``matplotlib.figure.Figure`` rather than ``pyplot``). Display the result as the last
    expression of a cell. See the module docstring for how it is shown live and in the book.
    """
    return Explorer(render, sliders, title=title, initial=initial, labels=labels, dpi=dpi,
                    max_frames=max_frames)
