"""PyTorch twins of :mod:`cnnlib.numpy_ops`.

Same names, same signatures, same results, written with torch tensor ops
(``Tensor.unfold``, ``einsum``, indexing), so they run on CPU or CUDA tensors
and autograd differentiates them. ``torch.nn.functional`` is the oracle the tests
compare against, never the implementation.
"""
from . import basic, conv, pool
from . import style
from .basic import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .style import *  # noqa: F401,F403

__all__ = [*basic.__all__, *conv.__all__, *pool.__all__]
__all__ += style.__all__
