"""A filter sliding over its input, one output at a time, for three paddings (section 1.6; the
paddings are those of section 1.3).

Dumoulin and Visin's guide to convolution arithmetic names three paddings for a stride-1
convolution with an ``f x f`` filter on an ``n x n`` input:

- **no padding** (the course's *valid*), ``p = 0``: the output is ``n - f + 1``;
- **half padding** (the course's *same*), ``p = floor(f / 2)``: the output is ``n`` for odd ``f``;
- **full padding**, ``p = f - 1``: every placement of the filter that touches the input at all,
  so the output grows to ``n + f - 1``.

:func:`draw_sliding_window` draws one step of the slide, for an explorer whose play button steps
through the output positions.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .. import _checks as V
from ..viz.plot import draw_cells

__all__ = ["PADDINGS", "padding_for", "sliding_positions", "draw_sliding_window"]

#: The padding names of Dumoulin and Visin, with the course's names.
PADDINGS = {"no": "valid", "half": "same", "full": "full"}


def padding_for(name: str, f: int) -> int:
    """The padding ``p`` of a named padding for an ``f x f`` filter: 'no' (valid) 0, 'half'
    (same) ``f // 2``, 'full' ``f - 1``."""
    f = V.check_int("padding_for", "f", f, minimum=1)
    V.check_choice("padding_for", "name", name, PADDINGS)
    return {"no": 0, "half": f // 2, "full": f - 1}[name]


def sliding_positions(n: int, f: int, p: int, s: int = 1) -> list[tuple[int, int]]:
    """The top-left corners, in the padded input, of every window in the order the outputs are
    computed (row by row): ``(h s, w s)`` for ``0 <= h, w < floor((n + 2p - f) / s) + 1``."""
    n = V.check_int("sliding_positions", "n", n, minimum=1)
    f = V.check_int("sliding_positions", "f", f, minimum=1)
    p = V.check_int("sliding_positions", "p", p, minimum=0)
    s = V.check_int("sliding_positions", "s", s, minimum=1)
    out = (n + 2 * p - f) // s + 1
    if out < 1:
        raise ValueError(f"sliding_positions: a {f}x{f} filter does not fit an {n}x{n} input "
                         f"padded by {p}")
    return [(h * s, w * s) for h in range(out) for w in range(out)]


def draw_sliding_window(n: int, f: int, padding: str, step: int, s: int = 1,
                        figsize=(6.4, 3.3)) -> Figure:
    """The window of output number ``step`` (row by row) on the padded input, and the output.

    ``padding`` is a name of :data:`PADDINGS`. Left: the input (blue) in its frame of zeros
    (white), the window shaded orange. Right: the output, the outputs already computed in pale
    green and the current one in dark green. A ``step`` past the last output shows the finished
    output. Returns a :class:`matplotlib.figure.Figure` (not pyplot).
    """
    p = padding_for(padding, f)
    step = V.check_int("draw_sliding_window", "step", step, minimum=0)
    positions = sliding_positions(n, f, p, s)
    done = step >= len(positions)
    k = min(step, len(positions) - 1)
    out = int(round(np.sqrt(len(positions))))
    side = n + 2 * p

    grid = np.ones((side, side, 3))
    grid[p:p + n, p:p + n] = (0.56, 0.72, 0.90)                  # the input
    top, left = positions[k]
    result = np.ones((out, out, 3))
    for j in range(k + 1):
        result[j // out, j % out] = (0.55, 0.82, 0.62)
    if not done:
        result[k // out, k % out] = (0.10, 0.50, 0.25)

    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.86))
    draw_cells(ax, grid, title=f"input {n}×{n}, padded by p = {p}", fontsize=8)
    gap = 2
    draw_cells(ax, result, x0=side + gap, title=f"output {out}×{out}", fontsize=8)
    if not done:
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), f, f, fc=(0.98, 0.55, 0.15, 0.55),
                               ec="#9a3412", lw=2))
        ax.annotate("", xy=(side + gap + k % out, k // out), xytext=(left + f - 0.5, top + f / 2),
                    arrowprops=dict(arrowstyle="->", color="#555555", lw=1))
    ax.set_xlim(-1, side + gap + out)
    ax.set_ylim(max(side, out) - 0.3, -1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    course = PADDINGS[padding]
    name = f"{padding} padding" + (f" ({course})" if course != padding else "")
    status = f"all {len(positions)} outputs computed" if done else \
        f"output {k + 1} of {len(positions)}"
    fig.suptitle(f"{name}, f = {f}, s = {s}: {status}", fontsize=10)
    return fig
