"""A filter volume sliding through a colour image (section 1.5).

A filter on an RGB image is itself a volume, ``f x f x 3``: at each position it covers the same
``f x f`` window in the red, the green and the blue channel, multiplies all ``3 f^2`` numbers by
its weights and adds them into *one* output value. :func:`draw_volume_conv` draws that, with the
three channels as stacked slabs seen from the front, for an explorer whose play button moves the
filter through every position.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle

from .. import _checks as V

__all__ = ["draw_volume_conv"]

_CHANNELS = (("blue", (0.35, 0.55, 0.95)), ("green", (0.35, 0.78, 0.45)),
             ("red", (0.93, 0.40, 0.38)))                 # drawn back to front


def _slab(ax, x0, y0, n, color, alpha, lw=0.5):
    ax.add_patch(Rectangle((x0, y0), n, n, fc=color, ec="none", alpha=alpha))
    for k in range(n + 1):
        ax.plot([x0 + k, x0 + k], [y0, y0 + n], color="#666666", lw=lw)
        ax.plot([x0, x0 + n], [y0 + k, y0 + k], color="#666666", lw=lw)


def draw_volume_conv(n: int = 6, f: int = 3, position: int = 0, depth: float = 0.9,
                     figsize=(7.0, 3.4)) -> Figure:
    """One position of an ``f x f x 3`` filter on an ``n x n x 3`` image, and its output map.

    The input's three channels are slabs, blue at the back and red at the front, each shifted
    by ``depth`` cells up and to the right of the one in front of it; the filter is the orange
    box through all three, at output ``position`` (row by row, stride 1, no padding). The output
    is ``(n - f + 1) x (n - f + 1)`` with ONE channel: the current value dark, those already
    computed pale. Returns a :class:`matplotlib.figure.Figure` (not pyplot).
    """
    n = V.check_int("draw_volume_conv", "n", n, minimum=1)
    f = V.check_int("draw_volume_conv", "f", f, minimum=1, maximum=n)
    out = n - f + 1
    position = V.check_int("draw_volume_conv", "position", position, minimum=0,
                           maximum=out * out - 1)
    row, col = divmod(position, out)

    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.86))
    # Slabs: y grows upwards here, so row r of the image sits at y = n - 1 - r.
    for layer, (name, color) in enumerate(_CHANNELS):
        shift = (2 - layer) * depth
        _slab(ax, shift, shift, n, color, 0.85 if layer == 2 else 0.55)
    # The filter box: its front face on the red slab, its back face on the blue one.
    x_front, y_front = col, n - row - f
    back = 2 * depth
    ax.add_patch(Rectangle((x_front + back, y_front + back), f, f, fc=(0.98, 0.6, 0.2, 0.25),
                           ec="#9a3412", lw=1.2, ls="--"))
    for dx, dy in [(0, 0), (f, 0), (0, f), (f, f)]:
        ax.plot([x_front + dx, x_front + dx + back], [y_front + dy, y_front + dy + back],
                color="#9a3412", lw=1.2)
    top = Polygon([(x_front, y_front + f), (x_front + back, y_front + f + back),
                   (x_front + f + back, y_front + f + back), (x_front + f, y_front + f)],
                  closed=True, fc=(0.98, 0.6, 0.2, 0.35), ec="#9a3412", lw=1.2)
    ax.add_patch(top)
    ax.add_patch(Rectangle((x_front, y_front), f, f, fc=(0.98, 0.6, 0.2, 0.55), ec="#9a3412",
                           lw=2))
    for layer, (name, color) in enumerate(_CHANNELS):
        shift = (2 - layer) * depth
        ax.text(shift + n + 0.12, shift + n - 0.45, name, fontsize=8, va="center",
                color=tuple(0.7 * c for c in color),
                bbox=dict(fc="white", ec="none", pad=0.5, alpha=0.9))
    # The output map: one channel.
    x_out = n + 2 * depth + 2.2
    y_out = (n - out) / 2
    ax.add_patch(Rectangle((x_out, y_out), out, out, fc="white", ec="none"))
    for k in range(position + 1):
        r, c = divmod(k, out)
        ax.add_patch(Rectangle((x_out + c, y_out + out - 1 - r), 1, 1,
                               fc="#1a7f40" if k == position else "#8fd19e", ec="none"))
    _slab(ax, x_out, y_out, out, (1, 1, 1), 0.0)
    ax.annotate("", xy=(x_out + col + 0.5, y_out + out - 1 - row + 0.5),
                xytext=(x_front + f, y_front + f / 2),
                arrowprops=dict(arrowstyle="->", color="#444444", lw=1))
    ax.text(x_out, y_out - 0.6, f"output {out}×{out}×1", fontsize=8, va="top")
    ax.text(0, -0.6, f"input {n}×{n}×3", fontsize=8, va="top")
    ax.set_xlim(-0.3, x_out + out + 0.5)
    ax.set_ylim(-1.4, n + 2 * depth + 0.4)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.suptitle(f"a {f}×{f}×3 filter at output ({row}, {col}): {3 * f * f} products, "
                 f"summed into one number", fontsize=10)
    return fig
