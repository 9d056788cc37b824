"""cnnlib.numpy_cnn: the NumPy-only CNN of section 1.8, checked against torch autograd."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from cnnlib.part1 import numpy_cnn as N
from cnnlib.data import digits


def _torch_loss(params, x, y):
    """The same network written with torch.nn.functional, on the same numbers."""
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = TF.max_pool2d(TF.relu(TF.conv2d(torch.tensor(x), t["conv1.weight"], t["conv1.bias"])), 2)
    h = TF.max_pool2d(TF.relu(TF.conv2d(h, t["conv2.weight"], t["conv2.bias"])), 2)
    logits = TF.linear(h.flatten(1), t["fc.weight"], t["fc.bias"])
    loss = TF.cross_entropy(logits, torch.tensor(y))
    loss.backward()
    return logits, loss, {k: v.grad.numpy() for k, v in t.items()}


def _batch(n=4, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1, 32, 32)).astype(dtype)
    y = rng.integers(0, 10, n).astype(np.int64)
    return x, y


def test_init_params_shapes_dtype_and_he_scale():
    p = N.init_params(0)
    assert {k: v.shape for k, v in p.items()} == N.PARAM_SHAPES
    assert all(v.dtype == np.float32 for v in p.values())
    assert np.all(p["conv1.bias"] == 0) and np.all(p["fc.bias"] == 0)
    # He: std sqrt(2 / fan_in); conv2 has 3,200 weights, enough for a 10% check.
    assert abs(p["conv2.weight"].std() - np.sqrt(2 / 200)) < 0.1 * np.sqrt(2 / 200)
    assert all(np.array_equal(p[k], N.init_params(0)[k]) for k in p)
    assert not np.array_equal(p["fc.weight"], N.init_params(1)["fc.weight"])
    assert N.init_params(0, np.float64)["fc.weight"].dtype == np.float64
    with pytest.raises(TypeError, match="dtype"):
        N.init_params(0, np.int32)


def test_forward_matches_torch_and_keeps_dtype():
    params = N.init_params(3, np.float64)
    x, y = _batch()
    logits, cache = N.forward(params, x)
    t_logits, _, _ = _torch_loss(params, x, y)
    assert logits.shape == (4, 10) and logits.dtype == np.float64
    np.testing.assert_allclose(logits, t_logits.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert cache["p2"].shape == (4, 16, 5, 5) and cache["flat"].shape == (4, 400)
    p32 = N.init_params(3)
    assert N.forward(p32, x.astype(np.float32))[0].dtype == np.float32


def test_gradients_match_torch_autograd_in_float64():
    params = N.init_params(1, np.float64)
    # Non-zero biases so every bias gradient path is exercised.
    rng = np.random.default_rng(5)
    for k in ("conv1.bias", "conv2.bias", "fc.bias"):
        params[k] = rng.normal(0, 0.1, params[k].shape)
    x, y = _batch(n=3, seed=2)
    loss, grads, _ = N.loss_and_grads(params, x, y)
    _, t_loss, t_grads = _torch_loss(params, x, y)
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    assert grads.keys() == t_grads.keys()
    for k in grads:
        assert grads[k].shape == params[k].shape and grads[k].dtype == np.float64
        np.testing.assert_allclose(grads[k], t_grads[k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_gradient_matches_finite_differences_on_a_few_weights():
    params = N.init_params(2, np.float64)
    x, y = _batch(n=2, seed=4)
    _, grads, _ = N.loss_and_grads(params, x, y)
    eps = 1e-6
    for k, idx in (("conv1.weight", (3, 0, 2, 1)), ("conv2.weight", (5, 7, 0, 4)),
                   ("fc.bias", (2,))):
        plus, minus = {n: v.copy() for n, v in params.items()}, {n: v.copy() for n, v in params.items()}
        plus[k][idx] += eps
        minus[k][idx] -= eps
        numeric = (N.loss_and_grads(plus, x, y)[0] - N.loss_and_grads(minus, x, y)[0]) / (2 * eps)
        assert grads[k][idx] == pytest.approx(numeric, rel=1e-5, abs=1e-9), k


def test_adam_step_matches_torch_adam():
    params = N.init_params(0, np.float64)
    x, y = _batch(n=2)
    t_params = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    opt = torch.optim.Adam(t_params.values(), lr=1e-2)
    state = N.adam_init(params)
    for _ in range(3):
        _, grads, _ = N.loss_and_grads(params, x, y)
        N.adam_step(params, grads, state, lr=1e-2)
        for k, v in t_params.items():
            v.grad = torch.tensor(grads[k])
        opt.step()
    for k in params:
        np.testing.assert_allclose(params[k], t_params[k].detach().numpy(), rtol=1e-9, atol=1e-12)


def test_sgd_step_matches_torch_sgd_with_momentum():
    params = N.init_params(0, np.float64)
    t_params = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    opt = torch.optim.SGD(t_params.values(), lr=0.1, momentum=0.9)
    state = N.sgd_init(params)
    rng = np.random.default_rng(0)
    for _ in range(3):
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        N.sgd_step(params, grads, state, lr=0.1, momentum=0.9)
        for k, v in t_params.items():
            v.grad = torch.tensor(grads[k])
        opt.step()
    for k in params:
        np.testing.assert_allclose(params[k], t_params[k].detach().numpy(), rtol=1e-12)


def test_training_lowers_the_loss_and_is_deterministic():
    (x_tr, y_tr), _, (x_te, y_te) = digits(val_fraction=0)
    x, y = x_tr[:128], y_tr[:128]
    p1, h1 = N.train(x, y, x_te[:64], y_te[:64], epochs=2, batch_size=32, progress=False)
    p2, h2 = N.train(x, y, x_te[:64], y_te[:64], epochs=2, batch_size=32, progress=False)
    assert h1.epochs == 2 and len(h1.val_acc) == 2
    assert h1.train_loss[1] < h1.train_loss[0]
    assert h1.train_loss == h2.train_loss
    assert all(np.array_equal(p1[k], p2[k]) for k in p1)
    labels = N.predict(p1, x_te[:64])
    assert labels.shape == (64,) and labels.dtype == np.int64
    assert N.evaluate(p1, x_te[:64], y_te[:64])[1] == pytest.approx(np.mean(labels == y_te[:64]))


def test_training_prints_one_line_per_epoch(capsys):
    (x_tr, y_tr), _, _ = digits(val_fraction=0)
    N.train(x_tr[:32], y_tr[:32], epochs=2, batch_size=16, optimizer="sgd", lr=0.01)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2 [##########..........]  loss ")


def test_validation_messages():
    params = N.init_params(0)
    x, y = _batch(n=2, dtype=np.float32)
    with pytest.raises(ValueError, match=r"\(N, 1, 32, 32\)"):
        N.forward(params, x[:, :, :28, :28])
    with pytest.raises(TypeError, match="float64"):
        N.forward(params, x.astype(np.float64))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        N.forward(params, x.tolist())
    bad = dict(params)
    del bad["fc.bias"]
    with pytest.raises(ValueError, match="fc.bias"):
        N.forward(bad, x)
    with pytest.raises(ValueError, match="optimizer"):
        N.train(x, y, optimizer="rmsprop")
    with pytest.raises(ValueError, match="epochs"):
        N.train(x, y, epochs=0)
    with pytest.raises(TypeError, match="train: epochs must be an int"):
        N.train(x, y, epochs=1.0)
    with pytest.raises(TypeError, match="train: batch_size must be an int"):
        N.train(x, y, batch_size=True)
    with pytest.raises(ValueError, match="train: lr must lie in"):
        N.train(x, y, lr=0.0)
    with pytest.raises(ValueError, match="predict: batch_size must be positive"):
        N.predict(params, x, batch_size=0)
    with pytest.raises(TypeError, match="init_params: dtype must be float32 or float64"):
        N.init_params(0, dtype=np.int32)
    with pytest.raises(ValueError, match="y_train"):
        N.train(x, y[:1])
    with pytest.raises(ValueError, match="x_val"):
        N.train(x, y, x_val=x)
