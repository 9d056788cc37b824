"""What the units of a trained network respond to (section 5.2).

Three ways to look inside a convolutional network, for any :class:`cnnlib.models.VGG` (or
another network whose ``features`` are a ``torch.nn.Sequential`` of convolutions, pools,
batch norms and activations, named by ``layer_names``):

- :func:`top_patches`: the image patches that most excite a unit, cut out of a data set at
  the unit's receptive field (Zeiler and Fergus, 2014);
- :func:`activation_maximisation`: an image made by gradient ascent on the input to excite a
  unit as much as possible, kept natural by regularisers (a small L2 penalty, total variation,
  random jitter), optimised through :func:`cnnlib.train.fit` with
  :class:`cnnlib.train.ImageOptimisation`;
- :func:`class_selectivity`: how much of a unit's response belongs to one class, which grows
  with depth: early filters serve every class, deeper ones fewer (Yosinski et al., 2014).

:func:`layer_geometry` gives the receptive field of a layer: how many pixels one unit sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .. import _checks as V
from .. import torch_ops as tops

__all__ = ["LayerGeometry", "layer_geometry", "TopPatches", "top_patches",
           "activation_maximisation", "class_selectivity", "layer_activations"]


@dataclass(frozen=True)
class LayerGeometry:
    """Where a unit of a layer looks in the input.

    Unit ``i`` (along one axis) sees input pixels ``start + i * jump`` to
    ``start + i * jump + size - 1`` (``start`` is negative where padding adds pixels outside
    the image).
    """

    layer: str
    size: int     # receptive field r
    jump: int     # output stride j
    start: int    # first input pixel seen by unit 0


def _stack(net):
    features = getattr(net, "features", None)
    names = getattr(net, "layer_names", None)
    if not isinstance(features, nn.Sequential) or names is None:
        raise TypeError(f"expected a network with a features Sequential and layer_names (a "
                        f"cnnlib.models.VGG), got {type(net).__name__}")
    return features, list(names)


def _check_layer(op, net, layer):
    _, names = _stack(net)
    if layer not in names:
        raise ValueError(f"{op}: unknown layer name {layer!r}; the network has "
                         f"{', '.join(names)}")
    return names.index(layer)


def _pair(v):
    return v if isinstance(v, int) else int(v[0])


def layer_geometry(net, layer: str) -> LayerGeometry:
    """Receptive field size, stride and start of ``layer`` (square kernels assumed).

    Walks ``net.features`` up to ``layer``: each convolution or pool with kernel f, stride s
    and padding p updates ``size += (f - 1) * jump``, ``start -= p * jump``, ``jump *= s``
    (:func:`cnnlib.shapes.receptive_field` is the same recursion without the padding).
    Section 5.2.
    """
    features, names = _stack(net)
    index = _check_layer("layer_geometry", net, layer)
    size, jump, start = 1, 1, 0
    for module in list(features)[:index + 1]:
        if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            f, s = _pair(module.kernel_size), _pair(module.stride)
            p = _pair(module.padding) if not isinstance(module.padding, str) else (f - 1) // 2
            d = _pair(getattr(module, "dilation", 1))
            size += d * (f - 1) * jump
            start -= p * jump
            jump *= s
    return LayerGeometry(layer, size, jump, start)


def layer_activations(net, images, layers, batch_size: int = 256) -> dict[str, torch.Tensor]:
    """``net.taps`` over a data set in minibatches, without gradients: a dict of (N, C, h, w)
    tensors on the CPU."""
    x = torch.as_tensor(images)
    if x.ndim != 4:
        raise ValueError(f"expected images (N, C, H, W), got shape {tuple(x.shape)}")
    dev = next(net.parameters()).device
    out: dict[str, list] = {name: [] for name in layers}
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            for i in range(0, len(x), batch_size):
                taps = net.taps(x[i:i + batch_size].to(dev, torch.float32), layers)
                for name in layers:
                    out[name].append(taps[name].cpu())
    finally:
        net.train(was_training)
    return {name: torch.cat(chunks) for name, chunks in out.items()}


@dataclass
class TopPatches:
    """The ``k`` images that excite each unit most, and the patch each unit saw.

    ``units`` (U,) channel indices; ``values`` (U, k) the largest activation in each image;
    ``images`` (U, k) indices into the data set; ``positions`` (U, k, 2) the (row, col) of that
    activation in the layer's map; ``patches`` (U, k, C, r, r) float32 crops of the input
    around it (the receptive field, ``geometry.size`` pixels; outside the image filled with
    ``fill``).
    """

    layer: str
    units: np.ndarray
    values: np.ndarray
    images: np.ndarray
    positions: np.ndarray
    patches: np.ndarray
    geometry: LayerGeometry


def _crop(image, top, left, size, fill):
    c, h, w = image.shape
    out = np.full((c, size, size), fill, np.float32)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + size, h), min(left + size, w)
    if y1 > y0 and x1 > x0:
        out[:, y0 - top:y1 - top, x0 - left:x1 - left] = image[:, y0:y1, x0:x1]
    return out


def top_patches(net, images, layer: str, units=None, k: int = 9, batch_size: int = 256,
                fill: float = 0.5) -> TopPatches:
    """For each unit (channel) of ``layer``, the ``k`` images of ``images`` that excite it most.

    Each image counts once, with its largest activation over all positions; the patch is the
    unit's receptive field at that position (:func:`layer_geometry`), as Zeiler and Fergus
    show next to their projections. ``images`` is (N, C, H, W) (NumPy or tensor), ``units``
    a list of channel indices (default: all). Section 5.2.
    """
    _check_layer("top_patches", net, layer)
    k = V.check_int("top_patches", "k", k, minimum=1)
    x = np.asarray(images.detach().cpu() if isinstance(images, torch.Tensor) else images,
                   dtype=np.float32)
    if k > len(x):
        raise ValueError(f"top_patches: k={k} but there are only {len(x)} images")
    acts = layer_activations(net, x, [layer], batch_size)[layer]
    n, channels, h, w = acts.shape
    units = np.arange(channels) if units is None else np.asarray(units, dtype=np.int64)
    if units.ndim != 1 or (units < 0).any() or (units >= channels).any():
        raise ValueError(f"top_patches: units must be channel indices in [0, {channels - 1}] "
                         f"for {layer}")
    geo = layer_geometry(net, layer)
    flat = acts[:, units].reshape(n, len(units), h * w)
    best, where = flat.max(dim=2)                          # (N, U) per image
    values, order = best.topk(k, dim=0)                    # (k, U)
    values, order = values.T.numpy(), order.T.numpy()
    pos = where.numpy()[order, np.arange(len(units))[:, None]]
    rows, cols = pos // w, pos % w
    patches = np.stack([np.stack([
        _crop(x[i], geo.start + r * geo.jump, geo.start + c * geo.jump, geo.size, fill)
        for i, r, c in zip(order[u], rows[u], cols[u])]) for u in range(len(units))])
    return TopPatches(layer, units, values, order, np.stack([rows, cols], axis=-1), patches,
                      geo)


def class_selectivity(net, images, labels, layers, batch_size: int = 256):
    """Per unit, how much of its mean response belongs to its favourite class.

    For every channel of each layer, the response to an image is its spatial mean; ``mu_c``
    averages it over the images of class c. The selectivity index (Morcos et al., 2018) is
    ``(mu_max - mu_rest) / (mu_max + mu_rest)``, ``mu_rest`` the mean of the other classes'
    ``mu_c``: 0 for a unit that answers every class alike, 1 for one that answers a single
    class. Units that never respond (all ``mu_c`` zero) get NaN. Returns ``{layer: (U,)
    array}``. Section 5.2.
    """
    y = np.asarray(labels)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise TypeError("class_selectivity: labels must be a 1-D integer array")
    layers = [layers] if isinstance(layers, str) else list(layers)
    for layer in layers:
        _check_layer("class_selectivity", net, layer)
    acts = layer_activations(net, images, layers, batch_size)
    if len(y) != len(next(iter(acts.values()))):
        raise ValueError(f"class_selectivity: {len(y)} labels for "
                         f"{len(next(iter(acts.values())))} images")
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError("class_selectivity: needs images of at least two classes")
    out = {}
    for layer, a in acts.items():
        response = a.mean(dim=(2, 3)).double().numpy()        # (N, U)
        mu = np.stack([response[y == c].mean(axis=0) for c in classes])   # (classes, U)
        best = mu.max(axis=0)
        rest = (mu.sum(axis=0) - best) / (len(classes) - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[layer] = np.where(best + rest > 0, (best - rest) / (best + rest), np.nan)
    return out


def activation_maximisation(net, layer: str, unit: int, size: int = 48, steps: int = 128,
                            lr: float = 0.05, l2: float = 1e-3, tv_weight: float = 2e-3,
                            jitter: int = 2, where: str = "center", seed: int = 0,
                            progress: bool = False):
    """An image that excites one unit: gradient ascent on the input, regularised.

    Starts from faint seeded noise around grey and maximises the activation of channel
    ``unit`` of ``layer`` at the centre of its map (``where='center'``, one neuron) or its
    spatial mean (``where='mean'``, the whole channel), minus ``l2 * ||x - 0.5||^2`` and
    ``tv_weight * total_variation(x)``
    (:func:`cnnlib.torch_ops.total_variation`). Before every step the image is shifted by up
    to ``jitter`` pixels at random, so that no single pixel pattern can be exploited. The
    pixels are kept in [0, 1] by :class:`cnnlib.train.ImageOptimisation` with
    ``parametrisation='sigmoid'`` and optimised with Adam through :func:`cnnlib.train.fit`.

    Returns ``(image, trace)``: the image (size, size, C) float32, and the task's per-step
    trace (``activation`` among its entries). Section 5.2.
    """
    from ..train import ImageOptimisation, fit

    index = _check_layer("activation_maximisation", net, layer)
    size = V.check_int("activation_maximisation", "size", size, minimum=4)
    steps = V.check_int("activation_maximisation", "steps", steps, minimum=1)
    jitter = V.check_int("activation_maximisation", "jitter", jitter, minimum=0)
    V.check_choice("activation_maximisation", "where", where, ("center", "mean"))
    l2 = V.check_number("activation_maximisation", "l2", l2, minimum=0.0)
    tv_weight = V.check_number("activation_maximisation", "tv_weight", tv_weight, minimum=0.0)
    features, _ = _stack(net)
    channels = [m.out_channels for m in list(features)[:index + 1] if isinstance(m, nn.Conv2d)]
    if not channels:
        raise ValueError(f"activation_maximisation: {layer} comes before any convolution")
    V.check_int("activation_maximisation", "unit", unit, minimum=0, maximum=channels[-1] - 1)
    in_channels = int(getattr(net, "in_channels", 3))
    dev = next(net.parameters()).device
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    generator = torch.Generator().manual_seed(seed)
    shifts = torch.randint(-jitter, jitter + 1, (steps + 1, 2), generator=generator).tolist()
    start = 0.5 + 0.02 * torch.randn(1, in_channels, size, size, generator=generator)
    state = {"step": 0}

    names = list(net.layer_names)
    target = names[index - 1] if names[index].startswith("relu") and index > 0 else layer

    def objective(image):
        dy, dx = shifts[min(state["step"], steps)]
        moved = torch.roll(image, shifts=(dy, dx), dims=(2, 3))
        a = net.taps(moved, [target])[target][0, unit]
        act = a[a.shape[0] // 2, a.shape[1] // 2] if where == "center" else a.mean()
        penalty = l2 * ((image - 0.5) ** 2).sum() + tv_weight * tops.total_variation(image[0])
        return penalty - act, {"activation": act.detach()}

    class _Task(ImageOptimisation):
        def after_step(self, model):
            state["step"] += 1
            super().after_step(model)

    task = _Task(objective, 0.0, 1.0, parametrisation="sigmoid")
    params = task.parameters_for(start.clamp(0, 1).to(dev))
    fit(params, task=task, epochs=1, steps_per_epoch=steps, lr=lr, optimizer="adam", seed=seed,
        progress=progress)
    final = task.finish(params)
    image = final[0].cpu().numpy().transpose(1, 2, 0)
    return np.ascontiguousarray(image, dtype=np.float32), \
        {k: np.asarray(v) for k, v in task.trace.items()}
