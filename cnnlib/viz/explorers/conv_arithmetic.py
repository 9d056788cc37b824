"""The convolution-arithmetic explorer of sections 1.3 and 1.4: n, f, p, s and d on one grid.

:func:`conv_arithmetic` computes where every window lands along one axis,
:func:`draw_conv_arithmetic` draws one setting, and :func:`conv_arithmetic_explorer` hands a
grid of slider values to :func:`cnnlib.viz.widgets.explorer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..._checks import check_int
from ...shapes import output_size
from ..plot import draw_cells, finish_cells
from ..widgets import DEFAULT_INTERVAL, Explorer, explorer, message_figure

__all__ = ["ConvArithmetic", "conv_arithmetic", "draw_conv_arithmetic",
           "conv_arithmetic_explorer"]


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
    n, f, p, s, d = (check_int("conv_arithmetic", name, value, minimum=minimum)
                     for name, value, minimum in (("n", n, 1), ("f", f, 1), ("p", p, 0),
                                                  ("s", s, 1), ("d", d, 1)))
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
    finish_cells(ax, (-0.7, x_out + extent - 0.3), (extent - 0.3, -1.9))
    return fig


def conv_arithmetic_explorer(n: Sequence[int] = (5, 6, 7), f: Sequence[int] = (1, 2, 3, 4),
                             p: Sequence[int] = (0, 1, 2), s: Sequence[int] = (1, 2, 3),
                             d: Sequence[int] = (1, 2), *, initial: Mapping[str, int] | None = None,
                             title: str = "Convolution arithmetic", play: str | None = None,
                             interval: int = DEFAULT_INTERVAL) -> Explorer:
    """Sliders for input size n, filter size f, padding p, stride s and dilation d.

    Each frame is :func:`draw_conv_arithmetic`: the padded input with the sliding windows and the
    output grid, titled with the output-size formula evaluated. Pass a single value to fix a
    parameter (e.g. ``s=[1], d=[1]`` in the padding section). ``play`` names a slider that
    gets a play button (e.g. ``play="p"`` steps through the paddings). Sections 1.3 and 1.4.
    """
    start = {"n": 7, "f": 3, "p": 1, "s": 2, "d": 1}
    values = {"n": n, "f": f, "p": p, "s": s, "d": d}
    chosen = {k: v for k, v in start.items() if v in tuple(values[k])}
    chosen.update(initial or {})
    return explorer(draw_conv_arithmetic, title=title, initial=chosen,
                    labels={"n": "input n", "f": "filter f", "p": "padding p",
                            "s": "stride s", "d": "dilation d"},
                    play=play, interval=interval, n=n, f=f, p=p, s=s, d=d)
