"""Classification with localisation: the course's target vector and its loss (section 3.1).

For an image that holds at most one object of ``n`` classes, the course writes the label as

.. math:: y = [p_c,\\; b_x,\\; b_y,\\; b_h,\\; b_w,\\; c_1, \\dots, c_n]

``p_c`` is 1 when there is an object and 0 when there is only background; ``(b_x, b_y)`` is the
centre of its box and ``(b_h, b_w)`` its height and width, as fractions of the image (the top-left
corner is (0, 0), the bottom-right (1, 1)); ``c_i`` is 1 for its class. When ``p_c = 0`` the rest
of ``y`` is "don't care": the loss must not ask the network for any box or class then.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import _checks as V
from .. import numpy_ops as nops
from .. import torch_ops as tops
from ..train.tasks import Task

__all__ = ["encode_localization", "decode_localization", "Localization", "generalized_iou",
           "CoordChannels", "Localizer", "localize"]


def encode_localization(boxes, labels, num_classes: int, image_size: int) -> np.ndarray:
    """Targets (N, 5 + n) float32 from each image's boxes and labels (at most one object each).

    ``boxes[i]`` (k_i, 4) ``'xyxy'`` pixels and ``labels[i]`` (k_i,), with ``k_i`` 0 or 1.
    An image without an object gets ``p_c = 0`` and zeros elsewhere. Section 3.1.
    """
    op = "encode_localization"
    n = V.check_int(op, "num_classes", num_classes, minimum=1)
    size = V.check_number(op, "image_size", image_size, minimum=0.0, strict=True)
    if len(boxes) != len(labels):
        raise ValueError(f"{op}: {len(boxes)} images of boxes but {len(labels)} of labels")
    y = np.zeros((len(boxes), 5 + n), np.float32)
    for i, (b, c) in enumerate(zip(boxes, labels)):
        b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
        c = np.asarray(c).reshape(-1)
        if len(b) > 1:
            raise ValueError(f"{op}: image {i} holds {len(b)} objects; localisation handles at "
                             f"most one (detection, from section 3.3 on, handles more)")
        if len(b):
            cx, cy, w, h = nops.box_convert(b, "xyxy", "cxcywh")[0] / size
            y[i, :5] = (1.0, cx, cy, h, w)
            y[i, 5 + int(c[0])] = 1.0
    return y


def decode_localization(y, image_size: int):
    """``(p_c, boxes, labels)`` from targets or from a :class:`Localization` model's output.

    ``y`` (N, 5 + n), NumPy or torch, in the target's layout (for a model's raw output apply
    :meth:`Localization.activations` first). Returns NumPy ``p_c`` (N,), ``'xyxy'`` pixel
    boxes (N, 4) and class indices (N,). Section 3.1.
    """
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] < 6:
        raise ValueError(f"decode_localization: y must have shape (N, 5 + n), got {y.shape}")
    size = V.check_number("decode_localization", "image_size", image_size, minimum=0.0,
                          strict=True)
    cxcywh = np.stack([y[:, 1], y[:, 2], np.maximum(y[:, 4], 0), np.maximum(y[:, 3], 0)], 1)
    boxes = nops.box_convert(cxcywh * size, "cxcywh", "xyxy")
    return y[:, 0], boxes, y[:, 5:].argmax(axis=1)


def _target_to_xyxy(t: torch.Tensor) -> torch.Tensor:
    """(N, 4) boxes in the target's order ``(b_x, b_y, b_h, b_w)`` -> ``(x1, y1, x2, y2)``."""
    bx, by, bh, bw = t.unbind(1)
    return torch.stack([bx - bw / 2, by - bh / 2, bx + bw / 2, by + bh / 2], 1)


def generalized_iou(boxes1: torch.Tensor, boxes2: torch.Tensor):
    r"""IoU and generalised IoU of matching pairs of ``'xyxy'`` boxes, differentiable.

    ``boxes1`` and ``boxes2`` (N, 4) torch tensors. With :math:`C` the smallest box that holds
    both boxes :math:`A` and :math:`B`,

    .. math::

        \mathrm{GIoU}(A, B) = \mathrm{IoU}(A, B) - \frac{|C| - |A \cup B|}{|C|} \in (-1, 1].

    Unlike the IoU, which is 0 (and has no gradient) for every pair that does not overlap,
    the GIoU still rises as the boxes approach each other, so ``1 - GIoU`` is a usable loss
    from the first step (Rezatofighi et al., 2019). Returns ``(giou, iou)``, each (N,).
    Section 3.1.
    """
    if not (isinstance(boxes1, torch.Tensor) and isinstance(boxes2, torch.Tensor)):
        raise TypeError("generalized_iou: boxes1 and boxes2 must be torch tensors")
    if boxes1.shape != boxes2.shape or boxes1.ndim != 2 or boxes1.shape[-1] != 4:
        raise ValueError(f"generalized_iou: boxes1 and boxes2 must both be (N, 4), got "
                         f"{tuple(boxes1.shape)} and {tuple(boxes2.shape)}")
    a, b = boxes1, boxes2
    iw = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp(min=0)
    ih = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])).clamp(min=0)
    inter = iw * ih
    area_a = (a[:, 2] - a[:, 0]).clamp(min=0) * (a[:, 3] - a[:, 1]).clamp(min=0)
    area_b = (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
    union = area_a + area_b - inter
    iou = inter / union.clamp(min=1e-12)
    hull = ((torch.maximum(a[:, 2], b[:, 2]) - torch.minimum(a[:, 0], b[:, 0]))
            * (torch.maximum(a[:, 3], b[:, 3]) - torch.minimum(a[:, 1], b[:, 1])))
    return iou - (hull - union) / hull.clamp(min=1e-12), iou


class Localization(Task):
    """Train a network whose output is the course's ``y``: data ``(images, targets)``.

    The model returns (N, 5 + n) raw numbers ``z``; :meth:`activations` turns them into the
    target's layout (a sigmoid on ``p_c`` and on the four box numbers, so that the box is a
    fraction of the image, and a softmax on the classes). The loss follows the course's
    advice, logistic regression for ``p_c``, a squared error for the box, softmax
    cross-entropy for the class, and asks for the box and the class only where there is an
    object:

    .. math::
        \mathcal{L} = \mathrm{BCE}(z_0, p_c)
        + p_c \Big[\lambda_{box} \big((\hat b_x - b_x)^2 + (\hat b_y - b_y)^2
        + (\sqrt{\hat b_h} - \sqrt{b_h})^2 + (\sqrt{\hat b_w} - \sqrt{b_w})^2\big)
        + \lambda_{giou} \big(1 - \mathrm{GIoU}(\hat b, b)\big)
        + \mathrm{CE}(z_{5:}, \text{class})\Big]

    averaged over the batch, with :math:`\hat b = \sigma(z_{1:5})`. The square roots (as in
    YOLO) make an error of a pixel cost more on a small box than on a large one; the
    :func:`generalized_iou` term measures the box the way it is judged. ``lambda_giou=0`` and
    ``sqrt_size=False`` give the plain squared error. Stats: ``pc``, ``box`` and ``cls``,
    the three parts, and ``iou``, the mean IoU of the predicted and true boxes over the
    images that hold an object. Section 3.1.
    """

    name = "localization"

    def __init__(self, num_classes: int, lambda_box: float = 10.0, lambda_giou: float = 3.0,
                 sqrt_size: bool = True):
        self.num_classes = V.check_int("Localization", "num_classes", num_classes, minimum=1)
        self.lambda_box = V.check_number("Localization", "lambda_box", lambda_box, minimum=0.0)
        self.lambda_giou = V.check_number("Localization", "lambda_giou", lambda_giou,
                                          minimum=0.0)
        self.sqrt_size = V.check_bool("Localization", "sqrt_size", sqrt_size)

    def prepare(self, data, device, dtype):
        x, y = super().prepare(data, device, dtype)
        if y.ndim != 2 or y.shape[1] != 5 + self.num_classes:
            raise ValueError(f"fit (localization): targets must be (N, {5 + self.num_classes}), "
                             f"got {tuple(y.shape)}")
        return x, y

    @staticmethod
    def activations(z):
        """Raw output (N, 5 + n) -> the target's layout: ``sigma`` on ``p_c`` and the box,
        softmax on the classes."""
        return torch.cat([torch.sigmoid(z[:, :5]), torch.softmax(z[:, 5:], dim=1)], dim=1)

    def loss(self, model, batch):
        x, y = batch
        z = model(x)
        if z.shape != y.shape:
            raise ValueError(f"fit (localization): the model predicts {tuple(z.shape)}, the "
                             f"targets are {tuple(y.shape)}")
        obj = y[:, 0]
        pc = F.binary_cross_entropy_with_logits(z[:, 0], obj)
        b, t = torch.sigmoid(z[:, 1:5]), y[:, 1:5]
        if self.sqrt_size:
            se = (((b[:, :2] - t[:, :2]) ** 2).sum(1)
                  + ((b[:, 2:].clamp(min=1e-8).sqrt() - t[:, 2:].clamp(min=0).sqrt()) ** 2).sum(1))
        else:
            se = ((b - t) ** 2).sum(1)
        giou, iou = generalized_iou(_target_to_xyxy(b), _target_to_xyxy(t))
        box = self.lambda_box * se + self.lambda_giou * (1 - giou)
        cls = F.cross_entropy(z[:, 5:], y[:, 5:].argmax(1), reduction="none")
        n = len(y)
        box, cls = (obj * box).sum() / n, (obj * cls).sum() / n
        total = pc + box + cls
        has = obj > 0.5
        mean_iou = iou[has].mean() if bool(has.any()) else z.new_zeros(())
        return total, {"pc": pc.detach(), "box": box.detach(), "cls": cls.detach(),
                       "iou": mean_iou.detach()}


class CoordChannels(nn.Module):
    """Append two channels holding each pixel's x and y, from -1 to 1 (CoordConv).

    (N, C, H, W) -> (N, C + 2, H, W). A convolution is translation-equivariant: on its own
    it cannot tell where in the image a pattern is, only that it is there. With coordinate
    channels the filters see the position too (Liu et al., 2018). Section 3.1.
    """

    def forward(self, x):
        n, _, h, w = x.shape
        ys = torch.linspace(-1, 1, h, device=x.device, dtype=x.dtype)
        xs = torch.linspace(-1, 1, w, device=x.device, dtype=x.dtype)
        return torch.cat([x, xs.view(1, 1, 1, w).expand(n, 1, h, w),
                          ys.view(1, 1, h, 1).expand(n, 1, h, w)], 1)


def _conv_bn_relu(c_in: int, c_out: int) -> list:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


def _positional_layers(op: str, in_channels, width, image_size, hidden, outputs: int) -> list:
    """The layers of :class:`Localizer` (and of the landmark network of section 3.2), after
    checking the arguments the two share for ``op``."""
    size = V.check_int(op, "image_size", image_size, minimum=4)
    if size % 4:
        raise ValueError(f"{op}: image_size must be a multiple of 4, got {size}")
    in_channels = V.check_int(op, "in_channels", in_channels, minimum=1)
    w = V.check_int(op, "width", width, minimum=1)
    hidden = V.check_int(op, "hidden", hidden, minimum=1)
    return [CoordChannels(), *_conv_bn_relu(in_channels + 2, w), nn.MaxPool2d(2),
            *_conv_bn_relu(w, 2 * w), nn.MaxPool2d(2),
            *_conv_bn_relu(2 * w, 4 * w), *_conv_bn_relu(4 * w, 4 * w),
            nn.Flatten(), nn.Linear(4 * w * (size // 4) ** 2, hidden), nn.ReLU(),
            nn.Linear(hidden, outputs)]


class Localizer(nn.Sequential):
    """A small classification-with-localisation network: image -> the course's raw ``y``.

    (N, C, S, S) -> (N, 5 + n), ``S`` = ``image_size`` a multiple of 4. Coordinate channels
    (:class:`CoordChannels`), then ``conv 3x3 (w) - pool - conv 3x3 (2w) - pool -
    conv 3x3 (4w) - conv 3x3 (4w)``, each convolution followed by batch norm and ReLU, then
    the (S/4 x S/4 x 4w) volume is flattened, not averaged, so the fully connected layers
    (``hidden`` units, then ``5 + n``) still know where each feature was. Only two poolings:
    every pooling halves the resolution the box edges are read at. Train it with
    :class:`Localization`. Section 3.1.
    """

    def __init__(self, num_classes: int, image_size: int = 32, in_channels: int = 3,
                 width: int = 16, hidden: int = 128):
        n = V.check_int("Localizer", "num_classes", num_classes, minimum=1)
        super().__init__(*_positional_layers("Localizer", in_channels, width, image_size, hidden,
                                             5 + n))
        self.num_classes, self.image_size = n, int(image_size)


def localize(model, images, image_size: int, batch_size: int = 256):
    """Run a localisation model on ``images`` (N, C, H, W): ``(p_c, boxes, labels)``.

    ``eval`` mode, no gradients; :meth:`Localization.activations` then
    :func:`decode_localization`, so ``p_c`` (N,) is a probability, ``boxes`` (N, 4) are
    ``'xyxy'`` pixels and ``labels`` (N,) class indices. Section 3.1.
    """
    V.check_int("localize", "batch_size", batch_size, minimum=1)
    param = next(model.parameters())
    x = images if isinstance(images, torch.Tensor) else torch.from_numpy(np.asarray(images))
    if x.ndim != 4:
        raise ValueError(f"localize: images must be (N, C, H, W), got shape {tuple(x.shape)}")
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            z = model(x[i:i + batch_size].to(param.device, param.dtype))
            outs.append(Localization.activations(z).cpu())
    return decode_localization(torch.cat(outs), image_size)
