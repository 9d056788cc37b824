"""Figures several chapters share. Every function returns the matplotlib Figure.

Notebooks end a plotting cell with ``plt.show()`` (or assign the figure), so the
stored output holds the picture and no stray object repr.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_int, check_number

__all__ = ["show_images", "show_matrix", "show_feature_maps", "draw_cells", "finish_cells",
           "plot_history"]


def _plt():
    import matplotlib.pyplot as plt

    return plt


def show_images(images, titles=None, cols: int | None = None, cmap: str = "gray",
                size: float = 2.2, vmin=None, vmax=None, suptitle: str | None = None):
    """Show a list of 2-D (or H, W, 3) images side by side on a grid, axes hidden.

    ``titles`` is one string per image; ``cols`` defaults to all images in one row
    (at most 6). Used from section 1.2 on.
    """
    images = list(images)
    if not images:
        raise ValueError("show_images: images is empty")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"show_images: {len(titles)} titles for {len(images)} images")
    size = check_number("show_images", "size", size, minimum=0, strict=True)
    cols = min(len(images), 6) if cols is None else check_int("show_images", "cols", cols, minimum=1)
    rows = -(-len(images) // cols)
    plt = _plt()
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(images):
            ax.imshow(np.asarray(images[k]), cmap=cmap, vmin=vmin, vmax=vmax)
            if titles is not None:
                ax.set_title(titles[k], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_matrix(a, ax=None, title: str | None = None, fmt: str = "{:g}", cmap: str = "RdBu_r",
                highlight=None):
    """Draw a small 2-D array as a grid of coloured cells with its numbers written in.

    Zero sits at the middle of the colour map, so positive and negative values read
    at a glance. ``highlight=(row, col, height, width)`` outlines a window (the
    filter's current position). Returns the Figure. Sections 1.2 to 1.7 use it for
    hand-sized examples.
    """
    a = np.asarray(a)
    if a.ndim != 2:
        raise ValueError(f"show_matrix: a must be 2-D, got shape {a.shape}")
    plt = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.45 * a.shape[1] + 0.6, 0.45 * a.shape[0] + 0.6))
    else:
        fig = ax.figure
    lim = float(np.max(np.abs(a))) or 1.0
    ax.imshow(a, cmap=cmap, vmin=-lim, vmax=lim)
    for (r, c), v in np.ndenumerate(a):
        ax.text(c, r, fmt.format(v), ha="center", va="center", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    if highlight is not None:
        r, c, h, w = highlight
        ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), w, h, fill=False, lw=2.5, ec="black"))
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def show_feature_maps(maps, cols: int = 8, size: float = 1.4, title: str | None = None,
                      cmap: str = "viridis"):
    """Show the channels of one activation volume (n_C, n_H, n_W) as a grid of small images.

    Each map has its own colour scale. Used in sections 1.5, 1.8 and 1.9.
    """
    cols = check_int("show_feature_maps", "cols", cols, minimum=1)
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(f"show_feature_maps: maps must be (n_C, n_H, n_W), got {maps.shape}")
    return show_images(list(maps), titles=[f"channel {k}" for k in range(len(maps))],
                       cols=min(cols, len(maps)), cmap=cmap, size=size, suptitle=title)


def draw_cells(ax, cells, x0: float = 0.0, title: str | None = None, fontsize: float = 10,
               **imshow_kwargs):
    """Draw a (rows, cols) or (rows, cols, 3) array as square cells outlined by grid lines.

    The cells' left edge sits at ``x0`` (so several grids share one axes side by side) and
    ``title`` goes above the top-left corner. Extra keywords go to ``imshow`` (``cmap``,
    ``vmin``...). Returns the ``extent`` used, for overlays. The explorers of sections 1.3,
    1.4 and 1.7 draw their grids with it.
    """
    cells = np.asarray(cells)
    rows, cols = cells.shape[:2]
    extent = (x0 - 0.5, x0 + cols - 0.5, rows - 0.5, -0.5)
    ax.imshow(cells, interpolation="nearest", extent=extent, **imshow_kwargs)
    ax.vlines(x0 + np.arange(cols + 1) - 0.5, -0.5, rows - 0.5, colors="#8a8a8a", lw=0.6)
    ax.hlines(np.arange(rows + 1) - 0.5, x0 - 0.5, x0 + cols - 0.5, colors="#8a8a8a", lw=0.6)
    if title:
        ax.text(x0 - 0.5, -0.8, title, fontsize=fontsize, va="bottom")
    return extent


def finish_cells(ax, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    """Finish an axes that shows grids of cells: its limits, square cells, no ticks, no frame.

    ``xlim = (left, right)`` and ``ylim = (bottom, top)`` in data coordinates; rows grow
    downwards as in an image, so ``bottom > top`` (room above ``top`` holds the grid titles of
    :func:`draw_cells`). The one way the chapter explorers (:mod:`cnnlib.viz.explorers`) end a
    picture of cells.
    """
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")


def plot_history(history: History, title: str | None = None):
    """Loss and accuracy per epoch, training and validation, side by side. Returns the Figure.

    Made with pyplot, like the rest of this module: end the notebook cell with ``plt.show()``.
    """
    import matplotlib.pyplot as plt

    from ..train.loop import History

    if not isinstance(history, History):
        raise TypeError(f"plot_history: history must be a History, got {type(history).__name__}")
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.2))
    epochs = np.arange(1, history.epochs + 1)
    for ax, train, val, name in ((ax_loss, history.train_loss, history.val_loss, "loss"),
                                 (ax_acc, history.train_acc, history.val_acc, "accuracy")):
        ax.plot(epochs, train, "o-", ms=3, label="train")
        if val:
            ax.plot(epochs[:len(val)], val, "s-", ms=3, label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
