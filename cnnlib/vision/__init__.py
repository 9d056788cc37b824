"""Vision tasks built on the library's ops and models (Parts 3-5).

Part 5: :mod:`cnnlib.vision.extractors` (the feature extractors: random filters, a network
trained in the book, real VGG weights), :mod:`cnnlib.vision.style` (neural style transfer,
texture synthesis, reconstructions) and :mod:`cnnlib.vision.features` (what the units of a
trained network respond to).
"""
from . import extractors, features, style
