"""Region proposals by hierarchical grouping, in the manner of selective search (section 3.10).

R-CNN did not slide a window everywhere: it classified only ~2,000 *proposals*, boxes likely to
hold an object, from selective search (Uijlings et al., 2013). Selective search starts from an
over-segmentation of the image (Felzenszwalb and Huttenlocher's graph-based segmentation,
``skimage.segmentation.felzenszwalb``), then repeatedly merges the two most similar
neighbouring regions until one region is left. Every region met on the way, small or large,
gives a proposal: its bounding box. Similarity here adds three of the paper's measures:
colour (intersection of colour histograms), size (merge small regions first) and fill (prefer
regions whose union fills its bounding box). The paper adds texture and runs several colour
spaces; this version keeps the idea readable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks as V

__all__ = ["selective_search", "Proposals"]


@dataclass(frozen=True)
class Proposals:
    """What :func:`selective_search` returns.

    ``boxes`` float32 (K, 4) ``'xyxy'``: the initial regions' boxes first, then every merged
    region's, in merge order, duplicates removed; ``sizes`` (K,) their regions' pixel counts;
    ``segments`` int (H, W) the initial over-segmentation; ``merges`` the number of merges.
    """

    boxes: np.ndarray
    sizes: np.ndarray
    segments: np.ndarray
    merges: int


def _histograms(image: np.ndarray, segments: np.ndarray, count: int, bins: int) -> np.ndarray:
    """(count, channels * bins) colour histograms of the regions, each L1-normalised."""
    channels = image.shape[-1]
    q = np.clip((image * bins).astype(np.int64), 0, bins - 1)       # (H, W, C) bin per pixel
    hist = np.zeros((count, channels * bins))
    flat = segments.reshape(-1)
    for c in range(channels):
        np.add.at(hist, (flat, c * bins + q[..., c].reshape(-1)), 1.0)
    return hist / hist.sum(axis=1, keepdims=True)


def selective_search(image, scale: float = 100.0, sigma: float = 0.8, min_size: int = 20,
                     bins: int = 25) -> Proposals:
    """Region proposals: boxes of every region of a bottom-up grouping of the image.

    1. Over-segment with ``skimage.segmentation.felzenszwalb(image, scale, sigma, min_size)``
       (larger ``scale``, fewer and larger segments).
    2. Describe each region by a colour histogram (``bins`` per channel), its size and its
       bounding box, and list the pairs of regions that touch.
    3. Until one region is left: merge the most similar touching pair, where

       .. math:: s(a, b) = \\sum_k \\min(h_a^k, h_b^k)
                 + \\left(1 - \\frac{|a| + |b|}{|I|}\\right)
                 + \\left(1 - \\frac{|B_{ab}| - |a| - |b|}{|I|}\\right)

       (colour, size and fill; ``|I|`` the image's pixel count, ``B_ab`` the box around both);
       the merged region's histogram is the size-weighted mean of the two.

    Parameters
    ----------
    image : array (H, W) or (H, W, 3), values in [0, 1]
        Channels last, as scikit-image takes it (transpose a CHW image first).
    scale, sigma, min_size : float, float, int
        Felzenszwalb's parameters.
    bins : int
        Histogram bins per channel.

    Returns
    -------
    :class:`Proposals`. Section 3.10.
    """
    from skimage.segmentation import felzenszwalb

    img = np.asarray(image, dtype=np.float64)
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[-1] not in (1, 3)):
        raise ValueError(f"selective_search: image must be (H, W) or (H, W, 3), channels last; "
                         f"got shape {img.shape}")
    V.check_number("selective_search", "scale", scale, minimum=0.0, strict=True)
    V.check_number("selective_search", "sigma", sigma, minimum=0.0)
    V.check_int("selective_search", "min_size", min_size, minimum=1)
    V.check_int("selective_search", "bins", bins, minimum=1)
    colour = img if img.ndim == 3 else img[..., None]
    segments = felzenszwalb(img, scale=scale, sigma=sigma, min_size=min_size,
                            channel_axis=-1 if img.ndim == 3 else None)
    h, w = segments.shape
    count = int(segments.max()) + 1
    total = float(h * w)
    hist = list(_histograms(colour, segments, count, bins))
    sizes = list(np.bincount(segments.reshape(-1), minlength=count).astype(float))
    rows, cols = np.mgrid[0:h, 0:w]
    boxes = []
    for r in range(count):
        m = segments == r
        boxes.append(np.array([cols[m].min(), rows[m].min(), cols[m].max() + 1,
                               rows[m].max() + 1], float))
    # touching pairs: horizontal and vertical neighbours with different labels
    pairs = set()
    for a, b in ((segments[:, :-1], segments[:, 1:]), (segments[:-1, :], segments[1:, :])):
        diff = a != b
        for p, q in zip(a[diff], b[diff]):
            pairs.add((min(p, q), max(p, q)))
    neighbours = {r: set() for r in range(count)}
    for p, q in pairs:
        neighbours[p].add(q)
        neighbours[q].add(p)

    def similarity(a, b):
        box = np.concatenate([np.minimum(boxes[a][:2], boxes[b][:2]),
                              np.maximum(boxes[a][2:], boxes[b][2:])])
        fill = (box[2] - box[0]) * (box[3] - box[1]) - sizes[a] - sizes[b]
        return (np.minimum(hist[a], hist[b]).sum() + (1 - (sizes[a] + sizes[b]) / total)
                + (1 - fill / total))

    sim = {(p, q): similarity(p, q) for p, q in pairs}
    merges = 0
    while sim:
        a, b = max(sim, key=sim.get)
        t = len(sizes)
        sizes.append(sizes[a] + sizes[b])
        hist.append((sizes[a] * hist[a] + sizes[b] * hist[b]) / sizes[t])
        boxes.append(np.concatenate([np.minimum(boxes[a][:2], boxes[b][:2]),
                                     np.maximum(boxes[a][2:], boxes[b][2:])]))
        around = (neighbours.pop(a) | neighbours.pop(b)) - {a, b}
        for key in [k for k in sim if a in k or b in k]:
            del sim[key]
        neighbours[t] = around
        for r in around:
            neighbours[r] -= {a, b}
            neighbours[r].add(t)
            sim[(r, t)] = similarity(r, t)
        merges += 1
    all_boxes = np.array(boxes, np.float32)
    _, first = np.unique(all_boxes, axis=0, return_index=True)
    keep = np.sort(first)
    return Proposals(all_boxes[keep], np.array(sizes)[keep], segments, merges)
