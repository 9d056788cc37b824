"""Helpers that serve one section of Part 1 each.

- :mod:`~cnnlib.part1.loops`: convolution and pooling as loops over output pixels (1.2-1.7);
- :mod:`~cnnlib.part1.edges`: edge filters and a filter learned by gradient descent (1.2);
- :mod:`~cnnlib.part1.sliding`: a filter sliding over its input, with no, half and full
  padding (1.3);
- :mod:`~cnnlib.part1.volumes`: a filter volume sliding through a colour image (1.5);
- :mod:`~cnnlib.part1.matrices`: the convolution as a sparse matrix and as a patch matrix (1.6);
- :mod:`~cnnlib.part1.transposed`: the stamps of a transposed convolution, the checkerboard
  (1.6.2);
- :mod:`~cnnlib.part1.numpy_cnn`: LeNet-5 trained with NumPy alone (1.8);
- :mod:`~cnnlib.part1.equivariance`: equivariance and invariance, measured (1.9).
"""
