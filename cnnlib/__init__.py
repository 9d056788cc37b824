"""cnnlib: the library behind the CNN course companion.

Every computation exists twice: :mod:`cnnlib.numpy_ops` is a readable NumPy
reference, :mod:`cnnlib.torch_ops` the same functions written with torch tensor
ops so they run on a GPU and under autograd. Around them, one package per concept:

- :mod:`cnnlib.shapes`: the course's integer arithmetic (output sizes, receptive
  fields, parameter and multiplication counts);
- :mod:`cnnlib.models`: the networks the book builds, and tables of their layers;
- :mod:`cnnlib.train`: the one training loop, :func:`cnnlib.train.fit`, whose
  task owns the loss and the metrics;
- :mod:`cnnlib.data`: offline data (bundled photos and digits) and seeded generators;
- :mod:`cnnlib.viz`: figures and the slider explorers;
- :mod:`cnnlib.part1`: helpers that serve one section of Part 1 only.

The book imports the twins as ``from cnnlib import numpy_ops as nops, torch_ops as tops``.
"""
__version__ = "0.2.0"
