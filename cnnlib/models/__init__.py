"""The networks the book builds, as ordinary ``torch.nn.Module`` s taking NCHW input.

One module per family (``lenet``, ``alexnet``, ``vgg``, ``resnet``, ``inception``, ``mobilenet``,
``efficientnet``), ``weights`` to load a local state dict
(:func:`load_weights`), and ``tables``, which tabulates any model's layers, so every model here
can be summarised by :func:`summary` and trained by :func:`cnnlib.train.fit`.
"""
from .lenet import ACTIVATIONS, LeNet5
from .random_filters import RandomMultiScale
from .tables import Summary, SummaryRow, course_table, layers_of, summary
# Part 2: the case studies
from .alexnet import AlexNet
from .efficientnet import (EfficientNet, MBConv, SqueezeExcitation, compound_scaling,
                           efficientnet, efficientnet_b0)
from .inception import GoogLeNet, Inception
from .lenet import LeNet5Original
from .mobilenet import DepthwiseSeparable, InvertedResidual, MobileNetV1, MobileNetV2
from .resnet import BasicBlock, Bottleneck, ResNet, cifar_resnet, resnet18, resnet34, resnet50
from .tables import measured_receptive_field
from .vgg import VGG, VGG_CONFIGS, vgg11, vgg13, vgg16, vgg19
from .weights import load_weights
# Part 3: detection and segmentation
from .fcn import ASPP, AtrousSegmenter, SlidingWindowNet, convolutionalize
from .unet import DoubleConv, UNet
from .yolo import TinyYOLO

__all__ = ["LeNet5", "ACTIVATIONS", "VGG", "VGG_CONFIGS", "vgg11", "vgg13", "vgg16", "vgg19",
           "load_weights", "summary", "Summary", "SummaryRow", "course_table", "layers_of"]
__all__ += ["LeNet5Original", "AlexNet", "ResNet", "BasicBlock", "Bottleneck", "resnet18",
            "resnet34", "resnet50", "cifar_resnet", "Inception", "GoogLeNet",
            "DepthwiseSeparable", "MobileNetV1", "InvertedResidual", "MobileNetV2", "MBConv",
            "SqueezeExcitation", "EfficientNet", "efficientnet", "efficientnet_b0",
            "compound_scaling", "measured_receptive_field"]
__all__ += ["SlidingWindowNet", "convolutionalize", "ASPP", "AtrousSegmenter", "UNet",
            "DoubleConv", "TinyYOLO"]
from .facenet import PAIR_FEATURES, FaceNet, SiameseVerifier, pair_features

__all__ += ["FaceNet", "SiameseVerifier", "pair_features", "PAIR_FEATURES"]
__all__ += ["RandomMultiScale"]
