"""The pooling explorer of section 1.7: windows, winners and the output, for f and s.

Like every chapter explorer, it comes in three layers so that the numbers can be tested apart
from the pictures: :func:`pooling_geometry` computes (a frozen dataclass of numbers),
:func:`draw_pooling` draws one slider setting (a Matplotlib Figure), and
:func:`pooling_explorer` hands a grid of slider values to :func:`cnnlib.viz.widgets.explorer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ... import numpy_ops
from ..._checks import check_choice, check_int
from ...shapes import output_size
from ..plot import draw_cells, finish_cells
from ..widgets import DEFAULT_INTERVAL, Explorer, explorer, message_figure

__all__ = ["PoolingGeometry", "pooling_geometry", "pooling_example", "draw_pooling",
           "pooling_explorer"]


def pooling_example(n: int = 8, seed: int = 0) -> np.ndarray:
    """A small (n, n) float64 image of integers 0..9 for hand-sized pooling examples (seeded)."""
    n = check_int("pooling_example", "n", n, minimum=1)
    seed = check_int("pooling_example", "seed", seed, minimum=0)
    return np.random.default_rng(seed).integers(0, 10, size=(n, n)).astype(np.float64)


@dataclass(frozen=True)
class PoolingGeometry:
    """One pooling of a 2-D image ``x`` with a square window.

    ``out`` is ``None`` (and ``error`` says why) when the window is larger than the image.
    """

    x: np.ndarray                 # (n, n) input
    f: int
    s: int
    mode: str                     # 'max' or 'avg'
    out_size: tuple | None        # (out_h, out_w), each floor((n - f) / s) + 1
    output: np.ndarray | None     # (out_size, out_size)
    argmax: np.ndarray | None     # (out_size, out_size, 2) row, col of each window's max ('max')
    read: np.ndarray              # (n, n) bool: is the pixel inside some window?
    error: str | None = None


def pooling_geometry(x, f: int, s: int, mode: str = "max") -> PoolingGeometry:
    """Pool the 2-D array ``x`` (n_H, n_W) with an ``f`` x ``f`` window and stride ``s``, no padding.

    The output is :func:`cnnlib.numpy_ops.max_pool2d` or :func:`~cnnlib.numpy_ops.avg_pool2d`,
    of size ``floor((n - f) / s) + 1`` per axis (:func:`cnnlib.shapes.output_size`). For max
    pooling ``argmax`` holds the (row, col) of the input that won each window (from
    ``return_indices=True``), the only input its gradient reaches. ``read`` marks the pixels some
    window covers (with ``s > f`` some are skipped). Section 1.7.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"pooling_geometry: x must be 2-D (n_H, n_W), got shape {x.shape}")
    check_choice("pooling_geometry", "mode", mode, ("max", "avg"))
    f = check_int("pooling_geometry", "f", f, minimum=1)
    s = check_int("pooling_geometry", "s", s, minimum=1)
    n_h, n_w = x.shape
    try:
        out_h, out_w = output_size(n_h, f, s=s), output_size(n_w, f, s=s)
    except ValueError as exc:
        return PoolingGeometry(x, f, s, mode, None, None, None, np.zeros(x.shape, bool), str(exc))
    batch = x[None, None]
    if mode == "max":
        out, idx = numpy_ops.max_pool2d(batch, f, s, return_indices=True)
        argmax = np.stack(np.divmod(idx[0, 0], n_w), axis=-1)
    else:
        out, argmax = numpy_ops.avg_pool2d(batch, f, s), None
    read = np.zeros(x.shape, dtype=bool)
    for i in range(out_h):
        for j in range(out_w):
            read[i * s:i * s + f, j * s:j * s + f] = True
    return PoolingGeometry(x, f, s, mode, (out_h, out_w), out[0, 0], argmax, read)


def _grid(ax, a, x0, title, fmt, cmap, vmax, faded=None):
    extent = draw_cells(ax, a, x0, title, fontsize=9, cmap=cmap, vmin=0, vmax=vmax)
    if faded is not None:
        veil = np.zeros(a.shape + (4,))
        veil[~faded] = (1, 1, 1, 0.75)
        # Above the numbers' colours, below the grid lines (zorder 2).
        ax.imshow(veil, interpolation="nearest", extent=extent, zorder=1)
    for (r, c), v in np.ndenumerate(a):
        ax.text(x0 + c, r, fmt.format(v), ha="center", va="center", fontsize=7)


def draw_pooling(x, f: int, s: int, mode: str = "max",
                 figsize: tuple[float, float] = (6.0, 3.2)) -> Figure:
    """Picture of :func:`pooling_geometry`: input with windows, and the pooled output.

    Left: the input; the first window is outlined in orange, the last one dashed; pixels no
    window reads are faded; for max pooling the winning pixel of every window is circled (the
    gradient's only destination). Right: the output with its numbers, first value in orange.
    The title evaluates the output-size formula. Section 1.7.
    """
    geo = pooling_geometry(x, f, s, mode)
    n = geo.x.shape[0]
    formula = f"{mode} pool, n={n}, f={f}, s={s}:  ⌊({n} − {f}) / {s}⌋ + 1"
    if geo.output is None:
        return message_figure(f"{formula}\nNo output: the {f}×{f} window does not fit in "
                              f"a {n}×{n} input.", figsize)
    out = geo.output
    vmax = float(np.max(geo.x)) or 1.0
    fig = Figure(figsize=figsize)
    fig.text(0.5, 0.97, f"{formula} = {out.shape[0]}", fontsize=10, ha="center", va="top")
    fig.text(0.02, 0.02, "orange: first window and its output · dashed: last window"
             + (" · circles: each window's max (gets the gradient)" if mode == "max" else "")
             + " · faded: never read", fontsize=7, color="#444444")
    ax = fig.add_axes((0.02, 0.09, 0.96, 0.78))
    x_out = n + 1.5
    _grid(ax, geo.x, 0, f"input {n}×{n}", "{:g}", "Blues", vmax * 1.6, faded=geo.read)
    _grid(ax, out, x_out, f"output {out.shape[0]}×{out.shape[1]}",
          "{:g}" if mode == "max" else "{:.1f}", "Greens", vmax * 1.6)
    ax.add_patch(Rectangle((-0.5, -0.5), f, f, fill=False, ec="#d97706", lw=2.2))
    last_r, last_c = (out.shape[0] - 1) * s, (out.shape[1] - 1) * s
    ax.add_patch(Rectangle((last_c - 0.5, last_r - 0.5), f, f, fill=False, ec="#1f2937", lw=1.5,
                           ls="--"))
    ax.add_patch(Rectangle((x_out - 0.5, -0.5), 1, 1, fill=False, ec="#d97706", lw=2.2))
    ax.add_patch(Rectangle((x_out + out.shape[1] - 1.5, out.shape[0] - 1.5), 1, 1, fill=False,
                           ec="#1f2937", lw=1.5, ls="--"))
    if geo.argmax is not None:
        rc = np.unique(geo.argmax.reshape(-1, 2), axis=0)
        ax.plot(rc[:, 1], rc[:, 0], "o", mfc="none", mec="#b91c1c", ms=11, mew=1.4)
    extent = max(n, 6)
    finish_cells(ax, (-0.7, x_out + extent - 0.3), (extent - 0.3, -1.9))
    return fig


def pooling_explorer(x=None, f: Sequence[int] = (1, 2, 3, 4), s: Sequence[int] = (1, 2, 3, 4),
                     mode: Sequence[str] = ("max", "avg"), *,
                     initial: Mapping | None = None, title: str = "Pooling",
                     play: str | None = None, interval: int = DEFAULT_INTERVAL) -> Explorer:
    """Sliders for window size f, stride s and mode (max/avg) over a small image.

    ``x`` is a 2-D array (default: :func:`pooling_example`, 8x8 digits 0..9); keep it at most
    about 10x10 so the numbers stay legible. Each frame is :func:`draw_pooling`. The default grid
    has 4 x 4 x 2 = 32 frames. ``play`` names a slider that gets a play button. Section 1.7.
    """
    x = pooling_example() if x is None else np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"pooling_explorer: x must be 2-D, got shape {x.shape}")
    start = {"f": 2, "s": 2, "mode": "max"}
    values = {"f": tuple(f), "s": tuple(s), "mode": tuple(mode)}
    chosen = {k: v for k, v in start.items() if v in values[k]}
    chosen.update(initial or {})

    def render_pooling(f, s, mode):
        return draw_pooling(x, f, s, mode)

    return explorer(render_pooling, title=title, initial=chosen,
                    labels={"f": "window f", "s": "stride s", "mode": "mode"}, play=play,
                    interval=interval, **values)
