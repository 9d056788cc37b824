"""The networks the book builds, as ordinary ``torch.nn.Module`` s taking NCHW input.

One module per family (``lenet``, ``vgg``, ...), ``weights`` to load a local state dict
(:func:`load_weights`), and ``tables``, which tabulates any model's layers, so every model here
can be summarised by :func:`summary` and trained by :func:`cnnlib.train.fit`.
"""
from .lenet import ACTIVATIONS, LeNet5
from .random_filters import RandomMultiScale
from .tables import Summary, SummaryRow, course_table, layers_of, summary
from .vgg import VGG, VGG_CONFIGS, vgg11, vgg13, vgg16, vgg19
from .weights import load_weights

__all__ = ["LeNet5", "ACTIVATIONS", "VGG", "VGG_CONFIGS", "vgg11", "vgg13", "vgg16", "vgg19",
           "load_weights", "summary", "Summary", "SummaryRow", "course_table", "layers_of"]
__all__ += ["RandomMultiScale"]
