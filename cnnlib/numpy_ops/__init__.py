"""NumPy reference ops (forward and backward), mirroring ``torch.nn.functional``.

Readable, float32 and float64, NCHW (batch, channels, height, width), the
result in the input's dtype. Every public name here has a twin of the same name
and signature in :mod:`cnnlib.torch_ops`; ``<op>_backward(grad_output, ...)``
takes the forward's own arguments and returns the gradient of each array
argument in order.

The step-by-step versions that loop over output pixels, as the formulas read,
are in :mod:`cnnlib.part1.loops`.

The convolutions run on a fast, cache-blocked kernel by default. Inside
``with cnnlib.numpy_ops.conv.use_kernel("reference"):`` they run the readable core of
``cnnlib/numpy_ops/conv.py`` instead (a sliding-window view, one matrix product),
which computes the same numbers.
"""
from . import basic, conv, pool
from . import adaptive_pool, norm, regularisation  # Part 2
from .basic import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .adaptive_pool import *  # noqa: F401,F403
from .regularisation import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403

__all__ = [*basic.__all__, *conv.__all__, *pool.__all__]
__all__ += [*adaptive_pool.__all__, *norm.__all__, *regularisation.__all__]

from . import boxes, roi  # Part 3
from .boxes import *  # noqa: F401,F403
from .roi import *  # noqa: F401,F403

__all__ += [*boxes.__all__, *roi.__all__]

from . import embedding  # Part 4
from .embedding import *  # noqa: F401,F403

__all__ += embedding.__all__

from . import style  # Part 5
from .style import *  # noqa: F401,F403

__all__ += style.__all__
