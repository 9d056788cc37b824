"""cnnlib: the library behind the CNN course companion.

Every computation exists twice: :mod:`cnnlib.numpy_ops` is a readable NumPy
reference, :mod:`cnnlib.torch_ops` the same functions written with torch tensor
ops so they run on a GPU and under autograd. :mod:`cnnlib.shapes` holds the
course's arithmetic.
"""
__version__ = "0.1.0"
