"""Synthetic faces with identities: a seeded stand-in for a face data set (Part 4).

No face data set with identities ships inside a Python package, and the book downloads nothing,
so Part 4 draws its own faces. An *identity* is a fixed set of traits, drawn once from a
generator seeded by ``(seed, identity)``: the shape of the face (width, height, how the jaw
narrows, how square it is), the eyes (spacing, size, height, iris colour), the brows (height,
thickness, slant, arch), the nose (length, width), the mouth (width, lips, resting curve), the
skin, hair and lip tones, the hair style and volume, the ears and facial hair. An *image* is that
identity under nuisance drawn for that one picture: a shift, a small rotation, a change of scale
and a slight turn of the head (pose); the direction, strength and colour of the light and the
exposure (lighting); a smile, an open mouth, raised or lowered brows, narrowed eyes
(expression); glasses, sunglasses or a hand in front of the face (occlusion); the background and
clothes; blur and pixel noise.

Image ``j`` of identity ``k`` depends only on ``(seed, k, j)`` and the arguments, so identity
``k`` is the same person in every call, and a training set of identities ``range(0, 300)`` and a
test set of ``range(1000, 1100)`` share nobody. Every image also knows five landmarks (both
eye centres, the nose tip, both mouth corners), in pixels, which Part 3's landmark section can
regress.

What this is not: real faces. The traits are independent and uniform, the renderer is a flat
cartoon with a Lambertian head, and there is no ageing, make-up, hair growth or camera. Results
measured on these faces say how well a method separates identities *of this generator*; the book
says so wherever it reports them, and checks what it can on scikit-image's real LFW crops
(:func:`lfw_subset`). :func:`face_folder` and :func:`read_pairs` read a real face data set stored
one folder per identity with LFW's ``pairs.txt``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from .. import _checks as V

__all__ = ["HAIR_STYLES", "FACIAL_HAIR", "LANDMARKS", "FaceTraits", "FaceImages", "face_traits",
           "render_face", "faces", "lfw_subset", "face_folder", "FaceFolder", "FacePair",
           "read_pairs", "write_pairs", "pair_indices"]

#: Hair styles an identity may have.
HAIR_STYLES = ("short", "fringe", "side_part", "long", "curly", "receding", "bald")
#: Facial hair an identity may have.
FACIAL_HAIR = ("none", "moustache", "beard", "goatee")
#: The five landmarks, in the order of :attr:`FaceImages.landmarks`.
LANDMARKS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")

# Palettes (RGB in [0, 1]); a trait interpolates between neighbouring entries.
_SKIN = np.array([[0.97, 0.82, 0.71], [0.93, 0.74, 0.60], [0.86, 0.65, 0.50],
                  [0.77, 0.56, 0.41], [0.64, 0.45, 0.31], [0.50, 0.33, 0.22],
                  [0.36, 0.24, 0.16]])
_HAIR = np.array([[0.07, 0.06, 0.06], [0.20, 0.13, 0.08], [0.38, 0.24, 0.13],
                  [0.56, 0.27, 0.12], [0.78, 0.62, 0.36], [0.92, 0.83, 0.58],
                  [0.58, 0.57, 0.56], [0.86, 0.86, 0.84]])
_IRIS = np.array([[0.30, 0.18, 0.09], [0.12, 0.08, 0.06], [0.26, 0.45, 0.70],
                  [0.30, 0.50, 0.30], [0.45, 0.50, 0.55]])
_HAIR_STYLE_P = np.array([0.22, 0.14, 0.16, 0.18, 0.12, 0.10, 0.08])
_FACIAL_HAIR_P = np.array([0.64, 0.12, 0.14, 0.10])


@dataclass(frozen=True)
class FaceTraits:
    """What makes one identity: lengths in units of the image width, tones RGB in [0, 1].

    The face is centred at ``(0, face_y)`` (x to the right, y down, the image centre at 0)
    with half-width ``face_w`` and half-height ``face_h``; ``jaw`` narrows the lower half
    (0: an oval, 0.35: a pointed chin) and ``squareness`` is the exponent of the
    super-ellipse outline (2: an ellipse, 3: squarer). Eyes sit at ``(+-eye_gap, eye_y)``
    with half-width ``eye_w`` and openness ``eye_h`` (height / width); brows ``brow_gap``
    above them; the nose tip at ``nose_y``; the mouth at ``mouth_y`` with half-width
    ``mouth_w``.
    """

    identity: int
    face_w: float
    face_h: float
    face_y: float
    jaw: float
    squareness: float
    eye_gap: float
    eye_y: float
    eye_w: float
    eye_h: float
    brow_gap: float
    brow_thick: float
    brow_slant: float
    brow_arch: float
    nose_y: float
    nose_w: float
    mouth_y: float
    mouth_w: float
    lip: float
    mouth_curve: float
    ear: float
    hair_style: str
    hair_volume: float
    hair_line: float
    hair_length: float
    hair_part: float
    facial_hair: str
    skin: tuple = field(repr=False)
    hair: tuple = field(repr=False)
    iris: tuple = field(repr=False)
    lips: tuple = field(repr=False)

    def as_dict(self) -> dict:
        """The traits as a plain dict."""
        return asdict(self)


def _palette(palette: np.ndarray, t: float) -> np.ndarray:
    x = t * (len(palette) - 1)
    i = min(int(x), len(palette) - 2)
    return palette[i] * (1 - (x - i)) + palette[i + 1] * (x - i)


def face_traits(identity: int, seed: int = 0) -> FaceTraits:
    """The traits of ``identity``, drawn from a generator seeded by ``(seed, identity)``.

    The same ``(identity, seed)`` always gives the same person. Section 4.1.
    """
    identity = V.check_int("face_traits", "identity", identity, minimum=0)
    seed = V.check_int("face_traits", "seed", seed, minimum=0)
    rng = np.random.default_rng([seed, identity, 7])
    u = rng.uniform
    face_w = u(0.25, 0.32)
    face_h = face_w * u(1.12, 1.40)
    face_y = u(0.05, 0.09)
    eye_y = face_y - face_h * u(0.02, 0.22)
    eye_w = u(0.036, 0.056)
    nose_y = eye_y + face_h * u(0.30, 0.44)
    mouth_y = nose_y + face_h * u(0.16, 0.26)
    style = str(rng.choice(HAIR_STYLES, p=_HAIR_STYLE_P))
    hair_t = u(0, 1)
    if style == "bald" or style == "receding":
        hair_t = u(0.0, 1.0) ** 0.7            # greyer more often
    skin = _palette(_SKIN, u(0, 1)) * (1 + rng.normal(0, 0.03, 3))
    hair = _palette(_HAIR, hair_t) * (1 + rng.normal(0, 0.05, 3))
    iris = _palette(_IRIS, u(0, 1))
    lips = skin * np.array([0.86, 0.62, 0.62]) * u(0.85, 1.0)
    return FaceTraits(
        identity=identity, face_w=face_w, face_h=face_h, face_y=face_y, jaw=u(0.0, 0.35),
        squareness=u(1.9, 3.4), eye_gap=face_w * u(0.30, 0.44), eye_y=eye_y, eye_w=eye_w,
        eye_h=u(0.40, 0.75), brow_gap=u(0.035, 0.075), brow_thick=u(0.010, 0.028),
        brow_slant=u(-0.35, 0.35), brow_arch=u(-0.004, 0.03), nose_y=nose_y,
        nose_w=u(0.025, 0.055), mouth_y=mouth_y, mouth_w=face_w * u(0.26, 0.42),
        lip=u(0.010, 0.026), mouth_curve=u(-0.012, 0.012), ear=u(0.030, 0.050),
        hair_style=style, hair_volume=u(0.02, 0.07) if style != "curly" else u(0.08, 0.14),
        hair_line=u(0.22, 0.42), hair_length=u(0.9, 1.6), hair_part=u(-1, 1),
        facial_hair=str(rng.choice(FACIAL_HAIR, p=_FACIAL_HAIR_P)),
        skin=tuple(np.clip(skin, 0, 1).round(4).tolist()),
        hair=tuple(np.clip(hair, 0, 1).round(4).tolist()), iris=tuple(iris.round(4).tolist()),
        lips=tuple(np.clip(lips, 0, 1).round(4).tolist()))


# ------------------------------------------------------------------------------------------
# Rendering. Every part of a face is a signed distance (negative inside, in canonical units,
# the image width being 1) turned into an anti-aliased coverage and composited front over
# back. A batch of faces is drawn at once: every trait and nuisance is an array of shape
# (B, 1, 1), and a part an identity lacks (a beard, long hair, glasses) is painted with
# opacity 0, so there is no Python loop over pixels or parts per image.
# ------------------------------------------------------------------------------------------

_STYLE_LINE = {   # hairline: base + c2 rel^2 + part * slope + recede |rel|^0.7 + c4 rel^4
    "short": (0.0, 0.45, 0.0, 0.0, 0.0), "fringe": (0.45, 0.02, 0.0, 0.0, 0.0),
    "side_part": (0.1, 0.35, 0.25, 0.0, 0.0), "long": (0.0, 0.45, 0.0, 0.0, 0.0),
    "curly": (0.0, 0.45, 0.0, 0.0, 0.0), "receding": (-0.1, 0.0, 0.0, 0.35, 0.6),
    "bald": (0.0, 0.45, 0.0, 0.0, 0.0)}


class _Canvas:
    """Canonical coordinates of a batch of images and the person layer being painted."""

    def __init__(self, size, ss, scale, angle, shift, zoom=1.0):
        n = size * ss
        g = ((np.arange(n) + 0.5) / n - 0.5).astype(np.float32) / zoom
        x = g[None, None, :] - shift[:, 0, None, None]
        y = g[None, :, None] + _zoom_centre(zoom) - shift[:, 1, None, None]
        c, s = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
        inv = 1 / scale[:, None, None]
        self.u = ((c * x + s * y) * inv).astype(np.float32)
        self.v = ((-s * x + c * y) * inv).astype(np.float32)
        self.inv_px = (n * zoom * scale[:, None, None]).astype(np.float32)   # samples/unit
        b = len(scale)
        self.rgb = np.zeros((b, 3, n, n), np.float32)                  # premultiplied colour
        self.alpha = np.zeros((b, n, n), np.float32)

    def cover(self, d, opacity=1.0):
        c = np.clip(0.5 - d * self.inv_px, 0.0, 1.0)
        return c if opacity is None else c * opacity

    def paint(self, d, color, opacity=1.0):
        """Paint ``color`` ((3,) or (B, 3)) where ``d < 0``."""
        c = self.cover(d, opacity)
        color = np.asarray(color, np.float32)
        color = color[None] if color.ndim == 1 else color
        self.rgb *= (1 - c)[:, None]
        self.rgb += color[:, :, None, None] * c[:, None]
        self.alpha *= 1 - c
        self.alpha += c
        return c

    def tint(self, d, factor, opacity=1.0):
        """Darken (factor < 1) what is painted already, where ``d < 0``."""
        self.rgb *= (1 + (factor - 1) * self.cover(d, opacity))[:, None]


def _ellipse(u, v, cx, cy, rx, ry):
    du, dv = (u - cx) / rx, (v - cy) / ry
    r = np.sqrt(du * du + dv * dv) + 1e-6
    grad = np.sqrt((du / rx) ** 2 + (dv / ry) ** 2) / r + 1e-6
    return (r - 1) / grad


def _superellipse(u, v, cx, cy, rx, ry, n):
    # |x|^n as exp(n log|x|): the same number, several times faster than a broadcast power
    du, dv = np.abs(u - cx) / rx + 1e-6, np.abs(v - cy) / ry + 1e-6
    r = np.exp(np.log(np.exp(n * np.log(du)) + np.exp(n * np.log(dv))) / n)
    return (r - 1) * np.minimum(rx, ry)


def _band(u, v, x0, x1, c, slope, half):
    """A thick curve ``v = c`` (evaluated at u, with slope ``slope``) for x0 <= u <= x1."""
    across = np.abs(v - c) / np.sqrt(1 + slope * slope) - half
    return np.maximum(across, np.maximum(x0 - u, u - x1))


def _segment(u, v, p, q, half):
    pu, pv = q[0] - p[0], q[1] - p[1]
    t = np.clip(((u - p[0]) * pu + (v - p[1]) * pv) / (pu * pu + pv * pv + 1e-12), 0, 1)
    return np.sqrt((u - p[0] - t * pu) ** 2 + (v - p[1] - t * pv) ** 2) - half


def _backgrounds(n, e, strength):
    """Muted backdrops (B, 3, n, n): a plain colour, a gradient or soft blotches."""
    g = ((np.arange(n) + 0.5) / n).astype(np.float32)
    y, x = g[None, :, None], g[None, None, :]
    a = e["back_angle"]
    img = e["back_base"][:, :, None, None] + (e["back_ramp"][:, :, None, None] * (
        np.cos(a) * (x - 0.5) + np.sin(a) * (y - 0.5))[:, None])
    for k in range(3):
        cx, cy, r = (e[f"blob{k}"][:, i, None, None] for i in range(3))
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
        img = img + e[f"blob{k}_color"][:, :, None, None] * blob[:, None]
    mid = np.float32(0.55)
    return np.clip(mid + np.float32(0.5 * strength) * (img - mid), 0.03, 0.97)


def _trait_arrays(traits: Sequence[FaceTraits]) -> dict:
    """Traits of a batch as (B, 1, 1) float32 arrays (colours (B, 3)), styles as numbers."""
    names = ("face_w", "face_h", "face_y", "jaw", "squareness", "eye_gap", "eye_y", "eye_w",
             "eye_h", "brow_gap", "brow_thick", "brow_slant", "brow_arch", "nose_y", "nose_w",
             "mouth_y", "mouth_w", "lip", "mouth_curve", "ear", "hair_volume", "hair_line",
             "hair_length", "hair_part")
    t = {k: np.array([getattr(x, k) for x in traits], np.float32)[:, None, None] for k in names}
    for k in ("skin", "hair", "iris", "lips"):
        t[k] = np.array([getattr(x, k) for x in traits], np.float32)
    style = [x.hair_style for x in traits]
    line = np.array([_STYLE_LINE[s] for s in style], np.float32)
    for i, k in enumerate(("line_base", "line_c2", "line_part", "line_recede", "line_c4")):
        t[k] = line[:, i, None, None]
    flag = lambda cond: np.array(cond, np.float32)[:, None, None]   # noqa: E731
    t["long"] = flag([s == "long" for s in style])
    t["curly"] = flag([s == "curly" for s in style])
    t["bald"] = flag([s == "bald" for s in style])
    t["receding"] = flag([s == "receding" for s in style])
    fh = [x.facial_hair for x in traits]
    t["beard"] = flag([f == "beard" for f in fh])
    t["goatee"] = flag([f == "goatee" for f in fh])
    t["moustache"] = flag([f != "none" for f in fh])
    return t


_FRAMES = np.array([[0.05, 0.05, 0.05], [0.35, 0.2, 0.1], [0.6, 0.6, 0.65]])


def _nuisance(rng, pose, lighting, expression, occlusion, background=1.0) -> dict:
    """The nuisance of one image, drawn from ``rng`` in two calls (it is drawn per image)."""
    p = rng.random(40)
    z = rng.standard_normal(24)
    az, el = (p[0] * 2 - 1) * math.pi, 0.1 + 0.9 * p[1]
    light = np.array([math.cos(az) * math.cos(el), math.sin(az) * math.cos(el) * 0.7,
                      math.sin(el) + 0.3])
    light = light / np.linalg.norm(light) if lighting > 0 else np.array([0.0, 0.0, 1.0])
    diffuse = (0.1 + 0.32 * p[2]) * lighting
    occluder = 0
    if p[3] < occlusion:
        occluder = 1 + int(np.searchsorted([0.5, 0.7], p[4]))   # glasses, sunglasses, hand
    kind = int(p[5] * 3)                                       # plain, gradient, blotches
    return dict(
        shift=z[0:2] * 0.025 * pose, angle=z[2] * 0.07 * pose, scale=1 + z[3] * 0.04 * pose,
        yaw=float(np.clip(z[4] * 0.3 * pose, -0.8, 0.8)),
        light=light, diffuse=diffuse, ambient=1 - diffuse * (0.4 + 0.3 * p[6]),
        exposure=1 + z[5] * 0.07 * lighting, white=1 + z[6:9] * 0.03 * lighting,
        smile=float(np.clip(0.2 + 0.5 * z[9], -0.6, 1.0)) * expression,
        open=float(p[7] < 0.3 * min(expression, 1)) * (0.3 + 0.7 * p[8]),
        brows=z[10] * 0.8 * expression, knit=z[11] * 0.4 * expression,
        eyes=float(np.clip(1 - abs(z[12]) * 0.25 * expression, 0.35, 1.1)),
        gaze=z[13] * 0.5 * expression,
        clothes=0.45 + (0.8 * p[9:12] - 0.4) * 0.6 * min(background, 1.0),
        glasses=float(occluder in (1, 2)), sunglasses=float(occluder == 2),
        hand=float(occluder == 3),
        lens_r=1.45 + 0.35 * p[12], rim=0.008 + 0.006 * p[13],
        frame=_FRAMES[min(int(p[14] * 3), 2)], lens_square=2 + 2 * p[15],
        hand_x=(1 if p[16] < 0.5 else -1) * (0.05 + 0.17 * p[17]),
        hand_y=-0.12 + 0.14 * p[18], hand_angle=-0.7 + 1.4 * p[19],
        hand_tone=0.82 + 0.28 * p[20], blur=p[21],
        back_base=0.3 + 0.55 * p[22] + z[14:17] * 0.07,
        back_ramp=z[17:20] * 0.18 * (kind == 1), back_angle=p[23] * 2 * math.pi,
        blob0=np.array([p[24], p[25], 0.15 + 0.25 * p[26]]),
        blob1=np.array([p[27], p[28], 0.15 + 0.25 * p[29]]),
        blob2=np.array([p[30], p[31], 0.15 + 0.25 * p[32]]),
        blob0_color=(z[20] + z[21:24] * 0.3) * 0.12 * (kind == 2),
        blob1_color=(z[21] + z[[23, 20, 22]] * 0.3) * 0.12 * (kind == 2),
        blob2_color=(z[22] + z[[20, 23, 21]] * 0.3) * 0.12 * (kind == 2),
        noise_seed=int(p[33] * 2 ** 31))


def _nuisance_arrays(nuis: Sequence[dict]) -> dict:
    out = {}
    for k in nuis[0]:
        a = np.array([x[k] for x in nuis], np.float32)
        out[k] = a[:, None, None] if a.ndim == 1 else a
    return out


def _paint_faces(cv: _Canvas, t: dict, e: dict) -> np.ndarray:
    """Paint a batch of faces onto ``cv``; returns canonical landmarks (B, 5, 2)."""
    u, v = cv.u, cv.v
    skin, hair = t["skin"], t["hair"]
    yaw = e["yaw"] * t["face_w"] * 0.22            # inner features slide with a head turn
    cy, fw, fh = t["face_y"], t["face_w"], t["face_h"]
    # long hair behind the head and shoulders
    width = fw * (1.18 + t["hair_volume"] * 2)
    d = np.maximum(_superellipse(u, v, yaw * 0.3, cy - 0.02, width, fh * 1.25, 2.4),
                   v - (cy + fh * t["hair_length"] * 0.75))
    cv.paint(d, hair * 0.92, t["long"])
    # neck and shoulders (the clothes' colour is a nuisance of the photo)
    neck_w = fw * 0.45
    cv.paint(np.maximum(np.abs(u - yaw * 0.2) - neck_w, cy + fh * 0.3 - v), skin * 0.82)
    top = cy + fh + 0.07
    d = np.maximum(np.abs(u) - (neck_w + 0.05 + 1.9 * np.maximum(v - top, 0) ** 0.7),
                   top - v)
    cv.paint(d, e["clothes"])
    cv.tint(_band(u, v, -neck_w - 0.02, neck_w + 0.02, top - 0.01 + 0.5 * u * u, u, 0.012),
            0.7)
    # ears: the far ear hides when the head turns
    for side in (-1, 1):
        show = np.clip(1.0 - np.maximum(0.0, -side * e["yaw"]) * 1.2, 0, 1)
        cv.paint(_ellipse(u, v, side * fw * 0.98 + yaw * 0.35, t["eye_y"] + 0.03,
                          t["ear"] * (0.4 + 0.6 * show) + 1e-3, t["ear"] * 1.5), skin * 0.9,
                 (show > 0.05).astype(np.float32))
    # the face: a super-ellipse whose lower half narrows towards the chin
    lower = np.clip((v - cy) / fh, 0, 1)
    face_d = _superellipse(u, v, yaw * 0.1, cy, fw * (1 - t["jaw"] * lower ** 1.5), fh,
                           t["squareness"])
    cv.paint(face_d, skin)
    # facial hair
    mw = t["mouth_w"] * (1 + 0.25 * e["smile"])
    mx = yaw * 1.1
    cv.paint(np.maximum(face_d, (t["nose_y"] + 0.02 + 0.6 * (u - yaw) ** 2) - v), hair * 0.95,
             t["beard"] * 0.95)
    cv.paint(np.maximum(_ellipse(u, v, yaw, t["mouth_y"] + 0.03, mw * 0.8, 0.06), face_d),
             hair * 0.95, t["goatee"])
    cv.paint(_band(u, v, yaw - mw * 1.1, yaw + mw * 1.1,
                   t["mouth_y"] - t["lip"] - 0.012 + 0.8 * (u - yaw) ** 2, 1.6 * (u - yaw),
                   0.011), hair * 0.9, t["moustache"])
    # nose: a shadow on the side away from the light, the tip's shadow and nostrils
    nx = yaw * 1.15
    side = np.where(e["light_x"] > 0, -1.0, 1.0).astype(np.float32)
    nw, ny = t["nose_w"], t["nose_y"]
    cv.tint(_segment(u, v, (nx + side * nw * 0.5, t["eye_y"] + 0.02),
                     (nx + side * nw * 0.8, ny - 0.005), 0.008), 0.86)
    cv.tint(_ellipse(u, v, nx, ny + 0.008, nw, 0.011), 0.78)
    for s in (-1, 1):
        cv.tint(_ellipse(u, v, nx + s * nw * 0.55, ny + 0.004, 0.009, 0.006), 0.55)
    # mouth: lips around a curved line; an open mouth shows the inside and the upper teeth
    curve = t["mouth_curve"] - 0.035 * e["smile"]
    opening = e["open"] * 0.035
    r = (u - mx) / mw
    c = t["mouth_y"] + curve * r * r
    env = 1 - np.clip(np.abs(r), 0, 1) ** 2
    upper = c - opening / 2 - t["lip"] * 0.8 * env - 0.002
    lower_lip = c + opening / 2 + t["lip"] * env + 0.002
    cv.paint(np.maximum(np.maximum(upper - v, v - lower_lip), np.abs(u - mx) - mw), t["lips"])
    inside = np.maximum(np.maximum((c - opening / 2 * env) - v, v - (c + opening / 2 * env)),
                        np.abs(u - mx) - mw * 0.92)
    is_open = (opening > 0.004).astype(np.float32)
    cv.paint(inside, (0.25, 0.08, 0.08), is_open)
    cv.paint(np.maximum(inside, v - (c - opening / 2 * env + opening * 0.35)),
             (0.93, 0.9, 0.85), is_open)
    cv.tint(_band(u, v, mx - mw, mx + mw, c, 2 * curve * (u - mx) / (mw * mw), 0.003), 0.6)
    # eyes: white, iris, pupil, and a dark upper lid
    ex = yaw * 1.2
    ew, ey = t["eye_w"], t["eye_y"]
    openness = t["eye_h"] * e["eyes"]
    for s in (-1, 1):
        cx = ex + s * t["eye_gap"]
        sclera = _ellipse(u, v, cx, ey, ew, ew * openness)
        cv.paint(sclera, (0.95, 0.94, 0.92))
        gx = cx + e["gaze"] * ew * 0.35
        cv.paint(np.maximum(_ellipse(u, v, gx, ey, ew * 0.55, ew * 0.55), sclera), t["iris"])
        cv.paint(np.maximum(_ellipse(u, v, gx, ey, ew * 0.25, ew * 0.25), sclera),
                 (0.02, 0.02, 0.02))
        lid = ey - ew * openness * np.sqrt(np.clip(1 - ((u - cx) / ew) ** 2, 0, 1))
        cv.tint(_band(u, v, cx - ew, cx + ew, lid, 0.0, 0.005), 0.45)
    # brows: thick curves above the eyes; expression raises or knits them
    brow_color = hair * (0.8 - 0.2 * t["bald"][:, :, 0])
    half = ew * 1.35
    for s in (-1, 1):
        cx = ex + s * t["eye_gap"]
        by = ey - ew * openness - t["brow_gap"] - 0.012 * e["brows"]
        slant = (t["brow_slant"] + 0.25 * e["knit"]) * s * 0.35
        rr = (u - cx) / half
        cv.paint(_band(u, v, cx - half, cx + half,
                       by + slant * (u - cx) - t["brow_arch"] * (1 - rr * rr),
                       slant + 2 * t["brow_arch"] * (u - cx) / (half * half),
                       t["brow_thick"] / 2), brow_color)
    # hair on top of the head, down to the hairline (sides only when bald)
    vol = t["hair_volume"]
    outer = _superellipse(u, v, yaw * 0.3, cy - vol * 0.8, fw + vol, fh + vol * 1.3, 2.2)
    outer = outer - 0.012 * t["curly"] * np.sin(9 * np.arctan2(v - cy, u) + t["hair_part"] * 3)
    rel = (u - yaw * 0.5) / fw
    arel = np.abs(rel)
    line = (cy - fh) + fh * (t["hair_line"] * (1 - (t["line_base"] > 0.3)) + t["line_base"]
                             + t["line_c2"] * rel * rel
                             + t["line_part"] * np.clip(t["hair_part"] * rel, -1, 1)
                             + t["line_recede"] * arel ** 0.7 * (arel < 0.8) + t["line_c4"]
                             * rel ** 4)
    hair_d = np.maximum(outer, v - line)
    crown = -(np.abs(u - yaw * 0.3) - fw * 0.55) - np.maximum(cy - fh * 0.6 - v, 0)
    hair_d = np.where(t["receding"] > 0, np.maximum(hair_d, crown), hair_d)
    cv.paint(hair_d, hair, 1 - t["bald"])
    for s in (-1, 1):
        cv.paint(np.maximum(_ellipse(u, v, s * fw * 0.95 + yaw * 0.3, ey - 0.01, 0.04, 0.07),
                            s * (yaw * 0.3 - u)), hair, t["bald"])
    # landmarks: eye centres, nose tip, mouth corners (canonical units)
    flat = lambda a: np.broadcast_to(a, (len(u), 1, 1))[:, 0, 0]   # noqa: E731
    mouth_corner_y = t["mouth_y"] + curve
    return np.stack([np.stack([flat(ex - t["eye_gap"]), flat(ey)], -1),
                     np.stack([flat(ex + t["eye_gap"]), flat(ey)], -1),
                     np.stack([flat(nx), flat(ny)], -1),
                     np.stack([flat(mx - mw), flat(mouth_corner_y)], -1),
                     np.stack([flat(mx + mw), flat(mouth_corner_y)], -1)], axis=1)


def _paint_occlusions(cv: _Canvas, t: dict, e: dict):
    """Glasses, sunglasses or a hand in front of the face (opacity 0 where there is none)."""
    u, v = cv.u, cv.v
    ex = e["yaw"] * t["face_w"] * 0.22 * 1.2
    ew, ey, gap = t["eye_w"], t["eye_y"], t["eye_gap"]
    r = ew * e["lens_r"]
    rim = e["rim"]
    glasses, dark = e["glasses"], e["sunglasses"]
    lens_color = np.where(dark[:, :, 0] > 0, np.float32([0.06, 0.06, 0.08]),
                          np.float32([0.85, 0.9, 0.95]))
    for s in (-1, 1):
        lens = _superellipse(u, v, ex + s * gap, ey + 0.004, r, r * 0.8, e["lens_square"])
        cv.paint(lens, lens_color, glasses * (0.12 + 0.8 * dark))
        cv.paint(np.abs(lens) - rim, e["frame"], glasses)
    cv.paint(_segment(u, v, (ex - gap + r, ey - 0.005), (ex + gap - r, ey - 0.005), rim),
             e["frame"], glasses)
    for s in (-1, 1):
        cv.paint(_segment(u, v, (ex + s * (gap + r), ey - 0.005),
                          (s * t["face_w"] * 1.02, ey - 0.01), rim * 0.9), e["frame"], glasses)
    # a hand: palm below, four fingers reaching up over the cheek, mouth or chin
    hand = e["hand"]
    ca, sa = np.cos(e["hand_angle"]), np.sin(e["hand_angle"])
    du, dv = u - e["hand_x"], v - (t["mouth_y"] + e["hand_y"])
    pu, pv = ca * du + sa * dv, -sa * du + ca * dv
    d = _ellipse(pu, pv, 0.0, 0.15, 0.115, 0.10)
    for k in (-1.5, -0.5, 0.5, 1.5):
        d = np.minimum(d, _segment(pu, pv, (k * 0.052, 0.1), (k * 0.056, -0.1 + 0.03 * abs(k)),
                                   0.024))
    cv.paint(d, t["skin"] * e["hand_tone"][:, :, 0], hand)
    cv.tint(np.abs(d) - 0.005, 0.7, hand)                  # its outline
    for k in (-1, 0, 1):
        cv.tint(_segment(pu, pv, (k * 0.05, 0.08), (k * 0.052, -0.05), 0.002), 0.8, hand)


def _shading(cv: _Canvas, t: dict, e: dict):
    """Lambertian light on an ellipsoid head (flatter around it): a multiplier per sample."""
    nu = np.clip((cv.u - e["yaw"] * 0.03) / (t["face_w"] * 1.1), -1, 1)
    nv = np.clip((cv.v - t["face_y"]) / (t["face_h"] * 1.15), -1, 1)
    nz = np.sqrt(np.clip(1 - nu * nu - nv * nv, 0, 1)) + 0.15
    norm = np.sqrt(nu * nu + nv * nv + nz * nz)
    lam = np.clip((e["light_x"] * nu + e["light_y"] * nv + e["light_z"] * nz) / norm, 0, 1)
    return e["ambient"] + e["diffuse"] * lam


def _zoom_centre(zoom):
    """Where the view is centred (in canonical y) at ``zoom``: lower as it closes in."""
    return 0.2 * (1 - 1 / zoom)


def _render_batch(traits, nuis, size, ss, gray, strengths, zoom=1.0):
    """Images (B, C, size, size) and landmarks (B, 5, 2) of a batch of (traits, nuisance)."""
    t = _trait_arrays(traits)
    e = _nuisance_arrays(nuis)
    light = np.array([x["light"] for x in nuis], np.float32)
    for i, k in enumerate(("light_x", "light_y", "light_z")):
        e[k] = light[:, i, None, None]
    cv = _Canvas(size, ss, e["scale"][:, 0, 0], e["angle"][:, 0, 0], e["shift"], zoom)
    marks = _paint_faces(cv, t, e)
    _paint_occlusions(cv, t, e)
    person = cv.rgb * _shading(cv, t, e)[:, None]
    n = size * ss
    exposure = e["exposure"][:, :, :, None].transpose(0, 3, 1, 2)      # (B, 1, 1, 1)
    back = _backgrounds(n, e, strengths["background"])
    back *= 1 + (exposure - 1) * 0.5
    img = (back * (1 - cv.alpha[:, None]) + person) * exposure * e["white"][:, :, None, None]
    if ss > 1:
        img = img.reshape(len(nuis), 3, size, ss, size, ss).mean(axis=(3, 5))
    if gray:
        img = np.tensordot(np.float32([0.299, 0.587, 0.114]), img, axes=([0], [1]))[:, None]
    if strengths["blur"] > 0:
        from scipy.ndimage import gaussian_filter

        for i, x in enumerate(nuis):
            sigma = x["blur"] * strengths["blur"] * size / 32
            if sigma > 0.05:
                img[i] = gaussian_filter(img[i], (0, sigma, sigma), mode="nearest")
    if strengths["noise"] > 0:
        for i, x in enumerate(nuis):
            img[i] += np.random.default_rng(x["noise_seed"]).normal(
                0, strengths["noise"], img[i].shape).astype(np.float32)
    # canonical landmarks -> pixel coordinates
    ang, sc, sh = e["angle"][:, 0, 0], e["scale"][:, 0, 0], e["shift"]
    c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]
    x = sc[:, None] * (c * marks[..., 0] - s * marks[..., 1]) + sh[:, 0, None]
    y = sc[:, None] * (s * marks[..., 0] + c * marks[..., 1]) + sh[:, 1, None]
    landmarks = np.stack([(x * zoom + 0.5) * size,
                          ((y - _zoom_centre(zoom)) * zoom + 0.5) * size], axis=-1)
    return np.clip(img, 0, 1).astype(np.float32), landmarks.astype(np.float32)


def _strengths(op, pose, lighting, expression, occlusion, background, noise, blur):
    out = {}
    for name, value in (("pose", pose), ("lighting", lighting), ("expression", expression),
                        ("noise", noise), ("blur", blur)):
        out[name] = V.check_number(op, name, value, minimum=0.0)
    out["occlusion"] = V.check_number(op, "occlusion", occlusion, 0.0, 1.0)
    out["background"] = V.check_number(op, "background", background, 0.0, 1.0)
    return out


def render_face(traits: FaceTraits, size: int = 32, seed=0, gray: bool = False,
                pose: float = 1.0, lighting: float = 1.0, expression: float = 1.0,
                occlusion: float = 0.25, background: float = 1.0, noise: float = 0.02,
                blur: float = 0.6, zoom: float = 1.0, supersample: int = 2):
    """One image of ``traits`` under nuisance drawn from ``np.random.default_rng(seed)``.

    Returns ``(image, landmarks)``: float32 (C, size, size) in [0, 1] (C = 1 with ``gray``,
    else 3) and float32 (5, 2) pixel coordinates ``(x, y)`` of :data:`LANDMARKS` (pixel
    ``(i, j)`` covers ``[j, j+1] x [i, i+1]``). Nuisance strengths, 0 to switch one off:
    ``pose`` (shift, rotation, scale and head turn), ``lighting`` (direction, strength,
    exposure, colour), ``expression`` (smile, open mouth, brows, eyes, gaze), ``occlusion``
    (the probability of glasses, sunglasses or a hand), ``background`` (0: a plain grey
    backdrop, 1: muted colours, gradients and blotches), ``noise`` (standard deviation of
    Gaussian pixel noise), ``blur`` (the largest Gaussian blur, in pixels of a 32-pixel
    image). ``zoom`` frames the picture: 1 shows head and shoulders, about 1.5 a tight crop
    from forehead to chin like the crops of :func:`lfw_subset`. ``supersample`` is the number
    of samples per pixel along each axis. Section 4.1 shows each nuisance.
    """
    if not isinstance(traits, FaceTraits):
        raise TypeError(f"render_face: traits must be FaceTraits (from face_traits), got "
                        f"{type(traits).__name__}")
    size = V.check_int("render_face", "size", size, minimum=16, maximum=256)
    V.check_bool("render_face", "gray", gray)
    st = _strengths("render_face", pose, lighting, expression, occlusion, background, noise,
                    blur)
    ss = V.check_int("render_face", "supersample", supersample, minimum=1, maximum=8)
    zoom = V.check_number("render_face", "zoom", zoom, 0.5, 3.0)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    nuis = _nuisance(rng, st["pose"], st["lighting"], st["expression"], st["occlusion"],
                     st["background"])
    img, marks = _render_batch([traits], [nuis], size, ss, gray, st, zoom)
    return img[0], marks[0]


@dataclass
class FaceImages:
    """Face images with their identities and landmarks.

    ``images`` float32 (N, C, H, W) in [0, 1]; ``identities`` int64 (N,), the identity of each
    image (the ``k`` of :func:`face_traits`); ``landmarks`` float32 (N, 5, 2), pixel ``(x, y)``
    of :data:`LANDMARKS`; ``traits`` maps each identity to its :class:`FaceTraits`.
    """

    images: np.ndarray
    identities: np.ndarray
    landmarks: np.ndarray
    traits: dict

    def __len__(self) -> int:
        return len(self.identities)

    def subset(self, index) -> "FaceImages":
        """The images at ``index`` (an integer array, slice or boolean mask)."""
        idx = np.arange(len(self))[index]
        ids = self.identities[idx]
        return FaceImages(self.images[idx], ids, self.landmarks[idx],
                          {int(k): self.traits[int(k)] for k in np.unique(ids)})

    @property
    def labels(self) -> np.ndarray:
        """The identities renumbered 0..K-1 in sorted order (for a classifier over them)."""
        return np.unique(self.identities, return_inverse=True)[1].astype(np.int64)


def faces(identities=100, per_identity: int = 10, size: int = 32, seed: int = 0,
          gray: bool = False, pose: float = 1.0, lighting: float = 1.0, expression: float = 1.0,
          occlusion: float = 0.25, background: float = 1.0, noise: float = 0.02,
          blur: float = 0.6, zoom: float = 1.0, supersample: int = 1) -> FaceImages:
    """``per_identity`` images of each identity in ``identities``.

    ``identities`` is a count (identities ``0 .. n-1``) or a sequence of distinct
    non-negative identity numbers: ``faces(range(1000, 1100))`` draws a hundred people who
    appear in no call over ``range(0, 1000)``. Image ``j`` of identity ``k`` is drawn from a
    generator seeded by ``(seed, k, j)``, so asking for more images per identity keeps the
    first ones. ``size`` is 16 to 256 (the book uses 32 to 64); the nuisance arguments,
    ``zoom`` and ``supersample`` are those of :func:`render_face` (whose default, 2, is smoother for
    pictures; 1 is twice as fast, for training sets). Images are ordered identity by
    identity. Section 4.1.
    """
    if V.is_int(identities):
        ids = list(range(V.check_int("faces", "identities", identities, minimum=1)))
    else:
        if isinstance(identities, (str, bytes)) or not hasattr(identities, "__iter__"):
            raise TypeError(f"faces: identities must be an int or a sequence of ints, got "
                            f"{type(identities).__name__}")
        ids = [V.check_int("faces", "identities", k, minimum=0) for k in identities]
        if not ids:
            raise ValueError("faces: identities is empty")
        if len(set(ids)) != len(ids):
            raise ValueError("faces: identities holds repeated identities")
    per_identity = V.check_int("faces", "per_identity", per_identity, minimum=1)
    seed = V.check_int("faces", "seed", seed, minimum=0)
    size = V.check_int("faces", "size", size, minimum=16, maximum=256)
    gray = V.check_bool("faces", "gray", gray)
    st = _strengths("faces", pose, lighting, expression, occlusion, background, noise, blur)
    ss = V.check_int("faces", "supersample", supersample, minimum=1, maximum=8)
    zoom = V.check_number("faces", "zoom", zoom, 0.5, 3.0)
    traits = {k: face_traits(k, seed) for k in ids}
    jobs = [(traits[k], _nuisance(np.random.default_rng([seed, k, j]), st["pose"],
                                  st["lighting"], st["expression"], st["occlusion"],
                                  st["background"]))
            for k in ids for j in range(per_identity)]
    batch = max(1, 2 ** 18 // (size * ss) ** 2)          # about 1 MB per coordinate array
    images, landmarks = [], []
    for i in range(0, len(jobs), batch):
        part = jobs[i:i + batch]
        img, marks = _render_batch([a for a, _ in part], [b for _, b in part], size, ss, gray,
                                   st, zoom)
        images.append(img)
        landmarks.append(marks)
    return FaceImages(np.concatenate(images), np.repeat(np.asarray(ids, np.int64), per_identity),
                      np.concatenate(landmarks), traits)


# ------------------------------------------------------------------------------------------
# Real faces: scikit-image's LFW crops, and a reader's face data set on disk.
# ------------------------------------------------------------------------------------------

def lfw_subset(size: int | None = None):
    """scikit-image's bundled LFW crops: ``(images, is_face)``.

    200 grey images (float32 (200, 1, 25, 25) in [0, 1], or resized to ``size``): the first
    100 are real faces from Labeled Faces in the Wild (tight crops from forehead to chin), the
    last 100 are patches of other photos; ``is_face`` (200,) says which. There are no identity
    labels, so the book uses them to check face against non-face, and what a network trained
    on synthetic faces makes of real ones. Nothing is downloaded. Section 4.1.
    """
    from skimage import data, transform

    imgs = data.lfw_subset().astype(np.float32)
    if size is not None:
        size = V.check_int("lfw_subset", "size", size, minimum=4, maximum=512)
        imgs = np.stack([transform.resize(im, (size, size), order=1, anti_aliasing=True)
                         for im in imgs]).astype(np.float32)
    is_face = np.arange(len(imgs)) < 100
    return imgs[:, None], is_face


class FaceFolder(NamedTuple):
    """Faces read from disk: images float32 (N, C, H, W), ``identities`` int64 (N,) indices
    into ``names`` (one folder per person), ``numbers`` int64 (N,) each image's number
    within its person (LFW's ``Name_0003.jpg`` is 3), and the file ``paths``."""

    images: np.ndarray
    identities: np.ndarray
    names: tuple
    numbers: np.ndarray
    paths: tuple


def _image_number(path: str, name: str, fallback: int) -> int:
    stem = Path(path).stem
    if stem.startswith(name + "_") and stem[len(name) + 1:].isdigit():
        return int(stem[len(name) + 1:])
    return fallback


def face_folder(root, size: int = 32, gray: bool = True, crop: float | None = None,
                min_per_identity: int = 1) -> FaceFolder:
    """Read a face data set stored one folder per identity (LFW's layout).

    ``root/<name>/<name>_0001.jpg, ...``: every sub-folder is a person, read with
    :func:`cnnlib.data.image_folder`. ``crop`` keeps the central fraction of each image
    before the final resize to ``size`` x ``size`` (LFW's 250 x 250 pictures hold the face in
    roughly the central 0.45, which matches the tight crops the book trains on). Image
    numbers come from LFW's file names (``Name_0003.jpg`` is image 3); files named otherwise
    are numbered 1, 2, ... in sorted order. Section 4.5 evaluates on such a folder with
    :func:`read_pairs` and :func:`pair_indices`.
    """
    from .folders import image_folder

    size = V.check_int("face_folder", "size", size, minimum=4)
    if crop is not None:
        crop = V.check_number("face_folder", "crop", crop, 0.05, 1.0)
        load = max(size, int(round(size / crop)))
    else:
        load = size
    folder = image_folder(root, size=load, gray=gray, min_per_class=min_per_identity)
    images = folder.images
    if load != size:
        o = (load - size) // 2
        images = np.ascontiguousarray(images[:, :, o:o + size, o:o + size])
    numbers = np.zeros(len(folder.labels), np.int64)
    seen: dict = {}
    for k, (label, path) in enumerate(zip(folder.labels, folder.paths)):
        seen[label] = seen.get(label, 0) + 1
        numbers[k] = _image_number(path, folder.classes[label], seen[label])
    return FaceFolder(images, folder.labels, folder.classes, numbers, folder.paths)


class FacePair(NamedTuple):
    """One line of a pairs file: two images ``(name, number)``, whether they show the same
    person, the fold it belongs to and its line number in the file (1-based)."""

    name1: str
    number1: int
    name2: str
    number2: int
    same: bool
    fold: int
    line: int


def read_pairs(path) -> list:
    """Read a pair list in LFW's ``pairs.txt`` format: a list of :class:`FacePair`.

    The first line is a header, ``folds<TAB>n`` (``pairs.txt``: 10 folds of 300 same and 300
    different pairs) or just ``n`` (``pairsDevTrain.txt``: one fold). Then, fold by fold,
    ``n`` same-person lines ``name<TAB>i<TAB>j`` and ``n`` different-person lines
    ``name1<TAB>i<TAB>name2<TAB>j`` (image numbers from 1). A line with the wrong number of
    fields, a number that is not a positive integer, a line of the wrong kind for its place,
    or a count that does not match the header is an error naming the file and the line.
    Section 4.5.
    """
    if not isinstance(path, (str, Path)):
        raise TypeError(f"read_pairs: path must be a str or a pathlib.Path, got "
                        f"{type(path).__name__}")
    path = Path(path)
    lines = [(k, s.strip()) for k, s in enumerate(path.read_text().splitlines(), 1)]
    lines = [(k, s) for k, s in lines if s]
    if not lines:
        raise ValueError(f"read_pairs: {path} is empty")
    head_no, head = lines[0]
    fields = head.split()
    if not 1 <= len(fields) <= 2 or not all(f.isdigit() and int(f) > 0 for f in fields):
        raise ValueError(f"read_pairs: {path}, line {head_no}: the header must be 'folds n' or "
                         f"'n' (positive integers), got {head!r}")
    folds, n = (1, int(fields[0])) if len(fields) == 1 else (int(fields[0]), int(fields[1]))
    body = lines[1:]
    if len(body) != 2 * folds * n:
        raise ValueError(f"read_pairs: {path}: the header promises {folds} fold(s) of {n} same "
                         f"and {n} different pairs, {2 * folds * n} lines, but the file has "
                         f"{len(body)}")
    pairs = []
    for k, (line_no, text) in enumerate(body):
        f = text.split()
        fold, within = divmod(k, 2 * n)
        want_same = within < n

        def number(s):
            if not s.isdigit() or int(s) < 1:
                raise ValueError(f"read_pairs: {path}, line {line_no}: image numbers must be "
                                 f"positive integers, got {s!r} in {text!r}")
            return int(s)

        if len(f) == 3:
            pair = FacePair(f[0], number(f[1]), f[0], number(f[2]), True, fold, line_no)
        elif len(f) == 4:
            pair = FacePair(f[0], number(f[1]), f[2], number(f[3]), False, fold, line_no)
        else:
            raise ValueError(f"read_pairs: {path}, line {line_no}: expected 3 fields (name i j) "
                             f"or 4 (name1 i name2 j), got {len(f)}: {text!r}")
        if pair.same != want_same:
            kind = "same-person (3 fields)" if want_same else "different-person (4 fields)"
            raise ValueError(f"read_pairs: {path}, line {line_no}: fold {fold + 1} expects a "
                             f"{kind} line here, got {text!r}")
        if not pair.same and pair.name1 == pair.name2:
            raise ValueError(f"read_pairs: {path}, line {line_no}: a different-person line "
                             f"names {pair.name1!r} twice")
        pairs.append(pair)
    return pairs


def write_pairs(path, pairs, folds: int = 1) -> None:
    """Write pairs (:class:`FacePair`, or ``(name1, i, name2, j)`` tuples with
    ``name1 == name2`` for the same person) in LFW's ``pairs.txt`` format.

    The pairs are split into ``folds`` folds, each with the same number of same and
    different pairs, taken in order. Tests and section 4.5 use it to make a pairs file for a
    folder of faces.
    """
    folds = V.check_int("write_pairs", "folds", folds, minimum=1)
    items = [(p.name1, p.number1, p.name2, p.number2) for p in pairs]
    same = [p for p in items if p[0] == p[2]]
    diff = [p for p in items if p[0] != p[2]]
    if len(same) != len(diff) or len(same) % folds or not same:
        raise ValueError(f"write_pairs: need equally many same ({len(same)}) and different "
                         f"({len(diff)}) pairs, a positive multiple of folds={folds}")
    n = len(same) // folds
    out = [f"{folds}\t{n}" if folds > 1 else f"{n}"]
    for f in range(folds):
        out += [f"{a}\t{i}\t{j}" for a, i, _, j in same[f * n:(f + 1) * n]]
        out += [f"{a}\t{i}\t{b}\t{j}" for a, i, b, j in diff[f * n:(f + 1) * n]]
    Path(path).write_text("\n".join(out) + "\n")


def pair_indices(pairs, folder: FaceFolder):
    """The image indices of each pair in ``folder``: ``(i, j, same, fold)`` int64/bool arrays.

    Every ``(name, number)`` must exist in the folder; a pair naming a person without a
    folder, or an image number the person does not have, is an error that names the pairs
    file's line. Section 4.5.
    """
    if not isinstance(folder, FaceFolder):
        raise TypeError(f"pair_indices: folder must be a FaceFolder (from face_folder), got "
                        f"{type(folder).__name__}")
    where = {}
    for k, (ident, num) in enumerate(zip(folder.identities.tolist(), folder.numbers.tolist())):
        where[(folder.names[ident], num)] = k
    known = set(folder.names)
    i, j, same, fold = [], [], [], []
    for p in pairs:
        idx = []
        for name, num in ((p.name1, p.number1), (p.name2, p.number2)):
            if name not in known:
                raise ValueError(f"pair_indices: pairs line {p.line} names {name!r}, who has no "
                                 f"folder in the face folder ({len(known)} identities)")
            if (name, num) not in where:
                have = sorted(n for (m, n) in where if m == name)
                raise ValueError(f"pair_indices: pairs line {p.line} asks for image {num} of "
                                 f"{name!r}, who has images {have}")
            idx.append(where[(name, num)])
        i.append(idx[0])
        j.append(idx[1])
        same.append(p.same)
        fold.append(p.fold)
    return (np.asarray(i, np.int64), np.asarray(j, np.int64), np.asarray(same, bool),
            np.asarray(fold, np.int64))
