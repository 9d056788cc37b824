"""A toy identity data set shared by the tests of the embedding tasks."""

import numpy as np


def identities(n_ids=6, per_id=24, seed=0):
    """Each identity: a faint fixed 4x4 pattern; each image adds a strong random lighting
    gradient, so raw pixel distance mostly measures the lighting, not the identity."""
    rng = np.random.default_rng(seed)
    patterns = rng.normal(0, 0.5, (n_ids, 1, 4, 4))
    ids = np.repeat(np.arange(n_ids), per_id)
    ramp_y, ramp_x = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 4), indexing="ij")
    light = rng.normal(0, 2, (len(ids), 3, 1, 1))
    x = (patterns[ids] + light[:, :1] * ramp_y + light[:, 1:2] * ramp_x + light[:, 2:]
         + rng.normal(0, 0.1, (len(ids), 1, 4, 4)))
    return x.astype(np.float32), ids.astype(np.int64)
