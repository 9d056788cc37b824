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
import torch.nn.functional as F

from .. import _checks as V
from .. import numpy_ops as nops
from .. import torch_ops as tops
from ..train.tasks import Task

__all__ = ["encode_localization", "decode_localization", "Localization"]


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


class Localization(Task):
    """Train a network whose output is the course's ``y``: data ``(images, targets)``.

    The model returns (N, 5 + n) raw numbers ``z``. The loss follows the course's advice,
    logistic regression for ``p_c``, squared error for the box, softmax for the class, and
    asks for the box and the class only where there is an object:

    .. math::
        \\mathcal{L} = \\mathrm{BCE}(z_0, p_c)
        + p_c \\left[\\lambda_{box} \\sum_{j=1}^{4} (\\sigma(z_j) - y_j)^2
        + \\mathrm{CE}(z_{5:}, \\text{class})\\right]

    (averaged over the batch; ``\\sigma`` keeps the box inside the image). Stats: ``pc``,
    ``box`` and ``cls``, the three parts, and ``iou``, the mean IoU of the predicted and true
    boxes over the images that hold an object. Section 3.1.
    """

    name = "localization"

    def __init__(self, num_classes: int, lambda_box: float = 5.0):
        self.num_classes = V.check_int("Localization", "num_classes", num_classes, minimum=1)
        self.lambda_box = V.check_number("Localization", "lambda_box", lambda_box, minimum=0.0)

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
        box = ((torch.sigmoid(z[:, 1:5]) - y[:, 1:5]) ** 2).sum(1)
        cls = F.cross_entropy(z[:, 5:], y[:, 5:].argmax(1), reduction="none")
        n = len(y)
        box, cls = (obj * box).sum() / n, (obj * cls).sum() / n
        total = pc + self.lambda_box * box + cls
        with torch.no_grad():
            has = obj > 0.5
            iou = z.new_zeros(())
            if has.any():
                a = torch.sigmoid(z[has, 1:5])
                t = y[has, 1:5]
                pa = tops.box_convert(torch.stack([a[:, 0], a[:, 1], a[:, 3], a[:, 2]], 1),
                                      "cxcywh", "xyxy")
                pt = tops.box_convert(torch.stack([t[:, 0], t[:, 1], t[:, 3], t[:, 2]], 1),
                                      "cxcywh", "xyxy")
                iou = tops.box_iou_pairwise(pa, pt).mean()
        return total, {"pc": pc.detach(), "box": box.detach(), "cls": cls.detach(), "iou": iou}
