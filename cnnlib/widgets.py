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
explorers should stay under a few MB. :func:`conv_arithmetic_explorer` (sections 1.3 and 1.4) is
the first explorer built this way.
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
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .plot import draw_cells
from .shapes import output_size

__all__ = [
    "Explorer",
    "explorer",
    "figure_to_png",
    "message_figure",
    "ConvArithmetic",
    "conv_arithmetic",
    "draw_conv_arithmetic",
    "conv_arithmetic_explorer",
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


# --------------------------------------------------------------------------------------------
# Convolution arithmetic (sections 1.3 and 1.4)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConvArithmetic:
    """Where a filter lands along one spatial axis of a convolution.

    Positions are indices into the padded input, ``0 .. padded - 1``; the real input occupies
    ``p .. p + n - 1``. ``out`` is ``None`` (and ``error`` says why) when the filter does not fit.
    """

    n: int
    f: int
    p: int
    s: int
    d: int
    padded: int                       # n + 2p
    span: int                         # d(f - 1) + 1, the width the dilated filter covers
    out: int | None                   # floor((n + 2p - d(f-1) - 1) / s) + 1
    starts: tuple[int, ...]           # first position of each window, one per output
    taps: tuple[int, ...]             # offsets of the filter taps within a window: 0, d, ..., d(f-1)
    read: tuple[bool, ...]            # per padded position: does any window read it?
    error: str | None = None

    @property
    def unread_inputs(self) -> tuple[int, ...]:
        """Positions of the real input (0-based, unpadded) that no window ever reads."""
        return tuple(i - self.p for i in range(self.p, self.p + self.n) if not self.read[i])


def conv_arithmetic(n: int, f: int, p: int = 0, s: int = 1, d: int = 1) -> ConvArithmetic:
    """The geometry of a convolution along one axis: output size, windows, taps.

    For an input of ``n`` positions, filter size ``f``, padding ``p`` on each side, stride ``s``
    and dilation ``d``, the output has

    .. math:: n_{out} = \\left\\lfloor \\frac{n + 2p - d(f-1) - 1}{s} \\right\\rfloor + 1

    positions (:func:`cnnlib.shapes.output_size`); window ``i`` starts at ``i * s`` in the padded
    input and reads positions ``i*s + k*d`` for ``k = 0 .. f-1``. A 2-D convolution with square
    parameters has the same geometry on both axes. When the dilated filter is wider than the
    padded input, the result has ``out=None`` and an ``error`` message instead of raising, so an
    explorer can show it. Taught in sections 1.3 (padding) and 1.4 (stride and dilation).
    """
    for name, value, minimum in (("n", n, 1), ("f", f, 1), ("p", p, 0), ("s", s, 1), ("d", d, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"conv_arithmetic: {name} must be an int, got {value!r}")
        if value < minimum:
            kind = "positive" if minimum == 1 else "non-negative"
            raise ValueError(f"conv_arithmetic: {name} must be {kind}, got {value}")
    n, f, p, s, d = (int(v) for v in (n, f, p, s, d))
    padded, span = n + 2 * p, d * (f - 1) + 1
    taps = tuple(k * d for k in range(f))
    try:
        out = output_size(n, f, p=p, s=s, d=d)
    except ValueError as exc:
        return ConvArithmetic(n, f, p, s, d, padded, span, None, (), taps,
                              (False,) * padded, error=str(exc))
    starts = tuple(i * s for i in range(out))
    read = [False] * padded
    for start in starts:
        for tap in taps:
            read[start + tap] = True
    return ConvArithmetic(n, f, p, s, d, padded, span, out, starts, taps, tuple(read))


_COLORS = {  # RGB of the cell kinds in draw_conv_arithmetic
    "input": (0xdb, 0xe9, 0xf6), "pad": (0xe5, 0xe5, 0xe5), "unread": (0xf4, 0xc7, 0xc3),
    "tap": (0xf5, 0x9e, 0x0b), "out": (0xd1, 0xfa, 0xe5), "blank": (0xff, 0xff, 0xff)}


def draw_conv_arithmetic(n: int, f: int, p: int = 0, s: int = 1, d: int = 1,
                         figsize: tuple[float, float] = (6.0, 3.0)) -> Figure:
    """Picture of :func:`conv_arithmetic` for a square input and filter.

    Left: the padded input (grey border = padding, blue = input, red = input cells no window
    reads), the taps of the first window in orange with its extent outlined, the last window
    dashed, and a dot where each window starts. Right: the output grid with the first output in
    orange and the last one dashed. An impossible combination gives a message frame instead.
    Sections 1.3 and 1.4.
    """
    geo = conv_arithmetic(n, f, p, s, d)
    formula = (f"n={n}, f={f}, p={p}, s={s}, d={d}:  "
               f"⌊({n} + 2·{p} − {d}·({f}−1) − 1) / {s}⌋ + 1")
    if geo.out is None:
        return message_figure(
            f"{formula}\nNo output: the filter spans {geo.span} cells, d(f−1)+1,\nbut the "
            f"padded input has only {geo.padded}, n+2p.", figsize)
    colors = np.array(list(_COLORS.values()), dtype=np.uint8)
    kind = {name: i for i, name in enumerate(_COLORS)}
    inside = np.zeros(geo.padded, dtype=bool)
    inside[p:p + n] = True
    read = np.array(geo.read)
    cells = np.full((geo.padded, geo.padded), kind["pad"])
    cells[np.ix_(inside, inside)] = kind["unread"]
    cells[np.ix_(inside & read, inside & read)] = kind["input"]
    cells[np.ix_(geo.taps, geo.taps)] = kind["tap"]
    out_cells = np.full((geo.out, geo.out), kind["out"])
    out_cells[0, 0] = kind["tap"]

    fig = Figure(figsize=figsize)
    fig.text(0.5, 0.97, f"{formula} = {geo.out}", fontsize=10, ha="center", va="top")
    fig.text(0.02, 0.02, "orange: taps of the first window and its output · dashed: last window "
             "· dots: window starts · red: never read", fontsize=7.5, color="#444444")
    ax = fig.add_axes((0.02, 0.09, 0.96, 0.76))
    extent = max(geo.padded, 9)
    x_out = extent + 1.5
    draw_cells(ax, colors[cells], 0, f"padded input {geo.padded}×{geo.padded}")
    draw_cells(ax, colors[out_cells], x_out, f"output {geo.out}×{geo.out}")
    ax.add_patch(Rectangle((-0.5, -0.5), geo.span, geo.span, fill=False, ec="#b45309", lw=2))
    last = geo.starts[-1]
    ax.add_patch(Rectangle((last - 0.5, last - 0.5), geo.span, geo.span, fill=False,
                           ec="#1f2937", lw=1.5, ls="--"))
    ys, xs = np.meshgrid(geo.starts, geo.starts, indexing="ij")
    ax.plot(xs.ravel(), ys.ravel(), ".", color="#1f2937", ms=4)
    ax.add_patch(Rectangle((x_out + geo.out - 1.5, geo.out - 1.5), 1, 1, fill=False,
                           ec="#1f2937", lw=1.5, ls="--"))
    ax.set_xlim(-0.7, x_out + extent - 0.3)
    ax.set_ylim(extent - 0.3, -1.9)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


def conv_arithmetic_explorer(n: Sequence[int] = (5, 6, 7), f: Sequence[int] = (1, 2, 3, 4),
                             p: Sequence[int] = (0, 1, 2), s: Sequence[int] = (1, 2, 3),
                             d: Sequence[int] = (1, 2), *, initial: Mapping[str, int] | None = None,
                             title: str = "Convolution arithmetic") -> Explorer:
    """Sliders for input size n, filter size f, padding p, stride s and dilation d.

    Each frame is :func:`draw_conv_arithmetic`: the padded input with the sliding windows and the
    output grid, titled with the output-size formula evaluated. Pass a single value to fix a
    parameter (e.g. ``s=[1], d=[1]`` in the padding section). Sections 1.3 and 1.4.
    """
    start = {"n": 7, "f": 3, "p": 1, "s": 2, "d": 1}
    values = {"n": n, "f": f, "p": p, "s": s, "d": d}
    chosen = {k: v for k, v in start.items() if v in tuple(values[k])}
    chosen.update(initial or {})
    return explorer(draw_conv_arithmetic, title=title, initial=chosen,
                    labels={"n": "input n", "f": "filter f", "p": "padding p",
                            "s": "stride s", "d": "dilation d"},
                    n=n, f=f, p=p, s=s, d=d)
