"""Chapter explorers, one module each, built on :func:`cnnlib.viz.widgets.explorer`.

Each comes in three layers, so that the numbers can be tested apart from the pictures: a
*compute* function returning a small frozen dataclass of numbers, a *draw* function returning a
Matplotlib Figure for one slider setting, and the explorer itself.

- :mod:`~cnnlib.viz.explorers.conv_arithmetic`: sections 1.3 and 1.4;
- :mod:`~cnnlib.viz.explorers.pooling`: section 1.7;
- :mod:`~cnnlib.viz.explorers.receptive_field`: section 1.9.
"""
