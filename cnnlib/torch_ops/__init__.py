"""PyTorch twins of :mod:`cnnlib.numpy_ops`.

Same names, same signatures, same results, written with torch tensor ops
(``Tensor.unfold``, ``einsum``, indexing), so they run on CPU or CUDA tensors
and autograd differentiates them. ``torch.nn.functional`` is the oracle the tests
compare against, never the implementation.
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
