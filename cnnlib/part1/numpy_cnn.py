"""A small CNN trained with NumPy alone: the forward and backward passes of :mod:`cnnlib.numpy_ops`.

Section 1.8 ("step by step") trains it on the same digits as LeNet-5, with no
autograd and no torch: every gradient comes from an ``<op>_backward`` of
:mod:`cnnlib.numpy_ops`, chained by hand in :func:`backward`. The network is a
LeNet-5 without its two hidden fully connected layers::

    x       (N, 1, 32, 32)
    conv1   5x5, 1 -> 8 filters, stride 1   (N, 8, 28, 28)    208 parameters
    relu
    pool1   max 2x2, stride 2               (N, 8, 14, 14)
    conv2   5x5, 8 -> 16 filters            (N, 16, 10, 10)   3,216 parameters
    relu
    pool2   max 2x2, stride 2               (N, 16, 5, 5)
    flatten                                 (N, 400)
    fc      400 -> 10 logits                (N, 10)           4,010 parameters

trained on softmax cross-entropy with Adam (or SGD with momentum), both
written here in a few lines of NumPy. Parameters live in a plain dict whose
keys follow torch's ``state_dict`` names (``'conv1.weight'``, ...), so the
same numbers can be loaded into a torch model to check the gradients
(``tests/test_numpy_cnn.py`` does that against autograd in float64).
"""

from __future__ import annotations

import time

import numpy as np

from .. import _checks as V
from .. import numpy_ops as F
from ..train.loop import History
from ..train.metrics import accuracy

__all__ = ["init_params", "forward", "backward", "loss_and_grads", "adam_init", "adam_step",
           "sgd_init", "sgd_step", "train", "predict", "evaluate", "PARAM_SHAPES"]

#: Shape of every parameter, for one input channel and ten classes.
PARAM_SHAPES = {
    "conv1.weight": (8, 1, 5, 5), "conv1.bias": (8,),
    "conv2.weight": (16, 8, 5, 5), "conv2.bias": (16,),
    "fc.weight": (10, 400), "fc.bias": (10,),
}

_FAN_IN = {"conv1.weight": 1 * 5 * 5, "conv2.weight": 8 * 5 * 5, "fc.weight": 400}


def init_params(seed: int = 0, dtype=np.float32) -> dict[str, np.ndarray]:
    """He-initialised parameters: weights ~ N(0, 2 / fan_in), biases 0.

    ``fan_in`` is the number of inputs one output sums over (``C_in * f * f`` for a
    convolution, 400 for the fully connected layer), so the ReLU activations keep
    roughly the same scale from layer to layer (He et al., 2015). Returns a dict
    of arrays of ``dtype`` with the shapes of :data:`PARAM_SHAPES`. Seeded by
    ``np.random.default_rng(seed)``.
    """
    dtype = V.check_float_dtype("init_params", "dtype", dtype, "numpy")
    V.check_int("init_params", "seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    params = {}
    for name, shape in PARAM_SHAPES.items():
        if name.endswith("weight"):
            params[name] = (rng.standard_normal(shape) * np.sqrt(2.0 / _FAN_IN[name])).astype(dtype)
        else:
            params[name] = np.zeros(shape, dtype=dtype)
    return params


def _check_params(op: str, params):
    if not isinstance(params, dict):
        raise TypeError(f"{op}: params must be the dict from init_params, got "
                        f"{type(params).__name__}")
    for name, shape in PARAM_SHAPES.items():
        if name not in params:
            raise ValueError(f"{op}: params lacks {name!r}")
        if tuple(params[name].shape) != shape:
            raise ValueError(f"{op}: params[{name!r}] has shape {tuple(params[name].shape)}, "
                             f"expected {shape}")


def _check_images(op: str, x, dtype):
    V.check_array(op, "x", x, "numpy", floating=False)
    if x.ndim != 4 or x.shape[1:] != (1, 32, 32):
        raise ValueError(f"{op}: x must have shape (N, 1, 32, 32), got {x.shape}")
    if x.dtype != dtype:
        raise TypeError(f"{op}: x is {x.dtype} but the parameters are {dtype}; convert one")


def forward(params: dict, x: np.ndarray):
    """Logits (N, 10) of images ``x`` (N, 1, 32, 32), and the cache :func:`backward` needs.

    ``x`` must have the parameters' dtype. The cache holds the input and every
    intermediate activation, because each ``<op>_backward`` takes its forward's
    arguments.
    """
    _check_params("forward", params)
    _check_images("forward", x, params["conv1.weight"].dtype)
    z1 = F.conv2d(x, params["conv1.weight"], params["conv1.bias"])
    a1 = F.relu(z1)
    p1 = F.max_pool2d(a1, 2)
    z2 = F.conv2d(p1, params["conv2.weight"], params["conv2.bias"])
    a2 = F.relu(z2)
    p2 = F.max_pool2d(a2, 2)
    flat = p2.reshape(len(x), -1)
    logits = F.linear(flat, params["fc.weight"], params["fc.bias"])
    cache = {"x": x, "z1": z1, "a1": a1, "p1": p1, "z2": z2, "a2": a2, "p2": p2, "flat": flat}
    return logits, cache


def backward(params: dict, cache: dict, grad_logits: np.ndarray) -> dict[str, np.ndarray]:
    """Gradients of a loss with respect to every parameter, given ``dL/dlogits`` (N, 10).

    Walks the network backwards, each step the ``_backward`` of the forward op:
    ``linear`` -> reshape -> ``max_pool2d`` (the gradient goes to each window's
    maximum) -> ``relu`` (zero where the input was negative) -> ``conv2d``
    (``dL/dx`` is a convolution with the flipped filter, ``dL/dW`` a correlation
    of the input with the output gradient) -> and again for the first block.
    Returns a dict with the keys and shapes of ``params``.
    """
    _check_params("backward", params)
    g_flat, g_fw, g_fb = F.linear_backward(grad_logits, cache["flat"], params["fc.weight"],
                                           params["fc.bias"])
    g_p2 = g_flat.reshape(cache["p2"].shape)
    g_a2 = F.max_pool2d_backward(g_p2, cache["a2"], 2)
    g_z2 = F.relu_backward(g_a2, cache["z2"])
    g_p1, g_w2, g_b2 = F.conv2d_backward(g_z2, cache["p1"], params["conv2.weight"],
                                         params["conv2.bias"])
    g_a1 = F.max_pool2d_backward(g_p1, cache["a1"], 2)
    g_z1 = F.relu_backward(g_a1, cache["z1"])
    _, g_w1, g_b1 = F.conv2d_backward(g_z1, cache["x"], params["conv1.weight"],
                                      params["conv1.bias"])
    return {"conv1.weight": g_w1, "conv1.bias": g_b1, "conv2.weight": g_w2,
            "conv2.bias": g_b2, "fc.weight": g_fw, "fc.bias": g_fb}


def loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray):
    """Mean softmax cross-entropy on a batch, its gradients, and the logits.

    Returns ``(loss, grads, logits)``; the gradient of the mean loss with respect to
    the logits is ``(softmax(logits) - one_hot(y)) / N``.
    """
    logits, cache = forward(params, x)
    loss = F.cross_entropy(logits, y)
    grad_logits = F.cross_entropy_backward(np.ones((), logits.dtype), logits, y)
    return float(loss), backward(params, cache, grad_logits), logits


def adam_init(params: dict) -> dict:
    """Adam's state: zero first and second moments per parameter, step count 0."""
    return {"t": 0, "m": {k: np.zeros_like(v) for k, v in params.items()},
            "v": {k: np.zeros_like(v) for k, v in params.items()}}


def adam_step(params: dict, grads: dict, state: dict, lr: float = 1e-3, beta1: float = 0.9,
              beta2: float = 0.999, eps: float = 1e-8) -> None:
    """One Adam update, in place (Kingma and Ba, 2015).

    .. math:: m \\leftarrow \\beta_1 m + (1-\\beta_1) g, \\quad
              v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2, \\quad
              \\theta \\leftarrow \\theta - \\eta\\, \\frac{m / (1-\\beta_1^t)}{\\sqrt{v/(1-\\beta_2^t)} + \\epsilon}
    """
    state["t"] += 1
    t = state["t"]
    c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t
    for k, g in grads.items():
        m, v = state["m"][k], state["v"][k]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        params[k] -= (lr * (m / c1) / (np.sqrt(v / c2) + eps)).astype(params[k].dtype)


def sgd_init(params: dict) -> dict:
    """SGD-with-momentum state: a zero velocity per parameter."""
    return {"velocity": {k: np.zeros_like(v) for k, v in params.items()}}


def sgd_step(params: dict, grads: dict, state: dict, lr: float = 0.05,
             momentum: float = 0.9) -> None:
    """One SGD-with-momentum update, in place: ``v = momentum v + g``, ``theta -= lr v``."""
    for k, g in grads.items():
        v = state["velocity"][k]
        v *= momentum
        v += g
        params[k] -= (lr * v).astype(params[k].dtype)


def evaluate(params: dict, x: np.ndarray, y: np.ndarray, batch_size: int = 500):
    """Mean cross-entropy and accuracy on ``(x, y)``: returns ``(loss, accuracy)``."""
    batch_size = V.check_int("evaluate", "batch_size", batch_size, minimum=1)
    loss_sum, correct = 0.0, 0
    for i in range(0, len(x), batch_size):
        logits, _ = forward(params, x[i:i + batch_size])
        loss_sum += float(F.cross_entropy(logits, y[i:i + batch_size], reduction="sum"))
        correct += int((logits.argmax(1) == y[i:i + batch_size]).sum())
    return loss_sum / len(x), correct / len(x)


def predict(params: dict, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Predicted digit of each image in ``x`` (N, 1, 32, 32): int64 (N,)."""
    batch_size = V.check_int("predict", "batch_size", batch_size, minimum=1)
    out = [forward(params, x[i:i + batch_size])[0].argmax(1) for i in range(0, len(x), batch_size)]
    return np.concatenate(out).astype(np.int64) if out else np.zeros(0, np.int64)


def train(x_train: np.ndarray, y_train: np.ndarray, x_val=None, y_val=None, epochs: int = 4,
          batch_size: int = 32, lr: float = 2e-3, optimizer: str = "adam",
          momentum: float = 0.9, seed: int = 0, params: dict | None = None,
          progress: bool = True):
    """Minibatch training with NumPy alone; returns ``(params, history)``.

    Starts from ``init_params(seed)`` (or the given ``params``, updated in place),
    shuffles the training set each epoch with ``np.random.default_rng(seed)``,
    and takes one ``optimizer`` step (``'adam'`` or ``'sgd'`` with ``momentum``)
    per minibatch. ``history`` is a :class:`cnnlib.train.History`, and with
    ``progress`` one line per epoch is printed, as :func:`cnnlib.train.fit` does.
    Images must be float32 (N, 1, 32, 32) (or the parameters' dtype); labels int (N,).
    """
    V.check_choice("train", "optimizer", optimizer, ("adam", "sgd"))
    epochs = V.check_int("train", "epochs", epochs, minimum=1)
    batch_size = V.check_int("train", "batch_size", batch_size, minimum=1)
    lr = V.check_number("train", "lr", lr, minimum=0.0, strict=True)
    momentum = V.check_number("train", "momentum", momentum, minimum=0.0, maximum=1.0)
    V.check_int("train", "seed", seed, minimum=0)
    V.check_bool("train", "progress", progress)
    if (x_val is None) != (y_val is None):
        raise ValueError("train: give both x_val and y_val, or neither")
    params = init_params(seed, dtype=x_train.dtype) if params is None else params
    _check_params("train", params)
    _check_images("train", x_train, params["conv1.weight"].dtype)
    y_train = np.asarray(y_train)
    if y_train.shape != (len(x_train),) or not np.issubdtype(y_train.dtype, np.integer):
        raise ValueError(f"train: y_train must be {len(x_train)} integer labels, got shape "
                         f"{y_train.shape} dtype {y_train.dtype}")
    state = adam_init(params) if optimizer == "adam" else sgd_init(params)
    rng = np.random.default_rng(seed)
    history = History()
    n = len(x_train)
    for epoch in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(n)
        loss_sum, correct = 0.0, 0
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            loss, grads, logits = loss_and_grads(params, x_train[idx], y_train[idx])
            if optimizer == "adam":
                adam_step(params, grads, state, lr)
            else:
                sgd_step(params, grads, state, lr, momentum)
            loss_sum += loss * len(idx)
            correct += int((logits.argmax(1) == y_train[idx]).sum())
        val = None
        if x_val is not None:
            val_loss, val_acc = evaluate(params, x_val, np.asarray(y_val))
            val = {"loss": val_loss, "acc": val_acc}
        history.record({"loss": loss_sum / n, "acc": correct / n}, val, time.perf_counter() - start)
        if progress:
            print(history.line(epoch, epochs), flush=True)
    return params, history


# Keep `accuracy` importable from here too: the notebook compares labels with it.
accuracy = accuracy
