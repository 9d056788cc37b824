"""The explorer of section 5.2: step through the layers and units of a trained network.

Each frame shows one unit (a channel of a layer): the image that gradient ascent made to excite
it (:func:`cnnlib.vision.features.activation_maximisation`) and the data-set patches that
excite it most (:func:`cnnlib.vision.features.top_patches`), at the scale of its receptive
field. Like every chapter explorer it comes in layers: :class:`UnitView` holds the numbers and
pictures of one unit, :func:`draw_unit` draws it, :func:`unit_explorer` puts the views behind
two sliders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
from matplotlib.figure import Figure

from ..widgets import Explorer, explorer

__all__ = ["UnitView", "draw_unit", "unit_explorer"]


@dataclass(frozen=True)
class UnitView:
    """What one unit responds to.

    ``patches`` (k, C, r, r) floats in [0, 1], most exciting first; ``values`` their
    activations; ``labels`` the class name of each patch's image; ``maximised`` the
    activation-maximisation image (H, W, C) or ``None``; ``receptive_field`` r in pixels;
    ``selectivity`` the unit's class-selectivity index (or NaN).
    """

    layer: str
    unit: int
    patches: np.ndarray
    values: np.ndarray
    labels: tuple
    maximised: np.ndarray | None
    receptive_field: int
    selectivity: float = float("nan")


def _rgb(a):
    a = np.asarray(a, dtype=np.float32)
    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3):
        a = a.transpose(1, 2, 0)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    return np.clip(a, 0, 1)


def draw_unit(view: UnitView, figsize: tuple[float, float] = (7.2, 3.0)) -> Figure:
    """One unit: the maximised image on the left, its top patches (3 per row) on the right,
    each patch titled with its image's class. Section 5.2."""
    fig = Figure(figsize=figsize)
    k = len(view.patches)
    cols = 3
    rows = -(-k // cols)
    has_max = view.maximised is not None
    left = 0.33 if has_max else 0.0
    if has_max:
        ax = fig.add_axes((0.01, 0.06, 0.3, 0.76))
        ax.imshow(_rgb(view.maximised), interpolation="nearest")
        ax.set_title("activation maximisation", fontsize=8)
        ax.axis("off")
    width = (0.99 - left) / cols
    height = 0.78 / rows
    for i in range(rows * cols):
        r, c = divmod(i, cols)
        ax = fig.add_axes((left + c * width + 0.01, 0.82 - (r + 1) * height + 0.01,
                           width - 0.02, height - 0.05))
        ax.axis("off")
        if i < k:
            ax.imshow(_rgb(view.patches[i]), interpolation="nearest")
            ax.set_title(f"{view.labels[i]} ({view.values[i]:.1f})", fontsize=6.5, pad=1.5)
    sel = "" if np.isnan(view.selectivity) else f", class selectivity {view.selectivity:.2f}"
    fig.suptitle(f"{view.layer}, unit {view.unit}: receptive field {view.receptive_field}"
                 f"x{view.receptive_field} pixels{sel}", fontsize=9.5, y=0.97)
    return fig


def unit_explorer(views: Mapping[tuple[str, int], UnitView], *, title: str = "",
                  initial: Mapping | None = None) -> Explorer:
    """Sliders over layer and unit, each frame :func:`draw_unit` of ``views[(layer, slot)]``.

    ``views`` maps (layer name, slot) to a :class:`UnitView`, with the same slots (0, 1, ...)
    for every layer (slot i of a layer is whichever unit was chosen i-th there). Section 5.2.
    """
    if not views:
        raise ValueError("unit_explorer: views is empty")
    layers = tuple(dict.fromkeys(layer for layer, _ in views))
    slots = tuple(sorted({slot for _, slot in views}))
    missing = [(layer, s) for layer in layers for s in slots if (layer, s) not in views]
    if missing:
        raise ValueError(f"unit_explorer: every layer needs every slot; missing {missing[:3]}")

    def render_unit(layer, slot):
        return draw_unit(views[(layer, slot)])

    return explorer(render_unit, title=title, initial=initial,
                    labels={"layer": "layer", "slot": "unit"}, layer=layers, slot=slots)
