"""A small face embedding network and the siamese verifier built on it (Part 4).

:class:`FaceNet` maps a face image to a point on the unit sphere, :math:`f(x) \\in
\\mathbb{R}^D` with :math:`\\lVert f(x) \\rVert = 1`, so that the squared distance
:math:`\\lVert f(x_1) - f(x_2) \\rVert^2` (between 0 and 4) says how likely two images show the
same person. It follows the FaceNet recipe (Schroff et al., 2015: a CNN, an L2-normalised
embedding, the triplet loss), not its Inception architecture: three stages of two 3x3
convolutions with batch normalisation and ReLU, each followed by a 2x2 max pool, then one
fully connected layer to the embedding. :class:`SiameseVerifier` puts the course's logistic
unit on top of two embeddings (section 4.5).
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _checks as V

__all__ = ["FaceNet", "SiameseVerifier", "PAIR_FEATURES", "pair_features"]

#: The forms of :func:`pair_features`.
PAIR_FEATURES = ("abs", "chi2")


class FaceNet(nn.Module):
    """Image (N, C, S, S) -> L2-normalised embedding (N, ``embedding_dim``).

    :meth:`forward` returns the embedding; taught in section 4.3 and trained with the
    triplet loss in section 4.4.

    Parameters
    ----------
    in_channels : int
        1 for grey images, 3 for colour.
    embedding_dim : int
        D, the length of the embedding (FaceNet used 128; 64 is plenty here).
    width : int
        Channels of the first stage; the second and third have ``2 * width`` and
        ``4 * width``.
    input_size : int
        S, the height and width of the input (divisible by 8); the fully connected layer
        reads ``4 * width * (S / 8)**2`` values.
    normalize : bool
        Divide the output by its length (the default, as FaceNet). ``False`` returns the raw
        features, e.g. to study what the normalisation does.
    """

    def __init__(self, in_channels: int = 1, embedding_dim: int = 64, width: int = 16,
                 input_size: int = 32, normalize: bool = True):
        super().__init__()
        V.check_int("FaceNet", "in_channels", in_channels, minimum=1)
        V.check_int("FaceNet", "embedding_dim", embedding_dim, minimum=1)
        V.check_int("FaceNet", "width", width, minimum=1)
        V.check_int("FaceNet", "input_size", input_size, minimum=8)
        if input_size % 8:
            raise ValueError(f"FaceNet: input_size must be divisible by 8 (three 2x2 pools), "
                             f"got {input_size}")
        self.normalize = V.check_bool("FaceNet", "normalize", normalize)
        self.in_channels, self.input_size = in_channels, input_size
        layers, c = [], in_channels
        for stage, out in enumerate((width, 2 * width, 4 * width), 1):
            for k in (1, 2):
                layers += [nn.Conv2d(c, out, 3, padding=1, bias=False), nn.BatchNorm2d(out),
                           nn.ReLU(inplace=True)]
                c = out
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.embedding = nn.Linear(c * (input_size // 8) ** 2, embedding_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels or \
                tuple(x.shape[2:]) != (self.input_size, self.input_size):
            raise ValueError(f"FaceNet: expects images (N, {self.in_channels}, "
                             f"{self.input_size}, {self.input_size}), got {tuple(x.shape)}")
        e = self.embedding(self.features(x).flatten(1))
        return nn.functional.normalize(e, dim=1) if self.normalize else e


def pair_features(e1: torch.Tensor, e2: torch.Tensor, form: str = "abs",
                  eps: float = 1e-6) -> torch.Tensor:
    """What the course's verification head reads from two embeddings (N, D) -> (N, D).

    ``'abs'``: :math:`|f(x_i)_k - f(x_j)_k|`. ``'chi2'``: the chi-square form
    :math:`(f(x_i)_k - f(x_j)_k)^2 / (|f(x_i)_k| + |f(x_j)_k| + \\epsilon)` (DeepFace's features
    were non-negative, so it wrote :math:`f_i + f_j` below the line; with signed embeddings
    the absolute values keep the denominator positive). Section 4.5.
    """
    V.check_choice("pair_features", "form", form, PAIR_FEATURES)
    if e1.shape != e2.shape or e1.ndim != 2:
        raise ValueError(f"pair_features: e1 and e2 must both be (N, D), got "
                         f"{tuple(e1.shape)} and {tuple(e2.shape)}")
    diff = e1 - e2
    if form == "abs":
        return diff.abs()
    return diff * diff / (e1.abs() + e2.abs() + eps)


class SiameseVerifier(nn.Module):
    """The course's face verifier: one encoder for both images, a logistic unit on top.

    :math:`\\hat y = \\sigma\\big(\\sum_k w_k\\, \\phi_k(f(x_i), f(x_j)) + b\\big)` with
    :math:`\\phi` from :func:`pair_features` (``form``). :meth:`forward` takes two image
    batches and returns the logits (N,) (apply ``torch.sigmoid`` for probabilities);
    :meth:`compare` does the same from embeddings computed beforehand, which is how a
    deployed system uses it: the gallery's embeddings are stored, only the new face goes
    through the encoder. ``encoder`` may be ``torch.nn.Identity()`` to train the head alone
    on precomputed embeddings. Section 4.5.
    """

    def __init__(self, encoder: nn.Module, embedding_dim: int, form: str = "abs"):
        super().__init__()
        if not isinstance(encoder, nn.Module):
            raise TypeError(f"SiameseVerifier: encoder must be a torch.nn.Module, got "
                            f"{type(encoder).__name__}")
        V.check_int("SiameseVerifier", "embedding_dim", embedding_dim, minimum=1)
        self.form = V.check_choice("SiameseVerifier", "form", form, PAIR_FEATURES)
        self.encoder = encoder
        self.head = nn.Linear(embedding_dim, 1)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The shared encoder's embeddings of one batch."""
        return self.encoder(x)

    def compare(self, e1: torch.Tensor, e2: torch.Tensor) -> torch.Tensor:
        """Logits (N,) that embeddings ``e1[k]`` and ``e2[k]`` show the same person."""
        return self.head(pair_features(e1, e2, self.form))[:, 0]

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        return self.compare(self.embed(x1), self.embed(x2))
