"""The receptive-field explorer of section 1.9: what one output pixel sees through a stack.

:func:`receptive_field_geometry` computes, :func:`draw_receptive_field` draws one setting and
:func:`receptive_field_explorer` hands a grid of layer counts, filter sizes and strides to
:func:`cnnlib.viz.widgets.explorer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..._checks import check_int
from ...shapes import receptive_field
from ..plot import finish_cells
from ..widgets import DEFAULT_INTERVAL, Explorer, explorer

__all__ = ["ReceptiveFieldGeometry", "receptive_field_geometry", "draw_receptive_field",
           "receptive_field_explorer"]


@dataclass(frozen=True)
class ReceptiveFieldGeometry:
    """Which input pixels one output of a stack of layers depends on, along one axis.

    ``fields[l]`` and ``strides[l]`` are :func:`cnnlib.shapes.receptive_field`'s ``r`` and ``j``
    after layer ``l``; ``masks[l]`` is a bool vector over input positions ``0 .. fields[l] - 1``
    marking the pixels that really influence output 0 of layer ``l`` (with dilation the field
    has holes). The 2-D field of a square stack is the outer product of the mask with itself.
    """

    layers: tuple[tuple[int, int, int], ...]
    fields: tuple[int, ...]
    strides: tuple[int, ...]
    masks: tuple[np.ndarray, ...]


def receptive_field_geometry(layers: Sequence[Sequence[int]]) -> ReceptiveFieldGeometry:
    """Receptive field of output 0 after each layer of ``layers``, ``(f, s)`` or ``(f, s, d)``.

    Walks back from one output: a position ``i`` of layer ``l`` reads positions
    ``i*s + k*d`` (``k = 0 .. f-1``) of layer ``l-1``. The extent of the positions reached in
    the input is the receptive field :math:`r_l = r_{l-1} + d_l (f_l - 1) j_{l-1}`, checked
    against :func:`cnnlib.shapes.receptive_field`. Padding moves the field but does not change
    its size, so it is left out. Section 1.9.
    """
    layers = [tuple(layer) for layer in layers]
    if not layers:
        raise ValueError("receptive_field_geometry: give at least one layer")
    rf = receptive_field(layers)            # validates every layer
    full = tuple((*lay, 1) if len(lay) == 2 else lay for lay in layers)
    masks = []
    for top in range(len(full)):
        positions = np.array([0])
        for f, s, d in reversed(full[:top + 1]):
            positions = np.unique((positions[:, None] * s + np.arange(f)[None, :] * d).ravel())
        mask = np.zeros(positions.max() + 1, dtype=bool)
        mask[positions] = True
        masks.append(mask)
    assert all(len(m) == r for m, (r, _) in zip(masks, rf))
    return ReceptiveFieldGeometry(full, tuple(r for r, _ in rf), tuple(j for _, j in rf),
                                  tuple(masks))


_LAYER_COLORS = ("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2")


def draw_receptive_field(layers: Sequence[Sequence[int]], n: int = 32,
                         names: Sequence[str] | None = None,
                         figsize: tuple[float, float] = (6.4, 3.4)) -> Figure:
    """Picture of :func:`receptive_field_geometry` on an ``n`` x ``n`` input grid.

    Left: the input grid; the pixels that influence one output of the last layer are shaded,
    and the receptive field after each layer is outlined in its own colour (all fields share
    their top-left corner, as for output (0, 0) with no padding; the group is centred on the
    grid). A field wider than the grid is clipped, and the picture says so. Right: a table of
    f, s, d, receptive field r and output stride j per layer. Section 1.9.
    """
    geo = receptive_field_geometry(layers)
    n = check_int("draw_receptive_field", "n", n, minimum=1)
    names = list(names) if names is not None else [f"layer {i + 1}" for i in range(len(geo.layers))]
    if len(names) != len(geo.layers):
        raise ValueError(f"draw_receptive_field: {len(names)} names for {len(geo.layers)} layers")
    r_last = geo.fields[-1]
    origin = (n - r_last) // 2                 # may be negative: the field is wider than the grid
    grid = np.zeros((n, n))
    mask = geo.masks[-1]
    inside = np.arange(r_last) + origin
    keep = (inside >= 0) & (inside < n)
    line = np.zeros(n, dtype=bool)
    line[inside[keep]] = mask[keep]
    grid[np.ix_(line, line)] = 1.0

    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.02, 0.04, 0.52, 0.84))
    ax.imshow(grid, cmap="Greys", vmin=0, vmax=2.5, interpolation="nearest",
              extent=(-0.5, n - 0.5, n - 0.5, -0.5))
    ax.add_patch(Rectangle((-0.5, -0.5), n, n, fill=False, ec="#6b7280", lw=1))
    for k, r in enumerate(geo.fields):
        color = _LAYER_COLORS[k % len(_LAYER_COLORS)]
        ax.add_patch(Rectangle((origin - 0.5, origin - 0.5), r, r, fill=False, ec=color,
                               lw=2.0 if k == len(geo.fields) - 1 else 1.3))
    finish_cells(ax, (-1, n), (n, -1))
    clipped = r_last > n
    ax.set_title(f"input {n}×{n}\none output of {names[-1]} sees {r_last}×{r_last}"
                 + (" (clipped)" if clipped else ""), fontsize=9)

    tax = fig.add_axes((0.57, 0.04, 0.42, 0.84))
    tax.axis("off")
    tax.set_xlim(0, 1)
    tax.set_ylim(len(geo.layers) + 1.5, -0.5)
    heads = ("", "f", "s", "d", "r", "j")
    xs = (0.0, 0.42, 0.54, 0.66, 0.8, 0.94)
    for x0, h in zip(xs, heads):
        tax.text(x0, 0, h, fontsize=9, fontweight="bold", ha="left" if not h else "center")
    for k, ((f, s, d), r, j) in enumerate(zip(geo.layers, geo.fields, geo.strides)):
        color = _LAYER_COLORS[k % len(_LAYER_COLORS)]
        row = (names[k], f, s, d, r, j)
        for x0, v in zip(xs, row):
            tax.text(x0, k + 1, str(v), fontsize=9, color=color,
                     ha="left" if isinstance(v, str) else "center")
    tax.text(0.0, len(geo.layers) + 1.2, "r: receptive field, j: output stride\n"
             "r grows by d(f−1)·j each layer", fontsize=7.5, color="#444444", va="center")
    return fig


def receptive_field_explorer(layers: Sequence[int] = (1, 2, 3, 4), f: Sequence[int] = (1, 3, 5),
                             s: Sequence[int] = (1, 2), d: Sequence[int] = (1, 2), n: int = 64, *,
                             initial: Mapping | None = None,
                             title: str = "Receptive field of a stack of layers",
                             play: str | None = None,
                             interval: int = DEFAULT_INTERVAL) -> Explorer:
    """Sliders for the number of layers, filter size f, stride s and dilation d of every layer.

    All layers share f, s and d; each frame is :func:`draw_receptive_field` on an ``n`` x ``n``
    grid. The default grid has 4 x 3 x 2 x 2 = 48 frames. ``play`` names a slider that gets a
    play button (``play="layers"`` grows the stack one layer per frame). Section 1.9.
    """
    start = {"layers": 2, "f": 3, "s": 1, "d": 1}
    values = {"layers": tuple(layers), "f": tuple(f), "s": tuple(s), "d": tuple(d)}
    chosen = {k: v for k, v in start.items() if v in values[k]}
    chosen.update(initial or {})

    def render_receptive_field(layers, f, s, d):
        return draw_receptive_field([(f, s, d)] * layers, n=n)

    return explorer(render_receptive_field, title=title, initial=chosen,
                    labels={"layers": "layers", "f": "filter f", "s": "stride s",
                            "d": "dilation d"}, play=play, interval=interval, **values)
