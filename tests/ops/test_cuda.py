"""torch_ops on a CUDA GPU agree with torch.nn.functional (cuDNN) there. Skipped without CUDA."""

import pytest
import torch
import torch.nn.functional as F

from cnnlib import torch_ops as T

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]

DEV = "cuda"


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-3), (torch.float64, 1e-9)])
@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=2),
                                    dict(groups=4, padding=1)])
def test_conv2d_forward_backward_on_gpu(dtype, tol, kwargs):
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    g = torch.Generator(device="cpu").manual_seed(0)
    x = torch.randn(4, 8, 17, 15, generator=g, dtype=dtype).to(DEV).requires_grad_()
    w = torch.randn(12, 8 // kwargs.get("groups", 1), 3, 3, generator=g, dtype=dtype).to(DEV)
    w.requires_grad_()
    b = torch.randn(12, generator=g, dtype=dtype).to(DEV).requires_grad_()
    want = F.conv2d(x, w, b, **kwargs)
    got = T.conv2d(x, w, b, **kwargs)
    assert got.device.type == "cuda" and got.dtype == dtype
    torch.testing.assert_close(got, want, rtol=tol, atol=tol)
    grad = torch.randn_like(want)
    for a, r in zip(T.conv2d_backward(grad, x, w, b, **kwargs),
                    torch.autograd.grad(want, (x, w, b), grad)):
        torch.testing.assert_close(a, r, rtol=tol * 10, atol=tol * 10)


def test_transpose_and_pools_on_gpu():
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    x = torch.randn(2, 4, 9, 9, device=DEV, dtype=torch.float64)
    w = torch.randn(4, 3, 3, 3, device=DEV, dtype=torch.float64)
    torch.testing.assert_close(T.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
                               F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1))
    torch.testing.assert_close(T.max_pool2d(x, 3, 2, 1, ceil_mode=True),
                               F.max_pool2d(x, 3, 2, 1, ceil_mode=True))
    torch.testing.assert_close(T.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
                               F.avg_pool2d(x, 3, 2, 1, count_include_pad=False))
    v, i = T.max_pool2d(x, 2, return_indices=True)
    torch.testing.assert_close(i, F.max_pool2d(x, 2, return_indices=True)[1])
    x3 = torch.randn(1, 2, 5, 6, 7, device=DEV, dtype=torch.float64)
    w3 = torch.randn(3, 2, 2, 3, 2, device=DEV, dtype=torch.float64)
    torch.testing.assert_close(T.conv3d(x3, w3, padding=1), F.conv3d(x3, w3, padding=1))
