"""The networks the book builds, as ordinary ``torch.nn.Module`` s taking NCHW input.

One module per family (``lenet`` so far) and ``tables``,
which tabulates any model's layers, so every model here can be summarised by
:func:`summary` and trained by :func:`cnnlib.train.fit`.
"""
from .lenet import ACTIVATIONS, LeNet5
from .tables import Summary, SummaryRow, course_table, layers_of, summary

__all__ = ["LeNet5", "ACTIVATIONS", "summary", "Summary", "SummaryRow", "course_table",
           "layers_of"]
