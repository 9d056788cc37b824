"""cnnlib.part1.matrices: the convolution as a sparse matrix, and the patch matrix (im2col)."""

import numpy as np
import pytest

from cnnlib import numpy_ops as nops
from cnnlib.part1.matrices import conv_matrix, patch_matrix


@pytest.mark.parametrize("shape,n_c,f,s,p", [((1, 4, 4), 1, 3, 1, 0), ((2, 5, 6), 3, 3, 2, 1),
                                            ((3, 7, 5), 2, 2, 1, 2), ((1, 6, 6), 1, 3, 3, 0)])
def test_conv_matrix_is_the_convolution_and_its_transpose_the_adjoint(shape, n_c, f, s, p, rng):
    x = rng.standard_normal(shape)
    w = rng.standard_normal((n_c, shape[0], f, f))
    z = nops.conv2d(x[None], w, stride=s, padding=p)[0]
    M = conv_matrix(shape, w, stride=s, padding=p)
    assert M.shape == (z.size, x.size)
    np.testing.assert_allclose(M @ x.ravel(), z.ravel(), atol=1e-12)
    y = rng.standard_normal(z.shape)
    extra = tuple((n + 2 * p - f) % s for n in shape[1:])     # rows no window reads
    back = nops.conv_transpose2d(y[None], w, stride=s, padding=p, output_padding=extra)[0]
    assert back.shape == x.shape
    np.testing.assert_allclose(M.T @ y.ravel(), back.ravel(), atol=1e-12)
    # sparse: each row holds at most n_C_prev f f weights
    assert (np.count_nonzero(M, axis=1) <= shape[0] * f * f).all()


@pytest.mark.parametrize("shape,f,s,p", [((1, 4, 4), 3, 1, 0), ((3, 6, 5), 3, 2, 1),
                                         ((2, 5, 5), 1, 1, 0)])
def test_patch_matrix_times_the_filters_is_the_convolution(shape, f, s, p, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((4, shape[0], f, f)).astype(np.float32)
    cols = patch_matrix(x, f, s, p)
    z = nops.conv2d(x[None], w, stride=s, padding=p)[0]
    assert cols.dtype == np.float32 and cols.shape == (shape[0] * f * f, z.shape[1] * z.shape[2])
    np.testing.assert_allclose((w.reshape(4, -1) @ cols).reshape(z.shape), z, rtol=1e-5,
                               atol=1e-5)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="in_shape"):
        conv_matrix((4, 4), np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="input channels"):
        conv_matrix((2, 4, 4), np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="does not fit"):
        patch_matrix(np.ones((1, 2, 2)), 3)
    with pytest.raises(ValueError, match="n_C_prev"):
        patch_matrix(np.ones((4, 4)), 3)
