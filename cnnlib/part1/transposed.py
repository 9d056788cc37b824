"""Where the stamps of a transposed convolution overlap: the checkerboard (section 1.6.2).

A transposed convolution with stride ``s`` stamps a copy of its ``f x f`` filter onto the output
for every input value, the stamps ``s`` pixels apart. Transposing an all-ones image with an
all-ones filter therefore counts, at every output pixel, how many stamps cover it. Away from the
border that count is the same everywhere exactly when ``s`` divides ``f``; otherwise it alternates
and paints a checkerboard.

:func:`stamp_counts` computes the counts and the *interior*, the pixels that every stamp which
could cover them actually exists for, and says whether the interior is even.
:func:`draw_stamps` draws one setting for the explorer of section 1.6.2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .. import _checks as V
from .. import numpy_ops

__all__ = ["Stamps", "interior_range", "smallest_input", "stamp_counts", "draw_stamps"]


@dataclass(frozen=True)
class Stamps:
    """Stamp counts of ``conv_transpose2d(ones(n, n), ones(f, f), stride=s)``.

    ``cover`` is the ``(L, L)`` count, ``L = (n - 1) s + f``; ``interior`` the bool mask of the
    pixels away from the border (see :func:`interior_range`); ``even`` whether the count is the
    same on every interior pixel.
    """

    f: int
    s: int
    n: int
    cover: np.ndarray
    interior: np.ndarray
    even: bool


def interior_range(n: int, f: int, s: int) -> tuple[int, int]:
    """The interior ``[start, stop)`` along one axis of a transposed convolution's output.

    Output position ``x`` is covered by the stamps ``i`` with ``i s <= x < i s + f``. It is
    interior when all of them exist, ``0 <= i < n``: that is ``f - 1 <= x <= (n - 1) s``. There
    the count is the number of multiples of ``s`` in ``(x - f, x]``, which does not depend on
    ``x`` exactly when ``s`` divides ``f``. Returns ``(f - 1, (n - 1) s + 1)``; empty when
    ``n`` is too small.
    """
    n = V.check_int("interior_range", "n", n, minimum=1)
    f = V.check_int("interior_range", "f", f, minimum=1)
    s = V.check_int("interior_range", "s", s, minimum=1)
    return f - 1, (n - 1) * s + 1


def smallest_input(f: int, s: int) -> int:
    """The smallest input side whose interior holds a whole period of ``s`` pixels.

    The pattern repeats every ``s`` pixels, so an interior shorter than ``s`` cannot show
    whether it is even: ``(n - 1) s - f + 2 >= s``, that is ``n >= (f - 2) / s + 2``.
    """
    f = V.check_int("smallest_input", "f", f, minimum=1)
    s = V.check_int("smallest_input", "s", s, minimum=1)
    return max(1, -(-(f - 2) // s) + 2)


def stamp_counts(f: int, s: int, n: int | None = None) -> Stamps:
    """Count the stamps of an all-ones ``f x f`` filter, stride ``s``, on an ``n x n`` input.

    ``n`` defaults to :func:`smallest_input` ``(f, s)`` (at least 4, for a readable picture);
    a smaller ``n`` is a ``ValueError``, since its interior could not show the pattern. The
    count is :func:`cnnlib.numpy_ops.conv_transpose2d` of ones; ``even`` compares the interior's
    smallest and largest count. Section 1.6.2.
    """
    f = V.check_int("stamp_counts", "f", f, minimum=1)
    s = V.check_int("stamp_counts", "s", s, minimum=1)
    need = smallest_input(f, s)
    n = max(4, need) if n is None else V.check_int("stamp_counts", "n", n, minimum=1)
    if n < need:
        raise ValueError(f"stamp_counts: an input of side n={n} is too small for f={f}, s={s}: "
                         f"its interior would be shorter than one period of {s} pixels; use "
                         f"n >= {need}")
    cover = numpy_ops.conv_transpose2d(np.ones((1, 1, n, n)), np.ones((1, 1, f, f)),
                                       stride=s)[0, 0]
    start, stop = interior_range(n, f, s)
    line = np.zeros(cover.shape[0], dtype=bool)
    line[start:stop] = True
    interior = np.outer(line, line)
    inside = cover[interior]
    return Stamps(f, s, n, cover, interior, bool(inside.min() == inside.max()))


def draw_stamps(f: int, s: int, n: int | None = None, figsize=(3.8, 4.0)) -> Figure:
    """Picture of :func:`stamp_counts`: the counts, the interior outlined, its verdict in the title.

    Returns a :class:`matplotlib.figure.Figure` (not pyplot), for :func:`cnnlib.viz.widgets.explorer`.
    """
    st = stamp_counts(f, s, n)
    fig = Figure(figsize=figsize)
    ax = fig.add_subplot()
    ax.imshow(st.cover, cmap="Purples", vmin=0, vmax=max(st.cover.max(), 1))
    size = st.cover.shape[0]
    if size <= 16:
        for (r, c), v in np.ndenumerate(st.cover):
            ax.text(c, r, f"{v:.0f}", ha="center", va="center", fontsize=6,
                    color="white" if v > 0.6 * st.cover.max() else "black")
    start, stop = interior_range(st.n, f, s)
    ax.add_patch(Rectangle((start - 0.5, start - 0.5), stop - start, stop - start, fill=False,
                           ec="#d97706", lw=2))
    ax.set_xticks([])
    ax.set_yticks([])
    inside = st.cover[st.interior]
    verdict = "even" if st.even else "uneven"
    ax.set_title(f"f={f}, s={s}, input {st.n}×{st.n}: output {size}×{size}\n"
                 f"interior (outlined): {inside.min():.0f} to {inside.max():.0f} stamps, {verdict}",
                 fontsize=9)
    fig.tight_layout()
    return fig
