"""What the sections of Part 4 share: the face splits and the one trained embedding.

Every section of Part 4 runs on its own in a fresh kernel, and most need the same trained face
embedding. :func:`train_face_embedding` trains it from a fixed seed with the recipe of section
4.4 (FaceNet, the triplet loss with semi-hard mining, P x K batches), so every section gets the
same network. The first call in a process trains it, on one thread whatever the machine, so that
every machine computes the same network (about a minute and a half on one CPU core); the
result is also kept on disk, under ``$CNNLIB_CACHE`` (default ``~/.cache/cnnlib``), keyed by a
hash of the recipe and of the source files that shape it, so another section (or a second run)
loads it instead. Pass ``cache=False`` to always train.

The identities are split once: the network trains on :data:`TRAIN_IDS`, choices (a threshold)
are made on :data:`VAL_IDS`, and every reported number is measured on :data:`TEST_IDS` and
:data:`GALLERY_IDS`, people the network never saw.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

__all__ = ["SIZE", "ZOOM", "TRAIN_IDS", "VAL_IDS", "TEST_IDS", "GALLERY_IDS", "RECIPE",
           "face_split", "train_face_embedding", "cache_dir", "nonface_patches"]

#: Height and width of the faces the networks see, and their framing (a tight crop).
SIZE, ZOOM = 32, 1.5
#: Identities the embedding trains on (4 images each).
TRAIN_IDS = range(0, 600)
#: Identities for choices: a threshold, a margin (5 images each).
VAL_IDS = range(5000, 5100)
#: Unseen identities for the reported numbers (5 images each).
TEST_IDS = range(1000, 1100)
#: A thousand unseen identities (2 images each) for galleries of up to 999 people.
GALLERY_IDS = range(1000, 2000)
_PER = {"train": (TRAIN_IDS, 4), "val": (VAL_IDS, 5), "test": (TEST_IDS, 5),
        "gallery": (GALLERY_IDS, 2)}

#: The training recipe of section 4.4.
RECIPE = dict(embedding_dim=64, width=16, margin=0.2, mining="semi_hard", p=16, k=4, epochs=6,
              lr=3e-3, schedule="cosine", seed=0)


@lru_cache(maxsize=8)
def face_split(name: str, size: int = SIZE, zoom: float = ZOOM):
    """The faces of one split, ``'train'``, ``'val'``, ``'test'`` or ``'gallery'``, as
    :class:`cnnlib.data.FaceImages` (colour, ``size`` x ``size``, drawn once per process)."""
    from ..data.faces import faces

    if name not in _PER:
        raise ValueError(f"face_split: name must be one of {', '.join(map(repr, _PER))}; "
                         f"got {name!r}")
    ids, per = _PER[name]
    return faces(ids, per, size=size, zoom=zoom)


def cache_dir() -> Path:
    """Where trained networks are kept: ``$CNNLIB_CACHE`` or ``~/.cache/cnnlib``."""
    return Path(os.environ.get("CNNLIB_CACHE", Path.home() / ".cache" / "cnnlib"))


def _fingerprint(recipe: dict) -> str:
    """A hash of the recipe, the library versions and the source that decides the result."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode())
    h.update(torch.__version__.encode() + np.__version__.encode())
    for rel in ("data/faces.py", "models/facenet.py", "train/tasks.py", "train/loop.py",
                "vision/embeddings.py", "part4/__init__.py"):
        h.update((root / rel).read_bytes())
    return h.hexdigest()[:16]


_trained: dict = {}


def train_face_embedding(cache: bool = True, progress: bool = True, **changes):
    """The face embedding of Part 4, trained on :data:`TRAIN_IDS`: ``(model, history)``.

    ``model`` is a :class:`cnnlib.models.FaceNet` in ``eval`` mode; ``history`` a dict of the
    training loss and the fraction of active triplets per epoch. ``changes`` override entries
    of :data:`RECIPE` (another margin, mining or number of epochs). Trained once per process
    and, with ``cache``, kept on disk (see the module docstring). Sections 4.1 to 4.5.
    """
    from ..models.facenet import FaceNet
    from ..train import TripletEmbedding, fit
    from ..vision.embeddings import pk_sampler

    unknown = set(changes) - set(RECIPE)
    if unknown:
        raise TypeError(f"train_face_embedding: unknown recipe entries {sorted(unknown)}; the "
                        f"recipe has {sorted(RECIPE)}")
    recipe = {**RECIPE, **changes}
    key = _fingerprint(recipe)
    if key in _trained:
        return _trained[key]
    torch.manual_seed(recipe["seed"])
    model = FaceNet(3, recipe["embedding_dim"], recipe["width"], SIZE)
    path = cache_dir() / f"face_embedding_{key}.pt"
    if cache and path.exists():
        saved = torch.load(path, weights_only=True)
        model.load_state_dict(saved["state"])
        history = json.loads(saved["history"])
    else:
        train = face_split("train")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)               # the same arithmetic on every machine
        try:
            h = fit(model, (train.images, train.identities), None,
                    task=TripletEmbedding(recipe["margin"], recipe["mining"], seed=recipe["seed"]),
                    epochs=recipe["epochs"], lr=recipe["lr"], schedule=recipe["schedule"],
                    batch_sampler=pk_sampler(recipe["p"], recipe["k"]), seed=recipe["seed"],
                    progress=progress, device="cpu")
        finally:
            torch.set_num_threads(threads)
        history = h.as_dict()
        if cache:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as f:
                torch.save({"state": model.state_dict(), "history": json.dumps(history)}, f)
            os.replace(f.name, path)
    model.eval()
    _trained[key] = (model, history)
    return model, history


_PATCH_PHOTOS = ("astronaut", "camera", "coffee", "chelsea", "rocket", "coins", "brick", "grass",
                 "gravel", "moon", "page", "text", "horse")


@lru_cache(maxsize=1)
def _photo_bank():
    from ..data import photo

    return tuple(photo(name, size=256, gray=True) for name in _PATCH_PHOTOS)


def nonface_patches(n: int, size: int = 32, seed: int = 0) -> np.ndarray:
    """``n`` grey patches of scikit-image's photos that are not faces, float32 (n, 1, size,
    size): random squares of 16 to 96 pixels of a 256-pixel version of each photo, averaged
    down to ``size``. The negatives of section 4.1's face detector."""
    from scipy.ndimage import zoom

    rng = np.random.default_rng(seed)
    bank = _photo_bank()
    out = np.zeros((n, 1, size, size), np.float32)
    for i in range(n):
        img = bank[rng.integers(len(bank))]
        s = int(rng.integers(16, 97))
        y, x = rng.integers(0, img.shape[0] - s + 1), rng.integers(0, img.shape[1] - s + 1)
        out[i, 0] = np.clip(zoom(img[y:y + s, x:x + s], size / s, order=1)[:size, :size], 0, 1)
    return out
