"""Synthetic shapes on real backgrounds: a seeded image data set that knows its objects.

Handwritten digits (section 1.8) are too easy to tell architectures apart. This generator makes
a harder ten-class problem with nothing downloaded: a filled shape (circle, ellipse, ring,
triangle, square, pentagon, hexagon, star, cross, crescent) of random colour, texture, size,
rotation and position, over a background cut from scikit-image's bundled photos, with clutter
(thin lines and small blobs) and pixel noise. Every example also knows where its object is: a
tight bounding box, a pixel mask and keypoints (the corners or tips of the shape), which Part 3
uses for localisation, landmarks, detection and segmentation.

The pieces are public so that other generators compose them: :func:`render_shape` draws one
shape's anti-aliased coverage and keypoints, :func:`texture` fills it, :func:`background`
returns a background patch, and :func:`paste` puts a coverage map onto an image. Example ``i``
is drawn from its own generator seeded by ``(seed, i)``, so the first hundred images are the
same whether you ask for a hundred or for ten thousand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import _checks as V

__all__ = ["SHAPES", "TEXTURES", "BACKGROUNDS", "ShapeImages", "render_shape", "texture",
           "background", "paste", "shape_images"]

#: The ten classes, in label order.
SHAPES = ("circle", "ellipse", "ring", "triangle", "square", "pentagon", "hexagon", "star",
          "cross", "crescent")
#: Fill patterns of a shape (a nuisance, not a class).
TEXTURES = ("solid", "stripes", "dots", "gradient")
#: Kinds of background.
BACKGROUNDS = ("photo", "plain", "noise")

# Photos bundled with scikit-image that backgrounds are cut from.
_BACKGROUND_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "brick", "grass", "gravel",
                      "camera", "coins", "moon", "page", "text")
_ELLIPSE_MINOR = 0.55
_RING_INNER = 0.55
_CRESCENT_CUT = (0.45, 0.8)           # centre offset and radius of the circle cut away


def _regular_polygon(n: int, phase: float = math.pi / 2) -> np.ndarray:
    """(n, 2) vertices of a regular n-gon of circumradius 1, counter-clockwise."""
    a = phase + 2 * math.pi * np.arange(n) / n
    return np.stack([np.cos(a), -np.sin(a)], axis=1)[::-1].copy()


def _star_pieces():
    """A five-pointed star (outer radius 1, inner 0.4) as convex pieces, and its five tips.

    Going round the star, vertices alternate tip, notch, tip, ...; the star is the inner
    pentagon of notches plus one triangle (notch, tip, next notch) per tip.
    """
    angles = math.pi / 2 + math.pi / 5 * np.arange(10)
    radii = np.where(np.arange(10) % 2 == 0, 1.0, 0.4)
    ring = np.stack([radii * np.cos(angles), -radii * np.sin(angles)], axis=1)
    tips, notches = ring[0::2], ring[1::2]
    pieces = [notches] + [np.array([notches[k - 1], tips[k], notches[k]]) for k in range(5)]
    return pieces, tips


def _inside_convex(u, v, verts) -> np.ndarray:
    """Points (u, v) inside a convex polygon given by its vertices in either winding order."""
    inside = np.ones(u.shape, dtype=bool)
    area = 0.0
    for (x0, y0), (x1, y1) in zip(verts, np.roll(verts, -1, axis=0)):
        area += x0 * y1 - x1 * y0
    s = 1.0 if area > 0 else -1.0
    for (x0, y0), (x1, y1) in zip(verts, np.roll(verts, -1, axis=0)):
        inside &= s * ((x1 - x0) * (v - y0) - (y1 - y0) * (u - x0)) >= 0
    return inside


_POLYGON_SIDES = {"triangle": 3, "square": 4, "pentagon": 5, "hexagon": 6}
_STAR_PIECES, _STAR_TIPS = _star_pieces()


def _canonical(kind: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inside test for a shape of radius 1 centred at the origin, in its own frame."""
    r2 = u * u + v * v
    if kind == "circle":
        return r2 <= 1
    if kind == "ellipse":
        return u * u + (v / _ELLIPSE_MINOR) ** 2 <= 1
    if kind == "ring":
        return (r2 <= 1) & (r2 >= _RING_INNER ** 2)
    if kind in _POLYGON_SIDES:
        return _inside_convex(u, v, _regular_polygon(_POLYGON_SIDES[kind]))
    if kind == "star":
        out = np.zeros(u.shape, dtype=bool)
        for piece in _STAR_PIECES:
            out |= _inside_convex(u, v, piece)
        return out
    if kind == "cross":
        arm = 0.33
        return ((np.abs(u) <= 1) & (np.abs(v) <= arm)) | ((np.abs(u) <= arm) & (np.abs(v) <= 1))
    if kind == "crescent":
        dx, rc = _CRESCENT_CUT
        return (r2 <= 1) & ((u - dx) ** 2 + v * v > rc * rc)
    raise ValueError(f"render_shape: kind must be one of {', '.join(SHAPES)}; got {kind!r}")


def _canonical_keypoints(kind: str) -> np.ndarray:
    if kind in _POLYGON_SIDES:
        return _regular_polygon(_POLYGON_SIDES[kind])
    if kind == "star":
        return _STAR_TIPS
    if kind == "ellipse":
        return np.array([[1, 0], [0, _ELLIPSE_MINOR], [-1, 0], [0, -_ELLIPSE_MINOR]], float)
    if kind == "crescent":
        dx, rc = _CRESCENT_CUT
        x = (1 - rc * rc + dx * dx) / (2 * dx)
        y = math.sqrt(1 - x * x)
        return np.array([[x, -y], [-1, 0], [x, y]], float)
    return np.array([[1, 0], [0, 1], [-1, 0], [0, -1]], float)   # circle, ring, cross


def render_shape(kind: str, size: int | tuple[int, int], cx: float, cy: float, radius: float,
                 angle: float = 0.0, supersample: int = 4):
    """Anti-aliased coverage of one shape and its keypoints.

    The shape has circumradius ``radius`` pixels, centre ``(cx, cy)`` (x to the right, y down,
    pixel ``(i, j)`` covering ``[j, j+1] x [i, i+1]``) and is turned by ``angle`` radians.
    Returns ``(coverage, keypoints)``: a float32 (H, W) map of the fraction of each pixel the
    shape covers (``supersample``\\ :sup:`2` samples per pixel), and float32 (k, 2)
    keypoints ``(x, y)``: a polygon's corners, a star's five tips, a cross's arm ends, the
    ends of an ellipse's axes, a crescent's horns and back, four points on a circle or ring.
    """
    V.check_choice("render_shape", "kind", kind, SHAPES)
    h, w = (size, size) if V.is_int(size) else tuple(size)
    V.check_int("render_shape", "size", h, minimum=1)
    V.check_int("render_shape", "size", w, minimum=1)
    radius = V.check_number("render_shape", "radius", radius, minimum=0.0, strict=True)
    ss = V.check_int("render_shape", "supersample", supersample, minimum=1)
    cos, sin = math.cos(angle), math.sin(angle)
    coverage = np.zeros((h, w), dtype=np.float32)
    # only the pixels the shape can reach
    i0, i1 = max(0, int(cy - radius) - 1), min(h, int(math.ceil(cy + radius)) + 1)
    j0, j1 = max(0, int(cx - radius) - 1), min(w, int(math.ceil(cx + radius)) + 1)
    if i0 < i1 and j0 < j1:
        offsets = (np.arange(ss) + 0.5) / ss
        ys = (np.arange(i0, i1)[:, None] + offsets[None, :]).reshape(-1)
        xs = (np.arange(j0, j1)[:, None] + offsets[None, :]).reshape(-1)
        dy, dx = ys[:, None] - cy, xs[None, :] - cx
        u = (dx * cos + dy * sin) / radius
        v = (-dx * sin + dy * cos) / radius
        inside = _canonical(kind, u, v)
        coverage[i0:i1, j0:j1] = inside.reshape(i1 - i0, ss, j1 - j0, ss).mean(axis=(1, 3))
    k = _canonical_keypoints(kind)
    keypoints = np.stack([cx + radius * (k[:, 0] * cos - k[:, 1] * sin),
                          cy + radius * (k[:, 0] * sin + k[:, 1] * cos)], axis=1)
    return coverage, keypoints.astype(np.float32)


def texture(kind: str, size: tuple[int, int], colors, rng: np.random.Generator) -> np.ndarray:
    """A (3, H, W) float32 fill: ``'solid'`` (the first colour), ``'stripes'``, ``'dots'`` or
    ``'gradient'`` between the two colours of ``colors`` ((2, 3) RGB in [0, 1]), with a random
    orientation and period drawn from ``rng``."""
    V.check_choice("texture", "kind", kind, TEXTURES)
    h, w = size
    a, b = (np.asarray(c, dtype=np.float32)[:, None, None] for c in colors)
    if kind == "solid":
        return np.broadcast_to(a, (3, h, w)).copy()
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, math.pi)
    along = xx * math.cos(theta) + yy * math.sin(theta)
    if kind == "stripes":
        period = rng.uniform(3, 6)
        t = (np.sin(2 * math.pi * along / period) > 0).astype(np.float32)
    elif kind == "dots":
        period = rng.uniform(3, 5)
        t = ((np.sin(2 * math.pi * xx / period) * np.sin(2 * math.pi * yy / period)) > 0.3)
        t = t.astype(np.float32)
    else:
        t = (along - along.min()) / max(float(np.ptp(along)), 1e-6)
    return a * (1 - t) + b * t


@lru_cache(maxsize=8)
def _photo_bank(short_side: int) -> tuple[np.ndarray, ...]:
    from .photos import photo

    bank = []
    for name in _BACKGROUND_PHOTOS:
        img = photo(name, gray=False)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        scale = short_side / min(img.shape[:2])
        from skimage import transform

        shape = (max(short_side, round(img.shape[0] * scale)),
                 max(short_side, round(img.shape[1] * scale)), 3)
        bank.append(np.ascontiguousarray(
            transform.resize(img, shape, anti_aliasing=True, order=1).transpose(2, 0, 1),
            dtype=np.float32))
    return tuple(bank)


def background(kind: str, size: int, rng: np.random.Generator,
               contrast: tuple[float, float] = (0.35, 0.8)) -> np.ndarray:
    """A (3, size, size) float32 background in [0, 1].

    ``'photo'``: a random crop of one of scikit-image's bundled photos (at one of three
    zooms), its contrast lowered by a random factor in ``contrast`` so that objects stay
    visible. ``'plain'``: one random colour. ``'noise'``: smooth random colour blotches.
    """
    V.check_choice("background", "kind", kind, BACKGROUNDS)
    size = V.check_int("background", "size", size, minimum=1)
    if kind == "plain":
        color = rng.uniform(0.15, 0.85, 3).astype(np.float32)
        return np.broadcast_to(color[:, None, None], (3, size, size)).copy()
    if kind == "noise":
        coarse = rng.uniform(0.2, 0.8, (3, 4, 4)).astype(np.float32)
        from scipy.ndimage import zoom

        return np.clip(zoom(coarse, (1, size / 4, size / 4), order=1), 0, 1).astype(np.float32)
    bank = _photo_bank(int(size * rng.choice([3, 5, 8])))
    img = bank[rng.integers(len(bank))]
    i = rng.integers(0, img.shape[1] - size + 1)
    j = rng.integers(0, img.shape[2] - size + 1)
    patch = img[:, i:i + size, j:j + size]
    c = rng.uniform(*contrast)
    mean = patch.mean(axis=(1, 2), keepdims=True)
    return np.clip(mean + c * (patch - mean), 0, 1).astype(np.float32)


def paste(image: np.ndarray, coverage: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """``image * (1 - coverage) + fill * coverage`` for (3, H, W) images, in place; returns it."""
    image *= 1 - coverage
    image += fill * coverage
    return image


def _random_color(rng, avoid=None):
    """A saturated random colour; with ``avoid`` (RGB), one that differs from it clearly."""
    for _ in range(20):
        c = rng.uniform(0, 1, 3)
        c = (c - c.min()) / max(np.ptp(c), 1e-6) * rng.uniform(0.5, 1) + rng.uniform(0, 0.3)
        c = np.clip(c, 0, 1)
        if avoid is None or np.abs(c - avoid).sum() > 0.6:
            return c.astype(np.float32)
    return c.astype(np.float32)


def _clutter(image: np.ndarray, count: int, rng: np.random.Generator) -> None:
    """Thin random lines and small blobs, pasted in random colours."""
    _, h, w = image.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    for _ in range(count):
        color = _random_color(rng)[:, None, None]
        if rng.random() < 0.6:
            x0, y0, x1, y1 = rng.uniform(0, w, 4)
            dx, dy = x1 - x0, y1 - y0
            t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / max(dx * dx + dy * dy, 1e-6), 0, 1)
            dist = np.hypot(xx - (x0 + t * dx), yy - (y0 + t * dy))
            cov = np.clip(1.0 - dist / rng.uniform(0.6, 1.2), 0, 1)
        else:
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(1, max(1.5, w / 16))
            cov = np.clip(r + 0.5 - np.hypot(xx - cx, yy - cy), 0, 1)
        paste(image, cov[None].astype(np.float32), color)


@dataclass
class ShapeImages:
    """Images of one shape each, with what the generator knows about them.

    ``images`` float32 (N, 3, H, W) in [0, 1]; ``labels`` int64 (N,) indices into
    ``classes``; ``boxes`` float32 (N, 4) as (x1, y1, x2, y2) in pixels, tight around the
    object's mask; ``masks`` bool (N, H, W), the pixels more than half covered;
    ``keypoints`` a list of float32 (k, 2) arrays (x, y), k depending on the class;
    ``classes`` the class names.
    """

    images: np.ndarray
    labels: np.ndarray
    boxes: np.ndarray
    masks: np.ndarray
    keypoints: list
    classes: tuple

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index) -> "ShapeImages":
        """The examples at ``index`` (an integer array, slice or boolean mask)."""
        idx = np.arange(len(self))[index]
        return ShapeImages(self.images[idx], self.labels[idx], self.boxes[idx],
                           self.masks[idx], [self.keypoints[i] for i in idx], self.classes)


def _tight_box(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if len(rows) == 0:
        return np.zeros(4, np.float32)
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], np.float32)


def shape_images(n: int, size: int = 32, seed: int = 0, classes=SHAPES,
           radius: tuple[float, float] = (0.22, 0.42), rotate: bool = True,
           background_kind: str = "photo", clutter: int = 2, noise: float = 0.03,
           textures=TEXTURES) -> ShapeImages:
    """``n`` images of one random shape each; labels index ``classes``.

    Each image: a background (:func:`background`, ``background_kind``), ``clutter`` random
    lines and blobs, then one shape of a class drawn uniformly from ``classes``, with
    circumradius a random fraction ``radius`` of ``size``, a random rotation (``rotate``), a
    random position that keeps it inside the image, a random texture from ``textures`` in two
    random colours that stand out from the background, and Gaussian pixel noise of standard
    deviation ``noise``. Example ``i`` depends only on ``(seed, i)`` and the arguments.
    Part 2 trains on it; Part 3 reads its boxes, masks and keypoints.
    """
    n = V.check_int("shape_images", "n", n, minimum=0)
    size = V.check_int("shape_images", "size", size, minimum=8)
    seed = V.check_int("shape_images", "seed", seed, minimum=0)
    classes = tuple(classes)
    for c in classes:
        V.check_choice("shape_images", "classes", c, SHAPES)
    if not classes:
        raise ValueError("shape_images: classes must name at least one shape")
    lo, hi = (V.check_number("shape_images", "radius", r, 0.05, 0.5) for r in radius)
    if lo > hi:
        raise ValueError(f"shape_images: radius must be (low, high) with low <= high, got {radius}")
    V.check_bool("shape_images", "rotate", rotate)
    V.check_choice("shape_images", "background_kind", background_kind, BACKGROUNDS)
    clutter = V.check_int("shape_images", "clutter", clutter, minimum=0)
    noise = V.check_number("shape_images", "noise", noise, minimum=0.0)
    textures = tuple(textures)
    for t in textures:
        V.check_choice("shape_images", "textures", t, TEXTURES)
    images = np.zeros((n, 3, size, size), np.float32)
    labels = np.zeros(n, np.int64)
    boxes = np.zeros((n, 4), np.float32)
    masks = np.zeros((n, size, size), bool)
    keypoints = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        label = int(rng.integers(len(classes)))
        img = background(background_kind, size, rng)
        _clutter(img, int(rng.integers(0, clutter + 1)), rng)
        r = rng.uniform(lo, hi) * size
        cx, cy = rng.uniform(r, size - r, 2)
        angle = rng.uniform(0, 2 * math.pi) if rotate else 0.0
        cov, kp = render_shape(classes[label], size, cx, cy, r, angle)
        local = (img * cov).sum(axis=(1, 2)) / max(float(cov.sum()), 1e-6)
        first = _random_color(rng, avoid=local)
        fill = texture(textures[rng.integers(len(textures))], (size, size),
                       (first, _random_color(rng, avoid=local)), rng)
        paste(img, cov[None], fill)
        if noise:
            img += rng.normal(0, noise, img.shape).astype(np.float32)
        images[i] = np.clip(img, 0, 1)
        labels[i] = label
        masks[i] = cov > 0.5
        boxes[i] = _tight_box(masks[i])
        keypoints.append(kp)
    return ShapeImages(images, labels, boxes, masks, keypoints, classes)
