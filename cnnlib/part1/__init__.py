"""Helpers that serve one section of Part 1 each.

- :mod:`~cnnlib.part1.loops`: convolution and pooling as loops over output pixels (1.2-1.7);
- :mod:`~cnnlib.part1.edges`: edge filters and a filter learned by gradient descent (1.2);
- :mod:`~cnnlib.part1.numpy_cnn`: LeNet-5 trained with NumPy alone (1.8);
- :mod:`~cnnlib.part1.equivariance`: equivariance and invariance, measured (1.9).
"""
