"""Data augmentation for :func:`cnnlib.train.fit`: functions ``augment(x_batch, generator)``.

Each returns a new batch of the same shape, drawn with the seeded ``torch.Generator`` that
:func:`~cnnlib.train.fit` passes, so a run is repeatable.
"""

from __future__ import annotations

__all__ = ["random_shift"]


def random_shift(max_shift: int):
    """An ``augment`` for :func:`fit`: move each image by up to ``max_shift`` pixels.

    Returns ``shift(x, generator)`` that takes a batch (N, C, H, W) and moves every
    image by its own random whole-pixel offset ``(dy, dx)``, each in
    ``[-max_shift, max_shift]``, filling the uncovered border with zeros. A
    convolutional network is nearly equivariant to such shifts (section 1.9), so
    shifted copies teach it that position does not change the class.
    """
    if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"random_shift: max_shift must be a non-negative int, got {max_shift!r}")

    def shift(x, generator=None):
        import torch
        import torch.nn.functional as F

        if x.ndim != 4:
            raise ValueError(f"random_shift: expected a batch (N, C, H, W), got shape "
                             f"{tuple(x.shape)}")
        if max_shift == 0:
            return x
        n, _, h, w = x.shape
        k = max_shift
        padded = F.pad(x, (k, k, k, k))
        offsets = torch.randint(0, 2 * k + 1, (2, n), generator=generator,
                                device=generator.device if generator is not None else x.device)
        offsets = offsets.to(x.device)
        rows = offsets[0][:, None] + torch.arange(h, device=x.device)      # (N, H)
        cols = offsets[1][:, None] + torch.arange(w, device=x.device)      # (N, W)
        batch = torch.arange(n, device=x.device)[:, None, None]
        out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
        return out.permute(0, 3, 1, 2).contiguous()

    return shift
