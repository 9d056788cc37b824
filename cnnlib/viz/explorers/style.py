"""The style-transfer explorer of section 5.3: the ratio beta/alpha, the style layers, the step.

Style transfer is too slow to rerun while a slider moves, so the explorer shows results
computed beforehand: one :class:`cnnlib.vision.style.StyleResult` per (ratio, set of style
layers), each holding snapshots of the image at a few stored steps and the cost of every
step. :func:`draw_style_step` draws one of them at one stored step; :func:`style_explorer`
puts them behind three sliders.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
from matplotlib.figure import Figure

from ..widgets import Explorer, explorer

__all__ = ["draw_style_step", "style_explorer"]


def draw_style_step(result, step: int, title: str = "",
                    figsize: tuple[float, float] = (7.4, 3.0)) -> Figure:
    """The image of ``result`` after ``step`` steps, beside its content and style costs over
    all steps (relative to the start, log scale) with the step marked. Section 5.3."""
    if step not in result.snapshots:
        raise ValueError(f"draw_style_step: no snapshot at step {step}; stored steps are "
                         f"{sorted(result.snapshots)}")
    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.01, 0.04, 0.38, 0.8))
    ax.imshow(np.clip(result.snapshots[step], 0, 1), interpolation="nearest")
    ax.set_title(f"G after {step} steps", fontsize=9)
    ax.axis("off")
    cx = fig.add_axes((0.5, 0.17, 0.47, 0.67))
    steps = np.arange(len(result.trace["J"]))
    for name, color in (("content", "#2563eb"), ("style", "#dc2626")):
        values = np.asarray(result.trace[name], dtype=float)
        if values.max() > 0:
            start = values[0] if values[0] > 0 else values.max()
            cx.plot(steps, np.maximum(values / start, 1e-6), color=color, lw=1.4,
                    label=f"J_{name} / J_{name}(G0)" if values[0] > 0 else f"J_{name}")
    cx.axvline(step, color="#111827", lw=1, ls="--")
    cx.set_yscale("log")
    cx.set_xlabel("step", fontsize=8)
    cx.tick_params(labelsize=7)
    cx.legend(fontsize=7, loc="best")
    cx.grid(alpha=0.3)
    cx.set_title("costs over the steps", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=9.5, y=0.99)
    return fig


def style_explorer(results: Mapping[tuple, object], steps, *, title: str = "",
                   initial: Mapping | None = None) -> Explorer:
    """Sliders over beta/alpha, the style layers and the stored step.

    ``results`` maps ``(ratio, layers)`` (a number and a label such as ``"scale1-3"``) to a
    :class:`cnnlib.vision.style.StyleResult` with snapshots at every step of ``steps``. Each
    frame is :func:`draw_style_step`. Section 5.3.
    """
    if not results:
        raise ValueError("style_explorer: results is empty")
    ratios = tuple(dict.fromkeys(r for r, _ in results))
    layer_sets = tuple(dict.fromkeys(s for _, s in results))
    steps = tuple(steps)
    for key, result in results.items():
        absent = [s for s in steps if s not in result.snapshots]
        if absent:
            raise ValueError(f"style_explorer: the result for {key} has no snapshot at steps "
                             f"{absent}")
    missing = [(r, s) for r in ratios for s in layer_sets if (r, s) not in results]
    if missing:
        raise ValueError(f"style_explorer: every ratio needs every set of layers; missing "
                         f"{missing[:3]}")

    def render_style(ratio, layers, step):
        return draw_style_step(results[(ratio, layers)], step,
                               title=f"beta/alpha = {ratio:g}, style layers {layers}")

    return explorer(render_style, title=title, initial=initial,
                    labels={"ratio": "β/α", "layers": "style layers", "step": "step"},
                    ratio=ratios, layers=layer_sets, step=steps)
